"""A plan's structural operations as one Arrow table: how a large plan stores them in Parquet.

One row per operation, in plan order: ``op``, one column per field any operation type has (null
where the type has no such field), ``attrs`` as JSON text, and the reason as ``reason_code``,
``reason_text`` and ``reason_params``: a list of ``{key, s, i, f, b}`` entries per row, the value
in the column of its type (all null for None). Values keep their exact type (an int stays an int).

>>> from orgmodel.model.plan import PlanBuilder
>>> b = PlanBuilder()
>>> ref = b.create_unit("c", kind="toy.branch", name="C", parent="b1", reason=("why", {"n": 3, "who": "甲"}))
>>> b.set_role(ref, role="secretary", person="m1", reason="r")
>>> ops = b.build().operations
>>> table = operations_table([operation_row(op) for op in ops])
>>> table.num_rows, table.column("op").to_pylist()
(2, ['create_unit', 'set_role'])
>>> table_operations(table) == ops
True
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orgmodel.model.plan import (
    OPERATION_TYPES,
    ROW_FIELDS,
    Reason,
    _construct,
    _fields_set,
    operation_row,
)

__all__ = ["operations_table", "table_operations", "table_rows", "TEXT_FIELDS", "LIST_FIELDS"]

#: Fields held as text columns, and as lists of text (every operation type's, but ``op`` and ``reason``).
TEXT_FIELDS = ("key", "kind", "name", "parent", "unit", "role", "person", "since", "members_to", "members_group",
               "children_to", "coordinator", "to", "group")
LIST_FIELDS = ("built_on", "tags", "members")
_FIELDS = {op: tuple(f for f in cls.model_fields if f not in ("op", "reason")) for op, cls in OPERATION_TYPES.items()}
assert {f for fields in _FIELDS.values() for f in fields} == {*TEXT_FIELDS, *LIST_FIELDS, "attrs"}

_PARAM = pa.struct([("key", pa.string()), ("s", pa.string()), ("i", pa.int64()), ("f", pa.float64()),
                    ("b", pa.bool_())])
_VALUE_COLUMN = {pa.string(): "s", pa.int64(): "i", pa.float64(): "f", pa.bool_(): "b"}


def _values(row: Any) -> tuple[str, dict[str, Any], Reason]:
    """(op, {field: value}, reason) of a row or an operation object."""
    if type(row) is tuple:
        return row[0], dict(zip(ROW_FIELDS[row[0]], row[1:-1], strict=True)), row[-1]
    return row.op, {f: row.__dict__[f] for f in _FIELDS[row.op]}, row.reason


def operations_table(rows: list[Any]) -> pa.Table:
    """The operations (rows of :data:`~orgmodel.model.plan.ROW_FIELDS` or objects) as one table."""
    rows = [r if type(r) is tuple else operation_row(r) for r in rows]
    n = len(rows)
    ops = [r[0] if type(r) is tuple else r.op for r in rows]
    columns: dict[str, Any] = {"op": pa.array(ops, pa.string())}
    encoded = pc.dictionary_encode(columns["op"])
    op_of = encoded.indices.to_numpy(zero_copy_only=False)
    fields: dict[str, np.ndarray] = {f: np.full(n, None, dtype=object) for f in (*TEXT_FIELDS, *LIST_FIELDS, "attrs")}
    reasons = [r[-1] if type(r) is tuple else r.reason for r in rows]
    for c, op in enumerate(encoded.dictionary.to_pylist()):
        idx = np.flatnonzero(op_of == c)
        if op in ROW_FIELDS:
            chosen = [rows[i] for i in idx.tolist()]
            for j, field in enumerate(ROW_FIELDS[op], start=1):
                fields[field][idx] = _object_array([r[j] for r in chosen])
        else:
            for i in idx.tolist():
                for field, value in _values(rows[i])[1].items():
                    fields[field][i] = value
    for field in TEXT_FIELDS:
        columns[field] = pa.array(fields[field], pa.string())
    for field in LIST_FIELDS:
        columns[field] = pa.array(fields[field], pa.list_(pa.string()))
    columns["attrs"] = pa.array([None if a is None else "{}" if not a else json.dumps(a, ensure_ascii=False)
                                 for a in fields["attrs"].tolist()], pa.string())
    pairs = [type(r) is tuple for r in reasons]  # a builder's (code, params)
    columns["reason_code"] = pa.array([r[0] if pair else r.code for r, pair in zip(reasons, pairs, strict=True)],
                                      pa.string())
    columns["reason_text"] = pa.array([None if pair else r.text for r, pair in zip(reasons, pairs, strict=True)],
                                      pa.string())
    columns["reason_params"] = _params_column([r[1] if pair else r.params for r, pair in zip(reasons, pairs, strict=True)],
                                              columns["reason_code"])
    return pa.table(columns)


def _object_array(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _params_column(params: list[dict[str, Any]], codes: pa.Array) -> pa.Array:
    """Each row's parameters as a list of (key, value) entries, the value in the column of its type.

    Rows of one reason code are converted together (their keys and types usually agree); a code
    whose parameters differ in keys or mix types is converted entry by entry.
    """
    encoded = pc.dictionary_encode(codes)
    code_of = encoded.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(code_of, kind="stable")
    bounds = np.searchsorted(code_of[order], np.arange(len(encoded.dictionary) + 1))
    parts: list[tuple[np.ndarray, pa.Array, dict[str, pa.Array]]] = []
    for c in range(len(encoded.dictionary)):
        rows = order[bounds[c]:bounds[c + 1]]
        parts += _params_part(rows, [params[i] for i in rows.tolist()])
    if not parts:
        return pa.array([[] for _ in params], pa.list_(_PARAM))
    row = np.concatenate([p[0] for p in parts])
    keys = pa.concat_arrays([p[1] for p in parts])
    values = {v: pa.concat_arrays([p[2][v] for p in parts]) for v in ("s", "i", "f", "b")}
    entries = np.argsort(row, kind="stable")
    struct = pa.StructArray.from_arrays([keys.take(entries), *(values[v].take(entries) for v in ("s", "i", "f", "b"))],
                                        fields=list(_PARAM))
    offsets = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=len(params)))]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), struct)


def _params_part(rows: np.ndarray, params: list[dict[str, Any]]) -> list[tuple[np.ndarray, pa.Array, dict[str, pa.Array]]]:
    """(row of each entry, keys, value columns) of the parameters of some rows."""
    keys = list(params[0]) if params else []
    if keys and sum(map(len, params)) == len(keys) * len(params):
        out = []
        for k in keys:  # a column per key, its type inferred (a str among ints, or a bool, fails)
            try:
                column = pa.array([p[k] for p in params])
            except (KeyError, pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError):
                break
            if column.type not in (pa.string(), pa.int64(), pa.bool_()) and not pa.types.is_null(column.type):
                break  # a double may hold ints: entry by entry
            value = {v: pa.nulls(len(column), t) for t, v in _VALUE_COLUMN.items()}
            if not pa.types.is_null(column.type):
                value[_VALUE_COLUMN[column.type]] = column
            out.append((rows, pa.array([k] * len(column), pa.string()), value))
        else:
            return out
    row, key, value = [], [], {"s": [], "i": [], "f": [], "b": []}  # entry by entry
    for r, p in zip(rows.tolist(), params, strict=True):
        for k, v in p.items():
            row.append(r)
            key.append(k)
            column = "b" if type(v) is bool else "i" if type(v) is int else "f" if type(v) is float else "s" if v is not None else None
            for c, values in value.items():
                values.append(v if c == column else None)
    types = {"s": pa.string(), "i": pa.int64(), "f": pa.float64(), "b": pa.bool_()}
    return [(np.asarray(row, dtype=np.int64), pa.array(key, pa.string()), {c: pa.array(v, types[c]) for c, v in value.items()})]


def _params_lists(column: pa.Array) -> list[dict[str, Any]]:
    """Each row's parameters as a dict, from :func:`_params_column`'s column."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    offsets = column.offsets.to_numpy().astype(np.int64)
    entries = column.values.slice(offsets[0], offsets[-1] - offsets[0])
    offsets = offsets - offsets[0]
    keys = entries.field("key").to_pylist()
    merged = entries.field("s").to_pylist()
    for name in ("i", "f", "b"):  # each entry has its value in one column at most
        part = entries.field(name)
        if part.null_count < len(part):
            merged = [s if v is None else v for s, v in zip(merged, part.to_pylist(), strict=True)]
    return [dict(zip(keys[a:b], merged[a:b], strict=True)) for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(),
                                                                           strict=True)]


