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
import pyarrow as pa
import pyarrow.compute as pc

from orgmodel.model.plan import Plan, Reason as PlanReason
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

_UNIT_OPS = frozenset(("create_unit", "create_host", "dissolve", "retype"))
_CREATE_OPS = frozenset(("create_unit", "create_host"))


def _render(reason: PlanReason, plan: Plan) -> dict[str, str]:
    return {"code": reason.code, "zh": reason.render("zh", plan.templates), "en": reason.render("en", plan.templates)}


class _Rendered:
    """Each operation's reason rendered once (by the operation's identity, while the plans live)."""

    def __init__(self) -> None:
        self._texts: dict[int, dict[str, str]] = {}

    def __call__(self, op: Any, plan: Plan) -> dict[str, str]:
        text = self._texts.get(id(op))
        if text is None:
            text = self._texts[id(op)] = _render(op.reason, plan)
        return text


def unit_reasons(plans: Sequence[Plan], after: Structure, n_before: int, *,
                 rendered: _Rendered | None = None) -> dict[str, dict[str, str]]:
    """Reason of the operation that created, dissolved or retyped each unit (by final id).

    Created units have ids ``variant/step/key`` (see :func:`orgmodel.model.apply.new_unit_id`), and a
    variant's plans are its steps in order; a later step's reason wins.
    """
    render = rendered or _Rendered()
    out: dict[str, dict[str, str]] = {}
    created: dict[tuple[str, str], str] = {}
    for uid in after.units.ids[n_before:].tolist():
        parts = str(uid).split("/", 2)
        if len(parts) == 3:
            created[(parts[1], parts[2])] = str(uid)
    for step, plan in enumerate(plans):
        for op in plan.operations:
            kind = op.op
            if kind not in _UNIT_OPS:
                continue
            target = created.get((str(step), op.key)) if kind in _CREATE_OPS else getattr(op, "unit", None)
            if target:
                out[target] = render(op, plan)
    return out


def member_reasons(before: Structure, after: Structure, plans: Sequence[Plan], *,
                   rendered: _Rendered | None = None) -> tuple[np.ndarray, ...]:
    """Per member row of ``after``: (batch number, reason code, zh, en) of what moved the member
    from its branch in ``before``: its row of a plan's moves table, else the dissolve of the unit
    it was in (a later step wins); -1 and None for members not moved.

    Batch numbers count, step by step, each plan's dissolve operations and then its move batches
    (rows with one destination, group and reason: :meth:`~orgmodel.model.plan.MoveTable.batch_codes`),
    so members one batch moved share one number.
    """
    render = rendered or _Rendered()
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
                texts.append(render(op, plan))
                by_unit[op.unit] = len(texts) - 1
        batch, first = plan.moves.batch_codes()
        row_members.append(plan.moves.member)
        row_batches.append(batch + len(texts))
        once: dict[int, dict[str, str]] = {}  # each of the plan's reasons rendered once
        for r in plan.moves.reason[first].tolist():
            if r not in once:
                once[r] = _render(plan.reasons[r], plan)
            texts.append(once[r])
    # the dissolve of the unit a member was in, unless a move of their own says more
    units, inverse = np.unique(src[moved], return_inverse=True)
    ops = np.array([by_unit.get(str(u), -1) for u in after.units.ids[units].tolist()], dtype=np.int64)[inverse]
    members = np.concatenate(row_members) if row_members else np.empty(0, dtype=object)
    if len(members):
        batches = np.concatenate(row_batches)
        # each row's member code (a hash join on the ids); a member moved twice: the last row counts
        rows = pc.index_in(pa.array(members, pa.string()), value_set=after.member_id_array)
        rows = rows.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        known = rows >= 0
        rows, batches = rows[known][::-1], batches[known][::-1]
        codes, last = np.unique(rows, return_index=True)
        own_batch = np.full(n, -1, dtype=np.int64)
        own = np.zeros(n, dtype=bool)
        own_batch[codes] = batches[last]
        own[codes] = True
        mine = own[moved]
        ops[mine] = own_batch[moved[mine]]
    op_col[moved] = ops
    lookup = texts + [dict(UNEXPLAINED)]  # -1 indexes the last: unexplained
    for column, key in ((code, "code"), (zh, "zh"), (en, "en")):
        column[moved] = np.array([t[key] for t in lookup], dtype=object)[ops]
    return op_col, code, zh, en


