"""Write the report of a results folder: diagrams drawn from stored data, HTML and Markdown from templates.

:func:`write_report` takes a :class:`~orgmodel.run.read.Results` (or a results folder path), draws
the org charts, before/after charts and branch-size distributions from the stored unit tables
and changes, builds the one data model (:func:`orgmodel.report.model.report_model`) and renders it
through ``templates/report.html.j2`` (jinja2, autoescaping on) and ``templates/report.md.j2``.
Nothing here measures, checks or compares: every number is the one the results folder holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from orgmodel.analysis.compare import Comparison, load_comparison
from orgmodel.errors import UserError
from orgmodel.render import diff_chart, org_chart, render, small_multiples_svg
from orgmodel.render.labels import findings_by_unit
from orgmodel.render.paper import (
    CAPTION_MM,
    PAGE_MARGIN_MM,
    PRINT_AREA_MM,
    PaperPage,
    diff_chart_paper,
    fit_a4,
    org_chart_paper,
)
from orgmodel.report.model import REPORT_SECTIONS, Diagram, Page, report_model, text
from orgmodel.report.paging import PAPER_SHARED_UNITS, PAPER_UNITS, change_scores, summed
from orgmodel.report.paging import paper_units as select_paper_units
from orgmodel.report.plots import FONT, size_histogram
from orgmodel.report.simulation import simulation_section
from orgmodel.run.read import Results, load_results

__all__ = ["write_report", "REPORT_SECTIONS", "render_report", "draw_charts"]


def _inline(svg: bytes | str) -> str:
    """An SVG document as an element to put inside HTML (no XML prolog or doctype)."""
    text_ = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    text_ = re.sub(r"<\?xml[^>]*\?>", "", text_)
    text_ = re.sub(r"<!DOCTYPE[^>]*>", "", text_, flags=re.S)
    text_ = re.sub(r"<!--.*?-->", "", text_, flags=re.S)
    return text_.strip()


def _cell(value: object) -> str:
    """Text for a Markdown table cell (pipes escaped, one line)."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _environment(*, html: bool) -> Environment:
    env = Environment(loader=PackageLoader("orgmodel.report", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html.j2"]) if html else False,
                      keep_trailing_newline=True)
    # diagrams are SVG that orgmodel drew and escaped itself (see orgmodel.render.dot)
    env.filters["svg"] = lambda svg: Markup(_inline(svg))
    env.filters["suffix"] = lambda path: Path(str(path)).suffix.lstrip(".")
    env.filters["cell"] = _cell
    return env


def render_report(model: dict[str, Any]) -> tuple[str, str]:
    """The report's HTML and Markdown text from its data model."""
    # the stylesheet is orgmodel's own text: inside <style> entities are not decoded, so no escaping
    html = _environment(html=True).get_template("report.html.j2").render(r=model, css=Markup(CSS))
    md = _environment(html=False).get_template("report.md.j2").render(r=model)
    return html, md


def _draw(dot_text: str, folder: Path, key: str, formats: tuple[str, ...]) -> tuple[str, list[str]]:
    files = []
    svg = ""
    for fmt in formats:
        path = render(dot_text, folder / f"{key}.{fmt}")
        files.append(f"diagrams/{path.name}")
        if fmt == "svg":
            svg = path.read_text(encoding="utf-8")
    return svg, files


def _paper(pages: list[PaperPage], folder: Path, key: str) -> list[Page]:
    """Write a chart's A4 pages as SVG files into ``folder/paper``."""
    (folder / "paper").mkdir(parents=True, exist_ok=True)
    out = []
    for i, p in enumerate(pages, start=1):
        path = folder / "paper" / f"{key}-{i:02d}.svg"
        path.write_text(p.svg, encoding="utf-8")
        (folder / "paper" / f"{key}-{i:02d}.gv").write_text(p.dot, encoding="utf-8")
        out.append(Page(p.title, p.svg, p.fit.orientation, [f"diagrams/paper/{path.name}"], round(p.fit.min_pt, 2),
                        p.dot))
    return out


def draw_charts(results: Results, folder: Path, *, lang: str = "zh", formats: tuple[str, ...] = ("svg",),
                budget: int = 150, paper_units: tuple[int, int] = (PAPER_UNITS, PAPER_SHARED_UNITS)
                ) -> tuple[list[Diagram], list[Diagram]]:
    """The org charts and before/after charts of ``results``, drawn into ``folder``: each whole
    (for the screen, in ``formats``) and as legible A4 pages (``folder/paper``, SVG and DOT); an
    org chart puts at most ``paper_units`` units below the top on paper, with pages of their own and
    on shared pages (:mod:`orgmodel.report.paging`)."""
    name = results.name
    base = results.baseline
    charts: list[Diagram] = []
    changed = [v for v in results.variants[1:] if v.steps]
    scores = {v.name: change_scores(v.units, v.changes) for v in changed}
    title = text(lang, f"{name}：现状组织结构", f"{name}: the baseline")
    found = findings_by_unit(base.findings, lang)
    svg, files = _draw(org_chart(base.units, lang=lang, budget=budget, findings=found, title=title),
                       folder, "baseline-orgchart", formats)
    shown = select_paper_units(base.units, summed(scores.values()), *paper_units)
    pages = _paper(org_chart_paper(base.units, lang=lang, title=title, findings=found, budget=budget,
                                   only=shown.codes), folder, "baseline-orgchart")
    charts.append(Diagram("baseline-orgchart", title, svg, files, pages, shown.note(lang, base.name, baseline=True)))
    diffs: list[Diagram] = []
    for v in changed:
        title = text(lang, f"{v.label}：调整后组织结构", f"{v.label}: org chart")
        found = findings_by_unit(v.findings, lang)
        svg, files = _draw(org_chart(v.units, lang=lang, budget=budget, findings=found, title=title),
                           folder, f"{v.name}-orgchart", formats)
        shown = select_paper_units(v.units, scores[v.name], *paper_units)
        pages = _paper(org_chart_paper(v.units, lang=lang, title=title, findings=found, budget=budget,
                                       only=shown.codes), folder, f"{v.name}-orgchart")
        charts.append(Diagram(f"{v.name}-orgchart", title, svg, files, pages, shown.note(lang, v.name, baseline=False)))
        title = text(lang, f"{v.label}：调整前后对比", f"{v.label}: before and after")
        svg, files = _draw(diff_chart(base.units, v.units, v.changes, lang=lang, budget=budget, title=title,
                                      max_flows=40), folder, f"{v.name}-diff", formats)
        pages = _paper(diff_chart_paper(base.units, v.units, v.changes, lang=lang, title=title, budget=budget),
                       folder, f"{v.name}-diff")
        note = text(lang, "纸面上不画流向箭头，图旁表格列出调整人数最多的流向；每一条流向见“变化及原因”中的表格。",
                    "On paper no flow arrows are drawn: the table beside the chart lists the largest flows; every "
                    "flow is in the table of “What changed and why”.")
        diffs.append(Diagram(f"{v.name}-diff", title, svg, files, pages, note))
    return charts, diffs


def installed_strategy_labels(lang: str) -> dict[str, str]:
    """Strategy name -> its label in ``lang``, for every installed strategy (as
    :func:`orgmodel.api.strategy_labels`, for a report written without them)."""
    from orgmodel.plugin.host import PluginHost

    registry = PluginHost().strategies()
    out = {}
    for name in registry.names():
        label = getattr(registry.get(name), "label_zh" if lang == "zh" else "label_en", "") or ""
        if label:
            out[name] = label
    return out


def write_report(
    results: Results | str | Path,
    folder: str | Path,
    *,
    lang: str = "zh",
    comparison: Comparison | None = None,
    formats: tuple[str, ...] = ("svg", "png", "pdf"),
    budget: int = 150,
    strategy_labels: Mapping[str, str] | None = None,
    pdf: bool = False,
    docx: bool = False,
) -> Path:
    """Write ``report.html``, ``report.md`` and ``diagrams/`` into ``folder``; returns the HTML path.

    ``results``: a loaded results folder or its path. ``comparison``: the variants side by side
    (default: every variant of ``results`` against the baseline). ``pdf``: also ``report.pdf``
    (A4, printed by headless Chromium); ``docx``: also ``report.docx`` (Word). ``strategy_labels``:
    strategy name -> label in ``lang`` (default: the labels of the installed strategies).
    """
    if lang not in ("zh", "en"):
        raise UserError(f"unknown report language {lang!r} (use zh or en)")
    if not isinstance(results, Results):
        results = load_results(results)
    if comparison is None:
        comparison = load_comparison([results])
    folder = Path(folder)
    diagrams_dir = folder / "diagrams"
    diagrams_dir.mkdir(parents=True, exist_ok=True)
    formats = tuple(dict.fromkeys(("svg",) + tuple(formats)))
    charts, diffs = draw_charts(results, diagrams_dir, lang=lang, formats=formats, budget=budget)
    if len(diffs) > 1:  # for the screen only: each before/after chart is its own page on paper
        page = small_multiples_svg([d.svg for d in diffs], [d.title for d in diffs])
        path = diagrams_dir / "all-variants-diff.svg"
        path.write_text(page, encoding="utf-8")
        diffs.insert(0, Diagram("all-variants-diff", text(lang, "各方案对比一览", "All variants at a glance"),
                                page, [f"diagrams/{path.name}"]))

    sizes = {}
    for v in results.variants:
        label = text(lang, "现状基线", "baseline") if v.is_baseline else v.label
        sizes[label] = v.units.direct[v.units.counted_branch].tolist()  # stored sizes of the live branches
    histogram = size_histogram(sizes, title=text(lang, "支部规模分布", "Branch sizes"),
                               x_label=text(lang, "支部党员人数", "members per branch"),
                               y_label=text(lang, "支部数", "branches"))
    (diagrams_dir / "branch-sizes.svg").write_text(histogram, encoding="utf-8")
    histogram_page = Page(text(lang, "支部规模分布", "Branch sizes"), histogram, fit_a4(histogram).orientation,
                          ["diagrams/branch-sizes.svg"], fit_a4(histogram).min_pt)

    if strategy_labels is None:  # the labels of the installed strategies (names in the report's language)
        strategy_labels = installed_strategy_labels(lang)
    model = report_model(results, comparison, lang=lang, diagrams=diffs, charts=charts, histogram=histogram,
                         strategy_labels=strategy_labels)
    model["histogram_page"] = histogram_page
    model["simulation"] = simulation_section(results, lang=lang, folder=diagrams_dir)
    html, md = render_report(model)
    (folder / "report.html").write_text(html, encoding="utf-8")
    (folder / "report.md").write_text(md, encoding="utf-8")
    if pdf:
        from orgmodel.report.pdf import write_pdf

        write_pdf(folder / "report.html", folder / "report.pdf")
    if docx:
        from orgmodel.report.docx import write_docx

        write_docx(model, folder / "report.docx")
    return folder / "report.html"


_AREA_W, _AREA_H = PRINT_AREA_MM
_LAND_W, _LAND_H = 297 - 2 * PAGE_MARGIN_MM, 210 - 2 * PAGE_MARGIN_MM - CAPTION_MM
_FOOTER = "@bottom-center { content: counter(page) \" / \" counter(pages); font-size: 9pt; color: #555; }"
CSS = f"""
body {{ font-family: {FONT}; margin: 0 auto; max-width: 1180px; padding: 24px 32px 64px; color: #222; line-height: 1.55; }}
h1 {{ font-size: 26px; margin-bottom: 4px; }} h2 {{ font-size: 20px; border-bottom: 2px solid #c0392b; padding-bottom: 4px; margin-top: 40px; }}
h3 {{ font-size: 16px; margin-top: 24px; }} .meta {{ color: #666; font-size: 13px; }}
table {{ border-collapse: collapse; margin: 12px 0; font-size: 13px; }} th, td {{ border: 1px solid #ccc; padding: 4px 8px; }}
th {{ background: #f3f3f3; }} td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
td.best {{ background: #e8f5e9; font-weight: bold; }} .err {{ color: #c0392b; font-weight: bold; }} .warn {{ color: #d35400; }}
.unit, td.small {{ font-size: 11px; color: #555; font-weight: normal; }} table.decide .unit {{ white-space: nowrap; }}
table.decide th, table.decide td {{ padding: 3px 5px; }} table.decide td:nth-child(2) {{ min-width: 5em; }}
table.detail, table.summary.flows {{ width: 100%; }} table.detail th, table.summary th, td.num {{ white-space: nowrap; }} table.decide tbody th {{ min-width: 4em; max-width: 8em; }} dl.cards dt {{ font-weight: bold; margin-top: 8px; }}
table caption {{ caption-side: top; text-align: left; font-weight: bold; padding: 4px 0; }} tr.total th, tr.total td {{ border-top: 2px solid #888; font-weight: bold; }}
figure {{ margin: 16px 0 32px; }} figure svg {{ max-width: 100%; height: auto; border: 1px solid #eee; }}
figcaption {{ color: #555; font-size: 13px; }} nav a {{ margin-right: 14px; }} .files {{ font-size: 12px; color: #777; }}
.paper {{ display: none; }}
@page {{ size: A4 portrait; margin: {PAGE_MARGIN_MM}mm; {_FOOTER} }}
@page landscape {{ size: A4 landscape; margin: {PAGE_MARGIN_MM}mm; {_FOOTER} }}
@media print {{
  body {{ max-width: none; padding: 0; font-size: 10.5pt; }}
  nav, .screen {{ display: none; }} .paper {{ display: block; }}
  h2 {{ break-before: page; break-after: avoid; }} h3 {{ break-after: avoid; }}
  #decide h2 {{ break-before: auto; }} #diagrams h2, #charts h2 {{ display: none; }}
  table {{ font-size: 9pt; }} table.detail {{ font-size: 8pt; }} thead {{ display: table-header-group; }} tr, td, th {{ break-inside: avoid; }}
  figure.page {{ break-before: page; break-inside: avoid; margin: 0; text-align: center; }}
  figure.page.landscape {{ page: landscape; }}
  figure.page img, figure.page svg {{ max-width: {_AREA_W}mm; max-height: {_AREA_H}mm; border: none; }}
  figure.page.landscape img, figure.page.landscape svg {{ max-width: {_LAND_W}mm; max-height: {_LAND_H}mm; }}
  figcaption {{ font-size: 9pt; }}
  .sim-rules {{ page: landscape; break-before: page; }} .sim-rules h3 {{ margin-top: 0; }}
  #fig-simulation-rules {{ break-inside: avoid; }} #fig-simulation-rules svg {{ max-height: {_LAND_H}mm; }}
  .files {{ display: none; }} table.kinds, table.flows {{ break-inside: avoid; }} #distribution h2 {{ display: none; }}
  .sim-charts {{ display: block !important; }} .sim-charts figure, #simulation figure {{ break-inside: avoid; margin: 8px 0 !important; }}
}}
"""
