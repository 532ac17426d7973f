"""community-joint: 社区联合党组织 joining the service-centre branch and the village branches it serves."""

import pytest

from orgmodel import apply, KindTable, Structure, UserError
from orgmodel.testing import contract_baselines
from orgmodel_party.kinds import PARTY_PACK
from orgmodel_seed_strategies.community_joint import CommunityJoint
from orgmodel_seed_strategies.testing import propose

K = KindTable(PARTY_PACK)


def majia():
    """江南镇: 马家村 and its neighbours are to become 马家社区, with a community service centre."""
    units = [
        {"id": "T", "kind": "party.township", "name": "江南镇"},
        {"id": "TC", "kind": "party.committee", "name": "江南镇党委", "built_on": ["T"]},
        {"id": "C", "kind": "party.community", "name": "马家社区", "parent": "T"},
        {"id": "SC", "kind": "party.service_centre", "name": "马家社区服务中心", "parent": "C"},
        {"id": "SCB", "kind": "party.branch", "name": "马家社区服务中心党支部", "parent": "TC", "built_on": ["SC"]},
        {"id": "E", "kind": "party.enterprise", "name": "马家物流", "parent": "T"},
        {"id": "EB", "kind": "party.branch", "name": "马家物流党支部", "parent": "TC", "built_on": ["E"]},
    ]
    members = []
    i = 0
    for v, vname, n in (("1", "马家村", 15), ("2", "环线村", 9), ("3", "远山村", 6)):
        units.append({"id": f"V{v}", "kind": "party.village", "name": vname, "parent": "T"})
        units.append({"id": f"VB{v}", "kind": "party.branch", "name": f"{vname}党支部", "parent": "TC", "built_on": [f"V{v}"]})
        for _ in range(n):
            members.append({"id": f"m{i:03d}", "branch": f"VB{v}", "home_host": f"V{v}"})
            i += 1
    for branch, n in (("SCB", 5), ("EB", 4)):
        for _ in range(n):
            members.append({"id": f"m{i:03d}", "branch": branch})
            i += 1
    return Structure.from_records(K, units=units, members=members, adjacency=[("C", "V1"), ("V2", "C")])


def test_on_the_contract_baselines():
    base = contract_baselines("party", only=("village-of-2",))["village-of-2"]
    plan = propose(CommunityJoint(), base, {"villages": ["h0", "h1", "h2"]})
    assert plan.counts() == {"create_unit": 1, "link_alliance": 3}


def test_community_general_branch_joins_service_centre_and_villages():
    s = majia()
    plan = propose(CommunityJoint(), s, {"community": "C"})
    after = apply(s, plan)
    new = [u for u in after.unit_ids("party.general_branch")]
    assert len(new) == 1
    unit = new[0]
    assert after.unit(unit).tags == ("alliance",)
    assert after.unit(unit).name == "马家社区联合党总支"
    assert after.built_on(unit) == ["C"]
    assert after.parent(unit) == "TC"
    # the service-centre branch and the two adjacent villages (远山村 is not adjacent)
    assert after.allies(unit) == ["SCB", "VB1", "VB2"]
    for b in ("SCB", "VB1", "VB2", "VB3", "EB"):
        assert after.parent(b) == "TC"
    assert after.members["branch"].tolist() == s.members["branch"].tolist()
    text = plan.operations[0].reason.render("zh", plan.templates)
    assert "马家社区服务中心党支部" in text and "2个村党组织" in text and "29名党员" in text


def test_committee_with_attached_service_centre_and_others():
    s = majia()
    after = apply(s, propose(CommunityJoint(), s, {
        "community": "C", "villages": ["V1", "V2", "V3"], "others": ["EB"], "as_kind": "committee",
        "attach_service_centre": True, "secretary": "district:专职书记"}))
    unit = after.unit_ids("party.committee")[-1]
    assert after.unit(unit).name == "马家社区联合党委"
    assert after.parent("SCB") == unit  # attached: the community's own branch
    assert "SCB" not in after.allies(unit)
    assert after.allies(unit) == ["EB", "VB1", "VB2", "VB3"]
    assert after.parent("EB") == "TC"
    assert [(r.role, r.person) for r in after.roles_in(unit)] == [("secretary", "district:专职书记")]
    assert after.size(unit, subtree=True) == 5  # only the attached service-centre branch counts as its own


def test_without_service_centre_joins_villages_only():
    s = majia()
    after = apply(s, propose(CommunityJoint(), s, {"villages": ["V2", "V3"]}))
    unit = after.unit_ids("party.general_branch")[0]
    assert after.allies(unit) == ["VB2", "VB3"]
    assert after.built_on(unit) == ["V2", "V3"]
    assert after.unit(unit).name == "环线村、远山村社区联合党总支"


@pytest.mark.parametrize("params, message", [
    ({}, "params.community: give the community host or the villages"),
    ({"community": "SCB"}, "params.community: 'SCB' is not a host unit"),
    ({"community": "E"}, "params.villages: no village organisation under or next to 'E'"),
    ({"villages": ["V1"]}, "at least 2 organisations"),
    ({"villages": ["V1", "V2"], "attach_service_centre": True}, "params.attach_service_centre: no service-centre branch found"),
    ({"community": "C", "parent": "VB1"}, "params.parent: a party.general_branch cannot sit under a party.branch"),
    ({"community": "C", "others": ["VB1"]}, "params.villages: organisation 'VB1' is joined twice"),
    ({"community": "C", "service_centre": "E"}, "params.service_centre: 'E' is a party.enterprise, not a party.service_centre"),
    ({"community": "C", "as_kind": "branch"}, "params.as_kind"),
])
def test_bad_parameters(params, message):
    with pytest.raises(UserError) as err:
        propose(CommunityJoint(), majia(), params)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
