"""One chart on its own, from a results folder (``orgmodel chart``, :func:`orgmodel.api.chart`).

:func:`draw_chart` draws a variant's org chart (or one unit's subtree of it) or its
before/after chart, whole or as legible A4 pages (:mod:`orgmodel.render.paper`), into SVG, PNG
or PDF files: a page set is one SVG or PNG file per page, and one PDF of all its pages. It draws the stored tables of the results folder and counts nothing itself.
"""

from __future__ import annotations

import io
from pathlib import Path

from orgmodel.errors import UserError
from orgmodel.files import atomic_file
from orgmodel.render.diff import diff_chart
from orgmodel.render.dot import FORMATS, run_dot
from orgmodel.render.labels import findings_by_unit
from orgmodel.render.orgchart import org_chart
from orgmodel.render.paper import (
    BUDGETS,
    CAPTION_MM,
    PAGE_MARGIN_MM,
    PRINT_AREA_MM,
    PaperFit,
    PaperPage,
    first_legible,
    svg_size,
    diff_chart_paper,
    org_chart_paper,
)
from orgmodel.run.read import Results

__all__ = ["draw_chart", "sized_for_a4", "a4_page", "PAPERS", "PRINT_DPI"]

#: paper sizes ``--paper`` accepts
PAPERS = ("a4",)


def _title(results: Results, variant: str, unit: str | None, diff: bool, lang: str) -> str:
    v = results.variant(variant)
    label = ("现状基线" if lang == "zh" else "baseline") if v.is_baseline else v.label
    if diff:
        return f"{label}：调整前后对比" if lang == "zh" else f"{label}: before and after"
    if unit is not None:
        name = str(v.units.name[v.units.code(unit)])
        return f"{label}：{name}组织结构" if lang == "zh" else f"{label}: {name}"
    return f"{label}：组织结构" if lang == "zh" else f"{label}: org chart"


def draw_chart(results: Results, *, variant: str = "baseline", unit: str | None = None, diff: bool = False,
               fmt: str = "svg", paper: str | None = None, out: Path | None = None, lang: str = "zh",
               budget: int = 150) -> list[Path]:
    """Draw one chart (see the module docstring); returns the files written."""
    from orgmodel.render import render

    if fmt not in FORMATS:
        raise UserError(f"unknown chart format {fmt!r} (use {', '.join(FORMATS)})")
    if paper is not None and paper.lower() not in PAPERS:
        raise UserError(f"unknown paper size {paper!r} (use {', '.join(PAPERS)})")
    if variant not in results.names:
        raise UserError(f"no variant {variant!r} in {results.folder} (have: {', '.join(results.names)})")
    v = results.variant(variant)
    if diff and v.is_baseline:
        raise UserError("--diff needs a variant (the before/after chart of the baseline shows nothing)")
    if unit is not None:
        if diff:
            raise UserError("--unit draws an org chart; leave out --diff (the before/after chart is drawn whole)")
        if not v.units.has(unit) or v.units.dissolved[v.units.code(unit)]:
            raise UserError(f"no unit {unit!r} in variant {variant}")
    title = _title(results, variant, unit, diff, lang)
    stem = variant + (f"-{unit}" if unit else "") + ("-diff" if diff else "")
    target = out if out is not None else results.folder / "charts" / f"{stem}.{fmt}"
    if target.suffix.lower().lstrip(".") != fmt:
        target = target.with_name(f"{target.name}.{fmt}")
    target.parent.mkdir(parents=True, exist_ok=True)
    base = results.baseline
    findings = findings_by_unit(v.findings, lang)
    if paper is None:
        if diff:
            dot = diff_chart(base.units, v.units, v.changes, lang=lang, budget=budget, title=title, max_flows=40)
        else:
            dot = org_chart(v.units, lang=lang, budget=budget, findings=findings, title=title, root=unit)
        return [render(dot, target)]
    pages: list[PaperPage]
    if diff:
        pages = diff_chart_paper(base.units, v.units, v.changes, lang=lang, title=title, budget=budget)
    elif unit is not None:
        pages = [first_legible(title, [(lambda b=b: org_chart(v.units, lang=lang, budget=b, findings=findings,
                                                                 title=title, root=unit)) for b in BUDGETS])]
    else:
        pages = org_chart_paper(v.units, lang=lang, title=title, findings=findings, budget=budget)
    if fmt == "pdf":  # for the printer: one PDF, a whole A4 page per chart page
        return [_write_pdf([run_dot(a4_page(page.dot, page.fit), "pdf") for page in pages], target)]
    files = []
    for i, page in enumerate(pages, start=1):
        path = target.with_name(f"{target.stem}-{i:02d}{target.suffix}") if len(pages) > 1 else target
        if fmt == "svg":  # for the browser and the report: the chart at the size it prints
            files.append(render(sized_for_a4(page.dot, page.fit.orientation), path))
        else:  # for the printer: a whole A4 page, the chart centred in its printable area
            files.append(render(a4_page(page.dot, page.fit), path, dpi=PRINT_DPI))
    return files


def _write_pdf(pages: list[bytes], target: Path) -> Path:
    """One PDF of the pages (each a one-page PDF drawn by Graphviz), written atomically."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in pages:
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    with atomic_file(target) as tmp, open(tmp, "wb") as f:
        writer.write(f)
    return target


#: resolution of PNG pages (an A4 page at 300 dpi is 2480 × 3508 pixels)
PRINT_DPI = 300
#: A4 in inches, portrait
A4_IN = (210 / 25.4, 297 / 25.4)


def sized_for_a4(dot: str, orientation: str) -> str:
    """DOT text that Graphviz draws no larger than the printable area of an A4 page.

    >>> sized_for_a4("digraph g { a }", "portrait").split(";")[0]
    'digraph g {\\n  size="7.32,10.20"'
    """
    w, h = PRINT_AREA_MM
    if orientation == "landscape":
        w, h = 297 - 2 * PAGE_MARGIN_MM, 210 - 2 * PAGE_MARGIN_MM - CAPTION_MM
    return dot.replace("{", f'{{\n  size="{w / 25.4:.2f},{h / 25.4:.2f}";', 1)


def _with(dot: str, attrs: str) -> str:
    """DOT text with graph attributes set last (so they win over the chart's own)."""
    end = dot.rstrip().rfind("}")
    return dot[:end] + f"  {attrs}\n" + dot[end:]


def a4_page(dot: str, fit: PaperFit) -> str:
    """DOT text that Graphviz draws as one whole A4 page (PDF points, or pixels at
    :data:`PRINT_DPI`): the chart at the scale ``fit`` found for the printable area, centred, the
    rest of the page white padding.

    Graphviz scales a drawing and its padding together to fit ``size``; with the padding chosen
    so that drawing and padding make an A4 page at the chart's scale, the page comes out A4.
    """
    bare = _with(dot, "pad=0; margin=0;")
    width, height, _ = svg_size(run_dot(bare, "svg").decode("utf-8"))  # points, unscaled
    page_w, page_h = A4_IN if fit.orientation == "portrait" else A4_IN[::-1]
    scale = fit.scale
    pad_x = max(0.0, (page_w * 72 / scale - width) / 2 / 72)
    pad_y = max(0.0, (page_h * 72 / scale - height) / 2 / 72)
    return _with(bare, f'pad="{pad_x:.4f},{pad_y:.4f}"; size="{page_w:.4f},{page_h:.4f}";')
