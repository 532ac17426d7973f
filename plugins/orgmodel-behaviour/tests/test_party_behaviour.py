"""The party behaviour model: rooms, team branches, seats, and the contract kit."""

from __future__ import annotations

import datetime as dt

import numpy as np

from orgmodel import PluginHost, Structure
from orgmodel.simulate import SimulationSpec, simulate
from orgmodel.simulate.contract import check_behaviour_model
from orgmodel_behaviour.party import PartyBehaviour

START = dt.date(2024, 1, 1)


def _one_branch(size: int, *, room: int | None, team_branch: bool, secretary: bool = True) -> Structure:
    kinds = PluginHost().domain_pack("party")
    from orgmodel import KindTable

    units = [{"id": "area", "kind": "party.residential_area", "name": "鹤北一居民区"},
             {"id": "t1", "kind": "party.team", "name": "歌咏队", "parent": "area"},
             {"id": "b", "kind": "party.branch", "name": "鹤北一居民区党支部",
              "built_on": "t1" if team_branch else "area",
              **({"room_capacity": room} if room is not None else {})}]
    members = [{"id": f"m{i:03d}", "branch": "b", "retired": True, "birth_date": "1955-01-01"} for i in range(size)]
    roles = [{"unit": "b", "role": "secretary", "person": "m000", "since": "2023-01-01"}] if secretary else []
    return Structure.from_records(KindTable(kinds), units=units, members=members, roles=roles,
                                  participation=[(f"m{i:03d}", "t1") for i in range(0, size, 2)])


def _run(structures: dict, **params) -> object:
    spec = SimulationSpec(horizon_years=1, replications=3, executor="serial", params=params)
    return simulate(structures, spec, model=PartyBehaviour(), start=START)


def test_a_branch_too_big_for_its_room_cannot_meet_but_a_team_branch_can() -> None:
    result = _run({"room": _one_branch(329, room=80, team_branch=False),
                   "team": _one_branch(329, room=80, team_branch=True)})
    held_room = result.band("room", "life.meetings_held")[0]
    held_team = result.band("team", "life.meetings_held")[0]
    quarters = [3, 6, 9, 12]
    assert np.all(held_room[quarters] == 0)  # 鹤北一: no room for 329
    assert np.all(held_team[quarters] == 100)  # the team branch meets where its team meets
    assert result.band("team", "life.participation")[0][-1] > result.band("room", "life.participation")[0][-1]


def test_an_empty_seat_is_filled_and_a_committee_set_up() -> None:
    result = _run({"new": _one_branch(40, room=None, team_branch=False, secretary=False)})
    people = result.band("new", "backbone.people")[0]
    assert people[0] == 0
    assert people[-1] >= 4  # a committee of 5 for 40 full members (支部工作条例 ch. 6), seats filled within months


def test_the_party_model_passes_its_contract_on_every_baseline() -> None:
    check_behaviour_model(PartyBehaviour(), processes=False)
