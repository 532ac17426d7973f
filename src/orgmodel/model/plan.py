"""Plans: what a strategy proposes, as a closed, versioned, JSON-serialisable contract.

Strategies never mutate a structure. They return a :class:`Plan`: structural operations, each
with a :class:`Reason` (a code plus parameters, rendered through zh/en templates the plan
carries), and one table of member moves (:class:`MoveTable`: member, destination, group, reason;
each reason stored once in ``reasons``). Units the plan creates are named by plan-local keys and
referred to as ``new:KEY``; :func:`orgmodel.model.apply.apply` turns them into ids derived from
variant, step and key.

>>> from orgmodel.testing_data import tiny_structure
>>> s = tiny_structure()
>>> b = PlanBuilder(s, strategy="example", templates={
...     "team_branch": {"en": "a branch on team {team}", "zh": "依托{team}建立支部"}})
>>> choir = b.create_unit("choir", kind="toy.branch", name="歌咏队支部", parent="gb",
...                       built_on=["t1"], reason=("team_branch", {"team": "t1"}))
>>> choir
'new:choir'
>>> b.move(["m1", "m6"], to=choir, reason=("team_branch", {"team": "t1"}))
>>> plan = b.build()
>>> [op.op for op in plan.operations]
['create_unit']
>>> plan.moves.member.tolist(), plan.moves.to.tolist()
(['m1', 'm6'], ['new:choir', 'new:choir'])
>>> plan.reasons[plan.moves.reason[0]].render("zh", plan.templates)
'依托t1建立支部'
>>> Plan.from_json(plan.to_json()) == plan
True
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from orgmodel.errors import UserError

if TYPE_CHECKING:
    from orgmodel.model.structure import Structure

__all__ = [
    "PLAN_VERSION",
    "NEW",
    "Reason",
    "Operation",
    "Plan",
    "PlanBuilder",
    "CreateUnit",
    "CreateHost",
    "Retype",
    "Dissolve",
    "Attach",
    "SetAttributes",
    "LinkAlliance",
    "UnlinkAlliance",
    "AddParticipation",
    "RemoveParticipation",
    "SetRole",
    "ClearRole",
    "MoveMembers",
    "MoveTable",
    "MOVES_INLINE_ROWS",
    "moves_sidecar",
    "operations_sidecar",
    "ROW_FIELDS",
]

PLAN_VERSION = 2
MOVES_INLINE_ROWS = 10_000  # above this many moves, Plan.save writes them to a Parquet file
NEW = "new:"

Scalar = Union[str, int, float, bool, None]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reason(_Model):
    """Why an operation is there: a code, its parameters, and optional free text.

    >>> Reason(code="too_big", params={"n": 329}).render("en", {"too_big": {"en": "{n} members"}})
    '329 members'
    >>> Reason(code="manual", text="the planner's correction").render("zh", {})
    "the planner's correction"
    """

    code: str = Field(min_length=1)
    params: dict[str, Scalar] = Field(default_factory=dict)
    text: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        """A plain sentence is a reason too (code ``manual``), as planners write in scenarios."""
        if isinstance(value, str):
            return {"code": "manual", "text": value}
        return value

    def render(self, lang: str, templates: Mapping[str, Mapping[str, str]]) -> str:
        """The reason as a sentence in ``lang`` ("zh" or "en")."""
        template = templates.get(self.code, {}).get(lang)
        if template:
            params = self.params if lang != "en" else {k: _list_in_english(v) for k, v in self.params.items()}
            try:
                return template.format(**params)
            except (KeyError, IndexError, ValueError):
                pass
        if self.text:
            return self.text
        args = ", ".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.code}({args})" if args else self.code


def _list_in_english(value: Scalar) -> Scalar:
    """A parameter that is a shortened Chinese list of names ("甲、乙等5个"), punctuated for an
    English sentence; the names stay as they are, and so does anything else.

    >>> _list_in_english("高桥村、安石村等5个"), _list_in_english("高桥村、安石村联合党支部"), _list_in_english(3)
    ('高桥村, 安石村 and 3 more', '高桥村、安石村联合党支部', 3)
    """
    more = re.search(r"等(\d+)个$", value) if isinstance(value, str) else None
    if more is None:
        return value
    shown = value[: more.start()].split("、")
    return ", ".join(shown) + f" and {int(more.group(1)) - len(shown)} more"


ReasonLike = Union[Reason, str, tuple[str, Mapping[str, Any]]]


def as_reason(value: ReasonLike) -> Reason:
    """A Reason from a Reason, a code, or a (code, params) pair."""
    if isinstance(value, Reason):
        return value
    if isinstance(value, str):
        return Reason(code=value)
    code, params = value
    return Reason(code=code, params=dict(params))


class _Op(_Model):
    reason: Reason


class CreateUnit(_Op):
    """Create an organisation unit; refer to it later in the plan as ``new:KEY``."""

    op: Literal["create_unit"] = "create_unit"
    key: str = Field(min_length=1)
    kind: str
    name: str
    parent: str | None = None
    built_on: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    attrs: dict[str, Scalar] = Field(default_factory=dict)


class CreateHost(_Op):
    """Create a host unit (a team, a grid, an association), optionally part of another host."""

    op: Literal["create_host"] = "create_host"
    key: str = Field(min_length=1)
    kind: str
    name: str
    parent: str | None = None
    tags: list[str] = Field(default_factory=list)


class Retype(_Op):
    """Change a unit's kind in place (a branch upgraded to a general branch keeps its id)."""

    op: Literal["retype"] = "retype"
    unit: str
    kind: str
    name: str | None = None


class Dissolve(_Op):
    """Dissolve a unit; its remaining members go to ``members_to``, its children to ``children_to``.

    For a group, members without a destination simply leave the group and stay in the branch.
    """

    op: Literal["dissolve"] = "dissolve"
    unit: str
    members_to: str | None = None
    members_group: str | None = None
    children_to: str | None = None


class Attach(_Op):
    """Put a unit under a new parent (``None`` makes it a root)."""

    op: Literal["attach"] = "attach"
    unit: str
    parent: str | None


class SetAttributes(_Op):
    """Change a unit's name, tags, attributes or the hosts it is built on."""

    op: Literal["set_attributes"] = "set_attributes"
    unit: str
    name: str | None = None
    tags: list[str] | None = None
    attrs: dict[str, Scalar] | None = None
    built_on: list[str] | None = None


class LinkAlliance(_Op):
    """Ally a unit with a coordinating unit (subordination is unchanged)."""

    op: Literal["link_alliance"] = "link_alliance"
    unit: str
    coordinator: str


class UnlinkAlliance(_Op):
    """Remove an alliance link."""

    op: Literal["unlink_alliance"] = "unlink_alliance"
    unit: str
    coordinator: str


class AddParticipation(_Op):
    """Members take part in a unit (a team, an industry branch) without moving their relation."""

    op: Literal["add_participation"] = "add_participation"
    members: list[str]
    unit: str


class RemoveParticipation(_Op):
    """Members stop taking part in a unit."""

    op: Literal["remove_participation"] = "remove_participation"
    members: list[str]
    unit: str


