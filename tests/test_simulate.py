"""Simulation: determinism, no member lost, executors agree, bad parameters refused, sweeps,
progress and cancellation, manifests and reruns."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict, Field

from orgmodel.analysis.rulebook import rule_book_for
from orgmodel.errors import SpecError, UserError
from orgmodel.io.loader import build_baseline, load_scenario
from orgmodel.plugin.host import PluginHost
from orgmodel.run.engine import Engine
from orgmodel.simulate import (
    LEFT_MOVED,
    BehaviourModel,
    SeriesMetric,
    SimulationCancelled,
    SimulationInvariantError,
    SimulationSpec,
    simulate,
)
from orgmodel.simulate.contract import BehaviourContractFailure, check_behaviour_model
from orgmodel.simulate.manifest import read_manifest, rerun, write_simulation
from orgmodel.simulate.spec import load_simulation
from orgmodel.simulate.state import SimState
from orgmodel.testing import contract_baselines

ROOT = Path(__file__).resolve().parents[1]
START = dt.date(2024, 6, 30)


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost()


@pytest.fixture(scope="module")
def kunyang(host: PluginHost):
    scenario = load_scenario(ROOT / "scenarios" / "kunyang" / "scenario.yaml")
    run = Engine(host).run(scenario)
    return scenario, {v.name: v.structure for v in run.variants}, rule_book_for(scenario, host)


def _run(kunyang, host, progress=None, cancel=None, **spec):
    scenario, structures, rules = kunyang
    spec = SimulationSpec(**{"horizon_years": 1, "replications": 6, "executor": "serial", **spec})
    return simulate(structures, spec, start=scenario.spec.as_of, plugins=host, rules=rules,
                    scenario_seed=scenario.spec.seed, progress=progress, cancel=cancel)


# -- determinism ------------------------------------------------------------------------------


def test_same_seeds_same_numbers_and_other_seeds_other_numbers(kunyang, host) -> None:
    a = _run(kunyang, host)
    b = _run(kunyang, host)
    assert np.array_equal(a.values, b.values, equal_nan=True)
    c = _run(kunyang, host, seed=99)
    assert not np.array_equal(a.values, c.values, equal_nan=True)


def test_a_replication_does_not_depend_on_how_many_there_are(kunyang, host) -> None:
    few = _run(kunyang, host, replications=3)
    many = _run(kunyang, host, replications=6, chunk=4)
    assert np.array_equal(few.values[:, :, :3], many.values[:, :, :3], equal_nan=True)


def test_executors_give_identical_results(kunyang, host) -> None:
    serial = _run(kunyang, host, executor="serial")
    pool = _run(kunyang, host, executor="processes", workers=2, chunk=2)
    assert np.array_equal(serial.values, pool.values, equal_nan=True)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = _run(kunyang, host, executor="dask", scheduler=cluster.scheduler_address, chunk=2)
    assert np.array_equal(serial.values, on_dask.values, equal_nan=True)


# -- no member lost ---------------------------------------------------------------------------


class _Vanishing(BehaviourModel):
    name = "vanishing"
    metrics = (SeriesMetric("n", "人数", "members"),)

    def step(self, state, rng, period, params):  # type: ignore[no-untyped-def]
        state.members["active"][0] = False  # leaves no trace: lost

    def observe(self, state, params):  # type: ignore[no-untyped-def]
        return {"n": float(state.members["active"].sum())}


class _Returning(_Vanishing):
    name = "returning"

    def step(self, state, rng, period, params):  # type: ignore[no-untyped-def]
        if period == 1:
            state.remove_members(np.array([0]), LEFT_MOVED)
        else:
            state.members["active"][0] = True


class _Homeless(_Vanishing):
    name = "homeless"

    def step(self, state, rng, period, params):  # type: ignore[no-untyped-def]
        state.add_members(1, branch=np.array([-1]), status=0)


@pytest.mark.parametrize(("model", "message"), [(_Vanishing(), "vanished without leaving"),
                                                 (_Returning(), "active again"),
                                                 (_Homeless(), "without a live branch")])
def test_a_lost_member_is_caught_in_the_period_it_happens(model, message) -> None:
    s = contract_baselines("party", only=("tiny",))["tiny"]
    spec = SimulationSpec(horizon_years=1, replications=1, executor="serial")
    with pytest.raises(SimulationInvariantError, match=message):
        simulate({"v": s}, spec, model=model, start=START)


def test_party_model_keeps_every_member_and_numbers_new_ones(host) -> None:
    s = contract_baselines("party", only=("branch-of-329",))["branch-of-329"]
    model = host.behaviour_models().get("party")
    state = SimState.from_structure(s, start=START, team_kinds=model.team_kinds)
    from orgmodel.simulate.behaviour import ModelContext
    from orgmodel.simulate.replicate import check_period

    params = model.Params()
    model.prepare(state, params, ModelContext())
    rng = np.random.default_rng(3)
    for period in range(1, 25):
        before, n = state.members["active"].copy(), state.n_members
        state.period = period
        model.step(state, rng, period, params)
        check_period(state, before, n, model="party", variant="v", period=period)  # raises on a lost member
    assert state.n_members > s.n_members  # members joined: rows were added, none removed
    assert (~state.members["active"]).sum() > 0  # and some left, kept as inactive rows
    new = state.new_member_ids()
    assert len(set(new)) == len(new) and not set(new) & set(s.members.ids.tolist())
    assert new[0].startswith("sim-p0001-") or new[0].startswith("sim-p00")


# -- the model's calibration against the seed --------------------------------------------------


def test_large_community_grows_about_three_percent_a_year(host) -> None:
    scenario = load_scenario(ROOT / "scenarios" / "large-community" / "scenario.yaml")
    base = build_baseline(scenario, host)
    spec = SimulationSpec(horizon_years=2, replications=2, executor="serial")
    result = simulate({"status-quo": base}, spec, start=scenario.spec.as_of, plugins=host)
    mean, _, _ = result.band("status-quo", "members.active")
    growth = (mean[-1] / mean[0]) ** (1 / 2) - 1
    assert 0.015 < growth < 0.045, growth  # seed 004: about 3 % a year


def test_team_branches_hold_up_better_than_the_status_quo(kunyang, host) -> None:
    result = _run(kunyang, host, replications=8, horizon_years=2)
    per_backbone = {v: result.band(v, "backbone.members_per_backbone")[0][-1] for v in result.variants}
    participation = {v: result.band(v, "life.participation")[0][-1] for v in result.variants}
    assert per_backbone["team-branches"] < per_backbone["status-quo"]
    assert participation["team-branches"] > participation["status-quo"]
    verdicts = {v["metric"]: v for v in result.verdicts()}
    assert verdicts["backbone.members_per_backbone"]["best"] == "team-branches"
    assert verdicts["backbone.members_per_backbone"]["clear"]
    rows = {(r["variant"], r["rule"]): r for r in result.first_breaches()}
    assert rows[("status-quo", "branch.max_size")]["at_start"] == 1.0  # 昆阳's one branch of 182
    assert rows[("status-quo", "branch.max_size")]["median_first_period"] == 0


# -- parameters -------------------------------------------------------------------------------


def _scenario_with(tmp_path: Path, simulation: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text("name: s\ndomain: party\nbaseline: {units: [], members: []}\n" + simulation, encoding="utf-8")
    return path


@pytest.mark.parametrize(("yaml", "line", "field", "words"), [
    ("simulation:\n  horizon_years: 0\n", 5, "simulation.horizon_years", "greater than 0"),
    ("simulation:\n  params:\n    move_away_rate: -0.2\n", 6, "simulation.params.move_away_rate", "greater than or equal to 0"),
    ("simulation:\n  params:\n    attend_base: 1.5\n", 6, "simulation.params.attend_base", "less than or equal to 1"),
    ("simulation:\n  params:\n    atend_base: 0.5\n", 6, "simulation.params.atend_base", "unknown parameter"),
    ("simulation:\n  sweep:\n    join_team_rate: [0.1, 2]\n", 6, "simulation.sweep.join_team_rate", "less than or equal to 1"),
    ("simulation:\n  sweep:\n    no_such: [1]\n", 6, "simulation.sweep.no_such", "unknown parameter"),
    ("simulation:\n  model: nosuch\n", 5, "simulation.model", "unknown behaviour model"),
    ("simulation:\n  replications: 10\n  executer: serial\n", 6, "simulation.executer", ""),
])
def test_bad_simulation_parameters_are_one_line_errors_at_their_line(tmp_path, host, yaml, line, field, words) -> None:
    path = _scenario_with(tmp_path, yaml)
    with pytest.raises(SpecError) as info:
        load_simulation(path, host)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}:"), message
    assert f": {field}: " in message, message
    assert words in message


def test_a_good_simulation_key_loads(tmp_path, host) -> None:
    path = _scenario_with(tmp_path, "simulation:\n  horizon_years: 2\n  period: quarter\n"
                                    "  sweep: {join_team_rate: [0.01, 0.2]}\n")
    spec, model = load_simulation(path, host)
    assert (spec.periods, spec.months_per_period, model.name) == (8, 3, "party")
    assert load_simulation(_scenario_with(tmp_path, ""), host) is None


# -- sweeps, progress, cancellation -------------------------------------------------------------


def test_a_sweep_shows_how_each_metric_responds(kunyang, host) -> None:
    result = _run(kunyang, host, replications=4, sweep={"join_team_rate": [0.0, 0.6]})
    assert result.points == ({"join_team_rate": 0.0}, {"join_team_rate": 0.6})
    rows = [r for r in result.sweep_rows() if r["metric"] == "teams.participation" and r["variant"] == "status-quo"]
    low, high = sorted(rows, key=lambda r: r["param.join_team_rate"])
    assert high["mean"] > low["mean"]


def test_progress_is_reported_and_cancel_stops_before_anything_is_written(kunyang, host, tmp_path) -> None:
    seen: list[tuple[int, int]] = []
    _run(kunyang, host, replications=4, chunk=1, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 8) and seen[-1] == (8, 8)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    calls = []
    with pytest.raises(SimulationCancelled):
        _run(kunyang, host, replications=4, chunk=1, progress=lambda d, t: calls.append(d), cancel=lambda: bool(calls[1:]))
    assert max(calls) < 8



# -- manifests and reruns ---------------------------------------------------------------------


def test_rerun_reproduces_the_files_byte_for_byte_on_another_executor(tmp_path, host) -> None:
    folder = tmp_path / "kunyang"
    shutil.copytree(ROOT / "scenarios" / "kunyang", folder)
    scenario = load_scenario(folder / "scenario.yaml")
    run = Engine(host).run(scenario)
    structures = {v.name: v.structure for v in run.variants}
    spec = SimulationSpec(horizon_years=1, replications=4, executor="serial")
    result = simulate(structures, spec, start=scenario.spec.as_of, plugins=host,
                      rules=rule_book_for(scenario, host), scenario_seed=scenario.spec.seed)
    out = write_simulation(result, tmp_path / "out" / "simulation", spec=spec, start=scenario.spec.as_of,
                           executor="serial", scenario_path=folder / "scenario.yaml", plugins=host)
    manifest = read_manifest(out)
    assert set(manifest["files"]) == {"series.csv", "first_breach.csv", "sweep.csv", "verdicts.csv", "meta.json",
                                     "replications.npy"}
    assert manifest["scenario"]["rosters"]["members"]["sha256"].startswith("sha256:")
    assert manifest["timestamps"] == ["created"]
    report = rerun(out / "manifest.json", executor="processes", workers=2, plugins=host)
    assert report.identical, report.differences
    assert (report.folder / "series.csv").read_bytes() == (out / "series.csv").read_bytes()
    # a changed roster is refused, naming the file
    members = folder / "members.csv"
    members.write_text(members.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(UserError, match="roster members.csv changed"):
        rerun(out, plugins=host)


def test_write_is_whole_or_nothing(kunyang, host, tmp_path) -> None:
    result = _run(kunyang, host, replications=2)
    target = tmp_path / "sim"
    target.mkdir()
    (target / "old.txt").write_text("previous run", encoding="utf-8")

    class Boom(Exception):
        pass

    def explode(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise Boom

    spec = SimulationSpec(horizon_years=1, replications=2)
    import orgmodel.simulate.manifest as manifest_module

    original = manifest_module.build_manifest
    manifest_module.build_manifest = explode  # fail after the result files are written
    try:
        with pytest.raises(Boom):
            write_simulation(result, target, spec=spec, start=START, executor="serial")
    finally:
        manifest_module.build_manifest = original
    assert sorted(p.name for p in target.iterdir()) == ["old.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim"]


# -- the contract kit -------------------------------------------------------------------------


@pytest.mark.parametrize("name", PluginHost().behaviour_models().names())
def test_every_installed_behaviour_model_passes_the_contract(name: str) -> None:
    model = PluginHost().behaviour_models().get(name)
    series = check_behaviour_model(model, only=("tiny", "branch-of-329", "no-teams", "one-member"))
    assert set(series) == {"tiny", "branch-of-329", "no-teams", "one-member"}


class _Careless(BehaviourModel):
    name = "careless"
    metrics = (SeriesMetric("n", "人数", "members"),)

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid")
        rate: float = Field(0.1, ge=0)  # no upper bound, no description

    def step(self, state, rng, period, params):  # type: ignore[no-untyped-def]
        pass  # ignores rng: every seed gives the same series

    def observe(self, state, params):  # type: ignore[no-untyped-def]
        return {"n": float(state.members["active"].sum())}


def test_the_contract_names_what_a_careless_model_breaks() -> None:
    with pytest.raises(BehaviourContractFailure) as info:
        check_behaviour_model(_Careless(), only=("branch-of-329",), processes=False)
    text = str(info.value)
    assert "rate has no description" in text
    assert "ignores rng" in text
    with pytest.raises(BehaviourContractFailure, match="vanished without leaving"):
        check_behaviour_model(_Vanishing(), only=("tiny",), processes=False)
