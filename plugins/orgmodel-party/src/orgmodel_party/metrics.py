"""Party-specific metrics: sizes against the party rules, backbone, team alignment, coverage,
and three of seed 000's four models (cycle, big tree, lever; the hourglass is a core metric).

The numbers these metrics compare with (50, 100, 3 members; which roles are offices; the terms)
come from the party rule pack, :data:`orgmodel_party.rulepack.PARTY_RULES`.

>>> from orgmodel import MeasureContext, measure
>>> from orgmodel.testing import contract_baselines
>>> s = contract_baselines("party", only=("tiny",))["tiny"]
>>> values = {v.name: v.value for v in measure(MeasureContext(s), PARTY_METRICS)}
>>> values["backbone.people"], values["backbone.members_per_backbone"]
(2.0, 6.0)
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from orgmodel import MeasureContext, Metric, RulePack, Structure, Value, ancestor_of_kind, check_rules, role_member_codes
from orgmodel_party.offices import BACKBONE_ROLES
from orgmodel_party.rulepack import PARTY_RULES

__all__ = ["PARTY_METRICS"]


class BranchLimits(Metric):
    name = "branch_limits"
    label_zh = "支部规模与设置规定"
    label_en = "branches against the size rules"
    description = (
        "Branches over the party rules' size limits and under the founding minimum, with the numbers"
        " read from the rule pack: over branch.max_size (50), over general_branch.max (100: a branch"
        " that size should be a base committee), under branch.min_full (3 full members)."
    )

    def compute(self, ctx: MeasureContext) -> list[Value]:
        big = PARTY_RULES.rule("branch.max_size").max
        huge = PARTY_RULES.rule("general_branch.max").max
        least = PARTY_RULES.rule("branch.min_full").min
        sizes, full = ctx.branch_sizes, ctx.branch_full_sizes
        return [
            self.value(f"over_{big:g}", int((sizes > big).sum()), f"超过{big:g}人的支部", f"branches over {big:g}",
                       unit="个", direction="lower"),
            self.value(f"over_{huge:g}", int((sizes > huge).sum()), f"超过{huge:g}人的支部", f"branches over {huge:g}",
                       unit="个", direction="lower"),
            self.value(f"under_{least:g}_full", int((full < least).sum()), f"正式党员不足{least:g}人的支部",
                       f"branches under {least:g} full members", unit="个", direction="lower"),
        ]


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
        _, people, codes = _holders(s, ctx.live, BACKBONE_ROLES)
        n = _distinct_people(s, people, codes)
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
        branch_team = np.sort(built.src[on_team].astype(np.int64) * width + built.dst[on_team])  # sorted: searched
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

    HOSTS = (("team", "party.team", "有党员参加的团队党组织覆盖率", "teams with members covered"),
             ("village", "party.village", "村党组织覆盖率", "villages covered"),
             ("enterprise", "party.enterprise", "有党员的企业党组织覆盖率", "enterprises with members covered"))

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
            out.append(self.value(key, share, zh, en, unit="%", direction="higher",
                                  note=f"{int((covered & mask).sum())} of {n}"))
        return out


def _holders(s: Structure, live: np.ndarray, roles: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unit code, person, member code or -1) of the roles in ``roles`` held in live units."""
    units, names, people = s.role_table
    keep = np.isin(names, roles) & (units >= 0)
    keep[keep] &= live[units[keep]]
    return units[keep], people[keep], role_member_codes(s)[keep]


def _distinct_people(s: Structure, people: np.ndarray, codes: np.ndarray) -> int:
    """Distinct people among role holders: members counted by code, people outside the roster by name."""
    seen = np.zeros(s.n_members, dtype=bool)
    seen[codes[codes >= 0]] = True
    return int(seen.sum()) + len(set(people[codes < 0].tolist()))


def _nearest(s: Structure, kinds: tuple[str, ...]) -> np.ndarray:
    """For every unit code, the nearest unit of ``kinds`` it is (part of or below), or -1."""
    return ancestor_of_kind(s, np.arange(s.n_units), kinds)