class SetRole(_Op):
    """Someone takes a role in a unit (secretary, committee member, group leader...)."""

    op: Literal["set_role"] = "set_role"
    unit: str
    role: str
    person: str
    since: str | None = None

    @field_validator("since", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        """A date written in YAML (2024-02-28) is kept as its ISO text."""
        return value.isoformat() if hasattr(value, "isoformat") else value


class ClearRole(_Op):
    """Remove a role (from one person, or from whoever holds it when ``person`` is None)."""

    op: Literal["clear_role"] = "clear_role"
    unit: str
    role: str
    person: str | None = None


class MoveMembers(_Op):
    """Move members' one relation to branch ``to`` (and optionally a group of it), in bulk.

    Accepted wherever operations are written (a scenario's manual step, a version-1 plan); a
    :class:`Plan` keeps them as rows of its moves table, never as operations.
    """

    op: Literal["move_members"] = "move_members"
    members: list[str]
    to: str
    group: str | None = None


Operation = Annotated[
    Union[
        CreateUnit,
        CreateHost,
        Retype,
        Dissolve,
        Attach,
        SetAttributes,
        LinkAlliance,
        UnlinkAlliance,
        AddParticipation,
        RemoveParticipation,
        SetRole,
        ClearRole,
        MoveMembers,
    ],
    Field(discriminator="op"),
]

OPERATION_TYPES = {
    cls.model_fields["op"].default: cls
    for cls in (
        CreateUnit, CreateHost, Retype, Dissolve, Attach, SetAttributes, LinkAlliance,
        UnlinkAlliance, AddParticipation, RemoveParticipation, SetRole, ClearRole, MoveMembers,
    )
}

#: The operations a plan keeps as rows until someone reads them as objects: per type, the fields
#: of its row in order. A row is a tuple ``(op, *fields, reason)`` (the reason a Reason, or a
#: builder's ``(code, params)`` pair); other types stay objects.
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    "create_unit": ("key", "kind", "name", "parent", "built_on", "tags", "attrs"),
    "create_host": ("key", "kind", "name", "parent", "tags"),
    "retype": ("unit", "kind", "name"),
    "dissolve": ("unit", "members_to", "members_group", "children_to"),
    "attach": ("unit", "parent"),
    "set_role": ("unit", "role", "person", "since"),
    "clear_role": ("unit", "role", "person"),
}
assert all(tuple(OPERATION_TYPES[op].model_fields)[2:] == fields for op, fields in ROW_FIELDS.items())


def operation_row(op: Any) -> Any:
    """An operation as a row (see :data:`ROW_FIELDS`), or the operation itself when its type has none.

    >>> operation_row(Attach(unit="g1", parent="b2", reason="r"))[:3]
    ('attach', 'g1', 'b2')
    """
    fields = ROW_FIELDS.get(op.op)
    if fields is None:
        return op
    values = op.__dict__
    return (op.op, *[values[f] for f in fields], op.reason)


def _reason_object(reason: Any) -> Any:
    """A row's reason as a Reason (a builder keeps a code with plain parameters as a pair)."""
    if type(reason) is not tuple:
        return reason
    return _construct(Reason, {"code": reason[0], "params": reason[1], "text": None},
                      _fields_set(Reason, ("code", "params")))


def row_operation(row: Any) -> Any:
    """The operation a row stands for (equal to the validated operation, field for field)."""
    if type(row) is not tuple:
        return row
    op = row[0]
    fields = ROW_FIELDS[op]
    cls = OPERATION_TYPES[op]
    values = {"reason": _reason_object(row[-1]), "op": op}
    values.update(zip(fields, row[1:-1]))
    return _construct(cls, values, _fields_set(cls, ("reason", *fields)))


def _row_op(row: Any) -> str:
    return row[0] if type(row) is tuple else row.op


class _Operations(list):
    """A plan's operations, kept as rows (cheap to make, to count and to apply) or as the table read
    from a Parquet file, and built into operation objects the first time anyone reads them as a list."""

    __slots__ = ("rows", "table")

    def __init__(self, rows: list[Any] | None = None, table: Any = None) -> None:
        super().__init__()
        self.rows: list[Any] | None = rows
        self.table = table  # a pyarrow Table of orgmodel.model.optable

    def fill(self) -> None:
        """Build the operation objects (once)."""
        if self.rows is not None:
            list.extend(self, [row_operation(r) for r in self.rows])
        elif self.table is not None:
            from orgmodel.model.optable import table_operations

            list.extend(self, table_operations(self.table))
        self.rows = self.table = None

    def __len__(self) -> int:
        if self.rows is not None:
            return len(self.rows)
        return self.table.num_rows if self.table is not None else list.__len__(self)

    def __reduce_ex__(self, protocol: Any) -> Any:
        self.fill()
        return (list, (list(list.__iter__(self)),))


def _filled(name: str) -> Any:
    method = getattr(list, name)

    def call(self: _Operations, *args: Any, **kwargs: Any) -> Any:
        self.fill()
        for arg in args:  # compared or joined with another plan's operations: theirs are built too
            if isinstance(arg, _Operations):
                arg.fill()
        return method(self, *args, **kwargs)

    call.__name__ = name
    return call


for _name in ("__iter__", "__getitem__", "__contains__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__",
              "__ge__", "__repr__", "__reversed__", "__add__", "__mul__", "__rmul__", "__iadd__", "__imul__",
              "__setitem__", "__delitem__", "__copy__", "copy", "index", "count", "append", "extend", "insert",
              "pop", "remove", "clear", "sort", "reverse"):
    if hasattr(list, _name):
        setattr(_Operations, _name, _filled(_name))
del _name


