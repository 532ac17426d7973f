"""Charts laid out for A4: the smallest text of an SVG at page size, and page sets that stay legible.

A chart on paper is printed at most at its natural size and shrunk to the printable area of an
A4 page (portrait or landscape, whichever shrinks it less). :func:`fit_a4` measures the
smallest text of an SVG printed that way, from its font sizes and its scale to the page;
:func:`org_chart_paper` and :func:`diff_chart_paper` draw a chart as pages that keep every text
at :data:`MIN_TEXT_PT` or more: the whole chart when it fits, otherwise an overview page (one box
per unit below the top) and one page per area or general branch, with fewer boxes (the rest
collapsed into count boxes) where a page is still too dense; ``only`` limits those pages to the
units given (the report's choice: :mod:`orgmodel.report.paging`). Before/after charts on paper show
the flows between the top areas only (aggregated); the report lists every flow in a table.

>>> svg = '<svg width="1000pt" height="500pt" viewBox="0 0 1000 500"><text font-size="10">x</text></svg>'
>>> f = fit_a4(svg)
>>> f.orientation, round(f.min_pt, 1), f.legible
('landscape', 7.7, True)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any
from dataclasses import dataclass

import numpy as np

from orgmodel.model.structure import Structure
from orgmodel.render.diff import diff_chart
from orgmodel.render.dot import html, run_dot

from orgmodel.render.orgchart import Findings, org_chart
from orgmodel.render.view import as_table
from orgmodel.run.tables import UnitTable

__all__ = ["PaperFit", "PaperPage", "fit_a4", "first_legible", "BUDGETS", "org_chart_paper", "diff_chart_paper", "MIN_TEXT_PT",
           "PRINT_AREA_MM", "PAGE_MARGIN_MM", "svg_size", "paged_alone"]

MM = 72 / 25.4
#: the smallest text a chart may have on paper, in points
MIN_TEXT_PT = 7.0
#: page margin and the height kept for a page's caption, in millimetres (the print stylesheet uses them)
PAGE_MARGIN_MM, CAPTION_MM = 12, 14
#: printable area of an A4 page for a chart: (width, height) in mm, portrait
PRINT_AREA_MM = (210 - 2 * PAGE_MARGIN_MM, 297 - 2 * PAGE_MARGIN_MM - CAPTION_MM)
_UNIT = {"pt": 1.0, "px": 0.75, "": 0.75, "mm": MM, "cm": 10 * MM, "in": 72.0}


@dataclass(frozen=True)
class PaperFit:
    """How an SVG prints on A4: orientation, the page scale (≤ 1) and its smallest text in points."""

    orientation: str
    scale: float
    min_pt: float

    @property
    def legible(self) -> bool:
        """Whether every text stays at :data:`MIN_TEXT_PT` or more."""
        return self.min_pt >= MIN_TEXT_PT - 1e-6


@dataclass(frozen=True)
class PaperPage:
    """One page of a chart on paper: its title, DOT text, SVG text and fit."""

    title: str
    dot: str
    svg: str
    fit: PaperFit


def _length(value: str) -> float:
    m = re.fullmatch(r"\s*([0-9.]+)\s*([a-z]*)\s*", value)
    if not m:
        raise ValueError(f"not an SVG length: {value!r}")
    return float(m.group(1)) * _UNIT.get(m.group(2), 0.75)


def svg_size(svg: str) -> tuple[float, float, float]:
    """Width and height of the outer SVG in points, and points per user unit."""
    head = re.search(r"<svg\b[^>]*>", svg, re.S)
    if head is None:
        raise ValueError("not an SVG document")
    tag = head.group(0)
    w = re.search(r'\swidth="([^"]+)"', tag)
    h = re.search(r'\sheight="([^"]+)"', tag)
    if not (w and h):
        raise ValueError("the SVG has no width and height")
    width, height = _length(w.group(1)), _length(h.group(1))
    box = re.search(r'\sviewBox="([^"]+)"', tag)
    per_unit = width / float(box.group(1).replace(",", " ").split()[2]) if box else _length("1" + re.sub(r"[0-9.\s]", "", w.group(1)))
    return width, height, per_unit


def _smallest_font(svg: str) -> float:
    """The smallest font size in user units, with Graphviz's scale transform applied."""
    sizes = [float(v) for v in re.findall(r'font-size="([0-9.]+)(?:px|pt)?"', svg)]
    sizes += [float(v) for v in re.findall(r"font-size:\s*([0-9.]+)", svg)]
    if not sizes:
        return float("inf")
    scales = [float(v) for v in re.findall(r'<g id="graph0"[^>]*transform="scale\(([0-9.]+)', svg)]
    return min(sizes) * (scales[0] if scales else 1.0)


