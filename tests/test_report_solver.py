"""The report's solver record is read from a plan's meta, or from the params of a plan written before meta."""

from __future__ import annotations

from orgmodel.report.solver import solver_record, status_text


def test_the_record_comes_from_meta() -> None:
    plan = {"params": {"time_limit": 5}, "meta": {"solver": {"version": 1, "status": "optimal", "gap": 0.0,
                                                              "terms": {"moved": {"value": 3, "weight": 1.0}}}}}
    assert solver_record(plan)["terms"]["moved"]["value"] == 3


def test_an_older_plan_kept_it_in_params() -> None:
    plan = {"params": {"solver": {"status": "feasible", "gap": 0.004},
                       "objective": {"moved": {"value": 7, "weight": 1.0}}}}
    record = solver_record(plan)
    assert record["status"] == "feasible" and record["terms"]["moved"]["value"] == 7


def test_a_plan_without_a_solver_has_no_record() -> None:
    assert solver_record({"params": {"by": "building"}, "meta": {}}) is None


def test_status_in_words() -> None:
    assert status_text("feasible", 0.0123, "zh") == "可行解（与下界差距1.23%）"
    assert status_text("infeasible", None, "en") == "infeasible"
    assert status_text("optimal", 0.0, "zh") == "最优（已证明）"
