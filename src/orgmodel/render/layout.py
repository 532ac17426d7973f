"""Page-shaped tree layout: the DOT edges that make a wide tree wrap into a printable chart.

Graphviz draws a tree as wide as its widest level: 39 area branches side by side are a 1:15
strip. :func:`tree_edges` writes the hierarchy edges so that the chart keeps a page-like shape:

- children hang from a horizontal *bus* (a point above each child), the classic org-chart look;
- a unit whose children are all leaves, and at least ``comb_min`` of them, gets a *comb*: a
  vertical spine below it with the children hanging left and right of it, two per rank;
- a unit whose subtrees are wider together than ``max_width`` boxes gets its children in
  several *rows*: the first row hangs from the unit, each further row from a spine running down
  between the middle children to just below the deepest box of the row above;
- several roots hang from an invisible top node the same way;
- the row width is chosen (:func:`fit_width`) so the whole chart has about the aspect of a page.

Every node's rank is computed here, and each rank's left-to-right order is fixed with invisible
edges in tree order (Graphviz's crossing minimisation would otherwise reorder cousins and bend
the spines), so hierarchy lines never cross. Widths are counted in boxes (a box with its gap is
1; hosts drawn beside a unit add to it), heights in ranks. The helper nodes are small points of
the line's colour (Graphviz leaves a 1 pt gap at each end of an edge; the point covers it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from orgmodel.render.dot import Graph

__all__ = ["TreeShape", "shape_of", "fit_width", "tree_edges"]

#: Children of one unit drawn as a comb (two columns around a spine) from this many leaves on.
COMB_MIN = 4


@dataclass
class TreeShape:
    """Width (boxes), height (ranks and inches) of every subtree, and how its children hang."""

    width: dict[str, float]
    height: dict[str, int]
    inches: dict[str, float]
    rows: dict[str, list[list[str]]]  # non-leaf, not a comb: rows of children (one: no wrapping)
    comb: set[str]


#: Width of a box with its gap, and heights of a rank of boxes and of a rank of points, in inches.
BOX_INCHES = 2.05
RANK_INCHES = 0.95
POINT_RANK_INCHES = 0.3


def _row_ranks(row: Sequence[str], height: Mapping[str, int]) -> int:
    """Ranks a row of children takes below its anchor: a bus rank (for two or more) + the tallest."""
    return (1 if len(row) > 1 else 0) + max(height[c] for c in row)


def shape_of(
    roots: Sequence[str],
    children: Mapping[str, Sequence[str]],
    own_width: Mapping[str, float],
    *,
    max_width: float,
    comb_min: int = COMB_MIN,
    breaks: AbstractSet[str] = frozenset(),
) -> TreeShape:
    """Measure every subtree bottom-up and choose combs and rows."""
    order: list[str] = []
    stack = list(reversed(roots))
    while stack:
        k = stack.pop()
        order.append(k)
        stack.extend(reversed(children.get(k, ())))
    width: dict[str, float] = {}
    height: dict[str, int] = {}
    inches: dict[str, float] = {}
    rows: dict[str, list[list[str]]] = {}
    comb: set[str] = set()
    for k in reversed(order):
        kids = list(children.get(k, ()))
        own = own_width.get(k, 1.0)
        if not kids:
            width[k], height[k], inches[k] = own, 1, RANK_INCHES
            continue
        if len(kids) >= comb_min and all(not children.get(c) for c in kids):
            comb.add(k)
            width[k] = max(own, 2 * max(width[c] for c in kids) + 0.25)
            height[k] = 1 + math.ceil(len(kids) / 2)
            inches[k] = RANK_INCHES * height[k]
            continue
        packed = _pack(kids, width, max_width, breaks)
        rows[k] = packed
        width[k] = max(own, max(sum(width[c] for c in row) for row in packed))
        # a row: a bus rank, then its boxes; each further row hangs from a spine point one rank
        # below the deepest box of the row above (see _Emitter.bus)
        height[k] = 1 + sum(2 + max(height[c] for c in row) for row in packed[:-1]) + _row_ranks(packed[-1], height)
        inches[k] = RANK_INCHES + sum(
            2 * POINT_RANK_INCHES + max(inches[c] for c in row) for row in packed[:-1]
        ) + (POINT_RANK_INCHES if len(packed[-1]) > 1 else 0) + max(inches[c] for c in packed[-1])
    return TreeShape(width, height, inches, rows, comb)


def _pack(kids: list[str], width: Mapping[str, float], max_width: float,
          breaks: AbstractSet[str] = frozenset()) -> list[list[str]]:
    """Split children into rows no wider than ``max_width`` (a wider child gets a row alone),
    balanced so that rows are about equally wide; a child in ``breaks`` starts a new row."""
    if breaks and any(c in breaks for c in kids[1:]):
        rows: list[list[str]] = []
        segment: list[str] = []
        for c in kids:
            if c in breaks and segment:
                rows += _pack(segment, width, max_width)
                segment = []
            segment.append(c)
        return rows + _pack(segment, width, max_width)
    total = sum(width[c] for c in kids)
    if total <= max_width:
        return [kids]
    n_rows = math.ceil(total / max_width)
    target = total / n_rows
    rows = [[]]
    row_width = 0.0
    for c in kids:
        w = width[c]
        if rows[-1] and (row_width + w > max_width or row_width + w / 2 > target):
            rows.append([])
            row_width = 0.0
        rows[-1].append(c)
        row_width += w
    return rows


def fit_width(
    roots: Sequence[str],
    children: Mapping[str, Sequence[str]],
    own_width: Mapping[str, float],
    *,
    aspect: float = 1.41,
    comb_min: int = COMB_MIN,
    breaks: AbstractSet[str] = frozenset(),
    minimum: float = 5.0,
) -> tuple[float, TreeShape]:
    """The row width (in boxes) whose layout comes closest to ``aspect`` (width / height)."""
    best: tuple[float, float, TreeShape] | None = None
    tried: set[int] = set()
    w = minimum
    while True:
        cand = int(round(w))
        if cand not in tried:
            tried.add(cand)
            shape = shape_of(roots, children, own_width, max_width=cand, comb_min=comb_min, breaks=breaks)
            width = max(shape.width[r] for r in roots) if roots else 1.0
            height = max(shape.inches[r] for r in roots) if roots else 1.0
            est = (width * BOX_INCHES) / max(height, 1e-9)
            score = abs(math.log(est / aspect))
            if best is None or score < best[0] - 1e-9:
                best = (score, float(cand), shape)
            if all(len(rows) == 1 for rows in shape.rows.values()):  # nothing wraps any more
                break
        w *= 1.25
        if w > 2000:
            break
    assert best is not None
    return best[1], best[2]


class _Emitter:
    """Writes the edges and helper points of the tree, recording every node's rank and its
    left-to-right place, so that each rank can be chained in order at the end."""

    def __init__(self, g: Graph, shape: TreeShape, children: Mapping[str, Sequence[str]],
                 beside: Mapping[str, Sequence[str]], edge: Mapping[str, object], top: str | None,
                 beside_edge: Mapping[str, object], child_edge: Mapping[str, Mapping[str, object]]) -> None:
        self.g = g
        self.child_edge = child_edge
        self.beside_edge = dict(beside_edge)
        self.shape = shape
        self.children = children
        self.beside = beside
        self.edge = dict(edge)
        self.top = top
        # helper points: dots of the line's colour, just wide enough to close the 1 pt that dot
        # leaves at each end of an edge; edges run to their centres (no clipping), so lines join
        colour = edge.get("color", "black")
        self.point = {"shape": "point", "width": 0.028, "height": 0.028, "label": "", "color": colour,
                      "fillcolor": colour}
        self.hidden = {"shape": "point", "style": "invis", "width": 0.01, "height": 0.01, "label": ""}
        self.edge = {**self.edge, "headclip": False, "tailclip": False}
        self.rank: dict[str, int] = {}
        self.flat: set[tuple[str, str]] = set()  # pairs already joined on one rank
        self.order: list[str] = []

    def visit(self, key: str, rank: int, *, left: bool = False) -> None:
        """Record ``key`` at ``rank`` (with the nodes beside it: on its left with ``left``)."""
        extras = list(self.beside.get(key, ()))
        if left:
            for extra in reversed(extras):
                self.rank[extra] = rank
                self.order.append(extra)
            for i, extra in enumerate(extras):  # tail on the left: dot keeps flat edges left to right
                self.g.edge(extra, key, **self.beside_edge)
                if i == 0:
                    self.flat.add((extra, key))
            self.rank[key] = rank
            self.order.append(key)
            return
        self.rank[key] = rank
        self.order.append(key)
        for i, extra in enumerate(extras):
            self.rank[extra] = rank
            self.order.append(extra)
            self.g.edge(key, extra, **self.beside_edge)
            if i == 0:
                self.flat.add((key, extra))

    def helper(self, key: str, rank: int, owner: str) -> None:
        self.g.node(key, **(self.hidden if owner == self.top else self.point))
        self.visit(key, rank)

    def attrs(self, owner: str, child: str | None = None, **more: object) -> dict[str, object]:
        """Edge attributes: invisible under the invisible top, else the tree's style (or the
        style given for the edge into ``child``)."""
        if owner == self.top:
            return {**more, "style": "invis"}
        special = self.child_edge.get(child) if child is not None else None
        if special:
            return {**more, **self.edge, **special}
        return {**more, **self.edge}

    def place(self, k: str, rank: int) -> None:
        """Place ``k`` (already visited at ``rank``) and everything below it."""
        kids = list(self.children.get(k, ()))
        if not kids:
            return
        g = self.g
        if k in self.shape.comb:
            prev = k
            for i in range(0, len(kids), 2):
                j = f"_{k}_c{i // 2}"
                r = rank + 1 + i // 2
                pair = kids[i : i + 2]
                self.visit(pair[0], r, left=True)
                self.helper(j, r, k)
                if len(pair) > 1:
                    self.visit(pair[1], r)
                g.edge(prev, j, **self.attrs(k, weight=8))
                g.edge(pair[0], j, **self.attrs(k, pair[0]))  # tail left of the spine
                self.flat.add((pair[0], j))
                if len(pair) > 1:
                    g.edge(j, pair[1], **self.attrs(k, pair[1]))
                    self.flat.add((j, pair[1]))
                g.same_rank([pair[0], j, *pair[1:]])
                prev = j
            return
        rows = self.shape.rows[k]
        anchor, anchor_rank = k, rank
        for r, row in enumerate(rows):
            more = r + 1 < len(rows)
            next_anchor = f"_{k}_r{r + 1}"
            self.bus(k, anchor, anchor_rank, row, f"_{k}_b{r}", spine_to=next_anchor if more else None)
            if more:
                anchor_rank += 2 + max(self.shape.height[c] for c in row)
                anchor = next_anchor

    def bus(self, owner: str, anchor: str, rank: int, row: Sequence[str], prefix: str,
            spine_to: str | None) -> None:
        """Hang ``row`` from ``anchor`` on a horizontal bus one rank below it: one point above each
        child, chained left to right, the anchor joined to a point in the middle. With
        ``spine_to``, a spine of points runs from that middle point down between the two halves of
        the row to ``spine_to``, placed just below the row's deepest box (the next row's anchor).
        """
        g = self.g
        if len(row) == 1 and spine_to is None:
            self.visit(row[0], rank + 1)
            g.edge(anchor, row[0], **self.attrs(owner, row[0], weight=8))
            self.place(row[0], rank + 1)
            return
        points = [f"{prefix}_{i}" for i in range(len(row))]
        if spine_to is not None or len(row) % 2 == 0:
            half = (len(row) + 1) // 2
            middle = f"{prefix}_t"
            chain = points[:half] + [middle] + points[half:]
        else:
            half = len(row) // 2
            middle = points[half]
            chain = points
        for p in chain:
            self.helper(p, rank + 1, owner)
        for a, b in zip(chain, chain[1:], strict=False):
            g.edge(a, b, **self.attrs(owner))
            self.flat.add((a, b))
        g.same_rank(chain)
        g.edge(anchor, middle, **self.attrs(owner, weight=8))
        for p, c in zip(points, row, strict=True):
            g.edge(p, c, **self.attrs(owner, c, weight=8))
        for i, c in enumerate(row):
            if i == half and spine_to is not None:
                self.spine(owner, middle, rank + 1, row, prefix, spine_to)
            self.visit(c, rank + 2)
            self.place(c, rank + 2)
        if half == len(row) and spine_to is not None:
            self.spine(owner, middle, rank + 1, row, prefix, spine_to)

    def spine(self, owner: str, start: str, rank: int, row: Sequence[str], prefix: str, end: str) -> None:
        """Points from ``start`` (at ``rank``) straight down past the row to ``end``."""
        depth = max(self.shape.height[c] for c in row)
        prev = start
        for i in range(depth):  # a point in every rank keeps the spine's place in the rank's order
            p = f"{prefix}_s{i}"
            self.helper(p, rank + 1 + i, owner)
            self.g.edge(prev, p, **self.attrs(owner, weight=8))
            prev = p
        self.helper(end, rank + 1 + depth, owner)
        self.g.edge(prev, end, **self.attrs(owner, weight=8))

    def chain_ranks(self) -> None:
        """Fix the left-to-right order of every rank with invisible edges (and same-rank groups)."""
        by_rank: dict[int, list[str]] = {}
        for key in self.order:
            by_rank.setdefault(self.rank[key], []).append(key)
        for rank in sorted(by_rank):
            keys = by_rank[rank]
            if len(keys) > 1:
                self.g.same_rank(keys)
                for a, b in zip(keys, keys[1:], strict=False):
                    if (a, b) not in self.flat:  # a second edge would push the visible one aside
                        self.g.edge(a, b, style="invis")


def tree_edges(
    g: Graph,
    roots: Sequence[str],
    children: Mapping[str, Sequence[str]],
    own_width: Mapping[str, float],
    *,
    edge: Mapping[str, object],
    beside: Mapping[str, Sequence[str]] | None = None,
    beside_edge: Mapping[str, object] | None = None,
    child_edge: Mapping[str, Mapping[str, object]] | None = None,
    max_width: float | None = None,
    aspect: float = 1.41,
    comb_min: int = COMB_MIN,
    breaks: AbstractSet[str] = frozenset(),
) -> TreeShape:
    """Write the hierarchy edges (with ``edge`` attributes) and the layout's helper nodes.

    Rows are at most ``max_width`` boxes wide; by default the width that gives the chart about
    the ``aspect`` of a page (width / height; 1.41 is A4 landscape). ``beside``: nodes drawn on
    the same rank just right of a node (its hosts), joined to it by an edge with
    ``beside_edge`` attributes. ``child_edge``: attributes for the line into some children
    (dashed lines to dissolved units in a diff). ``breaks``: children that start a new row.
    Every rank's left-to-right order is fixed
    (tree order), so the chart never has crossing hierarchy lines.
    """
    top_kids: dict[str, Sequence[str]] = dict(children)
    top = None
    if len(roots) > 1:
        top = "_top"
        g.node(top, shape="point", style="invis", width=0.01, height=0.01, label="")
        top_kids[top] = list(roots)
        start: Sequence[str] = [top]
    else:
        start = list(roots)
    if max_width is None:
        _, shape = fit_width(start, top_kids, own_width, aspect=aspect, comb_min=comb_min, breaks=breaks)
    else:
        shape = shape_of(start, top_kids, own_width, max_width=max_width, comb_min=comb_min, breaks=breaks)
    emit = _Emitter(g, shape, top_kids, beside or {}, edge, top, beside_edge or {"style": "dashed"},
                    child_edge or {})
    for k in start:
        emit.visit(k, 0)
        emit.place(k, 0)
    emit.chain_ranks()
    return shape
