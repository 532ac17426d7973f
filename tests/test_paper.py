"""Charts on paper: ``orgmodel chart --paper a4`` writes whole A4 pages whose smallest text prints
at 7 pt or more, measured in the PDF itself (font size times the text and page matrices, read
with pypdf), and PNG pages of the same page at print resolution."""

from __future__ import annotations

import html
import math
import re
import shutil
import struct
import subprocess
import unicodedata
from pathlib import Path

import pytest

from orgmodel.render import dot_available

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDF pages (pip install -e '.[test]')")

ROOT = Path(__file__).resolve().parents[1]
LARGE = ROOT / "scenarios" / "large-community" / "scenario.yaml"
A4_PT = (595.28, 841.89)

pytestmark = pytest.mark.skipif(not dot_available(), reason="Graphviz dot is not installed (scripts/setup.sh installs it)")


def page_texts(path: Path) -> list[tuple[float, float, list[tuple[float, str]]]]:
    """Each page of a PDF: its width and height in points and every text with its printed size."""
    out = []
    for page in pypdf.PdfReader(str(path)).pages:
        found: list[tuple[float, str]] = []

        def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
            if text.strip():
                # the text's vertical axis through the text matrix and the page's transformation
                c, d = tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
                found.append((size * math.hypot(c, d), text.strip()))

        page.extract_text(visitor_text=visit)
        out.append((float(page.mediabox.width), float(page.mediabox.height), found))
    return out


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


def is_a4(width: float, height: float, *, slack: float = 1.5) -> bool:
    w, h = sorted((width, height))
    return abs(w - A4_PT[0]) <= slack and abs(h - A4_PT[1]) <= slack


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from orgmodel.cli import main

    out = tmp_path_factory.mktemp("large") / "out"
    # two replications: enough for the report's simulation section to be printed and measured
    assert main(["run", str(LARGE), "--out", str(out), "--no-report", "--replications", "2",
                 "--variant", "team-branches"]) == 0
    return out


@pytest.mark.parametrize("diff", [False, True], ids=["org-chart", "before-after"])
def test_chart_pdf_pages_are_a4_with_text_at_7pt_or_more(large: Path, tmp_path: Path, diff: bool) -> None:
    from orgmodel.cli import main
    from orgmodel.render.paper import MIN_TEXT_PT

    args = ["chart", str(large), "--variant", "team-branches", "--paper", "a4", "--format", "pdf",
            "--out", str(tmp_path / "chart.pdf")] + (["--diff"] if diff else [])
    assert main(args) == 0
    files = sorted(tmp_path.glob("chart*.pdf"))
    assert [f.name for f in files] == ["chart.pdf"]  # one PDF, a page for each chart page
    pages = page_texts(files[0])
    assert len(pages) >= (1 if diff else 10)  # the large community's org chart is an overview and area pages
    titles = set()
    for i, (width, height, texts) in enumerate(pages, start=1):
        assert is_a4(width, height), (i, width, height)
        assert len(texts) >= 10, i
        smallest = min(texts)
        assert smallest[0] >= MIN_TEXT_PT - 0.05, (i, smallest)
        # the chart uses its page: its largest side is drawn at the scale the page allows
        assert max(s for s, _ in texts) >= 10, i
        titles.add("".join(t for _, t in texts))
    assert len(titles) == len(pages)  # each page a page of its own, none twice
    data = files[0].read_bytes()
    assert b"/FontFile" in data  # the fonts, the CJK font included, travel with the file
    if shutil.which("pdffonts"):
        fonts = subprocess.run(["pdffonts", str(files[0])], capture_output=True, text=True, check=True).stdout
        assert "NotoSansCJK" in fonts and all(" yes " in line for line in fonts.splitlines()[2:])


def test_chart_png_pages_are_the_a4_page_at_300_dpi(large: Path, tmp_path: Path) -> None:
    from orgmodel.cli import main
    from orgmodel.render.charts import PRINT_DPI

    for fmt in ("pdf", "png"):
        assert main(["chart", str(large), "--variant", "team-branches", "--diff", "--paper", "a4", "--format", fmt,
                     "--out", str(tmp_path / f"diff.{fmt}")]) == 0
    (width, height, _), = page_texts(tmp_path / "diff.pdf")
    px = png_size(tmp_path / "diff.png")
    # the same page as the PDF, at print resolution: so its text is as large on paper
    assert px == pytest.approx((width * PRINT_DPI / 72, height * PRINT_DPI / 72), abs=6)
    assert sorted(px) == pytest.approx(sorted((210 / 25.4 * PRINT_DPI, 297 / 25.4 * PRINT_DPI)), abs=8)


