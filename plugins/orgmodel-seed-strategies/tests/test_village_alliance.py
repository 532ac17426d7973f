"""village-alliance: 村村联建 (pair strong with weak) and the seed-003 joint general branch."""

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
from orgmodel_party import BACKBONE_ROLES

from orgmodel import apply, KindTable, Role, Structure, UserError
from orgmodel.testing import contract_baselines
from orgmodel_party.kinds import PARTY_PACK
from orgmodel_seed_strategies.village_alliance import VillageAlliance
from orgmodel_seed_strategies.testing import propose

K = KindTable(PARTY_PACK)


def seed003(extra_units=(), adjacency=()):
    """李庄镇: 高桥村 strong (24 members, young), 安石村 and 双桥村 weak (old), and an enterprise on their land."""
    units = [
        {"id": "T", "kind": "party.township", "name": "李庄镇"},
        {"id": "TC", "kind": "party.committee", "name": "李庄镇党委", "built_on": ["T"]},
        {"id": "V1", "kind": "party.village", "name": "高桥村", "parent": "T"},
        {"id": "V2", "kind": "party.village", "name": "安石村", "parent": "T"},
        {"id": "V3", "kind": "party.village", "name": "双桥村", "parent": "T"},
        {"id": "E", "kind": "party.enterprise", "name": "临港化工", "parent": "T"},
        {"id": "VB1", "kind": "party.branch", "name": "高桥村党支部", "parent": "TC", "built_on": ["V1"]},
        {"id": "VB2", "kind": "party.branch", "name": "安石村党支部", "parent": "TC", "built_on": ["V2"]},
        {"id": "VB3", "kind": "party.branch", "name": "双桥村党支部", "parent": "TC", "built_on": ["V3"]},
        {"id": "EB", "kind": "party.branch", "name": "临港化工党支部", "parent": "TC", "built_on": ["E"]},
        *extra_units,
    ]
    members = []
    spec = [("VB1", "V1", 24, "1982-05-01"), ("VB2", "V2", 8, "1950-01-01"), ("VB3", "V3", 5, "1948-01-01"),
            ("EB", "E", 6, "1985-01-01")]
    i = 0
    for branch, home, n, born in spec:
        for k in range(n):
            members.append({
                "id": f"m{i:03d}", "branch": branch, "home_host": home, "birth_date": born,
                "status": "probationary" if k == n - 1 and n > 5 else "full",
                "backbone": k < (4 if branch == "VB1" else 1),
                "skill": "种植" if k % 2 == 0 else "建筑",
            })
            i += 1
    roles = [{"unit": b, "role": "secretary", "person": f"{b}-sec"} for b in ("VB1", "VB2", "VB3", "EB")]
    return Structure.from_records(K, units=units, members=members, roles=roles, adjacency=adjacency)


def run(s, params):
    plan = propose(VillageAlliance(), s, params)
    return plan, apply(s, plan)


# -- contract -----------------------------------------------------------------------------------


def test_contract_pair():
    base = contract_baselines("party", only=("village-of-2",))["village-of-2"]  # the baseline with villages
    links = [op for op in propose(VillageAlliance(), base, {"mode": "pair"}).operations if op.op == "link_alliance"]
    assert len(links) == 2


def test_contract_joint():
    base = contract_baselines("party", only=("village-of-2",))["village-of-2"]
    ops = propose(VillageAlliance(), base, {
        "mode": "joint", "functional_groups": [{"name": "产业发展", "per_village": 2}]}).counts()
    assert ops["create_unit"] == 2 and ops["link_alliance"] == 3


def test_refuses_without_villages():
    s = contract_baselines("party", only=("tiny",))["tiny"]
    with pytest.raises(UserError, match="at least 2 village organisations"):
        propose(VillageAlliance(), s, {})


# -- pair -----------------------------------------------------------------------------------------


def test_pair_strong_leads_weak_and_subordination_is_kept():
    s = seed003()
    plan, after = run(s, {"mode": "pair", "villages": ["V1", "V2", "V3"], "as_of": "2024-06-30"})
    assert after.allied_with("VB2") == ["VB1"]
    assert after.allied_with("VB3") == ["VB1"]
    assert after.allied_with("VB1") == []
    assert "alliance" in after.unit("VB1").tags
    for b in ("VB1", "VB2", "VB3"):
        assert after.parent(b) == "TC"
        assert after.size(b) == s.size(b)
    assert after.members["branch"].tolist() == s.members["branch"].tolist()
    assert not [op for op in plan.as_written() if op.op == "move_members"]
    text = [op.reason.render("zh", plan.templates) for op in plan.operations]
    assert any("高桥村党支部实力较强" in t and "60岁以下党员占100%" in t for t in text)
    assert any("安石村党支部较弱" in t and "与高桥村党支部" in t for t in text)


