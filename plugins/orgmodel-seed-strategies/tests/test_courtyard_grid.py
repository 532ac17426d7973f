"""courtyard-grid: committee in the community, branch in the courtyard, group in the building."""

import numpy as np
import pytest

from orgmodel import apply, KindTable, PlanBuilder, Structure, UserError
from orgmodel.testing import contract_baselines
from orgmodel_seed_strategies import examples
from orgmodel_party.kinds import PARTY_PACK
from orgmodel_seed_strategies.courtyard_grid import CourtyardGrid
from orgmodel_seed_strategies.testing import offices, propose

K = KindTable(PARTY_PACK)

# members per building: courtyard 1 (3 buildings), courtyard 2 (3 buildings), courtyard 3 small (2 buildings)
LAYOUT = examples.COURTYARD_LAYOUT


def hebei(n_extra_no_home=4, parent_kind="party.working_committee", grids=False):
    return examples.courtyards(K, n_extra_no_home=n_extra_no_home, parent_kind=parent_kind, grids=grids)


def run(s, params):
    plan = propose(CourtyardGrid(), s, params)
    return plan, apply(s, plan)


def new_branches(after):
    return [u for u in after.unit_ids("party.branch") if "/" in u]


def test_contract_refuses_without_courtyards():
    s = contract_baselines("party", only=("branch-of-329",))["branch-of-329"]
    with pytest.raises(UserError, match=r"params.by: no member of 'b0' lives in a party.courtyard"):
        propose(CourtyardGrid(), s, {})
    s = contract_baselines("party", only=("tiny",))["tiny"]
    with pytest.raises(UserError, match="params.unit: no branch in scope has more than 50 members"):
        propose(CourtyardGrid(), s, {})


def test_branch_in_the_courtyard_group_in_the_building():
    s = hebei()
    plan, after = run(s, {"unit": "B", "over": 60})  # 1号院 (52 + 2 following their group) stays whole
    # upgraded in place: 103 members (over 100), so a base committee
    assert after.kind_of("B") == "party.committee" and after.unit("B").name == "鹤北一党委"
    assert after.parent("B") == "wc"
    branches = new_branches(after)
    assert [after.unit(b).name for b in branches] == ["1号院党支部", "2、3号院联合党支部"]
    assert all(after.parent(b) == "B" and "courtyard" in after.unit(b).tags for b in branches)
    assert after.built_on(branches[1]) == ["c1", "c2"]  # 3号院 has 2 full members: joined with 2号院
    assert after.children("B") == branches  # the old groups are gone
    for g in ("Bg1", "Bg2"):
        assert after.unit(g).dissolved
    # every active member is in exactly one of the new branches; nobody is lost
    active = s.members["active"]
    assert sum(after.size(b) for b in branches) == int(active.sum()) == 103
    # placement by home: each member of a building group lives in one of its buildings
    home = after.members["home_host"]
    for b in branches:
        for g in after.children(b):
            assert after.kind_of(g) == "party.group"
            built = set(after.unit_codes(after.built_on(g)).tolist())
            assert set(home[after.member_codes_of(g)].tolist()) <= built
    court_of = {f"c{c}b{b}": f"c{c}" for c, sizes in LAYOUT.items() for b in range(len(sizes))}
    for code in np.flatnonzero(active).tolist():
        mid = str(s.members.ids[code])
        h = s.members["home_host"][code]
        if h >= 0:
            court = court_of.get(str(s.units.ids[h]), str(s.units.ids[h]))
            assert court in after.built_on(after.branch_of(mid))
    # 1号院3栋 (2 members) shares a group with its neighbour 1号院2栋
    names = [after.unit(g).name for g in after.children(branches[0])]
    assert names == ["1号院1栋党小组", "1号院2、3栋党小组"]
    # members with no home follow their old group, then fill the smallest branch; the reasons say so
    text = [op.reason.render("zh", plan.templates) for op in plan.as_written()]
    assert any("2名党员无本片区居住信息，随原党小组多数成员编入" in t for t in text)
    assert any("2名党员无本片区居住信息且无原党小组可依" in t for t in text)
    assert any("行动不便" in t for t in text)
    assert after.branch_of("x1") == "B" and not after.members["active"][after.member_code("x1")]


def test_retype_to_general_branch_and_auto_threshold():
    s = hebei()
    _, after = run(s, {"unit": "B", "retype_to": "general_branch"})
    assert after.kind_of("B") == "party.general_branch" and after.unit("B").name == "鹤北一党总支"
    small = hebei(n_extra_no_home=1)
    assert small.size("B") == 100
    _, after = run(small, {"unit": "B"})
    assert after.kind_of("B") == "party.general_branch"


def test_under_a_general_branch_the_branch_is_dissolved_instead():
    s = hebei(parent_kind="party.general_branch")
    plan, after = run(s, {})
    assert after.unit("B").dissolved
    branches = new_branches(after)
    assert all(after.parent(b) == "wc" for b in branches)
    assert sum(after.size(b) for b in branches) == 103
    with pytest.raises(UserError, match="params.retype_to: a party.general_branch cannot sit under 'wc'"):
        propose(CourtyardGrid(), s, {"retype_to": "general_branch"})


