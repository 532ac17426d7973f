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
from typing import Any

import numpy as np

from orgmodel_optimise.problem import Problem

__all__ = ["Weights", "Solution", "Conflict", "solve", "pool_size", "TERMS", "TERM_LABELS", "POOL_FROM_MEMBERS"]

TERMS = ("moved", "founded", "dissolved", "unaligned", "ties", "backbone")
#: Each term in zh and en, as the plan's solver record carries it for the report.
TERM_LABELS = {
    "moved": ("调整组织关系的党员", "members moved"),
    "founded": ("新建支部", "branches founded"),
    "dissolved": ("撤销支部", "branches dissolved"),
    "unaligned": ("所在支部未依托其所参加团队的党员", "team members in a branch on none of their teams"),
    "ties": ("调出党员切断的联系（权重合计）", "ties cut by moves (weight)"),
    "backbone": ("骨干偏离均衡分布的人数", "backbone people away from a fair share"),
}


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


#: Below this many members the parts are solved in this process even when ``workers`` is 0: a
#: pool's start (a fresh interpreter per core) costs more than it saves (benchmarks/bench_optimise.py).
POOL_FROM_MEMBERS = 20_000

# row kinds of a part's programme, in the order each destination's rows come
_ONE, _CLOSED, _M_HI, _M_LO, _F_LO, _F_HI, _BB_NEG, _BB_POS, _CHAIN = range(9)
_KIND_NAMES = {_ONE: "one_relation", _M_HI: "members_hi", _M_LO: "members_lo", _F_LO: "full_lo", _F_HI: "full_hi"}


@dataclass
class _Arrays:
    """The problem as flat arrays per edge and per destination: what a part's programme is built from."""

    e_cost: np.ndarray
    e_n: np.ndarray
    e_full: np.ndarray
    e_bb: np.ndarray
    d_existing: np.ndarray
    d_forbidden: np.ndarray
    d_bounds: np.ndarray  # destinations x 4: members_lo, members_hi, full_lo, full_hi (nan: none)
    d_chain: np.ndarray  # a copy that may open only after the previous copy of its candidate


def _arrays(p: Problem, w: Weights) -> _Arrays:
    moved = ~p.e_stay
    has_team = (p.g_teams >= 0).any(axis=1)
    e_cost = (w.moved * moved + w.unaligned * (has_team[p.e_g] & ~p.e_aligned)
              + w.ties * p.g_ties[p.e_g] * moved)
    nan = float("nan")
    d_bounds = np.array([[nan if v is None else float(v) for v in (d.members_lo, d.members_hi, d.full_lo, d.full_hi)]
                         for d in p.dests], dtype=float).reshape(len(p.dests), 4)
    base = [d.key.rsplit("-", 1)[0] for d in p.dests]
    d_chain = np.array([d.copy > 0 and i > 0 and base[i - 1] == base[i] for i, d in enumerate(p.dests)], dtype=bool)
    return _Arrays(e_cost, p.g_n[p.e_g].astype(float), p.g_full[p.e_g], p.g_backbone[p.e_g],
                   np.array([d.unit >= 0 for d in p.dests], dtype=bool),
                   np.array([d.forbidden is not None for d in p.dests], dtype=bool), d_bounds, d_chain)


@dataclass
class _Part:
    """One part's programme data, small and picklable (it goes to a worker process)."""

    eg: np.ndarray  # local group of each edge (edges sorted by group)
    ed: np.ndarray  # local destination of each edge
    g_n: np.ndarray
    cost: np.ndarray
    n: np.ndarray
    full: np.ndarray
    bb: np.ndarray
    existing: np.ndarray
    forbidden: np.ndarray
    bounds: np.ndarray
    chain: np.ndarray


def _part(a: _Arrays, p: Problem, groups: np.ndarray, dests: np.ndarray, edges: np.ndarray) -> _Part:
    g_local = np.searchsorted(groups, p.e_g[edges])
    d_local = np.searchsorted(dests, p.e_d[edges])
    chain = a.d_chain[dests].copy()
    chain[1:] &= dests[:-1] == dests[1:] - 1
    chain[:1] = False
    return _Part(g_local, d_local, p.g_n[groups].astype(float), a.e_cost[edges], a.e_n[edges], a.e_full[edges],
                 a.e_bb[edges], a.d_existing[dests], a.d_forbidden[dests], a.d_bounds[dests], chain)


