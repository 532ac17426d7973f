"""The core's rule machinery on its neutral toy pack: quantities that take their parameters from
the rule (roles, member columns, unit attributes, separate units), subjects that walk up the
hierarchy, kinds checked when a pack meets a domain, and the rule book's office query.

The party rule pack and the regulations are tested in the party plugin (plugins/orgmodel-party).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from orgmodel import RuleBook
from orgmodel.analysis.rules import QUANTITIES, QUANTITY_NEEDS, Rule, RulePack, Subject, check_rules
from orgmodel.errors import UserError
from orgmodel.model.structure import Structure
from orgmodel.testing_data import tiny_structure, toy_kinds


def rule(quantity: str, **kw: Any) -> Rule:
    if "min" not in kw:
        kw.setdefault("max", 0)
    return Rule(id=kw.pop("id", "r"), title_zh="", title_en="", severity="warning", quantity=quantity, source="s", **kw)


def values(s: Structure, r: Rule, **kw: Any) -> dict[str | None, float | None]:
    return {f.unit: f.value for f in check_rules(s, [RulePack(name="p", domain="toy", rules=[r])], **kw)}


def test_role_quantities_take_their_roles_from_the_rule() -> None:
    s = tiny_structure()  # m1 is the secretary of b1
    assert values(s, rule("role_holders", roles=["secretary"], subject=Subject(kinds=["toy.branch"]), min=1)) == {"b2": 0.0}
    assert values(s, rule("role_holders", roles=["chair"], subject=Subject(kinds=["toy.branch"]), min=1)) == {
        "b1": 0.0, "b2": 0.0}
    assert values(s, rule("full_role_holders", roles=["secretary"], subject=Subject(kinds=["toy.branch"]), min=1)) == {
        "b2": 0.0}
    assert values(s, rule("role_holders_not_full", roles=["secretary"], subject=Subject(kinds=["toy.branch"]))) == {}


def test_a_probationary_office_holder_is_counted_apart() -> None:
    base = tiny_structure()
    s = Structure.from_records(toy_kinds(), units=[{"id": u.id, "kind": u.kind, "name": u.name, "parent": u.parent,
                                                    "built_on": list(base.built_on(u.id))} for u in map(base.unit, base.unit_ids())],
                               members=[{"id": "m1", "branch": "b1", "status": "full"},
                                        {"id": "m4", "branch": "b1", "status": "probationary"}],
                               roles=[{"unit": "b1", "role": "secretary", "person": "m4"},
                                      {"unit": "b1", "role": "chair", "person": "m1"}])
    assert values(s, rule("role_holders_not_full", roles=["secretary", "chair"], subject=Subject(kinds=["toy.branch"]))) == {
        "b1": 1.0}
    assert values(s, rule("full_role_holders", roles=["secretary", "chair"], subject=Subject(kinds=["toy.branch"]), min=2)) == {
        "b1": 1.0, "b2": 0.0}


def test_member_column_quantity_takes_column_and_threshold_from_the_rule() -> None:
    base = tiny_structure()
    s = Structure.from_records(toy_kinds(), units=[{"id": "a", "kind": "toy.area", "name": "区"},
                                                   {"id": "b", "kind": "toy.branch", "name": "支部", "built_on": ["a"]}],
                               members=[{"id": f"m{i}", "branch": "b", "status": "full", "months_off": i} for i in range(6)])
    assert values(s, rule("members_at_least", column="months_off", at_least=4)) == {"b": 2.0}
    assert values(s, rule("members_at_least", column="months_off", at_least=5)) == {"b": 1.0}
    missing = values(base, rule("members_at_least", column="months_off", at_least=4))
    assert missing == {None: None}  # not checked: data missing, never a pass


@pytest.mark.parametrize("quantity", sorted(QUANTITY_NEEDS))
def test_a_quantity_without_its_parameters_is_refused(quantity: str) -> None:
    with pytest.raises(ValueError, match=f"quantity '{quantity}' needs the field"):
        rule(quantity)


def test_every_quantity_has_a_description_and_unknown_ones_get_the_nearest() -> None:
    assert all(QUANTITIES.values())
    with pytest.raises(ValueError, match="did you mean 'members'"):
        rule("membres")


def test_units_covered_takes_hosts_to_the_separate_units_they_are_part_of() -> None:
    s = tiny_structure()  # b2 is built on teams t1, t2, both part of the area
    assert values(s, rule("units_covered", unit_kinds=["toy.area"], subject=Subject(kinds=["toy.branch"]), max=0)) == {
        "b1": 1.0, "b2": 1.0}
    assert values(s, rule("units_covered", unit_kinds=["toy.team"], subject=Subject(kinds=["toy.branch"]), max=1)) == {
        "b2": 2.0}


def test_within_walks_up_from_a_unit_without_hosts() -> None:
    s = Structure.from_records(toy_kinds(), units=[
        {"id": "a", "kind": "toy.area", "name": "区"}, {"id": "t", "kind": "toy.team", "name": "队", "parent": "a"},
        {"id": "c", "kind": "toy.committee", "name": "委员会", "built_on": ["a"]},
        {"id": "g", "kind": "toy.general_branch", "name": "总支", "parent": "c"},
        {"id": "b1", "kind": "toy.branch", "name": "一支部", "parent": "g"},
        {"id": "b2", "kind": "toy.branch", "name": "二支部", "parent": "g", "built_on": ["t"]}],
        members=[{"id": "m", "branch": "b1", "status": "full"}])
    r = rule("members", subject=Subject(kinds=["toy.branch", "toy.general_branch"], within_kinds=["toy.area"]), max=-1)
    assert set(values(s, r)) == {"g", "b1", "b2"}
    stopped = rule("members", subject=Subject(kinds=["toy.branch"], within_kinds=["toy.area"], within_stop=["toy.team"]),
                   max=-1)
    assert set(values(s, stopped)) == {"b1"}  # b2's team is its own unit: the walk stops there


def test_a_misspelt_kind_is_an_error_naming_pack_rule_and_nearest_kind() -> None:
    pack = RulePack(name="demo", domain="toy", rules=[rule("members", id="x", subject=Subject(kinds=["toy.brnach"]))])
    with pytest.raises(UserError, match=r"^rule pack demo: rule x: subject.kinds: unknown kind 'toy.brnach' "
                                        r"\(did you mean 'toy.branch'\?\)$"):
        check_rules(tiny_structure(), [pack])
    bad_units = RulePack(name="demo", domain="toy", rules=[rule("units_covered", id="y", unit_kinds=["toy.aera"])])
    with pytest.raises(UserError, match="rule y: unit_kinds: unknown kind 'toy.aera'"):
        check_rules(tiny_structure(), [bad_units])


def test_may_hold_follows_the_office_rule() -> None:
    s = tiny_structure()
    codes = s.member_codes(["m1", "m4", "m7"])
    office = rule("role_holders_not_full", id="office", roles=["secretary", "chair"])
    book = RuleBook([RulePack(name="p", domain="toy", rules=[office])])
    assert book.full_only_roles() == ("chair", "secretary")
    assert book.may_hold(s, "chair", codes).tolist() == [True, False, True]
    assert book.may_hold(s, "group_leader", codes).tolist() == [True, True, True]
    assert RuleBook([RulePack(name="p", domain="toy", rules=[office])], disable=["office"]).may_hold(
        s, "chair", codes).dtype == np.bool_


def test_approvers_name_who_approves_a_unit_from_rule_data() -> None:
    from orgmodel.analysis.rules import approvers

    s = tiny_structure()
    gb_rule = rule("members_subtree", id="gb.size", subject=Subject(kinds=["toy.general_branch"]), min=50,
                   approvable=True, approver_zh="上级", approver_en="the unit above")
    plain = rule("members", id="b.size", subject=Subject(kinds=["toy.branch"]), max=50)
    got = approvers(s, [RulePack(name="p", domain="toy", rules=[gb_rule, plain])], ["gb", "b1", "nope"])
    assert got == {"gb": [{"rule": "gb.size", "approver_zh": "上级", "approver_en": "the unit above"}], "b1": []}
    assert approvers(s, [RulePack(name="p", domain="toy", rules=[gb_rule])], ["gb"], disable=["gb.size"]) == {"gb": []}
