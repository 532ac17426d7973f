"""joint-branches: host units with fewer than 3 full members join their neighbours in joint branches.

联合党支部 (RULES joint.when, joint.max_units, village.joint): units (villages, enterprises, small
firms, social organisations) whose full members number fewer than 3 cannot found a branch of
their own; they are grouped "by neighbouring area, similar trade, suitable size, ease of
management" into joint branches of at most 5 units each.

What counts as a unit's members: the members of a branch built on that host alone (its own,
too-small branch), plus (``catch_all``) members whose ``home_host`` lies in the host but whose
relation sits in a catch-all branch: one tagged ``comprehensive``, one built on no host, or one
built on a coarser host the unit is part of (a township's or street's branch). A unit with
members but fewer than ``min_full`` full members is a candidate.

Grouping (``group_by``):

- ``neighbourhood``: candidates linked by ``adjacent_to`` form connected pools; candidates with no
  adjacent candidate are pooled by their common parent host (``part_of``: the same township or
  street);
- ``trade``: candidates carrying a tag ``<trade_tag_prefix><trade>`` (or an attribute named after
  the prefix) are pooled by trade; candidates without a trade fall back to neighbourhood.

Within a pool, joint branches are grown region by region from the most peripheral candidate,
adding adjacent candidates until the branch reaches ``min_full`` full members and an even share
of the pool's units, never more than ``max_units`` units. A group still short of ``min_full``
full members merges into an adjacent group (else one with the same parent host) with room; if
none has room, its units are left as they are and the plan records why on each host.

Each joint branch is a new branch ``built_on`` all its hosts (joint is derived from that), under
``parent`` (default: the lowest common organisation above the branches its members come from).
The old tiny branches are dissolved into it (their groups dissolved first: members leave them;
other child units move to the joint branch); catch-all members move into it.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

import networkx as nx
import numpy as np
from orgmodel_party import ROLE_TEMPLATES, CommitteeRule, backbone_mask, propose_branch_roles
from pydantic import BaseModel, ConfigDict, Field

from orgmodel import (
    Strategy,
    Structure,
    UserError,
    ancestor_codes,
    ancestor_where,
    common_ancestor,
    first_allowed_ancestor,
)

from .limits import RuleBound, with_rule_defaults
from .packing import Groups
from .split_branch import branch_kind_mask, new_key
from .reach import free_hosts, free_members, free_parent, free_to_rebuild
from .units import require_parent

#: Where the size parameters take their defaults: a joint branch covers at most 5 units
#: (joint.max_units) and joins units with fewer than 3 full members each (joint.when).
RULE_DEFAULTS = {"max_units": RuleBound("joint.max_units", "max"), "min_full": RuleBound("joint.when", "max")}

__all__ = ["JointBranches"]

DEFAULT_HOST_KINDS = ("party.village", "party.enterprise", "party.social_org")


class JointBranches(Strategy):
    """Group host units with fewer than min_full full members into joint branches (联合党支部)."""

    name = "joint-branches"
    #: Size parameters whose default is a rule of the rules in force (see ``limits``).
    rule_defaults = RULE_DEFAULTS
    label_zh = "组建联合党支部"
    label_en = "joint branches for small units"
    description = (
        "Units (villages, enterprises, small firms) with fewer than 3 full members are grouped by "
        "neighbourhood or trade into joint branches of at most max_units units, each with at least "
        "min_full full members; their tiny branches are dissolved into the joint branch."
    )
    templates = {
        **ROLE_TEMPLATES,
        "joint_branch": {
            "zh": "按{basis_zh}将{n}个单位组建为{name}：各单位正式党员{counts_zh}，均不足{min_full}名；"
            "合计正式党员{full}名、党员{size}名{note_zh}",
            "en": "{name} joins {n} units by {basis_en}: full members {counts_en}, each fewer than {min_full}; "
            "together {full} full and {size} members{note_en}",
        },
        "dissolve_tiny": {
            "zh": "{unit}仅有{full}名正式党员（不足{min_full}名），撤销并将{size}名党员转入{name}",
            "en": "{unit} has only {full} full members (fewer than {min_full}): dissolved, its {size} members "
            "move to {name}",
        },
        "group_dissolved": {
            "zh": "{group}随{unit}撤销，组员转入{name}",
            "en": "{group} ends with {unit}; its members move to {name}",
        },
        "from_catch_all": {
            "zh": "{n}名居住或工作在{host}的党员原在{source}，转入{name}",
            "en": "{n} members who live or work in {host} were in {source}: they move to {name}",
        },
        "empty_parent": {
            "zh": "{unit}下的支部已并入联合党支部，{unit}不再有下属组织和党员，一并撤销",
            "en": "the branches under {unit} joined joint branches; with no unit and no member left, {unit} is dissolved",
        },
        "catch_all_empty": {
            "zh": "{unit}的{n}名党员全部转入联合党支部，撤销该支部",
            "en": "all {n} members of {unit} moved to joint branches: it is dissolved",
        },
        "group_emptied": {
            "zh": "{group}的党员全部转入联合党支部，撤销该党小组",
            "en": "every member of {group} moved to a joint branch: the group is dissolved",
        },
        "left_alone": {
            "zh": "{host}仅有{full}名正式党员，但{why_zh}，未能组建联合党支部，需上级党组织另行安排",
            "en": "{host} has only {full} full members, but {why_en}: no joint branch formed; the higher "
            "organisation must decide",
        },
    }

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid")

        group_by: Literal["neighbourhood", "trade"] = Field(
            "neighbourhood", description="neighbourhood: adjacent_to between hosts, else the common parent host; "
            "trade: the host's trade tag, else neighbourhood"
        )
        max_units: int | None = Field(None, ge=1, le=20, description="most host units in one joint branch"
                                      " (default: the rule joint.max_units, as a rule 5)")
        min_full: int | None = Field(None, ge=1, le=50, description="full members a unit needs for a branch of its own"
                                     " (default: the rule joint.when, 3)")
        host_kinds: list[str] | None = Field(
            None, description="host kinds that may be joined; default party.village, party.enterprise, party.social_org"
        )
        trade_tag_prefix: str = Field("trade:", min_length=1, description="group_by=trade: tag prefix naming a host's trade")
        catch_all: bool = Field(True, description="also gather members whose home_host is the unit but who sit in a catch-all branch")
        parent: str | None = Field(None, description="organisation unit the joint branches sit under; default the lowest common "
                                   "parent of the branches their members come from")
        propose_roles: bool = Field(True, description="propose a secretary (and from 7 full members, the rule committee.when,"
                                    " a committee of 3, 5 from 25) for each joint branch from its members, backbone first")

    # -- propose ---------------------------------------------------------------------------------

    contract_params = ({}, {"group_by": "trade", "max_units": 2})  # what the contract kit checks it with

    def propose(self, ctx: Any, params: Any) -> Any:
        s: Structure = ctx.structure
        params = with_rule_defaults(ctx.rules, self.name, params, self.rule_defaults)
        plan = ctx.plan()
        kinds = self._host_kinds(s, params)
        if params.parent is not None:
            require_parent(s, self.name, "parent", params.parent, self._branch_kind(s, []))
        in_scope = free_hosts(ctx)
        u = s.units
        is_host_kind = np.isin(u.kind, [s.kinds.code(k) for k in kinds]) & ~u.dissolved
        branch = branch_kind_mask(s)

        # branches built on exactly one host of a joinable kind: that host's own branch
        e = s.built_on_edges
        n_hosts = np.bincount(e.src, minlength=s.n_units)
        single = (n_hosts == 1)[e.src] & branch[e.src]
        own_host = np.full(s.n_units, -1, dtype=np.int64)
        own_host[e.src[single]] = e.dst[single]
        own_host[~branch] = -1
        own_host[(own_host >= 0) & ~is_host_kind[np.maximum(own_host, 0)]] = -1
        own_host = np.where(own_host >= 0, own_host, -1)

        # the joinable host (finest) a home_host lies in
        nearest = np.full(s.n_units, -1, dtype=np.int64)
        hosts = np.flatnonzero(~s.kinds.is_org[u.kind] & ~u.dissolved)
        nearest[hosts] = ancestor_where(s, hosts, is_host_kind)

        active = s.members["active"]
        mb = s.members["branch"].astype(np.int64)
        home = s.members["home_host"].astype(np.int64)
        owner = np.where(active, own_host[mb], -1)
        moved_from_catch_all = np.zeros(s.n_members, dtype=bool)
        if params.catch_all:
            cand = np.flatnonzero(active & (owner < 0) & (home >= 0) & free_members(ctx))
            near = nearest[home[cand]]
            cand, near = cand[near >= 0], near[near >= 0]
            if len(cand):
                pairs, inverse = np.unique(np.stack([mb[cand], near]), axis=1, return_inverse=True)
                ok = np.array([self._is_catch_all(s, int(b), int(h), n_hosts) for b, h in pairs.T.tolist()], dtype=bool)
                hit = ok[inverse.ravel()]
                owner[cand[hit]] = near[hit]
                moved_from_catch_all[cand[hit]] = True

        held = owner >= 0
        size = np.bincount(owner[held], minlength=s.n_units)
        full = np.bincount(owner[held], weights=s.full_mask[held].astype(float), minlength=s.n_units).astype(np.int64)
        own_in_scope = np.zeros(s.n_units, dtype=bool)
        own_branches = np.flatnonzero(own_host >= 0)
        own_in_scope[own_host[own_branches[in_scope[own_branches]]]] = True
        # a host whose own branch (or a group under it) is locked or outside the scope is left alone
        held_back = np.zeros(s.n_units, dtype=bool)
        held_back[own_host[own_branches[~free_to_rebuild(ctx, parent=False)[own_branches]]]] = True
        candidate = is_host_kind & (size > 0) & (full < params.min_full) & (in_scope | own_in_scope) & ~held_back
        cands = np.flatnonzero(candidate).tolist()
        if not cands:
            return plan.build()

        regions, left = self._regions(s, cands, full, params)
        committee = CommitteeRule.from_rules(ctx.rules, strategy=self.name) if params.propose_roles else None
        roles = None if committee is None else (committee, backbone_mask(s),
                                                ctx.as_of.isoformat() if isinstance(ctx.as_of, dt.date) else None)
        dissolved: set[int] = set()
        parents: set[str | None] = set()
        joined: set[int] = set()
        # units by their own host and members by the host holding them, grouped once for every region
        by_host = _ByHost(Groups(np.where(branch, own_host, -1), s.n_units), Groups(owner, s.n_units))
        for region, basis in regions:
            gone, parent = self._emit_joint(ctx, s, plan, region, basis, params, owner, own_host, moved_from_catch_all,
                                            size, full, roles, by_host=by_host)
            dissolved.update(gone)
            parents.add(parent)
            joined.update(region)
        self._emit_empty_parents(s, plan, dissolved, parents, joined)
        self._emit_empty_catch_alls(s, plan, owner, moved_from_catch_all, joined, regions)
        for host, why in left:
            self._emit_left(s, plan, host, why, full, params)
        return plan.build()

    # -- checks ----------------------------------------------------------------------------------

    def _host_kinds(self, s: Structure, params: Any) -> list[str]:
        if params.host_kinds is None:
            return [k for k in DEFAULT_HOST_KINDS if k in s.kinds]
        for kind in params.host_kinds:
            if kind not in s.kinds:
                raise UserError(f"{self.name}: params.host_kinds: unknown kind {kind!r} (domain pack {s.kinds.name})")
            if s.kinds[kind].role != "host":
                raise UserError(f"{self.name}: params.host_kinds: {kind!r} is an organisation kind, not a host kind")
        return list(params.host_kinds)

    @staticmethod
    def _branch_kind(s: Structure, sources: list[int]) -> str:
        for b in sources:
            return s.kinds[int(s.units.kind[b])].id
        return next(k.id for k in s.kinds if k.relation == "branch" and not k.id.startswith("core."))

    @staticmethod
    def _is_catch_all(s: Structure, branch: int, host: int, n_hosts: np.ndarray) -> bool:
        """A branch that gathers members of several places: comprehensive, hostless, or on a coarser host."""
        if "comprehensive" in s.units.tags[branch]:
            return True
        if n_hosts[branch] == 0:
            return True
        if n_hosts[branch] == 1:
            on = int(s.built_on_edges.targets(branch)[0])
            return on != host and on in ancestor_codes(s, host)
        return False

    # -- grouping --------------------------------------------------------------------------------

    def _regions(self, s: Structure, cands: list[int], full: np.ndarray, params: Any):  # noqa: ANN202
        pools: list[tuple[_Pool, str]] = []
        rest = list(cands)
        if params.group_by == "trade":
            trade_of = {c: self._trade(s, c, params.trade_tag_prefix) for c in cands}
            trades = sorted({t for t in trade_of.values() if t is not None})
            for trade in trades:
                members = [c for c in cands if trade_of[c] == trade]
                pools.append((_Pool(members, parent=s.units.parent), f"trade:{trade}"))
            rest = [c for c in cands if trade_of[c] is None]
        pools.extend(self._neighbourhood_pools(s, rest))
        regions: list[tuple[list[int], str]] = []
        for graph, basis in pools:
            regions.extend((r, basis) for r in _grow(graph, full, params.max_units, params.min_full))
        regions = self._merge_by_parent(s, regions, full, params)
        good = [(r, b) for r, b in regions if int(full[r].sum()) >= params.min_full and len(r) >= 2]
        left: list[tuple[int, tuple[str, str]]] = []
        for r, _ in regions:
            if int(full[r].sum()) >= params.min_full and len(r) >= 2:
                continue
            total = int(full[r].sum())
            if params.max_units == 1:
                why = ("params.max_units=1 不允许联合", "params.max_units=1 allows no joining")
            else:
                why = (f"可与之联合的单位（相邻或同属一个上级单位）合计只有{total}名正式党员，或已达{params.max_units}个单位的上限",
                       f"the units it could join (adjacent, or under the same parent host) have {total} full "
                       f"members in all, or are at the limit of {params.max_units} units")
            left.extend((h, why) for h in r)
        good.sort(key=lambda rb: rb[0][0])
        left.sort()
        return good, left

    @staticmethod
    def _merge_by_parent(s: Structure, regions: list[tuple[list[int], str]], full: np.ndarray,
                         params: Any) -> list[tuple[list[int], str]]:
        """Groups still short of min_full join a group under the same parent host that has room."""
        regions = list(regions)
        changed = True
        while changed:
            changed = False
            for i, (r, basis) in enumerate(regions):
                if int(full[r].sum()) >= params.min_full or basis.startswith("trade:"):
                    continue
                parents = {int(s.units.parent[h]) for h in r}
                options = [
                    j for j, (o, b) in enumerate(regions)
                    if j != i and not b.startswith("trade:") and len(o) + len(r) <= params.max_units
                    and parents & {int(s.units.parent[h]) for h in o}
                ]
                if not options:
                    continue
                j = min(options, key=lambda t: (int(full[regions[t][0]].sum()), regions[t][0][0]))
                other, other_basis = regions[j]
                common = sorted(parents & {int(s.units.parent[h]) for h in other})[0]
                merged = (sorted(other + r), other_basis if other_basis.startswith("parent:") else f"parent:{common}")
                regions = [x for t, x in enumerate(regions) if t not in (i, j)] + [merged]
                changed = True
                break
        return sorted(regions, key=lambda rb: rb[0][0])

    @staticmethod
    def _trade(s: Structure, code: int, prefix: str) -> str | None:
        for tag in sorted(s.units.tags[code]):
            if tag.startswith(prefix) and len(tag) > len(prefix):
                return tag[len(prefix):]
        value = s.units.attrs[code].get(prefix.rstrip(":"))
        return None if value in (None, "") else str(value)

    @staticmethod
    def _neighbourhood_pools(s: Structure, cands: list[int]) -> list[tuple[_Pool, str]]:
        g = nx.Graph()
        g.add_nodes_from(cands)
        e = s.adjacency_edges
        inside = np.isin(e.src, cands) & np.isin(e.dst, cands)
        g.add_edges_from(zip(e.src[inside].tolist(), e.dst[inside].tolist(), strict=True))
        pools: list[tuple[_Pool, str]] = []
        isolated: dict[int, list[int]] = {}
        for comp in sorted((sorted(c) for c in nx.connected_components(g)), key=lambda c: c[0]):
            if len(comp) > 1:
                pools.append((_Pool(comp, graph=g.subgraph(comp).copy()), "neighbourhood"))
            else:
                isolated.setdefault(int(s.units.parent[comp[0]]), []).append(comp[0])
        for parent in sorted(isolated):
            pools.append((_Pool(isolated[parent], parent=s.units.parent), f"parent:{parent}"))
        return pools

    # -- writing the plan ------------------------------------------------------------------------

    def _emit_joint(self, ctx: Any, s: Structure, plan: Any, region: list[int], basis: str, params: Any, owner: np.ndarray,
                    own_host: np.ndarray, from_catch_all: np.ndarray, size: np.ndarray,
                    full: np.ndarray, roles: Any = None, by_host: _ByHost | None = None) -> tuple[list[int], str | None]:
        names = [str(s.units.name[h]) for h in region]
        if by_host is None:
            by_host = _ByHost(Groups(np.where(branch_kind_mask(s), own_host, -1), s.n_units), Groups(owner, s.n_units))
        own = by_host.units(region).tolist()  # the region's own branches, in code order
        held = by_host.members(region)  # members held by the region's hosts, in code order
        movers = held[from_catch_all[held]]
        sources = own + sorted(set(s.members["branch"][movers].astype(int).tolist()))
        kind = self._branch_kind(s, sources)
        label = s.kinds[kind].label_zh
        joined = "、".join(names) if len(names) <= 3 else f"{'、'.join(names[:2])}等{len(names)}个单位"
        name = f"{joined}联合{label}"
        parent = params.parent if params.parent is not None else self._common_parent(s, sources, kind)
        free_parent(ctx, self.name, parent)
        basis_zh, basis_en = self._basis(s, basis)
        counts_zh = "、".join(f"{nm}（{int(full[h])}名）" for nm, h in zip(names, region, strict=True))
        counts_en = ", ".join(f"{nm} {int(full[h])}" for nm, h in zip(names, region, strict=True))
        note = ("，超过5个单位，须经批准", "; more than 5 units needs approval") if len(region) > 5 else ("", "")
        why = ("joint_branch", {"basis_zh": basis_zh, "basis_en": basis_en, "n": len(region), "name": name,
                                "counts_zh": counts_zh, "counts_en": counts_en, "min_full": params.min_full,
                                "full": int(full[region].sum()), "size": int(size[region].sum()),
                                "note_zh": note[0], "note_en": note[1]})
        ref = plan.create_unit(plan_ref(s, region)[len("new:"):], kind=kind, name=name,
                               parent=parent, built_on=[str(s.units.ids[h]) for h in region],
                               attrs={"grouped_by": basis if not basis.startswith("parent:") else "parent"},
                               reason=why)
        for b in own:
            bid, bname = str(s.units.ids[b]), str(s.units.name[b])
            others = []
            for child in s.child_codes(b).tolist():
                if s.kinds.is_group[s.units.kind[child]]:
                    plan.dissolve(str(s.units.ids[child]), reason=("group_dissolved", {
                        "group": str(s.units.name[child]), "unit": bname, "name": name}))
                else:
                    others.append(child)
            plan.dissolve(bid, members_to=ref, children_to=ref if others else None, reason=("dissolve_tiny", {
                "unit": bname, "full": int(s.size(bid, full_only=True)), "min_full": params.min_full,
                "size": int(s.size(bid)), "name": name}))
        ids = s.members.ids
        mb = s.members["branch"]
        for h in region:
            mine = movers[owner[movers] == h]
            for b in sorted(set(mb[mine].tolist())):
                group = mine[mb[mine] == b]
                plan.move(ids[group].tolist(), to=ref, reason=("from_catch_all", {
                    "n": len(group), "host": str(s.units.name[h]), "source": str(s.units.name[b]), "name": name}))
        if roles is not None:
            committee, backbone, since = roles
            propose_branch_roles(s, plan, ref, name, held, committee=committee,
                                 backbone=backbone, since=since)
        return own, parent

    def _emit_empty_catch_alls(self, s: Structure, plan: Any, owner: np.ndarray, from_catch_all: np.ndarray,
                               joined: set[int], regions: list[tuple[list[int], str]]) -> None:
        """A catch-all branch whose every active member moved to joint branches is dissolved."""
        moved = from_catch_all & np.isin(owner, sorted(joined))
        if not moved.any():
            return
        mb = s.members["branch"]
        sizes = s.sizes()
        gone = np.bincount(mb[moved], minlength=s.n_units)
        moved_from = Groups(np.where(moved, mb, -1), s.n_units)
        region_of = np.full(s.n_units, -1, dtype=np.int64)  # host -> the first region it is in
        for i, (r, _) in reversed(list(enumerate(regions))):
            region_of[r] = i
        for b in np.flatnonzero((gone > 0) & (gone == sizes)).tolist():
            kids = s.child_codes(b).tolist()
            if any(not s.kinds.is_group[s.units.kind[c]] for c in kids):
                continue
            # where most of its members went: the first region holding the most of them
            counts = np.bincount(region_of[owner[moved_from[b]]], minlength=len(regions))
            region = regions[int(np.argmax(counts))][0]
            into = plan_ref(s, region)
            for c in kids:
                plan.dissolve(str(s.units.ids[c]), reason=("group_emptied", {"group": str(s.units.name[c])}))
            plan.dissolve(str(s.units.ids[b]), members_to=into, reason=("catch_all_empty", {
                "unit": str(s.units.name[b]), "n": int(gone[b])}))

    def _emit_empty_parents(self, s: Structure, plan: Any, dissolved: set[int], parents: set[str | None],
                            joined: set[int]) -> None:
        """A unit left with no child, no member and built only on joined hosts is dissolved too."""
        for p in sorted({int(s.units.parent[b]) for b in dissolved} - {-1}):
            pid = str(s.units.ids[p])
            hosts = s.built_on_edges.targets(p).tolist()
            if pid in parents or not hosts or not set(hosts) <= joined or s.sizes()[p] > 0:
                continue
            if not all(c in dissolved for c in s.child_codes(p).tolist()):
                continue
            plan.dissolve(pid, reason=("empty_parent", {"unit": str(s.units.name[p]),
                                                        "host": str(s.units.name[hosts[0]])}))

    def _emit_left(self, s: Structure, plan: Any, host: int, why: tuple[str, str], full: np.ndarray, params: Any) -> None:
        plan.set_attributes(str(s.units.ids[host]), attrs={"joint_status": "not joined"}, reason=("left_alone", {
            "host": str(s.units.name[host]), "full": int(full[host]), "why_zh": why[0], "why_en": why[1]}))

    @staticmethod
    def _basis(s: Structure, basis: str) -> tuple[str, str]:
        if basis.startswith("trade:"):
            trade = basis[len("trade:"):]
            return f"同行业（{trade}）", f"trade ({trade})"
        if basis.startswith("parent:"):
            code = int(basis[len("parent:"):])
            if code < 0:
                return "同一范围（无相邻关系和上级单位记录）", "the same scope (no adjacency or parent host recorded)"
            name = str(s.units.name[code])
            return f"同属{name}（无相邻关系记录）", f"common parent {name} (no adjacency recorded)"
        return "相邻区域", "neighbouring area"

    @staticmethod
    def _common_parent(s: Structure, sources: list[int], kind: str) -> str | None:
        """The nearest unit above every source that may hold a ``kind``; None if they share none."""
        parents = [int(s.units.parent[b]) for b in sources]
        if not parents or min(parents) < 0:
            return None
        return first_allowed_ancestor(s, common_ancestor(s, s.units.ids[parents].tolist()), kind)


def plan_ref(s: Structure, region: list[int]) -> str:
    """The plan reference (``new:KEY``) of the joint branch of a group of hosts."""
    return "new:" + new_key("joint", str(s.units.ids[region[0]]), len(region))


class _ByHost:
    """Live branches by their own host and members by the host holding them (``Groups`` each), so
    that a region's are found without a scan of every unit and member per region."""

    def __init__(self, units: Groups, members: Groups) -> None:
        self._units, self._members = units, members

    def units(self, region: list[int]) -> np.ndarray:
        return np.unique(np.concatenate([self._units[h] for h in region])) if region else np.zeros(0, np.int64)

    def members(self, region: list[int]) -> np.ndarray:
        return np.unique(np.concatenate([self._members[h] for h in region])) if region else np.zeros(0, np.int64)


