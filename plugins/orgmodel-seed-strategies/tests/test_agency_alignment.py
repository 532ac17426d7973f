"""agency-alignment: 机关党支部 set on bureaus / functions / leaders in charge, groups on divisions."""

import pytest

from orgmodel import apply, KindTable, Structure, UserError
from orgmodel.testing import contract_baselines
from orgmodel_seed_strategies import examples
from orgmodel_party.kinds import PARTY_PACK
from orgmodel_seed_strategies.agency_alignment import AgencyAlignment
from orgmodel_seed_strategies.testing import propose

K = KindTable(PARTY_PACK)

SIZES = {"D11": 20, "D12": 25, "D13": 15, "D0": 5, "D21": 9, "D22": 2}


def agency(roles=()):
    return examples.agency(K, roles)


def run(s, params):
    plan = propose(AgencyAlignment(), s, params)
    return plan, apply(s, plan)


def new(after, kind="party.branch"):
    return [u for u in after.unit_ids(kind) if "/" in u]


def test_contract_refuses_without_an_agency():
    s = contract_baselines("party", only=("tiny",))["tiny"]
    with pytest.raises(UserError, match="params.agency: 0 party.agency hosts in the step's scope; name the agency"):
        propose(AgencyAlignment(), s, {})


def test_one_branch_per_bureau_one_group_per_division():
    s = agency()
    plan, after = run(s, {"by": "bureau"})
    branches = new(after)
    names = {after.unit(b).name: b for b in branches}
    assert sorted(names) == ["价格局党支部", "办公室党支部", "规划局第一党支部", "规划局第二党支部"]
    assert all(after.parent(b) == "AC" and after.unit(b).tags == ("agency",) for b in branches)
    # 规划局 has 60 members (> 50): split along whole divisions into 20 + 40
    assert sorted(after.size(names[n]) for n in ("规划局第一党支部", "规划局第二党支部")) == [20, 40]
    # 价格局 built on the bureau; its 9+1 and 2 divisions share one group at most (2 < min_group)
    assert after.built_on(names["价格局党支部"]) == ["B2"]
    assert after.size(names["价格局党支部"]) == 9 + 1 + 2 + 2 + 1  # + the retired member following mates
    # groups are aligned with divisions: every group member works in a division the group is built on
    home = after.members["home_host"]
    for b in branches:
        for g in after.children(b):
            hosts = set(after.unit_codes(after.built_on(g)).tolist())
            assert set(home[after.member_codes_of(g)].tolist()) <= hosts
    assert [after.unit(g).name for g in after.children(names["规划局第二党支部"])] == ["产业规划处党小组", "区域规划处党小组"]
    # every agency member (home in the agency) is in a new agency branch, including the unplaced one and
    # the one held by a residential branch; the residents stay put
    for m, h in zip(s.members.ids.tolist(), s.members["home_host"].tolist()):
        if h >= 0 and str(s.units.ids[h]) != "RA":
            assert after.branch_of(m) in branches
    assert after.size("RB") == 6
    assert not after.is_unplaced().any()
    # old agency branches are dissolved, with their group
    for u in ("AB1", "AB1g", "AB2"):
        assert after.unit(u).dissolved
    assert after.unit("RB").dissolved is False
    text = [op.reason.render("zh", plan.templates) for op in plan.as_written()]
    assert any("随原机关第二党支部多数党员编入价格局党支部" in t for t in text)
    assert any("其中1名原未落实组织关系" in t for t in text)


def test_by_function_and_small_parts_join():
    s = agency()
    plan, after = run(s, {"by": "function"})
    names = sorted(after.unit(b).name for b in new(after))
    assert names == ["业务第一党支部", "业务第二党支部", "综合党支部"]
    comp = [b for b in new(after) if after.unit(b).name == "综合党支部"][0]
    # 价格局's 2 bureau-level members have no function and too few full members: joined to 综合
    assert sorted(after.built_on(comp)) == ["B2", "D0", "D11"]
    text = [op.reason.render("zh", plan.templates) for op in plan.operations if op.op == "create_unit"]
    assert any("价格局正式党员不足3名，并入本支部" in t for t in text)
    assert all(after.size(b) <= 50 for b in new(after))


