"""The budgeted, collapsed view a chart is laid out from (DESIGN decision 13).

A chart never draws more than ``budget`` boxes (1,500 by default). :func:`collapse` chooses
which organisation units are visible: the roots, then, breadth first and largest subtree first,
the children of visible units while they fit; a unit whose children do not all fit keeps one
*count node* for the rest ("+37 党支部 / 4,210 人"). Members are never nodes, only counts.
Host units (``built_on``) are optional and paid for from the same budget; alliances
(``allied_with``) are kept as links between whatever stands for their two ends.

The view works on a :class:`Forest`, so the same code collapses a structure
(:func:`forest_of`) and the union of a structure before and after a plan (the diff chart).
Everything is ordered by unit code; the same input gives the same view.

>>> from orgmodel.testing_data import tiny_structure
>>> view = budgeted_view(tiny_structure(), budget=3)
>>> view.keys(), view.children["u3"]
(['u3', 'm3', 'u7'], ('m3',))
>>> node = view.counts["m3"]
>>> node.units, node.members, [view.forest.kinds[k].id for k, _ in node.kinds]
(3, 7, ['toy.branch', 'toy.group'])
>>> budgeted_view(tiny_structure()).keys()
['u3', 'u4', 'u6', 'u5', 'u7']
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from orgmodel.errors import UserError
from orgmodel.model.invariants import forest_depth
from orgmodel.model.kinds import KindTable
from orgmodel.model.structure import Structure, subtree_sums
from orgmodel.run.tables import UnitTable, unit_table

__all__ = ["DEFAULT_BUDGET", "Forest", "CountNode", "View", "as_table", "forest_of", "collapse", "budgeted_view"]

#: Default number of boxes a chart may draw (DESIGN decision 13).
DEFAULT_BUDGET = 1500

_EMPTY = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class Forest:
    """What the collapse needs of a forest of units; every array is indexed by unit code.

    ``inside`` says which codes are part of the forest (live organisation units, say);
    ``parent`` is the parent code (-1 for a root; a parent outside the forest makes a root);
    ``members``/``full`` are subtree member counts (a group counts its own members);
    ``participants`` counts members taking part (for units sized by participation); ``marks``
    (optional) flags units a chart must show first (changed units in a diff); ``built_on`` and
    ``alliances`` are edge pairs (src codes, dst codes).
    """

    kinds: KindTable
    parent: np.ndarray
    inside: np.ndarray
    kind: np.ndarray
    members: np.ndarray
    full: np.ndarray
    participants: np.ndarray
    built_on: tuple[np.ndarray, np.ndarray] = (_EMPTY, _EMPTY)
    alliances: tuple[np.ndarray, np.ndarray] = (_EMPTY, _EMPTY)
    marks: np.ndarray | None = None
    counted: tuple[np.ndarray, np.ndarray] | None = None  # (members, full) a count box adds up, if not members/full

    def __len__(self) -> int:
        return len(self.parent)


@dataclass(frozen=True)
class CountNode:
    """Children of ``parent`` (-1: roots) that are not drawn, with everything below them."""

    key: str
    parent: int
    top: tuple[int, ...]  # the hidden children themselves, in code order
    units: int  # hidden units, whole subtrees
    kinds: tuple[tuple[int, int], ...]  # (kind code, number), kinds nearest the top first
    members: int
    full: int
    marks: int


@dataclass(frozen=True)
class View:
    """The visible part of a forest: unit boxes, count nodes, hosts and alliance links.

    Node keys: ``u{code}`` for a unit, ``m{code}`` for the count node below unit ``code``
    (``mroot`` for hidden roots), ``h{code}`` for a host unit.
    """

    forest: Forest
    budget: int
    codes: np.ndarray  # visible unit codes, pre-order (parents before children)
    roots: tuple[str, ...]
    children: Mapping[str, tuple[str, ...]]
    counts: Mapping[str, CountNode]
    depth: np.ndarray  # depth of every code in the (re-rooted) forest, -1 outside
    rep_unit: np.ndarray  # nearest visible ancestor-or-self of every code (-1: none)
    rep_hidden: np.ndarray  # True where the code is hidden (it stands in rep_unit's count node)
    hosts: tuple[int, ...] = ()  # host codes drawn, each once, in order of first use
    host_anchor: Mapping[int, int] = field(default_factory=dict)  # host code -> first unit on it
    built_on: tuple[tuple[int, int], ...] = ()  # (visible unit code, host code): a box each
    alliances: tuple[tuple[str, str], ...] = ()  # (key, key) between visible nodes

    def keys(self) -> list[str]:
        """Every unit and count node key, pre-order (a unit's count node after its children)."""
        out: list[str] = []
        stack = list(reversed(self.roots))
        while stack:
            key = stack.pop()
            out.append(key)
            stack.extend(reversed(self.children.get(key, ())))
        return out

    def key_of(self, code: int) -> str:
        """The key of the node that stands for unit ``code`` (itself, or a count node)."""
        unit = int(self.rep_unit[code])
        if not self.rep_hidden[code]:
            return f"u{unit}"
        return "mroot" if unit < 0 else f"m{unit}"

    def keys_of(self, codes: np.ndarray) -> list[str]:
        """:meth:`key_of` for many codes."""
        return [self.key_of(int(c)) for c in codes]

    @property
    def n_nodes(self) -> int:
        """Boxes drawn: units, count nodes and host boxes, one per (unit, host) pair (what the
        budget bounds)."""
        return len(self.codes) + len(self.counts) + len(self.built_on)

    def is_leaf(self, key: str) -> bool:
        """Whether a node has no children drawn."""
        return not self.children.get(key)


def as_table(units: UnitTable | Structure) -> UnitTable:
    """A unit table as it is, or the unit table of a structure (for a chart of a structure not
    run through evaluation, such as a notebook's)."""
    return units if isinstance(units, UnitTable) else unit_table(units)


def forest_of(units: UnitTable | Structure, *, marks: np.ndarray | None = None) -> Forest:
    """The forest of the live organisation units of a unit table (or a structure)."""
    t = as_table(units)
    return Forest(
        kinds=t.kinds,
        parent=t.parent,
        inside=t.live_org,
        kind=t.kind,
        members=t.members,
        full=t.full,
        participants=t.participants,
        built_on=t.built_on,
        alliances=t.alliances,
        marks=marks,
    )


def _group(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Children of every code: order[offsets[p]:offsets[p+1]] in code order (parent -1: none)."""
    n = len(parent)
    has = parent >= 0
    kids = np.flatnonzero(has)
    order = kids[np.argsort(parent[kids], kind="stable")]
    counts = np.bincount(parent[kids], minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return order, offsets


def _subtree_of(parent: np.ndarray, inside: np.ndarray, root: int) -> np.ndarray:
    depth, _ = forest_depth(parent, ~inside)
    mask = np.zeros(len(parent), dtype=bool)
    mask[root] = True
    for level in range(int(depth[root]) + 1, int(depth.max(initial=0)) + 1):
        at = np.flatnonzero(depth == level)
        mask[at] = mask[parent[at]]
    return mask


def collapse(
    forest: Forest,
    *,
    budget: int = DEFAULT_BUDGET,
    depth: int | None = None,
    hosts: bool = False,
    root: int | None = None,
) -> View:
    """Choose the visible units of ``forest`` within ``budget`` boxes.

    ``depth`` limits how deep the chart goes (0: roots only); ``hosts`` draws the host units
    visible units are built on (paid from the budget); ``root`` draws one unit's subtree only.
    Units marked in ``forest.marks`` (and the subtrees holding them) are shown first; then
    breadth first, larger subtrees (by members) first. A unit whose children do not all fit
    shows the largest that do and one count node for the rest (when at least two fit).
    """
    if budget < 1:
        raise UserError(f"budget must be at least 1 (got {budget})")
    if depth is not None and depth < 0:
        raise UserError(f"depth must be 0 or more (got {depth})")
    n = len(forest)
    inside = np.asarray(forest.inside, dtype=bool).copy()
    parent = np.asarray(forest.parent, dtype=np.int64).copy()
    parent[~inside] = -1
    outside_parent = (parent >= 0) & ~inside[np.maximum(parent, 0)]
    parent[outside_parent] = -1
    if root is not None:
        if not (0 <= root < n) or not inside[root]:
            raise UserError("the chart's root is not a live unit of the chart")
        inside &= _subtree_of(parent, inside, root)
        parent[~inside] = -1
        parent[root] = -1
    level, _ = forest_depth(parent, ~inside)
    ones = inside.astype(np.int64)
    n_sub = subtree_sums(parent, ~inside, ones)
    marks = np.zeros(n, dtype=np.int64) if forest.marks is None else np.where(inside, forest.marks, 0).astype(np.int64)
    marks_sub = subtree_sums(parent, ~inside, marks)
    members = np.asarray(forest.members, dtype=np.int64)
    order, offsets = _group(parent)

    extra = np.zeros(n, dtype=np.int64)
    b_src, b_dst = (np.asarray(a, dtype=np.int64) for a in forest.built_on)
    if hosts and len(b_src):
        keep = inside[b_src]
        extra += np.bincount(b_src[keep], minlength=n)
    cost = 1 + extra
    has_kids = n_sub > 1

    def expandable(c: int) -> bool:
        return bool(has_kids[c]) and (depth is None or int(level[c]) < depth)

    def key(c: int) -> tuple[int, int, int, int]:
        return (0 if marks_sub[c] else 1, int(level[c]), -int(members[c]), c)

    def rank(codes: np.ndarray) -> np.ndarray:
        # most important first: marked subtrees, then more members, then code
        return codes[np.lexsort((codes, -members[codes], marks_sub[codes] == 0))]

    visible = np.zeros(n, dtype=bool)
    all_roots = np.flatnonzero(inside & (parent < 0))
    root_need = cost[all_roots] + has_kids[all_roots]
    if int(root_need.sum()) <= budget:
        shown_roots = all_roots.tolist()
    else:  # not every root fits: the largest that do, and one count node for the rest
        shown_roots, room = [], budget - 1
        for c in rank(all_roots).tolist():
            c_need = int(cost[c]) + int(has_kids[c])
            if c_need <= room:
                shown_roots.append(c)
                room -= c_need
        shown_roots.sort()
    hidden_roots = len(shown_roots) < len(all_roots)
    # boxes in use: every visible unit (with its hosts) and one count node per visible unit
    # with a hidden child
    used = int((cost[shown_roots] + has_kids[shown_roots]).sum()) + int(hidden_roots)
    visible[shown_roots] = True

    def expand(u: int, *, marked_only: bool, min_picks: int) -> list[int]:
        """Show more children of ``u``: all that fit, else the most important that do."""
        nonlocal used
        kids = order[offsets[u] : offsets[u + 1]]
        hidden = kids[~visible[kids]]
        cand = hidden[marks_sub[hidden] > 0] if marked_only else hidden
        if not len(cand):
            return []
        each = cost[cand] + has_kids[cand]
        freed = 1 if len(cand) == len(hidden) else 0  # u's count node goes when all are shown
        if used + int(each.sum()) - freed <= budget:
            used += int(each.sum()) - freed
            picks = cand.tolist()
        else:
            picks, room = [], budget - used
            for c in rank(cand).tolist():
                c_need = int(cost[c]) + int(has_kids[c])
                if c_need <= room:
                    picks.append(c)
                    room -= c_need
            if len(picks) < min_picks:
                return []
            used = budget - room
        visible[picks] = True
        return [c for c in picks if expandable(c)]

    # first the way down to marked units, then breadth first, larger subtrees first
    for marked_only in (True, False):
        heap = [(key(c), c) for c in np.flatnonzero(visible).tolist()
                if expandable(c) and (marks_sub[c] or not marked_only)]
        heapq.heapify(heap)
        while heap:
            _, u = heapq.heappop(heap)
            for c in expand(u, marked_only=marked_only, min_picks=1 if marked_only else 2):
                if marks_sub[c] or not marked_only:
                    heapq.heappush(heap, (key(c), c))

    # representatives: every inside code -> nearest visible ancestor-or-self
    rep_unit = np.full(n, -1, dtype=np.int64)
    rep_hidden = np.ones(n, dtype=bool)
    vis = np.flatnonzero(visible)
    rep_unit[vis] = vis
    rep_hidden[vis] = False
    for lv in range(1, int(level.max(initial=0)) + 1):
        at = np.flatnonzero((level == lv) & ~visible)
        if len(at):
            p = parent[at]
            rep_unit[at] = np.where(visible[p], p, rep_unit[p])
    hidden = inside & ~visible

    # count nodes
    counts: dict[str, CountNode] = {}
    h_codes = np.flatnonzero(hidden)
    slot = rep_unit[h_codes] + 1  # 0 = hidden roots
    tops = h_codes[(parent[h_codes] < 0) | visible[np.maximum(parent[h_codes], 0)]]
    top_slot = rep_unit[tops] + 1
    counted_members, counted_full = forest.counted or (members, forest.full)
    counted_members = np.asarray(counted_members, dtype=np.int64)
    full = np.asarray(counted_full, dtype=np.int64)
    mem_by = np.bincount(top_slot, weights=counted_members[tops], minlength=n + 1).astype(np.int64)
    full_by = np.bincount(top_slot, weights=full[tops], minlength=n + 1).astype(np.int64)
    marks_by = np.bincount(slot, weights=marks[h_codes], minlength=n + 1).astype(np.int64)
    units_by = np.bincount(slot, minlength=n + 1)
    n_kinds = len(forest.kinds)
    pair = slot.astype(np.int64) * n_kinds + forest.kind[h_codes].astype(np.int64)
    pairs, pair_inv, pair_n = np.unique(pair, return_inverse=True, return_counts=True)
    pair_depth = np.full(len(pairs), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(pair_depth, pair_inv, level[h_codes].astype(np.int64))
    kinds_by: dict[int, list[tuple[int, int, int]]] = {}
    for p_, cnt, dep in zip(pairs.tolist(), pair_n.tolist(), pair_depth.tolist(), strict=True):
        kinds_by.setdefault(p_ // n_kinds, []).append((dep, p_ % n_kinds, cnt))
    tops_by: dict[int, list[int]] = {}
    for t, s_ in zip(tops.tolist(), top_slot.tolist(), strict=True):
        tops_by.setdefault(s_, []).append(t)
    for s_ in sorted(tops_by):
        owner = s_ - 1
        k = "mroot" if owner < 0 else f"m{owner}"
        counts[k] = CountNode(
            key=k,
            parent=owner,
            top=tuple(tops_by[s_]),
            units=int(units_by[s_]),
            # the kinds nearest the top first (the hidden children's own kind), then by number
            kinds=tuple((k_, n_) for _, k_, n_ in sorted(kinds_by.get(s_, []), key=lambda t: (t[0], -t[2], t[1]))),
            members=int(mem_by[s_]),
            full=int(full_by[s_]),
            marks=int(marks_by[s_]),
        )

    # the tree of keys, pre-order
    children: dict[str, tuple[str, ...]] = {}
    for u in vis.tolist():
        kids = order[offsets[u] : offsets[u + 1]]
        shown = [f"u{c}" for c in kids[visible[kids]].tolist()]
        if f"m{u}" in counts:
            shown.append(f"m{u}")
        if shown:
            children[f"u{u}"] = tuple(shown)
    roots = tuple([f"u{c}" for c in sorted(shown_roots)] + (["mroot"] if hidden_roots else []))
    pre: list[int] = []
    stack = [int(k[1:]) for k in reversed(roots) if k.startswith("u")]
    while stack:
        c = stack.pop()
        pre.append(c)
        stack.extend(int(k[1:]) for k in reversed(children.get(f"u{c}", ())) if k.startswith("u"))

    view = View(
        forest=forest,
        budget=budget,
        codes=np.asarray(pre, dtype=np.int64),
        roots=roots,
        children=children,
        counts=counts,
        depth=level,
        rep_unit=rep_unit,
        rep_hidden=rep_hidden,
    )
    return _with_links(view, hosts=hosts)


def _with_links(view: View, *, hosts: bool) -> View:
    forest = view.forest
    host_list: list[int] = []
    anchor: dict[int, int] = {}
    pairs: list[tuple[int, int]] = []
    if hosts:
        b_src, b_dst = (np.asarray(a, dtype=np.int64) for a in forest.built_on)
        sort = np.lexsort((b_dst, b_src))
        b_src, b_dst = b_src[sort], b_dst[sort]
        for c in view.codes.tolist():
            lo, hi = np.searchsorted(b_src, [c, c + 1])
            for h in b_dst[lo:hi].tolist():
                pairs.append((c, h))
                if h not in anchor:
                    anchor[h] = c
                    host_list.append(h)
    links: set[tuple[str, str]] = set()
    a_src, a_dst = (np.asarray(a, dtype=np.int64) for a in forest.alliances)
    inside = forest.inside
    for s_, d_ in zip(a_src.tolist(), a_dst.tolist(), strict=True):
        if view.depth[s_] < 0 or view.depth[d_] < 0 or not (inside[s_] and inside[d_]):
            continue
        ks, kd = view.key_of(s_), view.key_of(d_)
        if ks != kd:
            links.add((ks, kd))
    return replace(view, hosts=tuple(host_list), host_anchor=anchor, built_on=tuple(pairs),
                   alliances=tuple(sorted(links, key=_key_order)))


def _key_order(pair: tuple[str, str]) -> tuple[tuple[str, int], tuple[str, int]]:
    def one(k: str) -> tuple[str, int]:
        return (k[0], -1 if k == "mroot" else int(k[1:]))

    return one(pair[0]), one(pair[1])


def budgeted_view(
    units: UnitTable | Structure,
    *,
    budget: int = DEFAULT_BUDGET,
    depth: int | None = None,
    hosts: bool = False,
    root: str | None = None,
    show_first: Sequence[str] = (),
) -> View:
    """The collapsed view of the organisation units of a unit table (or a structure); see
    :func:`collapse`.

    ``show_first``: unit ids to draw before anything else (units with rule findings, say), as
    far as the budget allows."""
    t = as_table(units)
    marks = None
    if show_first:
        marks = np.zeros(t.n_units, dtype=np.int64)
        marks[[t.code(u) for u in show_first]] = 1
    if root is not None and not t.has(root):
        raise UserError(f"no unit {root!r} to chart")
    return collapse(
        forest_of(t, marks=marks), budget=budget, depth=depth, hosts=hosts,
        root=None if root is None else t.code(root),
    )