class MoveTable:
    """A plan's member moves as one table, one row per member moved (DESIGN decision 4).

    Columns, read-only numpy arrays of one length: ``member`` (member ids), ``to`` (the
    destination branch: a unit id or ``new:KEY``) and ``group`` (a group of it, or None), all
    ``object`` arrays of str; ``reason`` (``int32``), an index into the plan's ``reasons``.

    >>> t = MoveTable.from_columns(member=["m1", "m2"], to=["b2", "b2"], group=[None, "g1"], reason=[0, 0])
    >>> len(t), t.group.tolist(), t.reason.dtype.name, t.member.flags.writeable
    (2, [None, 'g1'], 'int32', False)
    >>> MoveTable.from_columns(member=["m1"], to=[""], reason=[0])
    Traceback (most recent call last):
    ...
    ValueError: moves.to[0]: empty destination
    """

    COLUMNS = ("member", "to", "group", "reason")
    __slots__ = COLUMNS
    member: np.ndarray
    to: np.ndarray
    group: np.ndarray
    reason: np.ndarray

    def __init__(self, member: np.ndarray, to: np.ndarray, group: np.ndarray, reason: np.ndarray) -> None:
        """Trusted columns (object, object, object, int32); outside data goes through :meth:`from_columns`."""
        for name, values in zip(self.COLUMNS, (member, to, group, reason), strict=True):
            view = values.view()
            view.flags.writeable = False
            object.__setattr__(self, name, view)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a MoveTable is immutable")

    @classmethod
    def empty(cls) -> MoveTable:
        """A table without rows."""
        text = np.empty(0, dtype=object)
        return cls(text, text, text, np.empty(0, dtype=np.int32))

    @classmethod
    def from_columns(cls, *, member: Any, to: Any, group: Any = None, reason: Any = None) -> MoveTable:
        """A table from columns (lists, numpy or arrow arrays), checked; ``group`` and ``reason`` may be omitted."""
        n = len(member)
        if group is None:
            group = pa.nulls(n, pa.string())
        if reason is None:
            reason = np.zeros(n, dtype=np.int32)
        lengths = {name: len(col) for name, col in (("member", member), ("to", to), ("group", group), ("reason", reason))}
        if len(set(lengths.values())) > 1:
            raise ValueError("moves: columns differ in length (" + ", ".join(f"{k} {v}" for k, v in lengths.items()) + ")")
        reason_col = _index_column(reason)
        return cls(_text_column(member, "member", "member id"), _text_column(to, "to", "destination"),
                   _text_column(group, "group", "group", nullable=True), reason_col)

    @classmethod
    def from_arrow(cls, table: pa.Table) -> MoveTable:
        """A table from an arrow table with the four columns (as read from the Parquet sidecar)."""
        missing = [c for c in ("member", "to") if c not in table.column_names]
        if missing:
            raise ValueError(f"moves: column {missing[0]!r} is missing")
        columns = {c: table.column(c) for c in cls.COLUMNS if c in table.column_names}
        return cls.from_columns(**columns)

    @classmethod
    def concat(cls, tables: Sequence[MoveTable]) -> MoveTable:
        """Rows of several tables, in order (reason indexes are kept as they are)."""
        if len(tables) == 1:
            return tables[0]
        if not tables:
            return cls.empty()
        return cls(*(np.concatenate([getattr(t, c) for t in tables]) for c in cls.COLUMNS))

    def __len__(self) -> int:
        return len(self.member)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MoveTable):
            return NotImplemented
        return all(np.array_equal(getattr(self, c), getattr(other, c)) for c in self.COLUMNS)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<MoveTable: {len(self):,} moves>"

    def to_dict(self) -> dict[str, list[Any]]:
        """The columns as lists (how a small table is written inline in the plan JSON)."""
        return {c: getattr(self, c).tolist() for c in self.COLUMNS}

    def to_arrow(self) -> pa.Table:
        """The table as arrow columns (how a large table is written to Parquet)."""
        return pa.table({
            "member": pa.array(self.member, pa.string()),
            "to": pa.array(self.to, pa.string()),
            "group": pa.array(self.group, pa.string()),
            "reason": pa.array(self.reason, pa.int32()),
        })

    def batch_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows grouped by (destination, group, reason): ``(batch of each row, first row of each batch)``.

        Batches are numbered in the order of their first row.

        >>> t = MoveTable.from_columns(member=["a", "b", "c"], to=["x", "y", "x"], reason=[0, 0, 0])
        >>> [c.tolist() for c in t.batch_codes()]
        [[0, 1, 0], [0, 1]]
        """
        if not len(self):
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        to = _dictionary_codes(self.to)
        group = _dictionary_codes(self.group) + 1  # None is 0
        key = (to * np.int64(group.max() + 1) + group) * np.int64(self.reason.max() + 1) + self.reason
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank[inverse.reshape(-1)], first[order]

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.with_info_plain_validator_function(
            cls._coerce, serialization=core_schema.plain_serializer_function_ser_schema(lambda t: t.to_dict())
        )

    @classmethod
    def _coerce(cls, value: Any, info: Any = None) -> MoveTable:
        if isinstance(value, MoveTable):
            return value
        if isinstance(value, Mapping):
            if "file" in value:
                plan_path = (getattr(info, "context", None) or {}).get("plan_path")
                if plan_path is not None:
                    return _read_sidecar(plan_path, value)
                raise ValueError(f"the moves are in {value['file']!r} beside the plan JSON; read it with Plan.load(path)")
            unknown = sorted(set(value) - set(cls.COLUMNS))
            if unknown:
                raise ValueError(f"moves: unknown column {unknown[0]!r} (columns: {', '.join(cls.COLUMNS)})")
            if "member" not in value or "to" not in value:
                raise ValueError("moves: columns member and to are required")
            return cls.from_columns(**value)
        raise ValueError("moves: expected columns member, to, group, reason")


def _text_column(values: Any, name: str, what: str, *, nullable: bool = False) -> np.ndarray:
    """A column of text as an object array (None where missing), checked in one pass."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    try:
        arr = values if isinstance(values, pa.Array) else pa.array(values, pa.string(), from_pandas=True)
        if pa.types.is_dictionary(arr.type):
            arr = arr.cast(pa.string())
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) or pa.types.is_null(arr.type)):
            raise TypeError
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        raise ValueError(f"moves.{name}: expected text, one {what} a row") from None
    if pa.types.is_null(arr.type):
        arr = pa.nulls(len(arr), pa.string())
    if arr.null_count and not nullable:
        raise ValueError(f"moves.{name}[{pc.index(pc.is_null(arr), True).as_py()}]: no {what}")
    empty = pc.equal(arr, "")
    if pc.any(empty).as_py():
        raise ValueError(f"moves.{name}[{pc.index(empty, True).as_py()}]: empty {what}"
                         + (" (write null for none)" if nullable else ""))
    return arr.to_numpy(zero_copy_only=False).astype(object, copy=False)


def _index_column(values: Any) -> np.ndarray:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        values = values.to_numpy(zero_copy_only=False) if values.null_count == 0 else [None]
    arr = np.asarray(values)
    if arr.size == 0:
        return np.empty(0, dtype=np.int32)
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        raise ValueError("moves.reason: expected whole numbers, one index into reasons a row")
    if arr.min() < 0 or arr.max() > np.iinfo(np.int32).max:
        bad = int(np.flatnonzero((arr < 0) | (arr > np.iinfo(np.int32).max))[0])
        raise ValueError(f"moves.reason[{bad}]: {arr[bad]} is not an index into reasons")
    return arr.astype(np.int32)


def _dictionary_codes(values: np.ndarray) -> np.ndarray:
    """Each value's code among the distinct values (None is -1): one hash pass, no sorting of text."""
    encoded = pc.dictionary_encode(pa.array(values, pa.string()))
    return encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _reason_key(reason: Reason) -> str:
    """A reason's identity: two reasons are one when their JSON is."""
    return json.dumps(reason.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)


_PlainKey = tuple[str, frozenset[tuple[str, type, Any]]]


def _plain_key(code: str, params: dict[str, Any]) -> _PlainKey:
    """A cheap key of a code with plain parameters (keys str, values exactly str, int, float, bool
    or None), equal exactly when their :func:`_reason_key` is: 1, 1.0 and True differ, a float
    counts by its repr (0.0 and -0.0 differ, every nan is one), the order of parameters does not.

    >>> _plain_key("r", {"n": 1, "s": "x"}) == _plain_key("r", {"s": "x", "n": 1})
    True
    >>> _plain_key("r", {"n": 1}) == _plain_key("r", {"n": True})
    False
    >>> _plain_key("r", {"n": 0.0}) == _plain_key("r", {"n": -0.0})
    False
    """
    types = tuple(map(type, params.values()))
    values = params.values()
    if float in types:
        values = [repr(v) if t is float else v for v, t in zip(values, types)]
    return code, frozenset(zip(params, values, types))


