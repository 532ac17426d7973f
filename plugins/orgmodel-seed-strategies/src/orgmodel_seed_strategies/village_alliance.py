"""村村联建 / 区域性联建: cross-village alliances (seed 003).

Two modes:

* ``pair``: villages are scored by strength (full members, backbone, share of members under
  60); each weak village's organisation is allied (``link_alliance``) with a strong village's
  organisation, which coordinates (a star; subordination unchanged, nobody moves).
* ``joint``: several villages (and optionally an enterprise using their land) are placed under a
  joint general branch (联合党总支): a new ``party.general_branch`` tagged ``alliance``, built on
  the villages and the enterprise, under the township committee; its secretary is sent by the
  township (a person outside the roster); the village organisations keep their subordination and
  are ``allied_with`` it; activities run in functional groups (功能党小组) whose members take
  part (``add_participation``) without moving.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from typing import Literal

import numpy as np
from orgmodel_party import BACKBONE_ROLES
from pydantic import BaseModel, ConfigDict, Field, model_validator

from orgmodel import Strategy, UserError, ancestor_of_kind, common_ancestor, first_allowed_ancestor, role_member_codes

from .naming import join_names
from .packing import Groups
from .reach import free_parent, free_units, require_free
from .units import (
    name,
    require_parent,
    require_unit,
    top_org_on_host,
    top_orgs_on,
    village_organisations,
)


class StrengthWeights(BaseModel):
    """Weights of the strength score (each component is divided by its largest value among the villages)."""

    model_config = ConfigDict(extra="forbid")

    full: float = Field(1.0, ge=0, description="weight of the number of full members")
    backbone: float = Field(1.0, ge=0, description="weight of the number of backbone people")
    young: float = Field(1.0, ge=0, description="weight of the share of members under 60")


class FunctionalGroupSpec(BaseModel):
    """One functional group (功能党小组) of a joint general branch."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="the group's name or theme, e.g. 产业发展")
    column: str | None = Field(None, description="member column that chooses participants, e.g. skill")
    value: str | int | float | bool | None = Field(
        None, description="members whose column equals this take part (None: a true/non-empty value)"
    )
    per_village: int | None = Field(
        None, ge=1, description="at most this many participants drawn from each allied organisation"
    )
    members: list[str] = Field(default_factory=list, description="member ids that take part in any case")

    @model_validator(mode="after")
    def _chooses_someone(self) -> FunctionalGroupSpec:
        if self.column is None and self.per_village is None and not self.members:
            raise ValueError("a functional group needs column, per_village or members")
        return self


