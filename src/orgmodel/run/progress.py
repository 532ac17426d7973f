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

A tracker told which stages the call goes through (``stages=``) also gives each event
``overall``, the share of the whole call done, weighted by time rather than by stage: what is
left is the current stage's time left (the simulation's from the replications done, once some
are) and what the stages still to come are expected to take (:meth:`Tracker.expect`; the
simulation's from its work, the others as long as the stages so far took on average); each event
moves ``overall`` by the share of what was left that the time since the last event did. It is
exact when the forecasts are, never goes back when they change, and is 1.0 at the end. Stages
named in ``forecast=`` wait for theirs: until then ``overall`` is 0.

>>> stop = threading.Event(); stop.set()
>>> Tracker(None, stop).check()
Traceback (most recent call last):
...
orgmodel.run.progress.Cancelled: cancelled
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol, Union, runtime_checkable

from orgmodel.errors import OrgModelError

__all__ = ["Progress", "Stage", "STAGES", "Cancelled", "CancelFlag", "ProgressCallback", "Tracker"]

Stage = Literal["load", "baseline", "run", "evaluate", "simulate", "write", "report", "pack"]

#: The stages of a run, in order, with what each does.
STAGES: dict[str, str] = {
    "load": "read and validate the scenario file",
    "baseline": "read the rosters and build the baseline structure",
    "run": "propose and apply every step of every variant (one event per step)",
    "evaluate": "measure metrics and check rules on the baseline and every variant",
    "simulate": "simulate each variant over time (one event as replications finish, with the time left)",
    "write": "write the results folder",
    "report": "write the report and its diagrams",
    "pack": "write the implementation pack of one variant",
}


@dataclass(frozen=True)
class Progress:
    """One progress event: ``done`` of ``total`` units of work of ``stage`` finished.

    ``total`` is at least 1; ``done == total`` marks the end of the stage. ``message`` says what
    was just done or is being done (a variant and step, a folder). ``seconds_left`` estimates the
    time the stage still needs, where it can be told (the simulation's replications), else None.
    ``overall`` is the share of the whole call done, weighted by the time each stage takes
    (None when the caller did not say which stages it goes through).
    """

    stage: Stage
    done: int
    total: int
    message: str = ""
    seconds_left: float | None = field(default=None, repr=False)
    overall: float | None = field(default=None, repr=False, compare=False)  # share of the whole call done

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

    def __init__(self, progress: ProgressCallback = None, cancel: CancelFlag = None, *,
                 stages: Sequence[Stage] | None = None, forecast: Sequence[Stage] = ()) -> None:
        if cancel is not None and not isinstance(cancel, _EventLike) and not callable(cancel):
            raise TypeError("cancel must have is_set() (a threading.Event) or be a callable returning bool")
        self._progress = progress
        self._cancel = cancel
        self._stages = list(stages) if stages else None
        self._began = time.perf_counter()
        self._started: dict[str, float] = {}
        self._finished: dict[str, float] = {}
        self._expected: dict[str, float] = {}
        self._overall = 0.0
        self._last = self._began
        self._awaiting = set(forecast)  # planned stages whose forecast (expect) is still to come

    def plan(self, stages: Sequence[Stage]) -> None:
        """Say again which stages the call goes through (once it knows, e.g. whether it simulates)."""
        self._stages = list(stages)

    def forward(self, event: Progress) -> None:
        """Pass on an event sent by other work (the engine's steps) with ``overall`` set."""
        if self._progress is not None:
            overall = self._weigh(event)
            self._progress(event if overall is None else replace(event, overall=overall))

    def expect(self, stage: Stage, seconds: float) -> None:
        """Say how long ``stage`` is expected to take before it starts (weights ``overall``)."""
        self._expected[stage] = max(0.0, float(seconds))
        self._awaiting.discard(stage)

    def _weigh(self, event: Progress) -> float | None:
        """The share of the whole call done at ``event`` (see the module docstring).

        >>> t = Tracker(stages=["load", "simulate", "write"])
        >>> t.expect("simulate", 1e6)
        >>> round(t._weigh(Progress("load", 1, 1)), 3)  # a quick stage done, a long one to come
        0.0
        >>> t._weigh(Progress("write", 1, 1))
        1.0
        """
        if self._stages is None or event.stage not in self._stages:
            return None
        now = time.perf_counter()
        self._started.setdefault(event.stage, now)
        if event.done >= event.total:
            self._finished.setdefault(event.stage, now)
        if self._awaiting & set(self._stages):
            return 0.0  # too early to weigh: the time from the start counts once the forecast is in
        took = [self._finished[s] - self._started[s] for s in self._finished if s not in self._expected]
        typical = min(5.0, max(0.05, sum(took) / len(took))) if took else 0.5
        spent = now - self._started[event.stage]
        if event.done >= event.total:
            left = 0.0
        elif event.seconds_left is not None:
            left = event.seconds_left
        elif event.stage in self._expected:
            left = max(self._expected[event.stage] - spent, 0.1 * self._expected[event.stage])
        elif event.done > 0:
            left = spent * (event.total - event.done) / event.done
        else:
            left = typical
        after = self._stages[self._stages.index(event.stage) + 1:]  # those before it and never begun: skipped
        later = sum(self._expected.get(s, typical) for s in after if s not in self._started)
        # the share of what was left at the last event that the time since has done: exact when the
        # forecasts are, never going back when they change, and 1.0 when nothing is left
        step = now - self._last
        self._last = now
        remaining = left + later
        if remaining <= 0:
            self._overall = 1.0
        elif step > 0:
            self._overall += (1.0 - self._overall) * step / (step + remaining)
        return self._overall

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

    def send(self, stage: Stage, done: int, total: int, message: str = "", *, check: bool = True,
             seconds_left: float | None = None) -> None:
        """Send one event (``total`` is raised to at least 1), then check the cancel flag unless
        ``check`` is False (the work is already complete)."""
        if self._progress is not None:
            event = Progress(stage, done, max(1, total), message, seconds_left)
            overall = self._weigh(event)
            self._progress(event if overall is None else replace(event, overall=overall))
        if check:
            self.check()
