"""End to end in Debian's Chromium (Playwright): the planner's journey on the large community.

Start from an Excel roster, open the large community, run it with the progress bar, compare,
open a unit, download the report and a pack, and add a team-branch variant through its form.
Screenshots of each page land in ``$ORGMODEL_SCREENSHOTS`` when set. Skipped when Playwright or
/usr/bin/chromium is missing.
"""

from __future__ import annotations

import io
import json
import os
import socket
import threading
import time
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

import uvicorn  # noqa: E402
from openpyxl import Workbook, load_workbook  # noqa: E402

from orgmodel.io.loader import load_scenario  # noqa: E402
from orgmodel.web.app import create_app  # noqa: E402
from orgmodel.web.testing import copy_scenario  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    copy_scenario(REPO / "scenarios" / "large-community", root)
    port = _port()
    app = create_app(root, hosts=[f"127.0.0.1:{port}"])
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", root
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def page(server):
    shots = Path(os.environ.get("ORGMODEL_SCREENSHOTS", "")) if os.environ.get("ORGMODEL_SCREENSHOTS") else None
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(accept_downloads=True, locale="zh-CN", viewport={"width": 1280, "height": 900})
        pg = context.new_page()
        pg.set_default_timeout(30_000)

        def shot(name: str) -> None:
            if shots is not None:
                shots.mkdir(parents=True, exist_ok=True)
                pg.screenshot(path=str(shots / f"{name}.png"), full_page=False)

        pg.shot = shot  # type: ignore[attr-defined]
        yield pg
        browser.close()


