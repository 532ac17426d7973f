"""Build a :class:`~orgmodel.model.structure.Structure` from tables, column by column.

Rosters are validated as columns, never row by row through pydantic: types, ranges, uniqueness
and references are each one vectorised pass, and an error names the first offending row (with
its file and line when the table came from a file). Use it through
:meth:`Structure.from_columns`.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import repeat
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orgmodel.errors import MAX_ROSTER_ERRORS, RosterError, RosterErrors
from orgmodel.model.collector import collector_paused
from orgmodel.model.invariants import violations
from orgmodel.model.kinds import KindTable
from orgmodel.model.structure import (
    MEMBER_KNOWN_ATTRIBUTES,
    NO_UNIT,
    EdgeArrays,
    MemberTable,
    Role,
    TableOrigin,
    TieTable,
    UnitTable,
    frozen,
    _sorted_roles,
    role_columns,
    sorted_roles,
)

__all__ = ["build_structure", "to_arrow", "codes_for", "parse_bool_column", "parse_date_column", "shared_pylist",
           "BOOLEAN_TEXTS"]

_TRUE = {"true", "yes", "y", "1", "t", "是", "√", "x"}
_FALSE = {"false", "no", "n", "0", "f", "否"}
#: the texts read as true and as false as rosters write them (true, True, TRUE), for readers that match exactly
BOOLEAN_TEXTS = tuple(sorted({v for text in texts for v in (text, text.capitalize(), text.upper())})
                      for texts in (_TRUE, _FALSE))


class _Fail:
    """Builds row errors that name the file and line when the table's origin is known.

    With ``collect``, :meth:`each` records the errors of every offending row (checks go on with
    the next column) and :meth:`check` raises them together as one :class:`RosterErrors`; without
    it, :meth:`each` raises the first at once.
    """

    def __init__(self, origins: Mapping[str, TableOrigin], *, collect: bool = False) -> None:
        self.origins = origins
        self.collect = collect
        self.found: list[RosterError] = []

    def each(self, table: str, rows: Iterable[int], column: str, message: Any) -> None:
        """An error per row of ``rows`` (``message(row)`` says it), recorded or raised."""
        for row in rows:
            error = self(table, int(row), column, message(int(row)))
            if not self.collect:
                raise error
            self.found.append(error)
            if len(self.found) > 10 * MAX_ROSTER_ERRORS:  # enough to say "and N more" of a broken file
                break

    def check(self) -> None:
        """Raise the errors recorded so far, if any, in the order of their files and lines."""
        if self.found:
            found = sorted(self.found, key=lambda e: (e.file or "", e.line or 0))
            raise RosterErrors(found) if len(found) > 1 else found[0]

    def __call__(self, table: str, row: int | None, column: str, message: str) -> RosterError:
        origin = self.origins.get(table)
        if origin is None:
            where = f"{table}[{row}].{column}" if row is not None else f"{table}.{column}"
            return RosterError(message, field=where)
        line = origin.line(row) if row is not None else None
        header = origin.header(column)
        if line is None and row is not None:
            header = f"row {row + 1}: {header}"
        return RosterError(message, file=origin.file, line=line, field=header)


def to_arrow(values: Any) -> pa.Array:
    """Any column (list, numpy array, arrow array or chunked array) as one arrow array."""
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if isinstance(values, pa.Array):
        return values
    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def _strings(values: Any) -> pa.Array:
    arr = to_arrow(values)
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return arr.cast(pa.string())
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), pa.string())
    return pc.cast(arr, pa.string())


def codes_for(
    values: Any,
    index: Mapping[str, int],
    *,
    fail: _Fail,
    table: str,
    column: str,
    what: str,
    required: bool,
    hint: str = "",
) -> np.ndarray:
    """Map a column of ids to codes through ``index``; blank cells are missing (``NO_UNIT``).

    The column is dictionary-encoded and each distinct value looked up once: for columns of a few
    distinct values (kinds, statuses); references to units are resolved by :class:`_UnitRefs`.
    """
    arr = _strings(values)
    distinct, positions = _encoded(arr)
    found = np.fromiter(map(index.get, distinct.to_pylist(), repeat(-2)), dtype=np.int32, count=len(distinct))
    codes = _expand(distinct, positions, found)
    _check_codes(codes, arr, list(index), fail=fail, table=table, column=column, what=what, required=required,
                 hint=hint)
    return codes


def _encoded(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The distinct values of a text column and each cell's position among them (-1 for a null cell).

    Equal neighbouring cells are joined first: rosters list members unit by unit, and hashing the
    runs of equal cells costs far less than hashing every cell.
    """
    runs = pc.run_end_encode(arr)
    encoded = pc.dictionary_encode(runs.values)
    per_run = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return encoded.dictionary, np.repeat(per_run, np.diff(runs.run_ends.to_numpy(), prepend=0))