def variant_tables(before: Structure, after: Structure, plans: Sequence[Plan]) -> tuple[UnitTable, Assignment]:
    """The unit table and assignment of ``after`` (made from ``before`` by ``plans``), with reasons."""
    if not plans:
        return unit_table(after), assignment_of(after)
    rendered = _Rendered()  # a dissolve explains its unit and the members it moved: rendered once
    reasons = unit_reasons(plans, after, before.n_units, rendered=rendered)
    return unit_table(after, reasons), assignment_of(after, member_reasons(before, after, plans, rendered=rendered))


def empty_changes() -> dict[str, Any]:
    """Changes of a variant that changes nothing."""
    return {"created": [], "dissolved": [], "retyped": [], "reparented": [], "renamed": [], "resized": [],
            "flows": [], "members_moved": 0}


def _unit_rows(t: UnitTable, codes: np.ndarray, reasons: Sequence[Reason | None] | None,
               **extra: Sequence[Any]) -> list[dict[str, Any]]:
    """Change rows of the units ``codes`` of ``t`` (column by column), each with its reason and
    the ``extra`` columns (one value a unit)."""
    codes = np.asarray(codes, dtype=np.int64)
    if not len(codes):
        return []
    kinds = {k: t.kinds[k] for k in np.unique(t.kind[codes]).tolist()}
    names = list(extra)
    rows = []
    for uid, name, k, reason, *more in zip(t.ids[codes].tolist(), t.name[codes].tolist(), t.kind[codes].tolist(),
                                         reasons if reasons is not None else [None] * len(codes),
                                         *extra.values(), strict=True):
        kind = kinds[k]
        row = {"id": str(uid), "name": str(name), "kind": kind.id, "label_zh": kind.label_zh,
               "label_en": kind.label_en, "reason": dict(reason) if reason else None}
        row.update(zip(names, more))
        rows.append(row)
    return rows


def _reasons_of(t: UnitTable, codes: np.ndarray) -> list[Reason | None]:
    n = len(t.reasons)
    return [t.reasons[c] if c < n else None for c in codes.tolist()]


def _codes_in(a: UnitTable, b: UnitTable) -> np.ndarray:
    """Each of ``b``'s unit codes as a code of ``a`` (-1 where ``a`` has no such id): a hash join."""
    found = pc.index_in(pa.array(b.ids, pa.string()), value_set=pa.array(a.ids, pa.string()))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def changes_between(a: UnitTable, a_assign: Assignment, b: UnitTable, b_assign: Assignment) -> dict[str, Any]:
    """What changed from ``a`` to ``b`` (unit tables and assignments), with ``b``'s reasons.

    When ``a`` is the baseline these are the variant's own changes. Otherwise a change ``b`` did
    not make (it keeps what the baseline had where ``a`` changed it) has the reason :data:`KEPT`,
    and a unit ``a`` founded and ``b`` did not has :data:`NOT_MADE`.
    """
    out = empty_changes()
    in_a = _codes_in(a, b)  # b code -> a code
    has_a = in_a >= 0
    a_live = np.zeros(len(b), dtype=bool)
    a_live[has_a] = a.live_org[in_a[has_a]]
    b_live = b.live_org
    created = np.flatnonzero(b_live & ~a_live)
    out["created"] = _unit_rows(b, created, [r or KEPT for r in _reasons_of(b, created)],
                                size=b.direct[created].tolist(), members=b.members[created].tolist())
    in_b = _codes_in(b, a)  # a code -> b code
    live_a = np.flatnonzero(a.live_org)
    cb = in_b[live_a]
    gone = (cb < 0) | ~b_live[np.maximum(cb, 0)]
    dissolved, cb = live_a[gone], cb[gone]
    reasons = [(r if c >= 0 else None) or (KEPT if c >= 0 else NOT_MADE)
               for r, c in zip(_reasons_of(b, np.maximum(cb, 0)), cb.tolist(), strict=True)]
    out["dissolved"] = _unit_rows(a, dissolved, reasons, size=a.direct[dissolved].tolist(),
                                  members=a.members[dissolved].tolist())
    both = np.flatnonzero(b_live & a_live)
    ca = in_a[both]
    changed = b.kind[both] != a.kind[ca]
    retyped = both[changed]
    kind_ids = [k.id for k in a.kinds]
    out["retyped"] = _unit_rows(b, retyped, [r or KEPT for r in _reasons_of(b, retyped)],
                                from_kind=[kind_ids[k] for k in a.kind[ca[changed]].tolist()])
    parent_b = np.where(b.parent[both] >= 0, b.ids[np.maximum(b.parent[both], 0)], None)
    parent_a = np.where(a.parent[ca] >= 0, a.ids[np.maximum(a.parent[ca], 0)], None)
    moved = np.flatnonzero(parent_b != parent_a)
    pa_ = a.parent[ca[moved]]
    out["reparented"] = _unit_rows(b, both[moved], None, from_parent=parent_a[moved].tolist(),
                                   from_parent_name=[str(n) if p >= 0 else None for n, p in
                                                     zip(a.name[np.maximum(pa_, 0)].tolist(), pa_.tolist(), strict=True)])
    renamed = np.flatnonzero(b.name[both] != a.name[ca])
    out["renamed"] = _unit_rows(b, both[renamed], None, from_name=[str(n) for n in a.name[ca[renamed]].tolist()])
    resized = np.flatnonzero(b.members[both] != a.members[ca])
    out["resized"] = _unit_rows(b, both[resized], None, before=a.members[ca[resized]].tolist(),
                                after=b.members[both[resized]].tolist())
    out["flows"] = _flows(a, a_assign, b, b_assign)
    out["members_moved"] = int(sum(f["count"] for f in out["flows"]))
    return out


