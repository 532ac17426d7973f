"""What ``team-branches`` knows while it plans: per-structure facts, the blocks (branches to be
created) and the state of one upgrade."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from orgmodel_party import CommitteeRule, backbone_mask, office_rank

from orgmodel import role_member_codes

from ..packing import Groups
from .params import Params

__all__ = ["Facts", "Block", "BranchView", "Upgrade", "TEAM"]

TEAM = "party.team"


class Facts:
    """Per-structure facts computed once for every branch: team participation, backbone, member attributes, roles."""

    def __init__(self, s: Any, ctx: Any, committee: CommitteeRule | None) -> None:
        self.s = s
        self.committee = committee
        n = s.n_members
        cols = s.members.columns
        self.full = s.full_mask
        self.immobile = np.asarray(cols["mobility_limited"], dtype=bool) if "mobility_limited" in cols else np.zeros(n, bool)
        self.home = s.members["home_host"]
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
        # team participation rows by the taking part member's branch (active members), grouped once and
        # ordered by (branch, member, team): a branch's rows are one slice, each member's teams ascending
        active_branch = np.where(s.members["active"], s.members["branch"], -1)
        self.members_of_branch = Groups(active_branch, s.n_units)
        row_branch = active_branch[self.part_src]
        order = np.lexsort((self.part_dst, self.part_src, row_branch))
        order = order[row_branch[order] >= 0]
        self.part_m = self.part_src[order].astype(np.int64)
        self.part_t = self.part_dst[order].astype(np.int64)
        self.takes_part = np.zeros(n, dtype=bool)
        self.takes_part[self.part_m] = True
        self.part_offsets = np.zeros(s.n_units + 1, dtype=np.int64)
        np.cumsum(np.bincount(row_branch[order], minlength=s.n_units), out=self.part_offsets[1:])
        #: every member's place in the order offices are proposed in (see ``orgmodel_party.office_rank``)
        self.office_place = office_rank(s, as_of=ctx.as_of, backbone=self.backbone) if committee is not None else None
        self.ids = s.members.ids
        #: per group code: its active members whose branch is the group's parent
        group, branch = s.members["group"], s.members["branch"]
        mine = s.members["active"] & (group >= 0)
        mine[mine] &= branch[mine] == s.units.parent[group[mine]]
        self.group_in_branch = np.bincount(group[mine], minlength=s.n_units)
        # the same per member as Python lists, for the many small sets (a group, a branch part) where numpy's
        # per-call cost outweighs its speed
        self.id_list: list[str] = self.ids.tolist()
        self.full_list: list[bool] = self.full.tolist()
        self.bb_list: list[bool] = self.backbone.tolist()
        self.immobile_list: list[bool] = self.immobile.tolist()
        #: every member's place in the order (home host, code): a sort key with no Python function per member
        by_home = np.lexsort((np.arange(n), np.asarray(self.home)))
        home_place = np.empty(n, dtype=np.int64)
        home_place[by_home] = np.arange(n)
        self.home_place: list[int] = home_place.tolist()
        self.place_list: list[int] | None = self.office_place.tolist() if self.office_place is not None else None
        self.unit_ids = s.units.ids
        self.unit_names = s.units.name
        self.unit_tags = s.units.tags
        #: unit ids and names as Python lists (str), read per team and block
        self.unit_id_list: list[str] = [str(u) for u in self.unit_ids.tolist()]
        self.unit_name_list: list[str] = [str(u) for u in self.unit_names.tolist()]

    def team_kind_tag(self, team: int) -> str:
        for tag in self.unit_tags[team]:
            if tag.startswith("team:"):
                return tag
        return "team:other"


@dataclass
class Block:
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

    def add_many(self, members: list[int], code: str, **params: Any) -> None:
        """``add`` for several members with one reason."""
        self.members.extend(members)
        self.why.update(dict.fromkeys(members, (code, tuple(sorted(params.items())))))

    def remove(self, m: int) -> None:
        self.members.remove(m)
        del self.why[m]


@dataclass(frozen=True)
class BranchView:
    """What the plan needs of the branch being upgraded."""

    name: str
    parent: str | None


class Upgrade:
    """The state of the plan for one oversized branch: its members, their teams, and the plan being written."""

    def __init__(self, s: Any, sh: Facts, params: Params, plan: Any, branch: str) -> None:
        self.s, self.sh, self.p, self.plan, self.b = s, sh, params, plan, branch
        code = s.unit_code(branch)
        self.unit = BranchView(str(sh.unit_names[code]), s.parent(branch))
        self.codes = sh.members_of_branch[code]  # its active members, ascending (``s.member_codes_of``)
        self.size = len(self.codes)
        lo, hi = int(sh.part_offsets[code]), int(sh.part_offsets[code + 1])
        #: the branch's team participation rows (member, team), by member then team
        self.pm, self.pt = sh.part_m[lo:hi], sh.part_t[lo:hi]
        teams = self.pt.tolist()
        starts = np.flatnonzero(self.pm[1:] != self.pm[:-1]) + 1
        bounds = [0, *starts.tolist(), len(teams)]
        self.teams_of: dict[int, list[int]] = {
            m: teams[a:z] for m, a, z in zip(self.pm[bounds[:-1]].tolist() if teams else [], bounds[:-1], bounds[1:])}
        self.team_count: Counter[int] = Counter(teams)
        #: members placed with those in no team: in no team, or immobile (``immobile="comprehensive"``)
        self.pool_mask = ~sh.takes_part[self.codes]
        if params.immobile == "comprehensive":
            self.pool_mask |= sh.immobile[self.codes]
        #: the codes of the hosts the branch is built on (``s.built_on``)
        self.host_codes: list[int] = s.built_on_edges.targets(code).tolist()
        self.area_name = (sh.unit_name_list[self.host_codes[0]] if self.host_codes
                          else self.unit.name.removesuffix("党支部"))
        #: old groups re-attached without a leader: (block, group, name, members); filled by the output
        self.leaderless: list[tuple[Block, str, str, list[int]]] = []

    def full_of(self, members: list[int] | np.ndarray) -> int:
        if isinstance(members, np.ndarray):
            return int(self.sh.full[members].sum())
        return sum(map(self.sh.full_list.__getitem__, members))

    def bb_of(self, members: list[int] | np.ndarray) -> int:
        if isinstance(members, np.ndarray):
            return int(self.sh.backbone[members].sum())
        return sum(map(self.sh.bb_list.__getitem__, members))

    def tname(self, t: int) -> str:
        return self.sh.unit_name_list[t]

    def ordered_by_team(self, blk: Block, members: list[int]) -> list[int]:
        """``members`` sorted by (block team, home host, code): how a block is cut into parts or groups."""
        home_place = self.sh.home_place
        if self.has_no_team(blk):  # the comprehensive block: no member's team is its
            return sorted(members, key=home_place.__getitem__)
        by_team: dict[int, list[int]] = {}
        for m, t in zip(members, self.block_teams(blk, members), strict=True):
            by_team.setdefault(t, []).append(m)
        return [m for t in sorted(by_team) for m in sorted(by_team[t], key=home_place.__getitem__)]

    def block_hosts(self, blk: Block, members: list[int]) -> list[int]:
        """The teams of ``blk`` that any of ``members`` take part in, ascending."""
        if self.has_no_team(blk):
            return []
        teams = set(blk.teams)
        get = self.teams_of.get
        return sorted({t for m in members for t in get(m, ()) if t in teams})

    def has_no_team(self, blk: Block) -> bool:
        """Whether no member of the branch takes part in a team of ``blk`` (the comprehensive block)."""
        count = self.team_count
        return not any(t in count for t in blk.teams)

    def block_teams(self, blk: Block, members: list[int]) -> list[int]:
        """Per member, the first of its teams (ascending) that is one of ``blk``'s, or -1."""
        teams = set(blk.teams)
        get = self.teams_of.get
        out = []
        for m in members:
            first = -1
            for t in get(m, ()):
                if t in teams:
                    first = t
                    break
            out.append(first)
        return out

    def led_group(self, m: int) -> bool:
        return any(role == "group_leader" for _, role in self.sh.role_units.get(m, ()))