def _expand(distinct: pa.Array, positions: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Codes of every cell of an encoded column (:func:`_encoded`) from ``found``, the code of each
    distinct value (-2 when unknown): blank values (empty or spaces) and null cells are missing
    (``NO_UNIT``)."""
    lookup = np.append(found.astype(np.int32), np.int32(NO_UNIT))  # the last, at position -1: null cells
    lookup[:-1][pc.equal(pc.utf8_trim_whitespace(distinct), "").to_numpy(zero_copy_only=False)] = NO_UNIT
    return lookup[positions]


def _check_codes(codes: np.ndarray, arr: pa.Array, known: Sequence[str], *, fail: _Fail, table: str, column: str,
                 what: str, required: bool, hint: str = "") -> None:
    """An error for each empty cell of a required column and for each unknown id (code -2), naming
    the nearest of the ``known`` ids when there are few."""
    if required and (codes == NO_UNIT).any():
        fail.each(table, np.flatnonzero(codes == NO_UNIT), column, lambda row: "required value is empty")
    if (codes == -2).any():
        def unknown(row: int) -> str:
            value = arr[row].as_py()
            close = difflib.get_close_matches(str(value), [str(k) for k in known], n=1) if len(known) < 1000 else []
            return f"unknown {what} {value!r}" + (f" (did you mean {close[0]}?)" if close else "") + hint
        fail.each(table, np.flatnonzero(codes == -2), column, unknown)


def parse_bool_column(values: Any, *, fail: _Fail, table: str, column: str, blank: bool = False) -> np.ndarray:
    """Booleans from bools, numbers or text (true/false, yes/no, 1/0, 是/否); blank is ``blank``."""
    arr = to_arrow(values)
    if pa.types.is_null(arr.type):
        return np.full(len(arr), blank, dtype=bool)
    if pa.types.is_boolean(arr.type):
        return arr.fill_null(blank).to_numpy(zero_copy_only=False).astype(bool)
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        num = arr.fill_null(int(blank)).to_numpy(zero_copy_only=False)
        bad = ~np.isin(num, (0, 1))
        if bad.any():
            fail.each(table, np.flatnonzero(bad), column, lambda row: f"expected true or false, got {num[row]!r}")
        return num.astype(bool)
    # the few distinct texts are trimmed, lowered and read, not every cell
    encoded = pc.dictionary_encode(_strings(arr).fill_null(""))
    distinct = pc.utf8_lower(pc.utf8_trim_whitespace(encoded.dictionary)).to_pylist()
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    unknown = [i for i, v in enumerate(distinct) if v not in _TRUE and v not in _FALSE and v != ""]
    if unknown:
        rows = np.flatnonzero(np.isin(indices, unknown))
        fail.each(table, rows, column, lambda row: f"expected true or false, got {distinct[indices[row]]!r}")
    lookup = np.array([blank if v == "" else v in _TRUE for v in distinct], dtype=bool)
    return lookup[indices]


def parse_date_column(values: Any, *, fail: _Fail, table: str, column: str) -> np.ndarray:
    """Dates (``YYYY-MM-DD`` text, dates or datetimes) as ``datetime64[D]``; blank is NaT."""
    arr = to_arrow(values)
    if pa.types.is_date(arr.type) or pa.types.is_timestamp(arr.type):
        return arr.cast(pa.date32()).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    # parse each distinct text once: rosters repeat dates a great deal
    encoded = pc.dictionary_encode(_strings(arr))
    distinct = pc.utf8_trim_whitespace(encoded.dictionary)  # each distinct text trimmed once
    blank = pc.equal(distinct, "")
    parsed = pc.strptime(distinct, format="%Y-%m-%d", unit="s", error_is_null=True)
    bad = pc.and_(pc.is_null(parsed), pc.invert(blank))
    if pc.any(bad).as_py():
        bad_codes = np.flatnonzero(bad.to_numpy(zero_copy_only=False))
        rows = np.flatnonzero(np.isin(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), bad_codes))
        fail.each(table, rows, column, lambda row: f"expected a date like 1958-03-01, got {distinct[int(encoded.indices[row].as_py())].as_py()!r}")
        return np.full(len(arr), np.datetime64("NaT"), dtype="datetime64[D]")
    days = parsed.cast(pa.date32()).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    days = np.append(days, np.datetime64("NaT"))
    return days[encoded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False)]


def _split_column(values: Any, n: int) -> pa.ListArray:
    """A column of ``;``-separated lists (or lists) as an arrow list array of trimmed, non-empty strings."""
    if values is None:
        return pa.array([[] for _ in range(n)], pa.list_(pa.string()))
    if not isinstance(values, (pa.Array, pa.ChunkedArray)):
        values = [";".join(map(str, v)) if isinstance(v, (list, tuple)) else v for v in values]
    text = pc.replace_substring(_strings(values).fill_null(""), "；", ";")
    parts = pc.split_pattern(text, ";")
    flat = pc.utf8_trim_whitespace(parts.flatten())
    keep = pc.not_equal(flat, "")
    parents = pc.list_parent_indices(parts)
    kept = pc.filter(flat, keep)
    kept_parents = pc.filter(parents, keep).to_numpy(zero_copy_only=False)
    offsets = np.searchsorted(kept_parents, np.arange(n + 1), side="left").astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), kept)


def shared_pylist(values: pa.Array) -> list[Any]:
    """An arrow column as a Python list in which equal values are one object (a column of a few
    distinct values costs a few objects, not one per row).

    >>> a, b, c = shared_pylist(pa.array(["x", None, "x"]))
    >>> a is c, b
    (True, None)
    """
    encoded = pc.dictionary_encode(values)
    distinct = np.empty(len(encoded.dictionary) + 1, dtype=object)
    distinct[:-1] = encoded.dictionary.to_pylist()
    return distinct[encoded.indices.fill_null(len(encoded.dictionary)).to_numpy(zero_copy_only=False)].tolist()


#: the characters ``str.strip()`` removes (Python's whitespace), for trimming text columns the same way
_PY_WHITESPACE = "".join(map(chr, [*range(0x09, 0x0E), *range(0x1C, 0x21), 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                                   0x2028, 0x2029, 0x202F, 0x205F, 0x3000]))


def _present_values(values: Any) -> tuple[list[int], list[Any]]:
    """Rows and values of the cells of a column that are not blank (None, or only whitespace)."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        arr = to_arrow(values)
        present = pc.not_equal(pc.utf8_trim(_strings(arr), characters=_PY_WHITESPACE), "")
        rows = np.flatnonzero(pc.fill_null(present, False).to_numpy(zero_copy_only=False))
        return rows.tolist(), shared_pylist(arr.take(pa.array(rows, pa.int64())))
    kept = [(i, v) for i, v in enumerate(values) if v is not None and str(v).strip() != ""]
    return [i for i, _ in kept], [v for _, v in kept]


def _unique_or_fail(ids: pa.Array, *, fail: _Fail, table: str) -> None:
    if ids.null_count or pc.any(pc.equal(pc.utf8_trim_whitespace(ids), "")).as_py():
        blank = pc.or_(pc.is_null(ids), pc.equal(pc.utf8_trim_whitespace(ids.fill_null("")), ""))
        raise fail(table, int(pc.index(blank, True).as_py()), "id", "id is empty")
    first_seen = pc.dictionary_encode(ids).indices.to_numpy(zero_copy_only=False)  # 0..n-1 exactly when unique
    if len(ids) and not (first_seen == np.arange(len(ids))).all():
        counts = pc.value_counts(ids)
        repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
        dup_mask = pc.is_in(ids, value_set=repeated)
        origin = fail.origins.get(table)
        first_row: dict[str, int] = {}
        repeats = []
        for row in np.flatnonzero(dup_mask.to_numpy(zero_copy_only=False)).tolist():
            value = ids[row].as_py()
            if value in first_row:
                repeats.append(row)
            else:
                first_row[value] = row

        def duplicate(row: int) -> str:
            value = ids[row].as_py()
            first = origin.line(first_row[value]) if origin is not None else None
            where = f"line {first}" if first is not None else f"row {first_row[value] + 1}"
            return f"duplicate id {value!r} (first on {where})"
        fail.each(table, repeats, "id", duplicate)


def build_structure(cls: type, kinds: KindTable, **tables: Any):  # -> Structure
    """See :meth:`orgmodel.model.structure.Structure.from_columns`."""
    with collector_paused():  # a build makes hundreds of thousands of objects in no cycle (roles, attrs)
        return _build_structure(cls, kinds, **tables)


def _build_structure(
    cls: type,
    kinds: KindTable,
    *,
    units: Mapping[str, Sequence[Any]],
    members: Mapping[str, Any],
    participation: Iterable[tuple[str, str]] | tuple[Any, Any],
    roles: Iterable[Role | Mapping[str, Any]],
    alliances: Iterable[tuple[str, str]],
    adjacency: Iterable[tuple[str, str]],
    ties: Any,
    personal_columns: Sequence[str],
    origins: Mapping[str, TableOrigin],
):  # -> Structure
    fail = _Fail(origins, collect=True)  # the member columns' errors are collected, then raised together
    unit_ids = _unit_ids(units, fail)

    @functools.cache
    def unit_index() -> dict[str, int]:
        """Unit id -> code, made only when tables come as rows (a dict of every unit costs half a
        second at 850,000 units: a Structure makes it on first use)."""
        return dict(zip(unit_ids.to_pylist(), range(len(unit_ids))))

    hosts = _split_column(units.get("built_on"), len(unit_ids))
    part_members, part_units = _two_columns(participation)
    references = {("units", "parent"): units.get("parent"), ("units", "built_on"): hosts.flatten(),
                  **{("members", c): members.get(c) for c in ("branch", "group", "home_host")},
                  ("participation", "unit"): part_units if part_members is not None else None,
                  ("roles", "unit"): roles[0] if _role_columns_given(roles) else None}
    to_units = _UnitRefs(unit_ids, {key: column for key, column in references.items() if column is not None})
    unit_table, tag_codes = _build_units(kinds, units, unit_ids, to_units, fail)
    fail.check()  # members refer to units: a bad units table stops here
    _release_arrow_memory()
    fail.found += [e for origin in origins.values() for e in origin.errors]  # found while reading the files
    tie_a, tie_b, tie_w = _tie_columns(ties)
    refs = _MemberRefs(members, {("participation", "member"): part_members, ("ties", "a"): tie_a, ("ties", "b"): tie_b},
                       fail)
    _release_arrow_memory()
    member_table, personal = _build_members(kinds, members, personal_columns, fail, refs, to_units)
    fail.check()
    fail.collect = False  # from here on, the first error stops the build

    built_src = pc.list_parent_indices(hosts).to_numpy(zero_copy_only=False)
    try:  # rows here are positions in the flattened lists: the error names the unit's row instead
        built_dst = to_units.codes(("units", "built_on"), fail=_Fail({}), what="host unit", required=True)
    except RosterError:
        flat = hosts.flatten()
        bad = next(i for i, h in enumerate(flat.to_pylist()) if h not in unit_index())
        raise fail("units", int(built_src[bad]), "built_on", f"unknown host unit {flat[bad].as_py()!r}") from None

    def pairs(rows: Iterable[tuple[str, str]], table: str, left: str, right: str) -> EdgeArrays:
        src, dst = [], []
        for i, (a, b) in enumerate(rows):
            for value, col, out in ((a, left, src), (b, right, dst)):
                if value not in unit_index():
                    raise fail(table, i, col, f"unknown unit {value!r}")
                out.append(unit_index()[value])
        return EdgeArrays.build(src, dst)

    adjacency_rows = [tuple(sorted(p)) for p in adjacency]
    participation_edges = _build_participation(refs.codes(("participation", "member")), to_units, fail)
    if _role_columns_given(roles):
        role_rows, role_table = _roles_from_columns(roles, to_units, fail)
    else:
        role_rows = _sorted_roles(_roles_from_rows(roles, unit_index, fail))
        role_table = role_columns(role_rows, unit_index() if role_rows else {})

    structure = cls(
        kinds=kinds,
        units=unit_table,
        members=member_table,
        built_on_edges=EdgeArrays.build(built_src, built_dst),
        alliance_edges=pairs(alliances, "alliances", "unit", "coordinator"),
        adjacency_edges=pairs(adjacency_rows, "adjacency", "a", "b"),
        participation=participation_edges,
        roles=role_rows,
        personal=personal,
        ties=_build_ties(refs.codes(("ties", "a")), refs.codes(("ties", "b")), tie_w, len(member_table), fail),
    )
    # derived tables the builder has made on the way
    if unit_index.cache_info().currsize:  # made for tables given as rows: the structure keeps it
        structure.__dict__["_unit_index"] = unit_index()
    structure.__dict__["role_table"] = role_table
    structure.__dict__["tag_codes"] = tag_codes
    problems = violations(structure, limit=1, member_ids_known_unique=True, unit_ids_known_unique=True)
    if problems:
        v = problems[0]
        table = v.table if v.table != "edges" else "units"
        raise fail(table, v.code, v.column or "id", f"{v.node}: {v.message}")
    _release_arrow_memory()
    return structure


def _role_columns_given(roles: Any) -> bool:
    """Whether roles come as four columns (unit, role, person, since) of text, as a roster file is read."""
    return isinstance(roles, tuple) and len(roles) == 4 and all(isinstance(c, pa.Array) for c in roles)


def _roles_from_rows(roles: Iterable[Role | Mapping[str, Any]], unit_index: Callable[[], Mapping[str, int]],
                     fail: _Fail) -> list[Role]:
    """Roles given one by one, each unit checked (in ``unit_index()``)."""
    role_rows = []
    for i, r in enumerate(roles):
        role = r if isinstance(r, Role) else Role(**r)
        if role.unit not in unit_index():
            raise fail("roles", i, "unit", f"unknown unit {role.unit!r}")
        role_rows.append(role)
    return role_rows


def _roles_from_columns(columns: tuple[pa.Array, ...], to_units: _UnitRefs,
                        fail: _Fail) -> tuple[tuple[Role, ...], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Roles from columns (missing cells null): checked, sorted as a Structure keeps them, and their
    table of (unit code, role, person) made on the way (what :func:`role_columns` would make)."""
    unit = columns[0]
    codes = to_units.found(("roles", "unit"))
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0])
        raise fail("roles", row, "unit", f"unknown unit {unit[row].as_py()!r}")
    table = pa.table(list(columns), names=["unit", "role", "person", "since"])
    # sorted as sorted() sorts the Role objects: text by code point (UTF-8 bytes), a missing date first
    order = pc.sort_indices(table, sort_keys=[(name, "ascending", "at_start") for name in table.column_names])
    values = [shared_pylist(to_arrow(column)) for column in table.take(order).columns]
    roles = sorted_roles(values)
    people = np.empty(len(roles), dtype=object)
    people[:] = values[2]
    names = np.empty(len(roles), dtype=object)
    names[:] = values[1]
    units = codes[order.to_numpy()].astype(np.int32)
    return roles, (frozen(units), frozen(names), frozen(people))


def _release_arrow_memory() -> None:
    """Give back what arrow's allocator keeps of the columns built and dropped so far (it keeps freed
    memory for reuse: a quarter of a gigabyte at a million members), so that the build's peak stays low."""
    pa.default_memory_pool().release_unused()


def _unit_ids(units: Mapping[str, Sequence[Any]], fail: _Fail) -> pa.Array:
    """The units' id column, checked present and without blanks (the first blank stops the build)."""
    if "id" not in units or "kind" not in units:
        raise fail("units", None, "id" if "id" not in units else "kind", "required column missing")
    ids = _strings(units["id"])
    if ids.null_count or pc.any(pc.equal(pc.utf8_trim_whitespace(ids), "")).as_py():
        _unique_or_fail(ids, fail=fail, table="units")  # names the blank id
    return ids


def _build_units(kinds: KindTable, units: Mapping[str, Sequence[Any]], ids: pa.Array, to_units: _UnitRefs,
                 fail: _Fail):  # noqa: ANN202
    n = len(ids)
    if not to_units.unique:
        _unique_or_fail(ids, fail=fail, table="units")  # names the duplicates
    id_list = ids.to_pylist()
    kind_index = {k: i for i, k in enumerate(kinds.ids())}
    known = ", ".join(k for k in kinds.ids() if not k.startswith("core."))
    kind_codes = codes_for(units["kind"], kind_index, fail=fail, table="units", column="kind", what="unit kind",
                           hint=f" (domain pack {kinds.name}: {known})", required=True).astype(np.int16)
    parent = (to_units.codes(("units", "parent"), fail=fail, what="parent unit", required=False)
              if "parent" in units else np.full(n, NO_UNIT, dtype=np.int32))
    names = units.get("name")
    if isinstance(names, (pa.Array, pa.ChunkedArray)) and pa.types.is_string(names.type):  # a read table: one pass
        names = to_arrow(names)
        name_arr = pc.if_else(pc.fill_null(pc.not_equal(names, ""), False), names, ids).to_numpy(zero_copy_only=False)
    else:
        names = names or [None] * n
        name_arr = np.array([str(nm) if nm not in (None, "") else uid for nm, uid in zip(names, id_list, strict=True)],
                            dtype=object)
    tag_lists = _split_column(units.get("tags"), n)
    encoded = pc.dictionary_encode(pc.binary_join(tag_lists, "\x1f"))
    distinct = [tuple(t.split("\x1f")) if t else () for t in encoded.dictionary.to_pylist()]
    tag_index = encoded.indices.to_numpy().astype(np.int64)
    tags = np.empty(n, dtype=object)
    shared = np.empty(len(distinct), dtype=object)
    shared[:] = distinct
    tags[:] = shared[tag_index]  # units sharing tags share one tuple
    tag_codes = (frozen(tag_index), distinct)
    extra = [c for c in units if c not in ("id", "kind", "name", "parent", "built_on", "tags")]
    attrs = np.empty(n, dtype=object)
    attrs.fill({})  # units without attributes share one empty dict (attribute dicts are never changed in place)
    columns = [(column, *_present_values(units[column])) for column in extra]
    columns = [c for c in columns if c[1]]
    if len(columns) == 1:  # any other column is kept as a unit attribute (room_capacity, elected, ...)
        column, rows, values = columns[0]
        held = np.empty(len(rows), dtype=object)
        held[:] = [{column: v} for v in values]
        attrs[rows] = held
    elif columns:
        per_unit: dict[int, dict[str, Any]] = {}
        for column, rows, values in columns:
            for i, value in zip(rows, values, strict=True):
                per_unit.setdefault(i, {})[column] = value
        held = np.empty(len(per_unit), dtype=object)
        held[:] = list(per_unit.values())
        attrs[list(per_unit)] = held
    table = UnitTable(
        ids=frozen(np.array(id_list, dtype=object)),
        kind=frozen(kind_codes),
        parent=frozen(parent),
        name=frozen(name_arr),
        dissolved=frozen(np.zeros(n, dtype=bool)),
        tags=frozen(tags),
        attrs=frozen(attrs),
    )
    return table, tag_codes


def _build_members(
    kinds: KindTable,
    members: Mapping[str, Any],
    personal_columns: Sequence[str],
    fail: _Fail,
    refs: _MemberRefs,
    to_units: _UnitRefs,
) -> tuple[MemberTable, dict[str, np.ndarray]]:
    ids = refs.ids
    n = len(ids)

    def ref(column: str, what: str, required: bool) -> np.ndarray:
        if column not in members:
            return np.full(n, NO_UNIT, dtype=np.int32)
        return to_units.codes(("members", column), fail=fail, what=what, required=required)

    cols: dict[str, np.ndarray] = {
        "branch": ref("branch", "unit", True),
        "group": ref("group", "group", False),
        "home_host": ref("home_host", "host unit", False),
    }
    statuses = kinds.pack.statuses
    if "status" in members:
        status_index = {s: i for i, s in enumerate(statuses)}
        status = codes_for(members["status"], status_index, fail=fail, table="members", column="status", what=f"status (allowed: {', '.join(statuses)})", required=False)
        default = statuses.index(kinds.full_statuses[0]) if kinds.full_statuses else 0
        cols["status"] = np.where(status < 0, default, status).astype(np.int8)
    else:
        default = statuses.index(kinds.full_statuses[0]) if kinds.full_statuses else 0
        cols["status"] = np.full(n, default, dtype=np.int8)
    cols["active"] = (
        parse_bool_column(members["active"], fail=fail, table="members", column="active", blank=True)
        if "active" in members
        else np.ones(n, dtype=bool)
    )
    personal: dict[str, np.ndarray] = {}
    for name, values in members.items():
        if name in cols or name in ("id", "status"):
            continue
        if name in personal_columns:
            personal[name] = frozen(np.array(_strings(values).to_pylist(), dtype=object))
            continue
        kind = MEMBER_KNOWN_ATTRIBUTES.get(name)
        if kind == "bool":
            cols[name] = parse_bool_column(values, fail=fail, table="members", column=name)
        elif kind == "datetime64[D]":
            cols[name] = parse_date_column(values, fail=fail, table="members", column=name)
        else:
            arr = to_arrow(values)
            cols[name] = arr.to_numpy(zero_copy_only=False)
    for name in MEMBER_KNOWN_ATTRIBUTES:
        if name not in cols:
            kind = MEMBER_KNOWN_ATTRIBUTES[name]
            cols[name] = np.zeros(n, dtype=bool) if kind == "bool" else np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    id_array = np.array(ids.to_pylist(), dtype=object) if n < 100_000 else ids.to_numpy(zero_copy_only=False)
    return (
        MemberTable(ids=frozen(id_array), columns={k: frozen(np.asarray(v)) for k, v in cols.items()}),
        personal,
    )


class _MemberRefs:
    """Member ids and every column that refers to members, resolved together once.

    The result is the proof that ids are unique and the member code of every reference (an
    unknown member is an error). Ids and references of at most 8 bytes (member numbers, mostly)
    are joined as integers: one sort of the ids (none when they are in order already) and a
    binary search for the references. Otherwise one dictionary encoding of ids + references
    hashes them together: the first n codes are 0..n-1 exactly when no id repeats, and a code
    ≥ n is an unknown member.
    """

    def __init__(self, members: Mapping[str, Any], refs: Mapping[tuple[str, str], pa.Array | None], fail: _Fail) -> None:
        for required in ("id", "branch"):
            if required not in members:
                raise fail("members", None, required, "required column missing")
        self.ids = _strings(members["id"])
        n = len(self.ids)
        if self.ids.null_count or pc.any(pc.equal(pc.utf8_trim_whitespace(self.ids), "")).as_py():
            _unique_or_fail(self.ids, fail=fail, table="members")  # names the blank id
        present = {k: v for k, v in refs.items() if v is not None and len(v)}
        codes, unique = _join(self.ids, list(present.values()))
        if not unique:
            _unique_or_fail(self.ids, fail=fail, table="members")  # names the duplicate
        self._codes: dict[tuple[str, str], np.ndarray] = {}
        for (key, column), part in zip(present.items(), codes, strict=True):
            unknown = part >= n
            if unknown.any():
                fail.each(key[0], np.flatnonzero(unknown), key[1], lambda row, c=column: f"unknown member {c[row].as_py()!r}")
            self._codes[key] = part.astype(np.int32)

    def codes(self, key: tuple[str, str]) -> np.ndarray:
        """Member codes of a reference column (empty when the table is empty)."""
        return self._codes.get(key, np.empty(0, dtype=np.int32))


class _UnitRefs:
    """Unit ids and every column that refers to units, resolved together once.

    Each column's runs of equal cells are joined first (rosters list members unit by unit: a
    column has far fewer runs than cells), then the unit ids and the runs' values of every column
    are joined in one pass (:func:`_join`): the unit ids are hashed once, not once a column, and
    the join proves them unique or not. Blank cells (empty, spaces) are missing (``NO_UNIT``), and
    an unknown unit is -2.
    """

    def __init__(self, ids: pa.Array, columns: Mapping[tuple[str, str], Any]) -> None:
        self._ids = ids
        self._columns = {key: _strings(values) for key, values in columns.items()}
        runs = [pc.run_end_encode(arr) for arr in self._columns.values()]
        found, self.unique = _join(ids, [r.values for r in runs])
        self._codes = {}
        for key, r, at in zip(self._columns, runs, found, strict=True):
            per_run = np.where(at < len(ids), at, -2).astype(np.int32)
            blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(r.values), ""), True)
            per_run[blank.to_numpy(zero_copy_only=False)] = NO_UNIT
            self._codes[key] = np.repeat(per_run, np.diff(r.run_ends.to_numpy(), prepend=0))

    def found(self, key: tuple[str, str]) -> np.ndarray:
        """Unit codes of a column, unchecked (``NO_UNIT`` blank, -2 unknown)."""
        return self._codes[key]

    def codes(self, key: tuple[str, str], *, fail: _Fail, what: str, required: bool) -> np.ndarray:
        """Unit codes of a column; an error for each empty cell (when ``required``) and unknown unit."""
        codes = self._codes[key]
        known = self._ids.to_pylist() if len(self._ids) < 1000 else self._ids  # hints only among a few
        _check_codes(codes, self._columns[key], known, fail=fail, table=key[0], column=key[1], what=what,
                     required=required)
        return codes


