"""Sweeps over strategy parameters: each point runs the variant again and is simulated with the
same seeds; the results folder, the report (HTML, Markdown, Word) and ``orgmodel rerun`` carry
them; bad sweep keys and values are one-line errors at their YAML line."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from orgmodel import api
from orgmodel.analysis.rulebook import rule_book_for
from orgmodel.cli import main
from orgmodel.errors import SpecError
from orgmodel.io.loader import load_scenario
from orgmodel.plugin.host import PluginHost
from orgmodel.run.engine import Engine
from orgmodel.simulate import SimulationSpec, simulate
from orgmodel.simulate.spec import load_simulation
from orgmodel.simulate.sweep import strategy_structures

ROOT = Path(__file__).resolve().parents[1]
KEY = "team-branches.steps[0].min_team_members"  # 昆阳's team-branches variant runs with 18


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost()


@pytest.fixture(scope="module")
def kunyang(host: PluginHost):
    scenario = load_scenario(ROOT / "scenarios" / "kunyang" / "scenario.yaml")
    run = Engine(host).run(scenario)
    return scenario, run, {v.name: v.structure for v in run.variants}


def _simulate(kunyang, host, spec: SimulationSpec, points=None, progress=None):  # noqa: ANN001, ANN202
    scenario, _, structures = kunyang
    return simulate(structures, spec, start=scenario.spec.as_of, plugins=host, rules=rule_book_for(scenario, host),
                    scenario_seed=scenario.spec.seed, point_structures=points, progress=progress)


def test_each_point_runs_the_variant_again_and_is_simulated_with_the_same_seeds(kunyang, host) -> None:
    scenario, run, structures = kunyang
    spec = SimulationSpec(horizon_years=1, replications=4, executor="serial", sweep={KEY: [5, 18, 40]})
    points = strategy_structures(scenario, spec, structures, plugins=host, baseline=run.baseline)
    assert [p["status-quo"] is structures["status-quo"] for p in points] == [True, True, True]
    assert points[1]["team-branches"] is structures["team-branches"]  # 18: the scenario's own value
    assert points[0]["team-branches"].fingerprint != structures["team-branches"].fingerprint
    seen: list[tuple[int, int]] = []
    result = _simulate(kunyang, host, spec, points, progress=lambda d, t: seen.append((d, t)))
    assert result.points == tuple({KEY: v} for v in (5, 18, 40))
    plain = _simulate(kunyang, host, SimulationSpec(horizon_years=1, replications=4, executor="serial"))
    sq, tb = result.variants.index("status-quo"), result.variants.index("team-branches")
    for p in range(3):  # the variant no point touches: the same numbers at every point
        assert np.array_equal(result.values[p, sq], plain.values[0, sq], equal_nan=True)
    assert np.array_equal(result.values[1, tb], plain.values[0, tb], equal_nan=True)  # same structure, same seeds
    assert not np.array_equal(result.values[0, tb], plain.values[0, tb], equal_nan=True)
    # teams of 5 or more get branches of their own: more branches built on teams, more members aligned
    aligned = [r for r in result.sweep_rows() if r["metric"] == "teams.aligned" and r["variant"] == "team-branches"]
    by_value = {r[f"param.{KEY}"]: r["mean"] for r in aligned}
    assert by_value[5] > by_value[18]
    # work done once: status-quo once, team-branches at 5 and at 18 (40 gives 18's structure)
    assert seen[-1] == (12, 12)


def test_behaviour_and_strategy_keys_make_one_grid(kunyang, host) -> None:
    scenario, run, structures = kunyang
    spec = SimulationSpec(horizon_years=1, replications=2, executor="serial",
                          sweep={KEY: [5, 18], "join_team_rate": [0.0, 0.3]})
    points = strategy_structures(scenario, spec, structures, plugins=host, baseline=run.baseline)
    result = _simulate(kunyang, host, spec, points)
    assert result.points == ({"join_team_rate": 0.0, KEY: 5}, {"join_team_rate": 0.0, KEY: 18},
                             {"join_team_rate": 0.3, KEY: 5}, {"join_team_rate": 0.3, KEY: 18})
    sq = result.variants.index("status-quo")
    assert np.array_equal(result.values[0, sq], result.values[1, sq], equal_nan=True)
    assert not np.array_equal(result.values[0, sq], result.values[2, sq], equal_nan=True)


def _kunyang(folder: Path, simulation: str) -> Path:
    shutil.copytree(ROOT / "scenarios" / "kunyang", folder)
    path = folder / "scenario.yaml"
    path.write_text(path.read_text(encoding="utf-8") + simulation, encoding="utf-8")
    return path


@pytest.mark.parametrize(("sweep", "field", "words"), [
    ("nosuch.steps[0].min_team_members: [5]", "simulation.sweep.nosuch.steps[0].min_team_members",
     "no variant 'nosuch' to sweep (have: status-quo, team-branches)"),
    ("team-branches.steps[2].min_team_members: [5]", "simulation.sweep.team-branches.steps[2].min_team_members",
     "variant team-branches has 1 step(s), counted from 0; no step 2"),
    ("team-branches.steps[0].min_team: [5]", "simulation.sweep.team-branches.steps[0].min_team",
     "unknown parameter of strategy team-branches (have: "),
    ("team-branches.steps[0].min_team_members: [5, -3]", "simulation.sweep.team-branches.steps[0].min_team_members[1]",
     "greater than or equal to"),
    ("team-branches.step[0].min_team_members: [5]", "simulation.sweep.team-branches.step[0].min_team_members",
     "a strategy parameter is swept as <variant>.steps[<i>].<param>"),
])
def test_bad_sweep_entries_are_one_line_errors_at_their_yaml_line(tmp_path: Path, host, capsys, sweep: str,
                                                                  field: str, words: str) -> None:
    path = _kunyang(tmp_path / "k", f"simulation:\n  sweep:\n    {sweep}\n")
    line = len(path.read_text(encoding="utf-8").splitlines())
    with pytest.raises(SpecError) as info:
        load_simulation(path, host)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}:{line}:"), message
    assert f": {field}: " in message and words in message, message
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and f"{path}:{line}:" in err and words in err
    assert not (tmp_path / "out").exists()


def test_the_results_folder_and_the_report_show_the_sweep_and_rerun_reproduces_it(tmp_path: Path, host) -> None:
    path = _kunyang(tmp_path / "k", "simulation:\n  horizon_years: 1\n  replications: 3\n  executor: serial\n"
                                    f"  sweep:\n    {KEY}: [5, 18]\n")
    out = tmp_path / "out"
    api.run(path, out, lang="en", docx=True, plugins=host)
    with (out / "simulation" / "sweep.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r[f"param.{KEY}"] for r in rows} == {"5", "18"}
    assert {r["variant"] for r in rows} == {"status-quo", "team-branches"}
    html = (out / "report" / "report.html").read_text(encoding="utf-8")
    md = (out / "report" / "report.md").read_text(encoding="utf-8")
    for page in (html, md):
        assert "Do the conclusions hold whatever the assumption?" in page
        assert "团队党建 steps[0].min_team_members" in page
        assert "at all 2 points" in page
    assert (out / "report" / "diagrams" / "simulation-sweep-teams-aligned.svg").is_file() or \
        (out / "report" / "diagrams" / "simulation-sweep-life-participation.svg").is_file()
    import docx

    document = docx.Document(str(out / "report" / "report.docx"))
    words = "\n".join(p.text for p in document.paragraphs)
    assert "Over time: simulation" in words and "Which variant holds up" in words
    assert "Do the conclusions hold whatever the assumption?" in words
    tables = ["\n".join(c.text for c in t.rows[0].cells) for t in document.tables]
    assert any("团队党建 steps[0].min_team_members" in t for t in tables)
    report = api.rerun(out / "simulation" / "manifest.json", tmp_path / "again", executor="processes", workers=2,
                       plugins=host)
    assert report.identical, report.differences


def test_charts_for_the_word_report_are_drawn_at_print_resolution() -> None:
    import struct

    from orgmodel.report.pdf import chromium
    from orgmodel.report.simulation import PRINT_SCALE, band_chart, svg_png

    if chromium() is None:
        pytest.skip("Chromium is not installed")
    svg = band_chart({"现状": ([1, 2, 3], [0.5, 1.5, 2], [1.5, 2.5, 4])}, ["2024-06-01", "2024-07-01", "2024-08-01"],
                     title="参加组织生活", y_label="%", width=560, height=300)
    png = svg_png(svg)
    assert png is not None and png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (560 * PRINT_SCALE, 300 * PRINT_SCALE)
    # even one chart alone across the 170 mm text width has the Word report's print resolution
    # (the report puts two side by side: twice that)
    from orgmodel.report.docx import PRINT_DPI

    assert width / (170 / 25.4) >= PRINT_DPI