def _roster(source: Path) -> bytes:
    """The first 120 members of the large community as a planner's Excel sheet."""
    import csv

    rows = list(csv.DictReader(source.open(encoding="utf-8")))[:120]
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "姓名", "党员类别", "所在支部", "出生日期"])
    for i, r in enumerate(rows, 1):
        sheet.append([i, r["name"], "预备党员" if r["status"] == "probationary" else "正式党员", r["branch"],
                      r["birth_date"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_1_start_from_an_excel_roster(server, page):
    base, root = server
    page.goto(f"{base}/new")
    page.set_input_files("#roster", files=[{"name": "花名册.xlsx", "mimeType": "application/octet-stream",
                                            "buffer": b"MZ\x90\x00" + bytes(4000)}])
    page.click("#upload-form button")
    page.wait_for_selector("#mapping .msg.error")
    assert "not an Excel workbook" in page.locator("#mapping").inner_text()
    page.shot("0-hostile-upload")
    page.set_input_files("#roster", files=[{"name": "花名册.xlsx", "mimeType": "application/octet-stream",
                                            "buffer": _roster(root / "large-community" / "members.csv")}])
    page.click("#upload-form button")
    page.wait_for_selector("#preview")
    assert page.locator("#map-name").input_value() == "姓名"
    assert page.locator("#map-branch").input_value() == "所在支部"
    assert "0 处错误" in page.locator("#error-count").inner_text()
    page.shot("1-roster-mapping")
    page.fill("input[name=folder]", "from-excel")
    page.click("#save-roster")
    page.wait_for_url(f"{base}/s/from-excel?saved=*")
    assert (root / "from-excel" / "members.csv").read_text(encoding="utf-8").count("\n") == 121


def test_2_open_and_run_with_progress(server, page):
    base, root = server
    page.goto(f"{base}/?all=1")
    page.shot("2-home")
    page.click("a[href='/s/large-community']")
    assert page.locator("h1").inner_text() == "某路社区"
    assert page.locator("#replications").input_value() == "200"  # the scenario's simulation: key
    page.fill("#replications", "4")  # a few replications keep the test short
    page.click("#run")
    page.wait_for_selector("#run-state .bar")
    page.wait_for_selector("#cancel")
    page.shot("3-running")
    page.wait_for_selector("#to-compare", timeout=240_000)
    assert (root / "large-community" / "out" / "run.json").is_file()
    manifest = json.loads((root / "large-community" / "out" / "simulation" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seeds"]["replications"] == 4 and manifest["simulation"]["replications"] == 4
    page.shot("4-run-done")


def test_3_compare_and_open_a_unit(server, page):
    base, _ = server
    page.click("#to-compare")
    page.wait_for_selector("#metrics")
    headers = page.locator("#metrics thead th").all_inner_texts()
    # metric, unit, better direction, meaning; the baseline (the status quo folded into it) and five variants
    assert len(headers) == 4 + 6 and headers[4].startswith("现状基线") and headers[-1] == "最小调整优化"
    assert page.locator("#changes").inner_text().count("鹤北一") >= 1
    page.shot("5-compare")
    page.locator("#charts").scroll_into_view_if_needed()
    page.wait_for_function("[...document.querySelectorAll('#charts img')].every(i => i.complete && i.naturalWidth > 0)")
    page.shot("6-compare-charts")
    page.locator("#simulation").scroll_into_view_if_needed()
    assert page.locator("#sim-summary li").count() >= 1
    page.wait_for_function("[...document.querySelectorAll('#simulation img')].every(i => i.complete && i.naturalWidth > 0)")
    page.shot("6b-compare-simulation")
    page.fill("#unit-q", "鹤北一居民区")
    page.wait_for_selector("#unit-list a.unit-link")
    page.locator("#findings a.unit-link").first.click()
    page.wait_for_selector("#unit-counts")
    assert "直属党员" in page.locator("#unit-counts").inner_text()
    page.shot("7-unit")


def test_4_download_report_and_pack(server, page):
    base, _ = server
    page.goto(f"{base}/s/large-community")
    with page.expect_download() as report:
        page.click("#dl-report")
    assert b"<html" in Path(report.value.path()).read_bytes()[:300]
    with page.expect_download() as pack:
        page.click("a.dl-pack[href$='team-branches.xlsx']")
    book = load_workbook(io.BytesIO(Path(pack.value.path()).read_bytes()), read_only=True)
    assert len(book.sheetnames) >= 2
    with page.expect_download() as folder:
        page.click("#dl-zip")
    assert "scenario.yaml" in zipfile.ZipFile(folder.value.path()).namelist()


def test_5_add_a_team_branch_variant_through_its_form(server, page):
    base, root = server
    path = root / "large-community" / "scenario.yaml"
    before = path.read_text(encoding="utf-8")
    page.goto(f"{base}/s/large-community")
    page.fill("#add-variant input[name=name]", "teams-60")
    page.fill("#add-variant input[name=label]", "团队党建（60人以上升格）")
    page.click("#add-variant button")
    page.wait_for_selector("#variant-teams-60")
    page.click("#variant-teams-60 a.add-step")
    page.wait_for_selector("#step-form")
    page.select_option("#strategy", "split-branch")  # the parameter form follows the strategy
    page.wait_for_selector("#p-by")
    page.select_option("#strategy", "team-branches")
    page.wait_for_selector("#p-threshold")
    page.wait_for_load_state("networkidle")
    page.locator("#p-threshold").fill("")
    page.locator("#p-threshold").type("60")
    assert page.locator("#p-threshold").input_value() == "60"
    page.fill("#unit-filter", "鹤北一居民区")
    page.locator("#unit-tree li:not([hidden]) input[name=scope][value='hebeiyi']").check()
    page.shot("8-step-form")
    page.click("#save-step")
    page.wait_for_selector("#variant-teams-60 .steps code")
    page.shot("9-scenario-with-new-variant")
    after = path.read_text(encoding="utf-8")
    assert after.startswith(before)
    assert after[len(before):] == ("  - name: teams-60\n    label: 团队党建（60人以上升格）\n    steps:\n"
                                   "      - strategy: team-branches\n        params: {threshold: 60}\n"
                                   "        scope: [hebeiyi]\n")
    assert load_scenario(path).spec.variants[-1].steps[0].params == {"threshold": 60}
