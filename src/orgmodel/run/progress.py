"""Progress and cancellation of long work: typed events sent to a callback, a flag checked between steps.

Whoever runs a scenario (the API, the command line, a notebook, a web app) may pass ``progress``,
a callable taking a :class:`Progress`, and ``cancel``, a ``threading.Event``-like object (anything
with ``is_set()``) or a callable returning True when the work should stop. Work checks the flag
between units of work (a step, a variant, a stage) and raises :class:`Cancelled`.

>>> import threading
>>> events = []
>>> tracker = Tracker(events.append, threading.Event())
>>> tracker.send("run", 1, 3, "status-quo")
>>> events
[Progress(stage='run', done=1, total=3, message='status-quo')]
>>> stop = threading.Event(); stop.set()
>>> Tracker(None, stop).check()
Traceback (most recent call last):
...
orgmodel.run.progress.Cancelled: cancelled
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, Union, runtime_checkable

from orgmodel.errors import OrgModelError

__all__ = ["Progress", "Stage", "STAGES", "Cancelled", "CancelFlag", "ProgressCallback", "Tracker"]

Stage = Literal["load", "baseline", "run", "evaluate", "write", "report", "pack"]

#: The stages of a run, in order, with what each does.
STAGES: dict[str, str] = {
    "load": "read and validate the scenario file",
    "baseline": "read the rosters and build the baseline structure",
    "run": "propose and apply every step of every variant (one event per step)",
    "evaluate": "measure metrics and check rules on the baseline and every variant",
    "write": "write the results folder",
    "report": "write the report and its diagrams",
    "pack": "write the implementation pack of one variant",
}


@dataclass(frozen=True)
class Progress:
    """One progress event: ``done`` of ``total`` units of work of ``stage`` finished.

    ``total`` is at least 1; ``done == total`` marks the end of the stage. ``message`` says what
    was just done or is being done (a variant and step, a folder).
    """

    stage: Stage
    done: int
    total: int
    message: str = ""

    @property
    def fraction(self) -> float:
        """``done / total``, between 0 and 1.

        >>> Progress("run", 1, 4).fraction
        0.25
        """
        return min(1.0, self.done / self.total) if self.total else 1.0


class Cancelled(OrgModelError):
    """The work was cancelled; nothing it was writing was left behind."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)


@runtime_checkable
class _EventLike(Protocol):
    def is_set(self) -> bool: ...


CancelFlag = Union[_EventLike, Callable[[], bool], None]
ProgressCallback = Union[Callable[[Progress], Any], None]


class Tracker:
    """Sends progress events and checks the cancel flag; both optional."""

    def __init__(self, progress: ProgressCallback = None, cancel: CancelFlag = None) -> None:
        if cancel is not None and not isinstance(cancel, _EventLike) and not callable(cancel):
            raise TypeError("cancel must have is_set() (a threading.Event) or be a callable returning bool")
        self._progress = progress
        self._cancel = cancel

    @property
    def cancelled(self) -> bool:
        """Whether the cancel flag is set."""
        if self._cancel is None:
            return False
        if isinstance(self._cancel, _EventLike):
            return bool(self._cancel.is_set())
        return bool(self._cancel())

    def check(self) -> None:
        """Raise :class:`Cancelled` when the cancel flag is set."""
        if self.cancelled:
            raise Cancelled()

    @property
    def progress(self) -> ProgressCallback:
        """The callback events go to (None: nobody listens)."""
        return self._progress

    @property
    def cancel(self) -> CancelFlag:
        """The cancel flag as given."""
        return self._cancel

    def send(self, stage: Stage, done: int, total: int, message: str = "", *, check: bool = True) -> None:
        """Send one event (``total`` is raised to at least 1), then check the cancel flag unless
        ``check`` is False (the work is already complete)."""
        if self._progress is not None:
            self._progress(Progress(stage, done, max(1, total), message))
        if check:
            self.check()
