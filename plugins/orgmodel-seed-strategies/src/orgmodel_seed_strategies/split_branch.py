"""split-branch: split an oversized branch (支部党员人数一般不超过50人) into k branches.

Three ways of cutting (``by``):

- ``building``: by members' ``home_host`` (building 楼栋 / courtyard 院落): a building is kept
  together; buildings are bin-packed (largest first, into the currently smallest part) into k
  balanced parts ("党支部建在院落，党小组建在楼栋", seed 003);
- ``category``: retired / working / young / mobile members (columns ``retired``, ``mobile``,
  ``birth_date`` against the reference date), the seed-003 老年/青年/流动党员党支部 idea applied
  inside one branch;
- ``ties``: a weighted social-tie graph among the branch's members (``Structure.ties``), cut by
  recursive Kernighan–Lin bisection (networkx, seeded from ``ctx.rng``) or grown from anchors
  (proposed secretaries, or the branch's backbone), then refined by single moves.

Every part is then brought within the size rule: at most ``max_size`` members (when k parts can
hold them) and at least ``min_full`` full members (branch.min_full), by moving the members least
tied to their part. The original branch keeps part 1 (the part holding its secretary, else the
largest): it keeps its id, roles and ledgers and is renamed "…第一党支部"; parts 2..k are new
branches under the same parent, built on the same hosts, with the same tags. Groups (党小组)
whose members all go to one new part move with them (``attach``); groups left without members
are dissolved; roles held in the original branch by members who leave are cleared. With
``propose_roles`` each new part gets a proposed secretary (and from 7 full members a committee),
chosen from its members (``orgmodel_party.propose_branch_roles``); part 1 only when it lost
role holders.

The helpers at the top of this module (branch kinds, reference date, rebalancing) are shared
with ``joint_branches`` and ``category_branches``.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Callable
from typing import Any, Literal

import networkx as nx
import numpy as np
from orgmodel_party import ROLE_TEMPLATES, CommitteeRule, backbone_mask, propose_branch_roles
from pydantic import BaseModel, ConfigDict, Field
from scipy import sparse

from orgmodel import Strategy, Structure, UserError, ancestor_codes, role_member_codes, roles_by_unit, zh_numeral

from .limits import MAX_SIZE, MIN_FULL, with_rule_defaults
from .packing import distinct, even_parts, fit_decreasing
from .reach import free_to_rebuild
from .units import roles_in

__all__ = ["SplitBranch"]

# -- helpers shared by the strategies of this author -------------------------------------------


def branch_kind_mask(s: Structure) -> np.ndarray:
    """Per unit code: a live unit of a member-holding kind of the domain pack (not ``core.*``)."""
    ok = np.array([k.relation == "branch" and not k.id.startswith("core.") for k in s.kinds], dtype=bool)
    return ok[s.units.kind] & ~s.units.dissolved


def group_kind_mask(s: Structure) -> np.ndarray:
    """Per unit code: a live group (a kind with ``relation: group``)."""
    return s.kinds.is_group[s.units.kind] & ~s.units.dissolved


def reference_date(s: Structure, as_of: dt.date | None) -> tuple[np.datetime64 | None, str]:
    """The date ages are measured at, and where it came from.

    ``as_of`` when the scenario gives one; else the latest ``joined`` date of the roster (the
    roster is at least that recent); else the latest ``birth_date`` plus 18 years (every member is
    at least 18, so the roster cannot be older; ages computed from it are lower bounds); else None.
    """
    if as_of is not None:
        return np.datetime64(as_of, "D"), "as_of"
    joined = s.members.columns.get("joined")
    if joined is not None and np.issubdtype(joined.dtype, np.datetime64):
        known = joined[~np.isnat(joined)]
        if len(known):
            return known.max().astype("datetime64[D]"), "joined"
    birth = s.members.columns.get("birth_date")
    if birth is not None and np.issubdtype(birth.dtype, np.datetime64):
        known = birth[~np.isnat(birth)]
        if len(known):
            latest = known.max().astype("datetime64[D]").astype(object)
            try:
                ref = latest.replace(year=latest.year + 18)
            except ValueError:  # 29 February
                ref = latest.replace(year=latest.year + 18, day=28)
            return np.datetime64(ref, "D"), "birth+18"
    return None, "none"


def ages_at(birth: np.ndarray, ref: np.datetime64) -> np.ndarray:
    """Age in whole years at ``ref`` (float; NaN where the birth date is unknown)."""
    birth = np.asarray(birth, dtype="datetime64[D]")
    nat = np.isnat(birth)
    b = np.where(nat, np.datetime64("2000-01-01"), birth)
    by = b.astype("datetime64[Y]").astype(np.int64)
    bm = b.astype("datetime64[M]").astype(np.int64) % 12
    bd = (b - b.astype("datetime64[M]")).astype(np.int64)
    r = np.datetime64(ref, "D")
    ry = int(r.astype("datetime64[Y]").astype(np.int64))
    rm = int(r.astype("datetime64[M]").astype(np.int64) % 12)
    rd = int((r - r.astype("datetime64[M]")).astype(np.int64))
    before = (rm < bm) | ((rm == bm) & (rd < bd))
    age = (ry - by - before).astype(float)
    age[nat] = np.nan
    return age


def key_affinity(keys: np.ndarray, k: int, *, inverse: np.ndarray | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """Affinity of each member to each part: how many others with the same key are in it
    (``inverse``: each member's key as an index into the distinct keys, when already known)."""
    if inverse is None:
        _, inverse = np.unique(keys, return_inverse=True)
    n_keys = int(inverse.max(initial=-1)) + 1

    def affinity(labels: np.ndarray) -> np.ndarray:
        counts = np.bincount(inverse * k + labels, minlength=n_keys * k).reshape(n_keys, k).astype(float)
        a = counts[inverse]
        a[np.arange(len(labels)), labels] -= 1.0
        return a

    return affinity


def tie_affinity(w: sparse.csr_matrix, k: int) -> Callable[[np.ndarray], np.ndarray]:
    """Affinity of each member to each part: the tie weight from the member into the part."""

    def affinity(labels: np.ndarray) -> np.ndarray:
        onehot = sparse.csr_matrix(
            (np.ones(len(labels)), (np.arange(len(labels)), labels)), shape=(len(labels), k)
        )
        return np.asarray((w @ onehot).todense(), dtype=float)

    return affinity


def rebalance(
    labels: np.ndarray,
    k: int,
    *,
    affinity: Callable[[np.ndarray], np.ndarray],
    full: np.ndarray,
    max_size: int,
    min_full: int,
    pinned: np.ndarray,
) -> int:
    """Bring parts within the size rule in place; returns the number of members moved.

    First, while a part has more than ``max_size`` members (and k parts can hold everyone), the
    member of the largest part least tied to it (greatest gain to a part with room) moves. Then,
    while a part has fewer than ``min_full`` full members (or none at all), the full member of
    the part richest in full members that is least tied to it moves over; if that overfills the
    receiving part, its least-tied non-full member goes the other way. Pinned members never move.
    """
    n = len(labels)
    moved = 0
    if n == 0 or k < 2:
        return 0
    can_hold = n <= k * max_size
    guard = 4 * n + 10
    while can_hold and guard > 0:
        guard -= 1
        sizes = np.bincount(labels, minlength=k)
        p = int(np.argmax(sizes))
        if sizes[p] <= max_size:
            break
        room = np.flatnonzero(sizes < max_size)
        cand = np.flatnonzero((labels == p) & ~pinned)
        if not len(cand) or not len(room):
            break
        a = affinity(labels)
        gain = a[np.ix_(cand, room)] - a[cand, p][:, None]
        # best gain; ties: the emptiest target, then the lowest member code
        score = gain * (n + 1) - sizes[room][None, :] / (max_size + 1.0)
        i, j = np.unravel_index(int(np.argmax(score)), score.shape)
        labels[cand[i]] = room[j]
        moved += 1
    total_full = int(full.sum())
    feasible_full = total_full >= k * min_full
    guard = 4 * n + 10
    while guard > 0:
        guard -= 1
        sizes = np.bincount(labels, minlength=k)
        fulls = np.bincount(labels, weights=full.astype(float), minlength=k).astype(int)
        need = np.flatnonzero((sizes == 0) | ((fulls < min_full) & feasible_full))
        if not len(need):
            break
        p = int(need[0])
        donors = [q for q in np.argsort(-fulls, kind="stable").tolist() if q != p]
        a = affinity(labels)
        done = False
        for q in donors:
            if fulls[q] <= min_full and sizes[p] > 0:
                continue
            pool = full if (fulls[q] > min_full) else np.ones(n, dtype=bool)
            cand = np.flatnonzero((labels == q) & pool & ~pinned)
            if not len(cand) or sizes[q] <= 1:
                continue
            gain = a[cand, p] - a[cand, q]
            m = int(cand[int(np.argmax(gain))])
            labels[m] = p
            moved += 1
            if can_hold and sizes[p] + 1 > max_size:
                back = np.flatnonzero((labels == p) & ~full & ~pinned)
                if len(back):
                    a = affinity(labels)
                    g = a[back, q] - a[back, p]
                    labels[int(back[int(np.argmax(g))])] = q
                    moved += 1
            done = True
            break
        if not done:
            break
    return moved


def secretary_of(s: Structure, unit: str) -> str | None:
    """The person holding the role ``secretary`` in a unit (first in sorted order), if any."""
    for role in roles_in(s, unit):
        if role.role == "secretary":
            return role.person
    return None


def name_parts(s: Structure, unit: str) -> tuple[str, str]:
    """A unit's name cut into (base, suffix): "鹤北一党支部" -> ("鹤北一", "党支部")."""
    code = s.unit_code(unit)
    name = str(s.units.name[code])
    label = s.kinds[int(s.units.kind[code])].label_zh
    for suffix in (label, "党支部", "支部"):
        if suffix and name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], suffix
    return name, label or ""