class VillageAlliance(Strategy):
    """Pair strong and weak villages, or join villages and an enterprise under a joint general branch."""

    name = "village-alliance"
    label_zh = "村村联建"
    label_en = "cross-village alliance"
    description = (
        "pair: each weak village's organisation allied with a strong one (by a strength score); "
        "joint: a joint general branch over villages and an enterprise, secretary sent by the township, "
        "village branches keeping their subordination, functional groups across villages"
    )
    templates = {
        "strong_coordinator": {
            "zh": "{unit}实力较强（强度得分{score}：正式党员{full}名、骨干{backbone}名、60岁以下党员占{young}%{note}），作为村村联建的牵头组织，带动{n}个较弱村",
            "en": "{unit} is strong (score {score}: {full} full members, {backbone} backbone, {young}% under 60{note_en}) and coordinates the village alliance, leading {n} weaker villages",
        },
        "pair_weak": {
            "zh": "{unit}较弱（强度得分{score}：正式党员{full}名、骨干{backbone}名、60岁以下党员占{young}%{note}），与{coordinator}（得分{cscore}）结对联建，以强带弱，隶属关系不变",
            "en": "{unit} is weak (score {score}: {full} full members, {backbone} backbone, {young}% under 60{note_en}): allied with {coordinator} (score {cscore}), strong leading weak; subordination unchanged",
        },
        "joint_branch": {
            "zh": "{villages}发展不均衡{enterprise}，在{parent}下组建{unit}（联合{n}个党组织），统筹跨村事务，各村党组织隶属关系不变",
            "en": "{villages} differ in strength{enterprise_en}: {unit} is set up under {parent} (joining {n} organisations) to coordinate cross-village affairs; the village organisations keep their subordination",
        },
        "joint_secretary": {
            "zh": "{unit}书记由乡镇选派（{person}），不占用各村党员的组织关系",
            "en": "the secretary of {unit} is sent by the township ({person}), outside the villages' rosters",
        },
        "joint_ally": {
            "zh": "{unit}（{size}名党员）加入{coordinator}，保留原隶属关系（隶属{parent}），参加联合党总支活动",
            "en": "{unit} ({size} members) joins {coordinator} and keeps its subordination (under {parent})",
        },
        "functional_group": {
            "zh": "{coordinator}下设{unit}，以功能党小组形式开展活动，{n}名党员（来自{sources}个组织）参加，组织关系不变",
            "en": "{unit} under {coordinator}: a functional group with {n} participants from {sources} organisations; nobody's relation moves",
        },
    }

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid")

        mode: Literal["pair", "joint"] = Field("pair", description="pair strong with weak villages, or a joint general branch")
        villages: list[str] | None = Field(
            None, description="village host ids or village organisation ids (default: every village whose organisation is in the step's scope and not locked)"
        )
        strong: int | None = Field(
            None, ge=1, description="pair: number of strong villages (default: a third of them, at least 1)"
        )
        weights: StrengthWeights = Field(default_factory=StrengthWeights, description="weights of the strength score")
        as_of: dt.date | None = Field(None, description="date for ages (default: the scenario's as_of)")
        enterprise: str | None = Field(None, description="joint: an enterprise host joined to the villages")
        coordinator_parent: str | None = Field(
            None, description="joint: parent of the joint general branch (default: the township committee)"
        )
        secretary: str | None = Field(
            None, description="joint: the person the township sends as secretary (default 'township:secretary')"
        )
        coordinator_name: str | None = Field(None, description="joint: name of the joint general branch")
        functional_groups: list[FunctionalGroupSpec] = Field(
            default_factory=list, description="joint: functional groups across the villages"
        )

    # -- propose ------------------------------------------------------------------------------

    contract_params = (  # what the contract kit checks it with
        {"mode": "pair"},
        {"mode": "joint", "functional_groups": [{"name": "产业发展", "per_village": 2}]},
    )

    def propose(self, ctx, params):
        s = ctx.structure
        if params.mode == "pair":
            for field in ("enterprise", "coordinator_parent", "secretary", "coordinator_name"):
                if getattr(params, field) is not None:
                    raise UserError(f"strategy {self.name}: params.{field} is only used with mode 'joint'")
            if params.functional_groups:
                raise UserError(f"strategy {self.name}: params.functional_groups is only used with mode 'joint'")
        elif params.strong is not None:
            raise UserError(f"strategy {self.name}: params.strong is only used with mode 'pair'")
        villages = self._villages(ctx, params)
        for org, _ in villages:  # each is allied with another or with the new joint unit
            require_free(ctx, self.name, "villages", org)
        if len(villages) < 2:
            raise UserError(
                f"strategy {self.name}: params.villages: an alliance needs at least 2 village organisations"
                f" (found {len(villages)})"
            )
        if params.mode == "pair":
            return self._pair(ctx, params, villages)
        return self._joint(ctx, params, villages)

    # -- villages and strength ----------------------------------------------------------------

    def _villages(self, ctx, params) -> list[tuple[str, str | None]]:
        """(organisation id, village host id or None), in the order given or in code order."""
        s = ctx.structure
        out: list[tuple[str, str | None]] = []
        if params.villages is not None:
            out.extend(village_organisations(s, self.name, params.villages))
            orgs = [o for o, _ in out]
            dup = sorted({o for o in orgs if orgs.count(o) > 1})
            if dup:
                raise UserError(f"strategy {self.name}: params.villages: organisation {dup[0]!r} is named twice")
            return out
        hosts = np.flatnonzero((s.units.kind == s.kinds.code("party.village")) & ~s.units.dissolved)
        orgs = top_orgs_on(s, hosts)
        keep = orgs >= 0
        keep[keep] = free_units(ctx)[orgs[keep]]  # not outside the step's scope, nor locked
        ids = s.units.ids
        return list(zip(ids[orgs[keep]].tolist(), ids[hosts[keep]].tolist(), strict=True))

    def _strength(self, ctx, params, orgs: list[str]) -> tuple[list[dict], bool]:
        s = ctx.structure
        as_of = params.as_of or ctx.as_of
        birth = s.column("birth_date") if "birth_date" in s.members.columns else None
        backbone_col = s.column("backbone") if "backbone" in s.members.columns else None
        age_used = as_of is not None and birth is not None and bool((~np.isnat(birth)).any())
        codes = s.unit_codes(orgs).astype(np.int64)
        units, owners = _subtrees(s, codes)
        member, owner = _members_in(s, units, owners, codes)
        n_orgs = len(orgs)
        sizes = np.bincount(owner, minlength=n_orgs).tolist()
        fulls = np.bincount(owner[s.full_mask[member]], minlength=n_orgs).tolist()
        flagged = backbone_col[member] if backbone_col is not None else np.zeros(len(member), dtype=bool)
        backbones = _backbone_counts(s, units, owners, member[flagged], owner[flagged], n_orgs)
        young_of = [0.0] * n_orgs
        if age_used:
            b = birth[member]
            known = ~np.isnat(b)
            cutoff = np.datetime64(as_of) - np.timedelta64(int(round(60 * 365.25)), "D")
            dated = np.bincount(owner[known], minlength=n_orgs).tolist()
            young = np.bincount(owner[known & (b > cutoff)], minlength=n_orgs).tolist()
            young_of = [float(y) / float(d) if d else 0.0 for y, d in zip(young, dated, strict=True)]
        rows = [{"org": org, "code": code, "n": n, "full": full, "backbone": backbone, "young": young}
                for org, code, n, full, backbone, young in zip(orgs, codes.tolist(), sizes, fulls, backbones, young_of,
                                                                strict=True)]
        w = params.weights
        maxima = {k: max((r[k] for r in rows), default=0) for k in ("full", "backbone", "young")}
        for r in rows:
            score = 0.0
            for key, weight in (("full", w.full), ("backbone", w.backbone), ("young", w.young if age_used else 0.0)):
                if maxima[key] > 0:
                    score += weight * r[key] / maxima[key]
            r["score"] = round(score, 3)
        return rows, age_used

    def _params(self, s, row, age_used: bool) -> dict:
        return {"unit": name(s, row["org"]), "score": f"{row['score']:.2f}", "full": row["full"],
                "backbone": row["backbone"], "young": f"{100 * row['young']:.0f}" if age_used else "—",
                "note": "" if age_used else "；无as_of日期或出生日期，年龄未计入得分",
                "note_en": "" if age_used else "; no as_of date or birth dates, age left out of the score"}

    # -- pair ---------------------------------------------------------------------------------

    def _pair(self, ctx, params, villages):
        s = ctx.structure
        plan = ctx.plan()
        orgs = [o for o, _ in villages]
        host_of = dict(villages)
        rows, age_used = self._strength(ctx, params, orgs)
        ranked = sorted(rows, key=lambda r: (-r["score"], r["code"]))
        n_strong = params.strong if params.strong is not None else max(1, math.ceil(len(ranked) / 3))
        if n_strong >= len(ranked):
            raise UserError(
                f"strategy {self.name}: params.strong: {n_strong} strong villages leave no weak one among {len(ranked)}"
            )
        strong, weak = ranked[:n_strong], ranked[n_strong:]
        weak = sorted(weak, key=lambda r: (r["score"], r["code"]))  # weakest first
        load = {r["org"]: 0 for r in strong}
        # the neighbours of every host, from the adjacency edges grouped once (Structure.adjacent
        # scans every edge per call: quadratic over thousands of villages)
        e = s.adjacency_edges
        ends = np.concatenate([e.src, e.dst]).astype(np.int64)
        other = np.concatenate([e.dst, e.src]).astype(np.int64)
        neighbours = Groups(ends, s.n_units)
        adjacent = {}
        for r in weak:
            h = host_of.get(r["org"])
            adjacent[r["org"]] = set(s.units.ids[other[neighbours[s.unit_code(h)]]].tolist()) if h else set()
        # each weak village (weakest first) to the strong one with the key (not adjacent, load, -score, code)
        # least: the least among the adjacent strong ones when there are any, else the least of all (a heap)
        def key(c: dict) -> tuple:
            return (load[c["org"]], -c["score"], c["code"])

        strong_on: dict[str | None, list[dict]] = {}
        for c in strong:
            strong_on.setdefault(host_of.get(c["org"]), []).append(c)
        index_of = {c["org"]: i for i, c in enumerate(strong)}
        heap = [(*key(c), i) for i, c in enumerate(strong)]
        heapq.heapify(heap)
        assignment = []
        for r in weak:
            near = [c for h in adjacent[r["org"]] for c in strong_on.get(h, ())]
            if near:
                coordinator = min(near, key=key)
            else:
                while heap[0][:3] != key(strong[heap[0][3]]):  # an entry from before a load went up
                    heapq.heappop(heap)
                coordinator = strong[heap[0][3]]
            load[coordinator["org"]] += 1
            heapq.heappush(heap, (*key(coordinator), index_of[coordinator["org"]]))
            assignment.append((r, coordinator))
        for c in strong:
            if load[c["org"]] == 0:
                continue
            tags = list(s.units.tags[c["code"]])
            changes = {"attrs": {"strength": c["score"]}}
            if "alliance" not in tags:
                changes["tags"] = tags + ["alliance"]
            p = self._params(s, c, age_used)
            p["n"] = load[c["org"]]
            plan.set_attributes(c["org"], reason=("strong_coordinator", p), **changes)
        allied = set(zip(s.alliance_edges.src.tolist(), s.alliance_edges.dst.tolist(), strict=True))
        for r, c in assignment:
            if (r["code"], c["code"]) in allied:
                continue
            p = self._params(s, r, age_used)
            p.update({"coordinator": name(s, c["org"]), "cscore": f"{c['score']:.2f}"})
            plan.link_alliance(r["org"], coordinator=c["org"], reason=("pair_weak", p))
        return plan.build()

    # -- joint --------------------------------------------------------------------------------

    def _joint(self, ctx, params, villages):
        s = ctx.structure
        plan = ctx.plan()
        orgs = [o for o, _ in villages]
        village_hosts = [h for _, h in villages if h is not None]
        members_of: list[tuple[str, np.ndarray]] = [(o, s.member_codes_of(o, subtree=True)) for o in orgs]
        ent_orgs: list[str] = []
        if params.enterprise is not None:
            require_unit(s, self.name, "enterprise", params.enterprise, role="host")
            ent_org = top_org_on_host(s, params.enterprise)
            ent_orgs = [ent_org] if ent_org is not None else []
            for o in ent_orgs:
                if o in orgs:
                    raise UserError(f"strategy {self.name}: params.enterprise: its organisation {o!r} is also among the villages")
                members_of.append((o, s.member_codes_of(o, subtree=True)))
        parent = free_parent(ctx, self.name, self._coordinator_parent(s, params, orgs, village_hosts),
                             "coordinator_parent")
        unit_name = params.coordinator_name or (
            join_names([name(s, h) for h in village_hosts] or [name(s, o) for o in orgs])
            + (f"及{name(s, params.enterprise)}" if params.enterprise else "")
            + "联合党总支"
        )
        built_on = list(village_hosts) + ([params.enterprise] if params.enterprise else [])
        allied = orgs + ent_orgs
        ent_zh = ent_en = ""
        if params.enterprise:
            e = name(s, params.enterprise)
            ent_zh = f"，{e}用地涉及各村" + ("" if ent_orgs else f"（{e}尚无党组织）")
            ent_en = f", {e} uses their land" + ("" if ent_orgs else f" ({e} has no party organisation yet)")
        village_names = [name(s, h) if h else name(s, o) for o, h in villages]
        reason = ("joint_branch", {
            "villages": join_names(village_names), "enterprise": ent_zh, "enterprise_en": ent_en,
            "unit": unit_name, "parent": name(s, parent) if parent else "（无上级）", "n": len(allied),
        })
        coord = plan.create_unit("joint", kind="party.general_branch", name=unit_name, parent=parent,
                                 built_on=built_on, tags=["alliance"], reason=reason)
        person = params.secretary or "township:secretary"
        plan.set_role(coord, role="secretary", person=person,
                      reason=("joint_secretary", {"unit": unit_name, "person": person}))
        for o in allied:
            p = s.parent(o)
            plan.link_alliance(o, coordinator=coord, reason=("joint_ally", {
                "unit": name(s, o), "size": s.size(o, subtree=True), "coordinator": unit_name,
                "parent": name(s, p) if p else "—",
            }))
        self._functional_groups(ctx, params, plan, coord, unit_name, members_of)
        return plan.build()

    def _coordinator_parent(self, s, params, orgs, village_hosts) -> str | None:
        kind = "party.general_branch"
        if params.coordinator_parent is not None:
            require_parent(s, self.name, "coordinator_parent", params.coordinator_parent, kind)
            return params.coordinator_parent
        if village_hosts:
            towns = ancestor_of_kind(s, s.unit_codes(village_hosts), ["party.township"])
            if (towns >= 0).all() and len(set(towns.tolist())) == 1:
                town = str(s.units.ids[int(towns[0])])
                committee = top_org_on_host(s, town, kinds=("party.committee", "party.working_committee"))
                if committee is not None:
                    return committee
        found = first_allowed_ancestor(s, common_ancestor(s, orgs), kind)
        if found is None:
            raise UserError(
                f"strategy {self.name}: params.coordinator_parent: no township committee found above the villages; name one"
            )
        return found

    def _functional_groups(self, ctx, params, plan, coord, coord_name, members_of):
        s = ctx.structure
        active = s.members["active"]
        limited = s.column("mobility_limited")
        for i, spec in enumerate(params.functional_groups):
            chosen: list[np.ndarray] = []
            sources = 0
            if spec.column is not None and spec.column not in s.members.columns:
                raise UserError(
                    f"strategy {self.name}: params.functional_groups.{i}.column: no member column {spec.column!r}"
                )
            for _org, codes in members_of:
                codes = codes[active[codes]]
                if spec.column is not None:
                    col = s.members.columns[spec.column][codes]
                    if spec.value is None:
                        keep = np.array([bool(v) and v == v for v in col.tolist()], dtype=bool)
                    else:
                        keep = np.array([_same(v, spec.value) for v in col.tolist()], dtype=bool)
                    codes = codes[keep] if len(codes) else codes
                if spec.per_village is not None:
                    codes = codes[~limited[codes]]
                    if len(codes) > spec.per_village:
                        pick = ctx.rng.permutation(len(codes))[: spec.per_village]
                        codes = np.sort(codes[pick])
                if len(codes):
                    sources += 1
                    chosen.append(codes)
            ids = sorted(set(np.concatenate(chosen).tolist())) if chosen else []
            member_ids = s.members.ids[np.asarray(ids, dtype=np.int64)].tolist() if ids else []
            for m in spec.members:
                if not _is_member(s, m):
                    raise UserError(f"strategy {self.name}: params.functional_groups.{i}.members: unknown member {m!r}")
                if m not in member_ids:
                    member_ids.append(m)
            if not member_ids:
                raise UserError(
                    f"strategy {self.name}: params.functional_groups.{i}: functional group {spec.name!r} selects no member"
                )
            gname = spec.name if spec.name.endswith("党小组") else spec.name + "功能党小组"
            reason = ("functional_group", {"coordinator": coord_name, "unit": gname, "n": len(member_ids),
                                           "sources": sources})
            ref = plan.create_unit(f"fg{i}", kind="party.functional_group", name=gname, parent=coord,
                                   attrs={"theme": spec.name}, reason=reason)
            plan.add_participation(sorted(member_ids, key=s.member_code), unit=ref, reason=reason)


