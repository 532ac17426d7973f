"""Backbone: seats, vacancies and by-elections, and elections at the end of each term.

A branch has a secretary; from ``committee_full_min`` full members a committee of
``committee_size`` (支部工作条例 ch. 6: 7 or more full members, 3 to 5 seats); every group with
members has a leader. A seat left empty (a holder died, moved, transferred) is filled after
``vacancy_fill_months`` on average; at each election (every ``term_years``, 关于党的基层组织任期的意见)
holders older than ``backbone_max_age`` step down and every empty seat is filled. Successors are
able, full members of the unit, preferring team activists (seed 004's chain 群众—党员—干部).
"""

from __future__ import annotations

import numpy as np

from orgmodel import SimState
from orgmodel_behaviour.params import PartyParams
from orgmodel_behaviour.util import per_period, rank_within, role_mask, top_per_key

__all__ = ["update_backbone", "backbone_per_branch"]

COMMITTEE = ("secretary", "deputy_secretary", "committee_member")


def backbone_per_branch(state: SimState, p: PartyParams) -> np.ndarray:
    """Backbone people per branch code: active members holding a backbone role, counted in their
    branch, plus role holders from outside the roster (e.g. a secretary sent by the township)."""
    m = state.members
    codes = state.ensure_roles(p.backbone_roles)
    holds = m["active"] & role_mask(m["role"], codes, len(state.role_names))
    out = np.bincount(m["branch"][holds], minlength=state.n_units).astype(float)
    outside = state.outside_roles
    if len(outside):  # fixed for a replication (units and outside holders never change): counted once
        key = ("outside_backbone", tuple(int(c) for c in codes))
        extra = state.scratch.get(key)
        if extra is None:
            o = outside[role_mask(outside[:, 1], codes, len(state.role_names))]
            unit = o[:, 0]
            parent = state.units["parent"][unit]
            unit = np.where(state.units["is_group"][unit] & (parent >= 0), parent, unit)
            extra = state.scratch[key] = np.bincount(unit, minlength=state.n_units)
        out += extra
    return out


def update_backbone(state: SimState, rng: np.random.Generator, p: PartyParams, months: int) -> int:
    """One period of elections and by-elections; returns the number of organisations that held an election."""
    m, u = state.members, state.units
    secretary, committee, leader = state.ensure_roles(("secretary", "committee_member", "group_leader"))
    n_units = state.n_units
    active = m["active"]
    # elections at the end of a term
    due = u["is_org"] & ~u["is_group"] & ~np.isnan(u["elected"]) & (state.month - u["elected"] >= p.term_years * 12)
    if due.any():
        unit = m["role_unit"]
        branch_of_unit = np.where(u["is_group"][np.maximum(unit, 0)], u["parent"][np.maximum(unit, 0)], unit)
        steps_down = active & (m["role"] >= 0) & (unit >= 0) & due[np.maximum(branch_of_unit, 0)] \
            & (m["age"] > p.backbone_max_age)
        m["role"] = np.where(steps_down, -1, m["role"]).astype(m["role"].dtype)
        m["role_unit"] = np.where(steps_down, -1, m["role_unit"]).astype(m["role_unit"].dtype)
        u["elected"] = np.where(due, state.month, u["elected"])
    full_code = state.status_code("full")
    full = active & (m["status"] == full_code) if full_code is not None else active.copy()
    sizes = np.bincount(m["branch"][active], minlength=n_units)
    full_sizes = np.bincount(m["branch"][full], minlength=n_units)
    group_sizes = np.bincount(m["group"][active & (m["group"] >= 0)], minlength=n_units)
    # seats and holders
    seat_sec = (u["is_branch"] & (sizes > 0)).astype(np.int64)
    seat_com = np.where(u["is_branch"] & (full_sizes >= p.committee_full_min), p.committee_size - 1, 0)
    seat_lead = (u["is_group"] & (group_sizes > 0)).astype(np.int64)

    def held(role: int) -> np.ndarray:
        keep = active & (m["role"] == role) & (m["role_unit"] >= 0)
        counts = np.bincount(m["role_unit"][keep], minlength=n_units)
        o = state.outside_roles
        if len(o):
            counts += np.bincount(o[o[:, 1] == role, 0], minlength=n_units)
        return counts

    chance = np.where(due, 1.0, per_period(1 - np.exp(-12.0 / p.vacancy_fill_months), months))
    vac_sec = np.maximum(seat_sec - held(secretary), 0)
    vac_com = np.maximum(seat_com - held(committee) - _held_any(state, COMMITTEE, exclude=("secretary", "committee_member")), 0)
    vac_lead = np.maximum(seat_lead - held(leader), 0)
    fill_sec = rng.binomial(vac_sec, chance)
    fill_com = rng.binomial(vac_com, chance)
    fill_lead = rng.binomial(vac_lead, chance)
    if not (fill_sec.any() or fill_com.any() or fill_lead.any()):
        return int(due.sum())
    in_team = np.zeros(state.n_members, dtype=bool)
    e = state.edges
    in_team[e["member"][e["active"]]] = True
    candidate = full & (m["role"] < 0) & (m["age"] <= p.backbone_max_age) & ~m["mobile"] & ~m["mobility_limited"]
    score = rng.random(state.n_members) + p.successor_team_weight * in_team
    # branch seats: the best candidates of each branch; the first fill the secretary's seat
    chosen = top_per_key(np.where(candidate, m["branch"], -1), score, fill_sec + fill_com)
    if len(chosen):
        branch = m["branch"][chosen]
        rank = rank_within(branch, score[chosen])
        m["role"][chosen] = np.where(rank < fill_sec[branch], secretary, committee)
        m["role_unit"][chosen] = branch
        candidate[chosen] = False
    chosen = top_per_key(np.where(candidate & (m["group"] >= 0), m["group"], -1), score, fill_lead)
    if len(chosen):
        m["role"][chosen] = leader
        m["role_unit"][chosen] = m["group"][chosen]
    return int(due.sum())


def _held_any(state: SimState, roles: tuple[str, ...], *, exclude: tuple[str, ...]) -> np.ndarray:
    """Holders of ``roles`` other than ``exclude`` per unit (deputies fill committee seats too)."""
    names = [r for r in roles if r not in exclude and r in state.role_names]
    if not names:
        return np.zeros(state.n_units, dtype=np.int64)
    m = state.members
    codes = state.ensure_roles(names)
    keep = m["active"] & role_mask(m["role"], codes, len(state.role_names)) & (m["role_unit"] >= 0)
    return np.bincount(m["role_unit"][keep], minlength=state.n_units)