class Cycle(Metric):
    name = "cycle"
    label_zh = "循环模型：换届与会议"
    label_en = "cycle: renewals and meetings"
    description = (
        "Seed 000's cycle (循环) as far as the roster shows it: organisations whose term has run out"
        " (overdue), whose term runs out within a year (due), both by the rule pack's term rules on"
        " the unit attribute elected and the scenario's as_of; and the share of branches that held"
        " the quarterly members' meeting (unit attribute member_meetings_last_year). Feedback and"
        " self-improvement themselves are not in the data."
    )
    HORIZON_DAYS = 365

    def compute(self, ctx: MeasureContext) -> list[Value]:
        s = ctx.structure
        terms = [r for r in PARTY_RULES.rules if r.quantity == "years_since" and r.enabled and not r.local]
        dated = s.unit_attribute(terms[0].attribute) if terms else {}
        labels = (("overdue", "任期届满未换届的组织", "organisations past their term"),
                  ("due", "一年内到期换届的组织", "organisations due for election within a year"))
        if ctx.as_of is None or not dated:
            note = "not measured: no as_of" if ctx.as_of is None else "not measured: no election dates (unit attribute elected)"
            out = [self.value(k, None, zh, en, unit="个", direction="lower", note=note) for k, zh, en in labels]
        else:
            pack = RulePack(name="party-terms", domain=PARTY_RULES.domain, rules=terms)
            now = {f.unit for f in check_rules(s, [pack], as_of=ctx.as_of) if f.status == "violated"}
            later = {f.unit for f in check_rules(s, [pack], as_of=ctx.as_of + dt.timedelta(days=self.HORIZON_DAYS))
                     if f.status == "violated"}
            note = f"{sum(bool(ctx.live[c]) for c in dated)} organisations with an election date"
            out = [self.value("overdue", len(now), *labels[0][1:], unit="个", direction="lower", note=note),
                   self.value("due", len(later - now), *labels[1][1:], unit="个", direction="neutral", note=note)]
        meetings = PARTY_RULES.rule("meetings.members")
        held = s.unit_attribute(meetings.attribute)  # type: ignore[arg-type]
        branches = np.flatnonzero(ctx.is_branch)
        known = [c for c in branches.tolist() if c in held]
        if known:
            ok = sum(float(held[c]) >= meetings.min for c in known)  # type: ignore[operator]
            out.append(self.value("meetings", 100.0 * ok / len(known), "按季度召开党员大会的支部比例",
                                  "branches holding the quarterly members' meeting", unit="%", direction="higher",
                                  note=f"{len(known)} of {len(branches)} branches report meetings"))
        else:
            out.append(self.value("meetings", None, "按季度召开党员大会的支部比例",
                                  "branches holding the quarterly members' meeting", unit="%", direction="higher",
                                  note="not measured: no meeting counts (unit attribute member_meetings_last_year)"))
        return out


