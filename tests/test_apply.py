"""Unit tests of :func:`orgmodel.model.apply.apply`: the error paths, ids of created units, copy-on-write,
the plan's moves table and its files.

Errors must say what is wrong, name the strategy and, where there is one, the operation index.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from orgmodel.model.apply import apply, new_unit_id
from orgmodel.errors import InvariantError, PlanError, UserError
from orgmodel.model.kinds import DomainPack, KindTable, UnitKind
from orgmodel.model.plan import Dissolve, MoveMembers, Plan, PlanBuilder, Reason, moves_sidecar
from orgmodel.model.structure import Role, Structure
from orgmodel.testing_data import tiny_structure

STRATEGY = "split-big"


@pytest.fixture
def s() -> Structure:
    return tiny_structure()


def builder(s: Structure) -> PlanBuilder:
    return PlanBuilder(s, strategy=STRATEGY)


def assert_names(err: Exception, *words: str, operation: int | None = None) -> None:
    """The message contains every word, the strategy and the operation index."""
    message = str(err)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert f"strategy {STRATEGY}" in message, message
    assert err.strategy == STRATEGY  # type: ignore[attr-defined]
    if operation is not None:
        assert f"operation {operation}" in message, message
        assert err.operation == operation  # type: ignore[attr-defined]


# -- unknown references -------------------------------------------------------------------------


def test_move_to_unknown_unit(s: Structure) -> None:
    b = builder(s)
    b.set_role("b1", role="deputy", person="m2", reason="r")
    b.move(["m1"], to="nowhere", reason="r")
    with pytest.raises(PlanError) as info:
        apply(s, b.build())
    assert_names(info.value, "unknown unit", "'nowhere'", operation=1)


def test_move_of_unknown_member(s: Structure) -> None:
    b = builder(s)
    b.move(["m1", "ghost"], to="b2", reason="r")
    with pytest.raises(PlanError) as info:
        apply(s, b.build())
    assert_names(info.value, "unknown member", "'ghost'", operation=0)


def test_participation_of_unknown_member(s: Structure) -> None:
    b = builder(s)
    b.add_participation(["m1"], unit="t2", reason="r")
    b.add_participation(["m2", "ghost"], unit="t2", reason="r")
    with pytest.raises(PlanError) as info:
        apply(s, b.build())
    assert_names(info.value, "unknown member", "'ghost'", operation=1)


def test_reference_to_a_unit_created_later(s: Structure) -> None:
    b = builder(s)
    b.dissolve("b2", members_to="new:x", reason="r")
    b.create_unit("x", kind="toy.branch", name="x", parent="gb", reason="r")
    with pytest.raises(PlanError) as info:
        apply(s, b.build())
    assert_names(info.value, "new:x", "not created earlier", operation=0)


def test_moves_run_after_every_operation_so_may_name_a_unit_created_later(s: Structure) -> None:
    b = builder(s)
    b.move(["m1"], to="new:x", reason="r")
    b.create_unit("x", kind="toy.branch", name="x", parent="gb", reason="r")
    assert apply(s, b.build(), variant="v", step=0).branch_of("m1") == "v/0/x"


def test_create_unit_with_unknown_kind(s: Structure) -> None:
    b = builder(s)
    b.create_unit("x", kind="toy.nope", name="x", parent="gb", reason="r")
    with pytest.raises(PlanError) as info:
        apply(s, b.build())
    assert_names(info.value, "unknown unit kind", "'toy.nope'", "toy", operation=0)


def test_create_unit_with_host_kind_is_refused(s: Structure) -> None:
    b = builder(s)
    b.create_unit("x", kind="toy.team", name="x", reason="r")
    with pytest.raises(PlanError) as info:
        apply(s, b.build())
    assert_names(info.value, "toy.team", "host kind", operation=0)


def test_dissolved_unit_cannot_be_a_destination(s: Structure) -> None:
    b = builder(s)
    b.dissolve("b2", members_to="b1", reason="r")
    merged = apply(s, b.build())
    b = PlanBuilder(merged, strategy=STRATEGY)
    b.set_role("b1", role="deputy", person="m2", reason="r")
    b.move(["m1"], to="b2", reason="r")
    with pytest.raises(PlanError) as info:
        apply(merged, b.build())
    assert_names(info.value, "b2", "dissolved", operation=1)
    b = PlanBuilder(merged, strategy=STRATEGY)
    b.attach("b2", parent="gb", reason="r")
    with pytest.raises(PlanError) as info:
        apply(merged, b.build())
    assert_names(info.value, "b2", "dissolved", operation=0)


def test_members_moved_into_a_unit_the_plan_dissolves_follow_its_dissolve(s: Structure) -> None:
    b = builder(s)
    b.dissolve("b2", members_to="b1", reason="r")
    b.move(["m1"], to="b2", reason="r")
    after = apply(s, b.build())
    assert after.branch_of("m1") == "b1" and after.group_of("m1") is None
    assert after.member_ids_of("b1") == ["m1", "m2", "m3", "m4", "m5", "m6", "m7"]


# -- member moves -------------------------------------------------------------------------------


def test_member_moved_twice(s: Structure) -> None:
    b = builder(s)
    b.move(["m1"], to="b2", reason="r")
    b.create_unit("x", kind="toy.branch", name="x", parent="gb", reason="r")
    b.move(["m3", "m1"], to="new:x", reason="r")
    with pytest.raises(PlanError) as info:
        apply(s, b.build())
    assert_names(info.value, "m1", "moved twice", "operations 0 and 2", operation=2)


def test_member_listed_twice_in_one_move(s: Structure) -> None:
    """Regression: this used to escape as an IndexError."""
    b = builder(s)
    b.move(["m3", "m3"], to="b2", reason="r")
    with pytest.raises(PlanError) as info:
        apply(s, b.build())
    assert_names(info.value, "m3", "moved twice", operation=0)


def test_move_to_a_group_kind(s: Structure) -> None:
    b = builder(s)
    b.move(["m3"], to="g1", reason="r")
    with pytest.raises((InvariantError, PlanError)) as info:
        apply(s, b.build())
    assert_names(info.value, "m3", "g1", operation=0)
    assert "holds no members" in str(info.value)


def test_move_to_a_host_unit(s: Structure) -> None:
    b = builder(s)
    b.move(["m3"], to="t1", reason="r")
    with pytest.raises((InvariantError, PlanError)) as info:
        apply(s, b.build())
    assert_names(info.value, "t1", "not an organisation unit", operation=0)


def test_move_into_a_group_of_another_branch(s: Structure) -> None:
    b = builder(s)
    b.move(["m5"], to="b2", group="g1", reason="r")
    with pytest.raises(InvariantError) as info:
        apply(s, b.build())
    assert_names(info.value, "m5", "g1", "b2", operation=0)


def test_plan_that_unplaces_a_placed_member(s: Structure) -> None:
    b = builder(s)
    b.set_role("b2", role="deputy", person="m6", reason="r")
    b.move(["m3", "m4"], to="ub", reason="r")
    with pytest.raises(InvariantError) as info:
        apply(s, b.build())
    assert_names(info.value, "unplaces", "2 placed member", "m3", operation=1)
    assert info.value.node == "m3"


def test_placing_an_unplaced_member_is_fine() -> None:
    s = Structure.from_records(
        tiny_structure().kinds,
        units=[{"id": "b", "kind": "toy.branch"}, {"id": "ub", "kind": "core.unplaced"}],
        members=[{"id": "m1", "branch": "ub"}, {"id": "m2", "branch": "b"}],
    )
    b = builder(s)
    b.move(["m1"], to="b", reason="r")
    assert apply(s, b.build()).member_ids_of("b") == ["m1", "m2"]


def test_moves_are_gathered_into_one_scatter(s: Structure) -> None:
    b = builder(s)
    b.move(["m5"], to="b1", group="g1", reason="r")
    b.move(["m1", "m2"], to="b2", reason="r")
    after = apply(s, b.build())
    assert after.member_ids_of("b1") == ["m3", "m4", "m5"]
    assert after.member_ids_of("g1") == ["m5"]
    assert after.member_ids_of("b2") == ["m1", "m2", "m6", "m7"]
    assert after.group_of("m1") is None
    assert s.member_ids_of("g1") == ["m1", "m2"]


# -- dissolve -----------------------------------------------------------------------------------


def test_dissolve_with_members_but_no_destination(s: Structure) -> None:
    b = builder(s)
    b.set_role("b2", role="deputy", person="m6", reason="r")
    b.dissolve("b2", reason="r")
    with pytest.raises(PlanError) as info:
        apply(s, b.build())
    assert_names(info.value, "dissolving b2", "3 member(s)", "members_to", operation=1)


def test_dissolve_with_children_but_no_destination(s: Structure) -> None:
    b = builder(s)
    b.dissolve("b1", members_to="b2", reason="r")
    with pytest.raises(PlanError) as info:
        apply(s, b.build())
    assert_names(info.value, "b1", "child units", "g1", "children_to", operation=0)


def test_dissolve_with_children_and_members_destination(s: Structure) -> None:
    b = builder(s)
    b.dissolve("b1", members_to="b2", children_to="b2", reason="r")
    after = apply(s, b.build())
    assert after.parent("g1") == "b2"
    assert after.member_ids_of("b2") == [f"m{i}" for i in range(1, 8)]
    assert after.group_of("m1") is None  # members left their group with their branch
    assert after.roles_in("b1") == []
    assert after.children("gb") == ["b2"]


def test_dissolving_a_group_keeps_its_members_in_the_branch(s: Structure) -> None:
    b = builder(s)
    b.dissolve("g1", reason="r")
    after = apply(s, b.build())
    assert after.member_ids_of("b1") == ["m1", "m2", "m3", "m4"]
    assert after.group_of("m1") is None and after.unit("g1").dissolved


def test_dissolving_a_host_sends_its_parts_to_another_host(s: Structure) -> None:
    """Regression: children_to used to be resolved as an organisation unit even for hosts."""
    b = builder(s)
    east = b.create_host("east", kind="toy.area", name="east", reason="r")
    b.set_attributes("gb", built_on=[east], reason="r")
    b.dissolve("area", children_to=east, reason="r")
    after = apply(s, b.build(), variant="v", step=2)
    assert after.parent("t1") == "v/2/east"
    assert after.unit("area").dissolved


def test_dissolve_chain_follows_destinations(s: Structure) -> None:
    b = builder(s)
    c = b.create_unit("c", kind="toy.branch", name="c", parent="gb", reason="r")
    b.dissolve("b2", members_to="b1", members_group="g1", reason="r")
    b.dissolve("b1", members_to=c, children_to=c, reason="r")
    after = apply(s, b.build(), variant="v", step=0)
    assert after.member_ids_of("v/0/c") == [f"m{i}" for i in range(1, 8)]
    assert after.children("v/0/c") == ["g1"]


# -- hierarchy ----------------------------------------------------------------------------------


def _free_kinds() -> KindTable:
    """A pack whose organisation kinds may sit under anything, so a cycle is not a kind error."""
    return KindTable(
        DomainPack(
            name="free",
            statuses=("full",),
            full_statuses=("full",),
            kinds=(
                UnitKind(id="free.unit", role="org", relation="branch", label_zh="单位", label_en="unit"),
                UnitKind(id="free.place", role="host", label_zh="地方", label_en="place"),
            ),
        )
    )


def test_attach_that_makes_a_cycle() -> None:
    s = Structure.from_records(
        _free_kinds(),
        units=[
            {"id": "a", "kind": "free.unit"},
            {"id": "b", "kind": "free.unit", "parent": "a"},
            {"id": "c", "kind": "free.unit", "parent": "b"},
        ],
        members=[{"id": "m1", "branch": "c"}],
    )
    b = builder(s)
    b.attach("a", parent="c", reason="r")
    with pytest.raises(InvariantError) as info:
        apply(s, b.build())
    assert_names(info.value, "cycle", "a", operation=0)


def test_attach_that_makes_a_host_cycle(s: Structure) -> None:
    b = builder(s)
    b.attach("area", parent="t2", reason="r")
    with pytest.raises(InvariantError) as info:
        apply(s, b.build())
    assert_names(info.value, "cycle", "area -> t2 -> area", operation=0)


def test_attach_to_a_parent_the_kind_does_not_allow(s: Structure) -> None:
    b = builder(s)
    b.attach("gb", parent="b1", reason="r")
    with pytest.raises(InvariantError) as info:
        apply(s, b.build())
    assert_names(info.value, "toy.general_branch", "cannot sit under", "b1", operation=0)


def test_attach_org_unit_to_host_is_refused(s: Structure) -> None:
    b = builder(s)
    b.attach("b1", parent="t1", reason="r")
    with pytest.raises(PlanError) as info:
        apply(s, b.build())
    assert_names(info.value, "t1", "not an organisation unit", operation=0)


def test_retype_org_to_host_is_refused(s: Structure) -> None:
    b = builder(s)
    b.retype("gb", kind="toy.area", reason="r")
    with pytest.raises(PlanError) as info:
        apply(s, b.build())
    assert_names(info.value, "retype", "gb", "organisation and host", operation=0)


def test_retype_keeps_id_and_members(s: Structure) -> None:
    b = builder(s)
    b.retype("gb", kind="toy.committee", name="升格", reason="r")
    after = apply(s, b.build())
    assert after.kind_of("gb") == "toy.committee" and after.unit("gb").name == "升格"
    assert after.unit_code("gb") == s.unit_code("gb")
    assert after.size("gb", subtree=True) == 7


def test_retype_branch_with_members_to_non_holding_kind(s: Structure) -> None:
    b = builder(s)
    b.attach("b2", parent=None, reason="r")
    b.retype("b2", kind="toy.general_branch", reason="r")
    with pytest.raises(InvariantError) as info:
        apply(s, b.build())
    # the broken node is a member of b2; no operation names that member, so none is blamed
    assert_names(info.value, "m5", "branch b2", "holds no members")
    assert info.value.node == "m5"


def test_retype_kind_not_allowed_under_its_parent(s: Structure) -> None:
    b = builder(s)
    b.retype("b2", kind="toy.general_branch", reason="r")
    with pytest.raises(InvariantError) as info:
        apply(s, b.build())
    assert_names(info.value, "b2", "toy.general_branch cannot sit under", "gb", operation=0)


# -- fingerprint --------------------------------------------------------------------------------


def test_plan_for_another_structure_is_refused_unless_forced(s: Structure) -> None:
    other = Structure.from_records(
        s.kinds,
        units=[{"id": "b1", "kind": "toy.branch"}, {"id": "b2", "kind": "toy.branch"}],
        members=[{"id": "m1", "branch": "b1"}],
    )
    b = PlanBuilder(other, strategy=STRATEGY)
    b.move(["m1"], to="b2", reason="r")
    plan = b.build()
    assert plan.fingerprint == other.fingerprint != s.fingerprint
    with pytest.raises(PlanError) as info:
        apply(s, plan)
    assert_names(info.value, "fingerprint differs", "force")
    after = apply(s, plan, force=True)
    assert after.branch_of("m1") == "b2"
    assert apply(other, plan).branch_of("m1") == "b2"


def test_plan_without_fingerprint_applies_anywhere(s: Structure) -> None:
    plan = Plan(strategy=STRATEGY, operations=[MoveMembers(members=["m3"], to="b2", reason=Reason(code="r"))])
    assert apply(s, plan).branch_of("m3") == "b2"


def test_invalid_plan_json_names_the_field() -> None:
    with pytest.raises(UserError) as info:
        Plan.from_json('{"operations": [{"op": "move_members", "members": ["m1"], "reason": {"code": "r"}}]}')
    assert "invalid plan" in str(info.value) and "operations.0" in str(info.value)


def test_plan_with_duplicate_keys_is_invalid() -> None:
    text = PlanBuilder(strategy=STRATEGY)
    text.create_host("x", kind="toy.team", name="x", reason="r")
    text.create_host("x", kind="toy.team", name="y", reason="r")
    with pytest.raises(ValueError, match="created twice"):
        text.build()


# -- created units ------------------------------------------------------------------------------


def test_created_units_get_variant_step_key_ids_after_the_baseline(s: Structure) -> None:
    b = builder(s)
    team = b.create_host("choir", kind="toy.team", name="合唱团", parent="area", reason="r")
    branch = b.create_unit("choir_branch", kind="toy.branch", name="合唱团支部", parent="gb",
                           built_on=[team, "t2"], tags=["team"], reason="r")
    group = b.create_unit("g", kind="toy.group", name="一组", parent=branch, reason="r")
    b.move(["m1", "m6"], to=branch, group=group, reason="r")
    b.set_role(branch, role="secretary", person="m6", reason="r")
    after = apply(s, b.build(), variant="team-branches", step=3)
    n = s.n_units
    assert after.units.ids[n:].tolist() == ["team-branches/3/choir", "team-branches/3/choir_branch", "team-branches/3/g"]
    assert new_unit_id("team-branches", 3, "g") == "team-branches/3/g"
    assert [after.unit_code(u) for u in after.units.ids[n:].tolist()] == [n, n + 1, n + 2]
    assert after.units.ids[:n].tolist() == s.units.ids.tolist()
    cb = "team-branches/3/choir_branch"
    assert after.kind_of(cb) == "toy.branch" and after.parent(cb) == "gb"
    assert after.built_on(cb) == ["t2", "team-branches/3/choir"]
    assert after.unit(cb).tags == ("team",)
    assert after.member_ids_of("team-branches/3/g") == ["m1", "m6"]
    assert after.member_ids_of(cb) == ["m1", "m6"]
    assert after.roles_in(cb)[0].person == "m6"
    assert after.parent("team-branches/3/choir") == "area"
    # the same plan in another step gives other ids, never reusing the first ones
    again = apply(s, b.build(), variant="team-branches", step=4)
    assert again.units.ids[n].endswith("/4/choir")


# -- copy-on-write ------------------------------------------------------------------------------


def test_move_only_apply_shares_unit_arrays_and_edges(s: Structure) -> None:
    b = builder(s)
    b.move(["m3"], to="b2", reason="r")
    after = apply(s, b.build())
    assert after.units is s.units
    assert after.built_on_edges is s.built_on_edges
    assert after.alliance_edges is s.alliance_edges
    assert after.participation is s.participation
    assert after.members.ids is s.members.ids
    assert after.members["status"] is s.members["status"]
    assert after.members["branch"] is not s.members["branch"]
    assert not after.members["branch"].flags.writeable
    assert s.branch_of("m3") == "b1" and after.branch_of("m3") == "b2"


def test_structural_apply_shares_member_table(s: Structure) -> None:
    b = builder(s)
    b.set_attributes("b1", name="renamed", reason="r")
    after = apply(s, b.build())
    assert after.members is s.members
    assert after.units.ids is s.units.ids
    assert after.units.name is not s.units.name
    assert s.unit("b1").name == "第一支部" and after.unit("b1").name == "renamed"


def test_dissolve_removes_participation_roles_and_alliances(s: Structure) -> None:
    b = builder(s)
    b.link_alliance("b1", coordinator="b2", reason="r")
    b.add_participation(["m2"], unit="b2", reason="r")
    b.set_role("b2", role="secretary", person="m5", reason="r")
    b.add(Dissolve(unit="b2", members_to="b1", reason=Reason(code="merge")))
    after = apply(s, b.build())
    assert after.allied_with("b1") == []
    assert after.participants("b2") == []
    assert after.roles_in("b2") == []
    assert after.roles_in("b1") == s.roles_in("b1")


def test_set_role_with_a_date_on_a_role_held_without_one(s: Structure) -> None:
    """Regression: sorting roles compared ``since`` None with a date and raised TypeError."""
    b = builder(s)
    b.set_role("b1", role="secretary", person="m1", since="2024-01-01", reason="r")
    b.set_role("b1", role="deputy", person="outsider", reason="r")
    after = apply(s, b.build())
    assert Role(unit="b1", role="secretary", person="m1", since="2024-01-01") in after.roles_in("b1")
    assert Role(unit="b1", role="deputy", person="outsider") in after.roles_in("b1")
    b = builder(s)
    b.clear_role("b1", role="secretary", reason="r")
    assert apply(s, b.build()).roles_in("b1") == []


# -- the moves table ----------------------------------------------------------------------------


def test_moves_form_one_table_with_each_reason_stored_once(s: Structure) -> None:
    b = builder(s)
    b.move(["m1", "m2"], to="b2", reason=("merge", {"n": 2}))
    b.create_unit("x", kind="toy.branch", name="x", parent="gb", reason="r")
    b.move(["m5"], to="new:x", reason=("merge", {"n": 2}))
    b.move(["m6"], to="new:x", reason="other")
    plan = b.build()
    assert [op.op for op in plan.operations] == ["create_unit"]
    assert plan.moves.member.tolist() == ["m1", "m2", "m5", "m6"]
    assert plan.moves.to.tolist() == ["b2", "b2", "new:x", "new:x"]
    assert plan.moves.group.tolist() == [None] * 4
    assert plan.moves.reason.tolist() == [0, 0, 0, 1]
    assert [r.code for r in plan.reasons] == ["merge", "other"]
    assert plan.transfers()[2] == ("m5", "new:x", None, "merge")
    assert [op.op for op in plan.as_written()] == ["move_members", "create_unit", "move_members", "move_members"]
    assert [(op.to, op.members) for op in plan.move_batches()] == [("b2", ["m1", "m2"]), ("new:x", ["m5"]),
                                                                   ("new:x", ["m6"])]
    assert plan.counts() == {"create_unit": 1, "move_members": 3}
    with pytest.raises(ValueError):
        plan.moves.member[0] = "m7"


def test_version_1_plan_is_read_into_the_table(s: Structure) -> None:
    text = json.dumps({"plan_version": 1, "strategy": STRATEGY, "operations": [
        {"op": "move_members", "members": ["m1"], "to": "b2", "reason": {"code": "r"}},
        {"op": "dissolve", "unit": "b1", "members_to": "b2", "children_to": "b2", "reason": "合并"},
        {"op": "move_members", "members": ["m5"], "to": "b2", "group": "g1", "reason": {"code": "r"}}]})
    plan = Plan.from_json(text)
    assert plan.plan_version == 2 and [op.op for op in plan.operations] == ["dissolve"]
    assert plan.transfers() == [("m1", "b2", None, "r"), ("m5", "b2", "g1", "r")]
    assert len(plan.reasons) == 1
    assert json.loads(plan.to_json())["plan_version"] == 2
    assert Plan.from_json(plan.to_json()) == plan
    after = apply(s, plan)
    assert after.member_ids_of("b2") == ["m1", "m2", "m3", "m4", "m5", "m6", "m7"]
    assert after.member_ids_of("g1") == ["m5"]


def test_errors_number_operations_as_written(s: Structure) -> None:
    """A manual step's error points at its line: moves count in the numbering of operations."""
    ops = [MoveMembers(members=["m3"], to="b2", reason=Reason(code="r")),
           MoveMembers(members=["m4"], to="b2", reason=Reason(code="r")),
           Dissolve(unit="nowhere", reason=Reason(code="r"))]
    with pytest.raises(PlanError) as info:
        apply(s, Plan(strategy=STRATEGY, operations=ops))
    assert_names(info.value, "unknown unit 'nowhere'", operation=2)
    ops[1] = MoveMembers(members=["ghost"], to="b2", reason=Reason(code="r"))
    ops[2] = Dissolve(unit="b2", members_to="b1", reason=Reason(code="r"))
    with pytest.raises(PlanError) as info:
        apply(s, Plan(strategy=STRATEGY, operations=ops))
    assert_names(info.value, "unknown member 'ghost'", operation=1)


