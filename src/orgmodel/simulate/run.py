"""The front function: simulate variants' structures over time, every replication, every sweep point.

>>> import datetime as dt
>>> from orgmodel.testing_data import tiny_structure
>>> from orgmodel.simulate.behaviour import BehaviourModel, SeriesMetric
>>> from orgmodel.simulate.state import LEFT_MOVED
>>> class Leaving(BehaviourModel):
...     name = "leaving"
...     metrics = (SeriesMetric("share", "在册比例", "share still here", "%", "higher"),)
...     def step(self, state, rng, period, params):
...         active = np.flatnonzero(state.members["active"])
...         state.remove_members(active[rng.random(len(active)) < 0.05], LEFT_MOVED)
...     def observe(self, state, params):
...         return {"share": 100 * state.members["active"].mean()}
>>> spec = SimulationSpec(horizon_years=1, replications=20, executor="serial")
>>> result = simulate({"now": tiny_structure()}, spec, model=Leaving(), start=dt.date(2024, 1, 1))
>>> mean, lo, hi = result.band("now", "share")
>>> len(mean), float(mean[0]), bool(lo[-1] <= mean[-1] <= hi[-1] < 100)
(13, 100.0, True)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from orgmodel.analysis.rulebook import RuleBook
from orgmodel.errors import UserError
from orgmodel.model.structure import Structure
from orgmodel.simulate.behaviour import BehaviourModel, ModelContext
from orgmodel.simulate.executors import Payload, Task, default_workers, run_tasks
from orgmodel.simulate.replicate import CORE_METRICS, VariantInput
from orgmodel.simulate.result import SimulationResult
from orgmodel.simulate.rules import RuleTracker
from orgmodel.simulate.spec import SimulationSpec, check_model_params, strategy_key, sweep_grid
from orgmodel.simulate.state import SimState

__all__ = ["simulate", "prepare_inputs", "plan_tasks", "behaviour_model", "expected_seconds",
           "SECONDS_PER_MEMBER_PERIOD"]

#: CPU seconds one member takes through one monthly period of the party model, replication overhead
#: included: 0.107 s per replication of the large community (6,500 members, 36 months) measured
#: serially on a shared 2-core machine (benchmarks/bench_simulate.py --large-community), rounded up.
#: Only used to tell a progress bar, before the first replications finish, how long to expect.
SECONDS_PER_MEMBER_PERIOD = 5e-7


def behaviour_model(name: str, plugins=None) -> BehaviourModel:  # type: ignore[no-untyped-def]
    """The registered behaviour model called ``name`` (a UserError lists the names there are)."""
    from orgmodel.plugin.host import PluginHost

    host = plugins if plugins is not None else PluginHost()
    return host.behaviour_models().get(name)


def prepare_inputs(structures: Mapping[str, Structure], model: BehaviourModel, *, start: dt.date,
                   months_per_period: int = 1, rules: RuleBook | None = None,
                   approvals: Sequence[tuple[str, str]] = ()) -> tuple[VariantInput, ...]:
    """Each variant's start state and rule tracker, in the order given."""
    book = rules or RuleBook()
    return tuple(
        VariantInput(name, SimState.from_structure(s, start=start, team_kinds=model.team_kinds,
                                                   months_per_period=months_per_period),
                     RuleTracker(s, book, approvals=approvals))
        for name, s in structures.items()
    )


def plan_tasks(points: int, variants: int, replications: int, *, chunk: int | None = None,
               workers: int = 1, cells: Sequence[tuple[int, int]] | None = None) -> list[Task]:
    """Cut the work into tasks of consecutive replications (at least 4 tasks per worker when possible).

    ``cells`` are the (point, variant) pairs to simulate (default: every one).

    >>> [(t.variant, t.start, t.stop) for t in plan_tasks(1, 2, 5, chunk=3)]
    [(0, 0, 3), (0, 3, 5), (1, 0, 3), (1, 3, 5)]
    """
    if cells is None:
        cells = [(p, v) for p in range(points) for v in range(variants)]
    if chunk is None:
        chunk = max(1, math.ceil(len(cells) * replications / (4 * max(workers, 1)) / max(len(cells), 1)))
    return [Task(p, v, r, min(r + chunk, replications)) for p, v in cells for r in range(0, replications, chunk)]


def expected_seconds(structures: Mapping[str, Structure], spec: SimulationSpec, *, workers: int = 1) -> float:
    """A rough forecast of a simulation's wall time: members x periods x replications x sweep
    points, at :data:`SECONDS_PER_MEMBER_PERIOD`, over the workers.

    >>> from orgmodel.testing_data import tiny_structure
    >>> expected_seconds({"a": tiny_structure()}, SimulationSpec(replications=100), workers=2) > 0
    True
    """
    members = sum(len(s.members.ids) for s in structures.values())
    work = members * spec.periods * spec.months_per_period * spec.replications * len(sweep_grid(spec))
    return work * SECONDS_PER_MEMBER_PERIOD / max(1, workers)


