"""Population: ageing and deaths, moving away, transfers in, recruits from team activists, probation.

Every function takes the state, the generator, the parameters and the months in one period, and
changes the state in bulk.
"""

from __future__ import annotations

import numpy as np

from orgmodel import LEFT_DIED, LEFT_MOVED, SimState
from orgmodel_behaviour.params import PartyParams
from orgmodel_behaviour.util import per_period, pick_within

__all__ = ["age_and_leave", "probation", "arrive"]


def age_and_leave(state: SimState, rng: np.random.Generator, p: PartyParams, months: int) -> None:
    """Everyone ages; some die (Gompertz hazard by age); some move out of the community."""
    m = state.members
    active = m["active"]
    m["age"] = m["age"] + np.where(active, months / 12.0, 0.0)
    idx = np.flatnonzero(active)
    hazard = np.minimum(1.0, p.mortality_a * np.exp(p.mortality_b * m["age"][idx]))
    dies = rng.random(len(idx)) < per_period(hazard, months)
    state.remove_members(idx[dies], LEFT_DIED)
    idx = idx[~dies]
    moves = rng.random(len(idx)) < per_period(p.move_away_rate, months)
    state.remove_members(idx[moves], LEFT_MOVED)
    m["retired"] = m["retired"] | (m["active"] & (m["age"] >= p.retirement_age))


def probation(state: SimState, rng: np.random.Generator, p: PartyParams, months: int) -> None:
    """Probationary members become full when their probation ends (those probationary at the
    start, whose start of probation is unknown, at a constant rate over ``probation_months``)."""
    probationary, full = state.status_code("probationary"), state.status_code("full")
    if probationary is None or full is None:
        return
    m = state.members
    on = m["active"] & (m["status"] == probationary)
    left = m["probation_left"]
    known = on & (left >= 0)
    m["probation_left"] = np.where(known, left - months, left)
    done = known & (m["probation_left"] <= 0)
    unknown = np.flatnonzero(on & (left < 0))
    share = min(1.0, months / p.probation_months) if p.probation_months else 1.0
    done[unknown[rng.random(len(unknown)) < share]] = True
    m["status"] = np.where(done, full, m["status"]).astype(m["status"].dtype)


def arrive(state: SimState, rng: np.random.Generator, p: PartyParams, months: int) -> tuple[int, int]:
    """Members transferred in (placed like a random member) and recruits from active teams.

    Returns (transfers in, recruits).
    """
    m = state.members
    idx = np.flatnonzero(m["active"])
    n_in = int(rng.binomial(len(idx), per_period(p.transfer_in_rate, months))) if len(idx) else 0
    if n_in:
        like = idx[rng.integers(0, len(idx), n_in)]  # placed as a random member is
        age = m["age"][idx[rng.integers(0, len(idx), n_in)]]  # aged as another random member is
        state.add_members(n_in, branch=m["branch"][like], group=m["group"][like], status=state.status_code("full") or 0,
                          age=age, retired=age >= p.retirement_age, probation_left=-1)
    # recruits: teams with enough members take activists into the party
    sizes = state.team_sizes()
    teams = np.flatnonzero(state.teams["active"] & (sizes >= p.activist_team_min))
    if not len(teams):
        return n_in, 0
    on_branch = team_branch(state)
    factor = np.where(on_branch[teams] >= 0, p.team_branch_recruit_factor, 1.0)
    counts = rng.poisson(p.recruits_per_team * factor * months / 12.0)
    team = np.repeat(teams, counts)
    if not len(team):
        return n_in, 0
    e = state.edges
    live = e["active"] & m["active"][e["member"]]
    sponsor = pick_within(e["team"][live], state.n_teams, team, rng)  # a random participant of the team
    sponsor_member = e["member"][live][np.maximum(sponsor, 0)]
    branch = np.where(on_branch[team] >= 0, on_branch[team], m["branch"][sponsor_member])
    ok = (sponsor >= 0) | (on_branch[team] >= 0)
    team, branch = team[ok], branch[ok]
    n = len(team)
    if n:
        age = p.recruit_age_min + rng.random(n) * (p.recruit_age_max - p.recruit_age_min)
        probationary = state.status_code("probationary")
        codes = state.add_members(n, branch=branch, status=probationary if probationary is not None else 0, age=age,
                                  retired=age >= p.retirement_age, probation_left=p.probation_months)
        state.add_edges(codes.astype(np.int32), team.astype(np.int32))
    return n_in, n


def team_branch(state: SimState) -> np.ndarray:
    """Per team: the (lowest-coded) branch built on it, or -1."""
    out = np.full(state.n_teams, -1, dtype=np.int64)
    keys = state.branch_team
    if len(keys):
        width = state.team_key_width
        branch, team = keys // width, keys % width
        # keys are sorted by branch, so the last write per team is the highest branch: write reversed
        out[team[::-1]] = branch[::-1]
    return out