class _Pool:
    """Units that may be grouped: either a graph of adjacency, or complete (same trade or parent host).

    A complete pool is not stored as a graph (n² edges): every free unit neighbours every other,
    and units under the same parent host as the group are preferred.
    """

    def __init__(self, nodes: list[int], *, graph: nx.Graph | None = None, parent: np.ndarray | None = None) -> None:
        self.nodes = sorted(nodes)
        self.graph = graph
        self.parent = parent

    def free_degree(self, v: int, free: set[int]) -> int:
        if self.graph is None:
            return len(free) - (v in free)
        return sum(1 for w in self.graph[v] if w in free)

    def frontier(self, region: list[int], free: set[int]) -> list[int]:
        if self.graph is None:
            return sorted(free)
        return sorted({w for v in region for w in self.graph[v] if w in free})

    def pick_key(self, v: int, region: list[int], free: set[int]) -> tuple[int, int, int]:
        if self.graph is None:
            assert self.parent is not None
            near = 0 if any(self.parent[v] == self.parent[r] for r in region) else 1
            return (near, 0, v)
        return (0, self.free_degree(v, free), v)

    def adjacent(self, r1: list[int], r2: list[int]) -> bool:
        if self.graph is None:
            return True
        return any(w in r2 for v in r1 for w in self.graph[v])