def test_what_changed_is_summed_up_by_area_and_kind_from_the_stored_changes(large: Path) -> None:
    from orgmodel.report.changes import TOP_FLOWS, change_summary
    from orgmodel.run.read import load_results

    results = load_results(large)
    v = results.variant("team-branches")
    ch = v.changes
    s = change_summary(results.baseline.units, v.units, ch, lang="zh")
    total = s["areas"]["total"]
    assert (total["created"], total["dissolved"], total["retyped"]) == (
        len(ch["created"]), len(ch["dissolved"]), len(ch["retyped"]))
    assert total["moved_in"] == sum(int(f["count"]) for f in ch["flows"]) > 0
    # one row per residential area or enterprise touched, the upgraded ones once each (not once
    # as the old branch and again as the new general branch)
    names = [r["area"] for r in s["areas"]["rows"]]
    assert len(names) == len(set(names)) and "汽三居民区" in names
    qisan = next(r for r in s["areas"]["rows"] if r["area"] == "汽三居民区")
    assert qisan["moved_in"] == 150 and qisan["retyped"] == 1
    kinds = {k["kind"]: k for k in s["kinds"]["rows"]}
    assert sum(k["created"] for k in kinds.values()) == len(ch["created"])
    assert [(f["from"], f["to"]) for f in s["flows"]["rows"]] == [(f["from_name"], f["to_name"])
                                                                  for f in ch["flows"][:TOP_FLOWS]]


def _top_text(path: Path) -> list[str]:
    """The topmost line of text of each page (by its baseline on the page)."""
    out = []
    for page in pypdf.PdfReader(str(path)).pages:
        found: list[tuple[float, str]] = []

        def visit(text: str, cm: list[float], tm: list[float], _font: object, _size: float) -> None:
            if text.strip():
                found.append((tm[5] * cm[3] + tm[4] * cm[1] + cm[5], text.strip()))

        page.extract_text(visitor_text=visit)
        top = max((y for y, _ in found), default=0.0)
        out.append("".join(t for y, t in found if abs(y - top) < 2))
    return out


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed (scripts/setup.sh installs it)")
def test_the_report_pdf_holds_the_print_stylesheet(large: Path, tmp_path: Path) -> None:
    """A4 pages numbered "n / N"; text nowhere under 7 pt (the page is not shrunk to fit a
    table); a table going on to the next page repeats its header there; every chart page is one
    whole PDF page (its title under the chart and its top box on the same page)."""
    from orgmodel.render.paper import MIN_TEXT_PT
    from orgmodel.report import write_report

    write_report(large, tmp_path, formats=("svg",), pdf=True)
    pdf = tmp_path / "report.pdf"
    pages = page_texts(pdf)
    n = len(pages)
    texts = [_flat("".join(t for _, t in p[2])) for p in pages]
    for i, (width, height, found) in enumerate(pages, start=1):
        assert is_a4(width, height), (i, width, height)
        assert f"{i}/{n}" in texts[i - 1], i
        smallest = min(found)
        assert smallest[0] >= MIN_TEXT_PT - 0.05, (i, smallest)
    # the appendix's tables run over several pages, each continuing under its header again
    start = next(i for i, t in enumerate(texts) if _like("附录：逐单位变化明细").search(t))
    tops = [_flat(t) for t in _top_text(pdf)[start + 1:]]
    assert len(tops) >= 2
    headers = [_like(h) for h in ("从到人数原因", "新建组织人数原因", "撤销组织人数原因", "升格/改设人数原因", "团队党建")]
    assert all(any(h.match(t) for h in headers) for t in tops), tops
    # every chart page whole on one page
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    figures = re.findall(r'<figure class="page [a-z]+"><img src="([^"]+)" alt="([^"]*)">', report)
    assert len(figures) >= 10
    for src, caption in figures:
        caption = html.unescape(caption)
        title = _like(caption)
        holding = [i for i, t in enumerate(texts) if title.search(t)]
        assert len(holding) == 1, (caption, holding)
        page = texts[holding[0]]
        assert len(title.findall(page)) >= 2  # the chart's own caption and the figure caption
        svg = (tmp_path / src).read_text(encoding="utf-8")
        first_box = re.search(r"<text[^>]*>([^<]+)</text>", svg.split('class="node"', 1)[1]).group(1)
        assert _like(html.unescape(first_box)).search(page), (caption, first_box)
    # the simulation's rule chart (a landscape page) keeps its heading: heading and the chart's
    # first small chart's title on one page, the heading not left alone on the page before
    rules_svg = (tmp_path / "diagrams" / "simulation-rules.svg").read_text(encoding="utf-8")
    first_title = re.search(r'font-weight="bold">([^<…]+)', rules_svg).group(1)
    heading = [i for i, t in enumerate(texts) if _like("违反规则的组织数").search(t)]
    chart = [i for i, t in enumerate(texts) if _like(html.unescape(first_title)).search(t)]
    assert heading and chart and heading[0] in chart, (heading, chart, first_title)


def _flat(text: str) -> str:
    """Text as the PDF gives it back, for comparing: compatibility forms folded, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _like(text: str) -> re.Pattern[str]:
    """A pattern for ``text`` in PDF text, where a Chinese character may come back as its
    radical's code point (the CJK fonts map a few glyphs so)."""
    out = []
    for ch in _flat(text):
        out.append(f"(?:{re.escape(ch)}|[\u2e80-\u2fdf])" if "\u4e00" <= ch <= "\u9fff" else re.escape(ch))
    return re.compile("".join(out))
