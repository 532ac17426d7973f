"""The builder's cheap paths keep the semantics of the validated ones.

Reasons of the moves table are stored once, by their JSON: a code with plain parameters is found
by a cheaper key that must agree with the JSON exactly (1, 1.0 and True differ; the order of
parameters does not matter), whatever order plain and other reasons come in.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from orgmodel.model.plan import CreateUnit, MoveMembers, Plan, PlanBuilder, Reason, _reason_key, _ReasonIndex, as_reason


def json_dedup(reasons: list[Reason]) -> tuple[list[Reason], list[int]]:
    """What storing each reason once by its JSON gives: the reasons kept and each one's index."""
    kept: list[Reason] = []
    first: dict[str, int] = {}
    indexes = []
    for r in reasons:
        key = json.dumps(r.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        if key not in first:
            first[key] = len(kept)
            kept.append(r)
        indexes.append(first[key])
    return kept, indexes


PARAMS = [{"n": 1}, {"n": 1.0}, {"n": True}, {"n": 1}, {"n": 0.0}, {"n": -0.0}, {"n": math.nan}, {"n": float("nan")},
          {"n": None}, {"n": "1"}, {"a": 1, "b": "x"}, {"b": "x", "a": 1}, {}, {"n": 2**70}, {"n": 2**70}]


def test_plain_reasons_are_one_exactly_when_their_json_is() -> None:
    b = PlanBuilder()
    for i, params in enumerate(PARAMS):
        b.move([f"m{i}"], to="b1", reason=("r", params))
    plan = b.build()
    expected, indexes = json_dedup([Reason(code="r", params=p) for p in PARAMS])
    assert [_reason_key(r) for r in plan.reasons] == [_reason_key(r) for r in expected]
    assert plan.moves.reason.tolist() == indexes


@pytest.mark.parametrize("order", [0, 1, 2])
def test_plain_and_other_reasons_mixed_keep_the_json_semantics(order: int) -> None:
    others = [Reason(code="r", params={"n": 1}, text="why"), Reason(code="r", params={"n": np.str_("x")}),
              Reason(code="r", params={"n": "x"}), "r", ("r", {})]
    plain = [("r", p) for p in PARAMS]
    calls = [*others, *plain] if order == 0 else [*plain, *others] if order == 1 else [
        c for pair in zip(plain, others * 3) for c in pair]
    b = PlanBuilder()
    for i, reason in enumerate(calls):
        b.move([f"m{i}"], to="b1", reason=reason)
    plan = b.build()
    expected, indexes = json_dedup([as_reason(c) for c in calls])
    assert [_reason_key(r) for r in plan.reasons] == [_reason_key(r) for r in expected]
    assert plan.moves.reason.tolist() == indexes


def test_a_reasons_list_that_holds_a_reason_twice_points_at_the_first() -> None:
    index = _ReasonIndex([Reason(code="r", params={"n": 1}), Reason(code="r", params={"n": 1})])
    assert index.index_pair("r", {"n": 1}) == 0
    assert index.index(Reason(code="r", params={"n": 1.0})) == 2


def test_move_operations_in_a_plan_share_reasons_like_builder_moves() -> None:
    ops = [MoveMembers(members=[f"m{i}"], to="b1", reason=Reason(code="r", params=p)) for i, p in enumerate(PARAMS)]
    plan = Plan(operations=ops)
    b = PlanBuilder()
    for i, p in enumerate(PARAMS):
        b.move([f"m{i}"], to="b1", reason=("r", p))
    assert plan.reasons == b.build().reasons
    assert plan.moves == b.build().moves


def test_a_bad_destination_adds_no_reason() -> None:
    b = PlanBuilder()
    with pytest.raises(ValueError, match="destination"):
        b.move(["m1"], to="", reason=("r", {"n": 1}))
    b.move(["m1"], to="b1", reason=("q", {}))
    assert [r.code for r in b.build().reasons] == ["q"]


def test_a_move_keeps_its_own_copy_of_the_parameters() -> None:
    b = PlanBuilder()
    params = {"n": 1}
    b.move(["m1"], to="b1", reason=("r", params))
    params["n"] = 2
    b.move(["m2"], to="b1", reason=("r", params))
    assert [r.params for r in b.build().reasons] == [{"n": 1}, {"n": 2}]


def test_rows_refuse_what_validation_refuses_and_convert_what_it_converts() -> None:
    fields = dict(key=np.str_("c"), kind="toy.branch", name=np.str_("C"), parent="b1", built_on=[np.str_("t1")],
                  tags=["x"], attrs={"n": np.int64(3)})
    b = PlanBuilder()
    b.create_unit(**fields, reason=("r", {"n": np.int64(1)}))
    op = b.build().operations[0]
    validated = CreateUnit(**fields, reason=Reason(code="r", params={"n": np.int64(1)}))
    assert op == validated and op.model_dump() == validated.model_dump() and type(op.key) is str
    with pytest.raises(ValueError):
        PlanBuilder().set_role("b1", role="secretary", person=3, reason="r")
    with pytest.raises(ValueError):
        PlanBuilder().dissolve("b1", members_to=["b2"], reason="r")
    with pytest.raises(ValueError):
        PlanBuilder().create_unit("c", kind="toy.branch", name="C", reason=("", {}))