def test_pair_weights_decide_who_is_strong():
    # 双桥村 made young: with only the age component it becomes the strongest
    s = seed003()
    born = s.members.columns["birth_date"].copy()
    born[np.isin(s.members["branch"], [s.unit_code("VB3")])] = np.datetime64("1995-01-01")
    births = {mid: str(d) for mid, d in zip(s.members.ids.tolist(), born.tolist())}
    records = []
    for code, mid in enumerate(s.members.ids.tolist()):
        records.append({"id": mid, "branch": str(s.units.ids[s.members["branch"][code]]),
                        "home_host": str(s.units.ids[s.members["home_host"][code]]), "birth_date": births[mid]})
    units = [{"id": u, "kind": s.kind_of(u), "name": s.unit(u).name, "parent": s.parent(u),
              "built_on": s.built_on(u)} for u in s.unit_ids()]
    s2 = Structure.from_records(K, units=units, members=records)
    villages = ["V1", "V2", "V3"]
    _, by_full = run(s2, {"villages": villages, "as_of": "2024-06-30", "weights": {"full": 1, "backbone": 0, "young": 0}})
    assert by_full.allied_with("VB3") == ["VB1"]
    _, by_age = run(s2, {"villages": villages, "as_of": "2024-06-30", "weights": {"full": 0, "backbone": 0, "young": 1}})
    # VB1 and VB3 both 100% young: the tie goes by code, so VB1 leads and 安石村 (old) is the weak one
    assert by_age.allied_with("VB2") == ["VB1"]
    _, by_age2 = run(s2, {"villages": ["V2", "V3"], "as_of": "2024-06-30", "weights": {"full": 0, "backbone": 0, "young": 1}})
    assert by_age2.allied_with("VB2") == ["VB3"]  # 安石村 (8 members) follows the young 双桥村 (5)


def test_pair_prefers_an_adjacent_strong_village():
    extra = [
        {"id": "V4", "kind": "party.village", "name": "新村", "parent": "T"},
        {"id": "VB4", "kind": "party.branch", "name": "新村党支部", "parent": "TC", "built_on": ["V4"]},
    ]
    s = seed003(extra_units=extra, adjacency=[("V3", "V4")])
    # 4 villages, 2 strong (高桥村, 安石村), 2 weak (双桥村, the empty 新村); no strong one is adjacent:
    # the weakest goes to the strongest, the next to the less loaded one
    _, after = run(s, {"villages": ["V1", "V2", "V3", "V4"], "strong": 2, "weights": {"young": 0}})
    assert after.allied_with("VB4") == ["VB1"]
    assert after.allied_with("VB3") == ["VB2"]
    s_adj = seed003(extra_units=extra, adjacency=[("V4", "V2")])
    _, after_adj = run(s_adj, {"villages": ["V1", "V2", "V3", "V4"], "strong": 2, "weights": {"young": 0}})
    assert after_adj.allied_with("VB4") == ["VB2"]  # weakest village, next to 安石村: paired with it
    assert after_adj.allied_with("VB3") == ["VB1"]  # the other goes to the less loaded strong village


def test_pair_without_as_of_leaves_age_out():
    plan, _ = run(seed003(), {"villages": ["V1", "V2", "V3"]})
    texts = [op.reason.render("zh", plan.templates) for op in plan.operations]
    assert all("年龄未计入得分" in t for t in texts)


# -- joint (the seed case) --------------------------------------------------------------------------


def test_joint_general_branch_over_three_villages_and_the_enterprise():
    s = seed003()
    plan, after = run(s, {
        "mode": "joint", "villages": ["V1", "V2", "V3"], "enterprise": "E", "secretary": "township:张书记",
        "functional_groups": [
            {"name": "产业发展", "column": "skill", "value": "种植"},
            {"name": "征地协调", "per_village": 2},
        ],
    })
    joint = [u for u in after.unit_ids("party.general_branch") if "alliance" in after.unit(u).tags]
    assert len(joint) == 1
    j = joint[0]
    assert after.parent(j) == "TC"  # under the township committee
    assert after.unit(j).name == "高桥村、安石村、双桥村及临港化工联合党总支"
    assert sorted(after.built_on(j)) == ["E", "V1", "V2", "V3"]
    assert after.allies(j) == ["VB1", "VB2", "VB3", "EB"]
    for b in ("VB1", "VB2", "VB3", "EB"):
        assert after.parent(b) == "TC"  # subordination unchanged, not attached under the joint branch
        assert after.children(b) == []
    assert after.children(j) and all(after.kind_of(c) == "party.functional_group" for c in after.children(j))
    assert after.members["branch"].tolist() == s.members["branch"].tolist()  # nobody moved
    roles = after.roles_in(j)
    assert [(r.role, r.person) for r in roles] == [("secretary", "township:张书记")]
    assert "township:张书记" not in s.members.ids.tolist()
    groups = {after.unit(c).name: c for c in after.children(j)}
    growers = after.participants(groups["产业发展功能党小组"])
    skill = s.members.columns["skill"]
    assert growers == [m for m, k in zip(s.members.ids.tolist(), skill.tolist()) if k == "种植"]
    land = after.participant_codes(groups["征地协调功能党小组"])
    per_branch = np.bincount(s.members["branch"][land], minlength=s.n_units)
    assert sorted(per_branch[per_branch > 0].tolist()) == [2, 2, 2, 2]  # 2 from each of the 4 organisations
    # the joint branch is sized from its allies and participation, not from relations
    assert after.size(j, subtree=True) == 0
    assert sum(after.size(a, subtree=True) for a in after.allies(j)) == 43


