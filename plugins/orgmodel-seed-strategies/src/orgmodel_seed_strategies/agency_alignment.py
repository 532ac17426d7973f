"""机关党支部: agency branches and groups aligned with bureaus and divisions (seed 001).

The seed: "set branches and groups on bureaus or divisions of the same kind, by nature of work,
function, leadership division and scope of work (以工作性质、职能归口、领导分工、工作范围为一体),
at the front line of work, so that organisation and work are both fully covered".

The plan builds, under the agency's committee, one branch (tagged ``agency``) per

* ``by="bureau"``: bureau (局); a division directly under the agency counts as its own unit;
* ``by="function"``: function, read from each division's ``function`` attribute or
  ``function:X`` tag (the key is the ``function_key`` param); divisions with none fall back to
  their bureau;
* ``by="leader"``: leader in charge (分管领导), from ``leaders`` (a mapping of bureau or division
  id to the leader) or a ``leader`` attribute / ``leader:X`` tag on the division or its bureau;

and one group per division inside it. Members are placed by ``home_host`` (their division, or
their bureau / the agency for staff outside divisions). A branch with fewer than ``min_full`` full
members is joined with the next; a branch over ``max_size`` is split along whole divisions.
Whenever a leader is known, the branch records it (attribute ``leader`` and the role
``leader_in_charge``), the responsibility chain of the seed. Members of the old agency branches
whose home is not in the agency follow most of their old branch-mates. Old agency branches left
empty are dissolved.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
from orgmodel_party import ROLE_TEMPLATES, CommitteeRule, backbone_mask, propose_branch_roles
from pydantic import BaseModel, ConfigDict, Field

from orgmodel import UNPLACED, Strategy, UserError, ancestor_of_kind, within

from .limits import MAX_SIZE, MIN_FULL, with_rule_defaults
from .naming import join_names, ordinal
from .packing import Groups, merge_small, pack_balanced
from .reach import free_hosts, free_members, free_to_rebuild, require_free
from .units import members_by_unit, name, require_parent, require_unit, top_org_on_host, unit_values

PARENT_KINDS = ("party.committee", "party.general_branch", "party.working_committee")


class AgencyAlignment(Strategy):
    """Agency branches per bureau / function / leader in charge, with a group per division."""

    name = "agency-alignment"
    #: Size parameters whose default is a rule of the rules in force (see ``limits``).
    rule_defaults = {"max_size": MAX_SIZE, "min_full": MIN_FULL}
    label_zh = "机关党支部对应设置"
    label_en = "agency branches aligned with bureaus"
    description = (
        "one agency branch per bureau (or function, or leader in charge) and one group per division; "
        "members placed by their division; oversized branches split along divisions"
    )
    templates = {
        "agency_branch": {
            "zh": "按{by}设置{unit}，对应{cells}（{n_cells}个处室/单位），{size}名党员（正式{full}名），{groups}个党小组{leader}{note}",
            "en": "{unit} set by {by_en} for {cells} ({n_cells} divisions/units): {size} members ({full} full), {groups} groups{leader_en}{note_en}",
        },
        "division_group": {
            "zh": "{cells}的{size}名党员组成{unit}",
            "en": "the {size} members of {cells} form {unit}",
        },
        "leader_role": {
            "zh": "{person}分管{cells}，作为{unit}的联系领导，落实“分管领导分工负责”",
            "en": "{person} is in charge of {cells} and is the leader linked to {unit} (leadership division)",
        },
        "place_division": {
            "zh": "{n}名党员按所在处室编入{unit}{source}",
            "en": "{n} members placed in {unit} by their division{source_en}",
        },
        "place_follow": {
            "zh": "{n}名党员不在本机关处室名册中，随原{old}多数党员编入{unit}",
            "en": "{n} members with no division in the agency follow most of {old} into {unit}",
        },
        "old_group": {
            "zh": "{unit}随机关党支部按局处重新设置而撤销（原{size}名党员）",
            "en": "{unit} is dissolved as the agency branches are re-set along bureaus ({size} members)",
        },
        "old_branch": {
            "zh": "{unit}的党员已全部按局处编入新的机关党支部，原支部撤销",
            "en": "all members of {unit} are placed in the new agency branches; the old branch is dissolved",
        },
        **ROLE_TEMPLATES,
    }

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid")

        agency: str | None = Field(None, description="the agency host (default: the only party.agency in the step's scope)")
        by: Literal["bureau", "function", "leader"] = Field("bureau", description="one branch per bureau, function or leader in charge")
        function_key: str = Field("function", description="division attribute / tag prefix naming its function")
        leaders: dict[str, str] = Field(default_factory=dict, description="bureau or division id -> leader in charge (分管领导)")
        max_size: int | None = Field(None, ge=3, description="branches over this many members are split along divisions"
                                     " (default: the rule branch.max_size)")
        min_full: int | None = Field(None, ge=1, description="branches with fewer full members are joined with the next"
                                     " (default: the rule branch.min_full)")
        min_group: int = Field(3, ge=1, description="divisions with fewer members share a group with the next")
        parent: str | None = Field(None, description="organisation unit the branches sit under (default: the agency's committee)")
        propose_roles: bool = Field(True, description="propose a secretary (and from 7 full members, the rule committee.when,"
                                    " a committee of 3, 5 from 25) for each new branch from the members placed in it, backbone first")

    def contract_structures(self, kinds):
        """An agency with bureaus and divisions, for the contract kit (its baselines have none)."""
        from orgmodel_seed_strategies.examples import agency

        return {"agency": agency(kinds)}

    def propose(self, ctx, params):
        s = ctx.structure
        params = with_rule_defaults(ctx.rules, self.name, params, self.rule_defaults)
        committee = CommitteeRule.from_rules(ctx.rules, strategy=self.name) if params.propose_roles else None
        agency = self._agency(ctx, params)
        for uid in sorted(params.leaders):
            require_unit(s, self.name, "leaders", uid, kinds=("party.bureau", "party.division"))
        parent = self._parent(s, params, agency)
        require_free(ctx, self.name, "parent", parent)
        m = s.members
        active = m["active"]
        home = m["home_host"]
        acode = s.unit_code(agency)
        in_agency = within(s, home, [agency]) & active & free_members(ctx)
        if not in_agency.any():
            raise UserError(f"strategy {self.name}: params.agency: no active member works in {agency!r} (home_host)")
        codes = np.flatnonzero(in_agency)
        division = ancestor_of_kind(s, home[codes], ["party.division"])
        bureau = ancestor_of_kind(s, home[codes], ["party.bureau"])
        cell = np.where(division >= 0, division, np.where(bureau >= 0, bureau, acode))

        # clusters: key -> cells; in order of first cell code
        cell_codes, cell_of = np.unique(cell, return_inverse=True)  # members by cell, counted once
        cells = cell_codes.tolist()
        cell_index = {c: i for i, c in enumerate(cells)}
        up = ancestor_of_kind(s, cell_codes, ["party.bureau"])  # a division directly under the agency is its own unit
        bureaus = np.where(up >= 0, up, cell_codes)
        leader_of_cell = dict(zip(cells, self._leaders(s, params, cell_codes, bureaus), strict=True))
        cell_key = dict(zip(cells, self._cell_keys(s, params, cell_codes, bureaus, leader_of_cell.values()), strict=True))
        clusters: dict[tuple, list[int]] = {}
        for c in cells:
            clusters.setdefault(cell_key[c], []).append(c)
        keys = sorted(clusters, key=lambda k: min(clusters[k]))
        full = s.full_mask[codes]
        size_of = dict(zip(cells, np.bincount(cell_of, minlength=len(cells)).tolist(), strict=True))
        full_of = dict(zip(cells, np.bincount(cell_of[full], minlength=len(cells)).tolist(), strict=True))
        cell_name = dict(zip(cells, [str(n) for n in s.units.name[cell_codes].tolist()], strict=True))
        is_division = dict(zip(cells, (s.units.kind[cell_codes] == s.kinds.code("party.division")).tolist(), strict=True))
        # split oversized clusters along whole cells, then join small branches with the next
        branches: list[tuple[tuple, list[int], int, int]] = []  # (key, cells, part, parts)
        for k in keys:
            cs = clusters[k]
            total = sum(size_of[c] for c in cs)
            chunks = [list(range(len(cs)))] if total <= params.max_size else pack_balanced([size_of[c] for c in cs], params.max_size)
            chunks = merge_small(chunks, [full_of[c] for c in cs], params.min_full)
            for p, ch in enumerate(chunks):
                branches.append((k, [cs[i] for i in ch], p, len(chunks)))
        merged = merge_small([[i] for i in range(len(branches))],
                             [sum(full_of[c] for c in b[1]) for b in branches], params.min_full)

        plan = ctx.plan()
        branch_of_cell = np.full(len(cells), -1, dtype=np.int64)
        refs: list[str] = []
        names: list[str] = []
        by_zh = {"bureau": "局（单位）", "function": "职能归口", "leader": "领导分工"}[params.by]
        group_jobs = []
        for j, idxs in enumerate(merged):
            parts = [branches[i] for i in idxs]
            bcells = [c for p in parts for c in p[1]]
            labels = [self._label(s, p[0], acode) + (ordinal(p[2] + 1) if p[3] > 1 else "") for p in parts]
            part_full = [sum(full_of[c] for c in p[1]) for p in parts]
            main = [lab for lab, f in zip(labels, part_full, strict=True) if f >= params.min_full]
            if not main:
                main = [labels[int(np.argmax([sum(size_of[c] for c in p[1]) for p in parts]))]]
            small = [lab for lab in labels if lab not in main]
            bname = (main[0] if len(main) == 1 else join_names(main) + "联合") + "党支部"
            if len(parts) == 1 and parts[0][3] == 1 and parts[0][0][0] == "unit":
                built_on = [str(s.units.ids[parts[0][0][1]])]
            else:
                built_on = [str(s.units.ids[c]) for c in bcells]
            branch_of_cell[[cell_index[c] for c in bcells]] = j
            size, n_full = sum(size_of[c] for c in bcells), sum(full_of[c] for c in bcells)
            leaders = sorted({leader_of_cell[c] for c in bcells if leader_of_cell[c] is not None})
            over = [c for c in bcells if size_of[c] > params.max_size]
            note = f"；{cell_name[over[0]]}单个处室即有{size_of[over[0]]}名党员，超过{params.max_size}人，未再拆分" if over else ""
            note_en = f"; {cell_name[over[0]]} alone has {size_of[over[0]]} members (over {params.max_size}), not split further" if over else ""
            if small:
                note += f"；{join_names(small)}正式党员不足{params.min_full}名，并入本支部"
                note_en += f"; {', '.join(small)} (fewer than {params.min_full} full members) joined to it"
            group_cells = [c for c in bcells if is_division[c]]
            gsizes = [size_of[c] for c in group_cells]
            gchunks = merge_small([[i] for i in range(len(group_cells))], gsizes, params.min_group) if group_cells else []
            if len(gchunks) < 2:
                gchunks = []
            attrs = {"leader": "、".join(leaders)} if leaders else {}
            ref = plan.create_unit(f"agency{j}", kind="party.branch", name=bname, parent=parent, built_on=built_on,
                                   tags=["agency"], attrs=attrs, reason=("agency_branch", {
                                       "by": by_zh, "by_en": params.by, "unit": bname,
                                       "cells": join_names([cell_name[c] for c in bcells]),
                                       "n_cells": len(bcells), "size": size, "full": n_full,
                                       "groups": len(gchunks),
                                       "leader": f"，分管领导：{'、'.join(leaders)}" if leaders else "",
                                       "leader_en": f", leader in charge: {', '.join(leaders)}" if leaders else "",
                                       "note": note, "note_en": note_en}))
            for lead in leaders:
                lcells = [c for c in bcells if leader_of_cell[c] == lead]
                plan.set_role(ref, role="leader_in_charge", person=lead, reason=("leader_role", {
                    "person": lead, "cells": join_names([cell_name[c] for c in lcells]), "unit": bname}))
            refs.append(ref)
            names.append(bname)
            group_jobs.append((ref, bname, [[group_cells[i] for i in ch] for ch in gchunks], j))

        # moves: agency members by division, in groups; members put in buckets (group, or the rest of
        # a branch) by their cell and grouped once, so no scan of every member per group
        dest = branch_of_cell[cell_of]
        branch_now = m["branch"][codes]
        bucket_of_cell = np.full(len(cells), -1, dtype=np.int64)
        n_buckets = 0
        for _ref, _bname, gcells, _j in group_jobs:
            for gc in gcells:
                bucket_of_cell[[cell_index[c] for c in gc]] = n_buckets
                n_buckets += 1
        n_groups = n_buckets
        bucket = np.where(bucket_of_cell[cell_of] >= 0, bucket_of_cell[cell_of], n_groups + dest)
        in_bucket = Groups(bucket, n_groups + len(group_jobs))
        sources = self._sources(s, bucket, branch_now, n_groups + len(group_jobs))
        g = 0
        for ref, bname, gcells, j in group_jobs:
            for gi, gc in enumerate(gcells):
                gnames = [cell_name[c] for c in gc]
                gname = (gnames[0] if len(gc) == 1 else join_names(gnames)) + "党小组"
                sel = in_bucket[g]
                gref = plan.create_unit(f"agency{j}g{gi}", kind="party.group", name=gname, parent=ref,
                                        built_on=[str(s.units.ids[c]) for c in gc],
                                        reason=("division_group", {"cells": join_names(gnames), "size": len(sel), "unit": gname}))
                self._move(s, plan, codes[sel], sources[g], ref, gref, f"{bname}{gname}")
                g += 1
            rest = n_groups + j
            self._move(s, plan, codes[in_bucket[rest]], sources[rest], ref, None, bname)

        # old agency branches: members outside the agency follow their branch-mates; empty ones dissolve
        followers = self._dissolve_old(ctx, plan, parent, codes, dest, branch_now, refs, names)
        if params.propose_roles:
            since = ctx.as_of.isoformat() if isinstance(ctx.as_of, dt.date) else None
            backbone = backbone_mask(s)
            by_branch = Groups(dest, len(refs))
            for j, (ref, bname) in enumerate(zip(refs, names, strict=True)):
                placed = np.concatenate([codes[by_branch[j]], np.asarray(followers.get(j, []), dtype=np.int64)])
                propose_branch_roles(s, plan, ref, bname, placed, committee=committee, backbone=backbone,
                                     since=since)
        return plan.build()

    def _dissolve_old(self, ctx, plan, parent: str | None, codes: np.ndarray, dest: np.ndarray, branch_now: np.ndarray,
                      refs: list[str], names: list[str]) -> dict[int, list[int]]:
        """Dissolve the old agency branches (under ``parent``, free to rebuild) the agency members
        ``codes`` leave for new branch ``dest``: their other members follow most of their branch-mates
        (a move each), their groups are dissolved. Returns new branch -> the followers placed in it."""
        s = ctx.structure
        ids = s.units.ids
        below = np.zeros(s.n_units, dtype=bool)
        if parent:
            below[s.unit_codes(s.descendants(parent))] = True
        old = np.unique(branch_now)
        old = old[below[old] & (s.units.kind[old] == s.kinds.code("party.branch")) & free_to_rebuild(ctx, parent=False)[old]]
        dest_of = np.full(s.n_members, -1, dtype=np.int64)
        dest_of[codes] = dest
        rows, offsets = members_by_unit(s, old)
        owner = np.repeat(np.arange(len(old)), np.diff(offsets))
        target = _most_common(owner, dest_of[rows], len(old))
        group_kind = s.kinds.code("party.group")
        sizes = s.sizes()
        followers: dict[int, list[int]] = {}
        for i, (b, t) in enumerate(zip(old.tolist(), target.tolist(), strict=True)):
            bid = str(ids[b])
            members_b = rows[offsets[i]:offsets[i + 1]]
            others = members_b[dest_of[members_b] < 0]
            if len(others):
                followers.setdefault(t, []).extend(others.tolist())
                plan.move(s.members.ids[others].tolist(), to=refs[t], reason=("place_follow", {
                    "n": len(others), "old": name(s, bid), "unit": names[t]}))
            children = s.child_codes(b)
            groups = s.units.kind[children] == group_kind
            for c in children[groups].tolist():
                plan.dissolve(str(ids[c]), reason=("old_group", {"unit": str(s.units.name[c]), "size": int(sizes[c])}))
            plan.dissolve(bid, members_to=refs[t], children_to=parent if not groups.all() else None,
                          reason=("old_branch", {"unit": name(s, bid)}))
        return followers

    # -- helpers ------------------------------------------------------------------------------

    def _agency(self, ctx, params) -> str:
        s = ctx.structure
        if params.agency is not None:
            require_unit(s, self.name, "agency", params.agency, kinds=("party.agency",))
            return params.agency
        free = free_hosts(ctx)
        found = [a for a in s.unit_ids("party.agency") if free[s.unit_code(a)]]
        if len(found) != 1:
            raise UserError(
                f"strategy {self.name}: params.agency: {len(found)} party.agency hosts in the step's scope; name the agency"
            )
        return found[0]

    def _parent(self, s, params, agency: str) -> str:
        if params.parent is not None:
            require_parent(s, self.name, "parent", params.parent, "party.branch")
            return params.parent
        org = top_org_on_host(s, agency, kinds=PARENT_KINDS)
        if org is None:
            raise UserError(f"strategy {self.name}: params.parent: no committee is built on {agency!r}; name the parent")
        return org

    def _leaders(self, s, params, cells: np.ndarray, bureaus: np.ndarray) -> list[str | None]:
        """Per cell, the leader in charge: ``leaders`` names the cell or its bureau, else the ``leader``
        value (attribute or tag) of the cell or its bureau, when a bureau or division; None when none."""
        ids = s.units.ids
        leader_kinds = np.array([k.role == "host" and k.id in ("party.bureau", "party.division") for k in s.kinds])
        own = unit_values(s, cells, "leader")
        above = unit_values(s, bureaus, "leader")
        can_c = leader_kinds[s.units.kind[cells]].tolist()
        can_b = leader_kinds[s.units.kind[bureaus]].tolist()
        out: list[str | None] = []
        for c, b, v, w, has_c, has_b in zip(cells.tolist(), bureaus.tolist(), own, above, can_c, can_b, strict=True):
            given = next((params.leaders[u] for u in (str(ids[c]), str(ids[b])) if u in params.leaders), None)
            if given is not None:
                out.append(given)
            elif has_c and v is not None:
                out.append(str(v))
            elif has_b and w is not None:
                out.append(str(w))
            else:
                out.append(None)
        return out

    def _cell_keys(self, s, params, cells: np.ndarray, bureaus: np.ndarray, leaders) -> list[tuple]:
        """Per cell, the cluster it joins: its bureau (``("unit", code)``), or its function or leader
        when ``by`` says so and one is known."""
        units = [("unit", b) for b in bureaus.tolist()]
        if params.by == "bureau":
            return units
        if params.by == "function":
            agency = s.units.kind[cells] == s.kinds.code("party.agency")
            values = unit_values(s, cells, params.function_key)
            return [("function", str(f)) if f is not None and not a else u
                    for f, a, u in zip(values, agency.tolist(), units, strict=True)]
        return [("leader", lead) if lead is not None else u for lead, u in zip(leaders, units, strict=True)]

    @staticmethod
    def _sources(s, bucket: np.ndarray, branch_now: np.ndarray, n: int) -> list[tuple[str, str]]:
        """Per bucket of movers, what the reasons say of where they come from: their old branches
        (names sorted) and how many were unplaced; from one sort of the (bucket, branch) pairs."""
        unplaced = np.bincount(bucket[s.units.kind[branch_now] == s.kinds.code(UNPLACED)], minlength=n).tolist()
        pairs = np.unique(bucket * np.int64(s.n_units) + branch_now)
        owner, branch = np.divmod(pairs, s.n_units)
        offsets = np.searchsorted(owner, np.arange(n + 1)).tolist()
        names = s.units.name[branch].tolist()
        out = []
        for k in range(n):
            olds = sorted(set(names[offsets[k]:offsets[k + 1]]))
            n_unplaced = unplaced[k]
            out.append(("（原在" + join_names(olds) + (f"，其中{n_unplaced}名原未落实组织关系" if n_unplaced else "") + "）",
                        f" (from {', '.join(olds[:4])}" + (f"; {n_unplaced} were unplaced" if n_unplaced else "") + ")"))
        return out

    def _label(self, s, key: tuple, acode: int) -> str:
        kind, value = key
        if kind == "unit":
            return name(s, str(s.units.ids[value])) if value != acode else name(s, str(s.units.ids[acode])) + "机关"
        if kind == "function":
            return str(value)
        return f"{value}分管处室"

    def _move(self, s, plan, codes, source: tuple[str, str], ref, group, label) -> None:
        if not len(codes):
            return
        plan.move(s.members.ids[codes].tolist(), to=ref, group=group, reason=("place_division", {
            "n": len(codes), "unit": label, "source": source[0], "source_en": source[1]}))


def _most_common(owner: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per owner ``0..n-1``, its most frequent value among ``values >= 0`` (the smallest on ties; -1
    for none), from one count of the (owner, value) pairs.

    >>> _most_common(np.array([0, 0, 0, 1, 1, 1]), np.array([4, 2, 4, 3, 1, -1]), 3).tolist()
    [4, 1, -1]
    """
    keep = values >= 0
    width = np.int64(values.max()) + 1 if keep.any() else 1
    pairs, counts = np.unique(owner[keep] * width + values[keep], return_counts=True)
    own, value = np.divmod(pairs, width)
    order = np.lexsort((value, -counts, own))
    first = np.ones(len(order), dtype=bool)
    first[1:] = own[order][1:] != own[order][:-1]
    out = np.full(n, -1, dtype=np.int64)
    out[own[order][first]] = value[order][first]
    return out