def simulate(
    structures: Mapping[str, Structure],
    spec: SimulationSpec,
    *,
    start: dt.date,
    model: BehaviourModel | None = None,
    plugins=None,  # type: ignore[no-untyped-def]
    rules: RuleBook | None = None,
    approvals: Sequence[tuple[str, str]] = (),
    scenario_seed: int = 0,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    point_structures: Sequence[Mapping[str, Structure]] | None = None,
) -> SimulationResult:
    """Simulate each variant's structure ``spec.replications`` times at every sweep point.

    :param structures: variant name -> its structure (the baseline for a variant with no steps).
    :param spec: the scenario's ``simulation:`` key.
    :param start: the date the simulation starts (the scenario's ``as_of``).
    :param model: the behaviour model; default: ``spec.model`` from the plugins.
    :param rules: the rules in force (tracked each period); none by default.
    :param executor, workers, scheduler: override the spec's (e.g. from the command line).
    :param progress: called with (replications done, total) as work finishes.
    :param cancel: checked between tasks; when it returns True, :class:`SimulationCancelled`
        is raised and nothing is returned.
    :param point_structures: one mapping per sweep point (in the order of
        :func:`~orgmodel.simulate.spec.sweep_grid`) of the variants whose structure differs at
        that point (a sweep over strategy parameters, :func:`orgmodel.simulate.sweep.strategy_structures`).

    A (point, variant) whose structure and behaviour parameters are those of an earlier one is
    not simulated again: with the same seeds its numbers are the same, and they are copied.
    """
    if not structures:
        raise UserError("nothing to simulate: no variant")
    model = model if model is not None else behaviour_model(spec.model, plugins)
    params = tuple(check_model_params(model, spec))
    grid = sweep_grid(spec)
    if point_structures is not None and len(point_structures) != len(grid):
        raise UserError(f"{len(point_structures)} sets of structures given for {len(grid)} sweep points")
    inputs = prepare_inputs(structures, model, start=start, months_per_period=spec.months_per_period,
                            rules=rules, approvals=approvals)
    names = [i.name for i in inputs]
    slots, inputs = _slots(inputs, structures, point_structures, len(params), model, start=start,
                           months_per_period=spec.months_per_period, rules=rules, approvals=approvals)
    executor = executor or spec.executor
    workers = workers or spec.workers or default_workers()
    base_seed = spec.base_seed(scenario_seed)
    payload = Payload(inputs=inputs, model=model, params=params, periods=spec.periods, base_seed=base_seed,
                      slots=slots)
    same_params = _same_params(params)
    first: dict[tuple[int, int], tuple[int, int]] = {}  # (input, params) -> first (point, variant)
    copies: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for p in range(len(params)):
        for v in range(len(names)):
            key = (slots[p][v], same_params[p])
            if key in first:
                copies.append(((p, v), first[key]))
            else:
                first[key] = (p, v)
    tasks = plan_tasks(len(params), len(names), spec.replications, chunk=spec.chunk,
                       workers=1 if executor == "serial" else workers, cells=list(first.values()))
    chunks = run_tasks(payload, tasks, executor=executor, workers=workers, scheduler=scheduler or spec.scheduler,
                       progress=progress, cancel=cancel)
    n_metrics = chunks[0].shape[2]
    values = np.empty((len(params), len(names), spec.replications, spec.periods + 1, n_metrics))
    for task, block in zip(tasks, chunks, strict=True):
        values[task.point, task.variant, task.start:task.stop] = block
    for (p, v), (q, w) in copies:
        values[p, v] = values[q, w]
    rule_metrics = _rule_metrics(inputs[0].tracker)
    start_state = inputs[0].state
    dates = tuple(start_state.date(p).isoformat() for p in range(spec.periods + 1))
    return SimulationResult(
        variants=tuple(names),
        points=tuple(p.model_dump(mode="json") if not spec.sweep else
                     {k: (p.model_dump(mode="json")[k] if strategy_key(k) is None else v) for k, v in g.items()}
                     for p, g in zip(params, grid, strict=True)),
        metrics=tuple(CORE_METRICS) + tuple(model.metrics) + rule_metrics,
        dates=dates, values=values, interval=spec.interval, model=model.name, base_seed=base_seed,
    )


def _slots(inputs: tuple[VariantInput, ...], structures: Mapping[str, Structure],
           point_structures: Sequence[Mapping[str, Structure]] | None, points: int, model: BehaviourModel, *,
           start: dt.date, months_per_period: int, rules: RuleBook | None,
           approvals: Sequence[tuple[str, str]]) -> tuple[tuple[tuple[int, ...], ...], tuple[VariantInput, ...]]:
    """Which start state each (point, variant) simulates: slots[point][variant] -> index into the
    inputs, one input per distinct structure (by content; the given variants first)."""
    if point_structures is None:
        return tuple(tuple(range(len(inputs))) for _ in range(points)), inputs
    names = [i.name for i in inputs]
    known = {(name, structures[name].fingerprint): k for k, name in enumerate(names)}
    extra: list[VariantInput] = []
    slots = []
    for p in range(points):
        row = []
        for v, name in enumerate(names):
            structure = point_structures[p].get(name) or structures[name]
            key = (name, structure.fingerprint)
            if key not in known:
                known[key] = len(inputs) + len(extra)
                extra.extend(prepare_inputs({name: structure}, model, start=start,
                                            months_per_period=months_per_period, rules=rules, approvals=approvals))
            row.append(known[key])
        slots.append(tuple(row))
    return tuple(slots), inputs + tuple(extra)


def _same_params(params: Sequence[Any]) -> list[int]:
    """For each point, the first point with the same behaviour parameters."""
    seen: dict[str, int] = {}
    out = []
    for p, value in enumerate(params):
        key = value.model_dump_json()
        out.append(seen.setdefault(key, p))
    return out


def _rule_metrics(tracker: RuleTracker) -> tuple:  # type: ignore[type-arg]
    from orgmodel.simulate.behaviour import SeriesMetric

    return tuple(SeriesMetric(f"rule.{r.id}", r.title_zh, r.title_en, "个", "lower",
                              f"units breaking {r.id} ({r.severity}); {r.source}") for r in tracker.rules)