class Tree(Metric):
    name = "tree"
    label_zh = "大树模型：基层组织触达"
    label_en = "big tree: reach of grassroots organisations"
    description = (
        "Seed 000's big tree (大树: firm roots, many branches) as reach: of the organisations and"
        " teams of the area (teams, enterprises, social organisations, service centres, villages),"
        " the share reached by a party unit — one built on it, or a placed member working or living"
        " there or taking part in it (reach); the share with a unit built on it (rooted); and the"
        " lowest reach of any residential area, community, village or township (weakest_area)."
        " The strength of the roots (how active the units are) is not in the data."
    )
    REACHED = ("party.team", "party.enterprise", "party.social_org", "party.service_centre", "party.village")
    AREAS = ("party.residential_area", "party.community", "party.village", "party.township", "party.street")

    def compute(self, ctx: MeasureContext) -> list[Value]:
        s = ctx.structure
        codes = [s.kinds.code(k) for k in self.REACHED if k in s.kinds]
        target = ctx.live & np.isin(s.units.kind, codes)
        n = int(target.sum())
        if n == 0:
            return []
        e = s.built_on_edges
        rooted = np.zeros(s.n_units, dtype=bool)
        rooted[e.dst[ctx.is_org[e.src]]] = True
        placed = s.members["active"] & ctx.is_branch[s.members["branch"]]
        reached = rooted.copy()
        home = s.members["home_host"]
        homes = home[placed & (home >= 0)]
        # a member living or working below a reached kind reaches the nearest one above
        up = _nearest(s, self.REACHED)
        reached[up[homes][up[homes] >= 0]] = True
        p = s.participation
        reached[p.dst[placed[p.src]]] = True
        reached &= target
        # an area's own organisations: the reached kinds below it (a village counts in its township)
        below = np.flatnonzero(target & (s.units.parent >= 0))
        of = np.full(s.n_units, -1, dtype=np.int64)
        of[below] = ancestor_of_kind(s, s.units.parent[below], self.AREAS)
        weakest = None
        have = of >= 0
        if have.any():
            total = np.bincount(of[have], minlength=s.n_units)
            hit = np.bincount(of[have & reached], minlength=s.n_units)
            areas = total > 0
            weakest = float((100.0 * hit[areas] / total[areas]).min())
        return [
            self.value("reach", 100.0 * int(reached.sum()) / n, "组织和团队触达率", "organisations and teams reached",
                       unit="%", direction="higher", note=f"{int(reached.sum())} of {n}"),
            self.value("rooted", 100.0 * int((rooted & target).sum()) / n, "建有党组织的组织和团队比例",
                       "organisations and teams with a party unit built on them", unit="%", direction="higher",
                       note=f"{int((rooted & target).sum())} of {n}"),
            self.value("weakest_area", weakest, "触达率最低的片区", "reach in the weakest area", unit="%",
                       direction="higher", note="" if weakest is not None else "not measured: no areas"),
        ]


class Lever(Metric):
    name = "lever"
    label_zh = "杠杆模型：骨干带动面"
    label_en = "lever: reach per backbone person"
    description = (
        "Seed 000's lever (杠杆) as the reach of the few: members with a backbone person (secretary,"
        " deputy, committee member, group leader) in their own branch or group (reached, as a share),"
        " members so reached per backbone person (reached_per_backbone), and members taking part in"
        " teams where a backbone person also takes part, per backbone person (teams_per_backbone)."
        " Incentives and what they multiply are not in the data."
    )

    def compute(self, ctx: MeasureContext) -> list[Value]:
        s = ctx.structure
        units, people, codes = _holders(s, ctx.live, BACKBONE_ROLES)
        n = _distinct_people(s, people, codes)
        has = np.zeros(s.n_units, dtype=bool)
        has[units] = True
        active = s.members["active"]
        group = s.members["group"]
        reached = active & (has[s.members["branch"]] | ((group >= 0) & has[np.maximum(group, 0)]))
        n_reached = int(reached.sum())
        p = s.participation
        team = s.kinds.code("party.team") if "party.team" in s.kinds else -1
        in_team = (s.units.kind[p.dst] == team) & active[p.src]
        backbone_member = np.zeros(s.n_members, dtype=bool)
        backbone_member[codes[codes >= 0]] = True
        lit = np.zeros(s.n_units, dtype=bool)
        lit[p.dst[in_team & backbone_member[p.src]]] = True
        alongside = np.zeros(s.n_members, dtype=bool)
        alongside[p.src[in_team & lit[p.dst]]] = True
        team_people = int(alongside.sum())
        none = "not measured: no backbone roles recorded"
        return [
            self.value("reached", 100.0 * n_reached / ctx.n_active if ctx.n_active else None,
                       "所在支部或小组有骨干的党员比例", "members with a backbone person in their branch or group",
                       unit="%", direction="higher"),
            self.value("reached_per_backbone", n_reached / n if n else None, "每名骨干带动党员",
                       "members reached per backbone person", unit="人", direction="neutral", note="" if n else none),
            self.value("teams_per_backbone", team_people / n if n else None, "每名骨干在团队中带动党员",
                       "team members alongside a backbone person, per backbone person", unit="人", direction="higher",
                       note="" if n else none),
        ]


PARTY_METRICS = (BranchLimits(), Backbone(), TeamAlignment(), Coverage(), Cycle(), Tree(), Lever())
