"""The mixed-integer programme over a :class:`~orgmodel_optimise.problem.Problem`, solved by HiGHS.

Variables: ``x[e]`` (integer) members of edge e's group that join its destination; ``y[d]``
(binary) destination d is open (an existing branch kept, a candidate founded); ``z[d]`` (≥ 0) how
far d's backbone count is from its fair share. Constraints: every group is placed whole; each open
branch keeps its bounds from the rule book (full members, members), a closed one holds nobody;
copies of a candidate open in order; ``z[d] ≥ |backbone[d] − share · members[d]|``. Objective: the
weighted terms of :class:`Weights`.

The problem separates into independent parts (groups that can reach the same branches); each part
is solved on its own and parts are batched up to ``part_size`` members, which keeps each solve
exact. The plan's objective bound is the sum of the parts' bounds.

>>> w = Weights(moved=1, founded=2, dissolved=2, unaligned=2, ties=0.5, backbone=1)
>>> sorted(w.as_dict())
['backbone', 'dissolved', 'founded', 'moved', 'ties', 'unaligned']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from orgmodel_optimise.problem import Problem

__all__ = ["Weights", "Solution", "Conflict", "solve", "TERMS"]

TERMS = ("moved", "founded", "dissolved", "unaligned", "ties", "backbone")


@dataclass(frozen=True)
class Weights:
    """The weight of each objective term (see the strategy's parameters)."""

    moved: float
    founded: float
    dissolved: float
    unaligned: float
    ties: float
    backbone: float

    def as_dict(self) -> dict[str, float]:
        """The weights by term."""
        return asdict(self)


@dataclass
class Conflict:
    """A rule no assignment can keep: the branch, the rule, and by how much it must break."""

    dest: int
    bound: str  # members_lo, members_hi, full_lo, full_hi, one_relation
    rule: str
    shortfall: float
    groups: list[int] = field(default_factory=list)


@dataclass
class Solution:
    """Counts per edge, open destinations, the solver's status and the objective's terms."""

    x: np.ndarray
    y: np.ndarray
    status: str  # optimal, feasible, infeasible
    objective: float
    bound: float
    terms: dict[str, float]
    parts: int
    largest_part: int
    conflicts: list[Conflict] = field(default_factory=list)
    decomposed: bool = False  # a part was split by area: the bound is the decomposed problem's

    @property
    def gap(self) -> float:
        """Relative gap between the plan's objective and the best bound (0 when optimal)."""
        return max(0.0, (self.objective - self.bound) / max(abs(self.objective), 1e-9)) if self.objective else 0.0


def _components(p: Problem, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Component label of every group and destination over the kept edges."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n_g, n_d = len(p.g_n), len(p.dests)
    eg, ed = p.e_g[keep], p.e_d[keep]
    graph = coo_matrix((np.ones(len(eg)), (eg, n_g + ed)), shape=(n_g + n_d, n_g + n_d))
    _, label = connected_components(graph, directed=False)
    return label[:n_g], label[n_g:]


def _split_large(p: Problem, g_label: np.ndarray, max_part: int, area: np.ndarray) -> np.ndarray:
    """Edges to keep: in a part above ``max_part`` members, each group only reaches the branches of its area.

    A destination belongs to the area of the groups that could bring it most members; a move to
    another area's branch is given up, so the part's solution is exact for the decomposed problem.
    """
    keep = np.ones(len(p.e_g), dtype=bool)
    sizes = np.bincount(g_label, p.g_n)
    big = np.flatnonzero(sizes > max_part)
    if not len(big):
        return keep
    in_big = np.isin(g_label[p.e_g], big)
    e_area = area[p.e_g]
    # owner area of each destination: the most members over its edges (ties: the smallest code)
    n_d = len(p.dests)
    pairs = p.e_d[in_big].astype(np.int64) * (area.max() + 2) + (e_area[in_big] + 1)
    uniq, inv = np.unique(pairs, return_inverse=True)
    weight = np.bincount(inv.reshape(-1), p.g_n[p.e_g[in_big]], len(uniq))
    d_of, a_of = uniq // (area.max() + 2), uniq % (area.max() + 2) - 1
    order = np.lexsort((a_of, -weight, d_of))
    owner = np.full(n_d, -2, dtype=np.int64)
    first = np.unique(d_of[order], return_index=True)[1]
    owner[d_of[order][first]] = a_of[order][first]
    keep[in_big] = (owner[p.e_d[in_big]] == e_area[in_big]) | p.e_stay[in_big]
    return keep


def _parts(p: Problem, part_size: int, max_part: int, area: np.ndarray):  # noqa: ANN202
    """Independent parts (groups and destinations), split by area above ``max_part`` members and
    batched up to ``part_size`` members; also the kept edges and whether any part was split."""
    keep = np.ones(len(p.e_g), dtype=bool)
    g_label, d_label = _components(p, keep)
    keep = _split_large(p, g_label, max_part, area)
    split = not keep.all()
    if split:
        g_label, d_label = _components(p, keep)
    n_labels = int(max(g_label.max(initial=-1), d_label.max(initial=-1))) + 1
    sizes = np.bincount(g_label, p.g_n, minlength=n_labels)
    batch = np.zeros(n_labels, dtype=np.int64)
    current, filled = 0, 0.0
    for comp in range(n_labels):
        if filled and filled + sizes[comp] > part_size:
            current, filled = current + 1, 0.0
        batch[comp] = current
        filled += sizes[comp]
    out = []
    g_order = np.argsort(batch[g_label], kind="stable")
    d_order = np.argsort(batch[d_label], kind="stable")
    g_start = np.searchsorted(batch[g_label][g_order], np.arange(current + 2))
    d_start = np.searchsorted(batch[d_label][d_order], np.arange(current + 2))
    for b in range(current + 1):
        groups = np.sort(g_order[g_start[b]:g_start[b + 1]])
        dests = np.sort(d_order[d_start[b]:d_start[b + 1]])
        if len(groups):
            out.append((groups, dests))
    return out, keep, split


def solve(p: Problem, w: Weights, *, time_limit: float, mip_gap: float, part_size: int = 1,
          max_part: int = 2_000, area: np.ndarray | None = None, dissolve: bool = True) -> Solution:
    """Solve every part; an infeasible part yields the conflicts that make it so."""
    n_e, n_d = len(p.e_g), len(p.dests)
    x = np.zeros(n_e, dtype=np.int64)
    y = np.zeros(n_d, dtype=bool)
    status, obj, bound = "optimal", 0.0, 0.0
    conflicts: list[Conflict] = []
    area = p.g_area if area is None else area
    parts, keep, split = _parts(p, part_size, max_part, area)
    share = float(p.g_n[p.g_backbone].sum()) / max(float(p.g_n.sum()), 1.0)
    largest = 0
    for groups, dests in parts:
        largest = max(largest, int(p.g_n[groups].sum()))
        res = _solve_part(p, w, groups, dests, share, time_limit, mip_gap, dissolve, keep, elastic=False)
        if res is None or res[0] == "infeasible":
            conflicts += _conflicts(p, w, groups, dests, share, time_limit, dissolve, keep)
            status = "infeasible"
            continue
        st, xs, ys, o, b, edges = res
        x[edges] = xs
        y[dests] = ys
        obj += o
        bound += b
        if st == "feasible" and status == "optimal":
            status = "feasible"
    terms = _terms(p, w, x, y, share)
    sol = Solution(x, y, status, obj, bound, terms, len(parts), largest, conflicts, split)
    if sol.status == "optimal" and sol.gap > 1e-6:
        sol.status = "feasible"  # stopped within mip_gap: a feasible plan with its gap, not a proven optimum
    return sol


def _terms(p: Problem, w: Weights, x: np.ndarray, y: np.ndarray, share: float) -> dict[str, float]:
    moved = ~p.e_stay
    has_team = (p.g_teams >= 0).any(axis=1)
    existing = np.array([d.unit >= 0 for d in p.dests], dtype=bool)
    n_d = len(p.dests)
    members = np.bincount(p.e_d, x, n_d)
    bb = np.bincount(p.e_d, x * p.g_backbone[p.e_g], n_d)
    return {
        "moved": float(x[moved].sum()),
        "founded": float((y & ~existing).sum()),
        "dissolved": float((~y & existing).sum()),
        "unaligned": float(x[has_team[p.e_g] & ~p.e_aligned].sum()),
        "ties": float((x * p.g_ties[p.e_g])[moved].sum()),
        "backbone": float(np.abs(bb - share * members)[y].sum()),
    }


def _build(p: Problem, w: Weights, groups: np.ndarray, dests: np.ndarray, share: float, dissolve: bool,
           keep: np.ndarray, elastic: bool):  # noqa: ANN202
    """The part's programme as (c, integrality, lb, ub, A, row_lo, row_hi, edges, slack rows)."""
    from scipy.sparse import csr_matrix

    edges = np.flatnonzero(np.isin(p.e_g, groups) & keep)
    g_local = np.full(len(p.g_n), -1, dtype=np.int64)
    g_local[groups] = np.arange(len(groups))
    d_local = np.full(len(p.dests), -1, dtype=np.int64)
    d_local[dests] = np.arange(len(dests))
    ne, nd = len(edges), len(dests)
    eg, ed = g_local[p.e_g[edges]], d_local[p.e_d[edges]]
    n = p.g_n[p.e_g[edges]].astype(float)
    full = p.g_full[p.e_g[edges]]
    bb = p.g_backbone[p.e_g[edges]]
    has_team = (p.g_teams >= 0).any(axis=1)[p.e_g[edges]]
    moved = ~p.e_stay[edges]
    # variables: x (ne), y (nd), z (nd)
    nx = ne + 2 * nd
    c = np.zeros(nx)
    c[:ne] = w.moved * moved + w.unaligned * (has_team & ~p.e_aligned[edges]) + w.ties * p.g_ties[p.e_g[edges]] * moved
    existing = np.array([p.dests[d].unit >= 0 for d in dests], dtype=bool)
    c[ne:ne + nd] = np.where(existing, -w.dissolved, w.founded)
    c[ne + nd:] = w.backbone
    lb = np.zeros(nx)
    ub = np.concatenate([n, np.ones(nd), np.full(nd, np.inf)])
    for i, d in enumerate(dests.tolist()):
        dest = p.dests[d]
        if dest.forbidden:
            ub[ne + i] = 0
        elif dest.unit >= 0 and not dissolve:
            lb[ne + i] = 1
    integrality = np.concatenate([np.ones(ne), np.ones(nd), np.zeros(nd)])
    rows, cols, vals, lo, hi, tags = [], [], [], [], [], []
    r = 0

    def row(cs: np.ndarray, vs: np.ndarray, a: float, b: float, tag: tuple | None = None) -> None:
        nonlocal r
        rows.append(np.full(len(cs), r))
        cols.append(cs)
        vals.append(vs)
        lo.append(a)
        hi.append(b)
        tags.append(tag)
        r += 1

    # every group placed whole
    order = np.argsort(eg, kind="stable")
    starts = np.searchsorted(eg[order], np.arange(len(groups) + 1))
    for gi in range(len(groups)):
        sel = order[starts[gi]:starts[gi + 1]]
        size = float(p.g_n[groups[gi]])
        row(sel, np.ones(len(sel)), size, size, ("one_relation", -1, int(groups[gi])))
    order = np.argsort(ed, kind="stable")
    starts = np.searchsorted(ed[order], np.arange(nd + 1))
    for di in range(nd):
        dest = p.dests[int(dests[di])]
        sel = order[starts[di]:starts[di + 1]]
        total = float(n[sel].sum())
        yi = ne + di
        fsel = sel[full[sel]]
        # a closed branch holds nobody (always hard); an open one keeps its bounds (soft when elastic)
        row(np.append(sel, yi), np.append(np.ones(len(sel)), -max(total, 1.0)), -np.inf, 0.0)
        if dest.members_hi is not None and dest.members_hi < total:
            row(np.append(sel, yi), np.append(np.ones(len(sel)), -float(dest.members_hi)), -np.inf, 0.0,
                ("members_hi", di))
        if dest.members_lo:
            row(np.append(sel, yi), np.append(np.ones(len(sel)), -float(dest.members_lo)), 0.0, np.inf, ("members_lo", di))
        if dest.full_lo:
            row(np.append(fsel, yi), np.append(np.ones(len(fsel)), -float(dest.full_lo)), 0.0, np.inf, ("full_lo", di))
        if dest.full_hi is not None:
            row(np.append(fsel, yi), np.append(np.ones(len(fsel)), -float(dest.full_hi)), -np.inf, 0.0, ("full_hi", di))
        if not elastic and w.backbone:
            # z >= bb - share*n  and  z >= share*n - bb
            coef = bb[sel].astype(float) - share
            row(np.append(sel, ne + nd + di), np.append(-coef, 1.0), 0.0, np.inf)
            row(np.append(sel, ne + nd + di), np.append(coef, 1.0), 0.0, np.inf)
        if dest.copy > 0 and di > 0 and p.dests[int(dests[di - 1])].key.rsplit("-", 1)[0] == dest.key.rsplit("-", 1)[0]:
            row(np.array([ne + di - 1, yi]), np.array([1.0, -1.0]), 0.0, np.inf)
    A = csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, nx))
    return c, integrality, lb, ub, A, np.array(lo), np.array(hi), edges, tags


