"""``orgmodel pack``: the implementation pack of one variant of the built-in 汽三 scenario.

The manual-upgrade variant moves all 150 members into five new branches, dissolves the six
building groups and retypes the branch as a general branch; the pack, read from the results
folder of ``orgmodel run``, must list exactly that, identify members by roster id only (unless
names are asked for), name no approver the rule pack does not give, and be written whole or not
at all.
"""

from __future__ import annotations

import csv
import re
import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from orgmodel.cli import main
from orgmodel.io.loader import build_baseline, load_scenario

ROOT = Path(__file__).resolve().parents[1]
QISAN = ROOT / "scenarios" / "qisan"
SCENARIO = QISAN / "scenario.yaml"
from orgmodel.report.pack import HEADERS as PACK_HEADERS  # noqa: E402

FILES = ("rosters.csv", "transfers.csv", "new_units.csv", "dissolved_units.csv", "approvals.csv")
SHEETS_ZH = ["各支部名册", "组织关系调整清单", "拟新建组织", "拟撤销或改设组织", "需审批事项"]
SHEETS_EN = ["branch rosters", "transfer list", "units to found", "units to dissolve or retype", "changes needing approval"]
HEADERS = {
    "rosters.csv": ["branch_id", "branch_name", "member_id", "status", "group"],
    "transfers.csv": ["member_id", "from_id", "from_name", "to_id", "to_name", "reason_code", "reason"],
    "new_units.csv": ["unit_id", "name", "kind", "parent", "built_on", "members", "full_members", "roles", "reason"],
    "dissolved_units.csv": ["unit_id", "name", "change", "kind", "members_before", "reason"],
    "approvals.csv": ["change", "unit_id", "name", "unit_above", "approved_by", "rule"],
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The results folder of the 汽三 scenario, as ``orgmodel run`` writes it."""
    out = tmp_path_factory.mktemp("results") / "out"
    assert main(["run", str(SCENARIO), "--out", str(out), "--no-report"]) == 0
    return out


def _read(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode()), f"{path.name} has no BOM (Excel would misread UTF-8)"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


def _roster() -> list[dict[str, str]]:
    with (QISAN / "members.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _pack(tmp: Path, capsys: pytest.CaptureFixture[str], results: Path, *extra: str,
          variant: str = "manual-upgrade") -> Path:
    out = tmp / f"pack-{variant}"
    status = main(["pack", str(results), "--variant", variant, "--out", str(out), *extra])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert str(out) in captured.out
    return out


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory, results: Path) -> Path:
    out = tmp_path_factory.mktemp("pack") / "pack-manual-upgrade"
    assert main(["pack", str(results), "--variant", "manual-upgrade", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def expected() -> dict[str, object]:
    """What the manual-upgrade variant does, read from the scenario itself."""
    scenario = load_scenario(SCENARIO)
    (variant,) = [v for v in scenario.spec.variants if v.name == "manual-upgrade"]
    ops = [op for step in variant.steps for op in step.operations]  # type: ignore[union-attr]
    moved = {m: op.to for op in ops if op.op == "move_members" for m in op.members}
    return {
        "moved": moved,
        "created": [op.key for op in ops if op.op == "create_unit"],
        "dissolved": [op.unit for op in ops if op.op == "dissolve"],
        "retyped": [op.unit for op in ops if op.op == "retype"],
        "secretaries": {op.unit.removeprefix("new:"): op.person for op in ops if op.op == "set_role" and op.role == "secretary"},
    }


def test_pack_writes_every_file_and_nothing_else(pack: Path) -> None:
    assert sorted(p.name for p in pack.iterdir()) == sorted([*FILES, "implementation.xlsx"])
    for name in FILES:
        assert _header(pack / name) == HEADERS[name], name
    assert not [p for p in pack.parent.iterdir() if p.name.startswith(".")], "a temporary folder was left behind"


def test_the_pack_folder_is_an_ordinary_folder(pack: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    assert pack.stat().st_mode & 0o777 == 0o777 & ~umask


def test_transfers_are_the_members_moved(pack: Path, expected: dict[str, object]) -> None:
    rows = _read(pack / "transfers.csv")
    moved = expected["moved"]
    assert isinstance(moved, dict)
    assert len(rows) == len(moved) == 150
    assert {r["member_id"] for r in rows} == set(moved)
    assert len({r["member_id"] for r in rows}) == len(rows)
    # from where they were (the branch, by its old name) to the new branch the plan names
    assert {(r["from_id"], r["from_name"]) for r in rows} == {("qisan-branch", "汽三居民区党支部")}
    for r in rows:
        key = moved[r["member_id"]].removeprefix("new:")
        assert r["to_id"] == f"manual-upgrade/0/{key}"
        assert r["reason_code"] == "manual" and r["reason"]
    by_target = Counter(r["to_name"] for r in rows)
    assert by_target == {"综合党支部": 48, "歌咏队党支部": 30, "鼓操队党支部": 25, "戏曲队党支部": 24, "议事团党支部": 23}


def test_rosters_cover_every_active_member_exactly_once(pack: Path) -> None:
    rows = _read(pack / "rosters.csv")
    baseline = build_baseline(load_scenario(SCENARIO))
    active = set(baseline.members.ids[baseline.members["active"]].tolist())
    ids = [r["member_id"] for r in rows]
    assert len(ids) == len(set(ids)) == len(active) == 150
    assert set(ids) == active
    sizes = Counter(r["branch_name"] for r in rows)
    assert sizes == {"综合党支部": 48, "歌咏队党支部": 30, "鼓操队党支部": 25, "戏曲队党支部": 24, "议事团党支部": 23}
    assert {r["status"] for r in rows} <= {"full", "probationary"}
    assert {r["group"] for r in rows} == {""}  # the building groups are dissolved


def test_new_dissolved_and_approvals(pack: Path, expected: dict[str, object]) -> None:
    new = _read(pack / "new_units.csv")
    created = expected["created"]
    secretaries = expected["secretaries"]
    assert isinstance(created, list) and isinstance(secretaries, dict)
    assert [r["unit_id"] for r in new] == [f"manual-upgrade/0/{k}" for k in created]
    assert sum(int(r["members"]) for r in new) == 150
    for r in new:
        key = r["unit_id"].rsplit("/", 1)[1]
        assert r["roles"] == f"secretary: {secretaries[key]}"  # the roles the plan set, as stored
        assert r["parent"] == "qisan-branch" and r["kind"] == "党支部"
        assert int(r["full_members"]) <= int(r["members"])
        assert r["reason"]
    gone = _read(pack / "dissolved_units.csv")
    assert [(r["unit_id"], r["change"]) for r in gone] == (
        [(u, "dissolve") for u in expected["dissolved"]]  # type: ignore[union-attr]
        + [("qisan-branch", "retype from party.branch")])
    assert sum(int(r["members_before"]) for r in gone if r["change"] == "dissolve") == 150
    approvals = _read(pack / "approvals.csv")
    assert Counter(r["change"] for r in approvals) == {"found": 5, "dissolve": 6, "retype": 1}
    assert {r["unit_above"] for r in approvals if r["change"] == "retype"} == {"某路社区党工委"}
    assert {r["unit_above"] for r in approvals if r["change"] == "found"} == {"汽三居民区党总支"}
    # who approves comes from the rule pack's data; none of its findings names an approver here
    assert {r["approved_by"] for r in approvals} == {r["rule"] for r in approvals} == {""}


def test_workbook_has_one_sheet_per_file(pack: Path) -> None:
    book = load_workbook(pack / "implementation.xlsx", read_only=True)
    assert book.sheetnames == SHEETS_ZH
    for sheet, name in zip(SHEETS_ZH, FILES, strict=True):
        rows = list(book[sheet].iter_rows(values_only=True))
        titles = {**PACK_HEADERS, "name": ("组织名称", "unit")} if name not in ("rosters.csv", "transfers.csv") \
            else PACK_HEADERS
        party = {"member": "党员", "members": "党员", "full": "正式党员", "group": "党小组"}  # the party pack's words
        assert list(rows[0]) == [titles[c][0].format(**party) for c in HEADERS[name]]  # the CSV's columns, in Chinese
        assert len(rows) - 1 == len(_read(pack / name)), sheet
    transfers = list(book["组织关系调整清单"].iter_rows(values_only=True))
    assert transfers[1][0] == _read(pack / "transfers.csv")[0]["member_id"]
    book.close()


def _every_text(folder: Path) -> str:
    parts = [(folder / name).read_text(encoding="utf-8-sig") for name in FILES]
    book = load_workbook(folder / "implementation.xlsx", read_only=True)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            parts.extend(str(c) for c in row if c is not None)
    book.close()
    return "\n".join(parts)


def test_no_names_by_default(pack: Path) -> None:
    names = {m["姓名"] for m in _roster()}
    assert len(names) > 100
    text = _every_text(pack)
    leaked = sorted(n for n in names if n in text)
    assert leaked == []
    assert "name" not in _header(pack / "rosters.csv") and "name" not in _header(pack / "transfers.csv")


def test_names_with_the_names_option(tmp_path: Path, capsys: pytest.CaptureFixture[str], results: Path) -> None:
    out = _pack(tmp_path, capsys, results, "--names")
    roster = {m["编号"]: m["姓名"] for m in _roster()}
    rows = _read(out / "rosters.csv")
    assert _header(out / "rosters.csv") == ["branch_id", "branch_name", "member_id", "name", "status", "group"]
    assert all(r["name"] == roster[r["member_id"]] for r in rows)
    transfers = _read(out / "transfers.csv")
    assert _header(out / "transfers.csv")[:2] == ["member_id", "name"]
    assert all(r["name"] == roster[r["member_id"]] for r in transfers)
    book = load_workbook(out / "implementation.xlsx", read_only=True)
    assert list(next(book["各支部名册"].iter_rows(values_only=True))) == \
        ["支部编号", "支部名称", "党员编号", "姓名", "党员类别", "党小组"]
    book.close()


def test_english_sheet_names_and_reasons(tmp_path: Path, capsys: pytest.CaptureFixture[str], results: Path) -> None:
    out = _pack(tmp_path, capsys, results, "--lang", "en")
    book = load_workbook(out / "implementation.xlsx", read_only=True)
    assert book.sheetnames == SHEETS_EN
    book.close()
    new = _read(out / "new_units.csv")
    assert {r["kind"] for r in new} == {"branch"}


def test_names_from_the_scenario_output_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "qisan"
    shutil.copytree(QISAN, folder)
    path = folder / "scenario.yaml"
    text = path.read_text(encoding="utf-8")
    assert "output: {dir: out, lang: zh}" in text
    path.write_text(text.replace("output: {dir: out, lang: zh}", "output: {dir: out, lang: zh, names: true}"),
                    encoding="utf-8")
    assert main(["pack", str(path), "--variant", "manual-upgrade"]) == 2
    assert "orgmodel run" in capsys.readouterr().err  # the results come first
    assert main(["run", str(path), "--no-report"]) == 0
    capsys.readouterr()
    assert main(["pack", str(path), "--variant", "manual-upgrade"]) == 0
    assert "(with names)" in capsys.readouterr().out
    out = folder / "out" / "pack-manual-upgrade"  # the default folder
    assert "name" in _header(out / "rosters.csv")


def test_a_variant_with_no_steps_is_refused_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], results: Path
) -> None:
    out = tmp_path / "pack"
    assert main(["pack", str(results), "--variant", "status-quo", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "status-quo" in err and "changes nothing" in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_variant_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], results: Path) -> None:
    assert main(["pack", str(results), "--variant", "nope", "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'nope'" in err and "manual-upgrade" in err
    assert list(tmp_path.iterdir()) == []


def test_an_error_keeps_the_previous_pack_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, results: Path
) -> None:
    out = _pack(tmp_path, capsys, results)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # a refused variant leaves the folder as it was
    assert main(["pack", str(results), "--variant", "status-quo", "--out", str(out)]) == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # so does a failure half-way through writing (the workbook)
    import orgmodel.report.pack

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(orgmodel.report.pack, "_xlsx", broken)
    assert main(["pack", str(results), "--variant", "manual-upgrade", "--out", str(out), "--names"]) != 0
    assert "disk full" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no temporary folder left


def test_who_approves_comes_from_the_rule_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A finding that names an approver (a rule record's approver_zh/approver_en) puts it in the
    approvals sheet; without one, no approver is written (none is made up)."""
    (tmp_path / "scenario.yaml").write_text("""\
version: 1
name: village
domain: party
baseline:
  units:
    - {id: tw, kind: party.township, name: 某镇}
    - {id: v1, kind: party.village, name: 一村, parent: tw}
    - {id: v2, kind: party.village, name: 二村, parent: tw}
    - {id: tc, kind: party.committee, name: 某镇党委, built_on: tw}
    - {id: b1, kind: party.branch, name: 一村党支部, parent: tc, built_on: v1}
    - {id: b2, kind: party.branch, name: 二村党支部, parent: tc, built_on: v2}
  members:
    - {id: m1, branch: b1}
    - {id: m2, branch: b1}
    - {id: m3, branch: b2}
variants:
  - name: joint
    steps:
      - operations:
          - {op: create_unit, key: j, kind: party.branch, name: 一二村联合党支部, parent: tc, built_on: [v1, v2], reason: 两村党员均不足3人}
          - {op: dissolve, unit: b1, members_to: 'new:j', reason: 并入联合党支部}
          - {op: dissolve, unit: b2, members_to: 'new:j', reason: 并入联合党支部}
""", encoding="utf-8")
    results = tmp_path / "out"
    assert main(["run", str(tmp_path / "scenario.yaml"), "--out", str(results), "--no-report"]) == 0
    out = tmp_path / "pack"
    assert main(["pack", str(results), "--variant", "joint", "--out", str(out)]) == 0, capsys.readouterr().err
    approvals = _read(out / "approvals.csv")
    assert [(r["change"], r["unit_id"]) for r in approvals] == [("found", "joint/0/j"), ("dissolve", "b1"), ("dissolve", "b2")]
    assert {r["approved_by"] for r in approvals} == {""}
    assert "乡镇" not in (out / "approvals.csv").read_text(encoding="utf-8-sig")
    # a rule record with an approver: its findings carry it into the pack
    evaluation = results / "variants" / "joint" / "evaluation.json"
    data = json.loads(evaluation.read_text(encoding="utf-8"))
    data["findings"].append({"rule": "demo.approval", "severity": "approval", "status": "violated",
                             "unit": "joint/0/j", "unit_name": "一二村联合党支部", "value": None, "threshold": "",
                             "title_zh": "需批准", "title_en": "needs approval", "source": "",
                             "approver_zh": "上级审批机关", "approver_en": "the approving body above"})
    evaluation.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["pack", str(results), "--variant", "joint", "--out", str(out)]) == 0
    approvals = {r["unit_id"]: r for r in _read(out / "approvals.csv")}
    assert (approvals["joint/0/j"]["approved_by"], approvals["joint/0/j"]["rule"]) == ("上级审批机关", "demo.approval")
    assert approvals["b1"]["approved_by"] == ""
    transfers = _read(out / "transfers.csv")
    assert [(r["member_id"], r["from_id"], r["to_id"], r["reason"]) for r in transfers] == [
        ("m1", "b1", "joint/0/j", "并入联合党支部"), ("m2", "b1", "joint/0/j", "并入联合党支部"),
        ("m3", "b2", "joint/0/j", "并入联合党支部")]


def test_the_chinese_workbook_has_no_english_word_outside_its_id_columns(results: Path, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    out = _pack(tmp_path, capsys, results, "--lang", "zh")
    book = load_workbook(out / "implementation.xlsx")
    english = []
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        header = [str(h) for h in rows[0]]
        english += [h for h in header if re.search(r"[A-Za-z]", h)]
        for row in rows[1:]:
            for title, value in zip(header, row):
                if value is None or title.endswith(("编号", "代码")) or title == "规则":
                    continue
                if re.search(r"[A-Za-z]{2,}", re.sub(r"\b[A-Za-z]*\d[\w-]*", "", str(value))):  # ids aside
                    english.append(f"{sheet.title}/{title}: {value}")
    assert not english, english[:10]
    assert {str(r[3]) for r in list(book["各支部名册"].iter_rows(values_only=True))[1:]} <= {"正式党员", "预备党员"}
