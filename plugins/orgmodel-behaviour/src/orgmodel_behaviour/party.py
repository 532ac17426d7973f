"""The ``party`` behaviour model: a party organisation's members, teams, organisational life and
backbone, month by month.

Each period, in this order: members age, some die or move away
(:mod:`~orgmodel_behaviour.population`); mobility changes (:mod:`~orgmodel_behaviour.mobility`);
teams fold, lose and gain members, and new ones form (:mod:`~orgmodel_behaviour.teams`);
members transfer in and teams' activists are recruited; probation ends; seats are filled and
terms end (:mod:`~orgmodel_behaviour.backbone`); the period's meetings are held
(:mod:`~orgmodel_behaviour.life`). Everything is vectorised over the member table.

>>> import datetime as dt
>>> from orgmodel.simulate import SimulationSpec, simulate
>>> from orgmodel.testing import contract_baselines
>>> s = contract_baselines("party", only=("branch-of-329",))["branch-of-329"]
>>> spec = SimulationSpec(horizon_years=1, replications=4, executor="serial")
>>> result = simulate({"now": s}, spec, model=PartyBehaviour(), start=dt.date(2024, 7, 1))
>>> mean, lo, hi = result.band("now", "members.active")
>>> int(mean[0]), bool(300 < mean[-1] < 420)
(369, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from orgmodel import BehaviourModel, ModelContext, SeriesMetric, SimState
from orgmodel_behaviour import backbone, life, mobility, population, teams
from orgmodel_behaviour.params import PartyParams

__all__ = ["PartyBehaviour", "METRICS"]

METRICS = (
    SeriesMetric("life.participation", "近三个月参加组织生活的党员比例", "members who took part in the last 3 months",
                 "%", "higher", "share of active members who attended any meeting in the last three months"),
    SeriesMetric("life.attendance", "组织生活出席率", "attendance", "%", "higher",
                 "meetings attended of the meetings members were due to attend this period"),
    SeriesMetric("life.meetings_held", "按期召开党员大会的支部比例", "branches holding their members' meeting",
                 "%", "higher", "of branches with a members' meeting due this period, those that held it"),
    SeriesMetric("backbone.people", "骨干人数", "backbone people", "人", "higher"),
    SeriesMetric("backbone.members_per_backbone", "每名骨干联系党员", "members per backbone person", "人", "lower"),
    SeriesMetric("backbone.reach", "骨干联系覆盖率", "members within the backbone's reach", "%", "higher"),
    SeriesMetric("backbone.elections", "本期换届的支部", "branches electing this period", "个", "none"),
    SeriesMetric("teams.active", "活跃团队数", "active teams", "个", "higher"),
    SeriesMetric("teams.with_3plus", "3名以上党员参加的团队", "teams with 3 or more members", "个", "higher"),
    SeriesMetric("teams.participation", "参加团队的党员比例", "members taking part in a team", "%", "higher"),
    SeriesMetric("teams.aligned", "所在支部依托本人参加团队的党员比例", "members in a branch on their team", "%",
                 "higher"),
    SeriesMetric("members.recruited", "本期发展党员", "members recruited this period", "人", "none"),
    SeriesMetric("members.mobile", "流动党员", "mobile members", "人", "none"),
)


class PartyBehaviour(BehaviourModel):
    """Members, teams, organisational life and backbone of party organisations (seed 004 calibrated)."""

    name = "party"
    label_zh = "党组织运行模型"
    label_en = "party organisation behaviour"
    description = ("Membership growth, ageing and mobility; teams forming, growing and folding; attendance at"
                   " 三会一课 by branch size, team, room, backbone reach and mobility; backbone terms and succession.")
    Params = PartyParams
    metrics = METRICS
    team_kinds = ("party.team",)

    def prepare(self, state: SimState, params: Any, context: ModelContext) -> None:
        m = state.members
        for name, dtype, default in (("months_away", np.int16, 0), ("months_lost", np.int16, 0),
                                     ("idle", np.int16, 3), ("probation_left", np.int16, -1)):
            if name not in m:
                m.add_column(name, dtype, default)
        state.ensure_roles((*params.backbone_roles, "secretary", "committee_member", "group_leader"))
        u = state.units
        # organisations with no known election are taken as elected when the variant is carried out
        u["elected"] = np.where(u["is_org"] & ~u["is_group"] & np.isnan(u["elected"]), 0.0, u["elected"])
        state.scratch["members_meetings"] = np.zeros((12, state.n_units), dtype=bool)
        state.scratch["life"] = {"attendance": float("nan"), "meetings_held": float("nan")}
        state.scratch["recruited"] = 0
        state.scratch["elections"] = 0

    def step(self, state: SimState, rng: np.random.Generator, period: int, params: Any) -> None:
        months = state.months_per_period
        population.age_and_leave(state, rng, params, months)
        mobility.move(state, rng, params, months)
        teams.update_teams(state, rng, params, months)
        _, recruited = population.arrive(state, rng, params, months)
        population.probation(state, rng, params, months)
        state.scratch["elections"] = backbone.update_backbone(state, rng, params, months)
        life.meet(state, rng, params, months)
        state.scratch["recruited"] = recruited

    def observe(self, state: SimState, params: Any) -> Mapping[str, float]:
        m = state.members
        active = m["active"]
        n = int(active.sum())
        seen = state.scratch.get("observed")
        if seen is not None and seen["period"] == state.period:  # the meetings just computed them
            sizes, reach, in_team, aligned = seen["sizes"], seen["reach"], seen["in_team"], seen["aligned"]
            people = float(seen["backbone"].sum())
        else:
            people = float(backbone.backbone_per_branch(state, params).sum())
            sizes = np.bincount(m["branch"][active], minlength=state.n_units)
            reach = life.reach_per_branch(state, params, sizes)
            e = state.edges
            in_team = np.zeros(state.n_members, dtype=bool)
            in_team[e["member"][e["active"]]] = True
            aligned = state.aligned()
        team_sizes = state.team_sizes()
        live_teams = state.teams["active"] & (team_sizes > 0)
        started = state.month >= 3  # "the last three months" are simulated ones
        lifes = state.scratch["life"]

        def share(count: float) -> float:
            return 100.0 * count / n if n else float("nan")

        return {
            "life.participation": share(float((active & (m["idle"] < 3)).sum())) if started else float("nan"),
            "life.attendance": lifes["attendance"],
            "life.meetings_held": lifes["meetings_held"],
            "backbone.people": people,
            "backbone.members_per_backbone": n / people if people else float("nan"),
            "backbone.reach": share(float((reach * sizes).sum())),
            "backbone.elections": float(state.scratch["elections"]),
            "teams.active": float(live_teams.sum()),
            "teams.with_3plus": float((live_teams & (team_sizes >= 3)).sum()),
            "teams.participation": share(float((in_team & active).sum())),
            "teams.aligned": share(float(aligned.sum())),
            "members.recruited": float(state.scratch["recruited"]),
            "members.mobile": float((active & m["mobile"]).sum()),
        }
