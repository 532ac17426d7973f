"""院落党支部 / 楼栋党小组 / 网格化: "committee in the community, branch in the courtyard, group in the building" (seed 003).

An oversized residential branch is upgraded in place (``retype`` to a general branch or a
committee, keeping its id) and its members are re-cut by where they live:

* ``by="courtyard"``: one branch per courtyard (院落党支部, tagged ``courtyard``), one group per
  building inside it (楼栋党小组); courtyards with fewer than ``min_full`` full members are joined
  with the next ones into a joint courtyard branch.
* ``by="grid"``: one branch per grid (网格党支部). Existing ``party.grid`` hosts are used when the
  members live in them; otherwise grids are generated: courtyards (whole, when they fit) and
  buildings are packed in code order into grids of at most ``grid_members`` members or
  ``grid_households`` households, a ``party.grid`` host is created for each and the courtyards and
  buildings are attached to it (``part_of``).

Members are placed by ``home_host`` (building → courtyard → grid). Members with no home inside the
branch's area are placed in the branch that most of their old party group went to, and failing
that in the smallest new branch; the reasons count them.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
from orgmodel_party import ROLE_TEMPLATES, CommitteeRule, backbone_mask, propose_branch_roles
from pydantic import BaseModel, ConfigDict, Field, model_validator

from orgmodel import Strategy, UserError, allows_parent, ancestor_of_kind, units_under_host, zh_numeral

from .limits import MAX_SIZE, MIN_FULL, with_rule_defaults
from .naming import join_names, ordinal
from .packing import distinct, merge_small, pack_balanced, pack_greedy
from .reach import free_to_rebuild
from .units import members_by_unit, name, require_unit, unit_value, within_own

GRID_PARENTS = ("party.residential_area", "party.community", "party.village")


class CourtyardGrid(Strategy):
    """Re-cut an oversized residential branch into courtyard (or grid) branches with building groups."""

    name = "courtyard-grid"
    #: Size parameters whose default is a rule of the rules in force (see ``limits``).
    rule_defaults = {"over": MAX_SIZE, "min_full": MIN_FULL}
    label_zh = "院落党支部与楼栋党小组"
    label_en = "courtyard branches and building groups"
    description = (
        "an oversized residential branch becomes a general branch (or committee); one branch per courtyard "
        "or grid, one group per building; members placed by where they live"
    )
    templates = {
        **ROLE_TEMPLATES,
        "upgrade": {
            "zh": "{unit}有{size}名党员，超过{over}人，按“党委建在社区、支部建在院落、党小组建在楼栋”的思路升格为{kind}，下设{n}个{by}党支部",
            "en": "{unit} has {size} members (over {over}): upgraded to a {kind_en} with {n} {by_en} branches under it (committee in the community, branch in the courtyard, group in the building)",
        },
        "dissolve_parent": {
            "zh": "{unit}有{size}名党员，超过{over}人；其上级{parent}不能再设{kind}，故撤销{unit}，{n}个{by}党支部直接隶属{parent}",
            "en": "{unit} has {size} members (over {over}); its parent {parent} cannot hold another level, so {unit} is dissolved and the {n} {by_en} branches sit under {parent}",
        },
        "old_group": {
            "zh": "{group}随{unit}重新按居住地编组而撤销，原{size}名党员编入新的楼栋党小组",
            "en": "{group} is dissolved as {unit} is re-cut by residence; its {size} members join the new building groups",
        },
        "grid_host": {
            "zh": "划分{unit}：含{items}，{measure}",
            "en": "grid {unit} made of {items}: {measure_en}",
        },
        "grid_part": {
            "zh": "{item}划入{grid}",
            "en": "{item} is part of {grid}",
        },
        "block_branch": {
            "zh": "在{hosts}建立{unit}：{size}名党员（正式{full}名），{groups}个楼栋党小组{joint}{note}",
            "en": "{unit} on {hosts}: {size} members ({full} full), {groups} building groups{joint_en}{note_en}",
        },
        "building_group": {
            "zh": "{buildings}的{size}名党员组成{unit}",
            "en": "the {size} members living in {buildings} form {unit}",
        },
        "place_home": {
            "zh": "{n}名党员按居住地编入{unit}（其中行动不便{limited}名，就近参加组织生活）",
            "en": "{n} members placed in {unit} by where they live ({limited} with limited mobility, who can attend close to home)",
        },
        "place_group": {
            "zh": "{n}名党员无本片区居住信息，随原党小组多数成员编入{unit}",
            "en": "{n} members with no home in the area follow most of their old group into {unit}",
        },
        "place_smallest": {
            "zh": "{n}名党员无本片区居住信息且无原党小组可依，编入当时人数最少的{unit}",
            "en": "{n} members with no home in the area and no old group to follow join the smallest branch, {unit}",
        },
    }

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid")

        unit: str | None = Field(None, description="the oversized branch (default: every branch in the step's scope over `over` members whose groups are free)")
        by: Literal["courtyard", "grid"] = Field("courtyard", description="one branch per courtyard or per grid")
        over: int | None = Field(None, ge=1, description="a branch with more members than this is re-cut (when unit is"
                                 " not given; default: the rule branch.max_size)")
        grid_members: int | None = Field(None, ge=3, description="by=grid: members per generated grid (default 40)")
        grid_households: int | None = Field(
            None, ge=1, description="by=grid: households per generated grid (local rule: 300-500, 100-300 in old estates)"
        )
        retype_to: Literal["auto", "general_branch", "committee"] = Field(
            "auto", description="the upgraded unit: auto = general branch up to 100 members, committee above"
        )
        min_full: int | None = Field(None, ge=1, description="courtyards/grids with fewer full members are joined with the"
                                     " next (default: the rule branch.min_full)")
        min_group: int = Field(3, ge=1, description="buildings with fewer members share a group with the next")
        propose_roles: bool = Field(True, description="propose a secretary (and from 7 full members, the rule committee.when,"
                                    " a committee of 3, 5 from 25) for each new branch from the members placed in it, backbone first")

        @model_validator(mode="after")
        def _one_grid_measure(self):
            if self.grid_members is not None and self.grid_households is not None:
                raise ValueError("give grid_members or grid_households, not both")
            if self.by == "courtyard" and (self.grid_members is not None or self.grid_households is not None):
                raise ValueError("grid_members and grid_households are only used with by='grid'")
            return self

    def contract_structures(self, kinds):
        """A residential branch over courtyards and buildings, for the contract kit (its baselines have none)."""
        from orgmodel_seed_strategies.examples import courtyards

        return {"courtyards": courtyards(kinds)}

    def propose(self, ctx, params):
        s = ctx.structure
        params = with_rule_defaults(ctx.rules, self.name, params, self.rule_defaults)
        free = free_to_rebuild(ctx, parent=False)  # the branch is retyped in place and its groups re-cut
        if params.unit is not None:
            require_unit(s, self.name, "unit", params.unit, kinds=("party.branch",))
            if not free[s.unit_code(params.unit)]:
                raise UserError(f"strategy {self.name}: params.unit: {params.unit!r} or a group under it is locked or"
                                " outside the step's scope")
            units = [params.unit]
        else:
            sizes = s.sizes()
            units = [u for u in s.unit_ids("party.branch")
                     if sizes[s.unit_code(u)] > params.over and free[s.unit_code(u)]]
            if not units:
                raise UserError(f"strategy {self.name}: params.unit: no branch in scope has more than {params.over} members")
        plan = ctx.plan()
        committee = CommitteeRule.from_rules(ctx.rules, strategy=self.name) if params.propose_roles else None
        roles = None if committee is None else (committee, backbone_mask(s),
                                                ctx.as_of.isoformat() if isinstance(ctx.as_of, dt.date) else None)
        homes = _Homes(s, units)
        for i, unit in enumerate(units):
            self._recut(ctx, params, plan, unit, f"u{i}", roles, homes.of(i))
        return plan.build()

    # -- one branch ---------------------------------------------------------------------------

    def _recut(self, ctx, params, plan, unit: str, key: str, roles, where) -> None:
        s = ctx.structure
        hosts = s.built_on(unit)
        if not hosts:
            raise UserError(f"strategy {self.name}: params.unit: {unit!r} is built on no host, so courtyards cannot be found")
        codes, home, area, building, court = where
        if params.by == "courtyard":
            blocks, of_member, grid_ops = self._courtyards(s, unit, court, area)
        else:
            blocks, of_member, grid_ops = self._grids(ctx, params, unit, hosts, codes, home, area, key)
        # blocks: (host refs, name) of courtyards or grids in order; of_member: block index per member or -1
        blocks, of_member = self._split_oversized(s, blocks, of_member, building, params.over)
        full = s.full_mask[codes]
        placed = of_member >= 0
        block_full = np.bincount(of_member[placed], weights=full[placed], minlength=len(blocks)).astype(np.int64)
        merged = merge_small([[b] for b in range(len(blocks))], block_full.tolist(), params.min_full)
        branch_of_block = np.full(len(blocks), -1, dtype=np.int64)
        for j, chunk in enumerate(merged):
            branch_of_block[chunk] = j
        dest = np.where(placed, branch_of_block[np.maximum(of_member, 0)], -1)
        # members with no home in the area: follow their old group, else the smallest branch
        group = s.members["group"][codes].astype(np.int64)
        follow = (dest < 0) & (group >= 0)
        if follow.any():
            groups, modal_dest = _modal_by_key(group[(group >= 0) & (dest >= 0)], dest[(group >= 0) & (dest >= 0)])
            at = np.minimum(np.searchsorted(groups, group), max(len(groups) - 1, 0))
            follow &= (groups[at] == group) if len(groups) else False
            dest[follow] = modal_dest[at[follow]]
        lonely = np.flatnonzero(dest < 0)
        if len(lonely):
            counts = np.bincount(dest[dest >= 0], minlength=len(merged)).astype(np.int64)
            for idx in lonely.tolist():
                j = int(np.argmin(counts))
                dest[idx] = j
                counts[j] += 1
        how = np.where(follow, 1, 0)
        how[lonely] = 2

        # the upgraded (or dissolved) unit
        size = len(codes)
        parent = s.parent(unit)
        new_kind = self._new_kind(s, params, unit, parent, size)
        by_zh = "院落" if params.by == "courtyard" else "网格"
        host_name = name(s, hosts[0]) if len(hosts) == 1 else name(s, unit)
        unit_name = name(s, unit)
        common = {"unit": unit_name, "size": size, "over": params.over, "n": len(merged), "by": by_zh,
                  "by_en": params.by}
        for op in grid_ops:
            op(plan)
        sizes = s.sizes()
        unit_names, unit_ids = s.units.name, s.units.ids
        group_kind = s.kinds.code("party.group")
        for g in s.child_codes(s.unit_code(unit)).tolist():
            if s.units.kind[g] == group_kind:
                plan.dissolve(str(unit_ids[g]), reason=("old_group", {"group": str(unit_names[g]), "unit": unit_name,
                                                                      "size": int(sizes[g])}))
        if new_kind is not None:
            label = s.kinds[new_kind]
            new_name = label.name_template.format(host=host_name) if len(hosts) == 1 else None
            plan.retype(unit, kind=new_kind, name=new_name, reason=("upgrade", {
                **common, "kind": label.label_zh, "kind_en": label.label_en}))
            branch_parent = unit
        else:
            branch_parent = parent

        # branches, groups and moves, laid out for all the branches at once (see _Layout)
        lay = _Layout(s, codes, dest, how, building, len(merged), params.min_group)
        tags = ["courtyard"] if params.by == "courtyard" else []
        first_branch = None
        for j, chunk in enumerate(merged):
            hosts_j = [h for b in chunk for h in blocks[b][0]]
            names_j = [blocks[b][1] for b in chunk]
            joined_j = names_j[0] if len(chunk) == 1 else join_names(names_j)
            bname = joined_j + ("党支部" if len(chunk) == 1 else "联合党支部")
            groups = lay.groups[j]
            n_mine = lay.size[j]
            branch_ref = plan.create_unit(
                f"{key}b{j}", kind="party.branch", name=bname, parent=branch_parent, built_on=hosts_j, tags=tags,
                reason=("block_branch", {
                    "hosts": joined_j, "unit": bname, "size": n_mine, "full": lay.full[j],
                    "groups": len(groups), "joint": "（联合）" if len(chunk) > 1 else "",
                    "joint_en": " (joint)" if len(chunk) > 1 else "",
                    "note": f"；超过{params.over}人，可改按网格（by=grid）设置" if n_mine > params.over else "",
                    "note_en": f"; over {params.over} members: consider by=grid" if n_mine > params.over else "",
                }))
            if first_branch is None:
                first_branch = branch_ref
            seg = lay.first_segment[j]
            for gi, gcodes in enumerate(groups):
                gnames = [str(unit_names[b]) for b in gcodes]
                joined = gnames[0] if len(gcodes) == 1 else join_names(gnames)
                gname = joined + "党小组"
                n_g = lay.count[seg + gi]
                gref = plan.create_unit(f"{key}b{j}g{gi}", kind="party.group", name=gname, parent=branch_ref,
                                        built_on=[str(unit_ids[b]) for b in gcodes],
                                        reason=("building_group", {"buildings": joined, "size": n_g, "unit": gname}))
                plan.move(lay.ids(seg + gi), to=branch_ref, group=gref, reason=("place_home", {
                    "n": n_g, "unit": f"{bname}{gname}", "limited": lay.limited[seg + gi]}))
            seg += len(groups)
            plan.move(lay.ids(seg), to=branch_ref, reason=("place_home", {
                "n": lay.count[seg], "unit": bname, "limited": lay.limited[seg]}))
            for k, reason in ((1, "place_group"), (2, "place_smallest")):
                plan.move(lay.ids(seg + k), to=branch_ref, reason=(reason, {"n": lay.count[seg + k], "unit": bname}))
            if roles is not None:
                committee, backbone, since = roles
                propose_branch_roles(s, plan, branch_ref, bname, lay.codes_of(j), committee=committee,
                                     backbone=backbone, since=since)
        if new_kind is None:
            children = [c for c in s.children(unit) if s.kind_of(c) != "party.group"]
            plan.dissolve(unit, members_to=first_branch, children_to=parent if children else None,
                          reason=("dissolve_parent", {**common, "parent": name(s, parent) if parent else "—",
                                                      "kind": "党总支或党委"}))

    def _new_kind(self, s, params, unit, parent, size) -> str | None:
        order = {"auto": ["party.general_branch", "party.committee"] if size <= 100 else ["party.committee", "party.general_branch"],
                 "general_branch": ["party.general_branch"], "committee": ["party.committee"]}[params.retype_to]
        for kind in order:
            if allows_parent(s, kind, parent):
                return kind
        if params.retype_to != "auto":
            raise UserError(
                f"strategy {self.name}: params.retype_to: a {order[0]} cannot sit under {parent!r} ({s.kind_of(parent)})"
            )
        return None

    # -- courtyards ---------------------------------------------------------------------------

    def _courtyards(self, s, unit, court, area):
        court = np.where(area, court, -1)
        blocks, inverse, _ = distinct(court)
        if not len(blocks) or blocks[-1] < 0:
            raise UserError(
                f"strategy {self.name}: params.by: no member of {unit!r} lives in a party.courtyard of its area;"
                " record courtyards and buildings (home_host) or use by='grid'"
            )
        has_none = blocks[0] < 0
        of_member = inverse.astype(np.int64) - int(has_none)  # -1: no courtyard in the area
        blocks = blocks[int(has_none):]
        ids, names = s.units.ids, s.units.name
        return [([str(ids[c])], str(names[c])) for c in blocks.tolist()], of_member, []

    @staticmethod
    def _split_oversized(s, blocks, of_member, building, over: int):
        """Blocks with more than ``over`` members are cut by building into balanced parts (第一片, 第二片...)
        of at most ``over`` where the buildings allow it (branch.max_size: 一般不超过50人); members
        of such a block with no building join its smallest part."""
        counts = np.bincount(of_member[of_member >= 0], minlength=len(blocks))
        if not (counts > over).any():
            return blocks, of_member
        out_blocks: list[tuple[list[str], str]] = []
        new_of = np.full(len(of_member), -1, dtype=np.int64)
        for b, (hosts_b, bname) in enumerate(blocks):
            mine = np.flatnonzero(of_member == b)
            blds, bcount = np.unique(building[mine][building[mine] >= 0], return_counts=True)
            if counts[b] <= over or len(blds) < 2:
                new_of[mine] = len(out_blocks)
                out_blocks.append((hosts_b, bname))
                continue
            parts = pack_balanced(bcount.tolist(), over)
            first = len(out_blocks)
            for k, part in enumerate(parts):
                refs = [str(s.units.ids[int(blds[i])]) for i in part]
                new_of[mine[np.isin(building[mine], blds[part])]] = first + k
                out_blocks.append((refs, f"{bname}第{zh_numeral(k + 1)}片"))
            for idx in mine[building[mine] < 0].tolist():  # no building recorded: the smallest part
                sizes = np.bincount(new_of[new_of >= first] - first, minlength=len(parts))
                new_of[idx] = first + int(np.argmin(sizes))
        return out_blocks, new_of

    # -- grids --------------------------------------------------------------------------------

    def _grids(self, ctx, params, unit, hosts, codes, home, area, key):
        s = ctx.structure
        grid = np.where(area, ancestor_of_kind(s, home, ["party.grid"]), -1)
        if (grid >= 0).any():
            if params.grid_members is not None or params.grid_households is not None:
                raise UserError(
                    f"strategy {self.name}: params.grid_members: {unit!r} already has party.grid hosts; grids are not generated"
                )
            blocks = sorted(set(grid[grid >= 0].tolist()))
            index = {c: i for i, c in enumerate(blocks)}
            of_member = np.array([index.get(c, -1) for c in grid.tolist()], dtype=np.int64)
            return [([str(s.units.ids[c])], name(s, str(s.units.ids[c]))) for c in blocks], of_member, []
        return self._generate(ctx, params, unit, hosts, codes, home, area, key)

    def _generate(self, ctx, params, unit, hosts, codes, home, area, key):
        s = ctx.structure
        courtyards, buildings_loose = [], []
        for h in hosts:
            courtyards += units_under_host(s, h, ["party.courtyard"])
            buildings_loose += [b for b in units_under_host(s, h, ["party.building"])
                                if s.kind_of(s.parent(b)) != "party.courtyard"]
        if not courtyards and not buildings_loose:
            raise UserError(
                f"strategy {self.name}: params.by: the area of {unit!r} has no party.courtyard or party.building hosts"
                " to make grids of"
            )
        by_households = params.grid_households is not None
        cap = params.grid_households if by_households else (params.grid_members or 40)
        all_home = s.members["home_host"]
        active = s.members["active"]
        member_building = ancestor_of_kind(s, home, ["party.building"])
        member_court = ancestor_of_kind(s, home, ["party.courtyard"])
        household_col = s.members.columns.get("household")

        def households(b: str) -> float:
            value = unit_value(s, b, "households")
            if value is not None:
                try:
                    return float(value)
                except (TypeError, ValueError):
                    raise UserError(
                        f"strategy {self.name}: params.grid_households: building {b!r} has households={value!r}, not a number"
                    ) from None
            if household_col is None:
                raise UserError(
                    f"strategy {self.name}: params.grid_households: building {b!r} has no `households` attribute"
                    " and there is no `household` member column"
                )
            living = (all_home == s.unit_code(b)) & active
            vals = [v for v in household_col[living].tolist() if v not in (None, "") and v == v]
            return float(len(set(vals)))

        def weight_building(b: str) -> float:
            if by_households:
                return households(b)
            return float((member_building == s.unit_code(b)).sum())

        items: list[tuple[int, str, float]] = []  # (code, host id, weight)
        split_courts: dict[str, list[str]] = {}
        for c in courtyards:
            blds = units_under_host(s, c, ["party.building"])
            w = sum(weight_building(b) for b in blds)
            if not by_households:
                w += float(((member_court == s.unit_code(c)) & (member_building < 0)).sum())
            if w <= cap or not blds:
                items.append((s.unit_code(c), c, w))
            else:
                split_courts[c] = blds
                items += [(s.unit_code(b), b, weight_building(b)) for b in blds]
        items += [(s.unit_code(b), b, weight_building(b)) for b in buildings_loose]
        items.sort()
        chunks = pack_greedy([w for _, _, w in items], cap)
        area_host = hosts[0]
        grid_parent = area_host if s.kind_of(area_host) in GRID_PARENTS else None
        ops = []
        blocks: list[str] = []
        names: dict[str, str] = {}
        item_block: dict[int, int] = {}
        for k, chunk in enumerate(chunks):
            gname = f"{name(s, area_host)}{ordinal(k + 1)}网格"
            total = sum(items[i][2] for i in chunk)
            measure = f"{int(total)}户" if by_households else f"{int(total)}名党员"
            measure_en = f"{int(total)} households" if by_households else f"{int(total)} members"
            item_names = [name(s, items[i][1]) for i in chunk]
            ref = f"new:{key}grid{k}"

            def make(plan, k=k, gname=gname, chunk=chunk, item_names=item_names, measure=measure, measure_en=measure_en):
                gref = plan.create_host(f"{key}grid{k}", kind="party.grid", name=gname, parent=grid_parent,
                                        reason=("grid_host", {"unit": gname, "items": join_names(item_names),
                                                              "measure": measure, "measure_en": measure_en}))
                for i in chunk:
                    plan.attach(items[i][1], parent=gref, reason=("grid_part", {"item": name(s, items[i][1]), "grid": gname}))
            ops.append(make)
            blocks.append(ref)
            names[ref] = gname
            for i in chunk:
                item_block[items[i][0]] = k
        for c, blds in split_courts.items():  # members living in a split courtyard itself: grid of its first building
            item_block[s.unit_code(c)] = item_block[s.unit_code(blds[0])]
        of_member = np.full(len(codes), -1, dtype=np.int64)
        for idx in range(len(codes)):
            if not area[idx]:
                continue
            b, c = int(member_building[idx]), int(member_court[idx])
            if c >= 0 and c in item_block and (s.units.ids[c] not in split_courts or b < 0):
                of_member[idx] = item_block[c]
            elif b >= 0 and b in item_block:
                of_member[idx] = item_block[b]
        # keep only grids that have members (empty grids are still created as hosts)
        used = sorted(set(of_member[of_member >= 0].tolist()))
        if not used:
            raise UserError(
                f"strategy {self.name}: params.by: no member of {unit!r} lives in a courtyard or building of its area"
            )
        remap = {b: i for i, b in enumerate(used)}
        of_member = np.array([remap.get(b, -1) for b in of_member.tolist()], dtype=np.int64)
        return [([blocks[b]], names[blocks[b]]) for b in used], of_member, ops


class _Homes:
    """Where the members of the branches to re-cut live, found for all of them in one pass:
    per branch, its member codes, their home host, whether it lies in the branch's area (the hosts
    it is built on), and the building and courtyard it is in (-1: none)."""

    def __init__(self, s, units: list[str]) -> None:
        unit_codes = s.unit_codes(units)
        self.codes, self.offsets = members_by_unit(s, unit_codes)
        owner = np.repeat(np.arange(len(units)), np.diff(self.offsets))
        edges = s.built_on_edges
        slot = np.full(s.n_units, -1, dtype=np.int64)
        slot[unit_codes] = np.arange(len(units))
        root_owner = slot[edges.src]
        on = root_owner >= 0
        self.home = s.members["home_host"][self.codes]
        self.area = within_own(s, self.home, owner, root_owner[on], edges.dst[on])
        self.building = ancestor_of_kind(s, self.home, ["party.building"])
        self.court = ancestor_of_kind(s, self.home, ["party.courtyard"])

    def of(self, i: int) -> tuple[np.ndarray, ...]:
        """(codes, home, area, building, courtyard) of the members of branch ``i``."""
        at = slice(int(self.offsets[i]), int(self.offsets[i + 1]))
        return self.codes[at], self.home[at], self.area[at], self.building[at], self.court[at]


def _modal_by_key(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct key (ascending) and its most frequent value (the smallest on ties), in one sort."""
    if not len(keys):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    pairs, counts = np.unique(np.stack([keys, values]).astype(np.int64), axis=1, return_counts=True)
    order = np.lexsort((pairs[1], -counts, pairs[0]))  # per key: most frequent first, then the smallest value
    first = order[np.r_[True, pairs[0][order][1:] != pairs[0][order][:-1]]]
    return pairs[0][first], pairs[1][first]