def test_joint_default_parent_is_the_township_committee_and_default_secretary():
    s = seed003()
    plan, after = run(s, {"mode": "joint"})
    j = [u for u in after.unit_ids("party.general_branch")][0]
    assert after.parent(j) == "TC"
    assert after.allies(j) == ["VB1", "VB2", "VB3"]
    assert after.roles_in(j)[0].person == "township:secretary"


# -- parameters -----------------------------------------------------------------------------------


@pytest.mark.parametrize("params, message", [
    ({"mode": "pair", "enterprise": "E"}, "params.enterprise is only used with mode 'joint'"),
    ({"mode": "joint", "strong": 1}, "params.strong is only used with mode 'pair'"),
    ({"villages": ["V1", "nope"]}, "params.villages: unknown unit 'nope'"),
    ({"villages": ["V1"]}, "params.villages: an alliance needs at least 2"),
    ({"villages": ["V1", "E"]}, "params.villages: 'E' is a party.enterprise"),
    ({"villages": ["V1", "V2"], "strong": 2}, "params.strong: 2 strong villages leave no weak one"),
    ({"mode": "joint", "coordinator_parent": "VB1"}, "params.coordinator_parent: a party.general_branch cannot sit under a party.branch"),
    ({"mode": "joint", "enterprise": "VB1"}, "params.enterprise: 'VB1' is not a host unit"),
    ({"mode": "joint", "functional_groups": [{"name": "x", "column": "nope"}]}, "params.functional_groups.0.column: no member column 'nope'"),
    ({"mode": "joint", "functional_groups": [{"name": "x", "column": "skill", "value": "飞行"}]}, "selects no member"),
    ({"mode": "joint", "functional_groups": [{"name": "x"}]}, "params.functional_groups.0: Value error, a functional group needs"),
    ({"weights": {"full": -1}}, "params.weights.full"),
    ({"mode": "triple"}, "params.mode"),
])
def test_bad_parameters(params, message):
    with pytest.raises(UserError) as err:
        propose(VillageAlliance(), seed003(), params)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_strength_counts_each_subtree_as_the_structure_does():
    """Members, full members and backbone people (roles in the subtree held by members or people
    outside the roster, and flagged members, each once) per village organisation, as the
    structure's per-unit queries give them; a general branch over a village branch counts both."""
    s = seed003(extra_units=[
        {"id": "GB", "kind": "party.general_branch", "name": "联合党总支", "parent": "TC", "built_on": ["V1"]},
        {"id": "VB1g", "kind": "party.group", "name": "高桥村第一党小组", "parent": "VB1"},
    ])
    parent = s.units.parent.copy()
    parent[s.unit_code("VB1")] = s.unit_code("GB")
    extra = [Role("VB1g", "group_leader", "m001"), Role("GB", "secretary", "township:sec"),
             Role("VB2", "committee_member", "m030")]
    s = s.replace(units=dataclasses.replace(s.units, parent=parent), roles=[*s.roles, *extra])
    orgs = ["GB", "VB1", "VB2", "VB3"]
    ctx = SimpleNamespace(structure=s, as_of=None)
    rows, _ = VillageAlliance()._strength(ctx, VillageAlliance.Params(as_of="2024-06-30"), orgs)
    flagged = s.column("backbone")
    for org, row in zip(orgs, rows, strict=True):
        codes = s.member_codes_of(org, subtree=True)
        units = {org, *s.descendants(org)}
        people = {r.person for r in s.roles if r.unit in units and r.role in BACKBONE_ROLES}
        people |= set(s.members.ids[codes[flagged[codes]]].tolist())
        assert (row["n"], row["full"], row["backbone"]) == (len(codes), int(s.full_mask[codes].sum()), len(people))
    assert rows[0]["n"] == rows[1]["n"] == 24 and rows[0]["backbone"] == rows[1]["backbone"] + 1