def _reasons(table: pa.Table, rows: np.ndarray | None = None) -> list[Reason]:
    part = table if rows is None else table.take(pa.array(rows, pa.int64()))
    codes = part.column("reason_code").to_pylist()
    texts = part.column("reason_text").to_pylist()
    params = _params_lists(part.column("reason_params"))
    shared_code, shared_params = _fields_set(Reason, ("code",)), _fields_set(Reason, ("code", "params"))
    return [_construct(Reason, {"code": c, "params": p, "text": t}, shared_params if p else shared_code)
            if t is None else Reason(code=c, params=p, text=t) for c, p, t in zip(codes, params, texts, strict=True)]


def table_rows(table: pa.Table) -> list[Any]:
    """The operations as rows for applying them: row types as tuples whose reason is None (apply
    does not read it), other types as operation objects."""
    n = table.num_rows
    out: list[Any] = [None] * n
    encoded = pc.dictionary_encode(table.column("op").combine_chunks())
    op_of = encoded.indices.to_numpy(zero_copy_only=False)
    for c, op in enumerate(encoded.dictionary.to_pylist()):
        where = np.flatnonzero(op_of == c)
        if op in ROW_FIELDS:
            taken = table.select(list(ROW_FIELDS[op])).take(pa.array(where))
            columns = [_column(taken, f) for f in ROW_FIELDS[op]]
            for i, values in zip(where.tolist(), zip(*columns, strict=True), strict=True):
                out[i] = (op, *values, None)
        else:
            for i, obj in zip(where.tolist(), _objects(table, where), strict=True):
                out[i] = obj
    return out


