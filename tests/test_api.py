"""orgmodel.api: run with progress and cancellation, load, compare, report, pack, validate."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import pytest

from orgmodel import api, cli
from orgmodel.errors import UserError
from orgmodel.plugin.hookspecs import hookimpl
from orgmodel.plugin.host import PluginHost
from orgmodel.testing_data import TOY_PACK

SCENARIO = """\
name: toy-merge
domain: toy
baseline:
  units:
    - {id: c, kind: toy.committee, name: 委员会}
    - {id: b1, kind: toy.branch, name: 一支部, parent: c}
    - {id: b2, kind: toy.branch, name: 二支部, parent: c}
    - {id: b3, kind: toy.branch, name: 三支部, parent: c}
  members:
    - {id: m1, branch: b1}
    - {id: m2, branch: b2}
    - {id: m3, branch: b2}
    - {id: m4, branch: b3}
variants:
  - name: status-quo
  - name: merge
    steps:
      - operations: [{op: dissolve, unit: b2, members_to: b1, reason: 合并}]
      - operations: [{op: move_members, members: [m4], to: b1, reason: 就近}]
  - name: move
    steps:
      - locks: [b2]
        operations: [{op: move_members, members: [m1], to: b3, reason: 就近}]
"""


class Toy:
    @hookimpl
    def register_unit_kinds(register):  # noqa: N805
        register(TOY_PACK)


def plugins() -> PluginHost:
    return PluginHost({"toy": Toy}, autoload=False)


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_run_sends_progress_through_every_stage_and_summarises(scenario: Path, tmp_path: Path) -> None:
    events: list[api.Progress] = []
    summary = api.run(scenario, tmp_path / "out", plugins=plugins(), progress=events.append)
    stages = list(dict.fromkeys(e.stage for e in events))
    assert stages == ["load", "baseline", "run", "evaluate", "write", "report"]
    assert all(0 <= e.done <= e.total for e in events)
    run_events = [e for e in events if e.stage == "run"]
    assert [(e.done, e.total) for e in run_events] == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert run_events[2].message == "merge: step 1 (manual)"
    assert events[-1] == api.Progress("write", 2, 2, str(tmp_path / "out"))
    assert summary.folder == tmp_path / "out" and summary.report == tmp_path / "out" / "report" / "report.html"
    assert summary.report.is_file()
    assert (summary.units, summary.members) == (4, 4)
    assert [(v.name, v.members_moved) for v in summary.variants] == [
        ("baseline", 0), ("status-quo", 0), ("merge", 3), ("move", 1)]


def test_run_some_variants_without_the_report(scenario: Path, tmp_path: Path) -> None:
    summary = api.run(scenario, tmp_path / "out", variants=["move"], report=False, plugins=plugins())
    assert [v.name for v in summary.variants] == ["baseline", "move"]
    assert summary.report is None and not (tmp_path / "out" / "report").exists()
    assert api.load(summary.folder).names == ["baseline", "move"]


def test_run_refuses_a_step_that_touches_its_locks(scenario: Path, tmp_path: Path) -> None:
    scenario.write_text(SCENARIO.replace("locks: [b2]", "locks: [b3]"), encoding="utf-8")
    with pytest.raises(UserError, match="variant move, step 0, operation 0 .move_members.: moves 1 member.s. into b3"):
        api.run(scenario, tmp_path / "out", plugins=plugins())
    assert not (tmp_path / "out").exists()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("stage", ["load", "run", "evaluate", "write", "report"])
def test_a_cancelled_run_leaves_the_previous_results_as_they_were(scenario: Path, tmp_path: Path, stage: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "earlier.txt").write_text("the previous results", encoding="utf-8")
    stop = threading.Event()

    def progress(event: api.Progress) -> None:
        if event.stage == stage:
            stop.set()

    with pytest.raises(api.Cancelled):
        api.run(scenario, out, plugins=plugins(), progress=progress, cancel=stop)
    assert sorted(p.name for p in out.iterdir()) == ["earlier.txt"]
    assert leftovers(tmp_path) == []


def test_cancel_may_be_a_callable(scenario: Path, tmp_path: Path) -> None:
    steps: list[api.Progress] = []
    with pytest.raises(api.Cancelled):
        api.run(scenario, tmp_path / "out", plugins=plugins(), progress=steps.append,
                cancel=lambda: any(e.stage == "run" and e.done == 1 for e in steps))
    assert max(e.done for e in steps if e.stage == "run") == 1  # stopped before the second step
    assert not (tmp_path / "out").exists()


def test_cancel_must_be_a_flag_or_a_callable(scenario: Path, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="is_set"):
        api.run(scenario, tmp_path / "out", plugins=plugins(), cancel=True)  # type: ignore[arg-type]


def test_load_reads_values_findings_and_plans(scenario: Path, tmp_path: Path) -> None:
    api.run(scenario, tmp_path / "out", report=False, plugins=plugins())
    results = api.load(tmp_path / "out")
    assert results.names == ["baseline", "status-quo", "merge", "move"]
    plans = results.variant("merge").plans()
    assert [p.as_written()[0].op for p in plans] == ["dissolve", "move_members"]
    assert results.baseline.plans() == []
    assert results.variant("merge").value("units.toy.branch") == 2
    assert results.baseline.value("units.toy.branch") == 3
    assert results.variant("merge").value("change.members_moved") == 3
    with pytest.raises(UserError, match="no variant 'nope'"):
        results.variant("nope")
    with pytest.raises(UserError, match="not a results folder"):
        api.load(tmp_path)
    index = tmp_path / "out" / "run.json"
    text = index.read_text(encoding="utf-8")
    assert '"results_version": 2' in text
    index.write_text(text.replace('"results_version": 2', '"results_version": 9'), encoding="utf-8")
    with pytest.raises(UserError, match="results_version 9 is not supported"):
        api.load(tmp_path / "out")


def test_an_unknown_language_is_refused_before_anything_is_written(scenario: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="lang must be one of zh, en, not 'fr'"):
        api.run(scenario, tmp_path / "out", lang="fr", plugins=plugins())
    assert not (tmp_path / "out").exists()


def test_compare_any_two_variants_of_two_runs(scenario: Path, tmp_path: Path) -> None:
    api.run(scenario, tmp_path / "a", report=False, plugins=plugins())
    api.run(scenario, tmp_path / "b", variants=["move"], report=False, plugins=plugins())
    comparison = api.compare([tmp_path / "a", tmp_path / "b"], variants=["a:merge", "b:move"], base="b:move")
    assert comparison.variants == ["a:merge", "b:move"]
    single = api.compare(tmp_path / "a")
    assert single.variants == ["baseline", "status-quo", "merge", "move"]


def test_report_rewrites_the_report_of_a_results_folder(scenario: Path, tmp_path: Path) -> None:
    api.run(scenario, tmp_path / "out", report=False, plugins=plugins())
    events: list[api.Progress] = []
    html = api.report(tmp_path / "out", lang="en", plugins=plugins(), progress=events.append)
    assert html == tmp_path / "out" / "report" / "report.html" and html.is_file()
    assert "toy-merge" in html.read_text(encoding="utf-8")
    assert events[-1].stage == "report" and events[-1].done == events[-1].total
    assert leftovers(tmp_path / "out") == []


def test_report_reads_the_results_folder_alone(scenario: Path, tmp_path: Path) -> None:
    api.run(scenario, tmp_path / "out", report=False, plugins=plugins())
    scenario.unlink()  # nothing is run again: the folder is all the report needs
    html = api.report(tmp_path / "out", lang="en", plugins=plugins())
    assert html == (tmp_path / "out" / "report" / "report.html").resolve()
    assert "merge" in html.read_text(encoding="utf-8")


def test_pack_names_are_refused_when_the_rosters_changed(scenario: Path, tmp_path: Path) -> None:
    api.run(scenario, tmp_path / "out", report=False, plugins=plugins())
    scenario.write_text(SCENARIO.replace("- {id: m4, branch: b3}", "- {id: m4, branch: b1}"), encoding="utf-8")
    api.pack(tmp_path / "out", "merge", tmp_path / "p0", plugins=plugins())  # no names: the folder suffices
    with pytest.raises(UserError, match="changed since these results were written"):
        api.pack(tmp_path / "out", "merge", tmp_path / "p1", names=True, plugins=plugins())
    assert not (tmp_path / "p1").exists()


def test_pack_from_a_results_folder_and_from_the_scenario_agree(scenario: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no results to pack; write them first with orgmodel run"):
        api.pack(scenario, "merge", tmp_path / "p0", plugins=plugins())
    summary = api.run(scenario, report=False, plugins=plugins())  # into the scenario's output.dir
    from_folder = api.pack(summary.folder, "merge", tmp_path / "p1", plugins=plugins())
    from_scenario = api.pack(scenario, "merge", tmp_path / "p2", plugins=plugins())
    a = (from_folder / "transfers.csv").read_text(encoding="utf-8")
    assert a == (from_scenario / "transfers.csv").read_text(encoding="utf-8")
    assert a.count("\n") == 4  # a header and three members moved
    assert api.pack(summary.folder, "move", plugins=plugins()) == summary.folder.parent / f"{summary.folder.name}-pack-move"


def test_validate_returns_the_counts_and_refuses_bad_steps(scenario: Path) -> None:
    checked = api.validate(scenario, plugins=plugins())
    assert (checked.units, checked.members, checked.variants) == (4, 4, ("status-quo", "merge", "move"))
    scenario.write_text(SCENARIO.replace("locks: [b2]", "locks: [b9]"), encoding="utf-8")
    where = r"s.yaml:\d+:\d+: variants\[2\].steps\[0\].locks\[0\]: "
    with pytest.raises(UserError, match=where + "unknown unit or member 'b9'"):
        api.validate(scenario, plugins=plugins())


def test_a_scenario_plugin_folder_needs_consent(scenario: Path) -> None:
    scenario.write_text(SCENARIO + "plugins: {dir: local}\n", encoding="utf-8")
    with pytest.raises(UserError, match="allow-scenario-plugins"):
        api.plugins_for(scenario)
    assert api.plugins_for(scenario, allow_scenario_plugins=True) is not None


def test_docs_api_md_lists_every_public_name_and_every_argument() -> None:
    import inspect
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text(encoding="utf-8")
    headings = re.findall(r"^### `(\w+)(?:\((.*)\))?", text, re.M)
    documented = {name: args for name, args in headings}
    for name in api.__all__:
        if name == "STAGES":
            assert "`STAGES`" in text
            continue
        assert name in documented, f"{name} has no section in docs/api.md"
        thing = getattr(api, name)
        if inspect.isfunction(thing):
            listed = [a.split("=")[0].strip(" *") for a in documented[name].split(",") if a.strip(" *")]
            assert listed == list(inspect.signature(thing).parameters), name
    for stage in api.STAGES:
        assert f"| `{stage}` |" in text, stage


# -- the command line's progress bar ------------------------------------------------------------

class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_shows_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    with cli._progress_display() as show:
        assert show is None  # pytest's stderr is not a terminal
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with cli._progress_display() as show:
        assert show is not None
        show(api.Progress("run", 1, 4, "merge: step 0 (manual)"))
        show(api.Progress("run", 4, 4, "done"))
    assert "run" in terminal.getvalue()


def test_the_command_line_prints_the_same_lines_through_the_api(scenario: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_host", lambda args, s: plugins())
    code = cli.main(["run", str(scenario), "--out", str(tmp_path / "out"), "--no-report"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["baseline", "0", "moved", "0", "error(s)", "0", "warning(s)"]
    assert lines[2].split()[:2] == ["merge", "3"]
    assert lines[-1] == f"results: {tmp_path / 'out'}"
    assert json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))["scenario"]["name"] == "toy-merge"


# -- the README's examples ------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def readme_python_blocks() -> list[str]:
    import re

    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)


def test_the_readme_runs_a_scenario_through_the_api_with_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    blocks = readme_python_blocks()
    assert len(blocks) == 2 and "api.run(" in blocks[0] and "progress=show" in blocks[0]
    monkeypatch.chdir(ROOT)
    code = blocks[0].replace('"out/', f'"{tmp_path}/')
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102
    printed = capsys.readouterr().out.splitlines()
    assert "run       1/1 manual-upgrade: step 0 (manual)" in printed
    assert printed[0].startswith("load      0/1") and printed.index("run       0/1 2 variant(s), 1 step(s)") > 0
    moved = next(line for line in printed if line.startswith("manual-upgrade: "))
    assert moved.endswith(" error(s)") and int(moved.split()[1]) > 0
    assert float(printed[-1]) > 0  # the largest branch of the variant
    assert (tmp_path / "qisan" / "run.json").is_file()
    assert (tmp_path / "qisan-pack" / "transfers.csv").is_file()


def test_the_readme_changes_a_structure_by_hand(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    exec(compile(readme_python_blocks()[1], "README.md", "exec"), {})  # noqa: S102
    first, second = capsys.readouterr().out.splitlines()
    size = int(first.split()[0])
    assert second.split() == [str(size - 40), "40"]
