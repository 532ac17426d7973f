"""The report: every section, every diagram file, no names, no injected markup, opens in Chromium."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from orgmodel.cli import main
from orgmodel.render import dot_available
from orgmodel.report import REPORT_SECTIONS

ROOT = Path(__file__).resolve().parents[1]
QISAN = ROOT / "scenarios" / "qisan" / "scenario.yaml"

pytestmark = pytest.mark.skipif(not dot_available(), reason="Graphviz dot is not installed (scripts/setup.sh installs it)")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    assert main(["run", str(QISAN), "--out", str(out)]) == 0
    return out


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(v for k, v in attrs if k == "id" and v)
        self.scripts += tag == "script"


def test_report_has_every_section_and_diagram_files(run_folder: Path) -> None:
    report = run_folder / "report"
    html = (report / "report.html").read_text(encoding="utf-8")
    parser = _Ids()
    parser.feed(html)
    assert set(REPORT_SECTIONS) <= parser.ids
    assert parser.scripts == 0
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org", "")  # self-contained
    for name in ("baseline-orgchart", "manual-upgrade-orgchart", "manual-upgrade-diff"):
        for fmt, magic in (("svg", b"<"), ("png", b"\x89PNG"), ("pdf", b"%PDF")):
            data = (report / "diagrams" / f"{name}.{fmt}").read_bytes()
            assert data.lstrip()[: len(magic)] == magic, (name, fmt)
    md = (report / "report.md").read_text(encoding="utf-8")
    for zh, _ in REPORT_SECTIONS.values():
        assert f"## {zh}" in md
    for target in re.findall(r"\]\((diagrams/[^)]+)\)", md):
        assert (report / target).is_file(), target


def test_report_shows_counts_not_names(run_folder: Path) -> None:
    with (ROOT / "scenarios" / "qisan" / "members.csv").open(encoding="utf-8") as handle:
        names = [row["姓名"] for row in csv.DictReader(handle)]
    assert len(names) == 150
    text = "".join(p.read_text(encoding="utf-8") for p in (run_folder / "report").rglob("*")
                   if p.suffix in (".html", ".md", ".svg"))
    leaked = [n for n in names if n in text]
    assert not leaked, leaked[:5]


def test_hostile_names_are_escaped(tmp_path: Path) -> None:
    evil = 'x"<script>alert(1)</script>&{a}|b\n第二行'
    (tmp_path / "s.yaml").write_text(
        "name: 'evil<b>'\ndomain: party\nbaseline:\n  units:\n"
        f"    - {{id: c, kind: party.working_committee, name: {json.dumps(evil)}}}\n"
        f"    - {{id: b1, kind: party.branch, parent: c, name: {json.dumps(evil + '1')}}}\n"
        f"    - {{id: b2, kind: party.branch, parent: c, name: {json.dumps(evil + '2')}}}\n"
        "  members: [{id: m1, branch: b1}, {id: m2, branch: b1}, {id: m3, branch: b2}]\n"
        "variants:\n  - name: merge\n    label: '<i>合并</i>'\n    steps:\n"
        "      - operations: [{op: dissolve, unit: b2, members_to: b1, reason: '<b>合并</b>&'}]\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "s.yaml"), "--out", str(out)]) == 0
    html = (out / "report" / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "<i>合并</i>" not in html and "<b>合并</b>" not in html
    assert "&lt;script&gt;" in html
    parser = _Ids()
    parser.feed(html)
    assert parser.scripts == 0
    import xml.dom.minidom

    for svg in (out / "report" / "diagrams").glob("*.svg"):
        xml.dom.minidom.parseString(svg.read_bytes())  # raises on broken markup


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed (scripts/setup.sh installs it)")
def test_report_opens_in_chromium_without_console_errors(run_folder: Path, tmp_path: Path) -> None:
    page = (run_folder / "report" / "report.html").resolve().as_uri()
    proc = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=3000", "--dump-dom", page],
        capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    dom = proc.stdout
    for sid in REPORT_SECTIONS:
        assert f'id="{sid}"' in dom, sid
    assert dom.count("<svg") >= 4


def test_the_report_shows_the_stored_numbers(run_folder: Path, tmp_path: Path) -> None:
    """The report reads the results folder and computes nothing again: a number changed in the
    stored files is the number the report shows."""
    from orgmodel.report import write_report
    from orgmodel.run.results import load_results

    folder = tmp_path / "results"
    shutil.copytree(run_folder, folder, ignore=shutil.ignore_patterns("report"))
    summary = folder / "variants" / "baseline" / "summary.json"
    data = json.loads(summary.read_text(encoding="utf-8"))
    data["members"]["active"] = 12345
    summary.write_text(json.dumps(data), encoding="utf-8")
    evaluation = folder / "variants" / "manual-upgrade" / "evaluation.json"
    data = json.loads(evaluation.read_text(encoding="utf-8"))
    data["changes"]["flows"][0]["reasons"][0]["zh"] = "存档的原因"
    evaluation.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    html = write_report(folder, tmp_path / "report", formats=("svg",)).read_text(encoding="utf-8")
    assert "12,345" in html and "存档的原因" in html
    md = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "12,345" in md and "存档的原因" in md
    # the same from a loaded folder, in English
    html = write_report(load_results(folder), tmp_path / "en", lang="en", formats=("svg",)).read_text(encoding="utf-8")
    assert "Rule findings" in html and "12,345" in html


def test_the_report_refuses_what_is_not_a_results_folder(tmp_path: Path) -> None:
    from orgmodel.errors import UserError
    from orgmodel.report import write_report

    with pytest.raises(UserError, match="not a results folder"):
        write_report(tmp_path, tmp_path / "report")
    assert not (tmp_path / "report").exists()
