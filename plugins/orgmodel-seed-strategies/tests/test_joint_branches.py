"""joint-branches (联合党支部): the contract kit, and the strategy's own promises on purpose-built
structures (a chain of villages, trades, townships without adjacency, catch-all branches, bad params)."""

from __future__ import annotations

import pytest

from orgmodel import apply, KindTable, Structure, UserError, Scope, Locks
from orgmodel.testing import contract_baselines
from orgmodel_party.kinds import PARTY_PACK
from orgmodel_seed_strategies.joint_branches import JointBranches
from orgmodel_seed_strategies.registry import strategies
from orgmodel_seed_strategies.testing import propose

STRATEGY = JointBranches()


def _apply(s: Structure, params: dict | None = None, *, scope: tuple[str, ...] = (), locks: tuple[str, ...] = ()):
    plan = propose(STRATEGY, s, params or {}, scope=Scope.of(s, scope), locks=Locks.of(s, locks))
    return plan, apply(s, plan, variant="v", step=0)


def _joint(after: Structure) -> list[str]:
    return [u for u in after.unit_ids("party.branch") if len(after.built_on(u)) > 1]


def _everyone_placed(before: Structure, after: Structure) -> None:
    active = after.members["active"]
    branch = after.members["branch"]
    live = after.kinds.is_branch[after.units.kind[branch]] & ~after.units.dissolved[branch]
    assert (live | ~active).all()
    assert sum(after.size(u) for u in after.unit_ids("party.branch")) == int(before.members["active"].sum())


def _villages(fulls, *, adjacency="chain", townships=None, trades=None, groups=False, probationary=True):
    """Villages, each with its own branch of ``fulls[i]`` full members (plus one probationary)."""
    units = [{"id": "tw0", "kind": "party.township", "name": "罗龙镇"},
             {"id": "tw1", "kind": "party.township", "name": "李庄镇"},
             {"id": "c", "kind": "party.committee", "name": "镇党委"},
             {"id": "gbx", "kind": "party.general_branch", "name": "联建党总支", "parent": "c"}]
    members = []
    for i, f in enumerate(fulls):
        tw = (townships or {}).get(i, "tw0")
        tags = f"trade:{trades[i]}" if trades and trades.get(i) else None
        units.append({"id": f"v{i}", "kind": "party.village", "name": f"{i}村", "parent": tw, "tags": tags})
        units.append({"id": f"b{i}", "kind": "party.branch", "name": f"{i}村党支部", "parent": "c", "built_on": f"v{i}"})
        if groups:
            units.append({"id": f"g{i}", "kind": "party.group", "name": f"{i}村党小组", "parent": f"b{i}"})
        for j in range(f):
            members.append({"id": f"m{i}-{j}", "branch": f"b{i}", "home_host": f"v{i}",
                            "group": f"g{i}" if groups else None})
        if probationary:
            members.append({"id": f"p{i}", "branch": f"b{i}", "home_host": f"v{i}", "status": "probationary"})
    n = len(fulls)
    adj = [(f"v{i}", f"v{i + 1}") for i in range(n - 1)] if adjacency == "chain" else list(adjacency or [])
    return Structure.from_records(KindTable(PARTY_PACK), units=units, members=members, adjacency=adj,
                                  roles=[{"unit": "b0", "role": "secretary", "person": "m0-0"}])


# -- the contract kit ---------------------------------------------------------------------------


def test_registered():
    assert "joint-branches" in [s.name for s in strategies()]


def test_on_the_contract_baselines():
    # village-of-2: villages of 2 and 1 members join; the 14-member village stays
    base = contract_baselines("party", only=("village-of-2",))["village-of-2"]
    after = apply(base, propose(STRATEGY, base, {}), variant="contract", step=0)
    joint = _joint(after)
    assert len(joint) == 1
    assert sorted(after.built_on(joint[0])) == ["h0", "h2"]
    assert after.size(joint[0]) == 3 and not after.unit("b1").dissolved
    assert after.unit("b0").dissolved and after.unit("b2").dissolved
    assert after.unit("gb0").dissolved  # its only branch joined: the empty general branch goes too
    assert after.parent(joint[0]) == "top"


# -- purpose-built structures ---------------------------------------------------------------------


