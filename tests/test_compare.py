"""``orgmodel compare``: four variants of the 汽三 scenario side by side, in a table and as JSON
that validates against the published schema; several runs; changes between two variants.

The four variants: ``status-quo`` and ``manual-upgrade`` (from the scenario), and two written here
by hand: ``two-branches`` (groups 4–6 to a second branch: 77 + 73 members) and ``four-branches``
(groups 1+3 stay, 2+4, 5 and 6 to three new branches: 46, 49, 29, 26).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow.parquet as pq
import pytest

from orgmodel.cli import main
from orgmodel.errors import UserError
from orgmodel.analysis.compare import SCHEMA_PATH, format_table, load_comparison

ROOT = Path(__file__).resolve().parents[1]
QISAN = ROOT / "scenarios" / "qisan"
VARIANTS = ["status-quo", "manual-upgrade", "two-branches", "four-branches"]
GROUP_IDS = {"第一党小组": "qisan-g1", "第二党小组": "qisan-g2", "第三党小组": "qisan-g3",
             "第四党小组": "qisan-g4", "第五党小组": "qisan-g5", "第六党小组": "qisan-g6"}


def _groups() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with (QISAN / "members.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            out.setdefault(GROUP_IDS[row["党小组"]], []).append(row["编号"])
    return out


def _variant(name: str, label: str, new: dict[str, list[str]]) -> str:
    """A hand-written variant: new branches under the working committee, taking whole groups."""
    groups = _groups()
    lines = [f"  - name: {name}", f"    label: {label}", "    steps:", "      - operations:"]
    for key, gs in new.items():
        lines.append(f"          - {{op: create_unit, key: {key}, kind: party.branch, name: 汽三{key}党支部,"
                     f" parent: moulu-wc, built_on: [qisan], reason: 按楼栋分设支部}}")
        lines += [f"          - {{op: attach, unit: {g}, parent: 'new:{key}', reason: 党小组随楼栋划入新支部}}" for g in gs]
    for key, gs in new.items():
        for g in gs:
            lines.append(f"          - {{op: move_members, to: 'new:{key}', group: {g},"
                         f" members: [{', '.join(groups[g])}], reason: 按楼栋划入新支部}}")
    return "\n".join(lines) + "\n"


def _scenario(folder: Path) -> Path:
    shutil.copytree(QISAN, folder)
    path = folder / "scenario.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.rstrip().endswith("reason: \"原按楼栋划分的党小组随支部升格撤销，党员已转入新支部\"")  # variants come last
    text += _variant("two-branches", "分设两个支部", {"b2": ["qisan-g4", "qisan-g5", "qisan-g6"]})
    text += _variant("four-branches", "分设四个支部", {"a": ["qisan-g2", "qisan-g4"], "b": ["qisan-g5"], "c": ["qisan-g6"]})
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scenario's run folder (its default ``out``)."""
    folder = tmp_path_factory.mktemp("compare") / "qisan"
    path = _scenario(folder)
    assert main(["run", str(path)]) == 0
    return folder / "out"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    data = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    status = main(["compare", *args, "--json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return json.loads(captured.out)


def _metric(data: dict[str, Any], name: str) -> dict[str, Any]:
    (row,) = [m for m in data["metrics"] if m["name"] == name]
    return row


def _assignment(run: Path, variant: str) -> dict[str, str]:
    table = pq.read_table(run / "variants" / variant / "assignment.parquet")
    return dict(zip(table.column("member").to_pylist(), table.column("branch").to_pylist(), strict=True))


# -- one run, four variants ---------------------------------------------------------------------------


def test_run_prints_one_line_per_variant(run: Path) -> None:
    index = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert [v["name"] for v in index["variants"]] == ["baseline", *VARIANTS]
    moved = {v["name"]: sum(s["members_moved"] for s in v["steps"]) for v in index["variants"]}
    assert moved == {"baseline": 0, "status-quo": 0, "manual-upgrade": 150, "two-branches": 73, "four-branches": 104}


def test_comparison_json_validates_against_the_schema(run: Path, schema: dict[str, Any],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, str(run))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert [v["key"] for v in data["variants"]] == ["baseline", *VARIANTS]
    assert data["base"] == "baseline" and data["comparison_version"] == 1
    # every metric row has a value (or null) for every variant
    for row in data["metrics"]:
        assert list(row["values"]) == ["baseline", *VARIANTS]
    assert _metric(data, "branch_size.max")["values"] == {
        "baseline": 150.0, "status-quo": 150.0, "manual-upgrade": 48.0, "two-branches": 77.0, "four-branches": 49.0}
    assert _metric(data, "branch_size.count")["values"]["four-branches"] == 4.0
    assert data["changes"]["two-branches"]["members_moved"] == 73
    assert data["changes"]["status-quo"] == {"created": [], "dissolved": [], "retyped": [], "reparented": [], "renamed": [], "resized": [], "flows": [],
                                             "members_moved": 0}
    assert data["findings"]["status-quo"]["counts"]["warning"] == 1  # the branch of 150
    assert data["findings"]["four-branches"]["counts"]["warning"] == 0  # every branch ≤ 50


def test_comparison_of_chosen_variants_validates(run: Path, schema: dict[str, Any],
                                                 capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "cmp" / "comparison.json"
    data = _json(capsys, str(run), *[a for v in VARIANTS for a in ("--variant", v)], "--out", str(out))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert [v["key"] for v in data["variants"]] == VARIANTS
    assert json.loads(out.read_text(encoding="utf-8")) == data
    assert [s["kind"] for s in data["variants"][1]["steps"]] == ["manual"]


def test_best_is_marked_by_direction(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, str(run), *[a for v in VARIANTS for a in ("--variant", v)])
    lower = _metric(data, "branch_size.max")
    assert lower["direction"] == "lower" and lower["best"] == ["manual-upgrade"]
    higher = _metric(data, "backbone.people")  # manual-upgrade keeps only the 5 new secretaries + 2
    assert higher["direction"] == "higher"
    assert higher["best"] == ["status-quo", "two-branches", "four-branches"]
    assert _metric(data, "coverage.team")["best"] == ["manual-upgrade"]
    assert _metric(data, "branch_size.count")["best"] == []  # neutral
    assert _metric(data, "placement.members")["best"] == []  # equal everywhere
    assert _metric(data, "meeting.over_capacity")["best"] == []  # not measured anywhere


def test_table_has_every_variant_as_a_column_and_stars(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["compare", str(run), *[a for v in VARIANTS for a in ("--variant", v)], "--lang", "en"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    header = lines[0].split()
    assert header[:2] == ["metric", "unit"] and header[2:] == VARIANTS
    assert set(lines[1]) == {"-", " "}

    def cells(label: str) -> list[str]:
        (line,) = [ln for ln in lines if re.split(r"\s{2,}", ln)[0] == label]
        return re.split(r"\s{2,}", line.strip())[2:]  # drop the label and the unit

    assert cells("largest branch") == ["150", "48 ★", "77", "49"]
    assert cells("backbone people") == ["11 ★", "7", "11 ★", "11 ★"]
    assert cells("branches over 50") == ["1", "0 ★", "2", "0 ★"]
    assert cells("branches larger than their room") == ["—", "—", "—", "—"]
    assert "★ better by the metric's direction" in text
    assert "four-branches — what changed and why (vs baseline): +3 / -0 units, 104 members moved" in text
    assert "status-quo — what changed" not in text  # nothing changed


def test_table_in_chinese_aligns_wide_characters(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from orgmodel.analysis.compare import _width

    table = format_table(load_comparison([run], variants=VARIANTS))
    lines = table.split("\n\n")[0].splitlines()
    assert lines[0].startswith("指标")
    widths = {_width(line.rstrip()) for line in lines if "★" not in line}
    assert len(widths) <= 2, widths  # every row as wide as the header (star rows excepted)
    assert "规则检查: 错误" in table and "变化及原因" in table


# -- several runs --------------------------------------------------------------------------------------


def test_two_run_folders_are_keyed_run_colon_variant(run: Path, tmp_path: Path, schema: dict[str, Any],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    scenario = run.parent / "scenario.yaml"
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["run", str(scenario), "--out", str(first), "--variant", "two-branches"]) == 0
    assert main(["run", str(scenario), "--out", str(second), "--variant", "four-branches",
                 "--variant", "status-quo"]) == 0
    data = _json(capsys, str(first), str(second))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert [v["key"] for v in data["variants"]] == [
        "first:baseline", "first:two-branches", "second:baseline", "second:status-quo", "second:four-branches"]
    assert _metric(data, "branch_size.max")["best"] == ["second:four-branches"]
    data = _json(capsys, str(first), str(second), "--variant", "second:four-branches", "--variant", "first:two-branches")
    assert [v["key"] for v in data["variants"]] == ["second:four-branches", "first:two-branches"]
    # with several runs a bare variant name is ambiguous
    assert main(["compare", str(first), str(second), "--variant", "two-branches"]) == 2
    assert "first:two-branches" in capsys.readouterr().err


def test_runs_with_the_same_folder_name_stay_apart(run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = run.parent / "scenario.yaml"
    a, b = tmp_path / "a" / "out", tmp_path / "b" / "out"
    assert main(["run", str(scenario), "--out", str(a), "--variant", "two-branches"]) == 0
    assert main(["run", str(scenario), "--out", str(b), "--variant", "four-branches"]) == 0
    data = _json(capsys, str(a), str(b))
    keys = [v["key"] for v in data["variants"]]
    assert keys == ["a/out:baseline", "a/out:two-branches", "b/out:baseline", "b/out:four-branches"]
    assert _metric(data, "branch_size.max")["values"] == {
        "a/out:baseline": 150.0, "a/out:two-branches": 77.0, "b/out:baseline": 150.0, "b/out:four-branches": 49.0}
    assert main(["compare", str(a), str(a)]) == 2
    assert "twice" in capsys.readouterr().err


def test_the_same_baseline_has_the_same_fingerprint_in_two_runs(run: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    scenario = run.parent / "scenario.yaml"
    other = tmp_path / "again"
    assert main(["run", str(scenario), "--out", str(other), "--variant", "four-branches"]) == 0
    fingerprint = json.loads((run / "run.json").read_text(encoding="utf-8"))["baseline"]["fingerprint"]
    again = json.loads((other / "run.json").read_text(encoding="utf-8"))["baseline"]["fingerprint"]
    assert again == fingerprint
    # and so variants of two runs of one scenario can be compared with each other
    capsys.readouterr()
    assert main(["compare", str(run), str(other), "--variant", "out:two-branches", "--variant", "again:four-branches",
                 "--base", "out:two-branches"]) == 0, capsys.readouterr().err


# -- changes against another variant -------------------------------------------------------------------


def test_base_variant_changes_are_between_variants(run: Path, schema: dict[str, Any],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, str(run), "--variant", "two-branches", "--variant", "four-branches",
                 "--variant", "manual-upgrade", "--base", "two-branches")
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["base"] == "two-branches"
    assert data["changes"]["two-branches"]["members_moved"] == 0
    two, four = _assignment(run, "two-branches"), _assignment(run, "four-branches")
    differ = sum(1 for m in two if two[m] != four[m])
    assert differ == 104  # group 2 (31) leaves the old branch; groups 4, 5, 6 (18+29+26) leave b2
    ch = data["changes"]["four-branches"]
    assert ch["members_moved"] == differ == sum(f["count"] for f in ch["flows"])
    flows = {(f["from"], f["to"]): f["count"] for f in ch["flows"]}
    assert flows == {("qisan-branch", "four-branches/0/a"): 31, ("two-branches/0/b2", "four-branches/0/b"): 29,
                     ("two-branches/0/b2", "four-branches/0/c"): 26, ("two-branches/0/b2", "four-branches/0/a"): 18}
    assert [u["id"] for u in ch["created"]] == ["four-branches/0/a", "four-branches/0/b", "four-branches/0/c"]
    assert [u["id"] for u in ch["dissolved"]] == ["two-branches/0/b2"]
    up = data["changes"]["manual-upgrade"]
    manual = _assignment(run, "manual-upgrade")
    assert up["members_moved"] == sum(1 for m in two if two[m] != manual[m]) == 150
    assert [u["id"] for u in up["retyped"]] == ["qisan-branch"]


def test_base_must_be_compared(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(run), "--variant", "two-branches", "--base", "four-branches"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "four-branches" in err


# -- errors ----------------------------------------------------------------------------------------------


def test_unknown_variant_is_one_line(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["compare", str(run), "--variant", "nope"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("error: no variant 'nope' (have: baseline, status-quo")


def test_a_folder_without_run_json_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no run.json" in err and str(tmp_path) in err


def test_a_broken_run_json_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "run.json").write_text('{"results_version": 2,\n  oops}', encoding="utf-8")
    assert main(["compare", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "run.json:2" in err
    (tmp_path / "run.json").write_text('{"results_version": 9}', encoding="utf-8")
    assert main(["compare", str(tmp_path)]) == 2
    assert "results_version 9" in capsys.readouterr().err


def test_results_csv_keeps_every_digit(run: Path) -> None:
    with (run / "metrics.csv").open(encoding="utf-8", newline="") as handle:
        rows = {r["metric"]: r for r in csv.DictReader(handle)}
    assert rows["backbone.members_per_backbone"]["baseline"] == repr(150 / 11)
    assert rows["branch_size.max"]["two-branches"] == "77"
    assert rows["meeting.over_capacity"]["baseline"] == ""


def test_changes_between_two_variants_keep_their_reasons(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, str(run), "--variant", "two-branches", "--variant", "four-branches", "--base", "two-branches")
    four = json.loads((run / "variants" / "four-branches" / "evaluation.json").read_text(encoding="utf-8"))
    stored = {r["code"]: r["zh"] for f in four["changes"]["flows"] for r in f["reasons"]}
    ch = data["changes"]["four-branches"]
    for flow in ch["flows"]:
        assert sum(r["count"] for r in flow["reasons"]) == flow["count"]
        for r in flow["reasons"]:
            assert r["code"] != "unexplained" and r["zh"], flow  # every member moved A -> B has a reason
            assert r["code"] in stored and stored[r["code"]] == r["zh"]  # the one four-branches stored
    created = {u["id"]: u["reason"] for u in ch["created"]}
    assert all(r and r["zh"] for r in created.values())
    # a unit two-branches founded and four-branches did not: said so, not left blank
    assert ch["dissolved"][0]["reason"]["code"] == "not_created"


def test_load_results_reads_stored_numbers(run: Path) -> None:
    from orgmodel.run.results import load_results

    results = load_results(run)
    assert results.names == ["baseline", *VARIANTS]
    four = results.variant("four-branches")
    assert four.value("branch_size.max") == 49.0
    units = four.units
    live = units.counted_branch
    assert sorted(units.direct[live].tolist()) == sorted(
        [u["size"] for u in json.loads((run / "variants/four-branches/units.json").read_text("utf-8"))["units"]
         if not u["dissolved"] and u["kind"] == "party.branch"])
    moved = four.assignment.reason_code != None  # noqa: E711 (element-wise)
    assert int(moved.sum()) == four.changes["members_moved"] == 104
    with pytest.raises(UserError, match="no variant 'nope'"):
        results.variant("nope")


def test_load_results_refuses_old_and_damaged_folders(run: Path, tmp_path: Path) -> None:
    import shutil

    from orgmodel.run.results import load_results

    with pytest.raises(UserError, match="not a results folder"):
        load_results(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    index = json.loads((copy / "run.json").read_text(encoding="utf-8"))
    (copy / "run.json").write_text(json.dumps(dict(index, results_version=1)), encoding="utf-8")
    with pytest.raises(UserError, match="results_version 1 is not supported"):
        load_results(copy)
    (copy / "run.json").write_text(json.dumps(index), encoding="utf-8")
    (copy / "variants" / "two-branches" / "units.json").write_text('{"units": [{"id": "x"}]}', encoding="utf-8")
    with pytest.raises(UserError, match="units.json: a unit row is incomplete"):
        load_results(copy).variant("two-branches").units
    (copy / "variants" / "two-branches" / "assignment.parquet").write_bytes(b"not parquet")
    with pytest.raises(UserError, match="assignment.parquet: not a readable Parquet file"):
        load_results(copy).variant("two-branches").assignment


def test_stored_changes_agree_with_the_change_metrics(run: Path) -> None:
    """The changes (run/changes.py) and the change metrics (measured apart) count the same."""
    from orgmodel.run.results import load_results

    for v in load_results(run).variants:
        ch = v.changes
        assert ch["members_moved"] == v.value("change.members_moved"), v.name
        assert len(ch["created"]) == v.value("change.units_created"), v.name
        assert len(ch["dissolved"]) == v.value("change.units_dissolved"), v.name
        assert len(ch["retyped"]) == v.value("change.units_retyped"), v.name
        moved = sum(r["count"] for f in ch["flows"] for r in f["reasons"])
        assert moved == ch["members_moved"]
