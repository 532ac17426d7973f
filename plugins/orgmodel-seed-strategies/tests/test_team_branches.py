"""team-branches (团队党建, seed 004): the contract kit, the two patterns of the seed (汽三, 瑞丽),
the 329-member branch, and the strategy's own promises on purpose-built structures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from orgmodel import apply, build_baseline, KindTable, load_scenario, Structure, UserError, Scope, Locks
from orgmodel.testing import contract_baselines
from orgmodel_party.kinds import PARTY_PACK
from orgmodel_seed_strategies.registry import strategies
from orgmodel_seed_strategies.team_branches import TeamBranches
from orgmodel_seed_strategies.testing import propose

QISAN = Path(__file__).resolve().parents[3] / "scenarios" / "qisan" / "scenario.yaml"
STRATEGY = TeamBranches()


# -- helpers ------------------------------------------------------------------------------------


def _propose_apply(s: Structure, params: dict | None = None):
    plan = propose(STRATEGY, s, params or {})
    return plan, apply(s, plan, variant="v", step=0)


def _new_branches(before: Structure, after: Structure) -> list[str]:
    return [u for u in after.unit_ids("party.branch") if not before.has_unit(u)]


def _backbone(s: Structure) -> np.ndarray:
    bb = np.asarray(s.column("backbone"), dtype=bool).copy() if "backbone" in s.members.columns else np.zeros(s.n_members, bool)
    for r in s.roles:
        if r.role in ("secretary", "committee_member", "group_leader") and r.person in s.members.ids:
            bb[s.member_code(r.person)] = True
    return bb


def _everyone_placed_once(before: Structure, after: Structure) -> None:
    active = after.members["active"]
    branch = after.members["branch"]
    live_branch = after.kinds.is_branch[after.units.kind[branch]] & ~after.units.dissolved[branch]
    assert (live_branch | ~active).all()
    assert int(after.is_unplaced().sum()) == int(before.is_unplaced().sum())
    total = sum(after.size(u) for u in after.unit_ids("party.branch"))
    assert total == int(active.sum())


def _reason_codes_of(plan, member: str) -> list[str]:
    return [op.reason.code for op in plan.as_written() if op.op == "move_members" and member in op.members]


def _ruili(*, sports_full: bool = False, immobile_patrol: bool = True) -> Structure:
    """瑞丽: one concentrated patrol team, small scattered culture and sports teams, many members in
    no team. 70 members R001..R070 in one residential branch with two building groups."""
    units = [
        {"id": "wc", "kind": "party.working_committee", "name": "某路社区党工委"},
        {"id": "moulu", "kind": "party.community", "name": "某路社区"},
        {"id": "ruili", "kind": "party.residential_area", "name": "瑞丽居民区", "parent": "moulu"},
        {"id": "ruili-branch", "kind": "party.branch", "name": "瑞丽居民区党支部", "parent": "wc", "built_on": "ruili"},
        {"id": "ruili-g1", "kind": "party.group", "name": "瑞丽居民区第一党小组", "parent": "ruili-branch"},
        {"id": "ruili-g2", "kind": "party.group", "name": "瑞丽居民区第二党小组", "parent": "ruili-branch"},
        {"id": "b1", "kind": "party.building", "name": "1号楼", "parent": "ruili"},
        {"id": "b2", "kind": "party.building", "name": "2号楼", "parent": "ruili"},
        {"id": "patrol", "kind": "party.team", "name": "巡逻队", "parent": "ruili", "tags": "team:service"},
        {"id": "dance", "kind": "party.team", "name": "舞蹈队", "parent": "ruili", "tags": "team:culture"},
        {"id": "choir", "kind": "party.team", "name": "合唱队", "parent": "ruili", "tags": "team:culture"},
        {"id": "paint", "kind": "party.team", "name": "书画队", "parent": "ruili", "tags": "team:culture"},
        {"id": "taiji", "kind": "party.team", "name": "太极队", "parent": "ruili", "tags": "team:sports"},
        {"id": "pingpong", "kind": "party.team", "name": "乒乓队", "parent": "ruili", "tags": "team:sports"},
    ]
    ids = [f"R{i:03d}" for i in range(1, 71)]
    probationary = set() if sports_full else {"R031", "R032"}
    immobile = {"R066", "R067", "R068", "R069", "R070"} | ({"R024"} if immobile_patrol else set())
    members = []
    for i, m in enumerate(ids, start=1):
        members.append({
            "id": m, "branch": "ruili-branch", "group": "ruili-g1" if i <= 35 else "ruili-g2",
            "status": "probationary" if m in probationary else "full",
            "mobility_limited": m in immobile, "backbone": m == "R025",
            "home_host": "b1" if i <= 35 else "b2",
        })
    part = [(m, "patrol") for m in ids[:24]] + [("R010", "choir")]
    part += [("R025", "dance"), ("R026", "dance"), ("R027", "choir"), ("R028", "paint"), ("R029", "paint")]
    part += [("R030", "taiji"), ("R031", "pingpong"), ("R032", "pingpong")]
    roles = [
        {"unit": "ruili-branch", "role": "secretary", "person": "R001"},
        {"unit": "ruili-branch", "role": "committee_member", "person": "R002"},
        {"unit": "ruili-branch", "role": "committee_member", "person": "R003"},
        {"unit": "ruili-g1", "role": "group_leader", "person": "R034"},
        {"unit": "ruili-g2", "role": "group_leader", "person": "R050"},
    ]
    return Structure.from_records(KindTable(PARTY_PACK), units=units, members=members, participation=part, roles=roles)


def _one_branch(teams: dict[str, list[int]], n: int, *, roles=(), probationary=(), kinds=None, parent_kind="party.working_committee") -> Structure:
    """A residential branch of ``n`` members M001.. with the given teams (team id -> member numbers)."""
    units = [
        {"id": "top", "kind": parent_kind, "name": "上级"},
        {"id": "area", "kind": "party.residential_area", "name": "某居民区"},
        {"id": "br", "kind": "party.branch", "name": "某居民区党支部", "parent": "top", "built_on": "area"},
    ]
    for t in teams:
        units.append({"id": t, "kind": "party.team", "name": f"{t}队", "parent": "area",
                      "tags": (kinds or {}).get(t, "team:culture")})
    ids = [f"M{i:03d}" for i in range(1, n + 1)]
    members = [{"id": m, "branch": "br", "status": "probationary" if i in probationary else "full",
                "home_host": "area"} for i, m in enumerate(ids, start=1)]
    part = [(ids[i - 1], t) for t, nums in teams.items() for i in nums]
    return Structure.from_records(KindTable(PARTY_PACK), units=units, members=members, participation=part, roles=list(roles))


# -- the contract -------------------------------------------------------------------------------


def test_registered() -> None:
    assert "team-branches" in [s.name for s in strategies()]


@pytest.mark.parametrize("params", [
    {},
    {"comprehensive": "spread", "old_groups": "reattach", "upgrade_to": "by_size", "joint_by": "all"},
    {"threshold": 20, "max_branch": 20, "group_size": 5, "min_team_members": 1, "propose_roles": False},
])
def test_on_the_contract_baselines(params: dict) -> None:
    bases = contract_baselines("party", only=("tiny", "branch-of-329"))
    assert propose(TeamBranches(), bases["branch-of-329"], params).operations  # the oversized branch is acted on
    assert not propose(TeamBranches(), bases["tiny"], params).operations  # small branches are left alone


# -- 汽三 (scenarios/qisan) ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def qisan() -> Structure:
    return build_baseline(load_scenario(QISAN))


def test_qisan_spread_gives_four_team_branches(qisan: Structure) -> None:
    plan, after = _propose_apply(qisan, {"comprehensive": "spread"})
    assert after.kind_of("qisan-branch") == "party.general_branch"
    assert after.unit("qisan-branch").name == "汽三居民区党总支"
    assert after.parent("qisan-branch") == "moulu-wc"
    new = _new_branches(qisan, after)
    assert len(new) == 4
    teams = sorted(after.built_on(u)[0] for u in new)
    assert teams == sorted(["qisan-yishituan", "qisan-geyongdui", "qisan-xiqudui", "qisan-gucaodui"])
    for u in new:
        assert after.parent(u) == "qisan-branch"
        assert after.unit(u).tags == ("team",)
        assert len(after.built_on(u)) == 1
    assert not any("comprehensive" in after.unit(u).tags for u in after.unit_ids("party.branch"))
    _everyone_placed_once(qisan, after)
    assert after.size("qisan-branch") == 0 and after.size("qisan-branch", subtree=True) == 150
    sizes = [after.size(u) for u in new]
    assert max(sizes) <= 50 and max(sizes) - min(sizes) <= 3  # balanced
    bb = _backbone(qisan)
    assert all(int(bb[after.member_codes_of(u)].sum()) >= 1 for u in new)
    # the old building groups are gone (a group cannot sit under a general branch)
    assert not [g for g in after.unit_ids("party.group") if g.startswith("qisan-g")]
    # every immobile member is placed, in a branch of their team or with neighbours
    immobile = np.flatnonzero(qisan.column("mobility_limited"))
    assert all(after.branch_of(qisan.members.ids[m]) in new for m in immobile)
    # the general branch keeps the old committee
    assert ("secretary", "QS075") in [(r.role, r.person) for r in after.roles_in("qisan-branch")]


def test_qisan_roles_follow_the_committee_rule(qisan: Structure) -> None:
    plan, after = _propose_apply(qisan, {})
    bb = _backbone(qisan)
    for u in _new_branches(qisan, after):
        full = after.size(u, full_only=True)
        roles = after.roles_in(u)
        secretaries = [r.person for r in roles if r.role == "secretary"]
        members = [r.person for r in roles if r.role == "committee_member"]
        assert len(secretaries) == 1
        assert secretaries[0] in after.member_ids_of(u)
        if full >= 7:
            assert 3 <= len(secretaries) + len(members) <= 5
        else:
            assert members == []
        if bb[after.member_codes_of(u)].any():  # backbone first
            assert bb[after.member_code(secretaries[0])]
    reasons = [op.reason.render("zh", plan.templates) for op in plan.operations if op.op == "set_role"]
    assert any("骨干党员优先" in r for r in reasons)


def test_qisan_branch_mode_adds_a_comprehensive_branch_with_backbone(qisan: Structure) -> None:
    plan, after = _propose_apply(qisan, {"comprehensive": "branch"})
    new = _new_branches(qisan, after)
    comp = [u for u in new if "comprehensive" in after.unit(u).tags]
    assert len(comp) == 1 and len(new) == 5
    assert after.built_on(comp[0]) == ["qisan"]
    immobile = qisan.members.ids[np.flatnonzero(qisan.column("mobility_limited"))]
    assert {after.branch_of(m) for m in immobile} == {comp[0]}
    no_team = [m for m in qisan.members.ids if not qisan.teams_of(m)]
    assert {after.branch_of(m) for m in no_team} == {comp[0]}
    # the manual variant leaves the comprehensive branch without backbone; we move one in
    assert _backbone(qisan)[after.member_codes_of(comp[0])].sum() >= 1
    assert any(op.reason.code == "move_backbone_balance" and op.to == "new:" + comp[0].split("/")[-1]
               for op in plan.as_written() if op.op == "move_members")
    assert max(after.size(u) for u in new) <= 50


def test_qisan_by_size_makes_a_base_committee(qisan: Structure) -> None:
    _, after = _propose_apply(qisan, {"upgrade_to": "by_size"})
    assert after.kind_of("qisan-branch") == "party.committee"
    assert after.unit("qisan-branch").name == "汽三居民区党委"


def test_qisan_team_groups_when_large(qisan: Structure) -> None:
    _, after = _propose_apply(qisan, {"comprehensive": "spread", "group_size": 15})
    for u in _new_branches(qisan, after):
        groups = after.children(u)
        assert len(groups) == -(-after.size(u) // 15)
        assert sum(after.size(g) for g in groups) == after.size(u)
        assert all(len([r for r in after.roles_in(g) if r.role == "group_leader"]) == 1 for g in groups)
    _, after = _propose_apply(qisan, {"comprehensive": "spread", "group_size": None})
    assert all(after.children(u) == [] for u in _new_branches(qisan, after))


def test_qisan_reattach_keeps_building_groups_in_the_comprehensive_branch(qisan: Structure) -> None:
    plan, after = _propose_apply(qisan, {"old_groups": "reattach", "group_size": None})
    comp = [u for u in _new_branches(qisan, after) if "comprehensive" in after.unit(u).tags][0]
    moved = [g for g in ("qisan-g1", "qisan-g2", "qisan-g3", "qisan-g4", "qisan-g5", "qisan-g6")
             if not after.unit(g).dissolved]
    assert moved and all(after.parent(g) == comp for g in moved)
    for g in moved:
        assert set(after.member_ids_of(g)) <= set(after.member_ids_of(comp))
        assert [r.role for r in after.roles_in(g)] == ["group_leader"]
        assert after.roles_in(g)[0].person in after.member_ids_of(g)


# -- 瑞丽 ------------------------------------------------------------------------------------------


def test_ruili_patrol_joint_and_comprehensive() -> None:
    s = _ruili()
    plan, after = _propose_apply(s, {})
    assert after.kind_of("ruili-branch") == "party.general_branch"
    assert after.unit("ruili-branch").name == "瑞丽居民区党总支"
    new = _new_branches(s, after)
    by_tag = {u: after.unit(u).tags for u in new}
    patrol = [u for u in new if after.built_on(u) == ["patrol"]]
    joint = [u for u in new if len(after.built_on(u)) > 1]
    comp = [u for u in new if "comprehensive" in by_tag[u]]
    assert len(new) == 3 and len(patrol) == len(joint) == len(comp) == 1
    assert by_tag[patrol[0]] == ("team",) and by_tag[joint[0]] == ("team",)
    # the sports teams are too weak alone (2 full members): folded into one culture-sports joint branch
    assert sorted(after.built_on(joint[0])) == ["choir", "dance", "paint", "pingpong", "taiji"]
    assert after.unit(joint[0]).name == "瑞丽居民区文体团队联合党支部"
    assert after.size(joint[0]) == 8
    assert after.branch_of("R010") == patrol[0]  # in the patrol and a small team: the patrol branch
    assert after.branch_of("R024") == comp[0]  # immobile patrol member: comprehensive branch
    assert after.size(comp[0]) == 38 + 1
    _everyone_placed_once(s, after)
    for u in new:  # no branch below min_branch_full
        assert after.size(u, full_only=True) >= 3
    # roles: the joint branch (6 full) gets a secretary only, the others a committee
    joint_roles = sorted(r.role for r in after.roles_in(joint[0]))
    assert joint_roles == ["secretary"]
    assert [r.person for r in after.roles_in(joint[0])] == ["R025"]  # the backbone member
    assert len(after.roles_in(patrol[0])) == 3 and len(after.roles_in(comp[0])) == 5
    zh = [op.reason.render("zh", plan.templates) for op in plan.as_written()]
    assert any("联合建立瑞丽居民区文体团队联合党支部" in r for r in zh)
    assert any("卧床或行动不便" in r for r in zh)


def test_ruili_joint_by_all_gives_the_same_pattern() -> None:
    s = _ruili(sports_full=True)
    _, after = _propose_apply(s, {"joint_by": "all"})
    joint = [u for u in _new_branches(s, after) if len(after.built_on(u)) > 1]
    assert len(joint) == 1 and len(after.built_on(joint[0])) == 5


def test_ruili_joint_branches_by_kind_and_min_joint_members() -> None:
    s = _ruili(sports_full=True)  # culture 5 members, sports 3: both can found a branch

    def joints(params: dict) -> list[tuple[list[str], str]]:
        _, after = _propose_apply(s, params)
        return sorted((sorted(after.built_on(u)), after.unit(u).name) for u in _new_branches(s, after)
                      if "team" in after.unit(u).tags and after.built_on(u) != ["patrol"])

    assert joints({"joint_by": "team_kind", "min_joint_members": 3}) == [
        (["choir", "dance", "paint"], "瑞丽居民区文艺团队联合党支部"),
        (["pingpong", "taiji"], "瑞丽居民区体育团队联合党支部"),
    ]
    # by default (min_joint_members 7) the two small joint branches become one, as in 瑞丽
    assert joints({"joint_by": "team_kind"}) == [
        (["choir", "dance", "paint", "pingpong", "taiji"], "瑞丽居民区文体团队联合党支部"),
    ]


def test_ruili_spread_leaves_no_comprehensive_branch() -> None:
    s = _ruili()
    plan, after = _propose_apply(s, {"comprehensive": "spread"})
    new = _new_branches(s, after)
    assert len(new) == 2
    assert not any("comprehensive" in after.unit(u).tags for u in new)
    sizes = sorted(after.size(u) for u in new)
    assert sizes == [35, 35]
    _everyone_placed_once(s, after)
    assert {op.reason.code for op in plan.as_written() if op.op == "move_members"} >= {"move_spread", "move_spread_immobile"}


# -- the strategy's own promises -----------------------------------------------------------------


def test_multi_team_member_goes_where_the_structure_is_served() -> None:
    # team a: 10 members with 2 backbone; team b: 20 members, none; M031 (plain) and M032
    # (backbone) take part in both; the rest are in no team
    roles = [{"unit": "br", "role": "committee_member", "person": "M001"},
             {"unit": "br", "role": "committee_member", "person": "M002"},
             {"unit": "br", "role": "secretary", "person": "M032"}]
    s = _one_branch({"a": list(range(1, 11)) + [31, 32], "b": list(range(11, 31)) + [31, 32]}, 60, roles=roles)
    plan, after = _propose_apply(s, {"balance_backbone": False})
    a = next(u for u in _new_branches(s, after) if after.built_on(u) == ["a"])
    b = next(u for u in _new_branches(s, after) if after.built_on(u) == ["b"])
    assert after.branch_of("M031") == a  # fewer members
    assert after.branch_of("M032") == b  # no backbone yet, although larger
    assert _reason_codes_of(plan, "M031") == ["move_multi_fewest"]
    assert _reason_codes_of(plan, "M032") == ["move_multi_backbone"]


def test_oversized_team_branch_is_split_on_the_same_team() -> None:
    s = _one_branch({"big": list(range(1, 81))}, 100)
    plan, after = _propose_apply(s, {"group_size": None})
    parts = [u for u in _new_branches(s, after) if after.built_on(u) == ["big"]]
    assert len(parts) == 2
    assert sorted(after.size(u) for u in parts) == [40, 40]
    assert sorted(after.unit(u).name for u in parts) == ["big队第一党支部", "big队第二党支部"]
    assert max(after.size(u) for u in after.unit_ids("party.branch")) <= 50
    assert [op.reason.code for op in plan.operations if op.op == "create_unit"].count("split_part") == 2


def test_team_without_enough_full_members_gets_no_branch() -> None:
    # team c has 4 members taking part but only 2 full: no branch of its own
    s = _one_branch({"a": list(range(1, 21)), "c": [21, 22, 23, 24]}, 60, probationary={23, 24})
    _, after = _propose_apply(s, {})
    new = _new_branches(s, after)
    assert not any(after.built_on(u) == ["c"] for u in new)
    assert after.branch_of("M021") == after.branch_of("M023")
    for u in new:
        assert after.size(u, full_only=True) >= 3
    _everyone_placed_once(s, after)


def test_small_branches_and_branches_without_teams_are_left_alone() -> None:
    s = _one_branch({"a": list(range(1, 11))}, 50)  # exactly 50: compliant, not upgraded
    assert propose(STRATEGY, s, {}).operations == []
    s = _one_branch({}, 45)
    assert propose(STRATEGY, s, {"threshold": 40}).operations == []  # nothing to build, no split needed


def test_no_team_at_all_still_splits_an_oversized_branch() -> None:
    s = _one_branch({}, 120)
    plan, after = _propose_apply(s, {})
    new = _new_branches(s, after)
    assert len(new) == 3 and all("comprehensive" in after.unit(u).tags for u in new)
    assert max(after.size(u) for u in new) <= 50
    assert plan.operations[1].reason.code == "split_part"


def test_branch_of_329_no_branch_over_50_nobody_unplaced() -> None:
    s = contract_baselines("party", only=("branch-of-329",))["branch-of-329"]
    plan, after = _propose_apply(s, {})
    sizes = [after.size(u) for u in after.unit_ids("party.branch")]
    assert max(sizes) <= 50
    _everyone_placed_once(s, after)
    # b0 sits under a general branch already: new branches beside it, the old branch dissolved
    assert after.unit("b0").dissolved
    new = _new_branches(s, after)
    assert all(after.parent(u) == "gb0" for u in new)
    assert plan.as_written()[-1].op == "move_members"
    dissolve = [op for op in plan.operations if op.op == "dissolve" and op.unit == "b0"]
    assert dissolve and "超过50人" in dissolve[0].reason.render("zh", plan.templates)
    assert all(after.size(u, full_only=True) >= 3 for u in new)


def test_scope() -> None:
    s = contract_baselines("party", only=("branch-of-329",))["branch-of-329"]
    assert propose(STRATEGY, s, scope=Scope.of(s, ["b1"])).operations == []  # 40 members
    for scope in (["gb0"], ["h0"], ["top"]):
        assert propose(STRATEGY, s, scope=Scope.of(s, scope)).operations
    assert propose(STRATEGY, s, scope=Scope.of(s, ["t0"])).operations == []  # no branch built on a team
    # b0 sits under a general branch: its new branches go beside it, under gb0, outside this scope
    assert propose(STRATEGY, s, scope=Scope.of(s, ["b0"])).operations == []


@pytest.mark.parametrize("locked", ["b0", "b0g", "gb0"])
def test_locks_are_never_touched(locked: str) -> None:
    s = contract_baselines("party", only=("branch-of-329",))["branch-of-329"]
    plan = propose(STRATEGY, s, locks=Locks.of(s, [locked]))
    assert plan.operations == []  # the branch, a group under it, or the parent its new branches go under


@pytest.mark.parametrize(("params", "needle"), [
    ({"threshold": 0}, "params.threshold"),
    ({"min_branch_full": 60}, "params.min_branch_full: Value error, min_branch_full (60) must not exceed max_branch (50)"),
    ({"group_size": 50}, "params.group_size"),
    ({"joint_by": "area"}, "params.joint_by"),
    ({"comprehensive": "none"}, "params.comprehensive"),
])
def test_bad_parameters(params: dict, needle: str) -> None:
    s = contract_baselines("party", only=("branch-of-329",))["branch-of-329"]
    with pytest.raises(UserError) as err:
        propose(STRATEGY, s, params)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_docs_list_every_parameter() -> None:
    import re

    doc = (Path(__file__).resolve().parents[1] / "docs" / "team-branches.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", doc, re.M))
    assert documented == set(TeamBranches.Params.model_fields)
