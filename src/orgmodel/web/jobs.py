"""Runs in the background: one at a time per app, with progress read by the page and a cancel.

A :class:`RunJob` calls :func:`orgmodel.api.run` in a thread; the API's progress callback keeps
the latest event, and the page polls :meth:`RunJob.state`. Cancelling sets the event the API
checks before every step, so the previous results stay as they were.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orgmodel import api
from orgmodel.errors import OrgModelError

__all__ = ["RunJob", "overall_fraction"]


def overall_fraction(event: api.Progress | None) -> float:
    """How far a whole run is, from its latest progress event: the API's ``overall`` (weighted by
    the time each stage takes, the simulation's by its replications), else stages weigh the same.

    >>> overall_fraction(None), overall_fraction(api.Progress("load", 1, 1, "")) * len(api.STAGES)
    (0.0, 1.0)
    >>> overall_fraction(api.Progress("simulate", 3, 8, "", overall=0.4))
    0.4
    """
    if event is None:
        return 0.0
    if event.overall is not None:
        return event.overall
    stages = list(api.STAGES)
    i = stages.index(event.stage) if event.stage in stages else 0
    return min(1.0, (i + event.fraction) / len(stages))


@dataclass
class RunJob:
    """One run of a scenario file into its results folder."""

    scenario: Path
    out: Path
    lang: str
    replications: int | None = None  # None: as the scenario says; 0: no simulation
    event: api.Progress | None = None
    status: str = "running"  # running, done, cancelled, failed
    error: str = ""
    seconds: float = 0.0
    cancel: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> RunJob:
        self._thread = threading.Thread(target=self._work, name="orgmodel-run", daemon=True)
        self._thread.start()
        return self

    def _progress(self, event: api.Progress) -> None:
        self.event = event

    def _work(self) -> None:
        began = time.perf_counter()
        try:
            if self.replications == 0:
                simulation: dict[str, Any] = {"simulate": False}
            elif self.replications is not None:
                simulation = {"simulation": {"replications": self.replications}}
            else:
                simulation = {}
            api.run(self.scenario, self.out, lang=self.lang, progress=self._progress, cancel=self.cancel, **simulation)
            self.status = "done"
        except api.Cancelled:
            self.status = "cancelled"
        except OrgModelError as exc:
            self.status, self.error = "failed", str(exc)
        except Exception as exc:  # a bug: shown in the page, not lost in a thread
            self.status, self.error = "failed", f"internal error: {type(exc).__name__}: {exc}"
        self.seconds = time.perf_counter() - began

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the run to end (tests, and the server's shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def state(self) -> dict[str, Any]:
        """What the progress bar shows."""
        e = self.event
        return {"status": self.status, "percent": round(100 * (1.0 if self.status == "done" else overall_fraction(e))),
                "stage": e.stage if e else "load", "message": e.message if e else "",
                "step": f"{e.done}/{e.total}" if e else "", "error": self.error,
                "seconds": f"{self.seconds:.1f}",
                "seconds_left": round(e.seconds_left) if e is not None and e.seconds_left is not None else None}
