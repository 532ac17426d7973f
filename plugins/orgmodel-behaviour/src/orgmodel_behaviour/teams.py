"""Teams: folding (small teams more often), members leaving and joining them (joining follows
team mates in the same branch), and new teams founded in branches (more in team branches, as in
seed 004's 红六, whose team branch saw its teams grow from 3 to 7)."""

from __future__ import annotations

import numpy as np

from orgmodel import SimState
from orgmodel_behaviour.params import PartyParams
from orgmodel_behaviour.util import per_period, pick_within, rank_within, top_per_key

__all__ = ["update_teams", "team_branches"]


def team_branches(state: SimState) -> np.ndarray:
    """Per unit code: whether it is a branch built on at least one team."""
    out = np.zeros(state.n_units, dtype=bool)
    if len(state.branch_team):
        out[(state.branch_team // state.team_key_width).astype(np.int64)] = True
    return out


def update_teams(state: SimState, rng: np.random.Generator, p: PartyParams, months: int) -> None:
    """One period of team life."""
    m, t, e = state.members, state.teams, state.edges
    able = m["active"] & ~m["mobility_limited"] & ~m["mobile"]
    # members who left or are away no longer take part; some stop of their own accord
    live_edge = e["active"] & m["active"][e["member"]] & ~m["mobile"][e["member"]]
    live_edge &= rng.random(len(e)) >= per_period(p.leave_team_rate, months)
    e["active"] = live_edge
    # teams fold, small ones more often
    sizes = state.team_sizes()
    rate = np.where(sizes >= 3, p.team_fold_rate, p.small_team_fold_rate)
    folds = t["active"] & (rng.random(len(t)) < per_period(rate, months))
    t["active"] = t["active"] & ~folds
    t["folded"] = np.where(folds, state.period, t["folded"])
    e["active"] = e["active"] & t["active"][e["team"]]
    # joining: an able member in no team follows a random team mate of the same branch
    in_team = np.zeros(state.n_members, dtype=bool)
    in_team[e["member"][e["active"]]] = True
    on_teams = team_branches(state)
    branch = m["branch"]
    rate = per_period(p.join_team_rate, months) * np.where(on_teams[branch], p.team_branch_join_factor, 1.0)
    joiners = np.flatnonzero(able & ~in_team & (rng.random(state.n_members) < np.minimum(rate, 1.0)))
    if len(joiners) and e["active"].any():
        act = np.flatnonzero(e["active"])
        mate = pick_within(branch[e["member"][act]], state.n_units, branch[joiners], rng)
        ok = mate >= 0
        state.add_edges(joiners[ok].astype(np.int32), e["team"][act[np.maximum(mate[ok], 0)]])
    _found_teams(state, rng, p, months, able, on_teams)


def _found_teams(state: SimState, rng: np.random.Generator, p: PartyParams, months: int, able: np.ndarray,
                 on_teams: np.ndarray) -> None:
    m = state.members
    branches = np.flatnonzero(state.units["is_branch"])
    rate = np.where(on_teams[branches], p.team_branch_form_rate, p.team_form_rate) * months / 12.0
    new = rng.poisson(rate)
    if not new.any():
        return
    need = np.zeros(state.n_units, dtype=np.int64)
    need[branches] = new * p.team_founders
    keys = np.where(able, m["branch"], -1)
    founders = top_per_key(keys, rng.random(state.n_members), need)
    if not len(founders):
        return
    fb = m["branch"][founders]
    # the r-th founder of a branch founds the branch's (r // team_founders)-th new team
    order = np.argsort(fb, kind="stable")
    fb_sorted = fb[order]
    rank = rank_within(fb_sorted, -np.arange(len(fb_sorted), dtype=float))
    local = rank // p.team_founders
    pairs = np.unique(fb_sorted.astype(np.int64) * (1 << 20) + local)
    team_branch_of_pair = (pairs >> 20).astype(np.int32)
    codes = state.add_teams(len(pairs), home=team_branch_of_pair)
    which = np.searchsorted(pairs, fb_sorted.astype(np.int64) * (1 << 20) + local)
    state.add_edges(founders[order].astype(np.int32), codes[which].astype(np.int32))
    # a team founded in a team branch is led by it: the branch is built on it too
    led = on_teams[team_branch_of_pair]
    if led.any():
        keys = team_branch_of_pair[led].astype(np.int64) * state.team_key_width + codes[led]
        state.branch_team = np.union1d(state.branch_team, keys)
