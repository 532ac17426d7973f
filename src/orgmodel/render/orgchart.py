"""Org charts: a structure's organisation units as boxes, top to bottom, as DOT text.

Charts draw a :class:`~orgmodel.run.tables.UnitTable`: the stored unit table of a results folder
(``load_results(folder).variant(name).units``), so every count a box shows is the count evaluation
stored; a :class:`~orgmodel.model.structure.Structure` is drawn through its unit table.
Units are boxes labelled with their name, kind and member counts (direct / in all, full members),
filled with their kind's colour; subtrees that do not fit the budget are count boxes; rule
findings give a unit a red (error) or orange (warning) border and a footnote number; the
caption under the chart holds the title, a colour legend and the footnotes. Wide levels wrap
into rows and combs (:mod:`orgmodel.render.layout`) so the chart keeps a page-like shape.

>>> from orgmodel.testing_data import tiny_structure
>>> dot = org_chart(tiny_structure(), findings={"b1": [("error", "4 > 3")]})
>>> "东区总支" in dot and 'color="#d7191c"' in dot
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from orgmodel.model.structure import Structure
from orgmodel.render.dot import Graph, Html, html
from orgmodel.render.labels import (
    SEVERITY,
    WORDS,
    box,
    check_lang,
    count_items,
    count_label,
    kind_label,
    name_html,
    num,
    small,
    worst,
)
from orgmodel.render.layout import tree_edges
from orgmodel.render.view import DEFAULT_BUDGET, CountNode, View, as_table, budgeted_view
from orgmodel.run.tables import UnitTable

__all__ = ["org_chart", "org_chart_pages", "Findings"]

Findings = Mapping[str, Sequence[tuple[str, str]]]

EDGE = {"dir": "none", "color": "#4d4d4d", "penwidth": 1.2}
BOX = {"shape": "box", "style": "rounded,filled", "color": "#5b5b5b", "penwidth": 1.0}
COUNT_BOX = {"shape": "box", "style": "rounded,dashed,filled", "fillcolor": "#ffffff", "color": "#8c8c8c",
             "penwidth": 1.0}
HOST_BOX = {"shape": "box", "style": "filled,dashed", "color": "#8c8c8c", "penwidth": 0.8, "margin": "0.08,0.03",
            "width": 1.1, "height": 0.35}
HOST_BESIDE_EDGE = {"style": "dashed", "color": "#8c8c8c", "arrowhead": "none", "penwidth": 0.8}
ALLIANCE_EDGE = {"style": "dashed", "color": "#6a3d9a", "penwidth": 1.6, "arrowhead": "odiamond",
                 "constraint": False}


def graph_attrs(*, splines: str = "polyline") -> dict[str, object]:
    """Graph attributes every chart shares."""
    return {
        "rankdir": "TB",
        "splines": splines,
        "nodesep": 0.22,
        "ranksep": 0.32,
        "newrank": True,
        "ordering": "out",
        "pad": 0.3,
        "bgcolor": "white",
        "labelloc": "b",
        "labeljust": "c",
        "fontsize": 12,
        "outputorder": "edgesfirst",
    }


def node_defaults() -> dict[str, object]:
    """Node attributes every chart shares (a minimum box size keeps boxes alike)."""
    return {"fontsize": 12, "margin": "0.12,0.05", "width": 1.8, "height": 0.55}


@dataclass
class Footnotes:
    """Numbered footnotes for rule findings, in the order the units are drawn."""

    lang: str
    lines: list[tuple[int, str, str]] = field(default_factory=list)  # (number, severity, text)
    next: int = 1

    def add(self, where: str, items: Sequence[tuple[str, str]]) -> int:
        n = self.next
        self.next += 1
        for severity, text in items:
            self.lines.append((n, severity, f"{where}：{text}" if self.lang == "zh" else f"{where}: {text}"))
        return n


def marker(n: int, severity: str) -> str:
    """The footnote number after a unit's name."""
    colour = SEVERITY.get(severity, SEVERITY["warning"])[0]
    return f'<FONT POINT-SIZE="10" COLOR="{colour}"><B> [{n}]</B></FONT>'


def finding_style(severity: str) -> dict[str, object]:
    """Border colour and width for the worst finding of a unit."""
    colour, width, _ = SEVERITY.get(severity, SEVERITY["warning"])
    return {"color": colour, "penwidth": width}