def _milp(c, integrality, lb, ub, A, lo, hi, time_limit, mip_gap):  # noqa: ANN001, ANN202
    from scipy.optimize import Bounds, LinearConstraint, milp

    return milp(c, integrality=integrality, bounds=Bounds(lb, ub), constraints=LinearConstraint(A, lo, hi),
                options={"time_limit": float(time_limit), "mip_rel_gap": float(mip_gap), "disp": False})


def _solve_part(p, w, groups, dests, share, time_limit, mip_gap, dissolve, keep, elastic):  # noqa: ANN001, ANN202
    c, integ, lb, ub, A, lo, hi, edges, _ = _build(p, w, groups, dests, share, dissolve, keep, elastic)
    ne, nd = len(edges), len(dests)
    # phase 1: which branches open, with member counts relaxed (its bound is a valid lower bound:
    # given the open branches the counts are nearly a network flow, so little is lost);
    # phase 2: the open branches fixed, integer counts
    relaxed = integ.copy()
    relaxed[:ne] = 0
    first = _milp(c, relaxed, lb, ub, A, lo, hi, time_limit, mip_gap)
    if first.x is None:
        return ("infeasible",)
    lb2, ub2 = lb.copy(), ub.copy()
    lb2[ne:ne + nd] = ub2[ne:ne + nd] = np.rint(first.x[ne:ne + nd])
    res = _milp(c, integ, lb2, ub2, A, lo, hi, time_limit, mip_gap)
    if res.x is None:  # the relaxed counts cannot be made whole with these branches: solve whole
        res = _milp(c, integ, lb, ub, A, lo, hi, time_limit, mip_gap)
        first = res
    if res.x is None:
        return ("infeasible",)
    xs = np.rint(res.x[:ne]).astype(np.int64)
    ys = np.rint(res.x[ne:ne + nd]).astype(bool)
    existing = np.array([p.dests[d].unit >= 0 for d in dests], dtype=bool)
    constant = w.dissolved * float(existing.sum())
    objective = float(res.fun) + constant
    dual = getattr(first, "mip_dual_bound", None)
    bound = float(first.fun if dual is None else dual) + constant
    status = "optimal" if res.status == 0 and first.status == 0 else "feasible"
    if status == "optimal":
        bound = min(bound, objective)
    return status, xs, ys, objective, bound, edges


