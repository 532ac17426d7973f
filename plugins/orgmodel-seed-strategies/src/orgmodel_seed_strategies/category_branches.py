"""category-branches: branches for retired, young and mobile members (老年/青年/流动党员党支部).

Seed 003: "结合社区人口构成多元化的实际，分门别类的建立党支部。将具有共同特点的党员相结合起来，组建老年
党支部、青年党支部、流动党员党支部等特色型党支部". In each area (by default: the members of the
branches under one parent unit, e.g. a community general branch), the members of each chosen
category get branches of their own, tagged ``category:retired`` / ``category:young`` /
``category:mobile``:

- **mobile**: the ``mobile`` column, or ``months_away`` ≥ 6 when that column exists;
- **retired**: the ``retired`` column;
- **young**: younger than ``young_age`` at the reference date: the scenario's ``as_of``, else the
  latest ``joined`` date of the roster, else the latest ``birth_date`` plus 18 years (every member
  is at least 18, so the roster cannot be older than that; ages are then lower bounds). Members
  without a birth date are not counted young.

A member in several categories takes the first of mobile, retired, young. A category with fewer
than ``min_size`` members or ``min_full`` full members in an area stays where it is (the plan
records it). A category above ``max_size`` gets several branches, cut along ``home_host`` so that
neighbours stay together. An existing branch of the category under the same parent is filled first.

**Mobile members and RULES mobile.transfer** (党员教育管理工作条例 第二十五条: away 6 months or
more at a fixed place, the relation should be transferred there): when the roster has a
``months_away`` column, mobile members away 6 months or more are told they should transfer their
relation to where they are; they are *not* moved unless ``keep_mobile_here`` is set (then they go to
the mobile branch, with that reason). Without the column the rule is not checked, and the reasons
say so. Members holding a role in their branch (and ``backbone`` members) stay in it when
``keep_backbone`` is set. A branch left with fewer than ``min_full`` full members is merged into a
sibling with room; a branch left with no member is dissolved.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from typing import Any, Literal

import numpy as np
from orgmodel_party import ROLE_TEMPLATES, CommitteeRule, backbone_mask, propose_branch_roles
from pydantic import BaseModel, ConfigDict, Field, field_validator

from orgmodel import Strategy, Structure, allows_parent, role_member_codes, zh_numeral

from .limits import MAX_SIZE, MIN_FULL, with_rule_defaults
from .packing import Groups
from .split_branch import (
    SplitBranch,
    ages_at,
    branch_kind_mask,
    group_moves,
    key_affinity,
    name_parts,
    new_key,
    rebalance,
    reference_date,
)
from .reach import free_members, free_units
from .units import require_parent

__all__ = ["CategoryBranches"]

ORDER = ("mobile", "retired", "young")
NAME_ZH = {"retired": "老年党员", "young": "青年党员", "mobile": "流动党员"}
WHO_ZH = {"retired": "离退休党员", "young": "青年党员", "mobile": "流动党员"}
WHO_EN = {"retired": "retired members", "young": "young members", "mobile": "mobile members"}
_REF_ZH = {"as_of": "方案基准日", "joined": "名册中最近的入党日期", "birth+18": "名册中最晚出生日期加18年", "none": "无"}
_REF_EN = {"as_of": "the scenario's as_of", "joined": "the latest joined date of the roster",
           "birth+18": "the latest birth date of the roster plus 18 years", "none": "none"}


class CategoryBranches(Strategy):
    """Give retired, young and mobile members branches of their own in each area."""

    name = "category-branches"
    #: Size parameters whose default is a rule of the rules in force (see ``limits``).
    rule_defaults = {"max_size": MAX_SIZE, "min_full": MIN_FULL}
    label_zh = "组建老年、青年、流动党员党支部"
    label_en = "category branches (retired, young, mobile)"
    description = (
        "In each area, retired, young and mobile members get branches of their own (tags category:*), "
        "under the parent of the branches they come from; small categories stay; the six-month "
        "transfer rule for mobile members is applied when months_away is known."
    )
    templates = {
        "category_branch": {
            "zh": "{area}有{n}名{who_zh}（正式党员{full}名{detail_zh}），组建{name}",
            "en": "{area} has {n} {who_en} ({full} full{detail_en}): {name} is formed for them",
        },
        "to_category": {
            "zh": "{n}名{who_zh}从{source}转入{name}{note_zh}",
            "en": "{n} {who_en} move from {source} to {name}{note_en}",
        },
        "to_existing": {
            "zh": "{n}名{who_zh}从{source}转入已有的{name}{note_zh}",
            "en": "{n} {who_en} move from {source} to the existing {name}{note_en}",
        },
        "category_small": {
            "zh": "{area}只有{n}名{who_zh}（正式党员{full}名），少于{min_size}名或正式党员少于{min_full}名，不单独建支部，留在原支部",
            "en": "{area} has only {n} {who_en} ({full} full): fewer than {min_size} members or {min_full} full "
            "members, so no branch of their own; they stay where they are",
        },
        "transfer_due": {
            "zh": "{unit}有{n}名流动党员外出满6个月（{members}），应将组织关系转至所在地党组织（党员教育管理工作条例第二十五条），本方案不转入流动党员党支部",
            "en": "{unit} has {n} mobile members away 6 months or more ({members}): they should transfer the "
            "relation to where they are (mobile.transfer); this plan does not move them to a mobile branch",
        },
        "transfer_due_kept": {
            "zh": "{n}名流动党员外出满6个月，按规定应将组织关系转至所在地；按参数keep_mobile_here暂从{source}转入{name}",
            "en": "{n} mobile members away 6 months or more should transfer the relation to where they are; "
            "keep_mobile_here moves them from {source} to {name} for now",
        },
        "group_attach": {
            "zh": "{group}的{n}名党员全部转入{name}，党小组随之划转",
            "en": "all {n} members of {group} go to {name}: the group moves with them",
        },
        "group_dissolve": {
            "zh": "{group}的党员全部转出，撤销该党小组",
            "en": "every member of {group} moves out: the group is dissolved",
        },
        "source_empty": {
            "zh": "{unit}的党员全部转入类别支部，撤销该支部",
            "en": "every member of {unit} moved to category branches: it is dissolved",
        },
        "source_merged": {
            "zh": "{unit}转出类别党员后只余{left}名党员（正式党员{left_full}名，不足{min_full}名），撤销并并入{into}",
            "en": "{unit} keeps only {left} members ({left_full} full, fewer than {min_full}) after the category "
            "members leave: it is dissolved into {into}",
        },
        "source_small": {
            "zh": "{unit}转出类别党员后只余{left}名党员（正式党员{left_full}名，不足{min_full}名），同级没有可并入的支部，需另行调整",
            "en": "{unit} keeps only {left} members ({left_full} full, fewer than {min_full}) after the category "
            "members leave, and no sibling branch has room: it needs another decision",
        },
        "area_org": {
            "zh": "{area}共有{size}名党员（{over}人以上），支部不止一个，在{area}设立{name}，统一领导{area}的党支部（含新建的类别党支部）",
            "en": "{area} has {size} members (over {over}) in more than one branch: {name} is set up on {area} over its branches"
                  " (the new category branches included)",
        },
        "area_attach": {
            "zh": "{unit}划归{name}",
            "en": "{unit} now sits under {name}",
        },
        "mobile_no_place": {
            "zh": "{unit}有{n}名流动党员，名册未记录其所在地（{column}）；流动党员党支部建在流动党员所在地（中国共产党支部工作条例（试行）第五条），不在本地组建，暂留原支部",
            "en": "{unit} has {n} mobile members whose whereabouts ({column}) are not recorded; a mobile members' branch is"
                  " formed where they are (支部工作条例 第五条), not here: they stay in their branch",
        },
        **{k: v for k, v in SplitBranch.templates.items() if k not in ("group_attach", "group_dissolve")},
        **ROLE_TEMPLATES,
    }

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid")

        categories: list[Literal["retired", "young", "mobile"]] = Field(
            default_factory=lambda: ["retired", "young", "mobile"], min_length=1,
            description="categories that get branches of their own")
        young_age: int = Field(35, ge=18, le=100, description="younger than this at the reference date is young")
        min_size: int = Field(3, ge=1, le=10_000, description="a category with fewer members in an area stays")
        min_full: int | None = Field(None, ge=1, le=100, description="full members a category branch needs"
                                     " (default: the rule branch.min_full)")
        max_size: int | None = Field(None, ge=3, le=100_000, description="a category above this gets several branches"
                                     " (default: the rule branch.max_size)")
        parent: str | None = Field(None, description="organisation unit for all category branches (then one pool for "
                                   "the step's whole scope); default: the parent of the branches the members come from")
        keep_mobile_here: bool = Field(False, description="move mobile members away 6+ months (months_away) to the "
                                       "mobile branch anyway; by default they are only told to transfer")
        mobile_at: str = Field("away_at", min_length=1, description="member column saying where a mobile member is (a host"
                               " id, else a place name); mobile branches are formed there, per place (支部工作条例 第五条)")
        split_remainder: bool = Field(True, description="a source branch that keeps more than max_size members is cut by"
                                      " building into parts within max_size (split-branch by=building)")
        keep_backbone: bool = Field(True, description="members holding a role in their branch, or marked backbone, stay")
        propose_roles: bool = Field(True, description="propose a secretary (and from 7 full members, the rule committee.when,"
                                    " a committee of 3, 5 from 25) for each new category branch from the members moved into it, backbone first")

        @field_validator("categories")
        @classmethod
        def _unique(cls, value: list[str]) -> list[str]:
            if len(set(value)) != len(value):
                raise ValueError("a category is named twice")
            return value

    # -- propose ---------------------------------------------------------------------------------

    contract_params = (  # what the contract kit checks it with
        {},
        {"categories": ["retired"], "max_size": 20, "keep_backbone": False},
    )

    def propose(self, ctx: Any, params: Any) -> Any:
        s: Structure = ctx.structure
        params = with_rule_defaults(ctx.rules, self.name, params, self.rule_defaults)
        committee = CommitteeRule.from_rules(ctx.rules, strategy=self.name) if params.propose_roles else None
        plan = ctx.plan()
        if params.parent is not None:
            require_parent(s, self.name, "parent", params.parent, next(
                k.id for k in s.kinds if k.relation == "branch" and not k.id.startswith("core.")))
        u = s.units
        branch = branch_kind_mask(s)
        free = free_units(ctx)
        is_category = np.array([any(t.startswith("category:") for t in tags) for tags in u.tags.tolist()], dtype=bool)
        source = branch & free & ~is_category
        mb = s.members["branch"].astype(np.int64)
        in_source = free_members(ctx) & source[mb]
        cat, due, notes = self._categories(s, ctx, params)
        stays = self._backbone(s, params) if params.keep_backbone else np.zeros(s.n_members, dtype=bool)
        candidate = in_source & (cat >= 0)
        held_due = candidate & due & ~stays if not params.keep_mobile_here else np.zeros(s.n_members, dtype=bool)
        movable = candidate & ~stays & ~held_due
        # mobile members who should transfer their relation (and are not moved): a note on their branch
        if held_due.any():
            self._emit_transfer_due(s, plan, held_due, mb)
        pool = np.full(s.n_members, -2, dtype=np.int64)
        if params.parent is not None:
            pool[candidate] = s.unit_code(params.parent)
            pool_parent = np.arange(s.n_units)
        else:
            area, pool_parent = self._areas(s)
            pool[candidate] = area[mb[candidate]]
        # the new branches go under the pool's parent: it must be free too (no parent: only with no scope)
        parent_of = np.where(pool >= 0, pool_parent[np.maximum(pool, 0)], -1)
        movable &= np.where(parent_of >= 0, free[np.maximum(parent_of, 0)], ctx.scope.everything)
        place = self._places(s, params) if "mobile" in params.categories else None
        dest = np.full(s.n_members, -1, dtype=np.int64)  # index into targets
        targets: list[tuple[str, str, str]] = []  # (ref, name, category)
        areas = _AreaOrgs(s, ctx, plan, pool_parent, area if params.parent is None else None, source, params)
        cols = _Columns(s, branch & is_category)
        # the movable members of each (pool, category), in one sort; pools are unit codes or -1
        n_cat = len(ORDER)

        def pool_cat(mask: np.ndarray) -> np.ndarray:
            return (pool[mask] + 1) * n_cat + cat[mask]

        mv = np.flatnonzero(movable)
        keys = pool_cat(movable)
        sort = np.argsort(keys, kind="stable")
        sorted_keys, sorted_who = keys[sort], mv[sort]
        firsts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]) if len(mv) else np.zeros(0, np.int64)
        ends = np.r_[firsts[1:], len(mv)]
        held_stays = dict(zip(*np.unique(pool_cat(candidate & stays), return_counts=True)))
        held_due_n = dict(zip(*np.unique(pool_cat(held_due), return_counts=True)))
        for a, z in zip(firsts.tolist(), ends.tolist()):
            key = int(sorted_keys[a])
            p, c_index = key // n_cat - 1, key % n_cat
            c = ORDER[c_index]
            if c not in params.categories:
                continue
            parent = int(pool_parent[p]) if p >= 0 else -1
            who = sorted_who[a:z]
            held = (int(held_stays.get(key, 0)), int(held_due_n.get(key, 0)))
            if c != "mobile":
                self._emit_category(s, plan, p, parent, c, who, dest, targets, params, notes, mb, held, due,
                                    areas=areas, cols=cols)
                continue
            # 支部工作条例 第五条: a mobile members' branch is formed where the mobile members are
            unknown = who[place[who] == ""]
            if len(unknown):
                self._emit_no_place(s, plan, unknown, mb, params)
            for where in sorted(set(place[who].tolist()) - {""}):
                self._emit_category(s, plan, p, parent, c, who[place[who] == where], dest, targets, params, notes,
                                    mb, held, due, place=where, areas=areas, cols=cols)
        self._emit_moves(s, plan, dest, targets, due, mb, notes)
        self._emit_sources(s, plan, dest, targets, source, mb, params)
        if committee is not None:
            self._emit_roles(s, ctx, plan, dest, targets, committee)
        if params.split_remainder:
            self._split_remainders(ctx, s, plan, dest, source, mb, params, committee, areas)
        return plan.build()

    # -- areas and places ------------------------------------------------------------------------

    @staticmethod
    def _areas(s: Structure) -> tuple[np.ndarray, np.ndarray]:
        """Per branch code its area (pool), and per pool code the organisation new branches go under.

        A branch built on one host whose parent is not built on that host (a residential area's branch
        under a community or street committee) has that host as its area: its category members are
        pooled with the area's own, not across the whole street. Otherwise the area is the parent (a
        community general branch over its branches).
        """
        u = s.units
        e = s.built_on_edges
        n_hosts = np.bincount(e.src, minlength=s.n_units)
        host = np.full(s.n_units, -1, dtype=np.int64)
        single = n_hosts[e.src] == 1
        host[e.src[single]] = e.dst[single]
        parent = u.parent.astype(np.int64)
        # the parent is built on the branch's host: the parent is the area
        edge_keys = np.sort(e.src.astype(np.int64) * s.n_units + e.dst)
        parent_on_host = np.zeros(s.n_units, dtype=bool)
        asked = np.flatnonzero((host >= 0) & (parent >= 0))
        wanted = parent[asked] * s.n_units + host[asked]
        at = np.minimum(np.searchsorted(edge_keys, wanted), max(len(edge_keys) - 1, 0))
        parent_on_host[asked] = (edge_keys[at] == wanted) if len(edge_keys) else False
        own_area = (host >= 0) & ~parent_on_host
        area = np.where(own_area, host, parent)
        pool_parent = np.arange(s.n_units)
        pool_parent[host[own_area]] = parent[own_area]
        return area, pool_parent

    @staticmethod
    def _places(s: Structure, params: Any) -> np.ndarray:
        """Per member: where a mobile member is (the ``mobile_at`` column, as text), "" when unknown."""
        col = s.members.columns.get(params.mobile_at)
        if col is None:
            return np.full(s.n_members, "", dtype=object)
        return np.array(["" if v is None or v != v or str(v).strip() == "" else str(v).strip() for v in col.tolist()],
                        dtype=object)

    def _emit_no_place(self, s: Structure, plan: Any, who: np.ndarray, mb: np.ndarray, params: Any) -> None:
        for b in sorted(set(mb[who].tolist())):
            n = int((mb[who] == b).sum())
            plan.set_attributes(str(s.units.ids[b]), attrs={"mobile_place_unknown": n}, reason=("mobile_no_place", {
                "unit": str(s.units.name[b]), "n": n, "column": params.mobile_at}))

    def _split_remainders(self, ctx: Any, s: Structure, plan: Any, dest: np.ndarray, source: np.ndarray,
                          mb: np.ndarray, params: Any, committee: CommitteeRule | None, areas: _AreaOrgs) -> None:
        """A source branch keeping more than ``max_size`` members is cut by building (split-branch's way)."""
        left, _, _ = _remaining(s, dest, mb)
        over = np.flatnonzero(source & (left > params.max_size))
        if not len(over):
            return
        split = SplitBranch()
        sp = split.parse_params({"by": "building", "max_size": params.max_size, "min_full": params.min_full,
                                 "propose_roles": committee is not None})
        roles = None
        if committee is not None:
            roles = (ctx.as_of.isoformat() if isinstance(ctx.as_of, dt.date) else None, backbone_mask(s), committee)
        staying = Groups(np.where(s.members["active"] & (dest < 0), mb, -1), s.n_units)
        for b in over.tolist():
            codes = staying[b]
            split.split_members(s, plan, str(s.units.ids[b]), codes, sp, roles, parent=areas.parent_for_branch(b))

    # -- who is what -----------------------------------------------------------------------------

    def _categories(self, s: Structure, ctx: Any, params: Any):  # noqa: ANN202
        n = s.n_members
        cat = np.full(n, -1, dtype=np.int64)
        due = np.zeros(n, dtype=bool)
        notes: dict[str, Any] = {}
        chosen = set(params.categories)
        if "young" in chosen:
            ref, source = reference_date(s, ctx.as_of)
            notes["ref"] = (None if ref is None else str(ref), source)
            if ref is not None:
                age = ages_at(s.column("birth_date"), ref)
                cat[np.nan_to_num(age, nan=np.inf) < params.young_age] = ORDER.index("young")
        if "retired" in chosen:
            cat[s.column("retired").astype(bool)] = ORDER.index("retired")
        if "mobile" in chosen:
            mobile = s.column("mobile").astype(bool).copy()
            away = s.members.columns.get("months_away")
            notes["months_away"] = away is not None
            if away is not None:
                months = np.asarray(away, dtype=float)
                due = np.nan_to_num(months, nan=-1.0) >= 6
                mobile |= due
            cat[mobile] = ORDER.index("mobile")
        return cat, due, notes

    @staticmethod
    def _backbone(s: Structure, params: Any) -> np.ndarray:
        """Members marked backbone, or holding a role in their own branch (by codes, in bulk)."""
        keep = s.column("backbone").astype(bool).copy()
        units, _, _ = s.role_table
        holder = role_member_codes(s)
        known = holder >= 0
        own = units[known] == s.members["branch"][holder[known]]
        keep[holder[known][own]] = True
        return keep

    # -- writing the plan ------------------------------------------------------------------------

    def _emit_transfer_due(self, s: Structure, plan: Any, due: np.ndarray, mb: np.ndarray) -> None:
        codes = np.flatnonzero(due)
        for b in sorted(set(mb[codes].tolist())):
            mine = codes[mb[codes] == b]
            ids = s.members.ids[mine].tolist()
            shown = "、".join(ids[:10]) + ("等" if len(ids) > 10 else "")
            plan.set_attributes(str(s.units.ids[b]), attrs={"mobile_transfer_due": len(ids)}, reason=(
                "transfer_due", {"unit": str(s.units.name[b]), "n": len(ids), "members": shown}))

    def _area(self, s: Structure, p: int) -> str:
        return str(s.units.name[p]) if p >= 0 else "（无上级组织）"

    @staticmethod
    def _place_name(s: Structure, place: str) -> str:
        return str(s.unit(place).name) if s.has_unit(place) else place

    def _emit_category(self, s: Structure, plan: Any, p: int, parent_code: int, c: str, who: np.ndarray,
                       dest: np.ndarray, targets: list[tuple[str, str, str]], params: Any, notes: dict[str, Any],
                       mb: np.ndarray, held: tuple[int, int], due: np.ndarray, place: str | None = None,
                       areas: _AreaOrgs | None = None, cols: _Columns | None = None) -> None:
        cols = cols or _Columns(s, branch_kind_mask(s))
        full_mask = s.full_mask
        n, n_full = len(who), int(full_mask[who].sum())
        area = self._area(s, p) + (f"驻{self._place_name(s, place)}" if place else "")
        tag = f"category:{c}"
        area_is_host = p >= 0 and not s.kinds.is_org[s.units.kind[p]]
        place_host = s.unit_code(place) if place and s.has_unit(place) else -1
        existing = []
        if parent_code >= 0:
            want_on = [place_host] if place_host >= 0 else ([p] if area_is_host else None)
            existing = [x for x in cols.category_children.get(parent_code, ())
                        if tag in s.units.tags[x]
                        and (want_on is None or s.built_on_edges.targets(x).tolist() == want_on)
                        and (place is None or place_host >= 0 or s.units.attrs[x].get("place") == place)]
        sizes = s.sizes()
        home = cols.home
        order = who[np.lexsort((who, home[who]))]  # neighbours together
        if not existing and (n < params.min_size or n_full < params.min_full):
            unit = str(s.units.ids[p]) if p >= 0 and not area_is_host else str(s.units.ids[int(mb[who[0]])])
            plan.set_attributes(unit, attrs={f"category_{c}": "too few for a branch"}, reason=("category_small", {
                "area": area, "n": n, "who_zh": WHO_ZH[c], "who_en": WHO_EN[c], "full": n_full,
                "min_size": params.min_size, "min_full": params.min_full}))
            return
        # fill existing category branches first
        start = 0
        for x in existing:
            room = max(0, params.max_size - int(sizes[x]))
            take = order[start:start + room]
            if len(take):
                targets.append((str(s.units.ids[x]), str(s.units.name[x]), c + ":existing"))
                dest[take] = len(targets) - 1
                start += len(take)
        rest = order[start:]
        if not len(rest):
            return
        rest_full = int(full_mask[rest].sum())
        k = max(1, min(math.ceil(len(rest) / params.max_size), rest_full // params.min_full))
        q, r = divmod(len(rest), k)  # k consecutive parts whose sizes differ by at most one (even_parts)
        labels = np.repeat(np.arange(k), [q + 1] * r + [q] * (k - r))
        if k > 1:
            rebalance(labels, k, affinity=key_affinity(home[rest], k), full=full_mask[rest], max_size=params.max_size,
                      min_full=params.min_full, pinned=np.zeros(len(rest), dtype=bool))
        sources = sorted(set(mb[rest].tolist()))
        kind = s.kinds[int(s.units.kind[sources[0]])]
        parent = str(s.units.ids[parent_code]) if parent_code >= 0 else None
        if area_is_host:
            hosts = [p]
        else:
            hosts = s.built_on_edges.targets(p).tolist() if p >= 0 else []
            if len(hosts) != 1:
                src_hosts = {tuple(s.built_on_edges.targets(b).tolist()) for b in sources}
                hosts = list(next(iter(src_hosts))) if len(src_hosts) == 1 and len(next(iter(src_hosts))) == 1 else []
        base = name_parts(s, parent)[0] if parent is not None else ""
        if hosts:
            base = str(s.units.name[hosts[0]])
        if areas is not None:
            parent = areas.parent_for(p) or parent
        attrs: dict[str, Any] = {"category": c}
        if place:
            base += f"驻{self._place_name(s, place)}"
            attrs["place"] = place
            hosts = [place_host] if place_host >= 0 else []
        immobile = cols.immobile
        for i in range(k):
            part = rest[labels == i]
            suffix = f"第{zh_numeral(i + 1)}{kind.label_zh}" if k > 1 else kind.label_zh
            name = f"{base}{NAME_ZH[c]}{suffix}"
            detail_zh, detail_en = self._detail(c, notes, params, int(immobile[part].sum()), int((due[part]).sum()))
            if held[0]:
                detail_zh += f"；另有{held[0]}名担任职务的骨干党员留在原支部"
                detail_en += f"; {held[0]} more hold a role in their branch and stay"
            if held[1]:
                detail_zh += f"；另有{held[1]}名外出满6个月、应转移组织关系，未转入"
                detail_en += f"; {held[1]} more are away 6 months or more, due to transfer, and are not moved"
            if k > 1:
                detail_zh += f"；共{n}人，分为{k}个支部，此为第{i + 1}个（{len(part)}名党员）"
                detail_en += f"; {n} in all, in {k} branches, this one with {len(part)}"
            key_of = str(s.units.ids[p]) if p >= 0 else "root"
            ref = plan.create_unit(
                new_key(f"cat-{c}" + (f"-at{len(targets)}" if place else ""), key_of, i + 1), kind=kind.id, name=name, parent=parent,
                built_on=[str(s.units.ids[h]) for h in hosts], tags=[tag], attrs=attrs,
                reason=("category_branch", {"area": area, "n": n, "who_zh": WHO_ZH[c], "who_en": WHO_EN[c],
                                            "full": n_full, "detail_zh": detail_zh, "detail_en": detail_en,
                                            "name": name}),
            )
            targets.append((ref, name, c))
            dest[part] = len(targets) - 1

    @staticmethod
    def _detail(c: str, notes: dict[str, Any], params: Any, immobile: int, kept_due: int) -> tuple[str, str]:
        if c == "young":
            date, source = notes.get("ref", (None, "none"))
            return (f"，按{date}（{_REF_ZH[source]}）计年龄小于{params.young_age}岁",
                    f", younger than {params.young_age} at {date} ({_REF_EN[source]})")
        if c == "mobile":
            if not notes.get("months_away"):
                return ("，名册无外出时长（months_away），未核查外出满6个月应转移组织关系的规定",
                        ", months away not recorded: the six-month transfer rule was not checked")
            if kept_due:
                return (f"，其中{kept_due}名外出满6个月、按规定应转移组织关系",
                        f", {kept_due} of them away 6 months or more and due to transfer")
            return "，外出均不满6个月", ", all away less than 6 months"
        if immobile:
            return f"，其中行动不便党员{immobile}名", f", {immobile} of them with limited mobility"
        return "", ""

    def _emit_moves(self, s: Structure, plan: Any, dest: np.ndarray, targets: list[tuple[str, str, str]],
                    due: np.ndarray, mb: np.ndarray, notes: dict[str, Any]) -> None:
        ids = s.members.ids
        moving = np.flatnonzero(dest >= 0)
        left, _, _ = _remaining(s, dest, mb)
        attached = self._emit_group_moves(s, plan, dest, targets, mb)
        # the moves: per target, source branch, whether due to transfer, and group going whole (else -1),
        # each in code order; from one sort
        group = s.members["group"][moving].astype(np.int64)
        to = dest[moving]
        piece = np.where((group >= 0) & (attached[np.maximum(group, 0)] == to), group, -1)
        source, kept_due = mb[moving], due[moving]
        order = np.lexsort((piece, kept_due, source, to))
        columns = [col[order] for col in (to, source, kept_due, piece)]
        change = np.zeros(len(order), dtype=bool)
        change[:1] = True
        for col in columns:
            change[1:] |= col[1:] != col[:-1]
        bounds = np.r_[np.flatnonzero(change), len(order)].tolist()
        moving_ids = ids[moving[order]].tolist()
        for a, z in zip(bounds[:-1], bounds[1:]):
            t, b, is_due, g = (int(columns[0][a]), int(columns[1][a]), bool(columns[2][a]), int(columns[3][a]))
            ref, name, c = targets[t]
            category = c.split(":")[0]
            code = "to_existing" if c.endswith(":existing") else "to_category"
            if is_due:
                why = ("transfer_due_kept", {"n": z - a, "source": str(s.units.name[b]), "name": name})
            else:
                why = (code, {"n": z - a, "who_zh": WHO_ZH[category], "who_en": WHO_EN[category],
                              "source": str(s.units.name[b]), "name": name,
                              "note_zh": f"（{s.units.name[b]}余{int(left[b])}名党员）",
                              "note_en": f" ({s.units.name[b]} keeps {int(left[b])} members)"})
            plan.move(moving_ids[a:z], to=ref, group=str(s.units.ids[g]) if g >= 0 else None, reason=why)

    @staticmethod
    def _emit_group_moves(s: Structure, plan: Any, dest: np.ndarray, targets: list[tuple[str, str, str]],
                          mb: np.ndarray) -> np.ndarray:
        """The groups of the source branches (those losing members): a group whose members all go to
        one target is attached to it, one whose members all leave for different targets is dissolved;
        per branch in code order, attachments then dissolutions, each by group code (split-branch's
        ``group_moves`` for every branch from one sort). Returns per group the target it goes to whole
        (-1: none)."""
        attached = np.full(s.n_units, -1, dtype=np.int64)
        u = s.units
        losing = np.zeros(s.n_units + 1, dtype=bool)  # the extra slot, never set: members of no branch (-1)
        leaving_from = mb[dest >= 0]
        losing[leaving_from[leaving_from >= 0]] = True
        group = s.members["group"].astype(np.int64)
        who = np.flatnonzero(s.members["active"] & losing[mb] & (group >= 0))
        if not len(who):
            return attached
        who = who[np.lexsort((group[who], mb[who]))]
        branch_of, group_of, dest_of = mb[who], group[who], dest[who]
        starts = np.flatnonzero(np.concatenate(([True], (branch_of[1:] != branch_of[:-1])
                                                | (group_of[1:] != group_of[:-1]))))
        lo, hi = np.minimum.reduceat(dest_of, starts), np.maximum.reduceat(dest_of, starts)
        sizes = np.concatenate((starts[1:], [len(who)])) - starts
        b, g = branch_of[starts], group_of[starts]
        live_child = (u.parent[g] == b) & ~u.dissolved[g] & s.kinds.is_group[u.kind[g]] & (lo >= 0)
        runs = np.flatnonzero(live_child)
        rows = zip(b[runs].tolist(), g[runs].tolist(), lo[runs].tolist(), hi[runs].tolist(), sizes[runs].tolist())
        for _, branch_runs in itertools.groupby(rows, key=lambda row: row[0]):  # runs are by branch, then group
            of_branch = list(branch_runs)
            for _, group_code, to, last, n in of_branch:
                if to == last:
                    plan.attach(str(u.ids[group_code]), parent=targets[to][0], reason=("group_attach", {
                        "group": str(u.name[group_code]), "n": n, "name": targets[to][1]}))
                    attached[group_code] = to
            for _, group_code, to, last, _ in of_branch:
                if to != last:
                    plan.dissolve(str(u.ids[group_code]), reason=("group_dissolve", {"group": str(u.name[group_code])}))
        return attached

    def _emit_sources(self, s: Structure, plan: Any, dest: np.ndarray, targets: list[tuple[str, str, str]],
                      source: np.ndarray, mb: np.ndarray, params: Any) -> None:
        """Source branches left empty are dissolved; those left below min_full join a sibling with room."""
        left, left_full, leaving = _remaining(s, dest, mb)
        taken: dict[int, int] = {}
        leaving_from = Groups(np.where(leaving, mb, -1), s.n_units)
        for b in sorted(set(mb[leaving].tolist())):
            bid, bname = str(s.units.ids[b]), str(s.units.name[b])
            others = [g for g in s.child_codes(b).tolist() if not s.kinds.is_group[s.units.kind[g]]]
            if left[b] == 0:
                counts = np.bincount(dest[leaving_from[b]], minlength=len(targets))
                into = targets[int(np.argmax(counts))][0]
                for g in self._live_groups_after(s, b, dest):
                    plan.dissolve(str(s.units.ids[g]), reason=("group_dissolve", {"group": str(s.units.name[g])}))
                plan.dissolve(bid, members_to=into, children_to=into if others else None,
                              reason=("source_empty", {"unit": bname}))
                continue
            if left_full[b] >= params.min_full:
                continue
            parent = int(s.units.parent[b])
            siblings = [
                x for x in (s.child_codes(parent).tolist() if parent >= 0 else [])
                if x != b and source[x] and left_full[x] >= params.min_full
                and left[x] + taken.get(x, 0) + left[b] <= params.max_size
            ]
            if not siblings:
                plan.set_attributes(bid, attrs={"category_remnant": int(left[b])}, reason=("source_small", {
                    "unit": bname, "left": int(left[b]), "left_full": int(left_full[b]), "min_full": params.min_full}))
                continue
            into = min(siblings, key=lambda x: (left[x] + taken.get(x, 0), x))
            taken[into] = taken.get(into, 0) + int(left[b])
            for g in self._live_groups_after(s, b, dest):
                plan.dissolve(str(s.units.ids[g]), reason=("group_dissolve", {"group": str(s.units.name[g])}))
            into_id = str(s.units.ids[into])
            plan.dissolve(bid, members_to=into_id, children_to=into_id if others else None, reason=("source_merged", {
                "unit": bname, "left": int(left[b]), "left_full": int(left_full[b]), "min_full": params.min_full,
                "into": str(s.units.name[into])}))

    @staticmethod
    def _emit_roles(s: Structure, ctx: Any, plan: Any, dest: np.ndarray, targets: list[tuple[str, str, str]],
                    committee: CommitteeRule) -> None:
        """A secretary (and a committee from 7 full members) for each new category branch, from its newcomers."""
        since = ctx.as_of.isoformat() if isinstance(ctx.as_of, dt.date) else None
        backbone = None
        by_target = Groups(dest, len(targets))
        for t, (ref, name, c) in enumerate(targets):
            if c.endswith(":existing"):
                continue
            if backbone is None:
                backbone = backbone_mask(s)
            propose_branch_roles(s, plan, ref, name, by_target[t], committee=committee,
                                 backbone=backbone, since=since)

    @staticmethod
    def _live_groups_after(s: Structure, b: int, dest: np.ndarray) -> list[int]:
        """Groups of branch ``b`` neither attached nor dissolved by the moves (those still under it)."""
        codes = s.member_codes_of(str(s.units.ids[b]))
        attach, dissolve = group_moves(s, str(s.units.ids[b]), codes, dest[codes])
        return [g for g in s.child_codes(b).tolist()
                if s.kinds.is_group[s.units.kind[g]] and g not in attach and g not in dissolve]


class _Columns:
    """What every category's branches read, computed once per proposal: members' home hosts and
    limited mobility, and the live category branches under each parent (in code order)."""

    def __init__(self, s: Structure, category_branch: np.ndarray) -> None:
        self.home = s.members["home_host"].astype(np.int64)
        self.immobile = s.column("mobility_limited").astype(bool)
        self.category_children: dict[int, list[int]] = {}
        for x in np.flatnonzero(category_branch).tolist():
            self.category_children.setdefault(int(s.units.parent[x]), []).append(x)


class _AreaOrgs:
    """The organisation over an area's branches, created when first needed.

    An area pooled by its host (a residential area whose branch sits under a community or street
    committee) that has more than ``max_size`` members and gets more branches is given a general
    branch (up to the rule general_branch.max, 100 members) or a base committee (more) on its host,
    under the old parent (general_branch.when, committee_base.when); its source branches are attached
    to it and the new category branches and split parts go under it, so that they belong to their
    area rather than sit directly under the street committee.
    """

    def __init__(self, s: Structure, ctx: Any, plan: Any, pool_parent: np.ndarray, area: np.ndarray | None,
                 source: np.ndarray, params: Any) -> None:
        self.s, self.plan, self.pool_parent, self.area, self.params = s, plan, pool_parent, area, params
        self.source = source
        self.made: dict[int, str | None] = {}
        self.sources_of: Groups | None = None
        self.gb_max = ctx.rules.limit("general_branch.max", "max") or 100
        active = s.members["active"]
        mb = s.members["branch"].astype(np.int64)
        if area is not None:
            self.size = np.bincount(np.maximum(area[mb[active]], 0), weights=(area[mb[active]] >= 0).astype(float),
                                    minlength=s.n_units).astype(np.int64)

    def parent_for_branch(self, b: int) -> str | None:
        if self.area is None:
            return None
        return self.parent_for(int(self.area[b]))

    def parent_for(self, p: int) -> str | None:
        """The area organisation's reference for pool ``p``, or None when the pool needs none."""
        s = self.s
        if self.area is None or p < 0 or s.kinds.is_org[s.units.kind[p]]:
            return None
        if p in self.made:
            return self.made[p]
        size = int(self.size[p])
        parent_code = int(self.pool_parent[p])
        self.made[p] = None
        if size <= self.params.max_size or parent_code < 0:
            return None
        parent = str(s.units.ids[parent_code])
        order = ["party.general_branch", "party.committee"] if size <= self.gb_max else ["party.committee", "party.general_branch"]
        kind = next((k for k in order if k in s.kinds and allows_parent(s, k, parent)), None)
        if kind is None:
            return None
        host = str(s.units.ids[p])
        name = s.kinds[kind].name_template.format(host=str(s.units.name[p]))
        ref = self.plan.create_unit(new_key("area", host, 1), kind=kind, name=name, parent=parent, built_on=[host],
                                    reason=("area_org", {"area": str(s.units.name[p]), "size": size,
                                                         "over": self.params.max_size, "name": name}))
        if self.sources_of is None:  # live source units by area, grouped once
            self.sources_of = Groups(np.where(self.source & ~s.units.dissolved, self.area, -1), s.n_units)
        for b in self.sources_of[p].tolist():
            if s.kinds.is_branch[s.units.kind[b]]:
                self.plan.attach(str(s.units.ids[b]), parent=ref, reason=("area_attach", {
                    "unit": str(s.units.name[b]), "name": name}))
        self.made[p] = ref
        return ref


def _remaining(s: Structure, dest: np.ndarray, mb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Members (and full members) each branch keeps once the planned moves leave, and who leaves."""
    active = s.members["active"]
    leaving = (dest >= 0) & active
    staying = active & ~leaving
    left = np.bincount(mb[staying], minlength=s.n_units)
    left_full = np.bincount(mb[staying], weights=s.full_mask[staying].astype(float), minlength=s.n_units)
    return left, left_full.astype(np.int64), leaving
