"""Organisational life (三会一课): which meetings are held, and who attends them.

Cadences follow the meetings row of the rule pack (支部工作条例 ch. 3 and ch. 5): the members'
meeting every ``members_meeting_months`` (quarterly), the branch committee and the party group
every month, the party lecture every ``lecture_months``. A members' meeting (and a lecture) convenes
every member, so it is held only where the room seats the whole branch (unit attribute ``room_capacity``, else
``room_capacity_default``): seed 004's 鹤北一, 329 members, "开个会都找不合适的场所". Branches built
on teams meet where their teams meet (``team_branch_rooms``, seed 004: 团队活动到哪里，党组织活动开展到哪里).

A member's chance to attend a meeting held falls with branch size above ``size_reference``, rises
when the branch is built on a team they take part in, is lower for working, mobile and
mobility-limited members, and lower beyond the backbone's reach (``reach_per_backbone`` members per
backbone person: seed 004's 昆阳, 182 members kept in touch by 11 people).
"""

from __future__ import annotations

import numpy as np

from orgmodel import SimState
from orgmodel_behaviour.backbone import COMMITTEE, backbone_per_branch
from orgmodel_behaviour.params import PartyParams
from orgmodel_behaviour.teams import team_branches
from orgmodel_behaviour.util import role_mask

__all__ = ["meet", "due_count", "reach_per_branch"]


def due_count(month: int, months: int, every: int) -> int:
    """How many of the months ``month - months + 1 .. month`` have a meeting held every ``every`` months.

    >>> due_count(3, 1, 3), due_count(4, 1, 3), due_count(12, 12, 3)
    (1, 0, 4)
    """
    return month // every - (month - months) // every


def reach_per_branch(state: SimState, p: PartyParams, sizes: np.ndarray,
                     backbone: np.ndarray | None = None) -> np.ndarray:
    """Share of each branch's members within the backbone's reach (1 for an empty branch);
    ``backbone``: the backbone people per branch, when already counted."""
    if backbone is None:
        backbone = backbone_per_branch(state, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sizes > 0, np.minimum(1.0, p.reach_per_backbone * backbone / np.maximum(sizes, 1)), 1.0)


def meet(state: SimState, rng: np.random.Generator, p: PartyParams, months: int) -> None:
    """Hold the period's meetings; update each member's months since they last took part."""
    m, u = state.members, state.units
    active = m["active"]
    n = state.n_members
    branch = m["branch"]
    sizes = np.bincount(branch[active], minlength=state.n_units)
    backbone = backbone_per_branch(state, p)
    reach = reach_per_branch(state, p, sizes, backbone)
    aligned = state.aligned()
    e = state.edges
    in_team = np.zeros(n, dtype=bool)
    in_team[e["member"][e["active"]]] = True
    size_factor = 1.0 / (1.0 + p.size_penalty * np.log2(np.maximum(sizes / p.size_reference, 1.0)))
    chance = p.attend_base * size_factor[branch] + p.aligned_bonus * aligned + p.in_team_bonus * in_team
    chance *= np.where(m["retired"], 1.0, p.working_factor)
    chance *= np.where(m["mobile"], p.mobile_factor, 1.0)
    chance *= np.where(m["mobility_limited"], p.immobile_factor, 1.0)
    reached = rng.random(n) < reach[branch]
    chance *= np.where(reached, 1.0, p.unreached_factor)
    chance = np.clip(np.where(active, chance, 0.0), 0.0, 1.0)
    # which branches can hold their members' meeting: it convenes every member, so the room must seat the branch
    capacity = np.where(np.isnan(u["room_capacity"]), p.room_capacity_default, u["room_capacity"])
    fits = sizes <= capacity
    if p.team_branch_rooms:
        fits |= team_branches(state)
    month = state.month
    n_mm = due_count(month, months, p.members_meeting_months)
    n_lecture = due_count(month, months, p.lecture_months)
    n_group = due_count(month, months, p.group_meeting_months)
    n_committee = due_count(month, months, p.committee_meeting_months)
    held = fits & u["is_branch"] & (sizes > 0)
    committee = role_mask(m["role"], state.ensure_roles(COMMITTEE), len(state.role_names))
    chances = (n_mm + n_lecture) * held[branch] + n_group * (m["group"] >= 0) + n_committee * committee
    chances = np.where(active, chances, 0).astype(np.int64)
    attended = rng.binomial(chances, chance)
    took_part = attended > 0
    m["idle"] = np.where(took_part, 0, m["idle"] + months).astype(m["idle"].dtype)
    contact = took_part | (reached & (rng.random(n) < 1 - (1 - p.mobile_contact_rate) ** months))
    m["months_lost"] = np.where(active & m["mobile"] & ~contact, m["months_lost"] + months, 0).astype(m["months_lost"].dtype)
    # the record of members' meetings held in the last 12 months (the meetings.members rule)
    ring = state.scratch["members_meetings"]
    for k in range(months):
        this = month - months + 1 + k
        ring[this % 12] = held & (this % p.members_meeting_months == 0)
    if month >= 12:
        u["member_meetings"] = np.where(u["is_branch"], ring.sum(axis=0), u["member_meetings"])
    state.scratch["observed"] = {"period": state.period, "sizes": sizes, "reach": reach, "in_team": in_team,
                                 "aligned": aligned, "backbone": backbone}
    due_branches = u["is_branch"] & (sizes > 0)
    state.scratch["life"] = {
        "attendance": 100.0 * attended.sum() / chances.sum() if chances.sum() else float("nan"),
        "meetings_held": 100.0 * (held & due_branches).sum() / due_branches.sum() if n_mm and due_branches.any()
        else float("nan"),
    }