def _conflicts(p, w, groups, dests, share, time_limit, dissolve, keep) -> list[Conflict]:  # noqa: ANN001
    """An infeasible part: minimise how far the rule bounds must be broken; those broken are the conflict."""
    from scipy.sparse import csr_matrix, hstack

    out: list[Conflict] = []
    reach = np.bincount(p.e_g[keep], minlength=len(p.g_n))
    for g in groups.tolist():
        if reach[g] == 0:
            out.append(Conflict(-1, "one_relation", "one_relation", float(p.g_n[g]), [g]))
    if out:
        return out
    c, integ, lb, ub, A, lo, hi, edges, tags = _build(p, w, groups, dests, share, dissolve, keep, elastic=True)
    soft = [i for i, t in enumerate(tags) if t is not None and t[0] != "one_relation"]
    n_s = len(soft)
    sign = np.array([1.0 if np.isfinite(hi[i]) and not np.isfinite(lo[i]) else -1.0 for i in soft])
    # a <= row <= b  becomes  row - slack <= b  (upper)  or  row + slack >= a  (lower)
    S = csr_matrix((-sign, (np.array(soft, dtype=np.int64), np.arange(n_s))), shape=(A.shape[0], n_s))
    A2 = hstack([A, S]).tocsr()
    c2 = np.concatenate([np.zeros(len(c)), np.ones(n_s)])
    res = _milp(c2, np.concatenate([integ, np.zeros(n_s)]), np.concatenate([lb, np.zeros(n_s)]),
                np.concatenate([ub, np.full(n_s, np.inf)]), A2, lo, hi, time_limit, 0.0)
    if res.x is None:
        return [Conflict(-1, "one_relation", "one_relation", 0.0, groups.tolist())]
    slack = res.x[len(c):]
    ne = len(edges)
    for j in np.flatnonzero(slack > 1e-6).tolist():
        tag = tags[soft[j]]
        d = int(dests[tag[1]])
        dest = p.dests[d]
        on = edges[(p.e_d[edges] == d) & (res.x[:ne] > 0.5)]
        out.append(Conflict(d, tag[0], dest.rules.get(tag[0], tag[0]), float(slack[j]),
                            sorted(set(p.e_g[on].tolist()))))
    return out
