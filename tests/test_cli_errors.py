"""Every bad input gets one clean line naming file, line and field, exit 2, and no output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from orgmodel import cli

SCENARIO = """\
name: t
domain: party
baseline:
  units:
    - {id: c, kind: party.working_committee, name: 党工委}
    - {id: b, kind: party.branch, name: 一支部, parent: c}
  members: {file: members.csv}
variants:
  - name: a
    steps:
      - operations:
          - {op: move_members, members: [m1], to: b, reason: 调整}
"""
MEMBERS = "id,branch,status\nm1,b,full\nm2,b,probationary\n"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    (tmp_path / "members.csv").write_text(MEMBERS, encoding="utf-8")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def expect_error(capsys: pytest.CaptureFixture[str], folder: Path, file: str, *fragments: str) -> str:
    before = sorted(p.name for p in folder.iterdir())
    code, out, err = run(capsys, "validate", file)
    assert code == 2, (out, err)
    assert out == ""
    line = err.rstrip("\n")
    assert "Traceback" not in line
    assert all(each.startswith("error: ") for each in line.splitlines()), line  # several errors: a line each
    for fragment in fragments:
        assert fragment in line, line
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written
    return line


def write(folder: Path, name: str, text: str | bytes) -> str:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return name


def test_good_scenario_validates(capsys, folder):
    code, out, err = run(capsys, "validate", "s.yaml")
    assert (code, err) == (0, "")
    assert out.strip() == "ok: s.yaml: 2 units, 2 members, 1 variant(s)"


def test_empty_file(capsys, folder):
    expect_error(capsys, folder, write(folder, "e.yaml", ""), "e.yaml: file is empty")


def test_binary_junk(capsys, folder):
    expect_error(capsys, folder, write(folder, "j.yaml", bytes(range(256)) * 20), "j.yaml:", "not a text file")


def test_list_where_a_mapping_belongs(capsys, folder):
    expect_error(capsys, folder, write(folder, "l.yaml", "- a\n- b\n"), "l.yaml:1:1:", "expected a mapping")


def test_nested_list_where_a_mapping_belongs(capsys, folder):
    text = SCENARIO.replace("members: {file: members.csv}", "members: {file: members.csv}\noutput: [zh]")
    expect_error(capsys, folder, write(folder, "o.yaml", text), "o.yaml:8:1: output: expected a mapping, got a list")


def test_unknown_key(capsys, folder):
    text = SCENARIO.replace("domain: party", "domian: party")
    line = expect_error(capsys, folder, write(folder, "k.yaml", text), "k.yaml:2:1: domian: unknown key")
    assert "allowed:" in line and "domain" in line


def test_unknown_key_in_table_source(capsys, folder):
    text = SCENARIO.replace("{file: members.csv}", "{file: members.csv, colums: {}}")
    expect_error(capsys, folder, write(folder, "k.yaml", text), "k.yaml:7:", "baseline.members.colums: unknown key")


def test_wrong_type(capsys, folder):
    text = SCENARIO.replace("name: t\n", "name: t\nseed: many\n")
    expect_error(capsys, folder, write(folder, "w.yaml", text), "w.yaml:2:1: seed: expected an integer, got 'many'")


def test_missing_roster_file(capsys, folder):
    text = SCENARIO.replace("members.csv", "nowhere.csv")
    expect_error(capsys, folder, write(folder, "m.yaml", text), "m.yaml:7:", "baseline.members.file", "not found", "nowhere.csv")


def test_roster_missing_column(capsys, folder):
    write(folder, "members.csv", "id,status\nm1,full\n")
    expect_error(capsys, folder, "s.yaml", "members.csv:1:", "missing column 'branch'")


def test_roster_duplicate_id(capsys, folder):
    write(folder, "members.csv", "id,branch\nm1,b\nm2,b\nm1,b\n")
    expect_error(capsys, folder, "s.yaml", "members.csv:4: id: duplicate id 'm1' (first on line 2)")


def test_member_pointing_at_missing_unit(capsys, folder):
    write(folder, "members.csv", "id,branch\nm1,b\nm2,nowhere\n")
    expect_error(capsys, folder, "s.yaml", "members.csv:3: branch: unknown unit 'nowhere'")


def test_member_in_a_unit_that_holds_no_members(capsys, folder):
    write(folder, "members.csv", "id,branch\nm1,b\nm2,c\n")
    expect_error(capsys, folder, "s.yaml", "members.csv:3: branch:", "holds no members")


def test_cycle_in_the_hierarchy(capsys, folder):
    text = SCENARIO.replace(
        "    - {id: c, kind: party.working_committee, name: 党工委}\n",
        "    - {id: c1, kind: party.committee, parent: c2}\n    - {id: c2, kind: party.committee, parent: c1}\n"
        "    - {id: c, kind: party.working_committee, name: 党工委}\n",
    )
    expect_error(capsys, folder, write(folder, "c.yaml", text), "c.yaml:5:", "cycle", "c1 -> c2 -> c1")


def test_unknown_kind(capsys, folder):
    text = SCENARIO.replace("kind: party.branch", "kind: party.brnach")
    expect_error(capsys, folder, write(folder, "u.yaml", text), "u.yaml:6:", "kind:", "unknown unit kind 'party.brnach'")


def test_unknown_domain_pack(capsys, folder):
    text = SCENARIO.replace("domain: party", "domain: parti")
    expect_error(capsys, folder, write(folder, "d.yaml", text), "d.yaml:2:", "domain", "unknown domain pack 'parti'")


def test_bad_status_value(capsys, folder):
    write(folder, "members.csv", "id,branch,status\nm1,b,full\nm2,b,honorary\n")
    expect_error(capsys, folder, "s.yaml", "members.csv:3: status:", "'honorary'")


def test_bad_date(capsys, folder):
    write(folder, "members.csv", "id,branch,birth_date\nm1,b,1950-01-01\nm2,b,1950-13-45\n")
    expect_error(capsys, folder, "s.yaml", "members.csv:3: birth_date:", "1950-13-45")


def test_operation_without_reason(capsys, folder):
    text = SCENARIO.replace(", reason: 调整", "")
    expect_error(capsys, folder, write(folder, "r.yaml", text), "r.yaml:12:", "operations[0].reason: required key missing")


def test_unknown_strategy(capsys, folder):
    text = SCENARIO.replace("      - operations:\n          - {op: move_members, members: [m1], to: b, reason: 调整}\n",
                            "      - strategy: split-everything\n")
    expect_error(capsys, folder, write(folder, "s2.yaml", text), "s2.yaml:11:", "unknown strategy 'split-everything'")


def test_file_of_100_megabytes(capsys, folder):
    path = folder / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: 100 MB without writing them
    expect_error(capsys, folder, "big.yaml", "big.yaml:", "limited to 2 MB")


def test_missing_scenario_file(capsys, folder):
    expect_error(capsys, folder, "absent.yaml", "absent.yaml", "not found")


def test_gb18030_roster_with_chinese_headers(capsys, folder):
    (folder / "members.csv").write_bytes("编号,所在支部,党员类别\nm1,b,正式党员\nm2,b,预备党员\n".encode("gb18030"))
    text = SCENARIO.replace(
        "members: {file: members.csv}",
        "members: {file: members.csv, encoding: gb18030, columns: {编号: id, 所在支部: branch, 党员类别: status},"
        " values: {status: {正式党员: full, 预备党员: probationary}}}",
    )
    write(folder, "g.yaml", text)
    code, out, _ = run(capsys, "info", "g.yaml", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["members"]["full"] == 1 and info["members"]["not_full"] == 1


def test_undecodable_roster_names_the_encoding(capsys, folder):
    (folder / "members.csv").write_bytes("id,branch,备注\nm1,b,老党员\n".encode("gb18030"))
    expect_error(capsys, folder, "s.yaml", "members.csv", "utf-8", "gb18030")


def test_xlsx_and_json_rosters(capsys, folder):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["id", "branch", "status", "birth_date"])
    sheet.append(["007", "b", "full", "1950-02-03"])
    sheet.append([8, "b", "probationary", None])
    book.save(folder / "members.xlsx")
    (folder / "participation.json").write_text(json.dumps([{"member": "007", "unit": "b"}]), encoding="utf-8")
    os.environ["ORGMODEL_CACHE"] = str(folder / ".cache")
    try:
        text = SCENARIO.replace("members.csv}", "members.xlsx}\n  participation: {file: participation.json}")
        write(folder, "x.yaml", text)
        for _ in range(2):  # the second read comes from the Parquet cache
            code, out, err = run(capsys, "info", "x.yaml", "--json")
            assert (code, err) == (0, "")
            info = json.loads(out)
            assert info["members"]["active"] == 2 and info["participation"]["links"] == 1
        assert list((folder / ".cache" / "xlsx").glob("*.parquet"))
    finally:
        del os.environ["ORGMODEL_CACHE"]


def test_internal_error_says_it_is_a_bug(capsys, folder, monkeypatch):
    import orgmodel.io.loader

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(orgmodel.io.loader, "load_scenario", broken)
    code, out, err = run(capsys, "validate", "s.yaml")
    assert code == 70
    assert "bug in orgmodel" in err and "RuntimeError: boom" in err and "Traceback" not in err


def test_info_shows_counts_not_names(capsys, folder):
    write(folder, "members.csv", "id,branch,name\nm1,b,张三丰\nm2,b,李四光\n")
    code, out, _ = run(capsys, "info", "s.yaml")
    assert code == 0
    assert "张三丰" not in out and "李四光" not in out
    assert "一支部" in out


def test_export_graphml_and_json(capsys, folder):
    import networkx as nx

    code, out, _ = run(capsys, "export", "s.yaml", "--format", "graphml", "--out", "o.graphml", "--members")
    assert code == 0
    g = nx.read_graphml(folder / "o.graphml")
    assert {"c", "b", "m1", "m2"} <= set(g.nodes)
    code, _, _ = run(capsys, "export", "s.yaml", "--out", "o.json")
    data = json.loads((folder / "o.json").read_text(encoding="utf-8"))
    assert {n["id"] for n in data["nodes"]} == {"c", "b"}


def test_impossible_date_in_the_yaml(capsys, folder):
    text = SCENARIO.replace("domain: party\n", "domain: party\nas_of: 2024-13-30\n")
    expect_error(capsys, folder, write(folder, "date.yaml", text), "date.yaml:3:8: 2024-13-30 is not a date")


def test_a_yaml_date_is_accepted_where_text_is_kept(capsys, folder):
    text = SCENARIO.replace("reason: 调整}", "reason: 调整}\n          - {op: set_role, unit: b, role: secretary, person: m1, since: 2024-02-28, reason: 选举}")
    write(folder, "since.yaml", text)
    code, out, err = run(capsys, "validate", "since.yaml")
    assert (code, err) == (0, "")


def test_validate_applies_every_variant(capsys, folder):
    text = SCENARIO.replace("to: b, reason", "to: nowhere, reason")
    expect_error(capsys, folder, write(folder, "v.yaml", text), "v.yaml:12:", "operations[0]", "unknown unit 'nowhere'")


def test_new_plugin_refuses_a_taken_name(capsys, folder):
    code, _, err = run(capsys, "new-plugin", "orgmodel")
    assert code == 2 and "taken" in err
    assert not (folder / "orgmodel").exists()


def test_csv_row_with_too_many_fields_names_its_line(capsys, folder):
    write(folder, "members.csv", "id,branch,status\nm1,b,full\nm2,b,full,extra\n")
    expect_error(capsys, folder, "s.yaml", "members.csv:3:", "Expected 3 columns, got 4")


def test_a_step_touching_a_locked_unit_names_the_operation_line(capsys, folder):
    text = SCENARIO.replace("      - operations:\n", "      - locks: [b]\n        operations:\n")
    text = text.replace("{op: move_members, members: [m1], to: b, reason: 调整}",
                        "{op: set_role, unit: b, role: secretary, person: m1, reason: 选举}")
    expect_error(capsys, folder, write(folder, "l.yaml", text), "l.yaml:13:", "operations[0]",
                 "variant a, step 0, operation 0 (set_role): sets or clears a role in b, which is locked")


def test_an_unknown_unit_in_a_scope_names_its_line(capsys, folder):
    text = SCENARIO.replace("      - operations:\n", "      - scope: [c, nowhere]\n        operations:\n")
    expect_error(capsys, folder, write(folder, "sc.yaml", text), "sc.yaml:11:", "scope[1]", "unknown unit 'nowhere'")


def test_a_run_outside_its_scope_writes_nothing(capsys, folder):
    text = SCENARIO.replace("      - operations:\n", "      - scope: [b]\n        operations:\n")
    text = text.replace("{op: move_members, members: [m1], to: b, reason: 调整}",
                        "{op: set_attributes, unit: c, name: 新党工委, reason: 改名}")
    write(folder, "o.yaml", text)
    code, out, err = run(capsys, "run", "o.yaml", "--out", "results")
    assert code == 2 and out == ""
    assert err.rstrip("\n").endswith("changes the name, tags, attributes or hosts of c, outside the step's scope (b)")
    assert not (folder / "results").exists()


def test_a_mapped_header_missing_from_the_roster_names_the_yaml_line_and_the_nearest_header(capsys, folder):
    write(folder, "members.csv", "编号,支部,党员类别,出生日期\nm1,b,正式党员,1950-01-01\nm2,b,预备党员,1990-02-02\n")
    text = SCENARIO.replace(
        "members: {file: members.csv}",
        "members:\n    file: members.csv\n    columns: {编号: id, 支部: branch, 党员类别: status, 出生日斯: birth_date}\n"
        "    values: {status: {正式党员: full, 预备党员: probationary}}")
    line = expect_error(capsys, folder, write(folder, "h.yaml", text), "h.yaml:9:", "baseline.members.columns.出生日斯",
                        "'出生日期'")
    assert "lost" in line and len(line.splitlines()) == 1
    twice = text.replace("党员类别: status", "党员类型: status")  # a second header the roster lacks
    lines = expect_error(capsys, folder, write(folder, "h2.yaml", twice)).splitlines()
    assert len(lines) == 2 and "党员类型" in lines[0] and "'党员类别'" in lines[0] and "出生日斯" in lines[1]


def test_a_bad_value_lists_the_labels_the_user_mapped(capsys, folder):
    write(folder, "members.csv", "id,branch,status\nm1,b,正式党员\nm2,b,正式\nm3,b,预备\n")
    text = SCENARIO.replace("members: {file: members.csv}",
                            "members: {file: members.csv, values: {status: {正式党员: full, 预备党员: probationary}}}")
    line = expect_error(capsys, folder, write(folder, "v.yaml", text), "members.csv:3: status:", "'正式'",
                        "正式党员, 预备党员", "members.csv:4: status: '预备' is not one of the labels")
    assert "probationary" not in line and len(line.splitlines()) == 2


def test_a_file_with_several_errors_shows_each_on_a_line_of_its_own(capsys, folder):
    write(folder, "members.csv", "id,branch,status,birth_date,mobile\n"
                                 "m1,b,正式党员,1950-01-01,否\n"   # line 2: fine
                                 "m2,b,正式,1950-01-01,否\n"       # line 3: a label not mapped
                                 "m3,b,正式党员,19x0-01-01,否\n"   # line 4: not a date
                                 "m2,b,正式党员,1950-01-01,否\n"   # line 5: the id again
                                 "m5,bb,正式党员,1950-01-01,否\n"  # line 6: no such branch
                                 "m6,b,正式党员,1950-01-01,也许\n")  # line 7: not true or false
    text = SCENARIO.replace("members: {file: members.csv}",
                            "members: {file: members.csv, values: {status: {正式党员: full, 预备党员: probationary}}}")
    lines = expect_error(capsys, folder, write(folder, "v.yaml", text)).splitlines()
    assert [line.split(":")[2:4] for line in lines] == [
        ["3", " status"], ["4", " birth_date"], ["5", " id"], ["6", " branch"], ["7", " mobile"]], lines
    assert "duplicate id 'm2' (first on line 3)" in lines[2] and "unknown unit 'bb'" in lines[3]


def test_many_errors_are_shown_up_to_twenty_then_counted(capsys, folder):
    rows = "".join(f"m{i},b,正式\n" for i in range(25))
    write(folder, "members.csv", "id,branch,status\n" + rows)
    text = SCENARIO.replace("members: {file: members.csv}",
                            "members: {file: members.csv, values: {status: {正式党员: full, 预备党员: probationary}}}")
    lines = expect_error(capsys, folder, write(folder, "v.yaml", text)).splitlines()
    assert len(lines) == 21 and lines[0].startswith("error: members.csv:2: status:")
    assert lines[19].startswith("error: members.csv:21: status:") and lines[20] == "error: and 5 more errors"