def test_chain_of_seven_villages():
    s = _villages([1, 2, 1, 2, 1, 2, 1])
    plan, after = _apply(s)
    _everyone_placed(s, after)
    joint = _joint(after)
    assert len(joint) == 2
    covered = sorted(h for u in joint for h in after.built_on(u))
    assert covered == [f"v{i}" for i in range(7)]
    for u in joint:
        hosts = after.built_on(u)
        assert 2 <= len(hosts) <= 5
        assert after.size(u, full_only=True) >= 3
        idx = sorted(int(h[1:]) for h in hosts)
        assert idx == list(range(idx[0], idx[-1] + 1)), "a joint branch of a chain is a stretch of the chain"
        assert after.parent(u) == "c"
    assert all(after.unit(f"b{i}").dissolved for i in range(7))
    why = [op.reason.render("zh", plan.templates) for op in plan.operations if op.op == "create_unit"]
    assert "相邻区域" in why[0] and "均不足3名" in why[0] and "（1名）" in why[0]


def test_max_units_is_respected():
    s = _villages([1] * 12)
    _, after = _apply(s, {"max_units": 3})
    joint = _joint(after)
    assert len(joint) == 4
    assert all(len(after.built_on(u)) == 3 and after.size(u, full_only=True) == 3 for u in joint)


def test_strong_villages_are_left_and_break_the_chain():
    # v2 has 5 full members: not a candidate; v0-v1 and v3-v4 are joined separately
    s = _villages([1, 2, 5, 2, 1])
    _, after = _apply(s)
    assert not after.unit("b2").dissolved
    hosts = sorted(sorted(after.built_on(u)) for u in _joint(after))
    assert hosts == [["v0", "v1"], ["v3", "v4"]]


def test_no_adjacency_falls_back_to_common_township():
    s = _villages([1, 1, 1, 2, 2], adjacency=None, townships={0: "tw0", 1: "tw0", 2: "tw0", 3: "tw1", 4: "tw1"})
    plan, after = _apply(s)
    hosts = sorted(sorted(after.built_on(u)) for u in _joint(after))
    assert hosts == [["v0", "v1", "v2"], ["v3", "v4"]]
    why = [op.reason.render("zh", plan.templates) for op in plan.operations if op.op == "create_unit"]
    assert "同属罗龙镇" in why[0] and "同属李庄镇" in why[1]


def test_trade_grouping_never_mixes_trades():
    trades = {0: "melon", 1: "tea", 2: "melon", 3: "tea", 4: "melon", 5: "tea"}
    s = _villages([1, 1, 1, 2, 1, 1], trades=trades)
    plan, after = _apply(s, {"group_by": "trade"})
    hosts = sorted(sorted(after.built_on(u)) for u in _joint(after))
    assert hosts == [["v0", "v2", "v4"], ["v1", "v3", "v5"]]
    assert {after.unit(u).attrs["grouped_by"] for u in _joint(after)} == {"trade:melon", "trade:tea"}


def test_host_without_trade_falls_back_to_neighbourhood():
    s = _villages([2, 2, 1, 1], trades={0: "melon", 1: None, 2: "melon", 3: None},
                  adjacency=[("v1", "v3")])
    _, after = _apply(s, {"group_by": "trade"})
    hosts = sorted(sorted(after.built_on(u)) for u in _joint(after))
    assert hosts == [["v0", "v2"], ["v1", "v3"]]


def test_left_alone_when_nobody_to_join():
    s = _villages([1, 5], adjacency=None, townships={0: "tw0", 1: "tw1"})
    plan, after = _apply(s)
    assert _joint(after) == []
    assert [op.op for op in plan.operations] == ["set_attributes"]
    assert "未能组建联合党支部" in plan.operations[0].reason.render("zh", plan.templates)
    assert after.unit("v0").attrs["joint_status"] == "not joined"


def test_groups_of_old_branches_are_dissolved():
    s = _villages([1, 2, 1], groups=True)
    _, after = _apply(s)
    assert all(after.unit(f"g{i}").dissolved for i in range(3))
    (joint,) = _joint(after)
    assert all(after.group_of(m) is None for m in after.member_ids_of(joint))