def _tasks(p: Problem, a: _Arrays, parts: list, keep: np.ndarray) -> tuple[list[_Part], list[np.ndarray]]:
    """Each part's data and its edges (global indexes), edges split once by part, not searched per part."""
    part_of_group = np.full(len(p.g_n), -1, dtype=np.int64)
    for i, (groups, _) in enumerate(parts):
        part_of_group[groups] = i
    kept = np.flatnonzero(keep)
    label = part_of_group[p.e_g[kept]]
    order = np.argsort(label, kind="stable")  # edges stay sorted by group within a part
    starts = np.searchsorted(label[order], np.arange(len(parts) + 1))
    edges = [kept[order[starts[i]:starts[i + 1]]] for i in range(len(parts))]
    return [_part(a, p, g, d, e) for (g, d), e in zip(parts, edges, strict=True)], edges


def _build(t: _Part, w_backbone: float, share: float, dissolve: bool, elastic: bool):  # noqa: ANN202
    """The part's programme as (c, integrality, lb, ub, A, row_lo, row_hi, row kind, row destination).

    Rows in order: one per group (placed whole), then per destination its closed row, size and
    full-member bounds, backbone rows and the copy order, the same rows a loop would write, built at once.
    """
    from scipy.sparse import csr_matrix

    ne, nd, ng = len(t.eg), len(t.existing), len(t.g_n)
    nx = ne + 2 * nd
    c = np.zeros(nx)
    c[:ne] = t.cost
    c[ne:ne + nd] = np.where(t.existing, -1.0, 1.0)  # scaled below by the weights
    lb = np.zeros(nx)
    ub = np.concatenate([t.n, np.ones(nd), np.full(nd, np.inf)])
    ub[ne:ne + nd][t.forbidden] = 0
    if not dissolve:
        lb[ne:ne + nd][t.existing & ~t.forbidden] = 1
    integrality = np.concatenate([np.ones(ne), np.ones(nd), np.zeros(nd)])
    total = np.bincount(t.ed, t.n, nd)
    m_lo, m_hi, f_lo, f_hi = (t.bounds[:, i] for i in range(4))
    present = np.zeros((nd, 9), dtype=bool)
    present[:, _CLOSED] = True
    present[:, _M_HI] = ~np.isnan(m_hi) & (m_hi < total)
    present[:, _M_LO] = ~np.isnan(m_lo) & (m_lo != 0)
    present[:, _F_LO] = ~np.isnan(f_lo) & (f_lo != 0)
    present[:, _F_HI] = ~np.isnan(f_hi)
    present[:, _BB_NEG] = present[:, _BB_POS] = (not elastic) and bool(w_backbone)
    present[:, _CHAIN] = t.chain
    row_id = np.full((nd, 9), -1, dtype=np.int64)
    row_id[present] = ng + np.arange(int(present.sum()))  # row-major: destination by destination
    n_rows = ng + int(present.sum())
    rows, cols, vals = [t.eg], [np.arange(ne)], [np.ones(ne)]
    lo = np.zeros(n_rows)
    hi = np.zeros(n_rows)
    lo[:ng] = hi[:ng] = t.g_n
    kind = np.full(n_rows, -1, dtype=np.int64)
    kind[:ng] = _ONE
    dest_of_row = np.full(n_rows, -1, dtype=np.int64)
    dest_of_row[:ng] = -1
    y = ne + np.arange(nd)
    edge = np.arange(ne)

    def add(k: int, on_edges: np.ndarray, coef_x: np.ndarray, col: np.ndarray, coef: np.ndarray,
            a: float | np.ndarray, b: float | np.ndarray) -> None:
        have = present[:, k]
        r = row_id[:, k]
        sel = have[t.ed[on_edges]]
        rows.extend([r[t.ed[on_edges][sel]], r[have]])
        cols.extend([on_edges[sel], col[have]])
        vals.extend([np.broadcast_to(coef_x, on_edges.shape)[sel], np.broadcast_to(coef, (nd,))[have]])
        lo[r[have]] = np.broadcast_to(a, (nd,))[have]
        hi[r[have]] = np.broadcast_to(b, (nd,))[have]
        kind[r[have]] = k
        dest_of_row[r[have]] = np.flatnonzero(have)

    full_edges = edge[t.full]
    add(_CLOSED, edge, 1.0, y, -np.maximum(total, 1.0), -np.inf, 0.0)
    add(_M_HI, edge, 1.0, y, -m_hi, -np.inf, 0.0)
    add(_M_LO, edge, 1.0, y, -m_lo, 0.0, np.inf)
    add(_F_LO, full_edges, 1.0, y, -f_lo, 0.0, np.inf)
    add(_F_HI, full_edges, 1.0, y, -f_hi, -np.inf, 0.0)
    coef = t.bb.astype(float) - share
    z = ne + nd + np.arange(nd)
    add(_BB_NEG, edge, -coef, z, 1.0, 0.0, np.inf)
    add(_BB_POS, edge, coef, z, 1.0, 0.0, np.inf)
    # the copy order: y[d - 1] - y[d] >= 0
    have = present[:, _CHAIN]
    r = row_id[have, _CHAIN]
    rows.extend([r, r])
    cols.extend([y[have] - 1, y[have]])
    vals.extend([np.ones(len(r)), -np.ones(len(r))])
    lo[r], hi[r], kind[r], dest_of_row[r] = 0.0, np.inf, _CHAIN, np.flatnonzero(have)
    A = csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, nx))
    return c, integrality, lb, ub, A, lo, hi, kind, dest_of_row


