"""The assignment problem: members aggregated into groups, and the branches each group may join.

Members with the same branch, home host, status (full or not), mobility, retirement, backbone flag
(``orgmodel_party.backbone_mask``) and team set are interchangeable: they form one **group**, and
the optimiser decides how many of a group go where (integer counts), so 6,500 members become a few
thousand groups. **Destinations**
are the existing branches the step may change and candidate branches: one per team (members who
take part in it), a joint team branch over an area's teams, one per host level below a
branch's host (courtyards, or buildings with ``territory_levels: 2``), one per category (retired or
working members of an area), and joint branches over hosts whose branch is below the founding
minimum. A candidate that may need to hold more than the size limit is offered in copies.
Members who cannot get about (``mobility_limited``) may only go to branches built on their home
host or a host containing it.

>>> from orgmodel.testing import contract_baselines
>>> from orgmodel import domain_rule_book
>>> from orgmodel_optimise.rulebounds import read_rules
>>> s = contract_baselines("party", only=("branch-of-329",))["branch-of-329"]
>>> book = domain_rule_book(s.kinds.name)
>>> bounds, _, _ = read_rules(book, ("error", "warning"))
>>> p = build_problem(s, bounds, movable=s.members["active"].copy(), dest_ok=np.ones(s.n_units, bool))
>>> int(p.g_n.sum()) == s.n_members, len(p.groups_of_member) == s.n_members
(True, True)
>>> sorted({d.family for d in p.dests})
['category', 'existing', 'joint_team', 'team']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from orgmodel_party import backbone_mask

from orgmodel import EXTERNAL, UNPLACED, Structure
from orgmodel_optimise.rulebounds import Bound, subject_applies

__all__ = ["Dest", "Problem", "build_problem", "host_ancestors"]

MAX_COPIES = 64


@dataclass
class Dest:
    """A branch a group may join: an existing one (``unit`` ≥ 0) or a candidate copy."""

    family: str  # existing, team, joint_team, territory, category, joint
    unit: int  # existing unit code, or -1
    key: str  # plan key of a candidate ("" for existing)
    kind: str
    name: str
    parent: str | None
    hosts: tuple[int, ...]
    tags: tuple[str, ...]
    copy: int = 0
    members_lo: int | None = None
    members_hi: int | None = None
    full_lo: int | None = None
    full_hi: int | None = None
    forbidden: str | None = None  # id of a rule the branch breaks whatever its members
    rules: dict[str, str] = field(default_factory=dict)  # bound name -> rule id


@dataclass
class Problem:
    """Groups, destinations and the edges between them (group may join destination)."""

    g_branch: np.ndarray
    g_home: np.ndarray
    g_full: np.ndarray
    g_immobile: np.ndarray
    g_retired: np.ndarray
    g_backbone: np.ndarray
    g_teams: np.ndarray  # groups x k, team host codes, -1 padded
    g_n: np.ndarray
    g_ties: np.ndarray  # tie weight per member of the group to partners in the same branch
    g_area: np.ndarray  # the organisation above the group's branch (for splitting large parts)
    groups_of_member: np.ndarray  # per movable member (in ``members`` order) its group
    members: np.ndarray  # movable member codes
    dests: list[Dest]
    e_g: np.ndarray
    e_d: np.ndarray
    e_stay: np.ndarray
    e_aligned: np.ndarray


def host_ancestors(s: Structure, hosts: np.ndarray, depth: int = 16) -> np.ndarray:
    """Column k: the host ``k`` steps up ``part_of`` from each host (-1 past the root).

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> host_ancestors(s, np.array([-1]), 2).tolist()
    [[-1, -1]]
    """
    out = np.full((len(hosts), depth), -1, dtype=np.int64)
    current = np.asarray(hosts, dtype=np.int64)
    parent = s.units.parent
    for k in range(depth):
        out[:, k] = current
        current = np.where(current >= 0, parent[np.maximum(current, 0)], -1)
        if not (current >= 0).any():
            break
    return out


def _team_columns(s: Structure, members: np.ndarray) -> np.ndarray:
    """Per movable member, the host units it takes part in (teams), sorted, -1 padded."""
    p = s.participation
    is_host = ~s.kinds.is_org[s.units.kind[p.dst]] if len(p) else np.zeros(0, dtype=bool)
    pos = np.full(s.n_members, -1, dtype=np.int64)
    pos[members] = np.arange(len(members))
    rows = pos[p.src] if len(p) else np.zeros(0, dtype=np.int64)
    keep = is_host & (rows >= 0) if len(p) else np.zeros(0, dtype=bool)
    rows, teams = rows[keep], p.dst[keep].astype(np.int64)
    if not len(rows):
        return np.full((len(members), 1), -1, dtype=np.int64)
    order = np.lexsort((teams, rows))
    rows, teams = rows[order], teams[order]
    start = np.searchsorted(rows, rows, side="left")
    rank = np.arange(len(rows)) - start
    out = np.full((len(members), int(rank.max()) + 1), -1, dtype=np.int64)
    out[rows, rank] = teams
    return out


def _bool_column(s: Structure, name: str) -> np.ndarray:
    cols = s.members.columns
    if name not in cols:
        return np.zeros(s.n_members, dtype=bool)
    return np.asarray(cols[name], dtype=bool)


def build_problem(s: Structure, bounds: Sequence[Bound], *, movable: np.ndarray, dest_ok: np.ndarray,
                  branch_kind: str | None = None, families: Sequence[str] = (
                      "team", "joint_team", "territory", "category", "joint"),
                  territory_levels: int = 1, max_joint_units: int | None = None) -> Problem:
    """The groups and destinations of ``s`` (see the module docstring).

    ``movable``: per member code, whether the optimiser may move the member; ``dest_ok``: per
    unit code, whether a unit may change (in scope and not locked); ``max_joint_units``: at most
    this many hosts per joint candidate (besides any ``hosts`` bound).
    """
    kinds, units = s.kinds, s.units
    kind_ids = [k.id for k in kinds]
    special = {kinds.code(k) for k in (UNPLACED, EXTERNAL) if k in kinds}
    live_branch = kinds.is_branch[units.kind] & ~units.dissolved & ~np.isin(units.kind, list(special))
    existing = np.flatnonzero(live_branch & dest_ok)
    branch = s.members["branch"].astype(np.int64)
    unplaced_kind = kinds.code(UNPLACED) if UNPLACED in kinds else -99
    movable = movable & (np.isin(branch, existing) | (units.kind[branch] == unplaced_kind))
    members = np.flatnonzero(movable)
    if branch_kind is None:
        have = units.kind[existing]
        branch_kind = kind_ids[int(np.bincount(have).argmax())] if len(have) else next(
            (k.id for k in kinds if k.relation == "branch" and k.id not in (UNPLACED, EXTERNAL)), kind_ids[0])
    bk = kinds[branch_kind]

    # --- groups ------------------------------------------------------------------------------
    home = s.members["home_host"].astype(np.int64)
    full = s.full_mask
    immobile = _bool_column(s, "mobility_limited")
    retired = _bool_column(s, "retired")
    backbone = backbone_mask(s)
    teams = _team_columns(s, members)
    key = np.column_stack([branch[members], home[members], full[members], immobile[members], retired[members],
                           backbone[members], teams])
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    g_n = np.bincount(inverse, minlength=len(uniq)).astype(np.int64)
    ties = getattr(s, "ties", None)
    per_member = np.zeros(s.n_members)
    if ties is not None and len(ties):
        same = branch[ties.a] == branch[ties.b]
        w = np.asarray(ties.weight, dtype=float) * same
        per_member = np.bincount(ties.a, w, s.n_members) + np.bincount(ties.b, w, s.n_members)
    g_ties = np.bincount(inverse, per_member[members], len(uniq)) / np.maximum(g_n, 1)
    g_branch, g_home = uniq[:, 0], uniq[:, 1]
    g_full, g_imm, g_ret, g_bb = (uniq[:, i].astype(bool) for i in (2, 3, 4, 5))
    g_teams = uniq[:, 6:]
    n_g = len(uniq)

    # --- hosts and parents -------------------------------------------------------------------
    edges = s.built_on_edges
    src, dst = edges.src.astype(np.int64), edges.dst.astype(np.int64)
    n_hosts = np.bincount(src, minlength=s.n_units)
    single_host = np.full(s.n_units, -1, dtype=np.int64)
    single_host[src[n_hosts[src] == 1]] = dst[n_hosts[src] == 1]
    g_area = single_host[g_branch]
    by_src = np.argsort(src, kind="stable")
    src_start = np.searchsorted(src[by_src], np.arange(s.n_units + 1))

    def hosts_of(code: int) -> tuple[int, ...]:
        """The hosts a unit is built on, in the order of the built-on table."""
        return tuple(dst[by_src[src_start[code]:src_start[code + 1]]].tolist())
    anc = host_ancestors(s, g_home)
    orgs_on: dict[int, list[int]] = {}
    live_org = kinds.is_org[units.kind] & ~units.dissolved
    for a, h in zip(src.tolist(), dst.tolist(), strict=True):
        if live_org[a]:
            orgs_on.setdefault(h, []).append(a)
    parent_cache: dict[int, str | None] = {}

    def allowed_parent(code: int) -> bool:
        return kinds[int(units.kind[code])].id in bk.allowed_parents and bool(dest_ok[code])

    def parent_for(host: int) -> str | None:
        if host in parent_cache:
            return parent_cache[host]
        h, found = host, None
        while h >= 0 and found is None:
            for org in orgs_on.get(h, []):
                if allowed_parent(org):
                    found = org
                    break
                up = int(units.parent[org])
                if kinds.is_branch[units.kind[org]] and up >= 0 and allowed_parent(up):
                    found = up
                    break
            h = int(units.parent[h])
        parent_cache[host] = None if found is None else str(units.ids[found])
        return parent_cache[host]

    def hname(code: int) -> str:
        return str(units.name[code])

    # --- destinations: existing branches -----------------------------------------------------
    dests: list[Dest] = []
    index_of_unit = np.full(s.n_units, -1, dtype=np.int64)
    for code in existing.tolist():
        index_of_unit[code] = len(dests)
        dests.append(Dest("existing", code, "", kind_ids[int(units.kind[code])], hname(code),
                          None, hosts_of(code), tuple(units.tags[code])))
    e_g: list[np.ndarray] = []
    e_base: list[np.ndarray] = []  # base index (candidates) or -(existing dest index) - 1
    stay = index_of_unit[g_branch]
    has_stay = stay >= 0
    e_g.append(np.flatnonzero(has_stay))
    e_base.append(-stay[has_stay] - 1)

    # candidate bases: (family, key, name, parent, hosts, tags)
    bases: list[tuple[str, str, str, str | None, tuple[int, ...], tuple[str, ...]]] = []
    base_index: dict[tuple[str, int], int] = {}
    lo_full = max([b.lo for b in bounds if b.quantity == "full" and b.lo is not None
                   and subject_applies(b.rule.subject, branch_kind, (), (), 1)] or [1])

    def base(family: str, ref: int, name: str, hosts: tuple[int, ...], tags: tuple[str, ...], where: int,
             suffix: str = "") -> int:
        k = (family, ref)
        if k not in base_index:
            # a candidate stays inside the step: its hosts and its parent in scope, none locked
            parent = parent_for(where) if all(dest_ok[h] for h in hosts) else None
            if parent is None:
                base_index[k] = -1
            else:
                base_index[k] = len(bases)
                bases.append((family, f"{family}-{units.ids[where]}{suffix}", name, parent, hosts, tags))
        return base_index[k]

    def full_count(groups: np.ndarray, by: np.ndarray) -> dict[int, int]:
        """Full members of the groups, summed per key."""
        sel = g_full[groups]
        keys, inv = np.unique(by[sel], return_inverse=True)
        sums = np.bincount(inv.reshape(-1), g_n[groups][sel], len(keys))
        return dict(zip(keys.tolist(), sums.astype(np.int64).tolist(), strict=True))

    mobile = ~g_imm

    def first_seen(keys: np.ndarray) -> np.ndarray:
        """The distinct keys in the order they first appear (bases are numbered in that order)."""
        if not len(keys):
            return keys
        _, first = np.unique(keys, return_index=True)
        return keys[np.sort(first)]

    def add_edges(gs: np.ndarray, bs: np.ndarray) -> None:
        ok = bs >= 0
        e_g.append(gs[ok])
        e_base.append(bs[ok])

    if "team" in families or "joint_team" in families:
        gi, col = np.nonzero(g_teams >= 0)
        team = g_teams[gi, col]
        team_full = full_count(gi, team)
        by_area: dict[int, list[int]] = {}
        for t in sorted(set(team.tolist())):
            by_area.setdefault(int(units.parent[t]), []).append(t)
        # pair by pair (group, team) in order: its team base, then its area's joint team base
        keep_pair = mobile[gi]
        gi, team = gi[keep_pair], team[keep_pair]
        area_of = units.parent[team].astype(np.int64)
        full_of_team = np.array([team_full.get(t, 0) for t in team.tolist()], dtype=np.int64)
        use_team = (full_of_team >= lo_full) & ("team" in families)
        n_teams = np.array([len(by_area.get(a, [])) for a in area_of.tolist()], dtype=np.int64)
        use_joint = ("joint_team" in families) & (area_of >= 0) & (n_teams > 1)
        # keys: 2 * team (team base) or 2 * area + 1 (joint base), interleaved pair by pair
        keys = np.column_stack([np.where(use_team, 2 * team, -1), np.where(use_joint, 2 * area_of + 1, -1)]).reshape(-1)
        b_of: dict[int, int] = {}
        for k in first_seen(keys[keys >= 0]).tolist():
            ref = k // 2
            if k % 2 == 0:
                b_of[k] = base("team", ref, hname(ref), (ref,), ("team",), ref)
            else:
                hosts = tuple(by_area[ref])
                b_of[k] = base("joint_team", ref, f"{hname(ref)}{len(hosts)}支团队联合", hosts, ("team",), ref)
        lookup = np.vectorize(lambda k: b_of.get(int(k), -1), otypes=[np.int64])
        if len(gi):
            add_edges(gi[use_team], lookup(2 * team[use_team]) if use_team.any() else np.zeros(0, dtype=np.int64))
            add_edges(gi[use_joint], lookup(2 * area_of[use_joint] + 1) if use_joint.any() else np.zeros(0, dtype=np.int64))

    if "territory" in families:
        for level in range(1, territory_levels + 1):
            at = np.argmax(anc == g_area[:, None], axis=1)
            found = (anc == g_area[:, None]).any(axis=1) & (g_area >= 0) & (at - level >= 0)
            host = np.where(found, anc[np.arange(n_g), np.maximum(at - level, 0)], -1)
            totals = full_count(np.flatnonzero(host >= 0), host[host >= 0])
            gs = np.flatnonzero(host >= 0)
            gs = gs[np.array([totals.get(h, 0) >= lo_full for h in host[gs].tolist()], dtype=bool).reshape(-1)]
            b_of = {h: base("territory", h, hname(h), (h,), (), h) for h in first_seen(host[gs]).tolist()}
            add_edges(gs, np.array([b_of[h] for h in host[gs].tolist()], dtype=np.int64))

    if "category" in families and "retired" in s.members.columns:
        ok = g_area >= 0
        keyc = np.where(ok, g_area * 2 + g_ret, -1)
        totals = full_count(np.flatnonzero(ok), keyc[ok])
        gs = np.flatnonzero(ok)
        gs = gs[np.array([totals.get(k, 0) >= lo_full for k in keyc[gs].tolist()], dtype=bool).reshape(-1)]
        b_of = {}
        for k in first_seen(keyc[gs]).tolist():
            area, r = k // 2, k % 2
            label = "退休党员" if r else "在职党员"
            b_of[k] = base("category", k, f"{hname(area)}{label}", (area,),
                           ("category:retired" if r else "category:working",), area, "-retired" if r else "-working")
        add_edges(gs, np.array([b_of[k] for k in keyc[gs].tolist()], dtype=np.int64))

    by_branch = np.argsort(g_branch, kind="stable")
    branch_start = np.searchsorted(g_branch[by_branch], np.arange(s.n_units + 1))

    def groups_of(code: int) -> np.ndarray:
        """The groups of a branch, ascending."""
        return by_branch[branch_start[code]:branch_start[code + 1]]

    if "joint" in families:
        sizes_full = s.sizes(full_only=True)
        small = [c for c in existing.tolist() if sizes_full[c] < lo_full and n_hosts[c] == 1]
        caps = [b.hi for b in bounds if b.quantity == "hosts" and b.hi is not None
                and subject_applies(b.rule.subject, branch_kind, (), (), 2)]
        max_units = min([*caps, *([max_joint_units] if max_joint_units else [])] or [len(small) or 1])
        root = {}
        for c in small:
            r = c
            while units.parent[r] >= 0:
                r = int(units.parent[r])
            root[c] = r
        small.sort(key=lambda c: (root[c], str(units.ids[single_host[c]])))
        chunks: list[list[int]] = []
        for c in small:
            if chunks and root[chunks[-1][0]] == root[c] and len(chunks[-1]) < max(max_units, 2):
                chunks[-1].append(c)
            else:
                chunks.append([c])
        for i, chunk in enumerate(chunks):
            if len(chunk) < 2:
                continue
            hosts = tuple(dict.fromkeys(int(single_host[c]) for c in chunk))
            parent = _common_parent(s, chunk, allowed_parent)
            if parent is None or not all(dest_ok[h] for h in hosts):
                continue
            base_index[("joint", i)] = len(bases)
            bases.append(("joint", f"joint-{units.ids[chunk[0]]}", f"{hname(hosts[0])}等{len(hosts)}个单位联合", parent,
                          hosts, ()))
            gs = np.sort(np.concatenate([groups_of(c) for c in chunk]))
            e_g.append(gs)
            e_base.append(np.full(len(gs), base_index[("joint", i)]))
        # members of a branch below the founding minimum may also join a sibling branch
        siblings: dict[int, list[int]] = {}
        for d in existing.tolist():
            siblings.setdefault(int(units.parent[d]), []).append(d)
        for c in small:
            sib = [d for d in siblings.get(int(units.parent[c]), []) if d != c]
            gs = groups_of(c)
            for d in sib:
                e_g.append(gs)
                e_base.append(np.full(len(gs), -index_of_unit[d] - 1))

    # members without a branch go to a branch on their home (or any, when they have none)
    unplaced_groups = np.flatnonzero(units.kind[g_branch] == unplaced_kind).tolist()
    existing_hosts = {d: set(hosts_of(d)) for d in existing.tolist()} if unplaced_groups else {}
    for g in unplaced_groups:
        up = set(anc[g][anc[g] >= 0].tolist())
        targets = [d for d in existing.tolist() if existing_hosts[d] & up]
        targets = targets or existing.tolist()
        e_g.append(np.full(len(targets), g))
        e_base.append(-index_of_unit[np.asarray(targets, dtype=np.int64)] - 1)

    eg = np.concatenate(e_g) if e_g else np.zeros(0, dtype=np.int64)
    eb = np.concatenate(e_base) if e_base else np.zeros(0, dtype=np.int64)
    pairs = np.unique(np.column_stack([eg, eb]), axis=0) if len(eg) else np.zeros((0, 2), dtype=np.int64)
    eg, eb = pairs[:, 0], pairs[:, 1]

    # immobile members only to branches on their home host or a host containing it
    keep = np.ones(len(eg), dtype=bool)
    check = np.flatnonzero(g_imm[eg] & ~((eb < 0) & (-eb - 1 == stay[eg])))  # staying put is never a move
    if len(check):
        ptr, idx = _host_lists([d.hosts for d in dests] + [b[4] for b in bases])
        target = np.where(eb[check] < 0, -eb[check] - 1, len(dests) + eb[check])
        keep[check] = _any_host(ptr, idx, target, anc[eg[check]])
    eg, eb = eg[keep], eb[keep]

    # --- candidate copies --------------------------------------------------------------------
    limits_seen: dict[tuple, tuple] = {}

    def limits(dest: Dest) -> None:
        """The rule bounds on a destination (the same for every destination of one kind, tags,
        host kinds and number of hosts: worked out once for each)."""
        host_kinds = [kind_ids[int(units.kind[h])] for h in dest.hosts]
        sig = (dest.kind, tuple(dest.tags), tuple(host_kinds), len(dest.hosts))
        if sig in limits_seen and dest.forbidden is None and not dest.rules and all(
                getattr(dest, a) is None for a in ("members_lo", "members_hi", "full_lo", "full_hi")):
            (dest.members_lo, dest.members_hi, dest.full_lo, dest.full_hi, dest.forbidden, rules) = limits_seen[sig]
            dest.rules = dict(rules)
            return
        fresh = dest.forbidden is None and not dest.rules and all(
            getattr(dest, a) is None for a in ("members_lo", "members_hi", "full_lo", "full_hi"))
        for bd in bounds:
            if not subject_applies(bd.rule.subject, dest.kind, dest.tags, host_kinds, len(dest.hosts)):
                continue
            if bd.quantity == "hosts":
                n = len(dest.hosts)
                if (bd.lo is not None and n < bd.lo) or (bd.hi is not None and n > bd.hi):
                    dest.forbidden = dest.forbidden or bd.rule.id
                continue
            for side, value in (("lo", bd.lo), ("hi", bd.hi)):
                if value is None:
                    continue
                attr = f"{bd.quantity}_{side}"
                old = getattr(dest, attr)
                tighter = old is None or (value > old if side == "lo" else value < old)
                if tighter:
                    setattr(dest, attr, value)
                    dest.rules[attr] = bd.rule.id
        if fresh:
            limits_seen[sig] = (dest.members_lo, dest.members_hi, dest.full_lo, dest.full_hi, dest.forbidden, dict(dest.rules))

    for d in dests:
        limits(d)
    cand_edges = eb >= 0
    eligible = np.bincount(eb[cand_edges], g_n[eg[cand_edges]], minlength=len(bases)) if len(bases) else np.zeros(0)
    first_copy = np.zeros(len(bases), dtype=np.int64)
    n_copies = np.zeros(len(bases), dtype=np.int64)
    for i, (family, key_, name, parent, hosts, tags) in enumerate(bases):
        proto = Dest(family, -1, key_, branch_kind, name, parent, hosts, tags)
        limits(proto)
        cap = proto.members_hi or int(eligible[i]) or 1
        copies = min(MAX_COPIES, max(1, math.ceil(eligible[i] / max(cap, 1))))
        first_copy[i], n_copies[i] = len(dests), copies
        for k in range(copies):
            d = Dest(family, -1, f"{key_}-{k + 1}", branch_kind, name, parent, hosts, tags, copy=k,
                     members_lo=proto.members_lo, members_hi=proto.members_hi, full_lo=proto.full_lo,
                     full_hi=proto.full_hi, forbidden=proto.forbidden, rules=dict(proto.rules))
            dests.append(d)
    # expand candidate edges over copies
    out_g = [eg[~cand_edges]]
    out_d = [-eb[~cand_edges] - 1]
    if cand_edges.any():
        cg, cb = eg[cand_edges], eb[cand_edges]
        reps = n_copies[cb]
        out_g.append(np.repeat(cg, reps))
        offsets = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
        out_d.append(np.repeat(first_copy[cb], reps) + offsets)
    e_g_all = np.concatenate(out_g).astype(np.int64)
    e_d_all = np.concatenate(out_d).astype(np.int64)
    order = np.lexsort((e_d_all, e_g_all))
    e_g_all, e_d_all = e_g_all[order], e_d_all[order]
    e_stay = e_d_all == stay[e_g_all]
    e_aligned = np.zeros(len(e_g_all), dtype=bool)
    has_team = np.flatnonzero((g_teams >= 0).any(axis=1)[e_g_all])
    if len(has_team):
        ptr, idx = _host_lists([d.hosts for d in dests])
        e_aligned[has_team] = _any_host(ptr, idx, e_d_all[has_team], g_teams[e_g_all[has_team]])
    g_org_area = units.parent[g_branch].astype(np.int64)
    return Problem(g_branch, g_home, g_full, g_imm, g_ret, g_bb, g_teams, g_n, g_ties, g_org_area, inverse, members, dests,
                   e_g_all, e_d_all, e_stay, e_aligned)


def _host_lists(hosts: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """Lists of hosts as offsets and one array (row i is ``idx[ptr[i]:ptr[i + 1]]``)."""
    counts = np.fromiter((len(h) for h in hosts), dtype=np.int64, count=len(hosts))
    ptr = np.concatenate([[0], np.cumsum(counts)])
    idx = np.fromiter((x for h in hosts for x in h), dtype=np.int64, count=int(ptr[-1]))
    return ptr, idx


def _any_host(ptr: np.ndarray, idx: np.ndarray, rows: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Per item, whether any host of list ``rows[i]`` is among ``candidates[i]`` (a -1 padded row).

    >>> ptr, idx = _host_lists([(5,), (6, 7)])
    >>> _any_host(ptr, idx, np.array([0, 1, 1]), np.array([[5, -1], [8, -1], [9, 7]])).tolist()
    [True, False, True]
    """
    n = ptr[rows + 1] - ptr[rows]
    item = np.repeat(np.arange(len(rows)), n)
    offset = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    host = idx[np.repeat(ptr[rows], n) + offset]
    hit = (candidates[item] == host[:, None]).any(axis=1)
    return np.bincount(item[hit], minlength=len(rows)) > 0


def _common_parent(s: Structure, branches: list[int], allowed) -> str | None:  # noqa: ANN001
    """The lowest organisation above every branch that may hold a new branch."""
    parent = s.units.parent

    def chain(c: int) -> list[int]:
        out = []
        c = int(parent[c])
        while c >= 0:
            out.append(c)
            c = int(parent[c])
        return out

    common = chain(branches[0])
    for b in branches[1:]:
        up = set(chain(b))
        common = [c for c in common if c in up]
    for c in common:
        if allowed(c):
            return str(s.units.ids[c])
    return None