def fit_a4(svg: str) -> PaperFit:
    """How ``svg`` prints on an A4 page (see the module docstring)."""
    width, height, per_unit = svg_size(svg)
    area_w, area_h = PRINT_AREA_MM[0] * MM, PRINT_AREA_MM[1] * MM
    landscape_h = 210 * MM - 2 * PAGE_MARGIN_MM * MM - CAPTION_MM * MM
    landscape_w = 297 * MM - 2 * PAGE_MARGIN_MM * MM
    portrait = min(1.0, area_w / width, area_h / height)
    landscape = min(1.0, landscape_w / width, landscape_h / height)
    orientation, scale = ("portrait", portrait) if portrait >= landscape else ("landscape", landscape)
    return PaperFit(orientation, scale, _smallest_font(svg) * per_unit * scale)


def _page(title: str, dot: str) -> PaperPage:
    svg = run_dot(dot, "svg").decode("utf-8")
    return PaperPage(title, dot, svg, fit_a4(svg))


def first_legible(title: str, draws: Sequence[Callable[[], str]]) -> PaperPage:
    """The first attempt that is legible (or the last one, the sparsest)."""
    page = None
    for draw in draws:
        page = _page(title, draw())
        if page.fit.legible:
            return page
    assert page is not None
    return page


BUDGETS = (150, 80, 50, 30, 18, 10)
#: a before/after chart of at most this many units (before and after) is first tried two levels deep
SMALL_DIFF_UNITS = 80
#: most rows of the flow table beside a before/after chart on paper (the report lists every flow)
MAX_PAPER_FLOWS = 12


def flow_table(flows: Sequence[Mapping[str, Any]], *, lang: str = "zh", rows: int = MAX_PAPER_FLOWS) -> str:
    """The largest stored flows as a Graphviz HTML table (from, to, members), '' when none.

    >>> print(flow_table([{"from_name": "一支部", "to_name": "二支部", "count": 12}], lang="en"))
    <TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3"><TR><TD COLSPAN="3"><B>largest member flows</B></TD></TR><TR><TD><B>from</B></TD><TD><B>to</B></TD><TD><B>members</B></TD></TR><TR><TD ALIGN="LEFT">一支部</TD><TD ALIGN="LEFT">二支部</TD><TD ALIGN="RIGHT">12</TD></TR></TABLE>
    """
    if not flows:
        return ""
    zh = lang == "zh"
    head = ("调整人数最多的流向", "从", "到", "人数") if zh else ("largest member flows", "from", "to", "members")
    out = [f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3"><TR><TD COLSPAN="3"><B>{head[0]}</B></TD></TR>',
           "<TR>" + "".join(f"<TD><B>{h}</B></TD>" for h in head[1:]) + "</TR>"]
    for f in list(flows)[:rows]:
        out.append(f'<TR><TD ALIGN="LEFT">{html(f["from_name"])}</TD><TD ALIGN="LEFT">{html(f["to_name"])}</TD>'
                   f'<TD ALIGN="RIGHT">{int(f["count"]):,}</TD></TR>')
    more = len(flows) - rows
    if more > 0:
        rest = sum(int(f["count"]) for f in list(flows)[rows:])
        note = f"另有{more}条流向、{rest:,}人，见报告“变化及原因”" if zh else f"{more} more flows, {rest:,} members: see the report's changes"
        out.append(f'<TR><TD COLSPAN="3">{html(note)}</TD></TR>')
    return "".join(out) + "</TABLE>"


def _beside(dot: str, table: str) -> str:
    """DOT text with the flow table as one more node (Graphviz puts it beside the tree)."""
    if not table:
        return dot
    node = f'  flow_table [shape=plain, fontsize=10, label=<{table}>];\n'
    end = dot.rstrip().rfind("}")
    return dot[:end] + node + dot[end:]


def paged_alone(units: UnitTable) -> np.ndarray:
    """Per unit code: whether a live unit lies two levels below it (on paper, a unit below the
    top gets a page of its own when it has; the others share pages of several). One pass."""
    live_org = units.live_org
    parent = np.asarray(units.parent, dtype=np.int64)
    child = live_org & (parent >= 0) & live_org[np.maximum(parent, 0)]
    grand = parent[np.maximum(parent[child], 0)]
    deep = np.zeros(len(parent), dtype=bool)
    deep[grand[(parent[child] >= 0) & (grand >= 0)]] = True
    return deep


