"""A plan's operations kept as rows and in a Parquet file, and applied in bulk.

The builder keeps common operations as rows and builds objects only when read; a large plan
saves its operations to ``NAME.operations.parquet``; ``apply`` runs creates and role operations
in bulk and, for a plan with an error, names the same operation as running it in order would.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orgmodel.errors import PlanError, UserError
from orgmodel.model.apply import apply
from orgmodel.model.plan import (
    Attach,
    ClearRole,
    CreateUnit,
    Plan,
    PlanBuilder,
    Reason,
    SetRole,
    operations_sidecar,
)
from orgmodel.model.structure import Structure
from orgmodel.testing_data import tiny_structure

STRATEGY = "rows"


@pytest.fixture
def s() -> Structure:
    return tiny_structure()


def busy_plan(s: Structure) -> Plan:
    """A plan with every kind of operation, parameters of every type and reasons with text."""
    b = PlanBuilder(s, strategy=STRATEGY, templates={"why": {"en": "{n}"}})
    team = b.create_host("choir", kind="toy.team", name="合唱队", parent="area", tags=["new"],
                         reason=("why", {"n": 1, "share": 0.5, "ok": True, "none": None, "who": "甲"}))
    unit = b.create_unit("c", kind="toy.branch", name="C", parent="gb", built_on=[team, "t1"],
                         attrs={"floor": 3, "x": 1.5, "flag": False, "note": None}, reason=("why", {"n": "two"}))
    b.retype("b2", kind="toy.branch", name="联合支部二", reason="upgrade")
    b.attach("t2", parent=team, reason=Reason(code="manual", text="by hand"))
    b.set_attributes("b1", name="一支部", tags=["x"], reason=("why", {"n": 2}))
    b.link_alliance("b1", coordinator="b2", reason="ally")
    b.add_participation(["m1", "m2"], unit="t2", reason="join")
    b.remove_participation(["m1"], unit="t2", reason="leave")
    b.set_role(unit, role="secretary", person="m3", since="2024-06-30", reason=("why", {"n": 3}))
    b.clear_role("b1", role="secretary", reason="clear")
    b.set_role("b1", role="secretary", person="m2", reason="set")
    b.dissolve("b2", members_to="b1", reason=("why", {"n": 10**12}))
    b.move(["m1"], to=unit, reason="move")
    return b.build()


def test_rows_become_the_objects_validation_gives(s: Structure) -> None:
    plan = busy_plan(s)
    assert plan.counts()["create_unit"] == 1 and len(plan.operations) == 12
    ops = plan.operations
    assert ops[1] == CreateUnit(key="c", kind="toy.branch", name="C", parent="gb", built_on=["new:choir", "t1"],
                                attrs={"floor": 3, "x": 1.5, "flag": False, "note": None},
                                reason=Reason(code="why", params={"n": "two"}))
    assert ops[3] == Attach(unit="t2", parent="new:choir", reason="by hand")
    assert ops[9] == ClearRole(unit="b1", role="secretary", reason=Reason(code="clear"))
    assert Plan.from_json(plan.to_json()) == plan


def test_a_large_plan_keeps_its_operations_in_parquet(s: Structure, tmp_path: Path) -> None:
    plan = busy_plan(s)
    path = tmp_path / "plan.json"
    plan.save(path)
    assert "file" not in json.loads(path.read_text(encoding="utf-8"))["operations"]
    assert not operations_sidecar(path).exists()
    plan.save(path, inline_rows=3)
    ref = json.loads(path.read_text(encoding="utf-8"))["operations"]
    assert ref["file"] == "plan.operations.parquet" and ref["rows"] == 12 and ref["sha256"].startswith("sha256:")
    again = Plan.load(path)
    assert apply(s, again).fingerprint == apply(s, plan).fingerprint  # applied from the table, no objects built
    assert again == plan and again.to_json() == plan.to_json()  # every value with its type (3 stays 3, 1.5 stays 1.5)
    assert again.operations[0].reason.params == {"n": 1, "share": 0.5, "ok": True, "none": None, "who": "甲"}
    assert [type(v) for v in again.operations[1].attrs.values()] == [int, float, bool, type(None)]
    # saved again, small: inline, and the operations file is gone
    again.save(path)
    assert not operations_sidecar(path).exists() and Plan.load(path) == plan


def test_an_operations_file_that_does_not_belong_is_refused(s: Structure, tmp_path: Path) -> None:
    plan = busy_plan(s)
    path = tmp_path / "plan.json"
    plan.save(path, inline_rows=3)
    other = PlanBuilder(s)
    for i in range(5):
        other.set_role("b1", role=f"r{i}", person="m1", reason="r")
    other.build().save(tmp_path / "other.json", inline_rows=3)
    operations_sidecar(path).write_bytes(operations_sidecar(tmp_path / "other.json").read_bytes())
    with pytest.raises(UserError, match="plan.operations.parquet: does not match plan.json"):
        Plan.load(path)
    operations_sidecar(path).unlink()
    with pytest.raises(UserError, match="plan.operations.parquet is missing"):
        Plan.load(path)


def test_a_duplicate_key_in_an_operations_file_is_refused(s: Structure, tmp_path: Path) -> None:
    b = PlanBuilder(s)
    b.create_host("x", kind="toy.team", name="x", reason="r")
    b.create_host("y", kind="toy.team", name="y", reason="r")
    path = tmp_path / "plan.json"
    b.build().save(path, inline_rows=1)
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(operations_sidecar(path))
    table = table.set_column(table.column_names.index("key"), "key", pa.array(["x", "x"]))
    pq.write_table(table, operations_sidecar(path))
    data = json.loads(path.read_text(encoding="utf-8"))
    data["operations"].pop("sha256")
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(UserError, match="operation 1: key 'x' is created twice"):
        Plan.load(path)


def in_order_error(s: Structure, plan: Plan) -> PlanError:
    with pytest.raises(PlanError) as info:
        apply(s, plan)
    return info.value


def test_a_role_in_a_unit_dissolved_earlier_names_the_role_operation(s: Structure) -> None:
    b = PlanBuilder(s, strategy=STRATEGY)
    b.set_role("b2", role="secretary", person="m5", reason="r")  # before the dissolve: fine
    b.dissolve("b2", members_to="b1", reason="r")
    b.set_role("b2", role="deputy", person="m6", reason="r")
    err = in_order_error(s, b.build())
    assert err.operation == 2 and "unit b2 is dissolved" in str(err)


def test_a_create_under_a_unit_dissolved_earlier_names_the_create(s: Structure) -> None:
    b = PlanBuilder(s, strategy=STRATEGY)
    b.dissolve("b2", members_to="b1", reason="r")
    b.create_unit("c", kind="toy.group", name="C", parent="b2", reason="r")
    err = in_order_error(s, b.build())
    assert err.operation == 1 and "unit b2 is dissolved" in str(err)


def test_a_reference_to_a_unit_created_later_names_the_first_use(s: Structure) -> None:
    b = PlanBuilder(s, strategy=STRATEGY)
    b.set_role("b1", role="deputy", person="m2", reason="r")
    b.set_role("new:c", role="secretary", person="m1", reason="r")
    b.create_unit("c", kind="toy.branch", name="C", parent="gb", reason="r")
    err = in_order_error(s, b.build())
    assert err.operation == 1 and "new:c is not created earlier" in str(err)


def test_roles_set_and_cleared_in_order(s: Structure) -> None:
    b = PlanBuilder(s, strategy=STRATEGY)
    b.set_role("b1", role="deputy", person="m2", reason="r")
    b.clear_role("b1", role="deputy", reason="r")
    b.set_role("b1", role="deputy", person="m3", reason="r")
    b.set_role("b1", role="secretary", person="m1", since="2024-01-01", reason="r")
    b.set_role("b1", role="secretary", person="m1", since="2024-02-01", reason="r")
    after = apply(s, b.build())
    assert [(r.role, r.person, r.since) for r in after.roles_in("b1")] == [
        ("deputy", "m3", None), ("secretary", "m1", "2024-02-01")]
    objects = Plan(operations=[SetRole(unit="b1", role="deputy", person="m4", reason="r"),
                               ClearRole(unit="b1", role="secretary", reason="r")])
    assert [(r.role, r.person) for r in apply(s, objects).roles_in("b1")] == [("deputy", "m4")]


def test_a_plan_loaded_from_its_operations_file_equals_the_plan_never_read(s: Structure, tmp_path: Path) -> None:
    """Neither plan's operations were built as objects before the comparison (both still rows or a table)."""
    path = tmp_path / "plan.json"
    busy_plan(s).save(path, inline_rows=3)
    assert Plan.load(path) == busy_plan(s) and busy_plan(s) == Plan.load(path)
    assert Plan.load(path) != busy_plan(tiny_structure()).model_copy(update={"strategy": "other"})