def legend_html(swatches: Sequence[tuple[str, str]], *, per_line: int = 8) -> str:
    """A legend line of (colour, text) swatches: a coloured square and its text.

    (A nested HTML table would be stretched to the caption's width by Graphviz.)"""
    items = [f'<FONT COLOR="{colour}" POINT-SIZE="14">■</FONT><FONT POINT-SIZE="10"> {html(text)}</FONT>'
             for colour, text in swatches]
    lines = ["\u2003".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "<BR/>".join(lines)


def caption_html(title: str, lines: Sequence[str], legend: str | None, notes: Footnotes | None,
                 *, lang: str = "zh", max_notes: int = 40) -> Html:
    """The caption under a chart: title, summary lines, legend, footnotes."""
    words = WORDS[lang]
    rows = ['<TR><TD HEIGHT="12"></TD></TR>', f'<TR><TD><FONT POINT-SIZE="16"><B>{html(title)}</B></FONT></TD></TR>']
    rows += [f"<TR><TD>{small(line, size=11)}</TD></TR>" for line in lines]
    if legend:
        rows.append(f"<TR><TD>{legend}</TD></TR>")
    if notes and notes.lines:
        shown = notes.lines[:max_notes]
        for n, severity, text in shown:
            colour = SEVERITY.get(severity, SEVERITY["warning"])[0]
            rows.append(
                f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="10" COLOR="{colour}"><B>[{n}]</B></FONT>'
                f' <FONT POINT-SIZE="10">{html(text)}</FONT></TD></TR>'
            )
        if len(notes.lines) > max_notes:
            more = words["more_findings"].format(n=num(len(notes.lines) - max_notes))
            rows.append(f'<TR><TD ALIGN="LEFT">{small(more)}</TD></TR>')
    return Html(f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="3">{"".join(rows)}</TABLE>')


def count_text(lang: str, *, members: int, full: int, direct: int | None = None) -> str:
    """"150 人（正式 139）" or "直属 3 · 共 150 人（正式 139）"."""
    words = WORDS[lang]
    if direct is None or direct == members:
        text = words["people"].format(n=num(members))
    elif direct == 0:
        text = words["total"].format(t=num(members))
    else:
        text = words["direct_total"].format(d=num(direct), t=num(members))
    if members:
        f = words["full"].format(n=num(full))
        text += f"（{f}）" if lang == "zh" else f" ({f})"
    return text


def add_hosts(g: Graph, s: UnitTable, view: View, lang: str) -> tuple[dict[str, list[str]], dict[str, float]]:
    """A host box beside each drawn unit for every host it is built on (a host shared by several
    units is drawn beside each, so no line crosses the chart). Returns the host boxes beside each
    unit and the width (in boxes) the unit takes with them."""
    beside: dict[str, list[str]] = {}
    width: dict[str, float] = {}
    if not view.built_on:
        return beside, width
    parts = s.participants
    for c, h in view.built_on:
        kind = s.kinds[int(s.kind[h])]
        lines = [name_html(str(s.name[h]), size=10, bold=False, width=16),
                 small(kind_label(kind, lang), size=9, colour="#555555")]
        if parts[h]:
            lines.append(small(WORDS[lang]["participants"].format(n=num(parts[h])), size=9, colour="#555555"))
        key = f"h{c}_{h}"
        g.node(key, label=box(lines), fillcolor=kind.colour, tooltip=str(s.ids[h]), **HOST_BOX)
        beside.setdefault(f"u{c}", []).append(key)
        width[f"u{c}"] = width.get(f"u{c}", 1.0) + 0.65
    return beside, width


def org_chart(
    units: UnitTable | Structure,
    *,
    lang: str = "zh",
    budget: int = DEFAULT_BUDGET,
    depth: int | None = None,
    hosts: bool = False,
    findings: Findings | None = None,
    title: str | None = None,
    root: str | None = None,
    aspect: float = 1.41,
) -> str:
    """The org chart of a unit table (or a structure) as DOT text (render it with
    :func:`orgmodel.render.render`).

    ``lang``: ``"zh"`` or ``"en"`` labels. ``budget``: at most this many boxes (units, count
    boxes, hosts); the rest is collapsed. ``depth``: draw this many levels below the roots only.
    ``hosts``: draw the host units the drawn units are built on. ``findings``: unit id →
    [(severity, short text)] (see :func:`orgmodel.render.labels.findings_by_unit`); a unit with
    an ``error`` gets a red border, with a ``warning`` an orange one, and a footnote; such units
    are the first drawn when the budget is tight. ``root``: chart one unit's subtree.
    ``aspect``: the page shape to aim for (width / height; 1.41 is A4 landscape).
    """
    words = check_lang(lang)
    s = as_table(units)
    findings = findings or {}
    # units with findings are drawn first (as far as the budget allows)
    flagged = sorted(u for u in findings if findings[u] and s.has(u) and not s.dissolved[s.code(u)])
    view = budgeted_view(s, budget=budget, depth=depth, hosts=hosts, root=root, show_first=flagged)
    g = Graph("orgchart", attrs=graph_attrs(), node_defaults=node_defaults(), edge_defaults={"fontsize": 10})
    direct, total, full, parts = s.direct, s.members, s.full, s.participants
    allies = np.bincount(s.alliances[1], minlength=s.n_units)
    notes = Footnotes(lang)
    ids, names = s.ids, s.name
    kinds_seen: dict[int, None] = {}
    for c in view.codes.tolist():
        kind = s.kinds[int(s.kind[c])]
        kinds_seen[int(s.kind[c])] = None
        uid, name = str(ids[c]), str(names[c])
        items = list(findings.get(uid, ()))
        head = name_html(name)
        style: dict[str, object] = {}
        if items:
            sev = worst(sev for sev, _ in items)
            head += marker(notes.add(name, items), sev)
            style = finding_style(sev)
        holds = kind.relation is not None
        lines = [head]
        if not (lang == "zh" and name.endswith(kind.label_zh)):
            lines.append(small(kind_label(kind, lang), size=10, colour="#444444"))
        if total[c] or holds or not parts[c]:
            lines.append(small(count_text(lang, members=int(total[c]), full=int(full[c]),
                                          direct=None if holds else int(direct[c]))))
        if parts[c]:
            lines.append(small(words["participants"].format(n=num(parts[c]))))
        if allies[c]:
            lines.append(small(words["allies"].format(n=num(allies[c])), colour="#6a3d9a"))
        tooltip = "\n".join([name, f"{kind_label(kind, lang)} ({uid})", *[t for _, t in items]])
        g.node(f"u{c}", label=box(lines), fillcolor=kind.colour, tooltip=tooltip, id=f"unit:{uid}",
               **{**BOX, **style})
    hidden_findings = _hidden_findings(s, view, findings)
    for key, node in view.counts.items():
        extra, style = [], {}
        items = hidden_findings.get(key)
        if items:
            sev = worst(sev for sev, _, _ in items)
            style = finding_style(sev)
            where = count_label_plain(node, s, lang)
            shown = [(sev_, f"{name_}：{text_}" if lang == "zh" else f"{name_}: {text_}")
                     for sev_, name_, text_ in items[:3]]
            if len(items) > 3:
                shown.append((sev, words["more_findings"].format(n=num(len(items) - 3))))
            n = notes.add(where, shown)
            extra.append(f"[{n}]")
        g.node(key, label=count_label(node, s.kinds, lang, extra=extra), **{**COUNT_BOX, **style})
    beside, own = add_hosts(g, s, view, lang)
    for a, b in view.alliances:
        g.edge(a, b, tooltip=words["alliance"], **ALLIANCE_EDGE)
    tree_edges(g, view.roots, view.children, own, aspect=aspect, edge=EDGE, beside=beside,
               beside_edge=HOST_BESIDE_EDGE)
    n_units = int(view.forest.inside.sum()) if root is None else int((view.depth >= 0).sum())
    root_codes = [int(k[1:]) for k in view.roots if k.startswith("u")] + [
        c for k, n in view.counts.items() if n.parent < 0 for c in n.top]
    lines = [words["summary"].format(units=num(n_units), members=num(total[root_codes].sum()),
                                     full=num(full[root_codes].sum()))]
    if view.counts:
        lines.append(words["shown"].format(shown=num(len(view.codes)), hidden=num(n_units - len(view.codes))))
    legend = legend_html([(s.kinds[k].colour, kind_label(s.kinds[k], lang)) for k in sorted(kinds_seen)])
    g.attrs["label"] = caption_html(title or words["chart"], lines, legend, notes, lang=lang)
    return g.to_dot()


def count_label_plain(node: CountNode, s: UnitTable, lang: str) -> str:
    """Where a count box is, for a footnote: "X下折叠的 37 党支部"."""
    items = count_items(node, s.kinds, lang)
    if node.parent >= 0:
        under = str(s.name[node.parent])
        return f"{under}下折叠的 {items}" if lang == "zh" else f"{items} collapsed under {under}"
    return items


def _hidden_findings(s: UnitTable, view: View, findings: Findings) -> dict[str, list[tuple[str, str, str]]]:
    """Findings of units drawn only as part of a count box: count key -> [(severity, unit name, text)]."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    codes = sorted(s.code(uid) for uid in findings if s.has(uid))
    for c in codes:
        if view.depth[c] < 0 or not view.rep_hidden[c]:
            continue
        uid = str(s.ids[c])
        out.setdefault(view.key_of(c), []).extend(
            (sev, str(s.name[c]), text) for sev, text in findings[uid])
    return out


def org_chart_pages(
    units: UnitTable | Structure,
    *,
    lang: str = "zh",
    overview_depth: int = 1,
    budget: int = DEFAULT_BUDGET,
    hosts: bool = False,
    findings: Findings | None = None,
    aspect: float = 1.41,
) -> list[tuple[str, str]]:
    """An overview page and one page per unit below the roots: [(title, DOT)].

    For structures too large for one legible page (DESIGN decision 13): the overview draws
    ``overview_depth`` levels below the roots; each further page draws the subtree of one unit
    directly below a root, with the same options as :func:`org_chart`.
    """
    words = check_lang(lang)
    s = as_table(units)
    options = {"lang": lang, "budget": budget, "hosts": hosts, "findings": findings, "aspect": aspect}
    pages = [(words["chart"], org_chart(s, depth=overview_depth, **options))]  # type: ignore[arg-type]
    live_org = s.live_org
    roots = np.flatnonzero((s.parent < 0) & live_org)
    for r in roots.tolist():
        for c in np.flatnonzero((s.parent == r) & live_org).tolist():
            name = str(s.name[c])
            title = f"{name}{words['chart']}" if lang == "zh" else f"{words['chart']}: {name}"
            pages.append((title, org_chart(s, root=str(s.ids[c]), title=title, **options)))  # type: ignore[arg-type]
    return pages
