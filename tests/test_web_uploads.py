"""Starting from an uploaded roster, and hostile uploads: each a clear message, nothing written outside."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from openpyxl import Workbook  # noqa: E402

from orgmodel import api  # noqa: E402
from orgmodel.web.testing import Client  # noqa: E402

ROSTER = [["姓名", "党员类别", "所在支部", "出生日期", "入党日期"],
          ["张卫国", "正式党员", "东区党支部", "1956-03-02", "1980-07-01"],
          ["李秀英", "预备党员", "东区党支部", "1990年5月", "2024-01-10"],
          ["王建华", "正式党员", "西区党支部", "1948-11-20", "1972-05-04"],
          ["赵敏", "正式党员", "西区党支部", "1962-01-15", "1990-06-30"],
          ["陈刚", "正式党员", "东区党支部", "1971-09-09", "1999-12-01"],
          ["刘芳", "正式党员", "西区党支部", "1985-02-28", "2010-03-15"]]


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(r) for r in rows).encode("utf-8")


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


@pytest.fixture
def client(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    return Client(root, max_upload=1024 * 1024), root


def _upload(client, name: str, data: bytes):  # noqa: ANN001, ANN202
    return client.post("/new/upload", files={"roster": (name, data, "application/octet-stream")})


def test_an_xlsx_roster_mapped_checked_and_saved_validates(client):
    http, root = client
    page = _upload(http, "东区花名册.xlsx", _xlsx(ROSTER)).text
    assert 'id="preview"' in page and "张卫国" in page
    assert re.search(r'<select name="map.name"[^>]*>.*?<option value="姓名" selected', page, re.S)
    assert "0 处错误" in page
    upload = re.search(r'name="upload" value="([0-9a-f]+)"', page)[1]
    mapping = {"map.name": "姓名", "map.status": "党员类别", "map.branch": "所在支部",
               "map.birth_date": "出生日期", "map.joined": "入党日期"}
    saved = http.post("/new/save", data={"upload": upload, **mapping, "title": "东区", "folder": "east"})
    assert saved.headers.get("HX-Redirect", "").startswith("/s/east?saved="), saved.text
    checked = api.validate(root / "east" / "scenario.yaml")
    assert checked.members == 6 and checked.units >= 3
    members = (root / "east" / "members.csv").read_text(encoding="utf-8")
    assert "probationary" in members and "1990-05-01" in members
    assert http.get("/s/east").status_code == 200


def test_every_error_is_shown_by_row_and_column_before_anything_is_saved(client):
    http, root = client
    rows = [ROSTER[0], ["", "正式党员", "东区党支部", "1956-03-02", ""], ["李四", "群众", "东区党支部", "5/22", ""],
            ["王五", "正式党员", "", "1950-01-01", "2099-13-01"]]
    before = _files(root)
    page = _upload(http, "roster.csv", _csv(rows)).text
    errors = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]+)</td><td class="err">([^<]+)</td></tr>', page)
    assert ("2", "姓名", "empty") in errors
    assert ("3", "党员类别", "&#39;群众&#39; is not 正式党员 or 预备党员") in errors
    assert ("3", "出生日期", "&#39;5/22&#39; is not a date (YYYY-MM-DD)") in errors
    assert ("4", "所在支部", "empty") in errors
    assert ("4", "入党日期", "&#39;2099-13-01&#39; is not a date (YYYY-MM-DD)") in errors
    assert "5 处错误" in page and 'id="save-roster"' not in page
    upload = re.search(r'name="upload" value="([0-9a-f]+)"', page)[1]
    refused = http.post("/new/save", data={"upload": upload, "map.name": "姓名", "map.branch": "所在支部",
                                           "folder": "bad"})
    assert "errors" in refused.text
    assert _files(root) == before


def test_remapping_a_column_checks_again(client):
    http, _ = client
    page = _upload(http, "roster.csv", _csv(ROSTER)).text
    upload = re.search(r'name="upload" value="([0-9a-f]+)"', page)[1]
    page = http.post("/new/check", data={"upload": upload, "map.name": "姓名", "map.branch": ""}).text
    assert "required column not chosen" in page


def test_a_binary_file_named_xlsx_is_refused(client):
    http, root = client
    page = _upload(http, "roster.xlsx", b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 8).text
    assert "not an Excel workbook" in page and 'class="msg error"' in page
    assert _files(root) == set()


def test_a_binary_file_named_csv_is_refused(client):
    http, _ = client
    assert "binary data" in _upload(http, "roster.csv", b"\x00\x01\x02" * 100).text


def test_an_oversized_file_is_refused_before_it_is_read(client):
    http, root = client
    response = _upload(http, "big.csv", b"a,b\n" + b"1,2\n" * 600_000)  # 2.4 MB over a 1 MB limit
    assert response.status_code == 413 and "文件过大" in response.text
    assert _files(root) == set()


def test_a_zip_bomb_is_refused(client):
    http, root = client
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 2**20))  # 300 MB of zeros, ~300 KB packed
    data = bomb.getvalue()
    assert len(data) < 1024 * 1024
    page = _upload(http, "bomb.xlsx", data).text
    assert "zip bomb" in page
    assert _files(root) == set()


def test_a_formula_cell_is_an_error_of_that_cell_and_never_computed(client):
    http, _ = client
    rows = [ROSTER[0], ["张三", "正式党员", '=HYPERLINK("http://example.invalid","x")', "1950-01-01", ""],
            ["李四", "正式党员", "东区党支部", "=DATE(1950,1,1)", ""]]
    page = _upload(http, "formula.xlsx", _xlsx(rows)).text
    assert page.count("a formula; enter the value itself") == 2
    assert re.search(r'<td class="num">2</td><td>所在支部</td><td class="err">a formula', page)
    csv_page = _upload(http, "formula.csv", _csv([ROSTER[0], ["=1+1", "正式党员", "东区", "", ""]])).text
    assert "a formula; enter the value itself" in csv_page


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\evil.csv", "/etc/passwd.csv", ".hidden.csv"])
def test_a_path_as_the_file_name_is_refused(client, name):
    http, root = client
    page = _upload(http, name, _csv(ROSTER)).text
    assert "不能含路径" in page and 'class="msg error"' in page
    assert _files(root) == set()
    assert not (root.parent / "etc").exists()


@pytest.mark.parametrize("folder", ["../outside", "a/b", "..", ".x", "-x"])
def test_a_new_scenario_folder_must_be_one_plain_folder(client, folder):
    http, root = client
    page = _upload(http, "roster.csv", _csv(ROSTER)).text
    upload = re.search(r'name="upload" value="([0-9a-f]+)"', page)[1]
    refused = http.post("/new/save", data={"upload": upload, "map.name": "姓名", "map.branch": "所在支部",
                                           "folder": folder})
    assert "folder name" in refused.text
    assert _files(root) == set() and not (root.parent / "outside").exists()


def test_an_unknown_suffix_is_refused(client):
    http, _ = client
    assert "upload an Excel workbook" in _upload(http, "roster.xls", b"whatever").text


def test_no_member_name_reaches_the_log(client, caplog):
    http, _ = client
    with caplog.at_level(logging.DEBUG):
        _upload(http, "roster.csv", _csv(ROSTER))
    assert "rows" in caplog.text
    assert not any(row[0] in caplog.text for row in ROSTER[1:])


def test_a_new_scenario_s_step_form_offers_its_units_before_any_run(client):
    http, root = client
    page = _upload(http, "roster.csv", _csv(ROSTER)).text
    upload = re.search(r'name="upload" value="([0-9a-f]+)"', page)[1]
    http.post("/new/save", data={"upload": upload, "map.name": "姓名", "map.status": "党员类别",
                                 "map.branch": "所在支部", "title": "东区", "folder": "east"})
    form = http.get("/s/east/variants/status-quo/steps/new?strategy=split-branch").text
    assert 'value="root"' in form and "东区党支部" in form and "西区党支部" in form