def test_grids_generated_by_members():
    s = hebei()
    plan, after = run(s, {"unit": "B", "by": "grid", "grid_members": 40})
    grids = [g for g in after.unit_ids("party.grid")]
    assert len(grids) >= 3
    assert all(after.parent(g) == "ra" for g in grids)
    # every courtyard or building of the area is part of exactly one grid now
    for c, sizes in LAYOUT.items():
        court_parent = after.parent(f"c{c}")
        if court_parent != "ra":
            assert court_parent in grids
        else:
            assert all(after.parent(f"c{c}b{b}") in grids for b in range(len(sizes)))
    branches = new_branches(after)
    for b in branches:
        assert all(after.kind_of(h) == "party.grid" for h in after.built_on(b))
        assert "courtyard" not in after.unit(b).tags
    sizes = [after.size(b) for b in branches]
    assert sum(sizes) == 103
    assert max(sizes) <= 40 + 4  # packed at 40 by home; at most the 4 members without home added


def test_grids_generated_by_households():
    s = hebei()
    b = PlanBuilder(s, strategy="setup")
    for c, sizes in LAYOUT.items():
        for k in range(len(sizes)):
            b.set_attributes(f"c{c}b{k}", attrs={"households": 120}, reason="survey")
    s2 = apply(s, b.build())
    plan, after = run(s2, {"unit": "B", "by": "grid", "grid_households": 300})
    texts = [op.reason.render("zh", plan.templates) for op in plan.operations if op.op == "create_host"]
    assert texts and all(int(t.split("，")[-1].rstrip("户")) <= 300 for t in texts)
    # with only the household column the count is the members' households
    plan, _ = run(s, {"unit": "B", "by": "grid", "grid_households": 20})
    assert any(op.op == "create_host" for op in plan.operations)


def test_existing_grids_are_used():
    s = hebei(grids=True)
    _, after = run(s, {"unit": "B", "by": "grid", "over": 60})
    branches = new_branches(after)
    assert [after.built_on(b) for b in branches] == [["G1"], ["G2"]]
    assert len(after.unit_ids("party.grid")) == 2


@pytest.mark.parametrize("params, message", [
    ({"unit": "Bg1"}, "params.unit: 'Bg1' is a party.group, not a party.branch"),
    ({"unit": "nope"}, "params.unit: unknown unit 'nope'"),
    ({"by": "grid", "grid_members": 40, "grid_households": 300}, "give grid_members or grid_households, not both"),
    ({"grid_members": 40}, "only used with by='grid'"),
    ({"by": "block"}, "params.by"),
    ({"over": 0}, "params.over"),
])
def test_bad_parameters(params, message):
    with pytest.raises(UserError) as err:
        propose(CourtyardGrid(), hebei(), params)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_households_need_data():
    s = hebei()
    cols = {k: v for k, v in s.members.columns.items() if k != "household"}
    from orgmodel import MemberTable

    s2 = s.replace(members=MemberTable(ids=s.members.ids, columns=cols))
    with pytest.raises(UserError, match="params.grid_households: building 'c0b0' has no `households` attribute"):
        propose(CourtyardGrid(), s2, {"unit": "B", "by": "grid", "grid_households": 300})


def test_a_courtyard_over_the_limit_is_cut_by_building():
    # branch.max_size (支部工作条例 第四条: 党员人数一般不超过50人): 1号院 has 52 members living in it,
    # so with the rule's default it becomes two branches of whole buildings, none over 50
    s = hebei()
    _, after = run(s, {"unit": "B"})
    branches = new_branches(after)
    names = [after.unit(b).name for b in branches]
    assert names == ["1号院第一片党支部", "1号院第二片党支部", "2、3号院联合党支部"]
    assert after.built_on(branches[0]) == ["c0b0"] and after.built_on(branches[1]) == ["c0b1", "c0b2"]
    assert max(after.size(b) for b in branches) <= 50
    assert sum(after.size(b) for b in branches) == 103


def test_every_new_branch_gets_a_full_member_secretary_and_a_committee_from_7_full():
    # 支部工作条例 第六章 (committee.when, secretary.when) and 党章 第七条 (office.full_only)
    s = hebei()
    plan, after = run(s, {"unit": "B"})
    for b in new_branches(after):
        held = offices(after, b)
        assert [r for _, r in held].count("secretary") == 1, b
        assert all(after.full_mask[after.member_code(p)] for p, _ in held)
        n_full = int(after.full_mask[after.member_codes_of(b)].sum())
        assert (len(held) >= 3) == (n_full >= 7), (b, n_full, held)
    off = propose(CourtyardGrid(), s, {"unit": "B", "propose_roles": False})
    assert not any(type(op).__name__ == "SetRole" for op in off.as_written())