def test_by_leader_records_the_responsibility_chain():
    s = agency()
    _, after = run(s, {"by": "leader", "leaders": {"B2": "李副局长", "D0": "王主任"}})
    branches = new(after)
    leaders = {after.unit(b).name: after.unit(b).attrs.get("leader") for b in branches}
    assert leaders == {"李副局长分管处室党支部": "李副局长", "王主任分管处室党支部": "王主任",
                       "张副局长分管处室第一党支部": "张副局长", "张副局长分管处室第二党支部": "张副局长"}
    for b in branches:
        roles = [(r.role, r.person) for r in after.roles_in(b) if r.role == "leader_in_charge"]
        assert roles == [("leader_in_charge", after.unit(b).attrs["leader"])]


def test_leader_mapping_with_by_bureau_only_annotates():
    s = agency()
    _, after = run(s, {"leaders": {"B2": "李副局长"}})
    b = [u for u in new(after) if after.unit(u).name == "价格局党支部"][0]
    assert after.unit(b).attrs["leader"] == "李副局长"


@pytest.mark.parametrize("params, message", [
    ({"agency": "AC"}, "params.agency: 'AC' is a party.committee, not a party.agency"),
    ({"agency": "nope"}, "params.agency: unknown unit 'nope'"),
    ({"leaders": {"AB1": "x"}}, "params.leaders: 'AB1' is a party.branch, not a party.bureau or party.division"),
    ({"parent": "AB1g"}, "params.parent: a party.branch cannot sit under a party.group"),
    ({"by": "floor"}, "params.by"),
    ({"max_size": 1}, "params.max_size"),
])
def test_bad_parameters(params, message):
    with pytest.raises(UserError) as err:
        propose(AgencyAlignment(), agency(), params)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_agency_without_committee_needs_a_parent():
    s = agency()
    units = [{"id": u, "kind": s.kind_of(u), "name": s.unit(u).name, "parent": s.parent(u),
              "built_on": s.built_on(u) if u != "AC" else [], "tags": list(s.unit(u).tags)} for u in s.unit_ids()]
    members = [{"id": m, "branch": str(s.units.ids[b]), "home_host": str(s.units.ids[h]) if h >= 0 else None,
                "group": str(s.units.ids[g]) if g >= 0 else None}
               for m, b, h, g in zip(s.members.ids.tolist(), s.members["branch"].tolist(),
                                     s.members["home_host"].tolist(), s.members["group"].tolist())]
    bare = Structure.from_records(K, units=units, members=members)
    with pytest.raises(UserError, match="params.parent: no committee is built on 'AG'; name the parent"):
        propose(AgencyAlignment(), bare, {})
    _, after = run(bare, {"parent": "AC"})
    assert all(after.parent(b) == "AC" for b in new(after))


# -- proposed roles (RULES secretary.when / committee.when) ---------------------------------------


def _role_findings(after, units, status=None):
    from orgmodel import PluginHost
    from orgmodel import check_rules

    pack = PluginHost().rule_packs().get("party")
    return sorted((f.unit, f.rule) for f in check_rules(after, [pack])
                  if f.rule in ("secretary.when", "committee.when") and f.unit in units
                  and (status is None or f.status == status))


def test_new_branches_get_a_secretary_and_committee():
    # a070 (价格监测处) holds a role in the residential branch: a backbone member
    s = agency(roles=(("RB", "committee_member", "a070"), ("RB", "secretary", "a081")))
    plan, after = run(s, {"by": "bureau"})
    branches = new(after)
    assert _role_findings(after, branches) == []
    by_name = {after.unit(b).name: b for b in branches}
    price = by_name["价格局党支部"]
    roles = sorted((r.role, r.person) for r in after.roles_in(price))
    # 15 full members: a committee of 3, the backbone member a070 as secretary, then member code
    assert roles == [("committee_member", "a065"), ("committee_member", "a066"), ("secretary", "a070")]
    office = by_name["办公室党支部"]  # 6 full members: a secretary only (the lowest code)
    assert [(r.role, r.person) for r in after.roles_in(office)] == [("secretary", "a060")]
    sizes = {after.unit(b).name: after.size(b, full_only=True) for b in branches}
    for b in branches:
        holders = {r.person for r in after.roles_in(b) if r.role != "leader_in_charge"}
        assert holders <= set(after.member_ids_of(b))
        n_full = after.size(b, full_only=True)
        assert len(holders) == (1 if n_full < 7 else 5 if n_full >= 25 else 3), sizes
    _, bare = run(s, {"by": "bureau", "propose_roles": False})
    bare_branches = new(bare)
    found = _role_findings(bare, bare_branches, "violated")
    assert len([f for f in found if f[1] == "secretary.when"]) == len(bare_branches)
    assert any(f[1] == "committee.when" for f in found)