def _grow(pool: _Pool, full: np.ndarray, max_units: int, min_full: int) -> list[list[int]]:
    """Cut a pool into connected groups of at most ``max_units`` units, each reaching ``min_full`` full if it can.

    Groups are grown from the most peripheral free unit (fewest free neighbours), adding the most
    peripheral free neighbour (in a complete pool: one under the same parent host first), until
    the group has ``min_full`` full members and an even share of the pool's units; a group still
    short merges into an adjacent group with room.
    """
    nodes = pool.nodes
    n = len(nodes)
    per = math.ceil(n / math.ceil(n / max_units)) if n else 0
    free = set(nodes)
    regions: list[list[int]] = []
    while free:
        seed = min(free, key=lambda v: (pool.free_degree(v, free), v))
        region = [seed]
        free.discard(seed)
        total = int(full[seed])
        while len(region) < max_units and (total < min_full or len(region) < per):
            frontier = pool.frontier(region, free)
            if not frontier:
                break
            pick = min(frontier, key=lambda v: pool.pick_key(v, region, free))
            region.append(pick)
            free.discard(pick)
            total += int(full[pick])
        regions.append(sorted(region))

    changed = True
    while changed:
        changed = False
        for i, r in enumerate(regions):
            if int(full[r].sum()) >= min_full:
                continue
            options = [j for j, o in enumerate(regions)
                       if j != i and len(o) + len(r) <= max_units and pool.adjacent(r, o)]
            if options:
                j = min(options, key=lambda t: (int(full[regions[t]].sum()), regions[t][0]))
                regions[j] = sorted(regions[j] + r)
                del regions[i]
                changed = True
                break
    return regions
