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


def test_the_first_page_states_each_variant_from_the_data(run_folder: Path) -> None:
    from orgmodel.analysis.compare import load_comparison
    from orgmodel.api import strategy_labels
    from orgmodel.report.model import report_model
    from orgmodel.run.results import load_results

    results = load_results(run_folder)
    model = report_model(results, load_comparison([results]), lang="zh", strategy_labels=strategy_labels("zh"))
    cards = {c["label"]: c for c in model["decide"]["cards"]}
    assert sum(c["is_baseline"] for c in cards.values()) == 1  # the baseline shown once
    for v in results.variants[1:]:
        if not v.steps:
            continue
        card = cards[v.label]
        changes = v.changes
        assert card["moved"] == f"{changes['members_moved']:,}"
        assert (card["created"], card["dissolved"]) == (len(changes["created"]), len(changes["dissolved"]))
        assert card["errors"] == sum(f["severity"] == "error" and f["status"] == "violated" for f in v.findings)
        assert not re.search(r"[a-z]{3,}-[a-z]{3,}", card["steps"]), card["steps"]  # labels, not strategy ids
    for f in model["decide"]["focus"]:
        assert f["unit"] and f["better"] and f["explain"]
    # every "—" has its reason next to it
    for row in model["comparison"]["rows"]:
        for cell in row["cells"]:
            assert (cell["text"] == "—") == bool(cell["reason"])
    findings_section = model["findings"]["variants"]
    assert len({v["label"] for v in findings_section}) == len(findings_section)


def test_report_focus_from_the_scenario_comes_first(tmp_path: Path) -> None:
    folder = tmp_path / "qisan"
    shutil.copytree(QISAN.parent, folder)
    scenario = folder / "scenario.yaml"
    scenario.write_text(QISAN.read_text(encoding="utf-8") + "\nreport:\n  focus: [branch_size.max, no.such_metric]\n",
                        encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(tmp_path / "out")]) == 0
    md = (tmp_path / "out" / "report" / "report.md").read_text(encoding="utf-8")
    focus = md.split("### 重点指标", 1)[1].split("##", 1)[0]
    assert "最大支部人数" in focus and "no.such_metric" in focus and "结果中没有这个指标" in focus