def test_catch_all_members_are_gathered():
    # two small firms whose members sit in the township's comprehensive branch, one with its own tiny branch
    units = [{"id": "tw", "kind": "party.township", "name": "罗龙镇"},
             {"id": "c", "kind": "party.committee", "name": "镇党委", "built_on": "tw"},
             {"id": "catch", "kind": "party.branch", "name": "镇综合党支部", "parent": "c", "built_on": "tw",
              "tags": "comprehensive"},
             {"id": "e1", "kind": "party.enterprise", "name": "甲公司", "parent": "tw"},
             {"id": "e2", "kind": "party.enterprise", "name": "乙公司", "parent": "tw"},
             {"id": "e3", "kind": "party.enterprise", "name": "丙公司", "parent": "tw"},
             {"id": "be3", "kind": "party.branch", "name": "丙公司党支部", "parent": "c", "built_on": "e3"}]
    members = ([{"id": f"x{i}", "branch": "catch", "home_host": "tw"} for i in range(5)]
               + [{"id": "a1", "branch": "catch", "home_host": "e1"},
                  {"id": "a2", "branch": "catch", "home_host": "e1"},
                  {"id": "b1", "branch": "catch", "home_host": "e2"},
                  {"id": "c1", "branch": "be3", "home_host": "e3"}])
    s = Structure.from_records(KindTable(PARTY_PACK), units=units, members=members, adjacency=[("e1", "e2"), ("e2", "e3")])
    plan, after = _apply(s)
    (joint,) = _joint(after)
    assert sorted(after.member_ids_of(joint)) == ["a1", "a2", "b1", "c1"]
    assert sorted(after.member_ids_of("catch")) == [f"x{i}" for i in range(5)]
    assert after.unit("be3").dissolved and not after.unit("catch").dissolved
    codes = [op.reason.code for op in plan.as_written() if op.op == "move_members"]
    assert codes == ["from_catch_all", "from_catch_all"]
    _, no_catch = _apply(s, {"catch_all": False})
    assert _joint(no_catch) == []


def test_emptied_catch_all_branch_is_dissolved():
    units = [{"id": "c", "kind": "party.committee", "name": "两新党委"},
             {"id": "catch", "kind": "party.branch", "name": "两新综合党支部", "parent": "c", "tags": "comprehensive"},
             {"id": "cg", "kind": "party.group", "name": "一组", "parent": "catch"}]
    members = []
    for i in range(8):
        units.append({"id": f"e{i}", "kind": "party.enterprise", "name": f"企业{i}", "tags": "trade:it"})
        members += [{"id": f"m{i}-{k}", "branch": "catch", "home_host": f"e{i}", "group": "cg"} for k in range(2)]
    s = Structure.from_records(KindTable(PARTY_PACK), units=units, members=members)
    plan, after = _apply(s, {"group_by": "trade"})
    _everyone_placed(s, after)
    assert [len(after.built_on(u)) for u in _joint(after)] == [4, 4]  # as few as max_units allows, balanced
    assert after.unit("catch").dissolved and after.unit("cg").dissolved
    assert plan.operations[-1].reason.code == "catch_all_empty"


def test_locked_branches_are_left_alone():
    s = _villages([1, 1, 1, 2, 2], adjacency=None, townships={0: "tw0", 1: "tw0", 2: "tw0", 3: "tw1", 4: "tw1"})
    _, after = _apply(s, locks=("b0", "b1", "b2"))
    assert sorted(sorted(after.built_on(u)) for u in _joint(after)) == [["v3", "v4"]]
    assert all(after.has_unit(b) and not after.unit(b).dissolved for b in ("b0", "b1", "b2"))


def test_a_parent_outside_the_scope_is_refused():
    s = _villages([1, 1, 1, 2, 2], adjacency=None, townships={0: "tw0", 1: "tw0", 2: "tw0", 3: "tw1", 4: "tw1"})
    with pytest.raises(UserError, match="params.parent: 'c' is outside the step's scope"):
        _apply(s, scope=("tw1",))  # the joint branch would go under c, which the step may not change
    _, after = _apply(s, scope=("tw1", "c"))
    assert _joint(after)


def test_parent_parameter():
    s = _villages([1, 2])
    _, default = _apply(s)
    assert default.parent(_joint(default)[0]) == "c"
    _, after = _apply(s, {"parent": "gbx"})
    assert after.parent(_joint(after)[0]) == "gbx"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"host_kinds": ["party.nothing"]}, "joint-branches: params.host_kinds: unknown kind 'party.nothing'"),
        ({"host_kinds": ["party.branch"]}, "joint-branches: params.host_kinds: 'party.branch' is an organisation kind"),
        ({"parent": "nope"}, "joint-branches: params.parent: unknown unit 'nope'"),
        ({"parent": "v0"}, "joint-branches: params.parent: 'v0' is a host unit, not an organisation"),
        ({"parent": "b0"}, "joint-branches: params.parent: a party.branch cannot sit under a party.branch ('b0')"),
        ({"max_units": 0}, "joint-branches: params.max_units"),
        ({"max_units": 21}, "joint-branches: params.max_units"),
        ({"group_by": "colour"}, "joint-branches: params.group_by"),
    ],
)
def test_bad_parameters(params, message):
    s = _villages([1, 2])
    with pytest.raises(UserError) as err:
        propose(STRATEGY, s, params)
    assert message in str(err.value) and "\n" not in str(err.value)