def _join(ids: pa.Array, columns: list[pa.Array]) -> tuple[list[np.ndarray], bool]:
    """Each column's values as positions in ``ids`` (``len(ids)`` or more when not there), and whether
    the ids are unique (a repeated id resolves to its first row)."""
    return join_packed(ids, columns) or _join_hashed(ids, columns)


def _join_hashed(ids: pa.Array, columns: list[pa.Array]) -> tuple[list[np.ndarray], bool]:
    """:func:`_join` by one dictionary encoding of the ids and the columns together: the ids' codes
    are 0..n-1 exactly when no id repeats, and a value of a column with a code past the ids' (or
    missing) is not an id."""
    n = len(ids)
    encoded = pc.dictionary_encode(pa.concat_arrays([ids, *columns])).indices
    codes = encoded.fill_null(-1).to_numpy(zero_copy_only=False)  # a missing value (-1) is no id
    unique = not n or bool((codes[:n] == np.arange(n)).all())
    if unique:
        row = np.arange(n + 1)
    else:  # code -> the first row with that id; codes past the ids' -> n
        distinct = int(codes[:n].max()) + 1
        row = np.full(distinct + 1, n)
        row[codes[:n][::-1]] = np.arange(n)[::-1]
    bounds = np.cumsum([n] + [len(c) for c in columns])
    return [row[np.minimum(codes[start:end], len(row) - 1)] for start, end in zip(bounds[:-1], bounds[1:], strict=True)], \
        unique