def test_errors_in_a_version_2_table_name_the_row(s: Structure) -> None:
    b = builder(s)
    b.move(["m3"], to="b2", reason="r")
    b.move(["m4"], to="nowhere", reason="r")
    plan = Plan.from_json(b.build().to_json())
    with pytest.raises(PlanError) as info:
        apply(s, plan)
    assert "unknown unit 'nowhere'" in str(info.value) and "moves row 1" in str(info.value)
    assert info.value.operation is None


@pytest.mark.parametrize(("moves", "words"), [
    ({"member": ["m1"], "to": ["b2"], "reason": [3]}, ["moves.reason[0]", "not an index into reasons"]),
    ({"member": ["m1", "m2"], "to": ["b2"], "reason": [0, 0]}, ["moves", "differ in length"]),
    ({"member": ["m1"], "to": [None], "reason": [0]}, ["moves.to[0]", "no destination"]),
    ({"member": [1], "to": ["b2"], "reason": [0]}, ["moves.member", "expected text"]),
    ({"member": ["m1"], "to": ["b2"], "reason": [0], "extra": [1]}, ["unknown column 'extra'"]),
    ({"file": "p.moves.parquet", "rows": 1}, ["Plan.load"]),
])
def test_bad_moves_table_is_one_clear_error(moves: dict, words: list[str]) -> None:
    text = json.dumps({"reasons": [{"code": "r"}], "moves": moves})
    with pytest.raises(UserError) as info:
        Plan.from_json(text)
    message = str(info.value)
    assert message.startswith("invalid plan") and "\n" not in message
    for word in words:
        assert word in message, message


