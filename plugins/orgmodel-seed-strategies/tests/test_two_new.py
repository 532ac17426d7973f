"""two-new-coverage: branches on chambers of commerce for the scattered members of small firms."""

import numpy as np
import pytest

from orgmodel import apply, KindTable, Structure, UserError, Scope
from orgmodel.testing import contract_baselines
from orgmodel_seed_strategies import examples
from orgmodel_party.kinds import PARTY_PACK
from orgmodel_seed_strategies.two_new import TwoNewCoverage
from orgmodel_seed_strategies.testing import propose

K = KindTable(PARTY_PACK)


def nanan():
    return examples.firms(K)


def run(s, params, scope=()):
    plan = propose(TwoNewCoverage(), s, params, scope=Scope.of(s, scope))
    return plan, apply(s, plan)


def test_contract_refuses_without_firms():
    s = contract_baselines("party", only=("tiny",))["tiny"]
    with pytest.raises(UserError, match="params.firm_kinds: no party.enterprise or party.social_org host in the step's scope"):
        propose(TwoNewCoverage(), s, {})


def test_small_firms_get_chamber_branches():
    s = nanan()
    plan, after = run(s, {"from_units": ["CB"]})
    # F3 has 4 full members: a branch of its own
    own = [u for u in after.built_on_by("F3") if after.kind_of(u) == "party.branch"]
    assert len(own) == 1 and after.size(own[0]) == 4 and after.parent(own[0]) == "SW"
    # F6 already has a branch: its unplaced member goes back
    assert after.size("FB6") == 4
    # F1 and F2 (fewer than 3 full each): the street's chamber
    ch = after.built_on_by("CH")
    assert len(ch) == 1 and after.unit(ch[0]).name == "南岸街道商会联合党支部"
    assert sorted(after.member_ids_of(ch[0])) == ["p000", "p001", "p002"]
    # F4 and F5 share trade:餐饮 and no chamber has it: 餐饮商会 is created on the street
    trade = [h for h in after.unit_ids("party.chamber") if "trade:餐饮" in after.unit(h).tags]
    assert len(trade) == 1 and after.unit(trade[0]).name == "餐饮商会" and after.parent(trade[0]) == "S"
    tb = after.built_on_by(trade[0])
    assert len(tb) == 1 and sorted(after.member_ids_of(tb[0])) == ["p007", "p008", "p009"]
    # moved out of unplaced, external and the catch-all; nobody else moved
    moved = after.members["branch"] != s.members["branch"]
    assert int(moved.sum()) == 2 + 1 + 4 + 2 + 1 + 1
    assert after.branch_of("p026") == "UP"  # no firm: stays unplaced
    assert after.size("CB") == 3 and after.size("RB") == 12
    assert not after.is_unplaced()[after.member_codes(["p000", "p006", "p009"])].any()
    text = [op.reason.render("zh", plan.templates) for op in plan.operations if op.op == "create_unit"]
    assert all("由1家增至7家（共7家有党员）" in t for t in text)


def test_catch_all_only_when_named():
    s = nanan()
    plan, after = run(s, {})
    assert after.branch_of("p007") == "CB"  # F4's members stay: CB is not named a catch-all
    texts = [op.reason.render("zh", plan.templates) for op in plan.operations if op.op == "create_unit"]
    assert all("由2家增至7家" in t for t in texts)  # F4 counts as covered before


def test_one_named_chamber_and_size_limits():
    s = nanan()
    _, after = run(s, {"chamber": "CH", "from_units": ["CB"], "own_branch": False, "max_firms": 2})
    branches = after.built_on_by("CH")
    # F1, F2, F3, F4, F5 (F6 goes back to its own branch); at most 2 firms a branch, small ones joined
    assert sum(after.size(b) for b in branches) == 10
    assert all(int(after.sizes(full_only=True)[after.unit_code(b)]) >= 3 for b in branches)
    assert [after.unit(b).attrs["firms"] for b in branches] == [2, 3]
    _, after = run(s, {"chamber": "CH", "from_units": ["CB"], "own_branch": False, "max_members": 4})
    sizes = [after.size(b) for b in after.built_on_by("CH")]
    assert sum(sizes) == 10 and len(sizes) >= 2


def test_scope_limits_firms():
    s = nanan()
    _, after = run(s, {}, scope=["F1", "F2", "UP", "SW"])  # the firms, the unit their members leave, the parent
    assert after.branch_of("p003") == "UP"  # F3 out of scope
    assert after.branch_of("p000") != "UP"


