"""Party-specific metrics: backbone ratio, team alignment, coverage of host units.

>>> from orgmodel import MeasureContext, measure
>>> from orgmodel.testing import contract_baselines
>>> s = contract_baselines("party", only=("tiny",))["tiny"]
>>> values = {v.name: v.value for v in measure(MeasureContext(s), PARTY_METRICS)}
>>> values["backbone.people"], values["backbone.members_per_backbone"]
(2.0, 6.0)
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orgmodel import MeasureContext, Metric, Value
from orgmodel_party.offices import BACKBONE_ROLES

__all__ = ["PARTY_METRICS", "BACKBONE_ROLES"]


class Backbone(Metric):
    name = "backbone"
    label_zh = "骨干联系面"
    label_en = "backbone reach"
    description = (
        "People who keep in touch with members: secretaries, deputy secretaries, committee members"
        " and group leaders (distinct people, from the roles table), and members per such person."
        " Seed 004's 昆阳 went from 182 members per 11 to per 32."
    )

    def compute(self, ctx: MeasureContext) -> list[Value]:
        s = ctx.structure
        units, roles, people = s.role_table
        keep = np.isin(roles, BACKBONE_ROLES) & (units >= 0)
        keep[keep] &= ctx.live[units[keep]]
        n = int(pc.count_distinct(pa.array(people[keep], pa.string())).as_py()) if keep.any() else 0
        return [
            self.value("people", n, "骨干人数", "backbone people", unit="人", direction="higher"),
            self.value("members_per_backbone", ctx.n_active / n if n else None, "每名骨干联系党员", "members per backbone person",
                       unit="人", direction="lower"),
        ]


class TeamAlignment(Metric):
    name = "team_alignment"
    label_zh = "团队契合度"
    label_en = "team alignment"
    description = "Share of members whose branch is built on a team they take part in."

    def compute(self, ctx: MeasureContext) -> list[Value]:
        s = ctx.structure
        if "party.team" not in s.kinds:
            return []
        team = s.kinds.code("party.team")
        p = s.participation
        if not len(p):
            # both values, empty with a note, so that every variant has the same rows
            note = "not measured: no participation data"
            return [self.value("share", None, "所在支部依托本人参加团队的党员比例", "members in a branch on their team",
                               unit="%", direction="higher", note=note),
                    self.value("share_of_team_members", None, "参加团队党员中支部与团队一致的比例",
                               "of members in teams, those whose branch is on their team", unit="%", direction="higher",
                               note=note)]
        width = np.int64(s.n_units + 1)
        built = s.built_on_edges
        on_team = s.units.kind[built.dst] == team
        branch_team = np.unique(built.src[on_team].astype(np.int64) * width + built.dst[on_team])
        branch = s.members["branch"][p.src].astype(np.int64)
        keys = branch * width + p.dst
        pos = np.searchsorted(branch_team, keys)
        aligned_rows = (pos < len(branch_team)) & (branch_team[np.minimum(pos, len(branch_team) - 1)] == keys) \
            if len(branch_team) else np.zeros(len(keys), dtype=bool)
        active = s.members["active"]
        aligned = np.zeros(s.n_members, dtype=bool)
        aligned[p.src[aligned_rows]] = True
        in_team = np.zeros(s.n_members, dtype=bool)
        in_team[p.src[s.units.kind[p.dst] == team]] = True
        n_aligned = int((aligned & active).sum())
        n_in_team = int((in_team & active).sum())
        share = 100.0 * n_aligned / ctx.n_active if ctx.n_active else None
        share_of_takers = 100.0 * n_aligned / n_in_team if n_in_team else None
        return [
            self.value("share", share, "所在支部依托本人参加团队的党员比例", "members in a branch on their team", unit="%", direction="higher"),
            self.value("share_of_team_members", share_of_takers, "参加团队党员中支部与团队一致的比例",
                       "of members in teams, those whose branch is on their team", unit="%", direction="higher",
                       note="" if n_in_team else "not measured: no member takes part in a team"),
        ]


class Coverage(Metric):
    name = "coverage"
    label_zh = "组织覆盖"
    label_en = "coverage"
    description = (
        "Share of host units covered by a live organisation unit built directly on them (a joint"
        " branch lists every host it covers): teams with party members taking part, villages, and"
        " enterprises (small firms) with members living or working there."
    )

    HOSTS = (("team", "party.team", "有党员参加的团队", "teams with members"),
             ("village", "party.village", "村", "villages"),
             ("enterprise", "party.enterprise", "有党员的企业", "enterprises with members"))

    def compute(self, ctx: MeasureContext) -> list[Value]:
        s = ctx.structure
        live_src = ctx.live[s.built_on_edges.src] & s.kinds.is_org[s.units.kind[s.built_on_edges.src]]
        covered = np.zeros(s.n_units, dtype=bool)
        covered[s.built_on_edges.dst[live_src]] = True
        out = []
        active = s.members["active"]
        p = s.participation
        participants = np.bincount(p.dst[active[p.src]], minlength=s.n_units)  # active members only
        home = s.members["home_host"]
        residents = np.bincount(home[(home >= 0) & active], minlength=s.n_units)
        for key, kind, zh, en in self.HOSTS:
            if kind not in s.kinds:
                continue
            mask = ctx.live & (s.units.kind == s.kinds.code(kind))
            if key == "team":
                mask &= participants > 0
            elif key == "enterprise":
                mask &= residents > 0
            n = int(mask.sum())
            if n == 0:
                continue
            share = 100.0 * int((covered & mask).sum()) / n
            out.append(self.value(key, share, f"{zh}覆盖率", f"{en} covered", unit="%", direction="higher",
                                  note=f"{int((covered & mask).sum())} of {n}"))
        return out


PARTY_METRICS = (Backbone(), TeamAlignment(), Coverage())
