"""Invariants every structure the engine produces must satisfy.

1. ids are unique (units and hosts share one id space; members have their own);
2. every active member has exactly one relation: a live unit whose kind holds relations
   (``branch``), and optionally a live group that is a child of that branch;
3. the organisation hierarchy (``belongs_to`` between units) and the host hierarchy (``part_of``)
   are forests: no cycles, parents of the same role, live, and allowed by the kind;
4. no edge points at a missing or dissolved unit, and edges join the right roles.

:func:`check` raises :class:`~orgmodel.errors.InvariantError` naming the node; :func:`violations`
lists every problem, for callers that map nodes back to file lines. Each check is one pass of
array operations over units, members and edges: time linear in the structure.

>>> import numpy as np
>>> depth, ok = forest_depth(np.array([-1, 0, 1, 2]), np.zeros(4, bool))
>>> depth.tolist(), bool(ok.all())
([0, 1, 2, 3], True)
>>> depth, ok = forest_depth(np.array([-1, 2, 1]), np.zeros(3, bool))
>>> ok.tolist()
[True, False, False]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from orgmodel.errors import InvariantError

if TYPE_CHECKING:
    from orgmodel.model.structure import Structure

__all__ = ["Violation", "violations", "check", "forest_depth"]


@dataclass(frozen=True)
class Violation:
    """One broken invariant: which table, which row (code), and what."""

    table: Literal["units", "members", "edges"]
    code: int
    node: str
    message: str
    column: str | None = None


def forest_depth(parent: np.ndarray, dissolved: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Depth of each node in the forest given by ``parent`` (-1 for roots), level by level.

    Returns ``(depth, reached)``: dissolved nodes and nodes on or below a cycle are not reached
    and have depth -1. Vectorised: one pass per level.
    """
    n = len(parent)
    depth = np.full(n, -1, dtype=np.int32)
    live = ~dissolved
    parent = np.where(live, parent, -1)
    frontier = np.flatnonzero(live & (parent < 0))
    # children grouped by parent, for frontier expansion
    has_parent = np.flatnonzero(live & (parent >= 0))
    order = has_parent[np.argsort(parent[has_parent], kind="stable")]
    sorted_parents = parent[order]
    level = 0
    while len(frontier):
        depth[frontier] = level
        lo = np.searchsorted(sorted_parents, frontier, side="left")
        hi = np.searchsorted(sorted_parents, frontier, side="right")
        counts = hi - lo
        total = int(counts.sum())
        if total == 0:
            break
        # every child of the frontier at once: lo[i], lo[i]+1, ..., hi[i]-1 for each i
        starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
        frontier = order[starts + np.arange(total)]
        frontier = frontier[depth[frontier] < 0]
        level += 1
    return depth, depth >= 0