def _column(table: pa.Table, field: str) -> list[Any]:
    values = table.column(field).to_pylist()
    if field == "attrs":
        return [None if a is None else {} if a == "{}" else json.loads(a) for a in values]
    return values


def _objects(table: pa.Table, where: np.ndarray) -> list[Any]:
    """Operation objects of some rows (all of one type or not)."""
    part = table.take(pa.array(where, pa.int64()))
    ops = part.column("op").to_pylist()
    reasons = _reasons(table, where)
    columns = {f: _column(part, f) for f in (*TEXT_FIELDS, *LIST_FIELDS, "attrs")}
    out = []
    for i, (op, reason) in enumerate(zip(ops, reasons, strict=True)):
        cls = OPERATION_TYPES[op]
        values = {"reason": reason, "op": op}
        values.update({f: columns[f][i] for f in _FIELDS[op]})
        out.append(_construct(cls, values, _fields_set(cls, ("reason", *_FIELDS[op]))))
    return out


def table_operations(table: pa.Table) -> list[Any]:
    """The operations of a table as objects, in order."""
    return _objects(table, np.arange(table.num_rows))




def _nullable(op: str, field: str) -> bool:
    annotation = OPERATION_TYPES[op].model_fields[field].annotation
    return type(None) in getattr(annotation, "__args__", ())


_REQUIRED = {op: [f for f in fields if not _nullable(op, f)] for op, fields in _FIELDS.items()}
_TYPES = {**{f: pa.string() for f in (*TEXT_FIELDS, "attrs", "op", "reason_code", "reason_text")},
          **{f: pa.list_(pa.string()) for f in LIST_FIELDS}, "reason_params": pa.list_(_PARAM)}


def check_table(table: pa.Table) -> pa.Table:
    """A table read from a file, checked to hold operations (else ValueError, naming the row)."""
    for name, kind in _TYPES.items():
        if name not in table.column_names:
            raise ValueError(f"column {name!r} is missing")
        if not table.schema.field(name).type.equals(kind, check_metadata=False) and not (
                pa.types.is_list(kind) and pa.types.is_list(table.schema.field(name).type)):
            raise ValueError(f"column {name!r}: expected {kind}, got {table.schema.field(name).type}")
    table = table.select(list(_TYPES)).combine_chunks()
    if not table.num_rows:
        return table
    ops = table.column("op")
    known = pc.is_in(ops, value_set=pa.array([op for op in OPERATION_TYPES if op != "move_members"]))
    if not pc.all(pc.fill_null(known, False)).as_py():
        row = pc.index(pc.fill_null(known, False), False).as_py()
        raise ValueError(f"operation {row}: unknown op {ops[row].as_py()!r}")
    missing = pc.is_null(table.column("reason_code"))
    for op, fields in _REQUIRED.items():
        mine = pc.equal(ops, op)
        for field in fields:
            missing = pc.or_(missing, pc.and_(mine, pc.is_null(table.column(field))))
    if pc.any(missing).as_py():
        row = pc.index(missing, True).as_py()
        raise ValueError(f"operation {row}: a required field is empty")
    keys = pc.filter(table.column("key"), pc.is_in(ops, value_set=pa.array(["create_unit", "create_host"])))
    if pc.count_distinct(keys).as_py() < len(keys):
        first = {}
        for i, (op, key) in enumerate(zip(ops.to_pylist(), table.column("key").to_pylist(), strict=True)):
            if op in ("create_unit", "create_host"):
                if key in first:
                    raise ValueError(f"operation {i}: key {key!r} is created twice")
                first[key] = i
    return table
