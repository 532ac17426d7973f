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

__all__ = ["Facts", "Block", "Upgrade", "TEAM"]

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
        # team participation rows by the taking part member's branch (active members), grouped once
        active_branch = np.where(s.members["active"], s.members["branch"], -1)
        self.part_of_branch = Groups(active_branch[self.part_src], s.n_units)
        #: every member's place in the order offices are proposed in (see ``orgmodel_party.office_rank``)
        self.office_place = office_rank(s, as_of=ctx.as_of, backbone=self.backbone) if committee is not None else None
        self.ids = s.members.ids
        self.unit_ids = s.units.ids
        self.unit_names = s.units.name
        self.unit_tags = s.units.tags

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

    def remove(self, m: int) -> None:
        self.members.remove(m)
        del self.why[m]


class Upgrade:
    """The state of the plan for one oversized branch: its members, their teams, and the plan being written."""

    def __init__(self, s: Any, sh: Facts, params: Params, plan: Any, branch: str) -> None:
        self.s, self.sh, self.p, self.plan, self.b = s, sh, params, plan, branch
        self.unit = s.unit(branch)
        self.codes = s.member_codes_of(branch).tolist()
        self.size = len(self.codes)
        rows = sh.part_of_branch[s.unit_code(branch)]
        self.teams_of: dict[int, list[int]] = {}
        for m, t in zip(sh.part_src[rows].tolist(), sh.part_dst[rows].tolist(), strict=True):
            self.teams_of.setdefault(m, []).append(t)
        for m in self.teams_of:
            self.teams_of[m].sort()
        self.team_count: Counter[int] = Counter(t for ts in self.teams_of.values() for t in ts)
        hosts = s.built_on(branch)
        self.hosts = hosts
        self.area_name = str(s.unit(hosts[0]).name) if hosts else self.unit.name.removesuffix("党支部")
        #: old groups re-attached without a leader: (block, group, name, members); filled by the output
        self.leaderless: list[tuple[Block, str, str, list[int]]] = []

    def full_of(self, members: list[int]) -> int:
        return int(self.sh.full[np.asarray(members, dtype=np.int64)].sum()) if members else 0

    def bb_of(self, members: list[int]) -> int:
        return int(self.sh.backbone[np.asarray(members, dtype=np.int64)].sum()) if members else 0

    def pool_member(self, m: int) -> bool:
        return not self.teams_of.get(m) or (self.p.immobile == "comprehensive" and bool(self.sh.immobile[m]))

    def tname(self, t: int) -> str:
        return str(self.sh.unit_names[t])

    def unit_hosts_codes(self) -> list[int]:
        return [self.s.unit_code(h) for h in self.hosts]

    def block_team(self, blk: Block, m: int) -> int:
        for t in self.teams_of.get(m, ()):
            if t in blk.teams:
                return t
        return -1

    def led_group(self, m: int) -> bool:
        return any(role == "group_leader" for _, role in self.sh.role_units.get(m, ()))
