"""The web app's routes through FastAPI's TestClient: run, compare, units, downloads, walls."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from openpyxl import load_workbook  # noqa: E402

from orgmodel import api  # noqa: E402
from orgmodel.web.jobs import RunJob  # noqa: E402
from orgmodel.web.testing import Client  # noqa: E402
from orgmodel.web.testing import copy_scenario as _copy  # noqa: E402

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def copy_scenario(name, into):
    return _copy(SCENARIOS / name, into)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """ruili served from a workspace folder, run once through the page."""
    root = tmp_path_factory.mktemp("ws")
    copy_scenario("ruili", root)
    client = Client(root)
    state = client.run("ruili")
    assert 'data-status="done"' in state, state
    return client, root


def test_home_lists_the_scenarios_in_the_folder(served):
    client, _ = served
    page = client.get("/?all=1").text
    assert 'href="/s/ruili"' in page and "瑞丽" in page


def test_a_scenario_folder_served_alone_opens_directly(tmp_path):
    folder = copy_scenario("ruili", tmp_path)
    client = Client(folder)
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/s/_"
    assert "team-branches" in client.get("/s/_").text


def test_run_ends_with_a_link_to_compare_and_writes_the_results_folder(served):
    client, root = served
    assert (root / "ruili" / "out" / "run.json").is_file()
    assert 'id="to-compare"' in client.get("/s/ruili/run").text
    page = client.get("/s/ruili").text
    assert 'href="/s/ruili/compare"' in page and "/download/pack/team-branches.xlsx" in page


def test_validate_reports_counts_in_the_page(served):
    client, _ = served
    text = client.post("/s/ruili/validate").text
    assert "检查通过" in text and "个方案" in text


def test_compare_shows_the_report_sections_from_the_results_folder(served):
    client, root = served
    page = client.get("/s/ruili/compare").text
    for title in ("概况", "方案对比", "规则检查", "变化及原因"):
        assert title in page
    metrics = json.loads((root / "ruili" / "out" / "run.json").read_text(encoding="utf-8"))
    assert metrics["variants"][1]["name"] in page
    assert "/s/ruili/diagram/team-branches-diff.svg" in page
    assert client.get("/s/ruili/diagram/team-branches-diff.svg").headers["content-type"].startswith("image/svg")


def test_compare_only_the_chosen_variants(served):
    client, _ = served
    page = client.get("/s/ruili/compare?v=baseline&v=team-branches").text
    head = page.split('<table id="metrics">')[1].split("</thead>")[0]
    assert "团队党建" in head or "team-branches" in head
    assert "现状</th>" not in head


def test_english_on_request_and_kept_in_a_cookie(served):
    client, _ = served
    assert "Compare" in client.get("/s/ruili/compare?lang=en").text
    assert "What changed and why" in client.get("/s/ruili/compare").text
    assert "方案对比" in client.get("/s/ruili/compare?lang=zh").text


def test_a_unit_shows_its_stored_counts_and_findings(served):
    client, _ = served
    compare = client.get("/s/ruili/compare").text
    link = compare.split('class="unit-link" href="')[1].split('"')[0].replace("&amp;", "&")
    page = client.get(link).text
    assert 'id="unit-counts"' in page and "直属党员" in page
    unknown = client.get("/s/ruili/unit?variant=baseline&id=no-such-unit")
    assert unknown.status_code == 400 and "baseline 中没有组织 no-such-unit" in unknown.text
    in_english = client.get("/s/ruili/unit?variant=baseline&id=no-such-unit&lang=en")
    assert in_english.status_code == 400 and "no unit &#39;no-such-unit&#39; in baseline" in in_english.text
    client.get("/?lang=zh")  # back to the default for the tests that share this client


def test_unit_search_finds_by_name(served):
    client, _ = served
    rows = client.get("/s/ruili/units", params={"variant": "baseline", "q": "瑞丽"}).text
    assert rows.count('class="unit-link"') >= 1
    assert 'class="unit-link"' not in client.get("/s/ruili/units", params={"q": "zzz-none"}).text


def test_downloads_report_pack_and_scenario(served):
    client, _ = served
    report = client.get("/s/ruili/download/report.html")
    assert report.status_code == 200 and b"<html" in report.content[:200]
    assert client.get("/s/ruili/download/report.pdf").status_code == 400  # not written: said so, no crash
    pack = client.get("/s/ruili/download/pack/team-branches.xlsx")
    assert pack.status_code == 200
    book = load_workbook(io.BytesIO(pack.content), read_only=True)
    assert len(book.sheetnames) >= 2
    archive = zipfile.ZipFile(io.BytesIO(client.get("/s/ruili/download/scenario.zip").content))
    names = archive.namelist()
    assert "scenario.yaml" in names and "members.csv" in names
    assert not any(n.startswith("out/") for n in names)


def test_step_form_is_generated_from_the_params_schema(served):
    client, _ = served
    page = client.get("/s/ruili/variants/team-branches/steps/new?strategy=split-branch").text
    assert 'name="p.max_size"' in page and 'name="p.by"' in page and '<option value="category"' in page
    assert "most members a part should have" in page  # the documented help text
    assert 'id="unit-tree"' in page and 'name="scope"' in page and 'name="locks"' in page
    fragment = client.get("/s/ruili/variants/team-branches/steps/new?strategy=team-branches",
                          headers={"HX-Target": "params"}).text
    assert fragment.startswith("<fieldset") and 'name="p.threshold"' in fragment


def test_cancel_before_the_first_step_leaves_the_results_as_they_were(served):
    _, root = served
    run_json = root / "ruili" / "out" / "run.json"
    before = run_json.read_bytes()
    job = RunJob(root / "ruili" / "scenario.yaml", root / "ruili" / "out", "zh")
    job.cancel.set()
    job.start().wait(60)
    assert job.status == "cancelled" and run_json.read_bytes() == before


def test_cancel_through_the_page(served):
    client, root = served
    client.post("/s/ruili/run")
    state = client.post("/s/ruili/run/cancel").text
    assert 'data-status="cancelled"' in state or 'data-status="done"' in state
    assert (root / "ruili" / "out" / "run.json").is_file()


def test_a_post_without_the_csrf_token_is_refused(served):
    client, root = served
    before = (root / "ruili" / "scenario.yaml").read_bytes()
    refused = client.http.post("/s/ruili/variants", data={"name": "x1"})
    assert refused.status_code == 403 and "表单已过期" in refused.text
    other_site = client.post("/s/ruili/variants", data={"name": "x2"}, headers={"Origin": "http://evil.example"})
    assert other_site.status_code == 403
    assert (root / "ruili" / "scenario.yaml").read_bytes() == before


def test_a_token_is_required_when_one_is_set(tmp_path):
    copy_scenario("ruili", tmp_path)
    from fastapi.testclient import TestClient

    from orgmodel.web.app import create_app

    http = TestClient(create_app(tmp_path, token="s3cret"))
    assert http.get("/?all=1").status_code == 403
    assert http.get("/?all=1&token=wrong").status_code == 403
    assert http.get("/?all=1&token=s3cret").status_code == 200
    assert http.get("/s/ruili").status_code == 200  # the cookie carries it from now on


def test_an_unknown_host_header_is_refused(tmp_path):
    from fastapi.testclient import TestClient

    from orgmodel.web.app import create_app

    http = TestClient(create_app(tmp_path, hosts=["127.0.0.1:8765"]), base_url="http://127.0.0.1:8765")
    assert http.get("/?all=1").status_code == 200
    assert http.get("/?all=1", headers={"Host": "evil.example"}).status_code == 400


@pytest.mark.parametrize("url", ["/s/..%2F..%2Fetc/download/scenario.zip", "/s/.hidden",
                                 "/s/ruili/diagram/..%2Fscenario.yaml", "/s/ruili/download/report.yaml"])
def test_paths_outside_the_folder_are_refused(served, url):
    client, _ = served
    response = client.get(url)
    assert response.status_code in (400, 404) and b"root:" not in response.content


def test_a_results_folder_outside_the_served_folder_is_refused(tmp_path):
    folder = copy_scenario("ruili", tmp_path / "ws")
    text = (folder / "scenario.yaml").read_text(encoding="utf-8").replace("dir: out", "dir: ../../outside")
    (folder / "scenario.yaml").write_text(text, encoding="utf-8")
    client = Client(tmp_path / "ws")
    response = client.post("/s/ruili/run")
    assert "不在所服务的文件夹内" in response.text
    assert not (tmp_path / "outside").exists() and not (tmp_path.parent / "outside").exists()


def test_serve_is_local_by_default():
    from orgmodel.cli import build_parser

    args = build_parser().parse_args(["serve"])
    assert args.host == "127.0.0.1" and args.dir == "."


def test_a_pack_is_offered_only_for_variants_in_the_results(served):
    client, root = served
    client.post("/s/ruili/variants", data={"name": "not-run-yet"})
    client.post("/s/ruili/variants/not-run-yet/steps", data={"strategy": "team-branches"})
    page = client.get("/s/ruili").text
    assert "/download/pack/team-branches.xlsx" in page and "/download/pack/not-run-yet.xlsx" not in page
    assert "团队党建：依托团队设置党支部" in page  # a step shows its strategy's label
    client.post("/s/ruili/variants/not-run-yet/delete")
    assert "not-run-yet" not in (root / "ruili" / "scenario.yaml").read_text(encoding="utf-8")


def test_serve_refuses_a_port_in_use(tmp_path):
    import socket

    from orgmodel.errors import UserError
    from orgmodel.web.server import serve

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(UserError, match="in use"):
            serve(tmp_path, port=taken.getsockname()[1], print_=lambda _: None)


def test_the_run_form_chooses_the_replications_and_the_bar_shows_the_simulation(tmp_path):
    folder = copy_scenario("ruili", tmp_path)
    path = folder / "scenario.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "simulation: {horizon_years: 1, replications: 3, executor: serial}\n",
                    encoding="utf-8")
    client = Client(folder)
    form = client.get("/s/_").text
    assert re.search(r'id="replications"[^>]*value="3"', form), form  # the scenario's own number
    assert "模拟次数须为" in client.post("/s/_/run", data={"replications": "-1"}).text
    first = client.post("/s/_/run", data={"replications": "2"})
    assert 'id="run-state"' in first.text
    job = client.app.app.state.workspace.jobs["_"]
    job.wait(120)
    assert job.status == "done", job.error
    manifest = json.loads((folder / "out" / "simulation" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seeds"]["replications"] == 2
    compare = client.get("/s/_/compare").text  # the simulation's verdicts as the report says them
    assert 'id="simulation"' in compare and compare.count("<li>", compare.index('id="sim-summary"')) >= 1
    assert re.search(r'src="/s/_/diagram/simulation-[\w-]+\.svg"', compare)
    job.status, job.event = "running", api.Progress("simulate", 1, 2, "team-branches", seconds_left=12.4)
    bar = client.get("/s/_/run").text
    assert "模拟各方案 1/2" in bar and "约剩 12 秒" in bar and 'style="width: ' in bar
    job.status = "done"
    client.post("/s/_/run", data={"replications": "0"})  # 0: this run is not simulated
    client.app.app.state.workspace.jobs["_"].wait(120)
    assert not (folder / "out" / "simulation").exists()
    assert 'id="simulation"' not in client.get("/s/_/compare").text