def _objective(c: np.ndarray, t: _Part, w: Weights) -> np.ndarray:
    """The objective with the founding and dissolving weights in place."""
    ne, nd = len(t.eg), len(t.existing)
    c = c.copy()
    c[ne:ne + nd] = np.where(t.existing, -w.dissolved, w.founded)
    c[ne + nd:] = w.backbone
    return c


def _solve_task(args: tuple) -> tuple:
    """Solve one part (run in this process or in a worker): its status, counts, opened, objective, bound."""
    t, w, share, time_limit, mip_gap, dissolve = args
    c, integ, lb, ub, A, lo, hi, _, _ = _build(t, w.backbone, share, dissolve, elastic=False)
    c = _objective(c, t, w)
    ne, nd = len(t.eg), len(t.existing)
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
    constant = w.dissolved * float(t.existing.sum())
    objective = float(res.fun) + constant
    dual = getattr(first, "mip_dual_bound", None)
    bound = float(first.fun if dual is None else dual) + constant
    status = "optimal" if res.status == 0 and first.status == 0 else "feasible"
    if status == "optimal":
        bound = min(bound, objective)
    return status, xs, ys, objective, bound


def pool_size(workers: int, members: int, parts: int) -> int:
    """Processes to solve ``parts`` parts with: ``workers`` when given, else every core the process
    may use once the problem has ``POOL_FROM_MEMBERS`` members (1: this process).

    >>> pool_size(1, 10**6, 500), pool_size(3, 100, 5), pool_size(0, 100, 50), pool_size(4, 10**6, 1)
    (1, 3, 1, 1)
    """
    import os

    if parts <= 1:
        return 1
    if workers:
        return min(workers, parts)
    if members < POOL_FROM_MEMBERS:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, parts))