class _Layout:
    """The members of one re-cut branch laid out by new branch and, within it, by building group,
    from a few sorts rather than a scan of the members per new branch or group.

    Branch ``j`` has ``len(groups[j]) + 3`` consecutive segments from ``first_segment[j]``: one per
    building group (members placed by home whose buildings it holds), then the other members placed
    by home, those following their old group and those put in the smallest branch; each segment
    holds its members in code order. Buildings with fewer than ``min_group`` members share a group
    with the next (``merge_small``); a branch with fewer placed members gets no groups.
    """

    def __init__(self, s, codes, dest, how, building, n_branches: int, min_group: int) -> None:
        n = np.int64(s.n_units) + 1
        by_home = (how == 0) & (building >= 0)
        pairs, pair_of, counts = distinct(dest[by_home] * n + building[by_home])  # (branch, building), ascending
        pair_branch = pairs // n
        pair_building = (pairs % n).tolist()
        starts = np.searchsorted(pair_branch, np.arange(n_branches + 1)).tolist()
        placed = np.bincount(dest[by_home], minlength=n_branches).tolist()
        counts = counts.tolist()
        self.groups: list[list[list[int]]] = []
        pair_group: list[int] = []
        for j in range(n_branches):
            lo, hi = starts[j], starts[j + 1]
            if placed[j] < min_group or hi == lo:
                self.groups.append([])
                pair_group += [-1] * (hi - lo)
                continue
            chunks = merge_small([[i] for i in range(lo, hi)], counts, min_group)  # every pair, in runs
            self.groups.append([[pair_building[i] for i in c] for c in chunks])
            for gi, c in enumerate(chunks):
                pair_group += [gi] * len(c)
        n_groups = np.array([len(g) for g in self.groups], dtype=np.int64)
        first = np.zeros(n_branches + 1, dtype=np.int64)
        np.cumsum(n_groups + 3, out=first[1:])
        local = n_groups[dest] + how  # other placed members, following, smallest
        if len(pairs):
            gi = np.asarray(pair_group, dtype=np.int64)[pair_of]
            local[np.flatnonzero(by_home)[gi >= 0]] = gi[gi >= 0]
        segment = first[dest] + local
        order = np.argsort(segment, kind="stable")
        n_segments = int(first[-1])
        self.first_segment = first.tolist()
        self._bounds = np.searchsorted(segment[order], np.arange(n_segments + 1)).tolist()
        self.count = np.diff(self._bounds).tolist()
        self.limited = np.bincount(segment, weights=s.column("mobility_limited")[codes],
                                   minlength=n_segments).astype(np.int64).tolist()
        self.size = np.bincount(dest, minlength=n_branches).tolist()
        self.full = np.bincount(dest, weights=s.full_mask[codes], minlength=n_branches).astype(np.int64).tolist()
        self._codes = codes[order]
        self._ids = s.members.ids[self._codes].tolist()

    def ids(self, segment: int) -> list[str]:
        """Member ids of one segment, in code order."""
        return self._ids[self._bounds[segment]:self._bounds[segment + 1]]

    def codes_of(self, branch: int) -> np.ndarray:
        """Member codes of new branch ``branch`` (by segment)."""
        return self._codes[self._bounds[self.first_segment[branch]]:self._bounds[self.first_segment[branch + 1]]]
