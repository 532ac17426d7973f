"""One replication: a variant's state stepped through every period, checked and observed each time.

The series of one replication is a float array of shape ``(periods + 1, metrics)``: row 0 is the
state at the start, row ``p`` the state after period ``p``. Its columns are the core's own
(:data:`CORE_METRICS`), then the model's metrics, then one column per tracked rule
(``rule.<id>``: units breaking it, NaN when it cannot be checked).

After every period the engine checks, independently of the model, that no member was lost:
member rows never decrease; a member who left is never active again; every member who stopped
being active left through ``remove_members`` (``left`` set to this period, a reason given); the
active count moved by exactly those who joined and those who left; every active member's
branch is a live unit that holds members. A breach raises :class:`SimulationInvariantError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from orgmodel.errors import InvariantError
from orgmodel.plugin.strategy import seed_for
from orgmodel.simulate.behaviour import BehaviourModel, ModelContext, SeriesMetric
from orgmodel.simulate.rules import RuleTracker
from orgmodel.simulate.state import SimState

__all__ = ["VariantInput", "CORE_METRICS", "metric_names", "run_replication", "replication_seed",
           "SimulationInvariantError", "check_period"]

CORE_METRICS = (
    SeriesMetric("members.active", "在册党员", "active members", "人", "none"),
    SeriesMetric("members.joined", "累计新增党员", "members joined (cumulative)", "人", "none"),
    SeriesMetric("members.left", "累计减少党员", "members left (cumulative)", "人", "none"),
)


class SimulationInvariantError(InvariantError):
    """A behaviour model broke the state's contract (a member lost, a left member back, ...)."""


@dataclass(frozen=True)
class VariantInput:
    """What a worker needs to simulate one variant: its start state and its rule tracker."""

    name: str
    state: SimState
    tracker: RuleTracker


def metric_names(model: BehaviourModel, tracker: RuleTracker) -> list[str]:
    """Column names of a replication's series."""
    return [m.name for m in CORE_METRICS] + [m.name for m in model.metrics] + [f"rule.{r}" for r in tracker.rule_ids]


def replication_seed(base_seed: int, variant: str, replication: int) -> int:
    """The seed of one replication: a stable hash of (base seed, variant, replication).

    The same on every machine, process and executor; adding a variant or a replication changes
    no other replication's numbers; every sweep point uses the same seeds (common random
    numbers, so that differences between points come from the parameters, not the draws).
    """
    return seed_for(base_seed, "simulate", variant, replication)


def run_replication(inp: VariantInput, model: BehaviourModel, params: Any, *, periods: int, seed: int,
                    context: ModelContext | None = None) -> np.ndarray:
    """Simulate one replication of one variant; the series array (periods + 1, metrics)."""
    state = inp.state.copy()
    context = context or ModelContext(variant=inp.name)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    model.prepare(state, params, context)
    names = [m.name for m in model.metrics]
    out = np.full((periods + 1, len(CORE_METRICS) + len(names) + len(inp.tracker.rule_ids)), np.nan)
    out[0] = _observe(state, model, params, inp.tracker, names, 0, 0)
    joined = left = 0
    for period in range(1, periods + 1):
        before_active = state.members["active"].copy()
        before_n = state.n_members
        state.period = period
        model.step(state, rng, period, params)
        new, gone = check_period(state, before_active, before_n, model=model.name, variant=inp.name, period=period)
        joined += new
        left += gone
        out[period] = _observe(state, model, params, inp.tracker, names, joined, left)
    return out


def _observe(state: SimState, model: BehaviourModel, params: Any, tracker: RuleTracker, names: list[str],
             joined: int, left: int) -> np.ndarray:
    values = model.observe(state, params)
    missing = [n for n in names if n not in values]
    if missing:
        raise SimulationInvariantError(f"behaviour model {model.name} did not report {', '.join(missing)}")
    core = [float(state.members["active"].sum()), float(joined), float(left)]
    return np.concatenate([core, [float(values[n]) for n in names], tracker.breaches(state)])


def check_period(state: SimState, before_active: np.ndarray, before_n: int, *, model: str, variant: str,
                 period: int) -> tuple[int, int]:
    """Check that no member was lost in ``period``; returns (members who joined, members who left)."""
    m = state.members

    def fail(message: str) -> SimulationInvariantError:
        return SimulationInvariantError(f"behaviour model {model}, variant {variant}, period {period}: {message}")

    if state.n_members < before_n:
        raise fail(f"member rows went from {before_n} to {state.n_members}: rows are never deleted")
    active = m["active"]
    changed = np.flatnonzero(active[:before_n] != before_active)
    back = changed[active[changed]]
    if len(back):
        raise fail(f"{len(back)} member(s) who had left are active again, e.g. {state.member_id(int(back[0]))}")
    gone = changed  # every change is now a departure
    unrecorded = gone[(m["left"][gone] != period) | (m["left_reason"][gone] <= 0)]
    if len(unrecorded):
        raise fail(f"{len(unrecorded)} member(s) vanished without leaving (use remove_members),"
                   f" e.g. {state.member_id(int(unrecorded[0]))}")
    if before_n < state.n_members and (m["joined"][before_n:] != period).any():
        raise fail("members were added without add_members")
    joined = int(active[before_n:].sum())
    left = len(gone)
    branch = m["branch"]
    ok = (branch >= 0) & (branch < state.n_units)
    homeless = active & ~state.units["is_branch"][np.where(ok, branch, 0)] | (active & ~ok)
    if homeless.any():
        bad = np.flatnonzero(homeless)
        raise fail(f"{len(bad)} active member(s) without a live branch, e.g. {state.member_id(int(bad[0]))}")
    return joined, left