def test_large_plans_keep_their_moves_in_parquet_beside_the_json(s: Structure, tmp_path: Path) -> None:
    b = builder(s)
    b.move(["m1", "m2"], to="b2", reason="r")
    b.move(["m5"], to="b1", group="g1", reason=("why", {"n": 1}))
    plan = b.build()
    path = tmp_path / "plan.json"
    assert plan.save(path) is None  # small: inline
    assert json.loads(path.read_text(encoding="utf-8"))["moves"]["member"] == ["m1", "m2", "m5"]
    sidecar = plan.save(path, inline_rows=2)
    assert sidecar == tmp_path / "plan.moves.parquet" and moves_sidecar(path) == sidecar
    ref = json.loads(path.read_text(encoding="utf-8"))["moves"]
    assert ref["file"] == "plan.moves.parquet" and ref["rows"] == 3 and ref["sha256"].startswith("sha256:")
    again = Plan.load(path)
    assert again == plan
    assert apply(s, again).fingerprint == apply(s, plan).fingerprint
    with pytest.raises(UserError, match="Plan.load"):
        Plan.from_json(path.read_text(encoding="utf-8"))
    # a moves file that does not belong to the JSON is refused, naming it
    other = builder(s)
    other.move(["m3", "m4", "m1"], to="b2", reason="r")
    other.build().save(tmp_path / "other.json", inline_rows=0)
    sidecar.write_bytes((tmp_path / "other.moves.parquet").read_bytes())
    with pytest.raises(UserError, match="plan.moves.parquet: does not match plan.json"):
        Plan.load(path)
    sidecar.unlink()
    with pytest.raises(UserError, match="plan.moves.parquet is missing"):
        Plan.load(path)
    # saving small again writes inline and removes the stale moves file
    plan.save(path, inline_rows=2)
    plan.save(path)
    assert not sidecar.exists() and Plan.load(path) == plan


