"""Team branches (团队党建, seed 004): an oversized residential branch becomes a general branch
with branches built on the interest teams its members take part in.

What the plan does, for every residential branch in scope with more than ``threshold`` members:

1. the branch is upgraded in place (``retype``, same id) to a general branch named
   ``…党总支`` (``upgrade_to="by_size"``: a base committee ``…党委`` from 100 members); if its
   parent cannot hold a general branch (it sits under a general branch already), the new
   branches are set up beside it under that parent and the old branch is dissolved;
2. a team with at least ``min_team_members`` of its members taking part gets its own team
   branch (tag ``team``, built on the team); small teams share a joint team branch (built on
   several teams: joint is derived), one per team kind (``joint_by="team_kind"``) or one for
   all (``"all"``), and joint branches under ``min_joint_members`` are merged (瑞丽's 文体 joint
   branch); a branch that would have fewer than ``min_branch_full`` full members is not
   created: a team branch folds into the joint branch, a joint branch into another joint branch
   or the comprehensive branch;
3. a member in several teams goes to the team branch with the fewest members, a backbone member
   to the one with the fewest backbone members;
4. members in no team and (``immobile="comprehensive"``) immobile members go to a comprehensive
   branch (tag ``comprehensive``), or with ``comprehensive="spread"`` are spread over the team
   branches for balance (the 汽三 pattern): each to the smallest branch, preferring their own
   team's branch and the branch with most neighbours (same home host). Nobody is left out;
5. a branch over ``max_branch`` members is split into parts on the same team(s);
6. backbone members (secretary, committee member, group leader, or the ``backbone`` column) are
   moved from the branch with the most to the one with the fewest while they differ by 2 or
   more (a branch with none first), where their teams allow it;
7. the old party groups are dissolved (a group cannot sit under a general branch), or with
   ``old_groups="reattach"`` moved with their members into the comprehensive branch; team
   branches over ``group_size`` members get party groups (团队党小组);
8. with ``propose_roles``, each new branch gets a secretary (fewer than 7 full members) or a
   committee of 3 (5 from 25 full members), backbone members first; each new group a leader.

Every operation carries a reason naming the unit and the numbers.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from orgmodel_party import CommitteeRule, backbone_mask, committee_size
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from orgmodel import Strategy, UserError, ancestor_codes, role_member_codes

from .limits import COMMITTEE_FROM, MAX_SIZE, MIN_FULL, with_rule_defaults
from .naming import ordinal_zh, part_name
from .packing import even_parts

__all__ = ["TeamBranches"]

BRANCH = "party.branch"
GENERAL_BRANCH = "party.general_branch"
COMMITTEE = "party.committee"
GROUP = "party.group"
TEAM = "party.team"
AREA = "party.residential_area"
SPECIAL_TAGS = ("team", "comprehensive", "industry", "category:retired", "category:young", "category:mobile")
KIND_SHORT = {"team:learning": "学习", "team:culture": "文艺", "team:sports": "体育", "team:service": "公益"}


def _role_templates() -> dict[str, dict[str, str]]:
    out = {}
    basis = {
        "backbone": ("骨干党员优先", "a backbone member, chosen first"),
        "senior": ("无骨干党员可选，取能正常参加活动、党龄最长的正式党员", "no backbone member available: the able full member with the longest standing"),
    }
    for b, (zh, en) in basis.items():
        out[f"secretary_only_{b}"] = {
            "zh": "{branch}有{full}名正式党员（不足{committee_from}人），不设支部委员会，由{person}任书记（" + zh + "）",
            "en": "{branch} has {full} full members (fewer than {committee_from}): no committee, {person} is secretary (" + en + ")",
        }
        out[f"committee_secretary_{b}"] = {
            "zh": "{branch}有{full}名正式党员（{committee_from}人以上），设支部委员会{size}人，由{person}任书记（" + zh + "）",
            "en": "{branch} has {full} full members ({committee_from} or more): a committee of {size}, {person} is secretary (" + en + ")",
        }
        out[f"committee_member_{b}"] = {
            "zh": "{branch}有{full}名正式党员（{committee_from}人以上），设支部委员会{size}人，{person}任委员（" + zh + "）",
            "en": "{branch} has {full} full members ({committee_from} or more): a committee of {size}, {person} is a member (" + en + ")",
        }
        out[f"group_leader_{b}"] = {
            "zh": "{group}有{size}名党员，由{person}任党小组长（" + zh + "）",
            "en": "{group} has {size} members; {person} is group leader (" + en + ")",
        }
    return out


TEMPLATES: dict[str, dict[str, str]] = {
    "upgrade": {
        "zh": "{unit}有{size}名党员，超过{threshold}人，升格为{name}（编号不变），下设{branches}个党支部，其中团队党支部{teams}个",
        "en": "{unit} has {size} members, more than {threshold}: upgraded in place to {name} (same id), with {branches} branches under it, {teams} of them team branches",
    },
    "beside": {
        "zh": "{unit}有{size}名党员，超过{threshold}人；其上级{parent}不能再下设党总支，改在{parent}下设{branches}个党支部（团队党支部{teams}个），原支部党员全部转入后撤销",
        "en": "{unit} has {size} members, more than {threshold}; its parent {parent} cannot hold a general branch, so {branches} branches ({teams} team branches) are set up under {parent} and the old branch is dissolved once its members have moved",
    },
    "team_branch": {
        "zh": "{team}有{count}名党员参加（不少于{min_team}人），依托{team}建立{name}，编入{size}人（正式党员{full}人）",
        "en": "{team} has {count} members taking part ({min_team} or more): {name} is set up on it with {size} members ({full} full)",
    },
    "joint_branch": {
        "zh": "{teams}等{k}支团队党员人数少（单支团队不足{min_team}人或正式党员不足{min_full}人），联合建立{name}，编入{size}人（正式党员{full}人）",
        "en": "{k} teams ({teams}) each have too few members (fewer than {min_team}, or fewer than {min_full} full): a joint team branch {name} with {size} members ({full} full)",
    },
    "comprehensive_branch": {
        "zh": "{count}名党员未参加团队活动或行动不便（其中行动不便{immobile}人），建立{name}，保证不丢下一个党员",
        "en": "{count} members take part in no team or cannot get about ({immobile} immobile): {name} is set up so that no member is left without a branch",
    },
    "comprehensive_only": {
        "zh": "{unit}的团队中没有党员人数足以单独或联合建立支部的，{count}名党员编入{name}",
        "en": "no team of {unit} has enough members for a branch of its own or a joint one: {count} members go to {name}",
    },
    "split_part": {
        "zh": "{base}有{total}名党员，超过每个支部{max}人的上限，分设{parts}个党支部；{name}为第{part}个，{size}人",
        "en": "{base} would have {total} members, more than {max} per branch: split into {parts} branches on the same hosts; {name} is part {part} with {size} members",
    },
    "team_group": {
        "zh": "{branch}有{size}名党员，超过{group_size}人，分设{k}个党小组；{name}{n}人",
        "en": "{branch} has {size} members, more than {group_size}: {k} party groups; {name} has {n}",
    },
    "group_dissolved": {
        "zh": "{unit}调整后，{group}（{size}人）不能直属{kind}，撤销该党小组，其党员随所在支部重新编组",
        "en": "after {unit} is reorganised, {group} ({size} members) cannot stay under a {kind_en}: dissolved, its members regrouped in their new branches",
    },
    "group_reattached": {
        "zh": "{group}的{n}名党员编入{to}，该党小组改隶{to}",
        "en": "{n} members of {group} go to {to}: the group moves with them under {to}",
    },
    "group_leader_left": {
        "zh": "{person}已编入其他支部，不再担任{group}党小组长",
        "en": "{person} has moved to another branch and no longer leads {group}",
    },
    "child_moved": {
        "zh": "{unit}调整后，{child}改隶{to}",
        "en": "after {unit} is reorganised, {child} is placed under {to}",
    },
    # member moves
    "move_team": {
        "zh": "{n}名党员参加{team}，编入{to}",
        "en": "{n} members take part in {team}: to {to}",
    },
    "move_multi_fewest": {
        "zh": "{n}名党员同时参加多支团队，编入其中党员人数较少的{to}，平衡支部规模",
        "en": "{n} members take part in several teams: to {to}, the one with fewer members, to balance sizes",
    },
    "move_multi_backbone": {
        "zh": "{n}名骨干党员同时参加多支团队，编入骨干较少的{to}，平衡骨干力量",
        "en": "{n} backbone members take part in several teams: to {to}, the one with fewer backbone members",
    },
    "move_joint": {
        "zh": "{n}名党员所参加的团队党员人数少，编入{to}",
        "en": "{n} members take part in small teams: to the joint branch {to}",
    },
    "move_no_team": {
        "zh": "{n}名党员未参加团队活动，编入{to}，保证不丢下一个党员",
        "en": "{n} members take part in no team: to {to}, so that nobody is left without a branch",
    },
    "move_immobile": {
        "zh": "{n}名党员卧床或行动不便，编入{to}，便于就近联系、上门服务",
        "en": "{n} members are bedridden or immobile: to {to}, which keeps in touch with them at home",
    },
    "move_spread": {
        "zh": "{n}名未参加团队活动的党员按支部规模平衡编入{to}（优先同楼栋党员较多的支部），保证不丢下一个党员",
        "en": "{n} members in no team are spread for balance: to {to} (preferring the branch with most neighbours)",
    },
    "move_spread_immobile": {
        "zh": "{n}名卧床或行动不便党员编入{to}（其所参加团队的支部或同楼栋党员较多的支部，便于联系照顾）",
        "en": "{n} bedridden or immobile members go to {to} (their own team's branch or the one with most neighbours, who can look after them)",
    },
    "move_comp_too_small": {
        "zh": "未参加团队的党员中正式党员仅{full}人（不足{min_full}人），不单独建立综合党支部，{n}人按规模平衡编入{to}",
        "en": "members in no team include only {full} full members (fewer than {min_full}): no comprehensive branch; {n} of them go to {to} for balance",
    },
    "move_joint_too_small": {
        "zh": "{n}名党员所参加的小团队合计正式党员不足{min_full}人，无法建立联合党支部，编入{to}",
        "en": "{n} members take part in small teams with fewer than {min_full} full members together: no joint branch, to {to}",
    },
    "move_overflow": {
        "zh": "团队党支部均已达{max}人上限，{n}名未参加团队的党员编入{to}",
        "en": "every team branch has reached {max} members: {n} members in no team go to {to}",
    },
    "move_backbone_balance": {
        "zh": "{to}原无骨干党员，从骨干较多的{from_}调入骨干党员{n}名，平衡骨干力量",
        "en": "{to} had no backbone member: {n} moved in from {from_}, which has more",
    },
    **_role_templates(),
}


class Params(BaseModel):
    """Parameters of ``team-branches``."""

    model_config = ConfigDict(extra="forbid")

    threshold: int | None = Field(None, ge=1, description="a residential branch with more than this many members (all, probationary included) is upgraded (default: the rule branch.max_size)")
    min_team_members: int = Field(3, ge=1, description="a team with at least this many of the branch's members taking part gets its own team branch")
    max_branch: int | None = Field(None, ge=2, description="no branch may have more members than this; larger ones are split into parts on the same team(s) (default: the rule branch.max_size)")
    min_branch_full: int | None = Field(None, ge=1, description="a branch needs at least this many full members to be created; smaller ones fold into a joint or the comprehensive branch (default: the rule branch.min_full)")
    joint_by: Literal["team_kind", "all"] = Field("team_kind", description="small teams share a joint team branch per team kind (team:culture...) or one for all")
    min_joint_members: int | None = Field(None, ge=1, description="joint team branches smaller than this are merged with the next smallest joint branch (team kinds mixed), as 瑞丽's 文体 joint branch (default: where a branch gets a committee, the condition of the rule committee.when, 7 full members)")
    comprehensive: Literal["branch", "spread"] = Field("branch", description="members in no team go to a comprehensive branch (瑞丽), or are spread over the team branches for balance (汽三)")
    immobile: Literal["comprehensive", "team"] = Field("comprehensive", description="bedridden or immobile members (mobility_limited) are placed with the members in no team, or like anyone else by their teams")
    group_size: int | None = Field(15, ge=3, description="a new branch with more members than this gets ceil(size/group_size) party groups; null: no groups")
    old_groups: Literal["dissolve", "reattach"] = Field("dissolve", description="the upgraded branch's party groups are dissolved, or moved into the comprehensive branch with their members who go there")
    upgrade_to: Literal["general_branch", "by_size"] = Field("general_branch", description="the upgraded branch becomes a general branch (the seed), or a base committee from 100 members (RULES committee_base.when)")
    balance_backbone: bool = Field(True, description="a branch with no backbone member receives one from the branch with the most")
    propose_roles: bool = Field(True, description="propose a secretary or branch committee (from 7 full members, the rule committee.when) for each new branch and a leader for each new group, backbone members first")
    scope: list[str] | None = Field(None, description="units to act on: branches, units above them, or host areas (default: every residential branch)")

    @field_validator("min_branch_full")
    @classmethod
    def _min_below_max(cls, value: int | None, info: ValidationInfo) -> int | None:
        top = info.data.get("max_branch")
        if value is not None and top is not None and value > top:
            raise ValueError(f"min_branch_full ({value}) must not exceed max_branch ({top})")
        return value

    @field_validator("group_size")
    @classmethod
    def _group_below_max(cls, value: int | None, info: ValidationInfo) -> int | None:
        top = info.data.get("max_branch")
        if value is not None and top is not None and value >= top:
            raise ValueError(f"group_size ({value}) must be smaller than max_branch ({top})")
        return value


@dataclass
class _Block:
    """A branch to be created: its hosts and members (member codes), with a reason per member."""

    kind: Literal["team", "joint", "comprehensive"]
    teams: list[int]
    label: str  # the key stem
    members: list[int] = field(default_factory=list)
    why: dict[int, tuple[str, tuple[tuple[str, Any], ...]]] = field(default_factory=dict)
    name: str = ""
    key: str = ""
    base_name: str = ""
    part: int = 0
    parts: int = 1
    total: int = 0

    def add(self, m: int, code: str, **params: Any) -> None:
        self.members.append(m)
        self.why[m] = (code, tuple(sorted(params.items())))

    def remove(self, m: int) -> None:
        self.members.remove(m)
        del self.why[m]


#: Where the size parameters take their defaults.
RULE_DEFAULTS = {"threshold": MAX_SIZE, "max_branch": MAX_SIZE, "min_branch_full": MIN_FULL,
                 "min_joint_members": COMMITTEE_FROM}


class TeamBranches(Strategy):
    """Upgrade oversized residential branches to general branches with team branches under them."""

    name = "team-branches"
    #: Size parameters whose default is a rule of the rules in force (see ``limits``).
    rule_defaults = RULE_DEFAULTS
    domain = "party"
    label_zh = "团队党建：依托团队设置党支部"
    label_en = "team branches"
    description = (
        "团队党建（种子004：汽三、瑞丽）：超过规模的居民区党支部升格为党总支，依托党员参加的群众团队建立团队党支部、"
        "团队联合党支部和综合党支部，兼顾规模与骨干力量平衡，不丢下一个党员。 "
        "Team-based party building (seed 004): an oversized residential branch becomes a general branch with "
        "team branches, joint team branches and a comprehensive branch, balanced in size and backbone."
    )
    Params = Params
    templates = TEMPLATES

    # -- entry ----------------------------------------------------------------------------

    def propose(self, ctx: Any, params: Params) -> Any:
        s = ctx.structure
        params = with_rule_defaults(ctx.rules, self.name, params, self.rule_defaults)
        plan = ctx.plan()
        targets = self._targets(s, params)
        if not targets:
            return plan.build()
        committee = CommitteeRule.from_rules(ctx.rules, strategy=self.name) if params.propose_roles else None
        shared = _Shared(s, ctx, committee)
        for b in targets:
            _Upgrade(s, shared, params, plan, b).run()
        return plan.build()

    # -- which branches -------------------------------------------------------------------

    def _targets(self, s: Any, params: Params) -> list[str]:
        sizes = s.sizes()
        branches = [b for b in s.unit_ids(BRANCH) if not (set(s.unit(b).tags) & set(SPECIAL_TAGS))]
        host_areas: dict[str, bool] = {}

        area_kind = s.kinds.code(AREA)

        def residential(host: str) -> bool:
            if host not in host_areas:
                host_areas[host] = bool((s.units.kind[ancestor_codes(s, s.unit_code(host))] == area_kind).any())
            return host_areas[host]

        if params.scope is None:
            chosen = [b for b in branches if any(residential(h) for h in s.built_on(b))]
        else:
            chosen_set: set[str] = set()
            for unit in params.scope:
                if not s.has_unit(unit) or s.unit(unit).dissolved:
                    raise UserError(f"strategy team-branches: params.scope: unknown unit {unit!r}")
                kind = s.kinds[s.kind_of(unit)]
                if kind.id == BRANCH:
                    chosen_set.add(unit)
                elif kind.role == "org" and kind.relation is None:
                    below = set(s.descendants(unit))
                    chosen_set.update(b for b in branches if b in below and any(residential(h) for h in s.built_on(b)))
                elif kind.role == "host":
                    chosen_set.update(b for b in branches if any(_host_within(s, h, unit) for h in s.built_on(b)))
                else:
                    raise UserError(
                        f"strategy team-branches: params.scope: {unit!r} is a {kind.id}; name branches, units above them or host areas"
                    )
            chosen = [b for b in branches if b in chosen_set]
        return [b for b in chosen if sizes[s.unit_code(b)] > params.threshold]


def _host_within(s: Any, host: str, area: str) -> bool:
    return s.unit_code(area) in ancestor_codes(s, s.unit_code(host))


class _Shared:
    """Per-structure arrays computed once: team participation, backbone, member attributes."""

    def __init__(self, s: Any, ctx: Any, committee: CommitteeRule | None) -> None:
        self.s = s
        self.committee = committee
        n = s.n_members
        cols = s.members.columns
        self.full = s.full_mask
        self.immobile = np.asarray(cols["mobility_limited"], dtype=bool) if "mobility_limited" in cols else np.zeros(n, bool)
        self.mobile = np.asarray(cols["mobile"], dtype=bool) if "mobile" in cols else np.zeros(n, bool)
        self.home = s.members["home_host"]
        self.joined = cols.get("joined")
        self.birth = cols.get("birth_date")
        self.as_of = ctx.as_of
        self.since = ctx.as_of.isoformat() if isinstance(ctx.as_of, dt.date) else None
        self.backbone = backbone_mask(s)
        self.role_units: dict[int, list[tuple[str, str]]] = {}
        self.code_of_holder: dict[str, int] = {}  # role holders in the roster: person id -> member code
        for r, code in zip(s.roles, role_member_codes(s).tolist(), strict=True):
            if code >= 0:
                self.role_units.setdefault(code, []).append((r.unit, r.role))
                self.code_of_holder[r.person] = code
        team_kind = s.kinds.code(TEAM)
        p = s.participation
        keep = (s.units.kind[p.dst] == team_kind) & ~s.units.dissolved[p.dst]
        self.part_src = p.src[keep]
        self.part_dst = p.dst[keep]
        self.ids = s.members.ids
        self.unit_ids = s.units.ids
        self.unit_names = s.units.name
        self.unit_tags = s.units.tags

    def team_kind_tag(self, team: int) -> str:
        for tag in self.unit_tags[team]:
            if tag.startswith("team:"):
                return tag
        return "team:other"


class _Upgrade:
    """Builds the part of the plan for one oversized branch."""

    def __init__(self, s: Any, sh: _Shared, params: Params, plan: Any, branch: str) -> None:
        self.s, self.sh, self.p, self.plan, self.b = s, sh, params, plan, branch
        self.unit = s.unit(branch)
        self.codes = s.member_codes_of(branch).tolist()
        self.size = len(self.codes)
        mask = np.isin(sh.part_src, np.asarray(self.codes, dtype=sh.part_src.dtype))
        self.teams_of: dict[int, list[int]] = {}
        for m, t in zip(sh.part_src[mask].tolist(), sh.part_dst[mask].tolist(), strict=True):
            self.teams_of.setdefault(m, []).append(t)
        for m in self.teams_of:
            self.teams_of[m].sort()
        self.team_count: Counter[int] = Counter(t for ts in self.teams_of.values() for t in ts)
        hosts = s.built_on(branch)
        self.hosts = hosts
        self.area_name = str(s.unit(hosts[0]).name) if hosts else self.unit.name.removesuffix("党支部")

    # -- helpers ----------------------------------------------------------------------------

    def full_of(self, members: list[int]) -> int:
        return int(self.sh.full[np.asarray(members, dtype=np.int64)].sum()) if members else 0

    def bb_of(self, members: list[int]) -> int:
        return int(self.sh.backbone[np.asarray(members, dtype=np.int64)].sum()) if members else 0

    def pool_member(self, m: int) -> bool:
        return not self.teams_of.get(m) or (self.p.immobile == "comprehensive" and bool(self.sh.immobile[m]))

    def tname(self, t: int) -> str:
        return str(self.sh.unit_names[t])

    # -- the algorithm ------------------------------------------------------------------------

    def run(self) -> None:
        own = sorted(t for t, c in self.team_count.items() if c >= self.p.min_team_members)
        while True:
            blocks, small = self._assign_own(own)
            weak = [blk for blk in blocks if self.full_of(blk.members) < self.p.min_branch_full]
            if not weak:
                break
            drop = min(weak, key=lambda blk: (self.full_of(blk.members), len(blk.members), blk.teams[0]))
            own = [t for t in own if t != drop.teams[0]]
        joints, to_pool = self._joint(small)
        blocks = blocks + joints
        pool = [m for m in self.codes if self.pool_member(m)]
        pool_reason = {m: ("immobile" if self.sh.immobile[m] else "no_team") for m in pool}
        for m in to_pool:
            pool_reason[m] = "joint_too_small"
        pool = sorted(set(pool) | set(to_pool))
        blocks = self._place_pool(blocks, pool, pool_reason)
        if len(blocks) == 1 and blocks[0].kind == "comprehensive" and self.size <= self.p.max_branch:
            return  # no team can carry a branch and the branch needs no split: leave it
        blocks = self._split(blocks)
        if self.p.balance_backbone:
            self._balance_backbone(blocks)
        self._emit(blocks)

    def _assign_own(self, own: list[int]) -> tuple[list[_Block], dict[int, list[int]]]:
        """Members to own-team blocks; returns the blocks and the small-team members."""
        blocks = {t: _Block("team", [t], f"team-{self.sh.unit_ids[t]}") for t in own}
        multi: list[tuple[int, list[int]]] = []
        small: dict[int, list[int]] = {}
        for m in self.codes:
            if self.pool_member(m):
                continue
            ts = self.teams_of[m]
            mine = [t for t in ts if t in blocks]
            if len(mine) == 1:
                blocks[mine[0]].add(m, "move_team", team=self.tname(mine[0]))
            elif mine:
                multi.append((m, mine))
            else:
                small[m] = ts
        multi.sort(key=lambda x: (not self.sh.backbone[x[0]], x[0]))
        for m, mine in multi:
            cands = [blocks[t] for t in mine]
            if self.sh.backbone[m]:
                dest = min(cands, key=lambda blk: (self.bb_of(blk.members), len(blk.members), blk.teams[0]))
                dest.add(m, "move_multi_backbone")
            else:
                dest = min(cands, key=lambda blk: (len(blk.members), blk.teams[0]))
                dest.add(m, "move_multi_fewest")
        return [blocks[t] for t in own], small

    def _joint(self, small: dict[int, list[int]]) -> tuple[list[_Block], list[int]]:
        """Members of small teams into joint blocks; returns the blocks and members left for the pool."""
        if not small:
            return [], []

        def key(t: int) -> str:
            return self.sh.team_kind_tag(t) if self.p.joint_by == "team_kind" else "all"

        blocks: dict[str, _Block] = {}
        later: list[tuple[int, list[str]]] = []
        for m in sorted(small):
            keys = sorted({key(t) for t in small[m]})
            if len(keys) == 1:
                blocks.setdefault(keys[0], _Block("joint", [], f"joint-{keys[0]}")).add(m, "move_joint")
            else:
                later.append((m, keys))
        for m, keys in later:
            for k in keys:
                blocks.setdefault(k, _Block("joint", [], f"joint-{k}"))
            dest = min((blocks[k] for k in keys), key=lambda blk: (len(blk.members), blk.label))
            dest.add(m, "move_joint")
        ordered = [blocks[k] for k in sorted(blocks)]
        good = [blk for blk in ordered if self.full_of(blk.members) >= self.p.min_branch_full]
        weak = [blk for blk in ordered if self.full_of(blk.members) < self.p.min_branch_full]
        to_pool: list[int] = []
        if weak:
            merged = _Block("joint", [], "joint-mixed")
            for blk in weak:
                for m in blk.members:
                    merged.add(m, "move_joint")
            if self.full_of(merged.members) >= self.p.min_branch_full:
                good.append(merged)
            elif good:
                dest = min(good, key=lambda blk: (len(blk.members), blk.label))
                for m in merged.members:
                    dest.add(m, "move_joint")
            else:
                to_pool = list(merged.members)
        good.sort(key=lambda blk: (len(blk.members), blk.label))
        while len(good) >= 2 and len(good[0].members) < self.p.min_joint_members:
            a, b = good.pop(0), good.pop(0)
            both = _Block("joint", [], "+".join(sorted([a.label, b.label.removeprefix("joint-")])))
            for m in sorted(a.members + b.members):
                both.add(m, "move_joint")
            good.append(both)
            good.sort(key=lambda blk: (len(blk.members), blk.label))
        good.sort(key=lambda blk: blk.label)
        for blk in good:
            blk.teams = sorted({t for m in blk.members for t in small[m]})
        return good, to_pool

    def _place_pool(self, blocks: list[_Block], pool: list[int], reason: dict[int, str]) -> list[_Block]:
        if not pool:
            return blocks
        comp = _Block("comprehensive", list(self.unit_hosts_codes()), "comprehensive")
        pool_full = self.full_of(pool)
        if not blocks:
            for m in pool:
                comp.add(m, "move_immobile" if reason[m] == "immobile" else "move_no_team")
            return [comp]
        if self.p.comprehensive == "branch":
            if pool_full >= self.p.min_branch_full:
                for m in pool:
                    code = {"immobile": "move_immobile", "no_team": "move_no_team"}.get(reason[m], "move_joint_too_small")
                    params = {"min_full": self.p.min_branch_full} if code == "move_joint_too_small" else {}
                    comp.add(m, code, **params)
                return blocks + [comp]
            overflow = self._spread(blocks, pool, reason, cause="move_comp_too_small", pool_full=pool_full)
        else:
            overflow = self._spread(blocks, pool, reason, cause=None, pool_full=pool_full)
        if not overflow:
            return blocks
        if self.full_of(overflow) >= self.p.min_branch_full:
            for m in overflow:
                comp.add(m, "move_overflow", max=self.p.max_branch)
            return blocks + [comp]
        for m in overflow:  # too few to found a branch: into the smallest blocks (split later)
            dest = min(blocks, key=lambda blk: (len(blk.members), blocks.index(blk)))
            dest.add(m, "move_spread")
        return blocks

    def unit_hosts_codes(self) -> list[int]:
        return [self.s.unit_code(h) for h in self.hosts]

    def _spread(self, blocks: list[_Block], pool: list[int], reason: dict[int, str], *, cause: str | None,
                pool_full: int) -> list[int]:
        """Water-fill the pool over the blocks up to max_branch; returns the members that did not fit."""
        sizes = [len(blk.members) for blk in blocks]
        cap = self.p.max_branch
        level = min(sizes)
        while level < cap and sum(max(0, level - x) for x in sizes) < len(pool):
            level += 1
        neighbours = [Counter(int(self.sh.home[m]) for m in blk.members) for blk in blocks]
        team_sets = [set(blk.teams) for blk in blocks]
        order = sorted(pool, key=lambda m: (not self.sh.immobile[m], not self.sh.backbone[m], m))
        overflow: list[int] = []
        for m in order:
            cands = [i for i, blk in enumerate(blocks) if len(blk.members) < level]
            if not cands:
                cands = [i for i, blk in enumerate(blocks) if len(blk.members) < cap]
            if not cands:
                overflow.append(m)
                continue
            mine = set(self.teams_of.get(m, ()))
            home = int(self.sh.home[m])

            def affinity(i: int) -> int:
                return (1000 if team_sets[i] & mine else 0) + neighbours[i][home]

            if self.sh.backbone[m]:
                i = min(cands, key=lambda i: (self.bb_of(blocks[i].members), -affinity(i), len(blocks[i].members), i))
            else:
                i = min(cands, key=lambda i: (-affinity(i), len(blocks[i].members), i))
            if cause is not None:
                blocks[i].add(m, cause, full=pool_full, min_full=self.p.min_branch_full)
            elif reason[m] == "immobile":
                blocks[i].add(m, "move_spread_immobile")
            else:
                blocks[i].add(m, "move_spread")
            neighbours[i][home] += 1
        return sorted(overflow)

    def _split(self, blocks: list[_Block]) -> list[_Block]:
        out: list[_Block] = []
        for blk in blocks:
            self._name(blk)
            n = len(blk.members)
            if n <= self.p.max_branch:
                blk.total = n
                out.append(blk)
                continue
            k = math.ceil(n / self.p.max_branch)
            first_team = {m: self._block_team(blk, m) for m in blk.members}
            ordered = sorted(blk.members, key=lambda m: (first_team[m], int(self.sh.home[m]), m))
            for i, chunk in enumerate(even_parts(ordered, k), start=1):
                part = _Block(blk.kind, list(blk.teams), f"{blk.label}-{i}")
                for m in sorted(chunk.tolist()):
                    code, params = blk.why[m]
                    part.members.append(m)
                    part.why[m] = (code, params)
                part.base_name = blk.name
                part.name = part_name(blk.name, i)
                part.part, part.parts, part.total = i, k, n
                if blk.kind == "joint":
                    part.teams = sorted({t for m in part.members for t in self.teams_of.get(m, ()) if t in blk.teams}) or list(blk.teams)
                out.append(part)
        return out

    def _block_team(self, blk: _Block, m: int) -> int:
        for t in self.teams_of.get(m, ()):
            if t in blk.teams:
                return t
        return -1

    def _name(self, blk: _Block) -> None:
        if blk.kind == "team":
            blk.name = f"{self.tname(blk.teams[0])}党支部"
        elif blk.kind == "joint":
            kinds = sorted({self.sh.team_kind_tag(t) for t in blk.teams})
            short = {KIND_SHORT.get(k, "") for k in kinds}
            if short == {"文艺", "体育"}:
                label = "文体"
            else:
                label = "".join(KIND_SHORT.get(k, "") for k in kinds)
            blk.name = f"{self.area_name}{label}团队联合党支部"
        else:
            blk.name = f"{self.area_name}综合党支部"

    def _balance_backbone(self, blocks: list[_Block]) -> None:
        """Move backbone members from the branch with the most to the one with the fewest.

        A branch with none is served first; otherwise a move is made while two branches differ
        by 2 or more. A backbone member may move to a team branch only if they take part in its
        team, or if they sit where they are for no team of theirs (spread, pool); into the
        comprehensive branch anyone may move. Each member moves at most once.
        """
        moved: set[int] = set()

        def movable(m: int, donor: _Block, recv: _Block) -> bool:
            mine = set(self.teams_of.get(m, ()))
            return (recv.kind == "comprehensive" or bool(mine & set(recv.teams))
                    or (donor.kind != "comprehensive" and not (mine & set(donor.teams))))

        while True:
            counts = [self.bb_of(blk.members) for blk in blocks]
            move = None
            for ri in sorted(range(len(blocks)), key=lambda i: (counts[i], len(blocks[i].members), i)):
                recv = blocks[ri]
                if len(recv.members) >= self.p.max_branch:
                    continue
                for di in sorted(range(len(blocks)), key=lambda i: (-counts[i], -len(blocks[i].members), i)):
                    donor = blocks[di]
                    if di == ri or counts[di] - counts[ri] < 2:
                        continue
                    cands = [m for m in donor.members if self.sh.backbone[m] and m not in moved and movable(m, donor, recv)]
                    if self.full_of(donor.members) - 1 < self.p.min_branch_full:
                        cands = [m for m in cands if not self.sh.full[m]]
                    if cands:
                        m = min(cands, key=lambda m: (not self._led_group(m), donor.why[m][0] != "move_multi_backbone", m))
                        move = (m, donor, recv)
                        break
                if move:
                    break
            if move is None:
                return
            m, donor, recv = move
            donor.remove(m)
            recv.add(m, "move_backbone_balance", from_=donor.name)
            moved.add(m)

    def _led_group(self, m: int) -> bool:
        return any(role == "group_leader" for _, role in self.sh.role_units.get(m, ()))

    # -- writing the plan ---------------------------------------------------------------------

    def _emit(self, blocks: list[_Block]) -> None:
        s, p, plan, b, sh = self.s, self.p, self.plan, self.b, self.sh
        parent = self.unit.parent
        target = GENERAL_BRANCH
        if p.upgrade_to == "by_size" and self.size >= 100:
            target = COMMITTEE
        allowed = s.kinds[target].allowed_parents
        can_retype = parent is None or allowed is None or s.kind_of(parent) in allowed
        container = b if can_retype else parent
        n_team = sum(1 for blk in blocks if blk.kind != "comprehensive")
        if can_retype:
            stem = self.unit.name[: -len("党支部")] if self.unit.name.endswith("党支部") else self.area_name
            new_name = s.kinds[target].name_template.format(host=stem)
            plan.retype(b, kind=target, name=new_name, reason=("upgrade", {
                "unit": self.unit.name, "size": self.size, "threshold": p.threshold, "name": new_name,
                "branches": len(blocks), "teams": n_team}))
        else:
            new_name = self.unit.name
        base = b
        refs: list[str] = []
        for blk in blocks:
            blk.key = f"{base}-{blk.label}"
            full = self.full_of(blk.members)
            if blk.parts > 1:
                reason = ("split_part", {"base": blk.base_name, "total": blk.total, "max": p.max_branch,
                                         "parts": blk.parts, "name": blk.name, "part": blk.part, "size": len(blk.members)})
            elif blk.kind == "team":
                t = blk.teams[0]
                reason = ("team_branch", {"team": self.tname(t), "count": self.team_count[t], "min_team": p.min_team_members,
                                          "name": blk.name, "size": len(blk.members), "full": full})
            elif blk.kind == "joint":
                names = "、".join(self.tname(t) for t in blk.teams[:3])
                reason = ("joint_branch", {"teams": names, "k": len(blk.teams), "min_team": p.min_team_members,
                                           "min_full": p.min_branch_full, "name": blk.name, "size": len(blk.members), "full": full})
            elif n_team == 0:
                reason = ("comprehensive_only", {"unit": self.unit.name, "count": len(blk.members), "name": blk.name})
            else:
                immobile = int(self.sh.immobile[np.asarray(blk.members, dtype=np.int64)].sum())
                reason = ("comprehensive_branch", {"count": len(blk.members), "immobile": immobile, "name": blk.name})
            tags = ["team"] if blk.kind != "comprehensive" else ["comprehensive"]
            hosts = [str(self.sh.unit_ids[t]) for t in blk.teams]
            refs.append(plan.create_unit(blk.key, kind=BRANCH, name=blk.name, parent=container, built_on=hosts,
                                         tags=tags, reason=reason))
        # old groups and other children
        groups = self._old_children(blocks, refs, can_retype, target, new_name)
        # team groups
        member_group: dict[int, str | None] = dict(groups)
        new_groups: list[tuple[_Block, str, str, list[int]]] = []
        for blk, ref in zip(blocks, refs, strict=True):
            n = len(blk.members)
            if p.group_size is None or n <= p.group_size or any(m in groups for m in blk.members):
                continue
            k = math.ceil(n / p.group_size)
            ordered = sorted(blk.members, key=lambda m: (self._block_team(blk, m), int(self.sh.home[m]), m))
            for i, chunk in enumerate(even_parts(ordered, k), start=1):
                members = sorted(chunk.tolist())
                gname = f"{blk.name}第{ordinal_zh(i)}党小组"
                hosts = sorted({t for m in members for t in self.teams_of.get(m, ()) if t in blk.teams})
                gref = plan.create_unit(f"{blk.key}-g{i}", kind=GROUP, name=gname, parent=ref,
                                        built_on=[str(self.sh.unit_ids[t]) for t in hosts],
                                        reason=("team_group", {"branch": blk.name, "size": n, "group_size": p.group_size,
                                                               "k": k, "name": gname, "n": len(members)}))
                for m in members:
                    member_group[m] = gref
                new_groups.append((blk, gref, gname, members))
        if not can_retype:
            children = [c for c in s.children(b) if s.kinds[s.kind_of(c)].relation != "group"]
            plan.dissolve(b, children_to=parent if children else None, reason=("beside", {
                "unit": self.unit.name, "size": self.size, "threshold": p.threshold,
                "parent": str(s.unit(parent).name), "branches": len(blocks), "teams": n_team}))
        if sh.committee is not None:
            self._roles(blocks, refs, new_groups + self.leaderless)
        # moves: one operation per destination, group and reason
        for blk, ref in zip(blocks, refs, strict=True):
            batches: dict[tuple[str | None, str, tuple[tuple[str, Any], ...]], list[int]] = {}
            for m in blk.members:
                code, params = blk.why[m]
                batches.setdefault((member_group.get(m), code, params), []).append(m)
            for (gref, code, params), members in sorted(batches.items(), key=lambda kv: (kv[0][0] or "", kv[0][1], kv[0][2])):
                rp = dict(params)
                rp.update({"n": len(members), "to": blk.name})
                plan.move([str(self.sh.ids[m]) for m in sorted(members)], to=ref, group=gref, reason=(code, rp))

    def _old_children(self, blocks: list[_Block], refs: list[str], can_retype: bool, target: str,
                      new_name: str) -> dict[int, str]:
        """Dissolve or re-attach the old branch's groups; returns member -> kept group ref."""
        s, p, plan = self.s, self.p, self.plan
        kept: dict[int, str] = {}
        self.leaderless: list[tuple[_Block, str, str, list[int]]] = []
        where = {m: i for i, blk in enumerate(blocks) for m in blk.members}
        group_col = s.members["group"]
        for child in s.children(self.b):
            kind = s.kinds[s.kind_of(child)]
            cname = str(s.unit(child).name)
            if kind.relation == "group":
                code = s.unit_code(child)
                members = [m for m in self.codes if group_col[m] == code]
                dest = None
                if p.old_groups == "reattach":
                    counts = Counter(where[m] for m in members if blocks[where[m]].kind == "comprehensive")
                    if counts:
                        i, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                        if n >= 3:
                            dest = i
                if dest is None:
                    plan.dissolve(child, reason=("group_dissolved", {
                        "unit": self.unit.name, "group": cname, "size": len(members),
                        "kind": s.kinds[target].label_zh if can_retype else "原支部",
                        "kind_en": s.kinds[target].label_en if can_retype else "dissolved branch"}))
                    continue
                going = [m for m in members if where[m] == dest]
                plan.attach(child, parent=refs[dest], reason=("group_reattached", {
                    "group": cname, "n": len(going), "to": blocks[dest].name}))
                for m in going:
                    kept[m] = child
                led = False
                for r in s.roles_in(child):
                    pc = self.sh.code_of_holder.get(r.person)
                    if pc is not None and pc not in going:
                        plan.clear_role(child, role=r.role, person=r.person,
                                        reason=("group_leader_left", {"person": r.person, "group": cname}))
                    elif r.role == "group_leader":
                        led = True
                if not led:
                    self.leaderless.append((blocks[dest], child, cname, going))
            elif can_retype and kind.allowed_parents is not None and s.kinds[target].id not in kind.allowed_parents:
                plan.attach(child, parent=refs[0], reason=("child_moved", {"unit": self.unit.name, "child": cname, "to": blocks[0].name}))
        return kept

    def _rank(self, m: int, exclude_roles_in: str) -> tuple:
        sh = self.sh
        unable = bool(sh.immobile[m]) or bool(sh.mobile[m])
        old = False
        if sh.birth is not None and isinstance(sh.as_of, dt.date):
            born = sh.birth[m]
            if not np.isnat(born):
                old = (np.datetime64(sh.as_of, "D") - born).astype(int) > 75 * 365
        busy = any(u == exclude_roles_in for u, _ in sh.role_units.get(m, ()))
        joined = sh.joined[m] if sh.joined is not None else np.datetime64("NaT")
        joined_key = str(joined) if not np.isnat(joined) else "9999"
        return (unable, not sh.backbone[m], old, busy, joined_key, m)

    def _roles(self, blocks: list[_Block], refs: list[str], new_groups: list[tuple[_Block, str, str, list[int]]]) -> None:
        plan, sh = self.plan, self.sh
        chosen: dict[int, int] = {}
        for bi, (blk, ref) in enumerate(zip(blocks, refs, strict=True)):
            full = [m for m in blk.members if sh.full[m]]
            if not full:
                continue
            ranked = sorted(full, key=lambda m: self._rank(m, self.b))
            nf = len(full)
            size = committee_size(nf, sh.committee)
            committee_from = sh.committee.from_full
            if not size:
                m = ranked[0]
                basis = "backbone" if sh.backbone[m] else "senior"
                plan.set_role(ref, role="secretary", person=str(sh.ids[m]), since=sh.since,
                              reason=(f"secretary_only_{basis}", {"branch": blk.name, "full": nf, "person": str(sh.ids[m]),
                                                                  "committee_from": committee_from}))
                chosen[bi] = m
                continue
            for j, m in enumerate(ranked[:size]):
                basis = "backbone" if sh.backbone[m] else "senior"
                role = "secretary" if j == 0 else "committee_member"
                code = f"committee_secretary_{basis}" if j == 0 else f"committee_member_{basis}"
                plan.set_role(ref, role=role, person=str(sh.ids[m]), since=sh.since,
                              reason=(code, {"branch": blk.name, "full": nf, "size": size, "person": str(sh.ids[m]),
                                             "committee_from": committee_from}))
            chosen[bi] = ranked[0]
        index = {id(blk): i for i, blk in enumerate(blocks)}
        for blk, gref, gname, members in new_groups:
            secretary = chosen.get(index[id(blk)])
            cands = [m for m in members if sh.full[m] and m != secretary] or [m for m in members if sh.full[m]]
            if not cands:
                continue
            m = min(cands, key=lambda m: self._rank(m, self.b))
            basis = "backbone" if sh.backbone[m] else "senior"
            plan.set_role(gref, role="group_leader", person=str(sh.ids[m]), since=sh.since,
                          reason=(f"group_leader_{basis}", {"group": gname, "size": len(members), "person": str(sh.ids[m])}))
