"""Before/after diagrams: what a variant changed, drawn on one chart, and a page of them all.

:func:`diff_chart` draws the union of two structures (the units live before or after; unit codes
mean the same unit in every variant, DESIGN decision 3): units the plan created in green and bold,
dissolved units grey and dashed (under their former parent), units whose kind changed in blue,
units moved under another parent in purple, sizes that changed as "120 → 45", unchanged units
plain. Member flows are arrows between old and new units, as wide as the number of members they
carry, labelled with it; they are computed exactly by comparing every member's unit before and
after (not from the plan's transfer list, which leaves out members moved by a ``dissolve``), and
they never change the layout. Large structures are collapsed like org charts, changed units
first; flows between collapsed parts go to their count boxes.

:func:`variant_diffs` makes one chart per variant of a run against its baseline, and
:func:`small_multiples_svg` puts rendered SVGs side by side on one SVG page.

>>> from orgmodel.testing_data import tiny_structure
>>> from orgmodel.model.plan import PlanBuilder
>>> from orgmodel.model.apply import apply
>>> s = tiny_structure()
>>> b = PlanBuilder(s, strategy="merge")
>>> b.dissolve("b2", members_to="b1", reason="too_small")
>>> after = apply(s, b.build(), variant="v", step=0)
>>> flows = member_flows(s, after)
>>> [(str(s.units.ids[a]), str(s.units.ids[b]), n) for a, b, n in flows]
[('b2', 'b1', 3)]
>>> dot = diff_chart(s, after)
>>> "4 → 7" in dot and 'style="rounded,dashed,filled"' in dot
True
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from xml.sax.saxutils import escape as xml_escape

import numpy as np

from orgmodel.model.apply import new_unit_id
from orgmodel.errors import UserError
from orgmodel.model.plan import NEW, Plan
from orgmodel.model.structure import Structure
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

if TYPE_CHECKING:
    from orgmodel.run.engine import RunResult

__all__ = [
    "STATUS_STYLE",
    "UnitChanges",
    "unit_changes",
    "member_flows",
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


def unit_changes(before: Structure, after: Structure) -> UnitChanges:
    """Compare two structures unit by unit (``after`` must derive from ``before``)."""
    n, nb = after.n_units, before.n_units
    if n < nb or after.units.ids[:nb].tolist() != before.units.ids.tolist():
        raise UserError("the two structures do not share their units: draw a diff only against the "
                        "structure a variant started from")
    ua, ub = after.units, before.units
    live_a = ~ua.dissolved & after.kinds.is_org[ua.kind]
    live_b = _pad(~ub.dissolved & before.kinds.is_org[ub.kind], n, False)
    both = live_a & live_b
    kind_b = _pad(ub.kind, n, -1)
    parent_b = _pad(ub.parent.astype(np.int64), n, -1)
    names_b = _pad(ub.name, n, None)
    size_b = _pad(np.asarray(before.sizes(subtree=True)), n, 0)
    size_a = np.asarray(after.sizes(subtree=True)).copy()
    dissolved = live_b & ~live_a
    size_a[dissolved] = 0
    return UnitChanges(
        inside=live_a | live_b,
        live_before=live_b,
        live_after=live_a,
        created=live_a & ~live_b,
        dissolved=dissolved,
        retyped=both & (ua.kind != kind_b),
        moved=both & (ua.parent.astype(np.int64) != parent_b),
        renamed=both & (ua.name != names_b),
        resized=both & (size_a != size_b),
        parent=np.where(live_a, ua.parent.astype(np.int64), parent_b),
        size_before=size_b,
        size_after=size_a,
    )


def member_flows(before: Structure, after: Structure, *, level: Literal["branch", "group"] = "branch",
                 ) -> list[tuple[int, int, int]]:
    """Members whose unit changed: (unit code before, unit code after, count), largest first.

    ``level="group"`` compares each member's finest unit (the group if they are in one, else the
    branch). Only members active in both structures count.
    """
    if after.members.ids.tolist() != before.members.ids.tolist():
        raise UserError("the two structures do not hold the same member rows")
    if level not in ("branch", "group"):
        raise UserError(f"unknown flow level {level!r} (use branch or group)")

    def unit_of(s: Structure) -> np.ndarray:
        branch = s.members["branch"].astype(np.int64)
        if level == "branch":
            return branch
        group = s.members["group"].astype(np.int64)
        return np.where(group >= 0, group, branch)

    active = before.members["active"] & after.members["active"]
    src, dst = unit_of(before), unit_of(after)
    moved = active & (src != dst)
    if not moved.any():
        return []
    width = np.int64(after.n_units + 1)
    keys, counts = np.unique(src[moved] * width + dst[moved], return_counts=True)
    rows = [(int(k // width), int(k % width), int(c)) for k, c in zip(keys.tolist(), counts.tolist(), strict=True)]
    return sorted(rows, key=lambda r: (-r[2], r[0], r[1]))


def _reasons(plans: Sequence[tuple[str, int, Plan]] | None, lang: str) -> dict[str, list[str]]:
    """Unit id -> the reasons (rendered) of the operations that touched it."""
    out: dict[str, list[str]] = {}
    for variant, step, plan in plans or ():
        def resolve(ref: str | None) -> str | None:
            if ref is None:
                return None
            return new_unit_id(variant, step, ref[len(NEW):]) if ref.startswith(NEW) else ref

        for op in plan.operations:
            key = getattr(op, "key", None) if op.op == "create_unit" else None
            unit = new_unit_id(variant, step, key) if key else resolve(getattr(op, "unit", None))
            if unit is None or op.op in ("add_participation", "remove_participation", "set_role", "clear_role"):
                continue
            text = op.reason.render(lang, plan.templates)
            if text not in out.setdefault(unit, []):
                out[unit].append(text)
    return out


def _forest(before: Structure, after: Structure, ch: UnitChanges, flows: Sequence[tuple[int, int, int]]) -> Forest:
    n = after.n_units
    marks = (ch.created | ch.dissolved | ch.retyped | ch.moved | ch.resized | ch.renamed).astype(np.int64)
    for a, b, _ in flows:
        marks[a] = marks[a] or 1
        marks[b] = marks[b] or 1
    full_b = _pad(np.asarray(before.sizes(full_only=True, subtree=True)), n, 0)
    full_a = np.asarray(after.sizes(full_only=True, subtree=True))
    # built_on: after's edges for live units, before's for units dissolved since
    ea, eb = after.built_on_edges, before.built_on_edges
    keep_a = ch.live_after[ea.src]
    keep_b = ch.dissolved[eb.src]
    src = np.concatenate([ea.src[keep_a], eb.src[keep_b]]).astype(np.int64)
    dst = np.concatenate([ea.dst[keep_a], eb.dst[keep_b]]).astype(np.int64)
    al = after.alliance_edges
    return Forest(
        kinds=after.kinds,
        parent=ch.parent,
        inside=ch.inside,
        kind=np.where(ch.live_after, after.units.kind, _pad(before.units.kind, n, 0)),
        members=np.where(ch.live_after, ch.size_after, ch.size_before),
        full=np.where(ch.live_after, full_a, full_b),
        participants=after.participation_counts(),
        built_on=(src, dst),
        alliances=(al.src, al.dst),
        marks=marks,
    )


def diff_chart(
    before: Structure,
    after: Structure,
    *,
    plans: Sequence[tuple[str, int, Plan]] | None = None,
    lang: str = "zh",
    budget: int = DEFAULT_BUDGET,
    depth: int | None = None,
    hosts: bool = False,
    flow_level: Literal["branch", "group"] = "branch",
    max_flows: int = 200,
    title: str | None = None,
    aspect: float = 1.41,
) -> str:
    """The before/after chart of ``after`` against ``before`` as DOT text.

    ``plans``: the (variant, step, plan) triples that made ``after``; their reasons become the
    units' tooltips in SVG. ``flow_level``: draw flows between branches (default) or between the
    finest units (groups where members have one). ``max_flows``: draw only this many of the
    largest flows (the caption says how many were left out). Other options as for
    :func:`orgmodel.render.org_chart`.
    """
    words = check_lang(lang)
    ch = unit_changes(before, after)
    flows = member_flows(before, after, level=flow_level)
    forest = _forest(before, after, ch, flows)
    view = collapse(forest, budget=budget, depth=depth, hosts=hosts)
    reasons = _reasons(plans, lang)
    # curved flows read better than polylines; every tree edge is short, so it stays straight
    g = Graph("diff", attrs={**graph_attrs(splines="spline"), "forcelabels": True}, node_defaults=node_defaults(),
              edge_defaults={"fontsize": 10})
    ua, ub = after.units, before.units
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
        tip = [name, f"{kind_text} ({uid})", words[status], *reasons.get(uid, [])]
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
    if inside:
        lines.append(words["flows_hidden"].format(n=num(inside)))
    if cut:
        lines.append(words["flows_cut"].format(shown=num(drawn), total=num(drawn + cut)))
    swatches = [(str(STATUS_STYLE[s_]["color"]), words[s_]) for s_ in _LEGEND if s_ != "resized"]
    legend = (legend_html(swatches)
              + f'\u2003<FONT POINT-SIZE="10"><B>120 → 45</B> {html(words["resized"])}</FONT>'
              + f'<BR/><FONT POINT-SIZE="10" COLOR="{FLOW_COLOUR}"><B>⟶</B> {html(words["flow"])}</FONT>')
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


def variant_diffs(run: RunResult, *, lang: str = "zh", **options: object) -> list[tuple[str, str, str]]:
    """One diff chart per variant of a run against its baseline: [(variant name, title, DOT)]."""
    words = check_lang(lang)
    out = []
    for v in run.variants:
        plans = [(v.name, st.index, st.plan) for st in v.steps]
        label = v.label or v.name
        title = f"{label}：{words['diff']}" if lang == "zh" else f"{label}: {words['diff']}"
        out.append((v.name, title, diff_chart(run.baseline, v.structure, plans=plans, lang=lang, title=title,
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
