"""What a variant changed, and why: the one place changes and member flows are computed.

Evaluation calls :func:`variant_tables` once per variant: the variant's unit table with the
reason of the operation that created, dissolved or retyped each unit, and its assignment with
the reason of the operation that moved each member. :func:`changes_between` compares any two
such stored tables (a variant against the baseline during evaluation, or two variants in
``orgmodel compare``) and returns the changes with their reasons:

- ``created``, ``dissolved``: organisation units live in one and not in the other;
- ``retyped`` (kind changed), ``reparented`` (parent changed), ``renamed``, ``resized`` (members
  in the unit and below it changed): units live in both;
- ``flows``: members whose branch changed, from branch to branch, with counts and reasons
  (operations with the same sentence are one reason in ``batches``);
- ``members_moved``: the sum of the flows.

>>> from orgmodel.testing_data import tiny_structure
>>> from orgmodel.model.plan import PlanBuilder
>>> from orgmodel.model.apply import apply
>>> s = tiny_structure()
>>> b = PlanBuilder(s, strategy="merge")
>>> b.dissolve("b2", members_to="b1", reason="too_small")
>>> plan = b.build()
>>> after = apply(s, plan, variant="v", step=0)
>>> ch = changes_between(*variant_tables(s, s, []), *variant_tables(s, after, [plan]))
>>> [(f["from"], f["to"], f["count"], f["reasons"][0]["code"]) for f in ch["flows"]]
[('b2', 'b1', 3, 'too_small')]
>>> [u["id"] for u in ch["dissolved"]], ch["members_moved"]
(['b2'], 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from orgmodel.model.plan import Plan
from orgmodel.model.structure import Structure
from orgmodel.run.tables import Assignment, Reason, UnitTable, assignment_of, unit_table

__all__ = ["variant_tables", "unit_reasons", "member_reasons", "changes_between", "empty_changes",
           "KEPT", "NOT_MADE", "UNEXPLAINED"]

#: Reason of a change against another variant that this variant did not make itself.
KEPT: Reason = {"code": "as_baseline", "zh": "保持现状（本方案未作此调整）",
                "en": "as in the baseline (this variant does not make this change)"}
#: Reason of a unit another variant created and this one did not.
NOT_MADE: Reason = {"code": "not_created", "zh": "本方案未设立该组织", "en": "this variant does not found this unit"}
#: Reason of a member move no operation explains.
UNEXPLAINED: Reason = {"code": "unexplained", "zh": "", "en": ""}

_UNIT_OPS = ("create_unit", "create_host", "dissolve", "retype")


def _render(op: Any, plan: Plan) -> dict[str, str]:
    return {"code": op.reason.code, "zh": op.reason.render("zh", plan.templates),
            "en": op.reason.render("en", plan.templates)}


def unit_reasons(plans: Sequence[Plan], after: Structure, n_before: int) -> dict[str, dict[str, str]]:
    """Reason of the operation that created, dissolved or retyped each unit (by final id).

    Created units have ids ``variant/step/key`` (see :func:`orgmodel.model.apply.new_unit_id`), and a
    variant's plans are its steps in order; a later step's reason wins.
    """
    out: dict[str, dict[str, str]] = {}
    created: dict[tuple[str, str], str] = {}
    for uid in after.units.ids[n_before:].tolist():
        parts = str(uid).split("/", 2)
        if len(parts) == 3:
            created[(parts[1], parts[2])] = str(uid)
    for step, plan in enumerate(plans):
        for op in plan.operations:
            target = getattr(op, "unit", None)
            if op.op in ("create_unit", "create_host"):
                target = created.get((str(step), op.key))
            if target and op.op in _UNIT_OPS:
                out[target] = _render(op, plan)
    return out


def member_reasons(before: Structure, after: Structure, plans: Sequence[Plan]) -> tuple[np.ndarray, ...]:
    """Per member row of ``after``: (batch number, reason code, zh, en) of what moved the member
    from its branch in ``before``: its row of a plan's moves table, else the dissolve of the unit
    it was in (a later step wins); -1 and None for members not moved.

    Batch numbers count, step by step, each plan's dissolve operations and then its move batches
    (rows with one destination, group and reason: :meth:`~orgmodel.model.plan.MoveTable.batch_codes`),
    so members one batch moved share one number.
    """
    n = len(after.members.ids)
    op_col = np.full(n, -1, dtype=np.int64)
    code, zh, en = (np.full(n, None, dtype=object) for _ in range(3))
    active = np.asarray(after.members["active"] & before.members["active"], dtype=bool)
    src = np.asarray(before.members["branch"], dtype=np.int64)
    dst = np.asarray(after.members["branch"], dtype=np.int64)
    moved = np.flatnonzero(active & (src != dst))
    if not len(moved):
        return op_col, code, zh, en
    by_unit: dict[str, int] = {}
    texts: list[dict[str, str]] = []
    row_members: list[np.ndarray] = []
    row_batches: list[np.ndarray] = []
    for plan in plans:
        for op in plan.operations:
            if op.op == "dissolve":
                texts.append(_render(op, plan))
                by_unit[op.unit] = len(texts) - 1
        batch, first = plan.moves.batch_codes()
        rendered = [{"code": r.code, "zh": r.render("zh", plan.templates), "en": r.render("en", plan.templates)}
                    for r in plan.reasons]
        row_members.append(plan.moves.member.astype(str))
        row_batches.append(batch + len(texts))
        texts += [rendered[int(r)] for r in plan.moves.reason[first].tolist()]
    # the dissolve of the unit a member was in, unless a move of their own says more
    units, inverse = np.unique(src[moved], return_inverse=True)
    ops = np.array([by_unit.get(str(u), -1) for u in after.units.ids[units].tolist()], dtype=np.int64)[inverse]
    members = np.concatenate(row_members) if row_members else np.empty(0, dtype=str)
    if len(members):
        batches = np.concatenate(row_batches)
        # a member moved twice: the last row counts
        keys, last = np.unique(members[::-1], return_index=True)
        values = batches[::-1][last]
        ids = after.members.ids[moved].astype(str)
        pos = np.minimum(np.searchsorted(keys, ids), len(keys) - 1)
        own = keys[pos] == ids
        ops[own] = values[pos[own]]
    op_col[moved] = ops
    lookup = texts + [dict(UNEXPLAINED)]  # -1 indexes the last: unexplained
    for column, key in ((code, "code"), (zh, "zh"), (en, "en")):
        column[moved] = np.array([t[key] for t in lookup], dtype=object)[ops]
    return op_col, code, zh, en


def variant_tables(before: Structure, after: Structure, plans: Sequence[Plan]) -> tuple[UnitTable, Assignment]:
    """The unit table and assignment of ``after`` (made from ``before`` by ``plans``), with reasons."""
    if not plans:
        return unit_table(after), assignment_of(after)
    reasons = unit_reasons(plans, after, before.n_units)
    return unit_table(after, reasons), assignment_of(after, member_reasons(before, after, plans))


def empty_changes() -> dict[str, Any]:
    """Changes of a variant that changes nothing."""
    return {"created": [], "dissolved": [], "retyped": [], "reparented": [], "renamed": [], "resized": [],
            "flows": [], "members_moved": 0}


def _unit_row(t: UnitTable, c: int, reason: Reason | None, **extra: Any) -> dict[str, Any]:
    kind = t.kinds[int(t.kind[c])]
    return {"id": str(t.ids[c]), "name": str(t.name[c]), "kind": kind.id, "label_zh": kind.label_zh,
            "label_en": kind.label_en, "reason": dict(reason) if reason else None, **extra}


def _reason(t: UnitTable, c: int) -> Reason | None:
    return t.reasons[c] if c < len(t.reasons) else None


def changes_between(a: UnitTable, a_assign: Assignment, b: UnitTable, b_assign: Assignment) -> dict[str, Any]:
    """What changed from ``a`` to ``b`` (unit tables and assignments), with ``b``'s reasons.

    When ``a`` is the baseline these are the variant's own changes. Otherwise a change ``b`` did
    not make (it keeps what the baseline had where ``a`` changed it) has the reason :data:`KEPT`,
    and a unit ``a`` founded and ``b`` did not has :data:`NOT_MADE`.
    """
    out = empty_changes()
    in_a = np.array([a._index.get(str(u), -1) for u in b.ids.tolist()], dtype=np.int64)  # b code -> a code
    has_a = in_a >= 0
    a_live = np.zeros(len(b), dtype=bool)
    a_live[has_a] = a.live_org[in_a[has_a]]
    b_live = b.live_org
    for c in np.flatnonzero(b_live & ~a_live).tolist():
        out["created"].append(_unit_row(b, c, _reason(b, c) or KEPT, size=int(b.direct[c]),
                                        members=int(b.members[c])))
    in_b = np.array([b._index.get(str(u), -1) for u in a.ids.tolist()], dtype=np.int64)  # a code -> b code
    for c in np.flatnonzero(a.live_org).tolist():
        cb = int(in_b[c])
        if cb >= 0 and b_live[cb]:
            continue
        reason = (_reason(b, cb) if cb >= 0 else None) or (KEPT if cb >= 0 else NOT_MADE)
        out["dissolved"].append(_unit_row(a, c, reason, size=int(a.direct[c]), members=int(a.members[c])))
    both = np.flatnonzero(b_live & a_live)
    ca = in_a[both]
    for c, p in zip(both[b.kind[both] != a.kind[ca]].tolist(), ca[b.kind[both] != a.kind[ca]].tolist(), strict=True):
        out["retyped"].append(_unit_row(b, c, _reason(b, c) or KEPT, from_kind=a.kinds[int(a.kind[p])].id))
    parent_b = np.where(b.parent[both] >= 0, b.ids[np.maximum(b.parent[both], 0)], None)
    parent_a = np.where(a.parent[ca] >= 0, a.ids[np.maximum(a.parent[ca], 0)], None)
    for i in np.flatnonzero(parent_b != parent_a).tolist():
        p = int(a.parent[ca[i]])
        out["reparented"].append(_unit_row(b, int(both[i]), None, from_parent=parent_a[i],
                                           from_parent_name=str(a.name[p]) if p >= 0 else None))
    for i in np.flatnonzero(b.name[both] != a.name[ca]).tolist():
        out["renamed"].append(_unit_row(b, int(both[i]), None, from_name=str(a.name[ca[i]])))
    for i in np.flatnonzero(b.members[both] != a.members[ca]).tolist():
        out["resized"].append(_unit_row(b, int(both[i]), None, before=int(a.members[ca[i]]),
                                        after=int(b.members[both[i]])))
    out["flows"] = _flows(a, a_assign, b, b_assign)
    out["members_moved"] = int(sum(f["count"] for f in out["flows"]))
    return out


def _flows(a: UnitTable, aa: Assignment, b: UnitTable, ba: Assignment) -> list[dict[str, Any]]:
    """Members whose branch differs, grouped by (from, to), each group's reasons counted."""
    _, ia, ib = np.intersect1d(aa.member.astype(str), ba.member.astype(str), assume_unique=True,
                               return_indices=True)
    src, dst = aa.branch[ia].astype(str), ba.branch[ib].astype(str)
    moved = np.flatnonzero(src != dst)
    if not len(moved):
        return []
    src, dst, ib = src[moved], dst[moved], ib[moved]
    units, inverse = np.unique(np.concatenate([src, dst]), return_inverse=True)
    si, di = inverse[: len(moved)], inverse[len(moved):]
    op = ba.reason_op[ib].copy()
    kept = np.array([c is None for c in ba.reason_code[ib].tolist()], dtype=bool)  # b did not move them
    op[kept] = -2
    width = np.int64(len(units))
    key = si.astype(np.int64) * width + di
    pairs, first, counts = np.unique(np.stack([key, op]), axis=1, return_index=True, return_counts=True)
    names_a = dict(zip(a.ids.tolist(), a.name.tolist(), strict=True))
    names_b = dict(zip(b.ids.tolist(), b.name.tolist(), strict=True))
    flows: dict[int, dict[str, Any]] = {}
    merged: dict[int, dict[tuple[str, str, str], list[int]]] = {}
    for (k, o), f, n in zip(pairs.T.tolist(), first.tolist(), counts.tolist(), strict=True):
        if k not in flows:
            x, y = str(units[k // width]), str(units[k % width])
            flows[k] = {"from": x, "from_name": str(names_a.get(x, names_b.get(x, x))), "to": y,
                        "to_name": str(names_b.get(y, names_a.get(y, y))), "count": 0, "reasons": []}
            merged[k] = {}
        flows[k]["count"] += n
        if o == -2:
            text = (KEPT["code"], KEPT["zh"], KEPT["en"])
        else:
            m = ib[f]
            text = (str(ba.reason_code[m]), str(ba.reason_zh[m] or ""), str(ba.reason_en[m] or ""))
        merged[k].setdefault(text, []).append(n)
    out = []
    for k, flow in flows.items():
        flow["reasons"] = [{"code": code, "count": sum(ns), "batches": len(ns), "zh": zh, "en": en}
                           for (code, zh, en), ns in sorted(merged[k].items(), key=lambda r: (-sum(r[1]), r[0]))]
        out.append(flow)
    out.sort(key=lambda f: (-f["count"], f["from"], f["to"]))
    return out