def _plain_reason_key(reason: Reason) -> _PlainKey | None:
    """:func:`_plain_key` of a reason without text whose code and parameters are plain, else None."""
    values = reason.__dict__
    code, params = values["code"], values["params"]
    if values["text"] is None and type(code) is str and type(params) is dict and _scalars(params):
        return _plain_key(code, params)
    return None


class _ReasonIndex:
    """Reasons stored once: each distinct reason (by :func:`_reason_key`) gets the next index.

    A reason of a code with plain parameters is found by its :func:`_plain_key`, far cheaper than
    JSON; JSON keys are made only once a reason of another shape comes, and then for every reason.
    """

    def __init__(self, reasons: Iterable[Reason] = ()) -> None:
        self.reasons: list[Reason] = []
        self._by_json: dict[str, int] = {}  # JSON key -> first index, of reasons[:self._keyed]
        self._keyed = 0
        self._by_plain: dict[_PlainKey, int] = {}  # plain key -> index of the first reason of its JSON key
        self._all_plain = True  # every reason so far has a plain key: a plain key not found is new
        # the same Reason object again (a builder shares them) is found without its key;
        # each entry holds its reason, so no other object can take its id meanwhile
        self._seen: dict[int, tuple[Reason, int]] = {}
        for reason in reasons:  # a list may hold one reason twice: the first stands for both
            first = self._by_json.setdefault(_reason_key(reason), len(self.reasons))
            self.reasons.append(reason)
            self._keyed = len(self.reasons)
            plain = _plain_reason_key(reason)
            if plain is None:
                self._all_plain = False
            else:
                self._by_plain.setdefault(plain, first)

    def index(self, reason: Reason) -> int:
        """The index of ``reason``, added when new."""
        seen = self._seen.get(id(reason))
        if seen is not None and seen[0] is reason:
            return seen[1]
        found = self._found_or_added(reason, _plain_reason_key(reason))
        self._seen[id(reason)] = (reason, found)
        return found

    def index_pair(self, code: str, params: dict[str, Any]) -> int:
        """The index of the reason ``code`` with ``params``, plain (checked by the caller, who
        hands them over: a new reason keeps them); a Reason is made only when it is new."""
        plain = _plain_key(code, params)
        found = self._by_plain.get(plain)
        if found is not None:
            return found
        reason = _construct(Reason, {"code": code, "params": params, "text": None},
                            _fields_set(Reason, ("code", "params")))
        return self._found_or_added(reason, plain)

    def _found_or_added(self, reason: Reason, plain: _PlainKey | None) -> int:
        """The index of ``reason`` (``plain`` its plain key, if it has one), added when new."""
        found = self._by_plain.get(plain) if plain is not None else None
        key = None
        if found is None and not (plain is not None and self._all_plain):
            self._catch_up()
            key = _reason_key(reason)
            found = self._by_json.get(key)
        if found is None:
            found = self._add(reason, plain, key)
        return found

    def _add(self, reason: Reason, plain: _PlainKey | None, key: str | None) -> int:
        """Append a reason found nowhere (``key`` its JSON key, if made)."""
        index = len(self.reasons)
        self.reasons.append(reason)
        if plain is None:
            self._all_plain = False
        else:
            self._by_plain[plain] = index
        if key is not None and self._keyed == index:
            self._by_json[key] = index
            self._keyed += 1
        if not self._all_plain:
            self._catch_up()
        return index

    def _catch_up(self) -> None:
        """JSON keys of every reason so far."""
        for i in range(self._keyed, len(self.reasons)):
            self._by_json.setdefault(_reason_key(self.reasons[i]), i)
        self._keyed = len(self.reasons)


@dataclass(frozen=True)
class _WrittenOrder:
    """Where each operation and each move row stood in the plan as written (-1: not known).

    A plan written as one list (a scenario's manual step, a version-1 plan, a PlanBuilder's calls)
    names an operation by its place in that list; errors keep that numbering.
    """

    operations: tuple[int, ...]
    moves: np.ndarray


def _moves_from_chunks(chunks: Sequence[tuple[Sequence[str], str, str | None, int, int]]) -> tuple[MoveTable, np.ndarray]:
    """One table from (members, to, group, reason index, position) chunks, and each row's position."""
    if not chunks:
        return MoveTable.empty(), np.empty(0, dtype=np.int64)
    lengths = np.fromiter((len(c[0]) for c in chunks), dtype=np.int64, count=len(chunks))
    member = np.empty(int(lengths.sum()), dtype=object)
    member[:] = [m for c in chunks for m in c[0]]

    def repeat(values: list[Any], dtype: Any) -> np.ndarray:
        arr = np.empty(len(values), dtype=dtype)
        arr[:] = values
        return np.repeat(arr, lengths)

    table = MoveTable(member, repeat([c[1] for c in chunks], object), repeat([c[2] for c in chunks], object),
                      repeat([c[3] for c in chunks], np.int32))
    return table, repeat([c[4] for c in chunks], np.int64)