def _run(tasks: list[tuple], processes: int) -> list[tuple]:
    """Every task's result, in task order, whatever the number of processes (each part's solve is
    deterministic, and parts do not depend on each other).

    With more than one process, the tasks are dealt out (largest first, to the least loaded) to
    fresh interpreters running ``python -m orgmodel_optimise.worker``: neither forked (the caller
    may hold threads, as the web app does) nor re-running the caller's main module, as a
    ``multiprocessing`` spawn would.
    """
    if processes <= 1:
        return [_solve_task(t) for t in tasks]
    import pickle
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    load = np.zeros(processes)
    share: list[list[int]] = [[] for _ in range(processes)]
    for i in sorted(range(len(tasks)), key=lambda i: (-len(tasks[i][0].eg), i)):
        k = int(np.argmin(load))
        share[k].append(i)
        load[k] += len(tasks[i][0].eg) + 1
    out: list[tuple | None] = [None] * len(tasks)
    with tempfile.TemporaryDirectory(prefix="orgmodel-optimise-") as tmp:
        procs = []
        try:
            for k, idx in enumerate(share):
                src, dst = Path(tmp) / f"in{k}.pickle", Path(tmp) / f"out{k}.pickle"
                src.write_bytes(pickle.dumps([tasks[i] for i in idx], protocol=pickle.HIGHEST_PROTOCOL))
                procs.append((idx, dst, subprocess.Popen(
                    [sys.executable, "-m", "orgmodel_optimise.worker", str(src), str(dst)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))
            for idx, dst, proc in procs:
                _, err = proc.communicate()
                if proc.returncode != 0:
                    tail = (err.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
                    raise RuntimeError(f"optimise: a solver process failed ({tail})")
                for i, res in zip(idx, pickle.loads(dst.read_bytes()), strict=True):
                    out[i] = res
        finally:  # stopped (cancelled, timed out, failed): no solver process outlives the call
            _stop(proc for _, _, proc in procs)
    return out  # type: ignore[return-value]


def _stop(procs: Any) -> None:
    """Kill the solver processes still running and reap them all."""
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
    for proc in procs:
        proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def solve(p: Problem, w: Weights, *, time_limit: float, mip_gap: float, part_size: int = 1,
          max_part: int = 2_000, area: np.ndarray | None = None, dissolve: bool = True,
          workers: int = 0) -> Solution:
    """Solve every part (in a pool of ``workers`` processes, see :func:`pool_size`); an infeasible
    part yields the conflicts that make it so. The objective and the bound are the parts' sums."""
    n_e, n_d = len(p.e_g), len(p.dests)
    x = np.zeros(n_e, dtype=np.int64)
    y = np.zeros(n_d, dtype=bool)
    status, obj, bound = "optimal", 0.0, 0.0
    conflicts: list[Conflict] = []
    area = p.g_area if area is None else area
    parts, keep, split = _parts(p, part_size, max_part, area)
    share = float(p.g_n[p.g_backbone].sum()) / max(float(p.g_n.sum()), 1.0)
    a = _arrays(p, w)
    data, edges = _tasks(p, a, parts, keep)
    processes = pool_size(workers, int(p.g_n.sum()), len(parts))
    results = _run([(t, w, share, time_limit, mip_gap, dissolve) for t in data], processes)
    largest = 0
    for (groups, dests), t, e, res in zip(parts, data, edges, results, strict=True):
        largest = max(largest, int(p.g_n[groups].sum()))
        if res[0] == "infeasible":
            conflicts += _conflicts(p, t, groups, dests, e, w, share, time_limit, dissolve, keep)
            status = "infeasible"
            continue
        st, xs, ys, o, b = res
        x[e] = xs
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


def _milp(c, integrality, lb, ub, A, lo, hi, time_limit, mip_gap):  # noqa: ANN001, ANN202
    from scipy.optimize import Bounds, LinearConstraint, milp

    return milp(c, integrality=integrality, bounds=Bounds(lb, ub), constraints=LinearConstraint(A, lo, hi),
                options={"time_limit": float(time_limit), "mip_rel_gap": float(mip_gap), "disp": False})


def _conflicts(p: Problem, t: _Part, groups: np.ndarray, dests: np.ndarray, edges: np.ndarray, w: Weights,
               share: float, time_limit: float, dissolve: bool, keep: np.ndarray) -> list[Conflict]:
    """An infeasible part: minimise how far the rule bounds must be broken; those broken are the conflict."""
    from scipy.sparse import csr_matrix, hstack

    out: list[Conflict] = []
    reach = np.bincount(p.e_g[keep], minlength=len(p.g_n))
    for g in groups.tolist():
        if reach[g] == 0:
            out.append(Conflict(-1, "one_relation", "one_relation", float(p.g_n[g]), [g]))
    if out:
        return out
    c, integ, lb, ub, A, lo, hi, kind, dest_of_row = _build(t, w.backbone, share, dissolve, elastic=True)
    soft = np.flatnonzero(np.isin(kind, [_M_HI, _M_LO, _F_LO, _F_HI]))
    n_s = len(soft)
    sign = np.where(np.isfinite(hi[soft]) & ~np.isfinite(lo[soft]), 1.0, -1.0)
    # a <= row <= b  becomes  row - slack <= b  (upper)  or  row + slack >= a  (lower)
    S = csr_matrix((-sign, (soft, np.arange(n_s))), shape=(A.shape[0], n_s))
    A2 = hstack([A, S]).tocsr()
    c2 = np.concatenate([np.zeros(len(c)), np.ones(n_s)])
    res = _milp(c2, np.concatenate([integ, np.zeros(n_s)]), np.concatenate([lb, np.zeros(n_s)]),
                np.concatenate([ub, np.full(n_s, np.inf)]), A2, lo, hi, time_limit, 0.0)
    if res.x is None:
        return [Conflict(-1, "one_relation", "one_relation", 0.0, groups.tolist())]
    slack = res.x[len(c):]
    ne = len(edges)
    for j in np.flatnonzero(slack > 1e-6).tolist():
        row = int(soft[j])
        d = int(dests[dest_of_row[row]])
        name = _KIND_NAMES[int(kind[row])]
        dest = p.dests[d]
        on = edges[(p.e_d[edges] == d) & (res.x[:ne] > 0.5)]
        out.append(Conflict(d, name, dest.rules.get(name, name), float(slack[j]), sorted(set(p.e_g[on].tolist()))))
    return out