# -- member columns -----------------------------------------------------------------------------


def test_member_columns_are_a_read_only_mapping_shared_copy_on_write(s: Structure) -> None:
    b = builder(s)
    b.set_attributes("b1", name="renamed", reason="r")
    renamed = apply(s, b.build())  # shares the member table with the baseline
    b = builder(s)
    b.move(["m3"], to="b2", reason="r")
    moved = apply(s, b.build())  # shares every column but branch and group
    for structure in (s, renamed, moved):
        with pytest.raises(TypeError):
            structure.members.columns["status"] = np.zeros(s.n_members, dtype=np.int8)  # type: ignore[index]
        with pytest.raises(ValueError, match="read-only"):
            structure.members["status"][0] = 1
        with pytest.raises(ValueError, match="read-only"):
            structure.column("branch")[0] = 0
        with pytest.raises(AttributeError):
            structure.members.columns.pop("status")  # type: ignore[attr-defined]
    assert moved.members["status"] is s.members["status"]
    # replacing a column makes a new table: the baseline and the variants keep theirs
    was = s.members["retired"].copy()
    retired = np.ones(s.n_members, dtype=bool)
    table = moved.members.with_columns({"retired": retired})
    assert table["retired"].all() and table["branch"] is moved.members["branch"]
    assert (moved.members["retired"] == was).all() and (s.members["retired"] == was).all()
    retired[:] = False  # the caller's array stays the caller's: the table holds its own read-only copy
    assert table["retired"].all() and not table["retired"].flags.writeable
    with pytest.raises(ValueError, match="rows"):
        s.members.with_columns({"retired": np.ones(2, dtype=bool)})


