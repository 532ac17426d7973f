"""Plan.meta: the strategy's own record, versioned, kept through JSON and files; old plans still load."""

from __future__ import annotations

import json
from pathlib import Path

from orgmodel.model.plan import MOVES_INLINE_ROWS, Plan, PlanBuilder

RECORD = {"version": 1, "status": "feasible", "gap": 0.004, "objective": 251.0, "bound": 250.0,
          "terms": {"moved": {"value": 240.0, "weight": 1.0}, "founded": {"value": 5.5, "weight": 2.0}}}


def _plan(n_moves: int = 2) -> Plan:
    b = PlanBuilder(strategy="optimise")
    b.move([f"m{i}" for i in range(n_moves)], to="b2", reason=("why", {"n": n_moves}))
    b.meta["solver"] = RECORD
    return b.build()


def test_meta_round_trips_through_json() -> None:
    plan = _plan()
    again = Plan.from_json(plan.to_json())
    assert again.meta == {"solver": RECORD}
    assert again == plan


def test_meta_round_trips_through_files_with_a_moves_sidecar(tmp_path: Path) -> None:
    plan = _plan(MOVES_INLINE_ROWS + 1)
    assert plan.save(tmp_path / "plan.json") is not None  # the moves went to Parquet, meta stays in the JSON
    assert json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))["meta"]["solver"]["gap"] == 0.004
    assert Plan.load(tmp_path / "plan.json").meta == {"solver": RECORD}


def test_a_plan_written_before_meta_still_loads(tmp_path: Path) -> None:
    data = json.loads(_plan().to_json())
    del data["meta"]
    (tmp_path / "old.json").write_text(json.dumps(data), encoding="utf-8")
    old = Plan.load(tmp_path / "old.json")
    assert old.meta == {}
    assert len(old.moves) == 2


def test_a_record_must_be_an_object() -> None:
    import pytest

    from orgmodel import UserError

    data = json.loads(_plan().to_json())
    data["meta"] = {"solver": "optimal"}
    with pytest.raises(UserError, match="meta"):
        Plan.from_json(json.dumps(data))