@pytest.mark.parametrize("params, message", [
    ({"chamber": "F1"}, "params.chamber: 'F1' is a party.enterprise, not a party.chamber or party.association"),
    ({"from_units": ["S"]}, "params.from_units: 'S' is not an organisation unit"),
    ({"firm_kinds": ["party.branch"]}, "params.firm_kinds: 'party.branch' is not a host kind"),
    ({"parent": "RB"}, "params.parent: a party.branch cannot sit under a party.branch"),
    ({"include_unplaced": False, "include_external": False}, "no member of a firm in scope sits in a catch-all unit"),
    ({"max_members": 2}, "params.max_members"),
])
def test_bad_parameters(params, message):
    with pytest.raises(UserError) as err:
        propose(TwoNewCoverage(), nanan(), params)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_no_parent_for_a_created_chamber_is_refused():
    s = nanan()
    units = [{"id": u, "kind": s.kind_of(u), "name": s.unit(u).name, "parent": s.parent(u) if u not in ("F4", "F5") else None,
              "built_on": s.built_on(u), "tags": list(s.unit(u).tags)} for u in s.unit_ids()]
    members = [{"id": m, "branch": str(s.units.ids[b]), "home_host": str(s.units.ids[h]) if h >= 0 else None}
               for m, b, h in zip(s.members.ids.tolist(), s.members["branch"].tolist(), s.members["home_host"].tolist())]
    loose = Structure.from_records(K, units=units, members=members)
    with pytest.raises(UserError, match="params.parent: no street or township committee found above the chamber"):
        propose(TwoNewCoverage(), loose, {"from_units": ["CB"]})
    _, after = run(loose, {"from_units": ["CB"], "parent": "SW"})
    assert np.all(after.members["branch"][after.member_codes(["p007", "p008", "p009"])] >= 0)


# -- proposed roles (RULES secretary.when / committee.when) ---------------------------------------


def _role_findings(after, units, status=None):
    from orgmodel import PluginHost
    from orgmodel import check_rules

    pack = PluginHost().rule_packs().get("party")
    return sorted((f.unit, f.rule) for f in check_rules(after, [pack])
                  if f.rule in ("secretary.when", "committee.when") and f.unit in units
                  and (status is None or f.status == status))


def test_new_branches_get_a_secretary_and_committee():
    units = [
        {"id": "S", "kind": "party.street", "name": "南岸街道"},
        {"id": "SW", "kind": "party.working_committee", "name": "南岸街道党工委", "built_on": ["S"]},
        {"id": "CH", "kind": "party.chamber", "name": "南岸街道商会", "parent": "S"},
        {"id": "RA", "kind": "party.residential_area", "name": "滨江居民区", "parent": "S"},
        {"id": "RB", "kind": "party.branch", "name": "滨江居民区党支部", "parent": "SW", "built_on": ["RA"]},
        {"id": "UP", "kind": "core.unplaced", "name": "未落实组织关系"},
        {"id": "F1", "kind": "party.enterprise", "name": "恒达五金", "parent": "S"},
        {"id": "F2", "kind": "party.enterprise", "name": "顺风快运", "parent": "S"},
        {"id": "F3", "kind": "party.enterprise", "name": "江南电子", "parent": "S"},
    ]
    members = [{"id": f"p{i:03d}", "branch": "UP", "home_host": "F1"} for i in range(9)]
    members[0]["status"] = "probationary"  # never chosen
    members[4]["joined"] = "1990-01-01"
    members[6]["joined"] = "1985-01-01"
    members[7]["backbone"] = True  # backbone first, before anyone who joined earlier
    members += [{"id": f"p{i:03d}", "branch": "UP", "home_host": "F2"} for i in range(9, 11)]
    members += [{"id": f"p{i:03d}", "branch": "UP", "home_host": "F3"} for i in range(11, 13)]
    members += [{"id": f"p{i:03d}", "branch": "RB", "home_host": "RA"} for i in range(13, 16)]
    s = Structure.from_records(K, units=units, members=members,
                               roles=[{"unit": "RB", "role": "secretary", "person": "p013"}])
    plan, after = run(s, {})
    branches = [u for u in after.unit_ids("party.branch") if "/" in u]
    assert len(branches) == 2
    assert _role_findings(after, branches) == []
    (own,) = [u for u in after.built_on_by("F1") if after.kind_of(u) == "party.branch"]
    roles = sorted((r.role, r.person) for r in after.roles_in(own))
    assert roles == [("committee_member", "p004"), ("committee_member", "p006"), ("secretary", "p007")]
    (chamber,) = after.built_on_by("CH")
    assert [(r.role, r.person) for r in after.roles_in(chamber)] == [("secretary", "p009")]
    text = [op.reason.render("en", plan.templates) for op in plan.operations if op.op == "set_role"]
    assert ("恒达五金党支部 has 8 full members (7 or more): a committee of 3; member p007 is secretary "
            "(a backbone member, chosen first)") in text
    _, bare = run(s, {"propose_roles": False})
    bare_branches = [u for u in bare.unit_ids("party.branch") if "/" in u]
    found = _role_findings(bare, bare_branches, "violated")
    assert len([f for f in found if f[1] == "secretary.when"]) == 2
    assert any(f[1] == "committee.when" for f in found)