def org_chart_paper(units: UnitTable | Structure, *, lang: str = "zh", title: str = "",
                    findings: Findings | None = None, budget: int = 150,
                    only: Collection[int] | None = None) -> list[PaperPage]:
    """The org chart as legible A4 pages: the whole chart, or an overview and one page per unit
    below the top that has units under it (each with fewer boxes where it must); ``only``: the
    codes of the units below the top that get pages (default: all; the overview shows every unit)."""
    s = as_table(units)
    options = {"lang": lang, "findings": findings}
    whole = _page(title, org_chart(s, budget=budget, title=title, **options))
    if whole.fit.legible:
        return [whole]
    budgets = [b for b in BUDGETS if b <= budget] or [budget]
    overview_title = f"{title}（总览）" if lang == "zh" else f"{title} (overview)"
    pages = [first_legible(overview_title, [
        (lambda b=b: org_chart(s, depth=1, budget=b, title=overview_title, **options)) for b in budgets])]
    live_org = s.live_org
    parent = np.asarray(s.parent, dtype=np.int64)
    deep = paged_alone(s)
    chosen = None if only is None else set(only)
    children = np.flatnonzero(live_org & (parent >= 0))
    for r in np.flatnonzero((parent < 0) & live_org).tolist():
        flat = []
        for c in children[parent[children] == r].tolist():
            if chosen is not None and c not in chosen:
                continue
            if not deep[c]:  # nothing two levels down: a page of several
                flat.append(c)
                continue
            name = str(s.name[c])
            page_title = f"{title}：{name}" if lang == "zh" else f"{title}: {name}"
            pages.append(first_legible(page_title, [
                (lambda b=b, c=c, t=page_title: org_chart(s, root=str(s.ids[c]), budget=b, title=t, **options))
                for b in budgets]))
        if len(flat) > 1:  # the overview has not room for them all with their groups
            pages += _pages_of_several(s, r, flat, title, lang, options)
    return pages


def _pages_of_several(s: UnitTable, root: int, codes: list[int], title: str, lang: str,
                      options: dict[str, object]) -> list[PaperPage]:
    """Units of one level, a few to a page (as many as stay legible), each page with its range."""
    for k in (12, 9, 6, 4, 2, 1):
        chunks = [codes[i:i + k] for i in range(0, len(codes), k)]
        pages = []
        for i, chunk in enumerate(chunks):
            part = (f"（{i + 1}/{len(chunks)}）" if lang == "zh" else f" ({i + 1}/{len(chunks)})")
            page_title = title + part
            ids = [str(s.ids[c]) for c in chunk]
            below = set(ids) | {str(s.ids[c]) for c in np.flatnonzero(np.isin(s.parent, chunk))}
            findings = {u: f for u, f in (options.get("findings") or {}).items() if u in below}  # type: ignore[union-attr]
            pages.append(_page(page_title, org_chart(s, root=str(s.ids[root]), budget=2 * len(chunk) + 2,
                                                     title=page_title, show_first=ids, lang=lang,
                                                     findings=findings)))
            if not pages[-1].fit.legible:
                break
        else:
            return pages
    return pages


def diff_chart_paper(before: UnitTable, after: UnitTable, changes: object, *, lang: str = "zh",
                     title: str = "", budget: int = 150) -> list[PaperPage]:
    """The before/after chart as one legible A4 page: the units one level below the top (two for a
    small structure, where that stays legible) with their changes, and beside them the largest member flows as a table (no arrows crossing the page;
    the report lists every flow), fewer boxes where the page needs it."""
    budgets = [b for b in BUDGETS if b <= budget] or [budget]
    flows = list(changes.get("flows", ()))  # type: ignore[attr-defined]
    draws = []
    # a small structure shows two levels below the top when that page is legible (measured on
    # the ready scenarios: a whole before/after chart never is, two levels are for 汽三 and 瑞丽)
    units = int(before.live_org.sum() + after.live_org[before.n_units:].sum())
    if units <= SMALL_DIFF_UNITS:
        for rows in (MAX_PAPER_FLOWS, 5):
            table = flow_table(flows, lang=lang, rows=rows)
            draws.append(lambda t=table: _beside(diff_chart(before, after, changes, lang=lang,  # type: ignore[arg-type]
                                                            budget=budget, depth=2, title=title,
                                                            max_flows=0), t))
    # the units one level below the top; the largest flows as a table beside them (fewer rows and
    # boxes until the page is legible; at last the chart alone, the report's table has every flow)
    for rows in (MAX_PAPER_FLOWS, 8, 5, 0):
        table = flow_table(flows, lang=lang, rows=rows) if rows else ""
        draws += [(lambda b=b, t=table: _beside(diff_chart(before, after, changes, lang=lang, budget=b,  # type: ignore[arg-type]
                                                           depth=1, title=title, max_flows=0), t))
                  for b in budgets]
    return [first_legible(title, draws)]
