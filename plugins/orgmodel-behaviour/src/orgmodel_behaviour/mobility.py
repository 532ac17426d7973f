"""Mobility: members who start working away and come back, who transfer their relation after six
months away (党员教育管理工作条例 第二十五条), and who become mobility-limited with age."""

from __future__ import annotations

import numpy as np

from orgmodel import LEFT_TRANSFERRED, SimState
from orgmodel_behaviour.params import PartyParams
from orgmodel_behaviour.util import per_period

__all__ = ["move"]


def move(state: SimState, rng: np.random.Generator, p: PartyParams, months: int) -> None:
    """One period of mobility for every active member."""
    m = state.members
    active = m["active"]
    n = state.n_members
    draw = rng.random(n)
    working = active & ~m["retired"] & ~m["mobility_limited"]
    leaves = working & ~m["mobile"] & (draw < per_period(p.mobile_onset_rate, months))
    returns = active & m["mobile"] & (draw < per_period(p.mobile_return_rate, months))
    mobile = (m["mobile"] | leaves) & ~returns
    m["mobile"] = mobile
    m["months_away"] = np.where(mobile & active, m["months_away"] + months, 0).astype(m["months_away"].dtype)
    away = np.flatnonzero(active & (m["months_away"] >= 6))
    transfers = away[rng.random(len(away)) < per_period(p.mobile_transfer_rate, months)]
    state.remove_members(transfers, LEFT_TRANSFERRED)
    rate = np.where(m["age"] >= 75, p.immobile_onset_rate, p.immobile_onset_rate_young)
    onset = m["active"] & ~m["mobility_limited"] & (rng.random(n) < per_period(rate, months))
    m["mobility_limited"] = m["mobility_limited"] | onset