def _aligned(aa: Assignment, ba: Assignment) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``aa`` and ``ba`` holding the same members (a hash join; none when they share the order)."""
    if len(aa) == len(ba) and (aa.member is ba.member or np.array_equal(aa.member, ba.member)):
        rows = np.arange(len(aa), dtype=np.int64)
        return rows, rows
    found = pc.index_in(pa.array(ba.member, pa.string()), value_set=pa.array(aa.member, pa.string()))
    ia = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    ib = np.flatnonzero(ia >= 0)
    return ia[ib], ib


def _flows(a: UnitTable, aa: Assignment, b: UnitTable, ba: Assignment) -> list[dict[str, Any]]:
    """Members whose branch differs, grouped by (from, to), each group's reasons counted.

    One sort groups the moved members by (from, to, what moved them); the Python loop runs over
    those groups only. A group's reason is that of any member of it (what moved one member of a
    batch moved them all)."""
    ia, ib = _aligned(aa, ba)
    src, dst = aa.branch[ia], ba.branch[ib]
    moved = np.flatnonzero(src != dst)
    if not len(moved):
        return []
    ib = ib[moved]
    encoded = pc.dictionary_encode(pa.array(np.concatenate([src[moved], dst[moved]]), pa.string()))
    units = encoded.dictionary.to_pylist()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    op = ba.reason_op[ib].astype(np.int64)
    op[pa.array(ba.reason_code[ib], pa.string()).is_null().to_numpy(zero_copy_only=False)] = -2  # b did not move them
    key = codes[: len(moved)] * np.int64(len(units)) + codes[len(moved):]
    order = np.lexsort((op, key))
    key, op = key[order], op[order]
    starts = np.flatnonzero(np.concatenate([[True], (key[1:] != key[:-1]) | (op[1:] != op[:-1])]))
    counts = np.diff(np.append(starts, len(key))).tolist()
    one = ib[order[starts]]  # a member of each group: its reason is the group's
    names_a = dict(zip(a.ids.tolist(), a.name.tolist(), strict=True))
    names_b = dict(zip(b.ids.tolist(), b.name.tolist(), strict=True))
    flows: dict[int, dict[str, Any]] = {}
    merged: dict[int, dict[tuple[str, str, str], list[int]]] = {}
    width = len(units)
    for k, o, n, rc, rz, re_ in zip(key[starts].tolist(), op[starts].tolist(), counts,
                                    ba.reason_code[one].tolist(), ba.reason_zh[one].tolist(),
                                    ba.reason_en[one].tolist(), strict=True):
        flow = flows.get(k)
        if flow is None:
            x, y = units[k // width], units[k % width]
            flow = flows[k] = {"from": x, "from_name": str(names_a.get(x, names_b.get(x, x))), "to": y,
                               "to_name": str(names_b.get(y, names_a.get(y, y))), "count": 0, "reasons": []}
            merged[k] = {}
        flow["count"] += n
        text = (KEPT["code"], KEPT["zh"], KEPT["en"]) if o == -2 else (str(rc), str(rz or ""), str(re_ or ""))
        merged[k].setdefault(text, []).append(n)
    out = []
    for k, flow in flows.items():
        flow["reasons"] = [{"code": code, "count": sum(ns), "batches": len(ns), "zh": zh, "en": en}
                           for (code, zh, en), ns in sorted(merged[k].items(), key=lambda r: (-sum(r[1]), r[0]))]
        out.append(flow)
    out.sort(key=lambda f: (-f["count"], f["from"], f["to"]))
    return out
