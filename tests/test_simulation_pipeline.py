"""The simulation wired into the pipeline: the scenario's ``simulation:`` key, ``api.run`` writing
``simulation/`` into the results folder on every executor alike, progress and cancellation,
``orgmodel rerun`` byte for byte, bad parameters at their YAML line through the command line,
and the report's section read from the folder."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from orgmodel import api
from orgmodel.cli import main
from orgmodel.io.loader import load_scenario
from orgmodel.run.results import load_results

ROOT = Path(__file__).resolve().parents[1]
SIM_FILES = ("series.csv", "first_breach.csv", "verdicts.csv", "sweep.csv", "meta.json", "replications.npy")
SIMULATION = "simulation:\n  horizon_years: 1\n  replications: 4\n  executor: serial\n"


def _kunyang(folder: Path, simulation: str = SIMULATION) -> Path:
    """昆阳 (182 members, two variants) with a ``simulation:`` key, in a folder of its own."""
    shutil.copytree(ROOT / "scenarios" / "kunyang", folder)
    path = folder / "scenario.yaml"
    path.write_text(path.read_text(encoding="utf-8") + simulation, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _kunyang(tmp_path_factory.mktemp("sim") / "kunyang")


@pytest.fixture(scope="module")
def serial_run(scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "serial"
    summary = api.run(scenario, out)
    assert summary.simulation == out.resolve() / "simulation"
    return out


def test_the_large_community_asks_for_200_replications_over_three_years() -> None:
    spec = load_scenario(ROOT / "scenarios" / "large-community" / "scenario.yaml").spec.simulation
    assert spec is not None and (spec.replications, spec.horizon_years, spec.periods) == (200, 3, 36)


def test_run_writes_the_simulation_into_the_results_folder(serial_run: Path) -> None:
    index = json.loads((serial_run / "run.json").read_text(encoding="utf-8"))
    assert index["simulation"] == {"folder": "simulation", "manifest": "simulation/manifest.json",
                                   "variants": ["status-quo", "team-branches"], "replications": 4, "periods": 12}
    manifest = json.loads((serial_run / "simulation" / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == set(SIM_FILES)
    assert manifest["executor"]["name"] == "serial" and manifest["start"] == "2024-06-30"
    stored = load_results(serial_run).simulation
    assert stored is not None and stored.variants == ("status-quo", "team-branches")
    assert stored.replications == 4 and len(stored.dates) == 13
    # the stored bands are the distribution of the stored replications
    every = stored.result()
    for variant in stored.variants:
        mean, lo, hi = stored.band(variant, "life.participation")
        want = every.band(variant, "life.participation")
        np.testing.assert_allclose(mean, want[0], equal_nan=True)
        np.testing.assert_allclose(hi, want[2], equal_nan=True)
        assert (np.nan_to_num(lo) <= np.nan_to_num(hi)).all()


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_every_executor_writes_the_same_bytes_through_the_api(scenario: Path, serial_run: Path, tmp_path: Path,
                                                              executor: str) -> None:
    out = tmp_path / executor
    if executor == "processes":
        api.run(scenario, out, report=False, simulation={"executor": "processes", "workers": 2, "chunk": 1})
    else:
        distributed = pytest.importorskip("distributed")
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster:
            api.run(scenario, out, report=False,
                    simulation={"executor": "dask", "scheduler": cluster.scheduler_address, "chunk": 1})
    for name in SIM_FILES:
        assert (out / "simulation" / name).read_bytes() == (serial_run / "simulation" / name).read_bytes(), name
    manifest = json.loads((out / "simulation" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["executor"]["name"] == executor
    assert manifest["simulation"]["chunk"] == 1  # the spec as run, overrides included


def test_progress_counts_replications_with_the_time_left(scenario: Path, tmp_path: Path) -> None:
    events: list[api.Progress] = []
    api.run(scenario, tmp_path / "out", report=False, simulation={"chunk": 1}, progress=events.append)
    stages = list(dict.fromkeys(e.stage for e in events))
    assert stages == ["load", "baseline", "run", "evaluate", "simulate", "write"]
    sim = [e for e in events if e.stage == "simulate"]
    assert (sim[0].done, sim[0].total) == (0, 8) and (sim[-1].done, sim[-1].total) == (8, 8)
    assert [e.done for e in sim] == sorted(e.done for e in sim) and len(sim) == 9
    assert all(e.seconds_left is not None and e.seconds_left >= 0 for e in sim[1:])
    assert sim[-1].seconds_left == 0 and "replications" in sim[3].message


def test_a_cancel_during_the_simulation_leaves_the_previous_results(scenario: Path, serial_run: Path,
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(serial_run, out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    events: list[api.Progress] = []

    def stop() -> bool:
        return any(e.stage == "simulate" and e.done >= 2 for e in events)

    with pytest.raises(api.Cancelled):
        api.run(scenario, out, simulation={"chunk": 1, "replications": 6}, progress=events.append, cancel=stop)
    assert max(e.done for e in events if e.stage == "simulate") < 12
    assert not any(e.stage == "write" for e in events)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left


def test_simulate_false_true_and_options(scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(scenario), "--out", str(tmp_path / "a"), "--no-report", "--no-simulate"]) == 0
    assert json.loads((tmp_path / "a" / "run.json").read_text(encoding="utf-8"))["simulation"] is None
    assert load_results(tmp_path / "a").simulation is None and not (tmp_path / "a" / "simulation").exists()
    assert main(["run", str(scenario), "--out", str(tmp_path / "b"), "--no-simulate", "--replications", "2"]) == 2
    assert capsys.readouterr().err.strip() == "error: simulation options given (replications) with the simulation off"
    assert not (tmp_path / "b").exists()
    # a scenario without the key is simulated when asked, with the defaults and the options given
    plain = ROOT / "scenarios" / "kunyang" / "scenario.yaml"
    summary = api.run(plain, tmp_path / "c", report=False, simulate=True,
                      simulation={"replications": 2, "horizon_years": 0.5, "executor": "serial"})
    assert load_results(summary.folder).simulation.replications == 2
    assert api.run(plain, tmp_path / "d", report=False).simulation is None


def test_rerun_reproduces_the_folder_byte_for_byte_through_the_cli(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = _kunyang(tmp_path / "kunyang")
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--no-report", "--replications", "3"]) == 0
    manifest = out / "simulation" / "manifest.json"
    capsys.readouterr()
    assert main(["rerun", str(manifest), "--out", str(tmp_path / "again"), "--executor", "processes",
                 "--workers", "2"]) == 0
    assert capsys.readouterr().out.startswith("reproduced: ")
    for name in SIM_FILES:
        assert (tmp_path / "again" / name).read_bytes() == (out / "simulation" / name).read_bytes(), name
    first, second = (json.loads(p.read_text(encoding="utf-8")) for p in (manifest, tmp_path / "again" / "manifest.json"))
    assert {k for k in first if first[k] != second[k]} <= {"created", "executor", "scenario"}
    first["scenario"].pop("path"), second["scenario"].pop("path")  # relative to each manifest's folder
    assert first["scenario"] == second["scenario"]
    assert first["timestamps"] == ["created"] and first["seeds"]["replications"] == 3
    # a file that differs from the manifest is exit 2 with one line naming it
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["files"]["verdicts.csv"] = "sha256:" + "0" * 64
    manifest.write_text(json.dumps(data), encoding="utf-8")
    assert main(["rerun", str(manifest), "--out", str(tmp_path / "third")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "differs from the manifest in verdicts.csv" in err
    # a changed scenario is refused before anything is simulated
    path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert main(["rerun", str(out / "simulation"), "--out", str(tmp_path / "fourth")]) == 2
    assert "scenario scenario.yaml changed" in capsys.readouterr().err
    assert not (tmp_path / "fourth").exists()


@pytest.mark.parametrize(("lines", "line", "field", "words"), [
    ("  params:\n    move_away_rate: -0.2\n", 3, "simulation.params.move_away_rate", "greater than or equal to 0"),
    ("  params:\n    attend_base: 1.5\n", 3, "simulation.params.attend_base", "less than or equal to 1"),
    ("  horizon_years: 0\n", 2, "simulation.horizon_years", "greater than 0"),
    ("  params:\n    atend_base: 0.5\n", 3, "simulation.params.atend_base", "unknown parameter"),
    ("  sweep:\n    join_team_rate: [0.1, 2]\n", 3, "simulation.sweep.join_team_rate", "less than or equal to 1"),
    ("  model: nosuch\n", 2, "simulation.model", "unknown behaviour model"),
])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_simulation_parameters_are_one_line_at_their_yaml_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                   command: str, lines: str, line: int, field: str,
                                                                   words: str) -> None:
    path = _kunyang(tmp_path / "k", "simulation:\n" + lines)
    first = len(path.read_text(encoding="utf-8").splitlines()) - len(lines.splitlines())  # the line of simulation:
    args = [command, str(path)] + (["--out", str(tmp_path / "out")] if command == "run" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"error: {path}:{first + line - 1}:"), err
    assert f": {field}: " in err and words in err
    assert not (tmp_path / "out").exists()


def _rewrite(path: Path, change) -> None:  # noqa: ANN001
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    columns = list(rows[0])
    for row in rows:
        change(row)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_the_report_shows_the_simulation_from_the_folder(serial_run: Path, tmp_path: Path) -> None:
    html = (serial_run / "report" / "report.html").read_text(encoding="utf-8")
    md = (serial_run / "report" / "report.md").read_text(encoding="utf-8")
    assert '<section id="simulation">' in html and "## 随时间的模拟" in md
    for key in ("life-participation", "backbone-reach", "teams-active", "rule-branch-max_size"):
        assert f'id="fig-simulation-{key}"' in html, key
        assert (serial_run / "report" / "diagrams" / f"simulation-{key}.svg").is_file()
        assert f"(diagrams/simulation-{key}.svg)" in md
    assert "规则开始被违反的时间" in html and "可复现清单" in html and "sha256:" in html
    verdicts = {r["metric"]: r for r in load_results(serial_run).simulation.verdicts}
    best = load_results(serial_run).variant(verdicts["life.participation"]["best"]).label
    assert f"近三个月参加组织生活的党员比例：{best}" in html
    # numbers come from the stored files: change them, and the rewritten report says so
    folder = tmp_path / "run"
    shutil.copytree(serial_run, folder)
    sim = folder / "simulation"

    def verdict(row: dict) -> None:  # type: ignore[type-arg]
        if row["metric"] == "life.participation":
            row.update(best="status-quo", best_mean="97.25", runner_up="team-branches", runner_up_mean="12.5",
                       clear="True")

    def series(row: dict) -> None:  # type: ignore[type-arg]
        if row["metric"] == "teams.active" and row["variant"] == "status-quo":
            row.update(mean="4321.0", lo="4000.0", hi="4500.0")

    _rewrite(sim / "verdicts.csv", verdict)
    _rewrite(sim / "series.csv", series)
    api.report(folder, lang="en")
    html = (folder / "report" / "report.html").read_text(encoding="utf-8")
    assert "members who took part in the last 3 months: 现状 holds up best (97.2 %), clearly ahead of 团队党建 (12.5 %" in html
    chart = (folder / "report" / "diagrams" / "simulation-teams-active.svg").read_text(encoding="utf-8")
    assert ">5,000<" in chart  # the axis reaches above the stored band (4,000 to 4,500)