def test_chart_draws_one_chart_whole_or_as_a4_pages(run_folder: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from orgmodel.render.paper import MIN_TEXT_PT, fit_a4

    assert main(["chart", str(run_folder), "--variant", "manual-upgrade", "--diff", "--format", "svg",
                 "--out", str(tmp_path / "diff.svg")]) == 0
    assert (tmp_path / "diff.svg").read_text(encoding="utf-8").lstrip().startswith("<")
    assert main(["chart", str(run_folder), "--format", "svg", "--paper", "a4", "--out", str(tmp_path / "a4.svg")]) == 0
    pages = sorted(tmp_path.glob("a4*.svg"))
    assert pages
    for page in pages:
        assert fit_a4(page.read_text(encoding="utf-8")).min_pt >= MIN_TEXT_PT - 0.05, page.name
    assert main(["chart", str(run_folder), "--format", "pdf", "--paper", "a4", "--out", str(tmp_path / "a4.pdf")]) == 0
    assert [p.name for p in tmp_path.glob("a4*.pdf")] == ["a4.pdf"]  # one PDF of all the pages
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)", (tmp_path / "a4.pdf").read_bytes())
    assert len(boxes) == len(pages)
    for box in boxes:
        assert max(map(float, box)) <= 842 and min(map(float, box)) <= 596
    capsys.readouterr()
    assert main(["chart", str(run_folder), "--variant", "nope"]) == 2
    assert main(["chart", str(run_folder), "--diff"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "nope" in err[0] and "Traceback" not in "".join(err)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed (scripts/setup.sh installs it)")
def test_the_report_pdf_is_a4_with_its_fonts_embedded(run_folder: Path, tmp_path: Path) -> None:
    from orgmodel.report.pdf import write_pdf

    pdf = write_pdf(run_folder / "report" / "report.html", tmp_path / "report.pdf").read_bytes()
    boxes = {(round(float(a)), round(float(b))) for a, b in re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)", pdf)}
    assert boxes <= {(595, 842), (842, 595)} and (595, 842) in boxes  # A4, portrait and landscape pages only
    assert b"/FontFile" in pdf  # fonts embedded
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 5


def test_the_word_report_has_tables_chart_pages_and_an_east_asian_font(run_folder: Path, tmp_path: Path) -> None:
    import docx
    from docx.oxml.ns import qn

    from orgmodel.report import write_report
    from orgmodel.report.docx import EAST_ASIAN_FONT

    write_report(run_folder, tmp_path, formats=("svg",), docx=True)
    document = docx.Document(str(tmp_path / "report.docx"))
    assert len(document.tables) >= 5
    first_rows = [t.rows[0]._tr for t in document.tables]
    assert all(r.find(qn("w:trPr")) is not None and r.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
               for r in first_rows)  # header rows repeat on each page
    pictures = document.inline_shapes
    pages = list((tmp_path / "diagrams" / "paper").glob("*.svg"))
    assert len(pictures) == len(pages) > 0
    fonts = {f.get(qn("w:eastAsia")) for f in document.element.body.iter(qn("w:rFonts"))}
    assert fonts == {EAST_ASIAN_FONT}
    chinese = [p.text for p in document.paragraphs if re.search(r"[\u4e00-\u9fff]", p.text)]
    assert chinese and any("方案要点" in t for t in chinese)


def test_the_word_report_sums_up_what_changed_and_lists_every_unit_in_an_appendix(run_folder: Path, tmp_path: Path) -> None:
    """As the HTML report: by area, by kind and the largest flows under what changed; every unit
    and flow in the appendix at the end (after the notes on method)."""
    import docx
    from docx.oxml.ns import qn

    from orgmodel.report import write_report
    from orgmodel.run.read import load_results

    write_report(run_folder, tmp_path, formats=("svg",), docx=True)
    document = docx.Document(str(tmp_path / "report.docx"))
    order: list[tuple[str, str]] = []  # ("p", text) or ("t", header row), in document order
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            order.append(("p", "".join(t.text or "" for t in child.iter(qn("w:t")))))
        elif child.tag == qn("w:tbl"):
            first = next(child.iter(qn("w:tr")))
            order.append(("t", "|".join("".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in first.iter(qn("w:tc")))))
    where = {text: i for i, (kind, text) in reversed(list(enumerate(order))) if kind == "p"}
    changes, method, appendix = where["变化及原因"], where["说明"], where["附录：逐单位变化明细"]
    assert changes < method < appendix
    tables = [(i, head) for i, (kind, head) in enumerate(order) if kind == "t"]
    summary = [head for i, head in tables if changes < i < method]
    details = [head for i, head in tables if i > appendix]
    results = load_results(run_folder)
    changed = [v for v in results.variants[1:] if v.changes["created"] or v.changes["flows"]]
    assert changed
    assert sum(h.startswith("片区（或所依托单位）|新建|撤销") for h in summary) == len(changed)
    assert sum(h == "组织类型|新建|撤销|升格/改设为此类型" for h in summary) == len(changed)
    assert not any(h.endswith("|人数|原因") and not h.startswith("从|") for h in summary)  # no per-unit tables
    created = sum(len(v.changes["created"]) for v in changed)
    assert created and sum(h.startswith("新建组织|人数|原因") for h in details) == len(changed)
    assert sum(h == "从|到|人数|原因" for h in details) == len(changed)


@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
def test_the_word_report_converts_to_pdf_with_a_cjk_font(run_folder: Path, tmp_path: Path) -> None:
    from orgmodel.report import write_report

    write_report(run_folder, tmp_path, formats=("svg",), docx=True)
    proc = subprocess.run(["libreoffice", "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo'}",
                           "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(tmp_path / "report.docx")],
                          capture_output=True, text=True, timeout=300)
    pdf = (tmp_path / "pdf" / "report.pdf").read_bytes()
    assert proc.returncode == 0 and pdf.startswith(b"%PDF")
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+Noto\w*CJK", pdf)


def _english_words(text: str) -> list[str]:
    """English words of a text, ids and file names aside (links, code, dotted or slashed ids,
    attribute ids after 属性, ids in parentheses, the program's name)."""
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"`[^`]*`", "", text)
    text = re.sub(r"\b[\w.-]*[._/][\w./-]*\b", "", text)
    text = re.sub(r"(?:属性|领域包) \w+", "", text)  # attribute and domain pack ids
    text = re.sub(r"\((?:[\w-]+)\)", "", text)
    text = re.sub(r"\b[A-Za-z]*\d[\w-]*", "", text)
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w != "orgmodel"]


def test_with_lang_zh_the_report_and_info_speak_chinese_only(run_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    md = (run_folder / "report" / "report.md").read_text(encoding="utf-8")
    assert not _english_words(md), sorted(set(_english_words(md)))[:20]
    html = (run_folder / "report" / "report.html").read_text(encoding="utf-8")
    visible = re.sub(r"<svg.*?</svg>", "", html, flags=re.S)
    visible = re.sub(r"<style>.*?</style>", "", visible, flags=re.S)
    visible = re.sub(r"<code>[^<]*</code>", "", visible)  # variant ids
    visible = re.sub(r'<a href="diagrams/[^"]*">[^<]*</a>', "", visible)  # links to the chart files
    visible = re.sub(r"<[^>]+>", " ", visible)
    assert not _english_words(visible), sorted(set(_english_words(visible)))[:20]
    capsys.readouterr()
    assert main(["info", str(QISAN), "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert not _english_words(out), sorted(set(_english_words(out)))
    assert main(["info", str(QISAN), "--lang", "en"]) == 0
    assert "Members" in capsys.readouterr().out


def test_party_words_come_from_the_domain_pack_stored_with_the_results(run_folder: Path, tmp_path: Path) -> None:
    """The report's party words (党员, the metric notes, the counting note) are the pack's
    ``words`` as stored in run.json: without them the report says it in the core's neutral words."""
    from orgmodel.analysis.compare import load_comparison
    from orgmodel.report.model import report_model
    from orgmodel.run.read import load_results

    folder = tmp_path / "run"
    shutil.copytree(run_folder, folder, ignore=shutil.ignore_patterns("report"))

    def model() -> dict:
        results = load_results(folder)
        return report_model(results, load_comparison([results]))

    party = model()
    notes = {r["name"]: r["explain"] for r in party["comparison"]["rows"]}
    assert party["summary"]["rows"][0]["label"] == "党员" and party["summary"]["rows"][1]["label"] == "其中正式党员"
    assert notes["branch_limits.over_50"] == "党员人数超过50人的党支部个数；支部一般不超过50人。"
    assert "含预备党员" in " ".join(party["method"])
    run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert run["domain_pack"]["words"]["status.full"] == ["正式党员", "full member"]
    run["domain_pack"]["words"] = {}
    (folder / "run.json").write_text(json.dumps(run, ensure_ascii=False), encoding="utf-8")
    neutral = model()
    notes = {r["name"]: r["explain"] for r in neutral["comparison"]["rows"]}
    assert neutral["summary"]["rows"][0]["label"] == "成员" and neutral["summary"]["rows"][1]["label"] == "其中正式成员"
    assert notes["branch_limits.over_50"].startswith("超过50人的支部")  # from the stored label, not the party pack
    assert notes["branch_size.max"] == "人数最多的支部的人数。"  # the core's neutral note of its own metric
    assert "党员" not in " ".join(neutral["method"]) + neutral["findings"]["note"] + neutral["histogram_note"]
