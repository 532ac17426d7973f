"""Benchmark: one member-behaviour model written three ways, side by side, and the large community.

The model (the same in all three): each month, branch sizes are recomputed from the active
members; then every active member ages by a month, may die (Gompertz hazard) or move away, may
start or stop working away (mobile), may recruit a new member into their branch and team if they
take part in a team, and attends the month's meeting with a chance that falls with branch size and
is lower for mobile and mobility-limited members and higher for team members. One simulated year.

1. **Mesa**, idiomatic: one ``Agent`` per member, ``model.agents.shuffle_do("step")`` each month
   (needs the ``bench`` extra: ``pip install 'orgmodel[bench]'``);
2. **bare numpy**: the same rules as column operations in a plain function;
3. **orgmodel**: the same rules as a ``BehaviourModel`` run by the simulation engine
   (``run_replication``: state copy, the no-member-lost check and observation every period).

It checks that the three agree in distribution (active members and attendance after a year, over
several replications at the smallest size), then times one replication of each at every size and
prints the ratios; rosters come from ``orgmodel_party.population.generate`` (via bench_build).
``--large-community`` also times the party model on scenarios/large-community (every variant,
200 replications, 3 years) on the process pool, with the CPU seconds of the pool's workers.

Usage: ``python benchmarks/bench_simulate.py [--sizes 10000 100000 1000000] [--large-community]``.
Writes ``benchmarks/results/simulate.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from bench_build import write_roster  # noqa: E402

MONTHS = 12
START = dt.date(2024, 6, 30)
MORT_A, MORT_B = 3.7e-5, 0.093  # yearly Gompertz hazard
LEAVE = 1 - (1 - 0.01) ** (1 / 12)
MOBILE_ON = 1 - (1 - 0.01) ** (1 / 12)
MOBILE_OFF = 1 - (1 - 0.25) ** (1 / 12)
RECRUIT = 0.002  # per team member per month
BASE, REF, PENALTY = 0.8, 30.0, 0.35
TEAM_BONUS, MOBILE_F, IMMOBILE_F = 1.1, 0.1, 0.15
RECRUIT_AGE = 30.0


def death_prob(age: np.ndarray | float) -> np.ndarray | float:
    """Monthly chance of death at ``age`` (yearly Gompertz hazard spread over 12 months)."""
    hazard = np.minimum(1.0, MORT_A * np.exp(MORT_B * np.asarray(age)))
    return 1 - (1 - hazard) ** (1 / 12)


def death_prob_scalar(age: float) -> float:
    """:func:`death_prob` for one member, in plain Python (as an agent would write it)."""
    return 1 - (1 - min(1.0, MORT_A * math.exp(MORT_B * age))) ** (1 / 12)


def attend_prob_scalar(size: int, in_team: bool, mobile: bool, immobile: bool) -> float:
    """:func:`attend_prob` for one member, in plain Python."""
    p = BASE / (1.0 + PENALTY * math.log2(max(size / REF, 1.0)))
    p *= TEAM_BONUS if in_team else 1.0
    p *= MOBILE_F if mobile else 1.0
    p *= IMMOBILE_F if immobile else 1.0
    return min(p, 1.0)


def attend_prob(size: np.ndarray | float, in_team, mobile, immobile):  # type: ignore[no-untyped-def]
    factor = 1.0 / (1.0 + PENALTY * np.log2(np.maximum(np.asarray(size, dtype=float) / REF, 1.0)))
    p = BASE * factor * np.where(in_team, TEAM_BONUS, 1.0)
    p = p * np.where(mobile, MOBILE_F, 1.0) * np.where(immobile, IMMOBILE_F, 1.0)
    return np.minimum(p, 1.0)


# -- the population, as plain arrays --------------------------------------------------------------


def population(structure) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """Columns of the simplified model from a Structure: branch, age, mobile, immobile, team."""
    from orgmodel.simulate.state import SimState

    state = SimState.from_structure(structure, start=START, team_kinds=("party.team",))
    m = state.members
    team = np.full(state.n_members, -1, dtype=np.int64)
    e = state.edges
    first = np.unique(e["member"], return_index=True)
    team[first[0]] = e["team"][first[1]]
    return {"branch": m["branch"].astype(np.int64), "age": m["age"].copy(), "mobile": m["mobile"].copy(),
            "immobile": m["mobility_limited"].copy(), "team": team, "n_units": np.array(state.n_units)}


# -- 1. bare numpy --------------------------------------------------------------------------------


def run_numpy(pop: dict[str, np.ndarray], seed: int) -> tuple[float, float]:
    """One year; returns (active members at the end, attendance in the last month)."""
    rng = np.random.default_rng(seed)
    branch, age, team = pop["branch"].copy(), pop["age"].copy(), pop["team"].copy()
    mobile, immobile = pop["mobile"].copy(), pop["immobile"].copy()
    active = np.ones(len(branch), dtype=bool)
    n_units = int(pop["n_units"])
    attendance = 0.0
    for _ in range(MONTHS):
        sizes = np.bincount(branch[active], minlength=n_units)
        idx = np.flatnonzero(active)
        age[idx] += 1 / 12
        gone = rng.random(len(idx)) < death_prob(age[idx])
        gone |= rng.random(len(idx)) < LEAVE
        active[idx[gone]] = False
        idx = idx[~gone]
        draw = rng.random(len(idx))
        mob = mobile[idx]
        mobile[idx] = np.where(mob, draw >= MOBILE_OFF, draw < MOBILE_ON)
        recruiters = idx[(team[idx] >= 0) & (rng.random(len(idx)) < RECRUIT)]
        p = attend_prob(sizes[branch[idx]], team[idx] >= 0, mobile[idx], immobile[idx])
        attended = rng.random(len(idx)) < p
        attendance = attended.mean() if len(idx) else 0.0
        k = len(recruiters)
        branch = np.concatenate([branch, branch[recruiters]])
        team = np.concatenate([team, team[recruiters]])
        age = np.concatenate([age, np.full(k, RECRUIT_AGE)])
        mobile = np.concatenate([mobile, np.zeros(k, dtype=bool)])
        immobile = np.concatenate([immobile, np.zeros(k, dtype=bool)])
        active = np.concatenate([active, np.ones(k, dtype=bool)])
    return float(active.sum()), float(attendance)


# -- 2. idiomatic Mesa ------------------------------------------------------------------------------


def mesa_model(pop: dict[str, np.ndarray], seed: int):  # type: ignore[no-untyped-def]
    import mesa

    class Member(mesa.Agent):
        def __init__(self, model, branch, age, mobile, immobile, team):  # type: ignore[no-untyped-def]
            super().__init__(model)
            self.branch, self.age, self.mobile, self.immobile, self.team = branch, age, mobile, immobile, team

        def step(self) -> None:
            model = self.model
            self.age += 1 / 12
            if self.random.random() < death_prob_scalar(self.age) or self.random.random() < LEAVE:
                self.remove()
                return
            if self.mobile:
                self.mobile = self.random.random() >= MOBILE_OFF
            else:
                self.mobile = self.random.random() < MOBILE_ON
            if self.team >= 0 and self.random.random() < RECRUIT:
                model.recruits.append((self.branch, self.team))
            size = model.branch_sizes[self.branch]
            p = attend_prob_scalar(size, self.team >= 0, self.mobile, self.immobile)
            model.present += 1
            if self.random.random() < p:
                model.attended += 1

    class Community(mesa.Model):
        def __init__(self, pop, seed):  # type: ignore[no-untyped-def]
            super().__init__(seed=seed)
            for b, a, mo, im, t in zip(pop["branch"].tolist(), pop["age"].tolist(), pop["mobile"].tolist(),
                                       pop["immobile"].tolist(), pop["team"].tolist(), strict=True):
                Member(self, b, a, mo, im, t)
            self.attendance = 0.0

        def step(self) -> None:
            self.branch_sizes = Counter(agent.branch for agent in self.agents)
            self.attended = self.present = 0
            self.recruits = []
            self.agents.shuffle_do("step")
            for branch, team in self.recruits:
                Member(self, branch, RECRUIT_AGE, False, False, team)
            self.attendance = self.attended / self.present if self.present else 0.0

    return Community(pop, seed)


def run_mesa(model) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    for _ in range(MONTHS):
        model.step()
    return float(len(model.agents)), float(model.attendance)


# -- 3. orgmodel ----------------------------------------------------------------------------------


def orgmodel_model():  # type: ignore[no-untyped-def]
    from orgmodel import LEFT_MOVED, BehaviourModel, SeriesMetric

    class Simple(BehaviourModel):
        name = "bench-simple"
        metrics = (SeriesMetric("attendance", "出席率", "attendance"),)
        team_kinds = ("party.team",)

        def prepare(self, state, params, context):  # type: ignore[no-untyped-def]
            e = state.edges
            team = np.full(state.n_members, -1, dtype=np.int32)
            first = np.unique(e["member"], return_index=True)
            team[first[0]] = e["team"][first[1]]
            state.members.add_column("team", np.int32, -1)
            state.members["team"] = team
            state.scratch["attendance"] = 0.0

        def step(self, state, rng, period, params):  # type: ignore[no-untyped-def]
            m = state.members
            branch = m["branch"]
            sizes = np.bincount(branch[m["active"]], minlength=state.n_units)
            idx = np.flatnonzero(m["active"])
            age = m["age"]
            age[idx] += 1 / 12
            gone = rng.random(len(idx)) < death_prob(age[idx])
            gone |= rng.random(len(idx)) < LEAVE
            state.remove_members(idx[gone], LEFT_MOVED)
            idx = idx[~gone]
            draw = rng.random(len(idx))
            mobile = m["mobile"]
            mobile[idx] = np.where(mobile[idx], draw >= MOBILE_OFF, draw < MOBILE_ON)
            team = m["team"]
            recruiters = idx[(team[idx] >= 0) & (rng.random(len(idx)) < RECRUIT)]
            p = attend_prob(sizes[branch[idx]], team[idx] >= 0, mobile[idx], m["mobility_limited"][idx])
            attended = rng.random(len(idx)) < p
            state.scratch["attendance"] = float(attended.mean()) if len(idx) else 0.0
            state.add_members(len(recruiters), branch=branch[recruiters], team=team[recruiters],
                              age=RECRUIT_AGE, status=0)

        def observe(self, state, params):  # type: ignore[no-untyped-def]
            return {"attendance": state.scratch["attendance"]}

    return Simple()


def run_orgmodel(inp, model, seed: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    from orgmodel.simulate.replicate import run_replication

    series = run_replication(inp, model, model.Params(), periods=MONTHS, seed=seed)
    return float(series[-1, 0]), float(series[-1, 3])


# -- the comparison ----------------------------------------------------------------------------


def _agree(name: str, a: list[tuple[float, float]], b: list[tuple[float, float]]) -> dict:
    """Means of active members and attendance within 4 standard errors of each other."""
    out = {}
    for k, label in enumerate(("active", "attendance")):
        x, y = np.array([r[k] for r in a]), np.array([r[k] for r in b])
        se = math.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y)) or 1e-12
        z = abs(x.mean() - y.mean()) / se
        out[label] = {"mean_reference": float(x.mean()), f"mean_{name}": float(y.mean()), "z": float(z),
                      "agree": bool(z < 4)}
    return out


def _time(fn) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def _cpu(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(wall seconds, CPU seconds of this process) of one call: on a shared machine CPU time is the
    fairer comparison, since wall time includes waiting for other people's processes."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--replications", type=int, default=12, help="replications of the agreement check")
    parser.add_argument("--no-mesa", action="store_true", help="skip Mesa (not installed or too slow here)")
    parser.add_argument("--large-community", action="store_true")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)

    from orgmodel.analysis.rulebook import RuleBook
    from orgmodel.io.loader import build_baseline, load_scenario
    from orgmodel.plugin.host import PluginHost
    from orgmodel.simulate.replicate import VariantInput
    from orgmodel.simulate.rules import RuleTracker
    from orgmodel.simulate.state import SimState

    host = PluginHost()
    model = orgmodel_model()
    rows, agreement = [], {}
    for i, n in enumerate(sorted(args.sizes)):
        with tempfile.TemporaryDirectory() as tmp:
            structure = build_baseline(load_scenario(write_roster(Path(tmp), n)), host)
        pop = population(structure)
        inp = VariantInput("bench", SimState.from_structure(structure, start=START, team_kinds=model.team_kinds),
                           RuleTracker(structure, RuleBook()))
        if i == 0:  # agreement in distribution at the smallest size
            reps = range(args.replications)
            np_runs = [run_numpy(pop, 100 + r) for r in reps]
            om_runs = [run_orgmodel(inp, model, 100 + r) for r in reps]
            agreement["orgmodel_vs_numpy"] = _agree("orgmodel", np_runs, om_runs)
            if not args.no_mesa:
                mesa_runs = [run_mesa(mesa_model(pop, 100 + r)) for r in reps]
                agreement["mesa_vs_numpy"] = _agree("mesa", np_runs, mesa_runs)
        t_np, c_np = _cpu(lambda: run_numpy(pop, 1))
        t_om, c_om = _cpu(lambda: run_orgmodel(inp, model, 1))
        row = {"members": n, "numpy_s": t_np, "orgmodel_s": t_om, "numpy_cpu_s": c_np, "orgmodel_cpu_s": c_om,
               "orgmodel_over_numpy_cpu": c_om / c_np}
        if not args.no_mesa:
            t_build, mm = _time(lambda: mesa_model(pop, 1))
            t_mesa, c_mesa = _cpu(lambda: run_mesa(mm))
            row.update({"mesa_build_s": t_build, "mesa_s": t_mesa, "mesa_cpu_s": c_mesa,
                        "mesa_over_orgmodel_cpu": c_mesa / c_om})
        rows.append(row)
        print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()), flush=True)
    result: dict = {"one_year": rows, "agreement": agreement, "cpus": os.cpu_count(),
                    "load_average": os.getloadavg()}
    if args.large_community:
        result["large_community"] = large_community(host, args.workers)
        print(result["large_community"], flush=True)
    print(json.dumps(agreement, indent=1))
    out = Path(__file__).parent / "results" / "simulate.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


def large_community(host, workers: int | None) -> dict:  # type: ignore[no-untyped-def]
    """The party model on the large community: every variant, 200 replications, 3 years, process pool.

    Wall seconds of the whole simulation on the pool; CPU seconds of the pool's workers (reaped
    children, ``RUSAGE_CHILDREN``) and of this process; CPU seconds per replication measured
    serially on 8 replications of each variant; and, from those, the CPU time the issue's target
    case (4 variants x 200 replications) needs over 2 cores.
    """
    import resource

    from orgmodel.analysis.rulebook import rule_book_for
    from orgmodel.io.loader import load_scenario
    from orgmodel.run.engine import Engine
    from orgmodel.simulate import SimulationSpec, simulate

    scenario = load_scenario(Path(__file__).parents[1] / "scenarios" / "large-community" / "scenario.yaml")
    run = Engine(host).run(scenario)
    structures = {v.name: v.structure for v in run.variants}
    rules = rule_book_for(scenario, host)
    spec = SimulationSpec(horizon_years=3, replications=200, executor="processes", workers=workers)
    t, cpu = _cpu(lambda: simulate(structures, spec.model_copy(update={"executor": "serial", "replications": 8}),
                                   start=scenario.spec.as_of, plugins=host, rules=rules,
                                   scenario_seed=scenario.spec.seed))
    cpu_per_replication = cpu / (8 * len(structures))
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    c0 = time.process_time()
    t, result = _time(lambda: simulate(structures, spec, start=scenario.spec.as_of, plugins=host, rules=rules,
                                       scenario_seed=scenario.spec.seed))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    replications = 200 * len(structures)
    return {"variants": list(structures), "replications": 200, "years": 3, "seconds": t,
            "workers_cpu_s": workers_cpu, "parent_cpu_s": time.process_time() - c0,
            "workers_cpu_s_per_replication": workers_cpu / replications,
            "cpu_s_per_replication": cpu_per_replication,
            "cpu_s_all_replications_over_2_cores": cpu_per_replication * replications / 2,
            "cpu_s_4_variants_over_2_cores": cpu_per_replication * 200 * 4 / 2,
            "workers": workers or len(os.sched_getaffinity(0)), "load_average": os.getloadavg()}


if __name__ == "__main__":
    main()