def new_key(prefix: str, unit: str, i: int) -> str:
    """A plan-local key for a unit created from ``unit``."""
    return f"{prefix}-{unit.replace('/', '~')}-{i}"


def group_moves(
    s: Structure, unit: str, codes: np.ndarray, dest: np.ndarray
) -> tuple[dict[int, int], list[int]]:
    """What becomes of the groups of ``unit`` when its members ``codes`` go to parts ``dest``.

    ``dest`` is a part index per member, -1 for "stays in ``unit``". Returns the groups to attach
    to a part (group code -> part index: every member of the group goes to that same part) and
    the groups to dissolve (every member leaves, to different parts).
    """
    attach, dissolve, _ = _group_moves(s, unit, codes, dest)
    return attach, dissolve


def _group_moves(
    s: Structure, unit: str, codes: np.ndarray, dest: np.ndarray
) -> tuple[dict[int, int], list[int], dict[int, int]]:
    """:func:`group_moves` and the number of members (among ``codes``) of each group, from one sort."""
    attach: dict[int, int] = {}
    dissolve: list[int] = []
    group_col = s.members["group"][codes]
    if not len(group_col):
        return attach, dissolve, {}
    order = np.argsort(group_col, kind="stable")
    ordered = group_col[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    groups, counts = ordered[starts], np.concatenate((starts[1:], [len(ordered)])) - starts
    d = np.asarray(dest)[order]
    lo, hi = np.minimum.reduceat(d, starts).tolist(), np.maximum.reduceat(d, starts).tolist()
    at = {g: i for i, g in enumerate(groups.tolist())}
    is_group = s.kinds.is_group
    kind = s.units.kind
    for g in s.child_codes(s.unit_code(unit)).tolist():
        i = at.get(g)
        if i is None or not is_group[kind[g]] or lo[i] < 0:
            continue
        if lo[i] == hi[i]:
            attach[g] = int(lo[i])
        else:
            dissolve.append(g)
    return attach, dissolve, dict(zip(groups.tolist(), counts.tolist()))


def _building_counts(home: np.ndarray, known: np.ndarray, labels: np.ndarray,
                     k: int) -> tuple[list[int], list[int], list[int]]:
    """Per part: the buildings its members live in, how many of those other parts have members in
    too, and its members with no building recorded (one sort for all parts)."""
    pairs = np.sort(home[known] * k + labels[known])
    if len(pairs):  # (building, part), each once
        pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
    pair_home, pair_part = pairs // k, pairs % k
    same_as_next = pair_home[1:] == pair_home[:-1]  # pairs are sorted by building: its parts are consecutive
    shared = np.zeros(len(pairs), dtype=bool)
    shared[:-1] |= same_as_next
    shared[1:] |= same_as_next
    return (np.bincount(pair_part, minlength=k).tolist(), np.bincount(pair_part[shared], minlength=k).tolist(),
            np.bincount(labels[~known], minlength=k).tolist())


def _secretary_position(s: Structure, unit: str, codes: np.ndarray) -> int:
    """Where the unit's secretary (as :func:`secretary_of`) stands in ``codes``; -1 when not among
    them (or not a member). From the role holders' member codes, not a lookup of the person's id."""
    rows = roles_by_unit(s, [s.unit_code(unit)])[0].tolist()
    for i in rows:
        if s.roles[i].role == "secretary":
            at = np.flatnonzero(codes == role_member_codes(s)[i])
            return int(at[0]) if len(at) else -1
    return -1


# -- the strategy --------------------------------------------------------------------------------

_BY = {
    "building": ("楼栋/院落", "building/courtyard"),
    "category": ("党员类别", "member category"),
    "ties": ("党员之间的联系", "ties between members"),
}
_CATEGORIES = ("mobile", "retired", "young", "working")
CATEGORY_ZH = {"mobile": "流动", "retired": "离退休", "young": "青年", "working": "在职"}
CATEGORY_EN = {"mobile": "mobile", "retired": "retired", "young": "young", "working": "working"}


class SplitBranch(Strategy):
    """Split oversized branches into k branches by building, member category or social ties."""

    name = "split-branch"
    #: Size parameters whose default is a rule of the rules in force (see ``limits``).
    rule_defaults = {"max_size": MAX_SIZE, "min_full": MIN_FULL}
    label_zh = "拆分过大支部"
    label_en = "split an oversized branch"
    description = (
        "Splits a branch above max_size members (branch.max_size: 一般不超过50人) into k branches, "
        "by building/courtyard, by member category, or by a min-cut of the social-tie graph; every "
        "part keeps at least min_full full members. The original branch keeps part 1."
    )
    templates = {
        "keep_part": {
            "zh": "{unit}有{size}名党员（一般不超过{max_size}人），按{by_zh}拆分为{k}个支部；原支部保留第1部分"
            "（{part_size}名党员，正式党员{part_full}名{detail_zh}），更名为{name}",
            "en": "{unit} has {size} members (as a rule at most {max_size}): split by {by_en} into {k} branches; "
            "the branch keeps part 1 ({part_size} members, {part_full} full{detail_en}) and is renamed {name}",
        },
        "new_part": {
            "zh": "从{unit}拆出第{i}部分，新建{name}：{part_size}名党员，正式党员{part_full}名{detail_zh}",
            "en": "part {i} of {unit} becomes the new {name}: {part_size} members, {part_full} full{detail_en}",
        },
        "move_part": {
            "zh": "{n}名党员从{unit}转入{name}（第{i}部分，其中行动不便党员{immobile}名）",
            "en": "{n} members move from {unit} to {name} (part {i}; {immobile} of them with limited mobility)",
        },
        "group_attach": {
            "zh": "{group}的{n}名党员全部分入{name}，党小组随之划转",
            "en": "all {n} members of {group} go to {name}: the group moves with them",
        },
        "group_dissolve": {
            "zh": "{group}的{n}名党员分到不同的新支部，撤销该党小组",
            "en": "the {n} members of {group} go to different new branches: the group is dissolved",
        },
        "role_cleared": {
            "zh": "{person}转入{name}，不再担任{unit}的{role}",
            "en": "{person} moves to {name} and no longer holds the role {role} in {unit}",
        },
        "anchor_secretary": {
            "zh": "{person}为{name}的拟任书记（拆分以其为核心）",
            "en": "{person} is the proposed secretary of {name} (the part was grown around them)",
        },
        **ROLE_TEMPLATES,
        "cannot_split": {
            "zh": "{unit}有{size}名党员（超过{max_size}人），但只有{full}名正式党员，不足以拆出每个至少{min_full}名正式党员的支部，暂不拆分",
            "en": "{unit} has {size} members (more than {max_size}) but only {full} full members, too few for "
            "parts of at least {min_full} full members each: not split",
        },
    }

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid")

        units: list[str] | None = Field(
            None, description="branch ids to split; default: every branch in the step's scope with more than max_size"
            " members (a locked branch, or one whose parent or groups are locked or outside the scope, is left alone)"
        )
        k: int | None = Field(None, ge=2, le=200, description="number of parts; default ceil(members / max_size)")
        max_size: int | None = Field(None, ge=3, le=100_000, description="most members a part should have"
                                     " (default: the rule branch.max_size)")
        min_full: int | None = Field(None, ge=1, le=100, description="fewest full members a part must have"
                                     " (default: the rule branch.min_full)")
        by: Literal["building", "category", "ties"] = Field(
            "building", description="building: keep home_host buildings together; category: retired/working/"
            "young/mobile; ties: min-cut of the member tie graph"
        )
        anchors: list[str] | Literal["backbone"] | None = Field(
            None, description="by=ties only: member ids, one per part (proposed secretaries), or 'backbone' "
            "to anchor each part on a backbone member (backbone column or a role in the branch)"
        )
        young_age: int = Field(35, ge=18, le=100, description="by=category: younger than this at the reference date is young")
        propose_roles: bool = Field(True, description="propose a secretary (and from 7 full members, the rule committee.when,"
                                    " a committee of 3, 5 from 25) for each new branch from its members, backbone first; the kept branch "
                                    "gets its committee topped up when members holding roles leave it")

    # -- propose ---------------------------------------------------------------------------------

    contract_params = ({"by": "building"}, {"by": "category"}, {"by": "ties"})  # what the contract kit checks

    def propose(self, ctx: Any, params: Any) -> Any:
        s: Structure = ctx.structure
        params = with_rule_defaults(ctx.rules, self.name, params, self.rule_defaults)
        plan = ctx.plan()
        units = self._units(ctx, s, params)
        if params.anchors is not None and params.by != "ties":
            raise UserError(f"{self.name}: params.anchors is only used with by=ties")
        if isinstance(params.anchors, list) and (params.units is None or len(units) != 1):
            raise UserError(f"{self.name}: params.anchors: a list of anchors needs exactly one unit in params.units")
        ref_date = None
        if params.by == "category":
            ref_date, _ = reference_date(s, ctx.as_of)
        roles = None
        if params.propose_roles and units:
            roles = (ctx.as_of.isoformat() if isinstance(ctx.as_of, dt.date) else None, backbone_mask(s),
                     CommitteeRule.from_rules(ctx.rules, strategy=self.name))
        for unit in units:
            self._split(ctx, s, plan, unit, params, ref_date, roles)
        return plan.build()

    def _units(self, ctx: Any, s: Structure, params: Any) -> list[str]:
        branch = branch_kind_mask(s)
        free = free_to_rebuild(ctx)
        if params.units is None:
            sizes = s.sizes()
            codes = np.flatnonzero(branch & free & (sizes > params.max_size))
            return s.units.ids[codes].tolist()
        out = []
        for unit in params.units:
            if not s.has_unit(unit):
                raise UserError(f"{self.name}: params.units: unknown unit {unit!r}")
            code = s.unit_code(unit)
            if s.units.dissolved[code]:
                raise UserError(f"{self.name}: params.units: {unit!r} is dissolved")
            if not branch[code]:
                raise UserError(f"{self.name}: params.units: {unit!r} is a {s.kind_of(unit)}, not a branch")
            if not free[code]:
                raise UserError(f"{self.name}: params.units: {unit!r}, its parent or a group under it is locked or"
                                " outside the step's scope")
            if unit in out:
                raise UserError(f"{self.name}: params.units: {unit!r} is named twice")
            out.append(unit)
        return out

    def _split(self, ctx: Any, s: Structure, plan: Any, unit: str, params: Any, ref_date: Any,
               roles: tuple[str | None, np.ndarray, CommitteeRule] | None = None) -> None:
        codes = s.member_codes_of(unit)
        n = len(codes)
        full = s.full_mask[codes]
        n_full = int(full.sum())
        explicit = params.units is not None
        k_given = params.k if params.k is not None else (
            len(params.anchors) if isinstance(params.anchors, list) else None)
        if k_given is not None:
            k = k_given
            if k > n:
                raise UserError(f"{self.name}: params.k={k} is more than the {n} members of {unit}")
            if n_full < k * params.min_full:
                raise UserError(
                    f"{self.name}: params.k={k} needs {k * params.min_full} full members ({params.min_full} per part);"
                    f" {unit} has {n_full}"
                )
        else:
            if n <= params.max_size:
                raise UserError(
                    f"{self.name}: {unit} has {n} members, not more than params.max_size={params.max_size};"
                    " give params.k to split it anyway"
                )
            k = min(math.ceil(n / params.max_size), n_full // params.min_full)
            if k < 2:
                if explicit:
                    raise UserError(
                        f"{self.name}: {unit} has only {n_full} full members: too few for two parts of"
                        f" {params.min_full} (params.min_full)"
                    )
                plan.set_attributes(unit, attrs={"split_note": "too few full members"}, reason=(
                    "cannot_split", {"unit": s.unit(unit).name, "size": n, "max_size": params.max_size, "full": n_full,
                                     "min_full": params.min_full}))
                return
        self._cut(ctx, s, plan, unit, codes, k, params, ref_date, roles, explicit_k=k_given is not None)

    def split_members(self, s: Structure, plan: Any, unit: str, codes: np.ndarray, params: Any,
                      roles: tuple[str | None, np.ndarray, CommitteeRule] | None = None, *,
                      parent: str | None = None) -> None:
        """Cut the members ``codes`` that stay in ``unit`` (e.g. after another strategy's moves in the
        same plan) into parts of at most ``params.max_size``, as :meth:`propose` would with ``units``
        unset; ``params`` are this strategy's (``by`` other than ties); the new parts go under
        ``parent`` (default: the unit's parent). Too few full members for two parts: the plan
        records it on ``unit`` (``cannot_split``)."""
        n, n_full = len(codes), int(s.full_mask[codes].sum())
        if n <= params.max_size:
            return
        k = min(math.ceil(n / params.max_size), n_full // params.min_full)
        if k < 2:
            plan.set_attributes(unit, attrs={"split_note": "too few full members"}, reason=(
                "cannot_split", {"unit": s.unit(unit).name, "size": n, "max_size": params.max_size, "full": n_full,
                                 "min_full": params.min_full}))
            return
        self._cut(None, s, plan, unit, codes, k, params, None, roles, parent=parent)

    def _cut(self, ctx: Any, s: Structure, plan: Any, unit: str, codes: np.ndarray, k: int, params: Any,
             ref_date: Any, roles: tuple[str | None, np.ndarray, CommitteeRule] | None, *,
             explicit_k: bool = False, parent: str | None = None) -> None:
        n = len(codes)
        full = s.full_mask[codes]
        anchors_local: list[int] = []
        pinned = np.zeros(n, dtype=bool)
        at_secretary = _secretary_position(s, unit, codes)
        if at_secretary >= 0:
            pinned[at_secretary] = True
        if params.by == "building":
            labels, affinity, info = self._by_building(s, unit, codes, k, params.max_size)
        elif params.by == "category":
            labels, affinity, info, k = self._by_category(s, codes, k, params, ref_date, explicit_k=explicit_k)
        else:
            labels, affinity, info, anchors_local = self._by_ties(ctx, s, unit, codes, k, params)
            pinned[anchors_local] = True
        rebalance(labels, k, affinity=affinity, full=full, max_size=params.max_size,
                  min_full=params.min_full, pinned=pinned)
        # part 1 is the part holding the secretary, else the largest
        sizes = np.bincount(labels, minlength=k)
        first = labels[at_secretary] if at_secretary >= 0 else int(np.argmax(sizes))
        order = [first] + [p for p in range(k) if p != first]
        remap = np.empty(k, dtype=np.int64)
        remap[order] = np.arange(k)
        labels = remap[labels]
        info["reorder"](order)
        self._emit(s, plan, unit, codes, labels, k, params, info, anchors_local, roles, parent=parent)

    # -- cutting methods -------------------------------------------------------------------------

    def _by_building(self, s: Structure, unit: str, codes: np.ndarray, k: int, max_size: int):  # noqa: ANN202
        home = s.members["home_host"][codes].astype(np.int64)
        coarse: set[int] = set()
        for h in s.built_on_edges.targets(s.unit_code(unit)).tolist():
            coarse.update(ancestor_codes(s, h).tolist())
        known = home >= 0
        for c in coarse:
            known &= home != c
        n = len(codes)
        keys = np.where(known, home, s.n_units + np.arange(n))  # members with no building are on their own
        uniq, inverse, counts = distinct(keys)
        order = np.lexsort((uniq, -counts))  # largest first, then by code
        part_of_key = np.empty(len(uniq), dtype=np.int64)
        heap = [(0, p) for p in range(k)]  # (load, part): the least loaded part, the first on ties
        sizes = counts.tolist()
        for i in order.tolist():
            load, p = heap[0]
            part_of_key[i] = p
            heapq.heapreplace(heap, (load + sizes[i], p))
        if max(load for load, _ in heap) > max_size and int(counts.sum()) <= k * max_size:
            packed = fit_decreasing(counts, order, k, max_size)
            if packed is not None:
                part_of_key = packed
        labels = part_of_key[inverse]
        labels = self._building_moves(labels, inverse, counts, k, max_size)
        info: dict[str, Any] = {"known": known, "home": home}

        seen: list[Any] = [None, None]  # the labels last described, and their counts per part

        def detail(labels: np.ndarray, p: int) -> tuple[str, str]:
            if seen[0] is not labels:
                seen[0], seen[1] = labels, _building_counts(home, known, labels, k)
            n_here, n_shared, n_free = seen[1]
            here, shared, free = n_here[p], n_shared[p], n_free[p]
            zh = f"，涉及{here}个楼栋/院落" + (f"（其中{shared}个因人数平衡与其他支部分开）" if shared else "") + (
                f"，另有{free}名党员未登记楼栋" if free else "")
            en = f", {here} buildings/courtyards" + (f" ({shared} shared with another part to balance sizes)"
                                                          if shared else "") + (
                f", {free} with no building recorded" if free else "")
            return zh, en

        info["detail"] = detail
        info["reorder"] = lambda order: None
        return labels, key_affinity(keys, k, inverse=inverse), info

    @staticmethod
    def _building_moves(labels: np.ndarray, inverse: np.ndarray, counts: np.ndarray, k: int,
                        max_size: int) -> np.ndarray:
        """Whole-building moves and swaps: first bring parts under ``max_size``, then narrow the gap
        between the largest and the smallest part."""
        key_part = np.zeros(len(counts), dtype=np.int64)
        key_part[inverse] = labels
        if int(counts.sum()) <= k * max_size:
            for _ in range(4 * len(counts) + 4):
                load = np.bincount(key_part, weights=counts, minlength=k)
                p = int(np.argmax(load))
                excess = load[p] - max_size
                if excess <= 0:
                    break
                best: tuple[float, int, int, int] | None = None  # (cost, building, target, swap-back building)
                mine = np.flatnonzero(key_part == p)
                for q in range(k):
                    if q == p:
                        continue
                    room = max_size - load[q]
                    for b in mine.tolist():
                        c = counts[b]
                        if c <= room:  # a plain move; best: the smallest building that clears the excess
                            cost = (c - excess) if c >= excess else (max_size + excess - c)
                            if best is None or (cost, b, q) < best[:3]:
                                best = (cost, b, q, -1)
                        else:  # a swap with a smaller building of q
                            for b2 in np.flatnonzero((key_part == q) & (counts < c)).tolist():
                                gain = c - counts[b2]
                                if load[q] + gain <= max_size:
                                    cost = 2 * max_size + ((gain - excess) if gain >= excess else (max_size + excess - gain))
                                    if best is None or (cost, b, q) < best[:3]:
                                        best = (cost, b, q, b2)
                if best is None:
                    break
                _, b, q, b2 = best
                key_part[b] = q
                if b2 >= 0:
                    key_part[b2] = p
        for _ in range(4 * len(counts) + 4):
            load = np.bincount(key_part, weights=counts, minlength=k)
            hi, lo = int(np.argmax(load)), int(np.argmin(load))
            gap = load[hi] - load[lo]
            mine = np.flatnonzero((key_part == hi) & (counts < gap))
            if not len(mine):
                break
            # the building that best halves the gap
            best = mine[int(np.argmin(np.abs(gap - 2 * counts[mine])))]
            if abs(gap - 2 * counts[best]) >= gap or load[lo] + counts[best] > max(max_size, load[hi]):
                break
            key_part[best] = lo
        return key_part[inverse]

    def _by_category(self, s: Structure, codes: np.ndarray, k: int, params: Any, ref_date: Any, *, explicit_k: bool):  # noqa: ANN202
        n = len(codes)
        cat = np.full(n, 3, dtype=np.int64)  # working
        if ref_date is not None:
            age = ages_at(s.column("birth_date")[codes], ref_date)
            cat[np.nan_to_num(age, nan=np.inf) < params.young_age] = 2
        cat[s.column("retired")[codes].astype(bool)] = 1
        cat[s.column("mobile")[codes].astype(bool)] = 0
        full = s.full_mask[codes]
        home = s.members["home_host"][codes].astype(np.int64)
        # blocks: (set of categories, member indexes)
        blocks: list[tuple[tuple[int, ...], np.ndarray]] = []
        for c in range(4):
            idx = np.flatnonzero(cat == c)
            if len(idx):
                blocks.append(((c,), idx))
        # a category with too few full members cannot stand alone: it joins the largest block
        while len(blocks) > 1:
            weak = [i for i, b in enumerate(blocks) if int(full[b[1]].sum()) < params.min_full]
            if not weak:
                break
            i = weak[0]
            cats, idx = blocks.pop(i)
            j = max(range(len(blocks)), key=lambda t: (len(blocks[t][1]), -t))
            blocks[j] = (tuple(sorted(blocks[j][0] + cats)), np.sort(np.concatenate([blocks[j][1], idx])))
        if explicit_k:
            while len(blocks) > k:  # merge the two smallest
                blocks.sort(key=lambda b: (len(b[1]), b[0]))
                (c1, i1), (c2, i2) = blocks[0], blocks[1]
                blocks = [(tuple(sorted(c1 + c2)), np.sort(np.concatenate([i1, i2])))] + blocks[2:]
            counts = [1] * len(blocks)
            while sum(counts) < k:  # give another part to the block with the most members per part
                j = max(range(len(blocks)), key=lambda t: (len(blocks[t][1]) / counts[t], -t))
                counts[j] += 1
        else:
            counts = [max(1, min(math.ceil(len(b[1]) / params.max_size), int(full[b[1]].sum()) // params.min_full))
                      for b in blocks]
            while sum(counts) < 2 and len(blocks[0][1]) >= 2:
                counts[0] += 1
        blocks_sorted = sorted(zip(blocks, counts, strict=True), key=lambda bc: bc[0][0])
        labels = np.empty(n, dtype=np.int64)
        part_cats: list[tuple[int, ...]] = []
        p = 0
        for (cats, idx), m in blocks_sorted:
            # within a block, neighbours stay together: cut the (home host, code) order evenly
            ordered = idx[np.lexsort((codes[idx], home[idx]))]
            for chunk in even_parts(ordered, m):
                labels[chunk] = p
                part_cats.append(cats)
                p += 1
        k = p
        info: dict[str, Any] = {"part_cats": part_cats}

        def detail(labels: np.ndarray, p: int) -> tuple[str, str]:
            cats = info["part_cats"][p]
            mine = labels == p
            zh = "，" + "、".join(f"{CATEGORY_ZH[_CATEGORIES[c]]}党员{int((mine & (cat == c)).sum())}名" for c in range(4)
                                 if (mine & (cat == c)).any())
            en = ", " + ", ".join(f"{int((mine & (cat == c)).sum())} {CATEGORY_EN[_CATEGORIES[c]]}" for c in range(4)
                                  if (mine & (cat == c)).any())
            main = "+".join(CATEGORY_EN[_CATEGORIES[c]] for c in cats)
            return zh + f"（以{'、'.join(CATEGORY_ZH[_CATEGORIES[c]] for c in cats)}党员为主）", en + f" (mainly {main})"

        def reorder(order: list[int]) -> None:
            info["part_cats"] = [part_cats[p] for p in order]

        info["detail"] = detail
        info["reorder"] = reorder
        info["tags"] = lambda p: [f"category:{_CATEGORIES[c]}" for c in info["part_cats"][p] if c != 3]
        return labels, key_affinity(cat, k), info, k

    def _by_ties(self, ctx: Any, s: Structure, unit: str, codes: np.ndarray, k: int, params: Any):  # noqa: ANN202
        n = len(codes)
        t = s.ties
        keep = np.isin(t.a, codes) & np.isin(t.b, codes)
        if not keep.any():
            raise UserError(
                f"{self.name}: by=ties: {unit} has no ties among its members (give a ties table, or use by=building)"
            )
        a = np.searchsorted(codes, t.a[keep])
        b = np.searchsorted(codes, t.b[keep])
        w = t.weight[keep].astype(float)
        mat = sparse.csr_matrix((np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n))
        affinity = tie_affinity(mat, k)
        anchors = self._anchors(s, unit, codes, k, params, mat)
        if anchors:
            labels = _grow_from_anchors(mat, anchors, k)
        else:
            g = nx.Graph()
            g.add_nodes_from(range(n))
            g.add_weighted_edges_from(zip(a.tolist(), b.tolist(), w.tolist(), strict=True))
            labels = _recursive_bisection(g, list(range(n)), k, ctx.rng)
        pinned = np.zeros(n, dtype=bool)
        pinned[anchors] = True
        _refine(labels, k, affinity, pinned, max_size=params.max_size)
        total = float(w.sum())
        info: dict[str, Any] = {"a": a, "b": b, "w": w, "total": total}

        def detail(labels: np.ndarray, p: int) -> tuple[str, str]:
            same = labels[a] == labels[b]
            inside = float(w[same & (labels[a] == p)].sum())
            kept = 100.0 * float(w[same].sum()) / total if total else 0.0
            zh = f"，部分内部联系权重{inside:g}；全支部{kept:.1f}%的联系权重留在各部分之内"
            en = f"; tie weight inside the part {inside:g}; {kept:.1f}% of the branch's tie weight stays inside parts"
            return zh, en

        info["detail"] = detail
        info["reorder"] = lambda order: None
        return labels, affinity, info, anchors

    def _anchors(self, s: Structure, unit: str, codes: np.ndarray, k: int, params: Any, mat: Any) -> list[int]:
        if params.anchors is None:
            return []
        ids = s.members.ids[codes].tolist()
        local = {m: i for i, m in enumerate(ids)}
        if isinstance(params.anchors, list):
            if len(params.anchors) != k:
                raise UserError(f"{self.name}: params.anchors: {len(params.anchors)} anchors for k={k} parts (one per part)")
            out = []
            for m in params.anchors:
                if m not in local:
                    raise UserError(f"{self.name}: params.anchors: {m!r} is not a member of {unit}")
                if local[m] in out:
                    raise UserError(f"{self.name}: params.anchors: {m!r} is named twice")
                out.append(local[m])
            return out
        # backbone: the secretary first, then backbone members least tied to the anchors so far
        backbone = s.column("backbone")[codes].astype(bool).copy()
        holders = [r.person for r in roles_in(s, unit)]
        for person in holders:
            if person in local:
                backbone[local[person]] = True
        secretary = secretary_of(s, unit)
        chosen: list[int] = [local[secretary]] if secretary in local else []
        two_step = mat + 0.5 * (mat @ mat)
        pool = np.flatnonzero(backbone)
        if not chosen:
            chosen.append(int(pool[0]) if len(pool) else 0)
        while len(chosen) < k:
            rest = np.setdiff1d(pool, chosen) if len(pool) else pool
            if not len(rest):  # fewer backbone members than parts: the least tied other members
                rest = np.setdiff1d(np.arange(len(codes)), chosen)
            closeness = np.asarray(two_step[rest][:, chosen].sum(axis=1)).ravel()
            chosen.append(int(rest[int(np.argmin(closeness))]))
        return chosen[:k]

    # -- writing the plan ------------------------------------------------------------------------

    def _emit(self, s: Structure, plan: Any, unit: str, codes: np.ndarray, labels: np.ndarray, k: int,
              params: Any, info: dict[str, Any], anchors: list[int],
              roles: tuple[str | None, np.ndarray, CommitteeRule] | None = None, *,
              parent: str | None = None) -> None:
        by_zh, by_en = _BY[params.by]
        code = s.unit_code(unit)
        label = str(s.units.name[code])
        kind = s.kinds[int(s.units.kind[code])].id
        unit_tags = set(s.units.tags[code])
        full = s.full_mask[codes]
        immobile = s.column("mobility_limited")[codes].astype(bool)
        base, suffix = name_parts(s, unit)
        names = [f"{base}第{zh_numeral(i + 1)}{suffix}" for i in range(k)]
        sizes = np.bincount(labels, minlength=k)
        fulls = np.bincount(labels, weights=full.astype(float), minlength=k).astype(int)
        tags_of = info.get("tags", lambda p: [])
        d_zh, d_en = info["detail"](labels, 0)
        plan.set_attributes(
            unit, name=names[0], tags=sorted(unit_tags | set(tags_of(0))),
            reason=("keep_part", {"unit": label, "size": len(codes), "max_size": params.max_size, "by_zh": by_zh,
                                  "by_en": by_en, "k": k, "part_size": int(sizes[0]), "part_full": int(fulls[0]),
                                  "name": names[0], "detail_zh": d_zh, "detail_en": d_en}),
        )
        refs = [unit]
        built_on = s.built_on(unit)
        parent = parent or s.parent(unit)
        for i in range(1, k):
            d_zh, d_en = info["detail"](labels, i)
            why = ("new_part", {"unit": label, "i": i + 1, "name": names[i], "part_size": int(sizes[i]),
                                "part_full": int(fulls[i]), "detail_zh": d_zh, "detail_en": d_en})
            refs.append(plan.create_unit(
                new_key("split", unit, i + 1), kind=kind, name=names[i], parent=parent,
                built_on=built_on, tags=sorted(unit_tags | set(tags_of(i))),
                attrs={"split_from": unit, "part": i + 1}, reason=why,
            ))
        dest = np.where(labels == 0, -1, labels)
        attach, dissolve, group_size = _group_moves(s, unit, codes, dest)
        group_col = s.members["group"][codes]
        for g, p in sorted(attach.items()):
            gid = str(s.units.ids[g])
            plan.attach(gid, parent=refs[p], reason=("group_attach", {"group": str(s.units.name[g]),
                                                                      "n": group_size[g], "name": names[p]}))
        for g in dissolve:
            gid = str(s.units.ids[g])
            plan.dissolve(gid, reason=("group_dissolve", {"group": str(s.units.name[g]), "n": group_size[g]}))
        # the members of each part: first those not in a group that moves whole, then each such group
        # (by group code), each in code order; from one sort
        with_group = np.zeros(len(codes), dtype=bool)
        if attach:
            with_group = np.isin(group_col, list(attach))
        piece = np.where(with_group, group_col, -1)
        order = np.lexsort((piece, labels))
        part_sorted, piece_sorted = labels[order], piece[order]
        bounds = np.flatnonzero(np.concatenate(([True], (part_sorted[1:] != part_sorted[:-1])
                                                | (piece_sorted[1:] != piece_sorted[:-1]), [True]))).tolist()
        ids = s.members.ids[codes]
        ids_by_piece = ids[order].tolist()
        n_immobile = np.bincount(labels, weights=immobile, minlength=k).astype(np.int64).tolist()
        by_part: list[list[tuple[int, list[str]]]] = [[] for _ in range(k)]
        part_at, piece_at = part_sorted.tolist(), piece_sorted.tolist()
        for a, z in zip(bounds[:-1], bounds[1:]):
            by_part[part_at[a]].append((piece_at[a], ids_by_piece[a:z]))
        for p in range(1, k):
            why = ("move_part", {"n": int(sizes[p]), "unit": label, "name": names[p], "i": p + 1,
                                 "immobile": n_immobile[p]})
            for g, members in by_part[p]:
                plan.move(members, to=refs[p], group=str(s.units.ids[g]) if g >= 0 else None, reason=why)
        unit_roles = roles_in(s, unit)
        holders = role_member_codes(s)[roles_by_unit(s, [code])[0]]
        part_of_code = dict(zip(codes.tolist(), labels.tolist()))
        leaving: dict[str, int] = {}  # role holders of the unit who leave it: their part
        for holder, role in zip(holders.tolist(), unit_roles, strict=True):
            if part_of_code.get(holder, 0) > 0:
                leaving[role.person] = part_of_code[holder]
        for role in unit_roles:
            if role.person in leaving:
                p = leaving[role.person]
                plan.clear_role(unit, role=role.role, person=role.person, reason=(
                    "role_cleared", {"person": role.person, "name": names[p], "unit": label, "role": role.role}))
        anchor_of: dict[int, str] = {}
        for p, m in enumerate(anchors):
            part = int(labels[m])
            if part > 0:
                plan.set_role(refs[part], role="secretary", person=str(ids[m]), reason=(
                    "anchor_secretary", {"person": str(ids[m]), "name": names[part]}))
                anchor_of[part] = str(ids[m])
        if roles is not None:
            since, backbone, committee = roles
            # the kept part: only when members holding roles left it, its committee is topped up
            kept = [(r.person, r.role) for r in unit_roles if r.person not in leaving]
            if len(kept) < len(unit_roles):
                propose_branch_roles(s, plan, unit, names[0], codes[labels == 0], held=kept, committee=committee,
                                     backbone=backbone, since=since)
            for p in range(1, k):
                held = [(anchor_of[p], "secretary")] if p in anchor_of else []
                propose_branch_roles(s, plan, refs[p], names[p], codes[labels == p], held=held, committee=committee,
                                     backbone=backbone, since=since)


# -- tie partitioning ----------------------------------------------------------------------------


def _cut(g: nx.Graph, side: set[int]) -> float:
    return float(sum(d.get("weight", 1.0) for u, v, d in g.edges(data=True) if (u in side) != (v in side)))


def _bisect(g: nx.Graph, nodes: list[int], n_first: int, rng: np.random.Generator) -> tuple[list[int], list[int]]:
    """Split ``nodes`` into two sides of ``n_first`` and the rest, minimising the cut weight.

    Kernighan–Lin (which keeps side sizes) from three starts: a breadth-first sweep from the
    least-connected node, and two seeded random orders; the smallest cut wins.
    """
    sub = g.subgraph(nodes)
    starts = []
    first = min(nodes, key=lambda v: (sub.degree(v, weight="weight"), v))
    sweep = [first] + [v for _, v in nx.bfs_edges(sub, first, sort_neighbors=sorted)]
    seen = set(sweep)
    sweep += [v for v in nodes if v not in seen]
    starts.append(sweep)
    for _ in range(2):
        order = list(nodes)
        perm = rng.permutation(len(order))
        starts.append([order[i] for i in perm.tolist()])
    best: tuple[float, list[int], list[int]] | None = None
    for order in starts:
        a0, b0 = set(order[:n_first]), set(order[n_first:])
        seed = int(rng.integers(2**31 - 1))
        p1, p2 = nx.community.kernighan_lin_bisection(sub, partition=(a0, b0), weight="weight", seed=seed)
        # kernighan_lin_bisection keeps the sizes; find which returned side is the n_first one
        side_a = p1 if len(p1) == n_first else p2
        side_b = p2 if side_a is p1 else p1
        cut = _cut(sub, set(side_a))
        if best is None or cut < best[0]:
            best = (cut, sorted(side_a), sorted(side_b))
    assert best is not None
    return best[1], best[2]


def _recursive_bisection(g: nx.Graph, nodes: list[int], k: int, rng: np.random.Generator) -> np.ndarray:
    labels = np.zeros(g.number_of_nodes(), dtype=np.int64)

    def go(nodes: list[int], k: int, offset: int) -> None:
        if k == 1:
            labels[nodes] = offset
            return
        k1 = (k + 1) // 2
        n1 = round(len(nodes) * k1 / k)
        left, right = _bisect(g, nodes, n1, rng)
        go(left, k1, offset)
        go(right, k - k1, offset + k1)

    go(nodes, k, 0)
    return labels


def _grow_from_anchors(mat: Any, anchors: list[int], k: int) -> np.ndarray:
    """Grow k parts from their anchors: the smallest part takes the unassigned member most tied to it."""
    n = mat.shape[0]
    labels = np.full(n, -1, dtype=np.int64)
    pull = np.zeros((n, k), dtype=float)
    dense = mat.tocsr()
    for p, m in enumerate(anchors):
        labels[m] = p
        pull[:, p] += np.asarray(dense[m].todense()).ravel()
    sizes = np.bincount(labels[labels >= 0], minlength=k)
    free = labels < 0
    while free.any():
        p = int(np.argmin(sizes))
        cand = np.flatnonzero(free)
        m = int(cand[int(np.argmax(pull[cand, p] - 0.5 * pull[cand].sum(axis=1) / k))])
        labels[m] = p
        free[m] = False
        sizes[p] += 1
        row = dense[m]
        pull[row.indices, p] += row.data
    return labels


def _refine(labels: np.ndarray, k: int, affinity: Callable[[np.ndarray], np.ndarray], pinned: np.ndarray,
            *, max_size: int, tolerance: float = 0.1, passes: int = 10) -> None:
    """Single moves that raise the tie weight kept inside parts, parts staying within ±10 % of n/k."""
    n = len(labels)
    hi = min(max(math.ceil(n / k * (1 + tolerance)), 1), max(max_size, math.ceil(n / k)))
    lo = max(math.floor(n / k * (1 - tolerance)), 1)
    for _ in range(passes):
        a = affinity(labels)
        sizes = np.bincount(labels, minlength=k)
        improved = False
        gains = a.max(axis=1) - a[np.arange(n), labels]
        for m in np.argsort(-gains, kind="stable").tolist():
            if pinned[m] or gains[m] <= 0:
                continue
            p = int(labels[m])
            row = a[m].copy()
            row[sizes >= hi] = -np.inf
            row[p] = -np.inf
            q = int(np.argmax(row))
            if not np.isfinite(row[q]) or row[q] <= a[m, p] or sizes[p] <= lo:
                continue
            labels[m] = q
            sizes[p] -= 1
            sizes[q] += 1
            improved = True
            a = affinity(labels)
        if not improved:
            break