class Plan(_Model):
    """A versioned plan proposed on one structure (named by its fingerprint).

    ``operations`` are the structural operations; ``moves`` is the one table of member moves and
    ``reasons`` the reasons its rows point at. ``move_members`` operations given in
    ``operations`` (a manual step, a version-1 plan) become rows of the table.

    >>> plan = Plan(operations=[MoveMembers(members=["m1", "m2"], to="b2", reason=Reason(code="merge"))])
    >>> plan.plan_version, plan.operations, len(plan.moves), plan.transfers()[0]
    (2, [], 2, ('m1', 'b2', None, 'merge'))
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    plan_version: Literal[1, 2] = Field(default=PLAN_VERSION, description="1 is read and converted; 2 is written")
    strategy: str = "manual"
    params: dict[str, Any] = Field(default_factory=dict)
    fingerprint: str | None = Field(default=None, description="structure the plan was proposed on")
    templates: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="reason code -> {lang: template}"
    )
    operations: list[Operation] = Field(default_factory=list)
    reasons: list[Reason] = Field(default_factory=list, description="reasons of the moves table, each once")
    moves: MoveTable = Field(default_factory=MoveTable.empty)
    meta: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="the strategy's own records by name, each with its 'version' (docs/plans.md)")

    _written: _WrittenOrder | None = PrivateAttr(default=None)

    @field_validator("operations")
    @classmethod
    def _unique_keys(cls, ops: list[Any]) -> list[Any]:
        keys = [op.key for op in ops if isinstance(op, (CreateUnit, CreateHost))]  # the operations with a key
        if len(set(keys)) == len(keys):
            return ops
        seen: set[str] = set()  # a key twice: find the first operation that repeats one
        for i, op in enumerate(ops):
            key = getattr(op, "key", None)
            if key is not None:
                if key in seen:
                    raise ValueError(f"operation {i}: key {key!r} is created twice")
                seen.add(key)
        return ops

    @model_validator(mode="after")
    def _moves_as_one_table(self) -> Plan:
        """``move_members`` operations become table rows; reason indexes must point at reasons."""
        if any(isinstance(op, MoveMembers) for op in self.operations):
            reasons = _ReasonIndex(self.reasons)
            kept, positions, chunks = [], [], []
            for i, op in enumerate(self.operations):
                if isinstance(op, MoveMembers):
                    chunks.append((op.members, op.to, op.group, reasons.index(op.reason), i))
                else:
                    kept.append(op)
                    positions.append(i)
            added, rows = _moves_from_chunks(chunks)
            object.__setattr__(self, "operations", kept)
            object.__setattr__(self, "reasons", reasons.reasons)
            before = np.full(len(self.moves), -1, dtype=np.int64)
            object.__setattr__(self, "moves", MoveTable.concat([self.moves, added]))
            self._written = _WrittenOrder(tuple(positions), np.concatenate([before, rows]))
        if len(self.moves) and int(self.moves.reason.max()) >= len(self.reasons):
            row = int(np.flatnonzero(self.moves.reason >= len(self.reasons))[0])
            raise ValueError(f"moves.reason[{row}]: {self.moves.reason[row]} is not an index into reasons"
                             f" ({len(self.reasons)} reasons)")
        object.__setattr__(self, "plan_version", PLAN_VERSION)
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Plan):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def _fill(self) -> None:
        """Operations kept as rows become objects (pydantic serialises the list itself)."""
        ops = self.__dict__.get("operations")
        if isinstance(ops, _Operations):
            ops.fill()

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:  # noqa: D102
        self._fill()
        return super().model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:  # noqa: D102
        self._fill()
        return super().model_dump_json(**kwargs)

    def operation_rows(self) -> list[Any]:
        """The operations as rows (:data:`ROW_FIELDS`; other types as objects), without building
        objects; for a plan whose operations were read from a Parquet file the rows' reason is None."""
        ops = self.__dict__["operations"]
        if isinstance(ops, _Operations) and ops.rows is not None:
            return [row if type(row) is tuple else operation_row(row) for row in ops.rows]
        if isinstance(ops, _Operations) and ops.table is not None:
            from orgmodel.model.optable import table_rows

            return table_rows(ops.table)  # reasons left out: apply does not read them
        return [operation_row(op) for op in ops]

    def _operations_table(self) -> Any:
        """The operations as one Arrow table (:mod:`orgmodel.model.optable`)."""
        from orgmodel.model.optable import operations_table

        ops = self.__dict__["operations"]
        if isinstance(ops, _Operations) and ops.table is not None:
            return ops.table
        if isinstance(ops, _Operations) and ops.rows is not None:
            return operations_table(ops.rows)
        return operations_table(list(ops))

    __hash__ = None  # type: ignore[assignment]

    # -- the plan as written --------------------------------------------------------------

    def _order(self) -> _WrittenOrder | None:
        return (self.__pydantic_private__ or {}).get("_written")

    def positions(self) -> Sequence[int]:
        """The number errors give each of ``operations``: its place in the plan as written.

        Where the plan was written as one list (a manual step, a version-1 plan, a PlanBuilder),
        move operations and ``move`` calls count too; otherwise it is the index in ``operations``.
        """
        w = self._order()
        return w.operations if w is not None else range(len(self.operations))

    def position(self, operation: int) -> int:
        """The place in the plan as written of ``operations[operation]`` (see :meth:`positions`)."""
        return self.positions()[operation]

    def move_position(self, row: int) -> int | None:
        """The place in the plan as written of the operation that gave move row ``row``, if known."""
        w = self._order()
        if w is None or w.moves[row] < 0:
            return None
        return int(w.moves[row])

    # -- JSON and files -------------------------------------------------------------------

    def to_json(self, *, indent: int | None = 1) -> str:
        """The plan as JSON text (stable key order), the moves table inline."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=indent, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Plan:
        """Read a plan (version 1 or 2) from JSON; a bad plan raises UserError with the field path."""
        from pydantic import ValidationError

        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise UserError(_plan_error(exc)) from None

    def save(self, path: str | Path, *, inline_rows: int = MOVES_INLINE_ROWS) -> Path | None:
        """Write the plan to ``path`` as JSON; more than ``inline_rows`` moves go to a Parquet file beside it.

        The Parquet file is ``NAME.moves.parquet`` (``plan.json`` → ``plan.moves.parquet``); the JSON
        names it with its row count and hash. Returns the Parquet file's path, or None when the
        moves are inline. Each file is written whole or not at all.
        """
        import pyarrow.parquet as pq

        from orgmodel.files import atomic_file, write_text_atomic

        path = Path(path)
        sidecar = moves_sidecar(path)
        op_sidecar = operations_sidecar(path)
        # many small objects that form no cycles: the cyclic collector would walk them again and
        # again (it took half the time of a plan of 350,000 operations)
        collecting = gc.isenabled()
        gc.disable()
        try:
            many = len(self.operations) > inline_rows
            if many:
                data = BaseModel.model_dump(self, mode="json", exclude={"moves", "operations", "reasons"})
                data["reasons"] = [{"code": r.code, "params": r.params, "text": r.text} for r in self.reasons]
                with atomic_file(op_sidecar) as tmp:
                    pq.write_table(self._operations_table(), tmp)
                data["operations"] = {"file": op_sidecar.name, "rows": len(self.operations),
                                      "sha256": _file_sha256(op_sidecar)}
            else:
                data = self.model_dump(mode="json", exclude={"moves"})
                op_sidecar.unlink(missing_ok=True)
            if len(self.moves) > inline_rows:
                with atomic_file(sidecar) as tmp:
                    pq.write_table(self.moves.to_arrow(), tmp)
                data["moves"] = {"file": sidecar.name, "rows": len(self.moves), "sha256": _file_sha256(sidecar)}
            else:
                data["moves"] = self.moves.to_dict()
                sidecar.unlink(missing_ok=True)
            indent = 1 if len(self.operations) <= inline_rows else None  # a large plan compact: far faster
            text = json.dumps(data, ensure_ascii=False, indent=indent, sort_keys=True)
            del data
        finally:
            if collecting:
                gc.enable()
        write_text_atomic(path, text)
        return sidecar if len(self.moves) > inline_rows else None

    @classmethod
    def load(cls, path: str | Path) -> Plan:
        """Read a plan written by :meth:`save` (or any plan JSON), with its Parquet moves file if it has one."""
        from pydantic import ValidationError

        path = Path(path)
        try:
            text = path.read_bytes()
        except OSError as exc:
            raise UserError(f"{path}: cannot read the plan ({exc.strerror})") from None
        collecting = gc.isenabled()
        gc.disable()  # as in save: the cyclic collector would walk every operation read so far, again and again
        try:  # one parse; the moves validator reads the Parquet file the JSON names
            data = json.loads(text) if _OPERATIONS_FILE.search(text) else None
            if not (isinstance(data, dict) and isinstance(data.get("operations"), dict)):
                return cls.model_validate_json(text, context={"plan_path": path})
            table = _read_operations(path, data.pop("operations"))
            if isinstance(data.get("reasons"), list):
                data["reasons"] = [_read_reason(r) for r in data["reasons"]]
            plan = cls.model_validate(data, context={"plan_path": path})
            object.__setattr__(plan, "operations", _Operations(table=table))
            return plan
        except ValidationError as exc:
            raise UserError(f"{path}: {_plan_error(exc)}") from None
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}: invalid plan: {exc}") from None
        finally:
            if collecting:
                gc.enable()

    # -- reading --------------------------------------------------------------------------

    def transfers(self) -> list[tuple[str, str, str | None, str]]:
        """Every member move: (member id, destination branch ref, group ref, reason code), in table order."""
        codes = [r.code for r in self.reasons]
        t = self.moves
        return [(m, to, g, codes[r]) for m, to, g, r in
                zip(t.member.tolist(), t.to.tolist(), t.group.tolist(), t.reason.tolist(), strict=True)]

    def move_batches(self) -> list[MoveMembers]:
        """The moves table as ``move_members`` operations, one per (destination, group, reason).

        Batches come in the order of their first row; members keep table order within a batch.
        """
        batch, first = self.moves.batch_codes()
        if not len(first):
            return []
        order = np.argsort(batch, kind="stable")
        bounds = np.searchsorted(batch[order], np.arange(len(first) + 1))
        t = self.moves
        return [
            MoveMembers.model_construct(
                members=t.member[order[bounds[b]:bounds[b + 1]]].tolist(), to=t.to[row], group=t.group[row],
                reason=self.reasons[int(t.reason[row])],
            )
            for b, row in enumerate(first.tolist())
        ]

    def as_written(self) -> list[Any]:
        """The plan as one list of operations in the order written, moves as ``move_members``.

        This is the version-1 shape, for reading and review: each ``move`` call or ``move_members``
        operation comes back in its place. A plan read from version-2 JSON no longer knows that
        order; its moves then follow the operations as :meth:`move_batches`.

        >>> b = PlanBuilder()
        >>> b.move(["m1"], to="b2", reason="r")
        >>> b.dissolve("b1", members_to="b2", reason="r")
        >>> [op.op for op in b.build().as_written()]
        ['move_members', 'dissolve']
        """
        w = self._order()
        if w is None:
            return [*self.operations, *self.move_batches()]
        items: list[tuple[int, Any]] = list(zip(w.operations, self.operations, strict=True))
        t = self.moves
        known = np.flatnonzero(w.moves >= 0)
        order = known[np.argsort(w.moves[known], kind="stable")]
        positions, starts = np.unique(w.moves[order], return_index=True)
        bounds = [*starts.tolist(), len(order)]
        for i, position in enumerate(positions.tolist()):
            rows = order[bounds[i]:bounds[i + 1]]
            first = int(rows[0])
            items.append((position, MoveMembers.model_construct(
                members=t.member[rows].tolist(), to=t.to[first], group=t.group[first],
                reason=self.reasons[int(t.reason[first])])))
        items.sort(key=lambda item: item[0])
        rest = self._unplaced_batches() if len(known) < len(t) else []
        return [op for _, op in items] + rest

    def _unplaced_batches(self) -> list[MoveMembers]:
        """Move batches of the rows whose place in the plan as written is not known."""
        w = self._order()
        unknown = np.flatnonzero(w.moves < 0) if w is not None else np.arange(len(self.moves))
        part = Plan.model_construct(reasons=self.reasons, moves=MoveTable(
            *(getattr(self.moves, c)[unknown] for c in MoveTable.COLUMNS)))
        return part.move_batches()

    def counts(self) -> dict[str, int]:
        """Number of operations of each type, sorted by type; ``move_members`` counts move batches."""
        out: dict[str, int] = {}
        for row in self.operation_rows():
            op = _row_op(row)
            out[op] = out.get(op, 0) + 1
        batches = len(self.moves.batch_codes()[1])
        if batches:
            out["move_members"] = batches
        return dict(sorted(out.items()))


def moves_sidecar(path: str | Path) -> Path:
    """The Parquet file that holds the moves of the plan saved at ``path``.

    >>> moves_sidecar("out/plan-1.json").as_posix()
    'out/plan-1.moves.parquet'
    """
    path = Path(path)
    return path.with_name(path.stem + ".moves.parquet")


def operations_sidecar(path: str | Path) -> Path:
    """The Parquet file that holds the operations of the plan saved at ``path`` (a large plan).

    >>> operations_sidecar("out/plan-1.json").as_posix()
    'out/plan-1.operations.parquet'
    """
    path = Path(path)
    return path.with_name(path.stem + ".operations.parquet")


_OPERATIONS_FILE = re.compile(rb'"operations":\s*\{')  # where the JSON names an operations file


def _read_operations(plan_path: Path, ref: Any) -> Any:
    """The operations table a plan JSON names, checked against the row count and hash the JSON records."""
    from orgmodel.model.optable import check_table

    sidecar, table = _sidecar_table(plan_path, ref, key="operations", holds="the plan's operations")
    try:
        return check_table(table)
    except ValueError as exc:
        raise UserError(f"{sidecar}: invalid plan: {exc}") from None


def _sidecar_table(plan_path: Path, ref: Any, *, key: str, holds: str) -> tuple[Path, pa.Table]:
    """The Parquet file beside a plan that its JSON names under ``key`` (``moves`` or ``operations``),
    read and checked against the file name, row count and hash the JSON records."""
    import pyarrow.parquet as pq

    name = ref.get("file")
    if not isinstance(name, str) or Path(name).name != name or name in ("", ".", ".."):
        raise UserError(f"{plan_path}: {key}.file: expected a file name beside the plan, got {name!r}")
    sidecar = plan_path.with_name(name)
    if not sidecar.is_file():
        raise UserError(f"{plan_path}: {key}.file: {name} is missing (it holds {holds})")
    if ref.get("sha256") is not None and _file_sha256(sidecar) != ref["sha256"]:
        raise UserError(f"{sidecar}: does not match {plan_path.name} (hash differs); the plan and its {key}"
                        " were written apart")
    try:
        table = pq.read_table(sidecar)
    except (OSError, pa.ArrowException) as exc:
        raise UserError(f"{sidecar}: cannot read the {key} ({exc})") from None
    if ref.get("rows") is not None and table.num_rows != ref["rows"]:
        raise UserError(f"{sidecar}: {table.num_rows} {key}, but {plan_path.name} says {ref['rows']}")
    return sidecar, table


def _read_reason(value: Any) -> Any:
    """A reason read from JSON: the Reason, when it holds plain values (else validation decides)."""
    if (type(value) is dict and value.keys() <= {"code", "params", "text"} and type(value.get("code")) is str
            and value["code"] and type(value.get("params", {})) is dict and _scalars(value.get("params", {}))
            and (value.get("text") is None or type(value["text"]) is str)):
        return _construct(Reason, {"code": value["code"], "params": value.get("params", {}), "text": value.get("text")},
                          _fields_set(Reason, tuple(value)))
    return value


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


def _read_sidecar(plan_path: Path, ref: Mapping[str, Any]) -> MoveTable:
    """The moves table a plan JSON names, checked against the row count and hash the JSON records."""
    sidecar, table = _sidecar_table(plan_path, ref, key="moves", holds="the plan's member moves")
    try:
        return MoveTable.from_arrow(table)
    except ValueError as exc:
        raise UserError(f"{sidecar}: {exc}") from None


def _plan_error(exc: Any) -> str:
    """A pydantic error as one line: the field path and the message."""
    err = exc.errors()[0]
    path = ".".join(str(p) for p in err["loc"])
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"invalid plan: {path}: {message}" if path else f"invalid plan: {message}"


_SCALARS = frozenset((str, int, float, bool, type(None)))


def _texts(values: list[Any]) -> bool:
    """Every item plain text (else validation decides): a subclass such as numpy's str_ is
    converted by validation, so only ``str`` itself is kept as it is."""
    for v in values:
        if type(v) is not str:
            return False
    return True


def _scalars(values: dict[Any, Any]) -> bool:
    """Keys plain text and values plain scalars (else validation decides)."""
    for k, v in values.items():
        if type(k) is not str or type(v) not in _SCALARS:
            return False
    return True


_CHANGES = ("name", "tags", "attrs", "built_on")  # what set_attributes changes, in field order


def _checked_changes(changes: dict[str, Any]) -> dict[str, Any] | None:
    """set_attributes' changes as validation would keep them (lists and dicts copied), or None
    when validation has to decide (an unknown field, a value of another type)."""
    out: dict[str, Any] = {}
    for field in _CHANGES:
        v = changes.get(field)
        if v is None or (field == "name" and type(v) is str):
            out[field] = v
        elif field == "attrs" and type(v) is dict and _scalars(v):
            out[field] = dict(v)
        elif field in ("tags", "built_on") and type(v) is list and _texts(v):
            out[field] = list(v)
        else:
            return None
    return out if len(changes.keys() - set(_CHANGES)) == 0 else None


def _construct(cls: type[_Model], values: dict[str, Any], fields_set: set[str]) -> Any:
    """A model from every field's value, already checked to be what validation would keep unchanged
    (what ``model_construct`` does, without its per-field lookups)."""
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", fields_set)
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


_FIELDS_SET: dict[tuple[type, tuple[str, ...]], set[str]] = {}


def _fields_set(cls: type, names: tuple[str, ...]) -> set[str]:
    """One shared ``__pydantic_fields_set__`` per model and fields given: frozen models never change
    theirs (a copy gets its own), and hundreds of thousands fewer sets leave the garbage collector
    less to walk."""
    key = (cls, names)
    shared = _FIELDS_SET.get(key)
    if shared is None:
        shared = _FIELDS_SET[key] = set(names)
    return shared


def _trusted(cls: type[_Op], fields: dict[str, Any]) -> Any:
    """An operation from checked field values: ``fields`` hold every field but ``op``, as a
    validated call with all of them would; the result equals the validated operation, field for
    field, without its cost (a plan of a large district has hundreds of thousands of operations)."""
    values = {"reason": fields["reason"], "op": cls.model_fields["op"].default}
    values.update(fields)
    return _construct(cls, values, _fields_set(cls, tuple(fields)))


class PlanBuilder:
    """A convenient way for a strategy to write a plan; every call needs a reason.

    Methods return the reference to use for a created unit (``new:KEY``). Member moves gather
    into the plan's one moves table; errors number operations and ``move`` calls in call order.
    Operations of the common types are kept as rows (a tuple each, :data:`ROW_FIELDS`) and become
    objects only when someone reads ``plan.operations``.
    """

    def __init__(
        self,
        structure: Structure | None = None,
        *,
        strategy: str = "manual",
        params: Mapping[str, Any] | None = None,
        templates: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.strategy = strategy
        self.params = dict(params or {})
        self.fingerprint = structure.fingerprint if structure is not None else None
        self.templates = {k: dict(v) for k, v in (templates or {}).items()}
        self._rows: list[Any] = []
        self._positions: list[int] = []
        self._moves: list[tuple[list[str], str, str | None, int, int]] = []
        self._reasons = _ReasonIndex()
        self._calls = 0  # operations and move calls so far: the numbering errors use
        self.meta: dict[str, dict[str, Any]] = {}  # the strategy's own records (Plan.meta)

    @property
    def operations(self) -> list[Any]:
        """The operations so far, as objects."""
        return [row_operation(r) for r in self._rows]

    def add(self, op: Any) -> None:
        """Append a ready-made operation (a ``MoveMembers`` becomes rows of the moves table)."""
        if isinstance(op, MoveMembers):
            self._add_moves(list(op.members), op.to, op.group, op.reason)
            return
        self._row(op)

    def _row(self, row: Any) -> None:
        self._rows.append(row)
        self._positions.append(self._calls)
        self._calls += 1

    def _reason(self, value: ReasonLike) -> Reason:
        """:func:`as_reason`; a code, or a code with plain parameters, needs no validation."""
        if isinstance(value, Reason):
            return value
        if type(value) is str:
            if value:
                return _construct(Reason, {"code": value, "params": {}, "text": None}, _fields_set(Reason, ("code",)))
        elif type(value) is tuple and len(value) == 2:
            code, params = value
            if type(code) is str and code and isinstance(params, Mapping):
                params = dict(params)
                if _scalars(params):
                    return _construct(Reason, {"code": code, "params": params, "text": None},
                                      _fields_set(Reason, ("code", "params")))
        return as_reason(value)  # anything else is validated (and refused as before)

    def _row_reason(self, value: ReasonLike) -> Reason | tuple[str, dict[str, Any]]:
        """What a row keeps as its reason: a code with plain parameters stays a (code, params) pair
        (a Reason is made when the operation is read); anything else as :meth:`_reason` gives it."""
        if type(value) is tuple and len(value) == 2:
            code, params = value
            if type(code) is str and code and (type(params) is dict or isinstance(params, Mapping)):
                params = params.copy() if type(params) is dict else dict(params)
                for k, v in params.items():  # _scalars, inline: this runs for nearly every call
                    if type(k) is not str or type(v) not in _SCALARS:
                        break
                else:
                    return (code, params)
        return self._reason(value)

    def _add_moves(self, members: list[str], to: str, group: str | None,
                   reason: Reason | tuple[str, dict[str, Any]]) -> None:
        """Rows moving ``members``; ``reason`` as :meth:`_row_reason` gives it."""
        if not isinstance(to, str) or not to or not (group is None or (isinstance(group, str) and group)):
            raise ValueError(f"move: destination and group must be unit references, got to={to!r}, group={group!r}")
        index = self._reasons.index_pair(*reason) if type(reason) is tuple else self._reasons.index(reason)
        self._moves.append((members, to, group, index, self._calls))
        self._calls += 1

    def create_unit(self, key: str, *, kind: str, name: str, reason: ReasonLike, parent: str | None = None,
                    built_on: Sequence[str] = (), tags: Sequence[str] = (),
                    attrs: Mapping[str, Any] | None = None) -> str:
        """Create an organisation unit; returns ``new:KEY``."""
        built_on, tags, attrs = list(built_on), list(tags), dict(attrs or {})
        reason = self._row_reason(reason)
        if (type(key) is str and key and type(kind) is str and type(name) is str
                and (parent is None or type(parent) is str) and (not built_on or _texts(built_on))
                and (not tags or _texts(tags)) and (not attrs or _scalars(attrs))):
            self._row(("create_unit", key, kind, name, parent, built_on, tags, attrs, reason))
        else:
            self.add(CreateUnit(key=key, kind=kind, name=name, parent=parent, built_on=built_on, tags=tags,
                                attrs=attrs, reason=_reason_object(reason)))
        return NEW + key

    def create_host(self, key: str, *, kind: str, name: str, reason: ReasonLike,
                    parent: str | None = None, tags: Sequence[str] = ()) -> str:
        """Create a host unit; returns ``new:KEY``."""
        tags = list(tags)
        reason = self._row_reason(reason)
        if (type(key) is str and key and type(kind) is str and type(name) is str
                and (parent is None or type(parent) is str) and (not tags or _texts(tags))):
            self._row(("create_host", key, kind, name, parent, tags, reason))
        else:
            self.add(CreateHost(key=key, kind=kind, name=name, parent=parent, tags=tags, reason=_reason_object(reason)))
        return NEW + key

    def retype(self, unit: str, *, kind: str, reason: ReasonLike, name: str | None = None) -> None:
        """Change a unit's kind in place."""
        reason = self._row_reason(reason)
        if type(unit) is str and type(kind) is str and (name is None or type(name) is str):
            self._row(("retype", unit, kind, name, reason))
        else:
            self.add(Retype(unit=unit, kind=kind, name=name, reason=_reason_object(reason)))

    def dissolve(self, unit: str, *, reason: ReasonLike, members_to: str | None = None,
                 members_group: str | None = None, children_to: str | None = None) -> None:
        """Dissolve a unit, saying where its members and children go."""
        reason = self._row_reason(reason)
        if (type(unit) is str and (members_to is None or type(members_to) is str)
                and (members_group is None or type(members_group) is str)
                and (children_to is None or type(children_to) is str)):
            self._row(("dissolve", unit, members_to, members_group, children_to, reason))
        else:
            self.add(Dissolve(unit=unit, members_to=members_to, members_group=members_group, children_to=children_to,
                              reason=_reason_object(reason)))

    def attach(self, unit: str, *, parent: str | None, reason: ReasonLike) -> None:
        """Put a unit under a new parent."""
        reason = self._row_reason(reason)
        if type(unit) is str and (parent is None or type(parent) is str):
            self._row(("attach", unit, parent, reason))
        else:
            self.add(Attach(unit=unit, parent=parent, reason=_reason_object(reason)))

    def set_attributes(self, unit: str, *, reason: ReasonLike, **changes: Any) -> None:
        """Change name, tags, attrs or built_on of a unit."""
        reason = self._reason(reason)
        checked = _checked_changes(changes) if type(unit) is str else None
        if checked is not None:
            self.add(_construct(SetAttributes, {"reason": reason, "op": "set_attributes", "unit": unit, **checked},
                                {"unit", "reason", *changes}))
        else:
            self.add(SetAttributes(unit=unit, reason=reason, **changes))

    def link_alliance(self, unit: str, *, coordinator: str, reason: ReasonLike) -> None:
        """Ally a unit with a coordinating unit."""
        reason = self._reason(reason)
        if type(unit) is str and type(coordinator) is str:
            self.add(_trusted(LinkAlliance, {"unit": unit, "coordinator": coordinator, "reason": reason}))
        else:
            self.add(LinkAlliance(unit=unit, coordinator=coordinator, reason=reason))

    def unlink_alliance(self, unit: str, *, coordinator: str, reason: ReasonLike) -> None:
        """Remove an alliance link."""
        reason = self._reason(reason)
        if type(unit) is str and type(coordinator) is str:
            self.add(_trusted(UnlinkAlliance, {"unit": unit, "coordinator": coordinator, "reason": reason}))
        else:
            self.add(UnlinkAlliance(unit=unit, coordinator=coordinator, reason=reason))

    def add_participation(self, members: Iterable[str], *, unit: str, reason: ReasonLike) -> None:
        """Members take part in a unit."""
        fields = {"members": list(members), "unit": unit, "reason": self._reason(reason)}
        if _texts(fields["members"]) and type(unit) is str:
            self.add(_trusted(AddParticipation, fields))
        else:
            self.add(AddParticipation(**fields))

    def remove_participation(self, members: Iterable[str], *, unit: str, reason: ReasonLike) -> None:
        """Members stop taking part in a unit."""
        fields = {"members": list(members), "unit": unit, "reason": self._reason(reason)}
        if _texts(fields["members"]) and type(unit) is str:
            self.add(_trusted(RemoveParticipation, fields))
        else:
            self.add(RemoveParticipation(**fields))

    def set_role(self, unit: str, *, role: str, person: str, reason: ReasonLike,
                 since: str | None = None) -> None:
        """Someone takes a role in a unit."""
        reason = self._row_reason(reason)
        if type(unit) is str and type(role) is str and type(person) is str and (since is None or type(since) is str):
            self._row(("set_role", unit, role, person, since, reason))
        else:
            self.add(SetRole(unit=unit, role=role, person=person, since=since, reason=_reason_object(reason)))

    def clear_role(self, unit: str, *, role: str, reason: ReasonLike, person: str | None = None) -> None:
        """Remove a role."""
        reason = self._row_reason(reason)
        if type(unit) is str and type(role) is str and (person is None or type(person) is str):
            self._row(("clear_role", unit, role, person, reason))
        else:
            self.add(ClearRole(unit=unit, role=role, person=person, reason=_reason_object(reason)))

    def move(self, members: Iterable[str], *, to: str, reason: ReasonLike, group: str | None = None) -> None:
        """Move members' relation to branch ``to`` (rows of the moves table, any number of members)."""
        members = list(map(str, members))
        if members:
            self._add_moves(members, to, group, self._row_reason(reason))

    def build(self) -> Plan:
        """The finished plan."""
        seen: set[str] = set()
        for i, row in enumerate(self._rows):
            op = _row_op(row)
            if op == "create_unit" or op == "create_host":
                key = row[1] if type(row) is tuple else row.key
                if key in seen:
                    raise ValueError(f"operation {i}: key {key!r} is created twice")
                seen.add(key)
        moves, rows = _moves_from_chunks(self._moves)
        plan = Plan(strategy=self.strategy, params=self.params, fingerprint=self.fingerprint,
                    templates=self.templates, reasons=list(self._reasons.reasons), moves=moves, meta=self.meta)
        object.__setattr__(plan, "operations", _Operations(list(self._rows)))
        plan._written = _WrittenOrder(tuple(self._positions), rows)
        return plan
