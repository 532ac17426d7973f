"""Tests of proposing office holders (``propose_branch_roles``): who is chosen, in which order, on which basis."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from orgmodel_party import CommitteeRule, propose_branch_roles

RULE = CommitteeRule(from_full=7, size=3)


class Recorder:
    """A plan that records what ``set_role`` is called with."""

    def __init__(self) -> None:
        self.roles: list[tuple[str, str, str]] = []

    def set_role(self, unit: str, *, role: str, person: str, since: str | None, reason: tuple) -> None:
        self.roles.append((role, person, reason[0]))


def roster(joined: list[str | None], full: list[bool]) -> SimpleNamespace:
    """What ``propose_branch_roles`` reads of a structure: full members, member ids, the ``joined`` column."""
    return SimpleNamespace(
        full_mask=np.asarray(full, dtype=bool),
        members=SimpleNamespace(ids=np.asarray([f"p{i}" for i in range(len(full))], dtype=object),
                                columns={"joined": np.asarray(joined, dtype="datetime64[D]")}))


def test_backbone_first_then_earliest_joined_then_code_only_full_members() -> None:
    joined = ["2001-01-01", "1990-01-01", None, "1980-01-01", "1995-01-01", None, "1985-01-01", "1999-01-01"]
    full = [True, True, True, False, True, True, True, True]
    s = roster(joined, full)
    backbone = np.asarray([False, False, True, False, False, False, False, True])
    plan = Recorder()
    members = np.asarray([7, 6, 5, 4, 3, 2, 1, 0, 6, 1], dtype=np.int64)  # unordered, repeated
    got = propose_branch_roles(s, plan, "new:b", "一支部", members, committee=RULE, backbone=backbone)
    # 7 full members: a committee of 3; backbone 7 (joined) before 2 (no date); then 6 joined earliest (3 is not full)
    assert got == ["p7", "p2", "p6"]
    assert plan.roles == [("secretary", "p7", "role_committee_secretary_backbone"),
                          ("committee_member", "p2", "role_committee_member_backbone"),
                          ("committee_member", "p6", "role_committee_member_senior")]


def test_held_offices_count_and_unknown_dates_come_last() -> None:
    s = roster([None, None, "2000-01-01", None], [True, True, True, True])
    plan = Recorder()
    got = propose_branch_roles(s, plan, "b", "二支部", [0, 1, 2, 3], committee=RULE, n_full=8,
                               held=[("p2", "secretary")], backbone=np.zeros(4, dtype=bool))
    # the secretary is kept; the committee of 3 needs two more, not p2; without dates by code
    assert got == ["p0", "p1"]
    assert [code for _, _, code in plan.roles] == ["role_committee_member_first"] * 2


def test_caller_order_is_followed() -> None:
    s = roster([None] * 5, [True, False, True, True, True])
    plan = Recorder()
    order = np.asarray([4, 1, 0, 3, 2], dtype=np.int64)
    got = propose_branch_roles(s, plan, "b", "三支部", order, committee=RULE, order=order,
                               backbone=np.asarray([False, False, False, False, True]))
    assert got == ["p4"]
    assert plan.roles == [("secretary", "p4", "role_secretary_backbone")]
    plan = Recorder()
    assert propose_branch_roles(s, plan, "b", "三支部", [0, 3], committee=RULE, order=order,
                                backbone=np.zeros(5, dtype=bool)) == ["p0"]
    assert plan.roles == [("secretary", "p0", "role_secretary_able")]
