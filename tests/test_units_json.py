"""units.json is written from the unit table's columns: each row is the text json.dumps gives its dict."""

from __future__ import annotations

import dataclasses
import json

import numpy as np


def test_each_line_is_json_dumps_of_the_row_dict() -> None:
    from orgmodel.model.apply import apply
    from orgmodel.model.plan import PlanBuilder
    from orgmodel.run.changes import variant_tables
    from orgmodel.run.tables import unit_lines, unit_rows
    from orgmodel.testing_data import tiny_structure

    s = tiny_structure()
    b = PlanBuilder(s, strategy="merge")
    b.dissolve("b2", members_to="b1", reason="合并 \"引号\" 与 \\ 反斜杠\n换行")
    after = apply(s, b.build(), variant="v", step=0)
    t, _ = variant_tables(s, after, [b.build()])
    n = len(t)
    odd = dataclasses.replace(
        t,
        name=np.array([f"名\t{i} \u2028 \"x\"" for i in range(n)], dtype=object),
        tags=tuple(("甲", "b\"") if i % 2 else () for i in range(n)),
        alliances=(np.array([0, 0, 3], dtype=np.int64), np.array([3, 4, 0], dtype=np.int64)),
        roles=tuple(((f"role{i}", "p\\1"), ("书记", "p2")) if i % 3 == 0 else () for i in range(n)),
        reasons=t.reasons[:-1] + ({"zh": "无编码", "code": "x", "en": "e", "extra": 1},),
    )
    for table in (t, odd):
        rows = unit_rows(table)
        assert any(r["reason"] for r in rows)
        assert unit_lines(table) == [json.dumps(r, ensure_ascii=False) for r in rows]