def join_packed(ids: pa.Array, columns: list[pa.Array]) -> tuple[list[np.ndarray], bool] | None:
    """:func:`_join` by sorting and searching integers: None unless the ids and every column pack
    into integers (:func:`_packed`)."""
    keys = _packed(ids)
    needles = [_packed(c) for c in columns] if keys is not None else []
    if keys is None or any(k is None for k in needles):
        return None
    n = len(keys)
    if n < 2 or (keys[1:] > keys[:-1]).all():  # in order and unique: ids are written sorted, mostly
        order, unique = None, True
    else:
        order = np.argsort(keys, kind="stable")  # stable: a repeated id resolves to its first row
        keys = keys[order]
        unique = bool((keys[1:] != keys[:-1]).all())
    codes = []
    for needle in needles:
        at = np.minimum(np.searchsorted(keys, needle), max(n - 1, 0))
        found = keys[at] == needle if n else np.zeros(len(needle), dtype=bool)
        codes.append(np.where(found, at if order is None else order[at], n))
    return codes, unique


def _packed(text: pa.Array) -> np.ndarray | None:
    """Each value of a text column as an unsigned 64-bit integer that compares as the text does: its
    UTF-8 bytes, big-endian, zero-padded. None when a value is missing, longer than 8 bytes or has
    a NUL byte (two texts would share an integer).

    >>> _packed(pa.array(["b", "a1", ""])).tolist() == [ord("b") << 56, (ord("a") << 56) + (ord("1") << 48), 0]
    True
    >>> _packed(pa.array(["123456789"])) is None, _packed(pa.array(["a", None])) is None
    (True, True)
    """
    if text.null_count:
        return None
    n = len(text)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32, count=n + 1, offset=text.offset * 4)
    lengths = np.diff(offsets)
    if n and lengths.max() > 8:
        return None
    raw = text.buffers()[2]
    data = np.frombuffer(raw, dtype=np.uint8)[offsets[0]:offsets[-1]] if raw is not None else np.empty(0, np.uint8)
    if not data.all():
        return None
    padded = np.zeros((n, 8), dtype=np.uint8)
    if n and (lengths == lengths[0]).all():  # ids of one width: the bytes are a matrix already
        padded[:, :lengths[0]] = data.reshape(n, lengths[0])
    else:
        rows = np.repeat(np.arange(n), lengths)
        padded[rows, np.arange(len(data)) - (offsets[:-1] - offsets[0])[rows]] = data
    return padded.view(">u8").reshape(-1).astype(np.uint64)


