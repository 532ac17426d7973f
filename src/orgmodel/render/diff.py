"""Before/after diagrams: what a variant changed, drawn on one chart, and a page of them all.

:func:`diff_chart` draws a variant's stored unit table over its baseline's (the units live before
or after; unit codes mean the same unit in every variant, DESIGN decision 3) with the variant's
stored changes: units the plan created in green and bold, dissolved units grey and dashed (under
their former parent), units whose kind changed in blue, units moved under another parent in
purple, sizes that changed as "120 → 45", unchanged units plain. Member flows are the stored
flows (:mod:`orgmodel.run.changes` computed them once, every member compared), drawn as arrows
between old and new units as wide as the number of members they carry, labelled with it; they
never change the layout. Large structures are collapsed like org charts, changed units first;
flows between collapsed parts go to their count boxes, and a count box counts the members under
it after the change. Nothing here counts members or compares structures.

:func:`variant_diffs` makes one chart per variant of a results folder against its baseline, and
:func:`small_multiples_svg` puts rendered SVGs side by side on one SVG page.

>>> from orgmodel.testing_data import tiny_structure
>>> from orgmodel.model.plan import PlanBuilder
>>> from orgmodel.model.apply import apply
>>> from orgmodel.run.changes import changes_between, variant_tables
>>> s = tiny_structure()
>>> b = PlanBuilder(s, strategy="merge")
>>> b.dissolve("b2", members_to="b1", reason="too_small")
>>> plan = b.build()
>>> before, base = variant_tables(s, s, [])[0], variant_tables(s, s, [])
>>> after = variant_tables(s, apply(s, plan, variant="v", step=0), [plan])
>>> changes = changes_between(*base, *after)
>>> dot = diff_chart(before, after[0], changes)
>>> "4 → 7" in dot and 'style="rounded,dashed,filled"' in dot
True
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from xml.sax.saxutils import escape as xml_escape

import numpy as np

from orgmodel.errors import UserError
from orgmodel.render.dot import Graph, html
from orgmodel.render.labels import (
    WORDS,
    box,
    check_lang,
    count_label,
    kind_label,
    name_html,
    num,
    small,
)
from orgmodel.render.layout import tree_edges
from orgmodel.render.orgchart import (
    EDGE,
    HOST_BESIDE_EDGE,
    add_hosts,
    caption_html,
    graph_attrs,
    legend_html,
    node_defaults,
)
from orgmodel.render.view import DEFAULT_BUDGET, Forest, View, collapse
from orgmodel.run.read import Results
from orgmodel.run.tables import UnitTable

__all__ = [
    "STATUS_STYLE",
    "UnitChanges",
    "unit_changes",
    "flow_codes",
    "diff_chart",
    "variant_diffs",
    "small_multiples_svg",
]

Status = Literal["created", "dissolved", "retyped", "moved", "resized", "unchanged"]

#: Box style of each status (fill, border, border width, border style, text colour).
STATUS_STYLE: dict[str, dict[str, object]] = {
    "created": {"fillcolor": "#e5f5e0", "color": "#1a9641", "penwidth": 2.4, "style": "rounded,filled"},
    "dissolved": {"fillcolor": "#f2f2f2", "color": "#9e9e9e", "penwidth": 1.2, "style": "rounded,dashed,filled",
                  "fontcolor": "#7a7a7a"},
    "retyped": {"fillcolor": "#deebf7", "color": "#2171b5", "penwidth": 2.2, "style": "rounded,filled"},
    "moved": {"fillcolor": "#ffffff", "color": "#7b3294", "penwidth": 2.0, "style": "rounded,filled"},
    "resized": {"fillcolor": "#ffffff", "color": "#5b5b5b", "penwidth": 1.0, "style": "rounded,filled"},
    "unchanged": {"fillcolor": "#ffffff", "color": "#8c8c8c", "penwidth": 0.9, "style": "rounded,filled"},
}
_LEGEND = ("created", "dissolved", "retyped", "moved", "resized")
FLOW_COLOUR = "#d95f02"
DISSOLVED_EDGE = {"dir": "none", "color": "#9e9e9e", "penwidth": 1.0, "style": "dashed"}


@dataclass(frozen=True)
class UnitChanges:
    """Per-code arrays (over the after structure's codes) saying what happened to each unit."""

    inside: np.ndarray  # organisation unit live before or after
    live_before: np.ndarray
    live_after: np.ndarray
    created: np.ndarray
    dissolved: np.ndarray
    retyped: np.ndarray
    moved: np.ndarray
    renamed: np.ndarray
    resized: np.ndarray
    parent: np.ndarray  # after's parent for live units, before's for dissolved ones
    size_before: np.ndarray
    size_after: np.ndarray

    def status(self, code: int) -> Status:
        """The status that decides a unit's style (created > dissolved > retyped > moved > resized)."""
        for name in ("created", "dissolved", "retyped", "moved", "resized"):
            if getattr(self, name)[code]:
                return name  # type: ignore[return-value]
        return "unchanged"


def _pad(a: np.ndarray, n: int, fill: object) -> np.ndarray:
    out = np.full(n, fill, dtype=a.dtype)
    out[: len(a)] = a[:n]
    return out


def _check_tables(before: UnitTable, after: UnitTable) -> None:
    nb = before.n_units
    if after.n_units < nb or after.ids[:nb].tolist() != before.ids.tolist():
        raise UserError("the two unit tables do not share their units: draw a diff only against the "
                        "baseline a variant started from")


def unit_changes(before: UnitTable, after: UnitTable, changes: Mapping[str, Any]) -> UnitChanges:
    """The stored changes of a variant as per-code arrays over ``after``'s codes, with the stored
    member counts before and after (0 after for a dissolved unit)."""
    _check_tables(before, after)
    n = after.n_units

    def mark(key: str) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        codes = [after.code(u["id"]) for u in changes.get(key, ()) if after.has(u["id"])]
        out[codes] = True
        return out

    live_a = after.live_org
    live_b = _pad(before.live_org, n, False)
    dissolved = mark("dissolved")
    size_a = np.where(dissolved, 0, after.members)
    return UnitChanges(
        inside=live_a | live_b,
        live_before=live_b,
        live_after=live_a,
        created=mark("created"),
        dissolved=dissolved,
        retyped=mark("retyped"),
        moved=mark("reparented"),
        renamed=mark("renamed"),
        resized=mark("resized"),
        parent=np.where(live_a, after.parent, _pad(before.parent, n, -1)),
        size_before=_pad(before.members, n, 0),
        size_after=size_a,
    )


def flow_codes(after: UnitTable, flows: Sequence[Mapping[str, Any]]) -> list[tuple[int, int, int]]:
    """Stored flows (from id, to id, count) as (code, code, count) over ``after``'s codes."""
    out = []
    for f in flows:
        if not (after.has(f["from"]) and after.has(f["to"])):
            raise UserError(f"flow {f['from']} → {f['to']} names a unit the variant's table does not hold")
        out.append((after.code(f["from"]), after.code(f["to"]), int(f["count"])))
    return out


def _reasons(after: UnitTable, flows: Sequence[Mapping[str, Any]], lang: str) -> dict[int, list[str]]:
    """Unit code -> the stored reasons of its change and of the flows out of and into it (each once)."""
    out: dict[int, dict[str, None]] = {}  # insertion-ordered sets: a unit with many flows stays linear
    for c, r in enumerate(after.reasons):
        if r and r.get(lang):
            out.setdefault(c, {})[str(r[lang])] = None
    index = after._index
    for f in flows:
        ends = [index[uid] for uid in (f["from"], f["to"]) if uid in index]
        for r in f.get("reasons", ())[:3]:
            text = r.get(lang)
            if text:
                for c in ends:
                    out.setdefault(c, {}).setdefault(text, None)
    return {c: list(texts) for c, texts in out.items()}


def _forest(before: UnitTable, after: UnitTable, ch: UnitChanges, flows: Sequence[tuple[int, int, int]]) -> Forest:
    n = after.n_units
    marks = (ch.created | ch.dissolved | ch.retyped | ch.moved | ch.resized | ch.renamed).astype(np.int64)
    for a, b, _ in flows:
        marks[a] = marks[a] or 1
        marks[b] = marks[b] or 1
    full_b = _pad(before.full, n, 0)
    full_a = np.where(ch.dissolved, 0, after.full)
    # built_on: after's edges for live units, before's for units dissolved since
    (ea_src, ea_dst), (eb_src, eb_dst) = after.built_on, before.built_on
    keep_a = ch.live_after[ea_src]
    keep_b = ch.dissolved[eb_src]
    src = np.concatenate([ea_src[keep_a], eb_src[keep_b]]).astype(np.int64)
    dst = np.concatenate([ea_dst[keep_a], eb_dst[keep_b]]).astype(np.int64)
    return Forest(
        kinds=after.kinds,
        parent=ch.parent,
        inside=ch.inside,
        kind=np.where(ch.live_after, after.kind, _pad(before.kind, n, 0)),
        members=np.where(ch.live_after, ch.size_after, ch.size_before),
        full=np.where(ch.live_after, full_a, full_b),
        participants=after.participants,
        built_on=(src, dst),
        alliances=after.alliances,
        marks=marks,
        # a count box adds up the members under it after the change: a dissolved unit's
        # members are counted where they went, not a second time where they were
        counted=(ch.size_after, full_a),
    )


def diff_chart(
    before: UnitTable,
    after: UnitTable,
    changes: Mapping[str, Any],
    *,
    lang: str = "zh",
    budget: int = DEFAULT_BUDGET,
    depth: int | None = None,
    hosts: bool = False,
    max_flows: int = 200,
    title: str | None = None,
    aspect: float = 1.41,
) -> str:
    """The before/after chart of a variant as DOT text: its baseline's unit table ``before``,
    its own ``after`` and its stored ``changes`` (``evaluation.json``'s, or
    ``StoredVariant.changes``).

    The stored reasons become the units' tooltips in SVG. ``max_flows``: draw only this many of
    the largest flows (the caption says how many were left out). Other options as for
    :func:`orgmodel.render.org_chart`.
    """
    words = check_lang(lang)
    ch = unit_changes(before, after, changes)
    stored_flows = list(changes.get("flows", ()))
    flows = flow_codes(after, stored_flows)
    forest = _forest(before, after, ch, flows)
    view = collapse(forest, budget=budget, depth=depth, hosts=hosts)
    reasons = _reasons(after, stored_flows, lang)
    # curved flows read better than polylines; every tree edge is short, so it stays straight
    g = Graph("diff", attrs={**graph_attrs(splines="spline"), "forcelabels": True}, node_defaults=node_defaults(),
              edge_defaults={"fontsize": 10})
    ua, ub = after, before
    n_before = before.n_units
    for c in view.codes.tolist():
        status = ch.status(c)
        live = bool(ch.live_after[c])
        kind = after.kinds[int(ua.kind[c] if live else ub.kind[c])]
        name = str(ua.name[c] if live else ub.name[c])
        uid = str(ua.ids[c])
        colour = "#7a7a7a" if status == "dissolved" else None
        lines = [name_html(name, colour=colour)]
        if ch.renamed[c]:
            lines.append(small(words["renamed"].format(name=str(ub.name[c])), size=9, colour="#555555"))
        kind_text = kind_label(kind, lang)
        if ch.retyped[c]:
            kind_text = f"{kind_label(after.kinds[int(ub.kind[c])], lang)} → {kind_text}"
        if ch.retyped[c] or not (lang == "zh" and name.endswith(kind.label_zh)):
            lines.append(small(kind_text, size=10, colour="#2171b5" if ch.retyped[c] else "#444444"))
        if ch.moved[c]:
            old = int(ub.parent[c])
            old_name = str(ub.name[old]) if 0 <= old < n_before else "—"
            lines.append(small(words["parent_was"].format(name=old_name), size=9, colour="#7b3294"))
        lines.append(_size_line(ch, c, lang))
        tip = [name, f"{kind_text} ({uid})", words[status], *reasons.get(c, [])]
        g.node(f"u{c}", label=box(lines), tooltip="\n".join(tip), id=f"unit:{uid}",
               **{"shape": "box", **STATUS_STYLE[status]})
    for key, node in view.counts.items():
        extra = [words["changed_inside"].format(n=num(node.marks))] if node.marks else []
        g.node(key, label=count_label(node, after.kinds, lang, extra=extra), shape="box",
               style="rounded,dashed,filled", fillcolor="#ffffff", color="#8c8c8c", penwidth=1.0)
    beside, own = add_hosts(g, after, view, lang)
    to_dissolved = {f"u{c}": DISSOLVED_EDGE for c in view.codes.tolist() if ch.dissolved[c]}
    children, breaks = _diff_order(view, to_dissolved, flows)
    tree_edges(g, view.roots, children, own, aspect=aspect, edge=EDGE, beside=beside,
               beside_edge=HOST_BESIDE_EDGE, child_edge=to_dissolved, comb_min=10**9, breaks=breaks)
    drawn, inside, cut = _flow_edges(g, view, flows, max_flows)
    lines = [words["changes"].format(created=num(ch.created.sum()), dissolved=num(ch.dissolved.sum()),
                                     retyped=num(ch.retyped.sum()), moved=num(sum(n for _, _, n in flows)))]
    if inside and max_flows:
        lines.append(words["flows_hidden"].format(n=num(inside)))
    if cut and max_flows:
        lines.append(words["flows_cut"].format(shown=num(drawn), total=num(drawn + cut)))
    swatches = [(str(STATUS_STYLE[s_]["color"]), words[s_]) for s_ in _LEGEND if s_ != "resized"]
    legend = (legend_html(swatches)
              + f'\u2003<FONT POINT-SIZE="10"><B>120 → 45</B> {html(words["resized"])}</FONT>')
    if max_flows:  # max_flows=0: no arrows (a page shows the flows as a table beside the chart)
        legend += f'<BR/><FONT POINT-SIZE="10" COLOR="{FLOW_COLOUR}"><B>⟶</B> {html(words["flow"])}</FONT>'

    g.attrs["label"] = caption_html(title or words["diff"], lines, legend, None, lang=lang)
    return g.to_dot()


def _diff_order(view: View, dissolved: Mapping[str, object], flows: Sequence[tuple[int, int, int]],
                ) -> tuple[dict[str, tuple[str, ...]], set[str]]:
    """Children in drawing order, and the children that start a new row.

    The structure after comes first (nearest its parent). A dissolved unit whose members went
    mostly to a sibling is drawn right after that sibling (a merge reads as two boxes side by
    side); the other dissolved units follow in a row of their own; count boxes come last. Rows
    rather than combs keep flows from a parent to its children short.
    """
    main: dict[str, str] = {}
    for a, b, _ in flows:  # largest first: the first flow out of a unit is its main one
        ka = f"u{a}"
        if ka in dissolved and ka not in main and not view.rep_hidden[b]:
            main[ka] = f"u{b}"
    children: dict[str, tuple[str, ...]] = {}
    breaks: set[str] = set()
    for key, kids in view.children.items():
        live = [k for k in kids if k not in dissolved and not k.startswith("m")]
        attached = {k: main[k] for k in kids if k in dissolved and main.get(k) in live}
        rest = [k for k in kids if k in dissolved and k not in attached]
        order: list[str] = []
        for k in live:
            order.append(k)
            order += [d for d in kids if attached.get(d) == k]
        if rest and order:
            breaks.add(rest[0])
        order += rest + [k for k in kids if k.startswith("m")]
        children[key] = tuple(order)
    return children, breaks


def _size_line(ch: UnitChanges, c: int, lang: str) -> str:
    words = WORDS[lang]
    b, a = int(ch.size_before[c]), int(ch.size_after[c])
    if ch.created[c]:
        return small(words["people"].format(n=num(a)))
    if ch.dissolved[c]:
        return small(words["people"].format(n=f"{num(b)} → 0"), colour="#7a7a7a")
    if b != a:
        return f'<FONT POINT-SIZE="10" COLOR="#000000"><B>{html(words["people"].format(n=f"{num(b)} → {num(a)}"))}</B></FONT>'
    return small(words["people"].format(n=num(a)))


def _flow_edges(g: Graph, view: View, flows: Sequence[tuple[int, int, int]], max_flows: int) -> tuple[int, int, int]:
    """Draw flows between the nodes standing for their units; returns (drawn, members moved
    inside one node, flows left out)."""
    agg: dict[tuple[str, str], int] = {}
    inside = 0
    for a, b, n in flows:
        ka, kb = view.key_of(a), view.key_of(b)
        if view.depth[a] < 0 or view.depth[b] < 0 or ka == kb:
            inside += n
            continue
        agg[(ka, kb)] = agg.get((ka, kb), 0) + n
    rows = sorted(agg.items(), key=lambda kv: (-kv[1], _key_sort(kv[0][0]), _key_sort(kv[0][1])))
    shown, cut = rows[:max_flows], rows[max_flows:]
    biggest = max((n for _, n in shown), default=1)
    for (ka, kb), n in shown:
        width = 1.0 + 5.0 * math.sqrt(n / biggest)
        # xlabel: Graphviz places it after the layout, clear of boxes (forcelabels keeps them all)
        g.edge(ka, kb, xlabel=num(n), fontcolor=FLOW_COLOUR, fontsize=11, penwidth=round(width, 2),
               color=FLOW_COLOUR + "b3", arrowsize=0.7, constraint=False, tooltip=num(n), headclip=True,
               tailclip=True)
    return len(shown), inside, len(cut)


def _key_sort(key: str) -> tuple[str, int]:
    return (key[0], -1 if key == "mroot" else int(key[1:].split("_")[0]))


def variant_diffs(results: Results, *, lang: str = "zh", **options: object) -> list[tuple[str, str, str]]:
    """One diff chart per variant of a results folder against its baseline: [(variant name, title, DOT)]."""
    words = check_lang(lang)
    out = []
    before = results.baseline.units
    for v in results.variants[1:]:
        title = f"{v.label}：{words['diff']}" if lang == "zh" else f"{v.label}: {words['diff']}"
        out.append((v.name, title, diff_chart(before, v.units, v.changes, lang=lang, title=title,
                                              **options)))  # type: ignore[arg-type]
    return out


_SVG_OPEN = re.compile(r"<svg\b[^>]*>", re.S)
_LENGTH = re.compile(r'\b(width|height)="([0-9.]+)(pt|px)?"')
_VIEWBOX = re.compile(r'viewBox="([-0-9. ]+)"')


def small_multiples_svg(svgs: Sequence[str | bytes], titles: Sequence[str], *, columns: int | None = None,
                        cell_width: float = 520.0, gap: float = 24.0, title_size: float = 15.0,
                        same_scale: bool = True) -> str:
    """Compose rendered SVGs into one SVG page: a grid of cells ``cell_width`` points wide, each
    a chart under its title. With ``same_scale`` (the default) every chart is drawn at the same
    scale, the widest filling its cell, so sizes compare; otherwise each fills its cell. Charts
    are nested ``<svg>`` elements; their element ids are prefixed per cell so they stay unique."""
    if len(svgs) != len(titles):
        raise UserError(f"{len(svgs)} charts but {len(titles)} titles")
    if not svgs:
        raise UserError("no charts to put on the page")
    cols = columns or max(1, min(len(svgs), math.ceil(math.sqrt(len(svgs)))))
    cells = []
    for i, svg in enumerate(svgs):
        text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
        m = _SVG_OPEN.search(text)
        if not m:
            raise UserError(f"chart {i + 1} is not an SVG")
        body = text[m.start():].rstrip()
        head = m.group(0)
        vb = _VIEWBOX.search(head)
        if vb:
            _, _, w, h = (float(x) for x in vb.group(1).split())
        else:
            sizes = dict((k, float(v)) for k, v, _ in _LENGTH.findall(head))
            w, h = sizes.get("width", cell_width), sizes.get("height", cell_width)
        cells.append((body, head, w, h, i))
    widest = max(w for _, _, w, _, _ in cells) or 1.0
    cells = [(body, head, w * (cell_width / (widest if same_scale else (w or 1.0))),
              h * (cell_width / (widest if same_scale else (w or 1.0))), i) for body, head, w, h, i in cells]
    rows = [cells[i : i + cols] for i in range(0, len(cells), cols)]
    parts = []
    y = gap
    for row in rows:
        row_h = max(h for _, _, _, h, _ in row)
        for j, (body, head, w, h, i) in enumerate(row):
            x = gap + j * (cell_width + gap)
            parts.append(f'<text x="{x + cell_width / 2:.1f}" y="{y + title_size:.1f}" text-anchor="middle" '
                         f'font-size="{title_size}" font-weight="bold" font-family="{_FONTS}">'
                         f"{xml_escape(titles[i])}</text>")
            new_head = _LENGTH.sub("", head)
            new_head = new_head.replace("<svg", f'<svg x="{x + (cell_width - w) / 2:.1f}" y="{y + title_size + 8:.1f}" '
                                        f'width="{w:.1f}" height="{h:.1f}"', 1)
            inner = body[len(head):]
            inner = inner.replace('id="', f'id="c{i}_').replace("url(#", f"url(#c{i}_").replace(
                'xlink:href="#', f'xlink:href="#c{i}_')
            parts.append(new_head + inner)
        y += row_h + title_size + 8 + gap
    width = gap + len(rows[0]) * (cell_width + gap)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width:.1f}pt" height="{y:.1f}pt" viewBox="0 0 {width:.1f} {y:.1f}">\n'
        '<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(parts) + "\n</svg>\n"
    )


_FONTS = "Noto Sans CJK SC,Source Han Sans SC,Microsoft YaHei,PingFang SC,sans-serif"