def violations(s: Structure, *, limit: int = 10, member_ids_known_unique: bool = False,
               unit_ids_known_unique: bool = False) -> list[Violation]:
    """The first ``limit`` broken invariants of a structure, in a stable order.

    ``member_ids_known_unique`` and ``unit_ids_known_unique`` skip the id checks the caller has
    made already (building checks ids column-wise; applying a plan never changes member ids and
    gives each unit it creates an id no unit has).
    """
    out: list[Violation] = []
    u = s.units
    ids = u.ids
    n_units = len(u)
    kinds = s.kinds
    is_org = kinds.is_org[u.kind]
    live = ~u.dissolved

    def add(table, code, message, column=None, node=None):  # noqa: ANN001, ANN202
        if node is None:
            node = str(ids[code]) if table != "members" else str(s.members.ids[code])
        out.append(Violation(table, int(code), node, message, column))

    # 1. unique ids
    tables = ([] if unit_ids_known_unique else [("units", ids)]) + ([] if member_ids_known_unique else
                                                                     [("members", s.members.ids)])
    for table, values in tables:
        dup = _first_duplicate(values)
        if dup is not None:
            add(table, dup, f"id {values[dup]!r} is used twice", "id")
    if out:
        return out

    # 3. hierarchy: parents exist, are live, have the same role, are allowed by the kind
    parent = u.parent
    bad = live & ((parent >= n_units) | (parent < -1))
    for c in np.flatnonzero(bad)[:limit]:
        add("units", c, "parent is not a unit", "parent")
    has_parent = live & (parent >= 0) & ~bad
    pc = np.where(has_parent, parent, 0)
    dead_parent = has_parent & u.dissolved[pc]
    for c in np.flatnonzero(dead_parent)[:limit]:
        add("units", c, f"parent {ids[parent[c]]} is dissolved", "parent")
    role_mismatch = has_parent & (is_org != is_org[pc])
    for c in np.flatnonzero(role_mismatch)[:limit]:
        what = "an organisation unit cannot belong to a host" if is_org[c] else "a host cannot be part of an organisation unit"
        add("units", c, f"{what} ({ids[parent[c]]})", "parent")
    allowed = _allowed_parent_table(kinds)
    not_allowed = has_parent & ~role_mismatch & ~allowed[u.kind, u.kind[pc]]
    for c in np.flatnonzero(not_allowed)[:limit]:
        add(
            "units",
            c,
            f"a {kinds[int(u.kind[c])].id} cannot sit under a {kinds[int(u.kind[pc[c]])].id} ({ids[parent[c]]})",
            "parent",
        )
    if out:
        return out[:limit]
    _, reached = forest_depth(parent, u.dissolved)
    cyclic = live & ~reached
    if cyclic.any():
        c = int(np.flatnonzero(cyclic)[0])
        add("units", c, f"hierarchy has a cycle through {_cycle_path(parent, c, ids)}", "parent")
        return out

    # 2. one relation per active member
    m = s.members
    active = m["active"]
    branch, group = m["branch"], m["group"]
    in_range = (branch >= 0) & (branch < n_units)
    bc = np.where(in_range, branch, 0)
    no_branch = active & ~in_range
    for c in np.flatnonzero(no_branch)[:limit]:
        add("members", c, "has no branch (belongs_to)", "branch")
    wrong = active & in_range & (~kinds.is_branch[u.kind[bc]] | u.dissolved[bc])
    for c in np.flatnonzero(wrong)[:limit]:
        why = "is dissolved" if u.dissolved[bc[c]] else f"is a {kinds[int(u.kind[bc[c]])].id}, which holds no members"
        add("members", c, f"branch {ids[bc[c]]} {why}", "branch")
    has_group = active & (group >= 0)
    gc = np.where(has_group & (group < n_units), group, 0)
    bad_group = has_group & (
        (group >= n_units) | ~kinds.is_group[u.kind[gc]] | u.dissolved[gc] | (u.parent[gc] != branch)
    )
    for c in np.flatnonzero(bad_group)[:limit]:
        add("members", c, f"group {ids[gc[c]]} is not a live group of branch {ids[bc[c]]}", "group")
    home = m["home_host"]
    hc = np.where((home >= 0) & (home < n_units), home, 0)
    bad_home = active & (home >= 0) & ((home >= n_units) | is_org[hc])
    for c in np.flatnonzero(bad_home)[:limit]:
        add("members", c, f"home host {ids[hc[c]]} is not a host unit", "home_host")

    # 4. edges
    for rel, edges, src_org, dst_org in (
        ("built_on", s.built_on_edges, True, False),
        ("allied_with", s.alliance_edges, True, True),
        ("adjacent_to", s.adjacency_edges, False, False),
    ):
        a, b = edges.src.astype(np.int64), edges.dst.astype(np.int64)
        missing = (a < 0) | (a >= n_units) | (b < 0) | (b >= n_units)
        ac, bc = np.where(missing, 0, a), np.where(missing, 0, b)
        dead = ~missing & (u.dissolved[ac] | u.dissolved[bc])
        to_dead = dead & ~u.dissolved[ac]  # an edge from a dissolved unit ends with it
        wrong = ~missing & ~dead & ((is_org[ac] != src_org) | (is_org[bc] != dst_org))
        for i in np.flatnonzero(missing | to_dead | wrong)[: limit - len(out)].tolist():
            if missing[i]:
                add("edges", max(int(a[i]), 0), f"{rel} edge points at a missing unit", rel)
            elif to_dead[i]:
                add("edges", a[i], f"{rel} {ids[b[i]]}, which is dissolved", rel)
            else:
                add("edges", a[i], f"{rel} {ids[b[i]]} joins the wrong kinds of unit", rel)
        if len(out) >= limit:
            return out
    p = s.participation
    if len(p) and (p.src.max() >= len(m) or p.dst.max() >= n_units):
        add("edges", 0, "participation points at a missing member or unit", "participation", node="participation")
    elif len(p):
        dead = u.dissolved[p.dst] & active[p.src]
        for i in np.flatnonzero(dead)[:limit]:
            add("members", p.src[i], f"takes part in {ids[p.dst[i]]}, which is dissolved", "participation")
    return out[:limit]


def check(s: Structure, *, strategy: str | None = None, operation: int | None = None) -> None:
    """Raise InvariantError for the first broken invariant of ``s``."""
    found = violations(s, limit=1)
    if found:
        v = found[0]
        raise InvariantError(v.message, node=v.node, strategy=strategy, operation=operation)


def _first_duplicate(values: np.ndarray) -> int | None:
    items = values.tolist()
    if len(set(items)) == len(items):  # one pass in C over the ids' own (cached) hashes
        return None
    seen: dict[object, int] = {}
    for i, v in enumerate(items):
        if v in seen:
            return i
        seen[v] = i
    return None


def _allowed_parent_table(kinds) -> np.ndarray:  # noqa: ANN001
    n = len(kinds)
    table = np.zeros((n, n), dtype=bool)
    ids = kinds.ids()
    for i, kind in enumerate(kinds):
        for j, other in enumerate(kinds):
            if kind.role != other.role:
                continue
            table[i, j] = kind.allowed_parents is None or ids[j] in kind.allowed_parents
    return table


def _cycle_path(parent: np.ndarray, start: int, ids: np.ndarray) -> str:
    seen: list[int] = []
    c = start
    while c >= 0 and c not in seen:
        seen.append(c)
        c = int(parent[c])
    if c < 0:
        return str(ids[start])
    loop = seen[seen.index(c) :] + [c]
    return " -> ".join(str(ids[x]) for x in loop)