def _same(value, wanted) -> bool:
    if value is None or (isinstance(value, float) and value != value):
        return False
    if isinstance(wanted, str) or isinstance(value, str):
        return str(value) == str(wanted)
    return value == wanted


def _is_member(s, member_id: str) -> bool:
    try:
        s.member_code(member_id)
    except UserError:
        return False
    return True


def _subtrees(s, roots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unit, root index) for every unit of each root's subtree as ``Structure.descendants`` walks
    it (the root, and the live units reached through live children), from one walk up from every unit."""
    slot = np.full(s.n_units, -1, dtype=np.int64)
    slot[roots] = np.arange(len(roots))
    live = ~s.units.dissolved
    start = np.flatnonzero(live | (slot >= 0))
    units, current = start, start
    found_units, found_roots = [], []
    while len(current):
        hit = slot[current] >= 0
        found_units.append(units[hit])
        found_roots.append(slot[current[hit]])
        up = s.units.parent[current].astype(np.int64)
        climbs = live[current] & (up >= 0)
        units, current = units[climbs], up[climbs]
    return np.concatenate(found_units), np.concatenate(found_roots)


def _members_in(s, units: np.ndarray, owners: np.ndarray, roots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(member, root index) for the active members of each root's subtree (``member_codes_of(...,
    subtree=True)``): those whose branch is one of its units other than groups, and the members of a
    root that is a group."""
    is_group = s.kinds.is_group[s.units.kind[units]]
    root_group = is_group & (units == roots[owners])
    by_branch = _joined(s, s.members["branch"], units[~is_group], owners[~is_group])
    by_group = _joined(s, s.members["group"], units[root_group], owners[root_group])
    return np.concatenate([by_branch[0], by_group[0]]), np.concatenate([by_branch[1], by_group[1]])