def test_a_manual_step_error_after_moves_names_its_yaml_line(tmp_path: Path) -> None:
    """Moves leave the operations list, but a manual step's errors still point at the right line."""
    from orgmodel.plugin.hookspecs import hookimpl
    from orgmodel.plugin.host import PluginHost
    from orgmodel.run.engine import Engine, load_scenario
    from orgmodel.testing_data import TOY_PACK

    class Toy:
        @hookimpl
        def register_unit_kinds(register):  # noqa: N805
            register(TOY_PACK)

    path = tmp_path / "s.yaml"
    path.write_text("""\
name: demo
domain: toy
baseline:
  units: [{id: b1, kind: toy.branch}, {id: b2, kind: toy.branch}]
  members: [{id: m1, branch: b1}, {id: m2, branch: b2}]
variants:
  - name: v
    steps:
      - operations:
          - {op: move_members, members: [m1], to: b2, reason: 调整}
          - {op: move_members, members: [m2], to: b1, reason: 调整}
          - {op: dissolve, unit: nowhere, reason: 合并}
""", encoding="utf-8")
    engine = Engine(PluginHost({"toy": Toy}, autoload=False))
    with pytest.raises(UserError) as info:
        engine.run(load_scenario(path))
    assert "s.yaml:12" in str(info.value) and "unknown unit 'nowhere'" in str(info.value)