def _two_columns(pairs: Any) -> tuple[pa.Array | None, Any]:
    """(member column, other column) from a pair of columns or from rows of pairs."""
    if isinstance(pairs, tuple) and len(pairs) == 2 and not isinstance(pairs[0], str):
        left, right = pairs
    else:
        rows = list(pairs)
        left, right = [r[0] for r in rows], [r[1] for r in rows]
    return (_strings(left) if len(left) else None), right


def _tie_columns(ties: Any) -> tuple[pa.Array | None, pa.Array | None, Any]:
    if isinstance(ties, tuple) and len(ties) == 3 and not isinstance(ties[0], str):
        a_col, b_col, w_col = ties
    else:
        rows = list(ties)
        a_col, b_col = [r[0] for r in rows], [r[1] for r in rows]
        w_col = [r[2] if len(r) > 2 else 1.0 for r in rows]
    if len(a_col) == 0:
        return None, None, []
    return _strings(a_col), _strings(b_col), w_col


def _build_ties(a: np.ndarray, b: np.ndarray, w_col: Any, n_members: int, fail: _Fail) -> TieTable:
    """Ties as codes (a < b), weights checked positive; a pair given twice has its weights added."""
    if len(a) == 0:
        return TieTable.empty()
    w_arr = to_arrow(w_col)
    try:
        weight = pc.cast(pc.utf8_trim_whitespace(_strings(w_arr)), pa.float64()).fill_null(1.0)
    except pa.ArrowInvalid:
        bad = next(i for i, v in enumerate(_strings(w_arr).to_pylist()) if not _is_number(v))
        raise fail("ties", bad, "weight", f"expected a number, got {_strings(w_arr)[bad].as_py()!r}") from None
    weight = weight.to_numpy(zero_copy_only=False)
    if (weight <= 0).any() or (a == b).any():
        row = int(np.flatnonzero((weight <= 0) | (a == b))[0])
        raise fail("ties", row, "weight" if weight[row] <= 0 else "b", "a tie needs two members and a positive weight")
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    width = n_members + 1
    key = lo.astype(np.int64) * width + hi
    if len(key) < 2 or (key[1:] > key[:-1]).all():  # already sorted, each pair once (as written by tools)
        uniq, total = key, weight.astype(np.float64)
    else:
        uniq, inverse = np.unique(key, return_inverse=True)
        total = np.bincount(inverse, weights=weight)
    return TieTable(frozen((uniq // width).astype(np.int32)), frozen((uniq % width).astype(np.int32)), frozen(total))


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return value in (None, "")
    return True


def _build_participation(m_codes: np.ndarray, to_units: _UnitRefs, fail: _Fail) -> EdgeArrays:
    if len(m_codes) == 0:
        return EdgeArrays.build([], [])
    u_codes = to_units.codes(("participation", "unit"), fail=fail, what="unit", required=True)
    return EdgeArrays.build(m_codes, u_codes)