def _joined(s, column: np.ndarray, units: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(member, owner) for every active member whose ``column`` unit is one of ``units`` (once per owner of it)."""
    rows = np.flatnonzero(s.members["active"] & (column >= 0))
    at, owner = _joined_rows(column[rows], units, owners)
    return rows[at], owner


def _backbone_counts(s, units: np.ndarray, owners: np.ndarray, flagged: np.ndarray, flagged_owner: np.ndarray,
                     n: int) -> list[int]:
    """Per root: the distinct people holding a backbone role in a unit of its subtree or flagged
    ``backbone`` among its members (members by code, people outside the roster by name)."""
    role_units, names, people = s.role_table
    holder = role_member_codes(s)
    rows = np.flatnonzero(np.isin(names, list(BACKBONE_ROLES)) & (role_units >= 0))
    role_owner_rows, role_owner = _joined_rows(role_units[rows], units, owners)
    rows = rows[role_owner_rows]
    outsiders: dict[str, int] = {}
    person = holder[rows].astype(np.int64)
    outside = np.flatnonzero(person < 0)
    person[outside] = [s.n_members + outsiders.setdefault(p, len(outsiders)) for p in people[rows[outside]].tolist()]
    pairs = np.unique(np.concatenate([role_owner, flagged_owner]) * np.int64(s.n_members + len(outsiders) + 1)
                      + np.concatenate([person, flagged]))
    return np.bincount(pairs // (s.n_members + len(outsiders) + 1), minlength=n).tolist()


def _joined_rows(values: np.ndarray, units: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row of ``values``, owner) for every row whose value is one of ``units`` (once per owner of it)."""
    order = np.argsort(units, kind="stable")
    units, owners = units[order], owners[order]
    left = np.searchsorted(units, values, "left")
    count = np.searchsorted(units, values, "right") - left
    rows = np.repeat(np.arange(len(values)), count)
    first = np.repeat(left - (np.cumsum(count) - count), count)
    return rows, owners[first + np.arange(len(rows))]
