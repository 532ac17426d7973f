"""industry-branch: 产业党支部 on an association, members keep their village relation (dual participation)."""

import pytest

from orgmodel import apply, KindTable, Structure, UserError, Scope
from orgmodel.testing import contract_baselines
from orgmodel_party.kinds import PARTY_PACK
from orgmodel_seed_strategies.industry_branch import IndustryBranch
from orgmodel_seed_strategies.testing import propose

K = KindTable(PARTY_PACK)


def melon(second_association=False):
    """罗龙镇: three villages grow 金竹瓜; the township set up a growers' association."""
    units = [
        {"id": "T", "kind": "party.township", "name": "罗龙镇"},
        {"id": "TC", "kind": "party.committee", "name": "罗龙镇党委", "built_on": ["T"]},
        {"id": "A", "kind": "party.association", "name": "金竹瓜产业协会", "parent": "T"},
    ]
    if second_association:
        units.append({"id": "A2", "kind": "party.association", "name": "茶叶协会", "parent": "T"})
    members, participation = [], []
    i = 0
    for v, vname, n in (("1", "石鼓村", 12), ("2", "罗龙村", 9), ("3", "两河村", 7)):
        units.append({"id": f"V{v}", "kind": "party.village", "name": vname, "parent": "T"})
        units.append({"id": f"VB{v}", "kind": "party.branch", "name": f"{vname}党支部", "parent": "TC", "built_on": [f"V{v}"]})
        units.append({"id": f"VB{v}g", "kind": "party.group", "name": f"{vname}第一党小组", "parent": f"VB{v}"})
        for k in range(n):
            mid = f"m{i:03d}"
            members.append({"id": mid, "branch": f"VB{v}", "group": f"VB{v}g" if k < 3 else None,
                            "home_host": f"V{v}", "occupation": "瓜农" if k % 3 == 0 else "务工"})
            if k % 2 == 0:
                participation.append((mid, "A"))
            i += 1
    return Structure.from_records(K, units=units, members=members, participation=participation)


def test_on_the_contract_baselines():
    # the team t0 stands in for an association: a unit is founded, nobody's relation moves
    plan = propose(IndustryBranch(), contract_baselines("party", only=("tiny",))["tiny"], {"association": "t0"})
    assert plan.operations
    assert not [op for op in plan.as_written() if op.op == "move_members"]


def test_melon_association_across_three_villages():
    s = melon()
    plan = propose(IndustryBranch(), s, {"association": "A", "member_column": "occupation", "member_value": "瓜农"})
    after = apply(s, plan)
    new = [u for u in after.unit_ids("party.industry_branch")]
    assert len(new) == 1
    unit = new[0]
    u = after.unit(unit)
    assert u.tags == ("industry",) and u.name == "金竹瓜产业协会党支部"
    assert after.built_on(unit) == ["A"]
    assert after.parent(unit) == "TC"
    growers = set(s.participants("A"))
    occupation = dict(zip(s.members.ids.tolist(), s.members.columns["occupation"].tolist()))
    growers |= {m for m, o in occupation.items() if o == "瓜农"}
    assert after.participants(unit) == sorted(growers)
    # spanning villages, nobody moved, group membership intact
    assert {after.branch_of(m) for m in growers} == {"VB1", "VB2", "VB3"}
    assert after.members["branch"].tolist() == s.members["branch"].tolist()
    assert after.members["group"].tolist() == s.members["group"].tolist()
    for b in ("VB1", "VB2", "VB3"):
        assert after.size(b) == s.size(b)
    # dual participation: the association membership is kept as well
    assert after.participants("A") == s.participants("A")
    # sized from participation only: it holds no relation
    assert after.size(unit) == 0 and after.participation_counts()[after.unit_code(unit)] == len(growers)
    text = plan.operations[0].reason.render("zh", plan.templates)
    assert "石鼓村、罗龙村、两河村" in text and "组织关系仍保留在原支部" in text


def test_default_association_and_participation_only():
    s = melon()
    after = apply(s, propose(IndustryBranch(), s, {}))
    unit = after.unit_ids("party.industry_branch")[0]
    assert after.participants(unit) == s.participants("A")


def test_column_only_without_participation():
    s = melon()
    after = apply(s, propose(IndustryBranch(), s, {
        "association": "A", "from_participation": False, "member_column": "occupation", "member_value": "瓜农"}))
    unit = after.unit_ids("party.industry_branch")[0]
    assert len(after.participants(unit)) == 4 + 3 + 3


def test_a_parent_outside_the_scope_is_refused():
    s = melon()
    with pytest.raises(UserError, match="params.parent: 'TC' is outside the step's scope"):
        propose(IndustryBranch(), s, {"association": "A"}, scope=Scope.of(s, ["VB1"]))
    after = apply(s, propose(IndustryBranch(), s, {"association": "A"}, scope=Scope.of(s, ["TC"])))
    assert after.unit_ids("party.industry_branch")


def test_two_associations_each_get_a_unit():
    s = melon(second_association=True)
    with pytest.raises(UserError, match="params.association: nobody takes part in 'A2'"):
        propose(IndustryBranch(), s, {"association": "A2"})
    after = apply(s, propose(IndustryBranch(), s, {}))  # A2 has no participants: skipped
    assert len(after.unit_ids("party.industry_branch")) == 1


@pytest.mark.parametrize("params, message", [
    ({"association": "nope"}, "params.association: unknown unit 'nope'"),
    ({"association": "VB1"}, "params.association: 'VB1' is not a host unit"),
    ({"association": "A", "member_column": "skill"}, "params.member_column: no member column 'skill'"),
    ({"association": "A", "parent": "VB1g"}, "params.parent: a party.industry_branch cannot sit under a party.group"),
    ({"association": "A", "members": ["ghost"]}, "params.members: unknown member 'ghost'"),
    ({"association": "A", "color": "red"}, "params.color"),
])
def test_bad_parameters(params, message):
    with pytest.raises(UserError) as err:
        propose(IndustryBranch(), melon(), params)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_several_associations_refuse_a_column():
    with pytest.raises(UserError, match="need one association"):
        propose(IndustryBranch(), melon(second_association=True), {"member_column": "occupation"})
