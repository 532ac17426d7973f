"""The progress bar's share of each stage follows its work: the simulation's by its replications
and time left (``Progress.overall``), never going back, 1.0 at the end; a cancel leaves nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orgmodel import api
from orgmodel.run import progress as progress_module
from orgmodel.run.progress import Progress, Tracker

ROOT = Path(__file__).resolve().parents[1]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _tracked(monkeypatch: pytest.MonkeyPatch, simulate_seconds: float, forecast: float) -> list[Progress]:
    """A call of three stages: a 1-second load, a simulation of ``simulate_seconds`` in ten equal
    parts (forecast beforehand as ``forecast`` seconds), a 1-second write."""
    clock = Clock()
    monkeypatch.setattr(progress_module.time, "perf_counter", clock)
    events: list[Progress] = []
    tracker = Tracker(events.append, stages=["load", "simulate", "write"], forecast=["simulate"])
    tracker.send("load", 0, 1)
    tracker.expect("simulate", forecast)
    clock.now = 1.0
    tracker.send("load", 1, 1)
    tracker.send("simulate", 0, 10)
    for k in range(1, 11):
        clock.now = 1.0 + simulate_seconds * k / 10
        tracker.send("simulate", k, 10, seconds_left=simulate_seconds * (10 - k) / 10)
    tracker.send("write", 0, 1)
    clock.now += 1.0
    tracker.send("write", 1, 1)
    return events


def test_the_simulation_weighs_what_its_replications_take(monkeypatch: pytest.MonkeyPatch) -> None:
    events = _tracked(monkeypatch, simulate_seconds=90.0, forecast=90.0)
    overall = [e.overall for e in events]
    assert all(x is not None for x in overall)
    assert overall == sorted(overall) and overall[-1] == 1.0
    sim = [e for e in events if e.stage == "simulate"]
    # 92 seconds in all, 90 of them simulating: the bar crosses the simulation in about 90/92 of its width
    assert sim[0].overall == pytest.approx(1 / 92, abs=0.02)
    assert sim[5].overall == pytest.approx(46 / 92, abs=0.02)
    assert sim[-1].overall == pytest.approx(91 / 92, abs=0.02)
    # stages weighed alike would have put the whole simulation in a third of the bar
    assert sim[-1].overall - sim[0].overall > 0.9


def test_a_wrong_forecast_never_sends_the_bar_back_and_it_keeps_moving(monkeypatch: pytest.MonkeyPatch) -> None:
    for forecast in (5.0, 900.0):
        events = _tracked(monkeypatch, simulate_seconds=90.0, forecast=forecast)
        sim = [e.overall for e in events if e.stage == "simulate"]
        assert all(b > a for a, b in zip(sim[1:], sim[2:])), forecast
        assert [e.overall for e in events][-1] == 1.0


def test_no_weights_unless_the_stages_are_told() -> None:
    events: list[Progress] = []
    Tracker(events.append).send("run", 1, 2)
    assert events[0].overall is None


SIMULATION = ("simulation:\n  horizon_years: 1\n  replications: 4\n  executor: serial\n  chunk: 1\n"
              "  sweep:\n    team-branches.steps[0].min_team_members: [5, 18]\n")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("progress") / "kunyang"
    shutil.copytree(ROOT / "scenarios" / "kunyang", folder)
    path = folder / "scenario.yaml"
    path.write_text(path.read_text(encoding="utf-8") + SIMULATION, encoding="utf-8")
    return path


def test_a_run_reports_its_overall_share_through_the_api(scenario: Path, tmp_path: Path) -> None:
    events: list[Progress] = []
    api.run(scenario, tmp_path / "out", report=False, progress=events.append)
    overall = [e.overall for e in events]
    assert all(x is not None for x in overall)
    assert overall == sorted(overall) and overall[-1] == 1.0
    sim = [e for e in events if e.stage == "simulate"]
    assert (sim[0].done, sim[-1].done, sim[-1].total) == (0, 12, 12)  # 3 distinct (point, variant) cells x 4
    assert sim[-1].overall > sim[1].overall
    assert {e.stage for e in events if e.overall == 0.0} <= {"load", "baseline"}


def test_a_cancel_during_a_swept_simulation_leaves_nothing(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    events: list[Progress] = []

    def stop() -> bool:
        return any(e.stage == "simulate" and e.done >= 3 for e in events)

    with pytest.raises(api.Cancelled):
        api.run(scenario, out, progress=events.append, cancel=stop)
    assert max(e.done for e in events if e.stage == "simulate") < 12
    assert not out.exists() and list(tmp_path.iterdir()) == []
