"""Where replications run: serially, on a local process pool, or on a Dask cluster.

Work is cut into tasks of consecutive replications of one variant at one sweep point. A task's
numbers depend only on its replications' seeds, never on the executor, the chunking or the order
tasks finish in, so every executor gives the same arrays (a test compares them). Each executor
reports progress (replications done, total) as tasks finish and checks ``cancel()`` between
tasks; on cancellation the pending tasks are dropped and :class:`SimulationCancelled` is raised
before anything is written.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import numpy as np

from orgmodel.errors import OrgModelError, UserError
from orgmodel.simulate.replicate import VariantInput, replication_seed, run_replication

__all__ = ["Task", "Payload", "SimulationCancelled", "run_tasks", "EXECUTORS", "default_workers"]

EXECUTORS = ("serial", "processes", "dask")
Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


class SimulationCancelled(OrgModelError):
    """The caller cancelled the simulation; nothing was written."""


@dataclass(frozen=True)
class Task:
    """Replications ``start`` to ``stop`` (exclusive) of variant ``variant`` at sweep point ``point``."""

    point: int
    variant: int
    start: int
    stop: int


@dataclass(frozen=True)
class Payload:
    """Everything every task needs, shipped to each worker once."""

    inputs: tuple[VariantInput, ...]
    model: Any
    params: tuple[Any, ...]  # validated Params, one per sweep point
    periods: int
    base_seed: int
    slots: tuple[tuple[int, ...], ...] | None = None  # [point][variant] -> index into inputs; None: the variant's

    def input(self, point: int, variant: int) -> VariantInput:
        """The start state and rule tracker of a variant at a sweep point."""
        return self.inputs[variant if self.slots is None else self.slots[point][variant]]


def run_task(payload: Payload, task: Task) -> np.ndarray:
    """The series of a task's replications: shape (replications, periods + 1, metrics)."""
    inp = payload.input(task.point, task.variant)
    return np.stack([
        run_replication(inp, payload.model, payload.params[task.point], periods=payload.periods,
                        seed=replication_seed(payload.base_seed, inp.name, r))
        for r in range(task.start, task.stop)
    ])


def default_workers() -> int:
    """Every core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_tasks(payload: Payload, tasks: Sequence[Task], *, executor: str = "processes", workers: int | None = None,
              scheduler: str | None = None, progress: Progress | None = None,
              cancel: Cancel | None = None) -> list[np.ndarray]:
    """Run ``tasks`` on ``executor``; results in task order."""
    if executor not in EXECUTORS:
        raise UserError(f"unknown executor {executor!r} (one of: {', '.join(EXECUTORS)})")
    total = sum(t.stop - t.start for t in tasks)
    tracker = _Tracker(total, progress, cancel)
    if executor == "serial" or (executor == "processes" and (workers or default_workers()) == 1):
        return _serial(payload, tasks, tracker)
    if executor == "processes":
        return _processes(payload, tasks, workers or default_workers(), tracker)
    return _dask(payload, tasks, scheduler, tracker)


class _Tracker:
    def __init__(self, total: int, progress: Progress | None, cancel: Cancel | None) -> None:
        self.total, self.done = total, 0
        self.progress, self.cancel = progress, cancel
        self.report(0)

    def report(self, n: int) -> None:
        self.done += n
        if self.progress is not None:
            self.progress(self.done, self.total)

    def cancelled(self) -> bool:
        return self.cancel is not None and bool(self.cancel())


def _serial(payload: Payload, tasks: Sequence[Task], tracker: _Tracker) -> list[np.ndarray]:
    out = []
    for task in tasks:
        if tracker.cancelled():
            raise SimulationCancelled("simulation cancelled")
        out.append(run_task(payload, task))
        tracker.report(task.stop - task.start)
    return out


_WORKER_PAYLOAD: Payload | None = None


def _init_worker(blob: bytes) -> None:
    global _WORKER_PAYLOAD
    _WORKER_PAYLOAD = pickle.loads(blob)


def _worker_task(task: Task) -> np.ndarray:
    assert _WORKER_PAYLOAD is not None
    return run_task(_WORKER_PAYLOAD, task)


def _processes(payload: Payload, tasks: Sequence[Task], workers: int, tracker: _Tracker) -> list[np.ndarray]:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    blob = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    results: dict[int, np.ndarray] = {}
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)) or 1, mp_context=context,
                               initializer=_init_worker, initargs=(blob,))
    try:
        futures = {pool.submit(_worker_task, task): i for i, task in enumerate(tasks)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                i = futures[future]
                results[i] = future.result()
                tracker.report(tasks[i].stop - tasks[i].start)
            if pending and tracker.cancelled():
                for future in pending:
                    future.cancel()
                raise SimulationCancelled("simulation cancelled")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [results[i] for i in range(len(tasks))]


def _dask(payload: Payload, tasks: Sequence[Task], scheduler: str | None, tracker: _Tracker) -> list[np.ndarray]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise UserError("executor dask needs the optional extra: pip install 'orgmodel[dask]'") from None
    if not scheduler:
        raise UserError("executor dask needs a scheduler address (--scheduler ADDRESS or simulation.scheduler)")
    try:
        client = Client(scheduler, timeout="10s")
    except OSError as exc:
        raise UserError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        shared = client.scatter(payload, broadcast=True, hash=False)
        futures = [client.submit(run_task, shared, task, pure=False) for task in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        results: dict[int, np.ndarray] = {}
        for future in as_completed(futures):
            i = index[future.key]
            results[i] = future.result()
            tracker.report(tasks[i].stop - tasks[i].start)
            if len(results) < len(tasks) and tracker.cancelled():
                client.cancel([f for f in futures if index[f.key] not in results])
                raise SimulationCancelled("simulation cancelled")
        return [results[i] for i in range(len(tasks))]
    finally:
        client.close()
