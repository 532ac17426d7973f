"""The Structure: a unit graph plus a columnar member table, immutable and shared copy-on-write.

Units (organisation units and host units) live in per-unit arrays indexed by a dense integer
*code*; members are rows of numpy columns indexed by their own code. The relations of DESIGN.md:

- ``belongs_to`` unit → parent unit: the ``parent`` array of organisation units (a forest);
- ``part_of`` host → host: the ``parent`` array of host units (a forest too);
- ``belongs_to`` member → branch (and optional group): the member columns ``branch`` and ``group``;
- ``built_on`` unit → host units, ``allied_with`` unit → coordinating unit, ``adjacent_to``
  host – host: edge arrays;
- ``participates_in`` member → unit: a sorted edge array (a sparse member × unit matrix).

Nothing here is ever mutated after construction: arrays are read-only, and
:func:`orgmodel.model.apply.apply` builds a new Structure that shares every column it did not change.

>>> from orgmodel.testing_data import tiny_structure
>>> s = tiny_structure()
>>> s.n_members, s.n_units
(7, 8)
>>> s.member_ids_of("b1")
['m1', 'm2', 'm3', 'm4']
>>> int(s.size("gb", subtree=True)), int(s.size("b1", full_only=True))
(7, 3)
>>> s.parent("b1"), s.children("gb")
('gb', ['b1', 'b2'])
>>> s.built_on("b2")
['t1', 't2']
>>> s.teams_of("m1")
['t1']
"""

from __future__ import annotations

import collections
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import count, repeat
from operator import attrgetter, contains, methodcaller
from types import MappingProxyType
from typing import Any, Literal

import networkx as nx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orgmodel.errors import UserError
from orgmodel.model.kinds import UNPLACED, KindTable

__all__ = ["Structure", "Unit", "Role", "UnitTable", "MemberTable", "TieTable", "TableOrigin", "frozen"]

NO_UNIT = -1

# Columns every member table has, with their numpy dtypes; attribute columns may be added.
MEMBER_CORE_COLUMNS: dict[str, str] = {
    "branch": "int32",
    "group": "int32",
    "status": "int8",
    "home_host": "int32",
    "active": "bool",
}
MEMBER_KNOWN_ATTRIBUTES: dict[str, str] = {
    "birth_date": "datetime64[D]",
    "joined": "datetime64[D]",
    "retired": "bool",
    "mobile": "bool",
    "mobility_limited": "bool",
    "backbone": "bool",
}


def frozen(array: np.ndarray) -> np.ndarray:
    """Mark ``array`` read-only and return it (a view, so the caller's array stays writable)."""
    view = array.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True)
class TableOrigin:
    """Where a table came from, so that row errors name the file and line.

    ``first_line`` is the file line of row 0 (2 for a CSV with a header row); ``lines`` gives
    each row's line instead (rows written inline in YAML); with neither, errors name the row.
    """

    file: str
    first_line: int | None = 2
    lines: tuple[int, ...] | None = None
    columns: Mapping[str, str] = field(default_factory=dict)  # our name -> the file's header
    errors: tuple[Any, ...] = ()  # errors found while reading it (RosterError), reported with the build's

    def line(self, row: int) -> int | None:
        if self.lines is not None:
            return self.lines[row] if 0 <= row < len(self.lines) else None
        return None if self.first_line is None else self.first_line + row

    def header(self, column: str) -> str:
        return self.columns.get(column, column)


@dataclass(frozen=True)
class Unit:
    """A read-only view of one unit."""

    id: str
    kind: str
    name: str
    parent: str | None
    dissolved: bool
    tags: tuple[str, ...]
    attrs: Mapping[str, Any]


@dataclass(frozen=True, order=True, slots=True)
class Role:
    """A role someone holds in a unit: ``person`` may be a member id or someone outside the roster."""

    unit: str
    role: str
    person: str
    since: str | None = None


@dataclass(frozen=True)
class UnitTable:
    """Per-unit arrays; index = unit code. Codes are never reused: dissolved units stay, flagged."""

    ids: np.ndarray  # object, str
    kind: np.ndarray  # int16 kind code
    parent: np.ndarray  # int32, NO_UNIT for roots
    name: np.ndarray  # object, str
    dissolved: np.ndarray  # bool
    tags: np.ndarray  # object, tuple[str, ...]
    attrs: np.ndarray  # object, dict (treated as immutable)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class MemberTable:
    """Member columns; index = member code. ``columns`` holds the core and attribute columns.

    ``columns`` is a read-only mapping of read-only arrays, shared between the structures of a
    run until :meth:`with_columns` replaces a whole column in a new table (copy-on-write).

    >>> t = MemberTable(ids=np.array(["m1", "m2"], dtype=object), columns={"active": np.ones(2, bool)})
    >>> t.columns["active"] = np.zeros(2, bool)
    Traceback (most recent call last):
    ...
    TypeError: 'mappingproxy' object does not support item assignment
    >>> t["active"][0] = False
    Traceback (most recent call last):
    ...
    ValueError: assignment destination is read-only
    >>> u = t.with_columns({"active": np.array([True, False])})
    >>> t["active"].tolist(), u["active"].tolist(), u.ids is t.ids
    ([True, True], [True, False], True)
    """

    ids: np.ndarray  # object, str
    columns: Mapping[str, np.ndarray]

    def __post_init__(self) -> None:
        object.__setattr__(self, "ids", _read_only(self.ids))
        if not isinstance(self.columns, MappingProxyType):
            object.__setattr__(self, "columns", MappingProxyType({k: _read_only(v) for k, v in self.columns.items()}))

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the columns as a plain dict (a mapping proxy cannot be pickled)."""
        return (_unpickle_member_table, (self.ids, dict(self.columns)))

    def with_columns(self, changes: Mapping[str, np.ndarray]) -> MemberTable:
        """A new table with these columns added or replaced; every other column is shared."""
        for name, values in changes.items():
            if len(values) != len(self.ids):
                raise ValueError(f"member column {name!r} has {len(values)} rows, the table {len(self.ids)}")
        return MemberTable(ids=self.ids, columns={**self.columns, **changes})


def _unpickle_member_table(ids: np.ndarray, columns: dict[str, np.ndarray]) -> MemberTable:
    """A member table from freshly unpickled arrays: they are nobody else's, so frozen in place."""
    for array in (ids, *columns.values()):
        array.flags.writeable = False
    return MemberTable(ids=ids, columns=columns)


def _read_only(array: np.ndarray) -> np.ndarray:
    """``array`` itself when it is read-only already, else a read-only copy (the caller keeps theirs)."""
    array = np.asarray(array)
    return array if not array.flags.writeable else frozen(array.copy())


@dataclass(frozen=True)
class EdgeArrays:
    """A set of directed edges between codes, sorted by (src, dst), without duplicates."""

    src: np.ndarray
    dst: np.ndarray

    @staticmethod
    def build(src: Iterable[int] | np.ndarray, dst: Iterable[int] | np.ndarray) -> EdgeArrays:
        s = np.asarray(src, dtype=np.int32).reshape(-1)
        d = np.asarray(dst, dtype=np.int32).reshape(-1)
        if len(s):
            width = np.int64(max(int(d.max()), 0) + 1)
            keys = sorted_unique(s.astype(np.int64) * width + d)
            s, d = (keys // width).astype(np.int32), (keys % width).astype(np.int32)
        return EdgeArrays(frozen(s), frozen(d))

    def __len__(self) -> int:
        return len(self.src)

    def targets(self, code: int) -> np.ndarray:
        # in src's own dtype: a list of Python ints would cast all of src to int64 on every call
        lo, hi = np.searchsorted(self.src, np.array([code, code + 1], dtype=self.src.dtype))
        return self.dst[lo:hi]

    def sources(self, code: int) -> np.ndarray:
        by_dst, offsets = self._by_dst
        if not 0 <= code < len(offsets) - 1:
            return by_dst[:0]
        return by_dst[offsets[code] : offsets[code + 1]]

    @cached_property
    def _by_dst(self) -> tuple[np.ndarray, np.ndarray]:
        """src sorted by (dst, src), and where each dst starts: sources() without a scan of every edge."""
        order = np.lexsort((self.src, self.dst))
        n = int(self.dst.max()) + 1 if len(self.dst) else 0
        return self.src[order], np.searchsorted(self.dst[order], np.arange(n + 1, dtype=self.dst.dtype))


@dataclass(frozen=True)
class TieTable:
    """Weighted, undirected social ties between members (a < b by code), for tie-aware splits."""

    a: np.ndarray
    b: np.ndarray
    weight: np.ndarray

    @staticmethod
    def empty() -> TieTable:
        z = frozen(np.empty(0, dtype=np.int32))
        return TieTable(z, z, frozen(np.empty(0, dtype=np.float64)))

    def __len__(self) -> int:
        return len(self.a)


class Structure:
    """An organisation: units, members, participation and roles. Immutable.

    Build one with :meth:`from_columns` (bulk, what loaders use) or :meth:`from_records`
    (small, what tests and examples use); change one only through a plan
    (:func:`orgmodel.model.apply.apply`).
    """

    FIELDS = (
        "kinds",
        "units",
        "members",
        "built_on_edges",
        "alliance_edges",
        "adjacency_edges",
        "participation",
        "ties",
        "roles",
        "personal",
    )
    __slots__ = FIELDS + ("__dict__",)

    def __init__(
        self,
        *,
        kinds: KindTable,
        units: UnitTable,
        members: MemberTable,
        built_on_edges: EdgeArrays,
        alliance_edges: EdgeArrays,
        adjacency_edges: EdgeArrays,
        participation: EdgeArrays,
        roles: tuple[Role, ...] = (),
        personal: Mapping[str, np.ndarray] | None = None,
        ties: TieTable | None = None,
    ) -> None:
        self.kinds = kinds
        self.units = units
        self.members = members
        self.built_on_edges = built_on_edges
        self.alliance_edges = alliance_edges
        self.adjacency_edges = adjacency_edges
        self.participation = participation
        self.ties = ties if ties is not None else TieTable.empty()
        self.roles = _sorted_roles(roles)
        self.personal = dict(personal or {})

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_records(
        cls,
        kinds: KindTable,
        *,
        units: Sequence[Mapping[str, Any]],
        members: Sequence[Mapping[str, Any]],
        participation: Iterable[tuple[str, str]] = (),
        roles: Iterable[Role | Mapping[str, Any]] = (),
        alliances: Iterable[tuple[str, str]] = (),
        adjacency: Iterable[tuple[str, str]] = (),
        ties: Iterable[tuple[str, str, float]] = (),
    ) -> Structure:
        """Build a small structure from dicts; see :meth:`from_columns` for the fields."""
        keys = ["id", "kind", "name", "parent", "built_on", "tags"]
        keys += sorted({k for u in units for k in u} - set(keys))  # attributes, e.g. room_capacity
        unit_cols: dict[str, list[Any]] = {k: [u.get(k) for u in units] for k in keys}
        names = sorted({k for m in members for k in m})
        member_cols = {k: [m.get(k) for m in members] for k in names}
        if not members:
            member_cols = {"id": [], "branch": []}
        return cls.from_columns(
            kinds,
            units=unit_cols,
            members=member_cols,
            participation=participation,
            roles=roles,
            alliances=alliances,
            adjacency=adjacency,
            ties=ties,
        )

    @classmethod
    def from_columns(
        cls,
        kinds: KindTable,
        *,
        units: Mapping[str, Sequence[Any]],
        members: Mapping[str, Any],
        participation: Iterable[tuple[str, str]] | tuple[Any, Any] = (),
        roles: Iterable[Role | Mapping[str, Any]] = (),
        alliances: Iterable[tuple[str, str]] = (),
        adjacency: Iterable[tuple[str, str]] = (),
        ties: Iterable[tuple[str, str, float]] | tuple[Any, Any, Any] = (),
        personal_columns: Sequence[str] = ("name", "id_number", "phone"),
        origins: Mapping[str, TableOrigin] | None = None,
    ) -> Structure:
        """Build a structure from columns and check it.

        ``units``: ``id``, ``kind`` (a kind id of the pack), ``name``, ``parent`` (for an
        organisation unit its parent unit, for a host unit the host it is part of), ``built_on``
        (a list of host ids, or one id, or a ``;``-separated string), ``tags``.
        ``ties``: weighted social ties between members (member a, member b, weight).
        ``members``: ``id``, ``branch`` (required), ``group``, ``status`` (default: the pack's
        first full status), ``home_host``, ``active`` and any attribute columns; columns named in
        ``personal_columns`` go to the separate personal table. ``participation``: pairs
        (member id, unit id). Errors name the table's file and line when ``origins`` says.
        """
        from orgmodel.model.building import build_structure

        return build_structure(
            cls,
            kinds,
            units=units,
            members=members,
            participation=participation,
            roles=roles,
            alliances=alliances,
            adjacency=adjacency,
            ties=ties,
            personal_columns=personal_columns,
            origins=origins or {},
        )

    def replace(self, **changes: Any) -> Structure:
        """A new Structure sharing everything not named in ``changes`` (no checks run)."""
        fields = {name: getattr(self, name) for name in self.FIELDS}
        changed = {name for name, value in changes.items() if value is not fields[name]}
        fields.update(changes)
        new = Structure(**fields)
        # derived tables that depend only on what did not change are shared, not rebuilt
        same_ids = "members" not in changed or new.members.ids is self.members.ids
        names = []
        if {"roles", "units"}.isdisjoint(changed):
            names += ["role_table", "_roles_by_unit", "_role_people"]
            if same_ids:
                names.append("_role_member_codes")
        if "units" not in changed:
            names += ["_attr_columns", "tag_codes", "_unit_index", "_children_index", "depth", "units_with_attrs",
                      "unit_id_array"]
        if same_ids:
            names += ["_member_index", "member_id_array"]
        for name in names:
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name]
        return new

    # -- identity -------------------------------------------------------------------------

    @property
    def n_units(self) -> int:
        """Number of unit codes, dissolved units included."""
        return len(self.units)

    @property
    def n_members(self) -> int:
        """Number of member rows, inactive members included."""
        return len(self.members)

    @cached_property
    def _unit_index(self) -> dict[str, int]:
        return dict(zip(self.units.ids.tolist(), range(self.n_units)))

    @cached_property
    def _member_index(self) -> dict[str, int]:
        return dict(zip(self.members.ids.tolist(), range(self.n_members)))

    @cached_property
    def member_id_array(self) -> pa.Array:
        """Member ids as one arrow string array (index = member code), for joins on ids in bulk."""
        return pa.array(self.members.ids, pa.string())

    @cached_property
    def unit_id_array(self) -> pa.Array:
        """Unit ids as one arrow string array (index = unit code), for joins on ids in bulk."""
        return pa.array(self.units.ids, pa.string())

    def unit_code(self, unit_id: str) -> int:
        """Code of a unit id; a UserError names an unknown id."""
        try:
            return self._unit_index[unit_id]
        except (KeyError, TypeError):
            raise UserError(f"unknown unit {unit_id!r}") from None

    def has_unit(self, unit_id: str) -> bool:
        """Whether the id names a unit (live or dissolved)."""
        return unit_id in self._unit_index

    def unit_codes(self, unit_ids: Iterable[str]) -> np.ndarray:
        """Codes of several unit ids."""
        return np.array([self.unit_code(u) for u in unit_ids], dtype=np.int32)

    def member_codes(self, member_ids: Iterable[str]) -> np.ndarray:
        """Codes of member ids; a UserError names the first unknown id."""
        index = self._member_index
        try:
            return np.fromiter((index[m] for m in member_ids), dtype=np.int32)
        except (KeyError, TypeError) as exc:
            raise UserError(f"unknown member {exc.args[0]!r}") from None

    def member_code(self, member_id: str) -> int:
        """Code of one member id."""
        return int(self.member_codes([member_id])[0])

    # -- units ----------------------------------------------------------------------------

    def _id(self, code: int) -> str | None:
        return None if code < 0 else str(self.units.ids[code])

    def unit(self, unit_id: str) -> Unit:
        """A read-only view of one unit."""
        c = self.unit_code(unit_id)
        u = self.units
        return Unit(
            id=unit_id,
            kind=self.kinds[int(u.kind[c])].id,
            name=str(u.name[c]),
            parent=self._id(int(u.parent[c])),
            dissolved=bool(u.dissolved[c]),
            tags=tuple(u.tags[c]),
            attrs=dict(u.attrs[c]),
        )

    def kind_of(self, unit_id: str) -> str:
        """The kind id of a unit."""
        return self.kinds[int(self.units.kind[self.unit_code(unit_id)])].id

    def unit_ids(
        self, kind: str | None = None, *, role: Literal["org", "host"] | None = None, live: bool = True
    ) -> list[str]:
        """Unit ids in code order, optionally of one kind or role, live units only by default."""
        mask = ~self.units.dissolved if live else np.ones(self.n_units, dtype=bool)
        if kind is not None:
            mask &= self.units.kind == self.kinds.code(kind)
        if role is not None:
            mask &= self.kinds.is_org[self.units.kind] == (role == "org")
        return self.units.ids[mask].tolist()

    def parent(self, unit_id: str) -> str | None:
        """The parent unit (``belongs_to`` for organisations, ``part_of`` for hosts)."""
        return self._id(int(self.units.parent[self.unit_code(unit_id)]))

    @cached_property
    def _children_index(self) -> tuple[np.ndarray, np.ndarray]:
        parent = np.where(self.units.dissolved, NO_UNIT, self.units.parent)
        return _group_index(parent, self.n_units)

    def child_codes(self, code: int) -> np.ndarray:
        """Codes of the live children of a unit code, in code order."""
        order, offsets = self._children_index
        return order[offsets[code] : offsets[code + 1]]

    def children(self, unit_id: str) -> list[str]:
        """Live child units, in code order."""
        return self.units.ids[self.child_codes(self.unit_code(unit_id))].tolist()

    def descendants(self, unit_id: str) -> list[str]:
        """Every live unit below ``unit_id``, breadth first."""
        out: list[int] = []
        frontier = self.child_codes(self.unit_code(unit_id))
        while len(frontier):
            out.extend(frontier.tolist())
            frontier = np.concatenate([self.child_codes(int(c)) for c in frontier])
        return self.units.ids[np.asarray(out, dtype=np.int64)].tolist()

    def built_on(self, unit_id: str) -> list[str]:
        """Host units a unit is built on (several for a joint branch)."""
        return self.units.ids[self.built_on_edges.targets(self.unit_code(unit_id))].tolist()

    def built_on_by(self, host_id: str) -> list[str]:
        """Live units built on a host unit."""
        codes = self.built_on_edges.sources(self.unit_code(host_id))
        return self.units.ids[codes[~self.units.dissolved[codes]]].tolist()

    def allied_with(self, unit_id: str) -> list[str]:
        """Coordinating units this unit is allied with (``allied_with`` is a star)."""
        return self.units.ids[self.alliance_edges.targets(self.unit_code(unit_id))].tolist()

    def allies(self, coordinator_id: str) -> list[str]:
        """Units allied with a coordinating unit."""
        return self.units.ids[self.alliance_edges.sources(self.unit_code(coordinator_id))].tolist()

    def adjacent(self, host_id: str) -> list[str]:
        """Host units adjacent to ``host_id`` (the relation is stored once, read both ways)."""
        c = self.unit_code(host_id)
        neighbours, offsets = self._adjacency_index
        codes = sorted_unique(neighbours[offsets[c]:offsets[c + 1]])
        return self.units.ids[codes].tolist()

    @cached_property
    def _adjacency_index(self) -> tuple[np.ndarray, np.ndarray]:
        """Every unit's neighbours, grouped once: those of unit c are ``neighbours[offsets[c]:offsets[c+1]]``."""
        e = self.adjacency_edges
        ends = np.concatenate([e.src, e.dst])
        others = np.concatenate([e.dst, e.src])
        order, offsets = _group_index(ends, self.n_units)
        return frozen(others[order]), offsets

    @cached_property
    def units_with_attrs(self) -> np.ndarray:
        """Codes of units that carry any attribute (most carry none), ascending."""
        return frozen(np.flatnonzero(self.units.attrs.astype(bool)))  # each dict's truth, in one C loop

    @cached_property
    def depth(self) -> np.ndarray:
        """Depth of every unit in its forest (roots 0); -1 for dissolved units."""
        from orgmodel.model.invariants import forest_depth

        depth, _ = forest_depth(self.units.parent, self.units.dissolved)
        return frozen(depth)

    # -- members --------------------------------------------------------------------------

    def column(self, name: str) -> np.ndarray:
        """A member column (read-only), indexed by member code."""
        try:
            return self.members.columns[name]
        except KeyError:
            have = ", ".join(sorted(self.members.columns))
            raise UserError(f"no member column {name!r} (have: {have})") from None

    @cached_property
    def full_mask(self) -> np.ndarray:
        """Members whose status counts as full in the domain pack (and who are active)."""
        statuses = self.kinds.pack.statuses
        full = np.array([s in self.kinds.full_statuses for s in statuses], dtype=bool)
        return frozen(full[self.members["status"]] & self.members["active"])

    def status_of(self, member_id: str) -> str:
        """A member's status as text."""
        return self.kinds.pack.statuses[int(self.members["status"][self.member_code(member_id)])]

    @cached_property
    def _branch_index(self) -> tuple[np.ndarray, np.ndarray]:
        return _group_index(self._active_column("branch"), self.n_units)

    @cached_property
    def _group_member_index(self) -> tuple[np.ndarray, np.ndarray]:
        return _group_index(self._active_column("group"), self.n_units)

    def _active_column(self, name: str) -> np.ndarray:
        col = self.members[name]
        return np.where(self.members["active"], col, NO_UNIT)

    def member_codes_of(self, unit_id: str, *, subtree: bool = False) -> np.ndarray:
        """Codes of active members whose relation is in the unit (or below it), ascending."""
        code = self.unit_code(unit_id)
        units = [code]
        if subtree:
            units += self.unit_codes(self.descendants(unit_id)).tolist()
        parts = []
        for u in units:
            is_group = self.kinds.is_group[self.units.kind[u]]
            order, offsets = self._group_member_index if is_group else self._branch_index
            if is_group and subtree and u != code:
                continue  # group members are already counted in their branch
            parts.append(order[offsets[u] : offsets[u + 1]])
        return np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)

    def member_ids_of(self, unit_id: str, *, subtree: bool = False) -> list[str]:
        """Ids of active members whose relation is in the unit (or below it)."""
        return self.members.ids[self.member_codes_of(unit_id, subtree=subtree)].tolist()

    def sizes(self, *, full_only: bool = False, subtree: bool = False) -> np.ndarray:
        """Member count of every unit code in one pass (branches by ``branch``, groups by ``group``).

        With ``subtree=True`` a unit's count includes everything below it (a group's members
        are counted once, in their branch).
        """
        key = (full_only, subtree)
        cache = self.__dict__.setdefault("_sizes", {})
        if key not in cache:
            weights = self.full_mask if full_only else self.members["active"]
            branch_counts = _count(self.members["branch"], weights, self.n_units)
            if subtree:
                counts = subtree_sums(self.units.parent, self.units.dissolved, branch_counts, self.depth)
            else:
                counts = branch_counts
            group_counts = _count(self.members["group"], weights, self.n_units)
            is_group = self.kinds.is_group[self.units.kind]
            cache[key] = frozen(np.where(is_group, group_counts, counts))
        return cache[key]

    def size(self, unit_id: str, *, full_only: bool = False, subtree: bool = False) -> int:
        """Member count of one unit; see :meth:`sizes`."""
        return int(self.sizes(full_only=full_only, subtree=subtree)[self.unit_code(unit_id)])

    def branch_of(self, member_id: str) -> str:
        """The branch holding a member's relation."""
        return str(self.units.ids[self.members["branch"][self.member_code(member_id)]])

    def group_of(self, member_id: str) -> str | None:
        """The group of a member within their branch, if any."""
        return self._id(int(self.members["group"][self.member_code(member_id)]))

    # -- participation and roles ----------------------------------------------------------

    def teams_of(self, member_id: str) -> list[str]:
        """Units (teams, associations) a member takes part in, in code order."""
        return self.units.ids[self.participation.targets(self.member_code(member_id))].tolist()

    @cached_property
    def _participant_index(self) -> tuple[np.ndarray, np.ndarray]:
        order, offsets = _group_index(self.participation.dst, self.n_units)
        return self.participation.src[order], offsets

    def participant_codes(self, unit_id: str) -> np.ndarray:
        """Codes of members taking part in a unit, ascending."""
        members, offsets = self._participant_index
        c = self.unit_code(unit_id)
        return np.sort(members[offsets[c] : offsets[c + 1]])

    def participants(self, unit_id: str) -> list[str]:
        """Ids of members taking part in a unit."""
        return self.members.ids[self.participant_codes(unit_id)].tolist()

    def participation_counts(self) -> np.ndarray:
        """Number of participants of every unit code."""
        return np.bincount(self.participation.dst, minlength=self.n_units)

    @cached_property
    def role_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The roles as columns (unit code, role, person), for counting roles per unit in bulk.

        Roles naming a unit the structure does not have get unit code -1.
        """
        if "_unit_index" in self.__dict__ or not self.roles:
            return role_columns(self.roles, self._unit_index)
        return role_columns(self.roles, unit_ids=self.unit_id_array)  # no id -> code dict of every unit

    def people_per_unit(self, roles: Iterable[str]) -> np.ndarray:
        """Distinct people holding any of ``roles`` in each unit code (one bulk count)."""
        units, names, people = self.role_table
        keep = np.isin(names, list(roles)) & (units >= 0)
        if not keep.any():
            return np.zeros(self.n_units, dtype=np.int64)
        pairs = sorted_unique(units[keep].astype(np.int64) * (len(people) + 1) + self._role_person_codes[keep])
        return np.bincount(pairs // (len(people) + 1), minlength=self.n_units)

    @property
    def _role_person_codes(self) -> np.ndarray:
        """Each role's person as a code (equal names, equal codes), for counting people in bulk."""
        return self._role_people[0]

    @cached_property
    def _role_people(self) -> tuple[np.ndarray, pa.Array | None]:
        """The roles' people dictionary-encoded: each role's code into the distinct people (text;
        None when some people are not text, each then coded by its own value)."""
        _, _, people = self.role_table
        try:
            encoded = pc.dictionary_encode(pa.array(people, pa.string()))
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # people that are not text
            numbered: dict[Any, int] = {}
            codes = np.fromiter((numbered.setdefault(p, len(numbered)) for p in people.tolist()), dtype=np.int64,
                                count=len(people))
            return frozen(codes), None
        return frozen(encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)), encoded.dictionary

    def _role_holder_codes(self) -> np.ndarray:
        """Each role's holder as a member code (``structure.roles`` order); -1 for someone outside the roster.

        One join of the member ids with the few distinct people, not a map of every member id.
        """
        codes, distinct = self._role_people
        if not len(codes):
            return np.zeros(0, dtype=np.int64)
        if distinct is None:  # people that are not text: looked up one by one
            get = self._member_index.get
            return np.fromiter((get(p, -1) for p in self.role_table[2].tolist()), dtype=np.int64, count=len(codes))
        if "_member_index" in self.__dict__:  # the id -> code map is there already: look the few people up
            get = self._member_index.get
            code_of = np.fromiter((get(p, -1) for p in distinct.to_pylist()), dtype=np.int64, count=len(distinct))
        else:
            found = pc.index_in(self.member_id_array, value_set=distinct)
            members = np.flatnonzero(pc.is_valid(found).to_numpy(zero_copy_only=False))
            code_of = np.full(len(distinct), -1, dtype=np.int64)
            code_of[found.fill_null(0).to_numpy(zero_copy_only=False)[members]] = members  # member ids are unique
        return code_of[codes]

    @cached_property
    def tag_codes(self) -> tuple[np.ndarray, list[tuple[str, ...]]]:
        """Each unit's tags as a code into the list of distinct tag tuples (for rules and charts).

        Distinct tuples are numbered in the order units first have them. Units mostly share a few
        tuple objects: each distinct object is joined once, not each unit's tags.
        """
        tags = self.units.tags.tolist()
        objects = np.fromiter(map(id, tags), dtype=np.uint64, count=len(tags))
        _, first, inverse = np.unique(objects, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")  # the distinct objects in the order units first have them
        seen = list(map(tuple, map(tags.__getitem__, first[order].tolist())))
        by_tuple: dict[tuple[Any, ...], int] = {}  # equal tuples (other objects): the position of the first
        firsts = np.fromiter(map(by_tuple.setdefault, seen, count()), dtype=np.int64, count=len(seen))
        _, tuple_code = np.unique(firsts, return_inverse=True)  # positions grow: codes in first-seen order
        numbered: dict[str, int] = {}  # joined text -> code, in the order units first have it
        text_code = np.array([numbered.setdefault("\x1f".join(t), len(numbered)) for t in by_tuple], dtype=np.int64)
        object_code = np.empty(len(first), dtype=np.int64)
        object_code[order] = text_code[tuple_code.reshape(-1)]
        distinct = [tuple(t.split("\x1f")) if t else () for t in numbered]
        return frozen(object_code[inverse.reshape(-1)]), distinct

    @cached_property
    def _attr_columns(self) -> dict[str, dict[int, Any]]:
        return _AttributeColumns(self.units.attrs, self.units_with_attrs)

    def unit_attribute(self, name: str) -> dict[int, Any]:
        """Unit code -> value of one unit attribute, for the units that have it (one pass, cached)."""
        return self._attr_columns.get(name, {})

    def roles_in(self, unit_id: str) -> list[Role]:
        """Roles held in a unit, sorted."""
        return [r for r in self.roles if r.unit == unit_id]

    def roles_of(self, person: str) -> list[Role]:
        """Roles a person holds, sorted."""
        return [r for r in self.roles if r.person == person]

    # -- views ----------------------------------------------------------------------------

    def graph(self) -> nx.MultiDiGraph:
        """The unit graph as a frozen networkx MultiDiGraph (live units only).

        Nodes are unit ids with ``kind``, ``role``, ``name``, ``size`` and ``tags``; edge keys are
        the relation: ``belongs_to``, ``part_of``, ``built_on``, ``allied_with``,
        ``adjacent_to``. Built on first use and cached.
        """
        if "_graph" not in self.__dict__:
            self.__dict__["_graph"] = nx.freeze(self._build_graph())
        return self.__dict__["_graph"]

    def _build_graph(self) -> nx.MultiDiGraph:
        g = nx.MultiDiGraph()
        u = self.units
        live = np.flatnonzero(~u.dissolved)
        sizes = self.sizes(subtree=True)
        ids = u.ids
        for c in live.tolist():
            kind = self.kinds[int(u.kind[c])]
            g.add_node(
                ids[c],
                kind=kind.id,
                role=kind.role,
                name=u.name[c],
                size=int(sizes[c]),
                tags=";".join(u.tags[c]),
            )
        for c in live.tolist():
            p = int(u.parent[c])
            if p >= 0:
                rel = "belongs_to" if self.kinds.is_org[u.kind[c]] else "part_of"
                g.add_edge(ids[c], ids[p], key=rel)
        for rel, edges in (
            ("built_on", self.built_on_edges),
            ("allied_with", self.alliance_edges),
            ("adjacent_to", self.adjacency_edges),
        ):
            keep = ~u.dissolved[edges.src] & ~u.dissolved[edges.dst]
            for s, d in zip(ids[edges.src[keep]], ids[edges.dst[keep]], strict=True):
                g.add_edge(s, d, key=rel)
        return g

    def member_graph(self, *, limit: int = 20_000, force: bool = False) -> nx.MultiDiGraph:
        """The unit graph with members as nodes (``belongs_to``, ``participates_in`` edges).

        Meant for small charts and GraphML export; refused above ``limit`` members unless
        ``force`` is set, since a networkx node costs far more than a row.
        """
        if self.n_members > limit and not force:
            raise UserError(
                f"{self.n_members:,} members is more than {limit:,} for a members-as-nodes view;"
                " pass force to build it anyway"
            )
        g = nx.MultiDiGraph(self._build_graph())
        active = np.flatnonzero(self.members["active"])
        ids, uid = self.members.ids, self.units.ids
        statuses = self.kinds.pack.statuses
        branch, group, status = self.members["branch"], self.members["group"], self.members["status"]
        for m in active.tolist():
            g.add_node(ids[m], kind="member", role="member", status=statuses[status[m]])
            target = group[m] if group[m] >= 0 else branch[m]
            g.add_edge(ids[m], uid[target], key="belongs_to")
        for m, t in zip(self.participation.src.tolist(), self.participation.dst.tolist(), strict=True):
            if self.members["active"][m]:
                g.add_edge(ids[m], uid[t], key="participates_in")
        return nx.freeze(g)

    # -- fingerprint ----------------------------------------------------------------------

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the structure's content; a plan records it and apply checks it."""
        h = hashlib.sha256()
        u = self.units
        h.update("\x1f".join(u.ids.tolist()).encode())
        h.update("\x1f".join(u.name.tolist()).encode())
        h.update(repr(u.tags.tolist()).encode())
        # the repr of the list of each unit's sorted attribute items, made by C-level maps
        h.update(("[" + ", ".join(map(repr, map(sorted, map(methodcaller("items"), u.attrs.tolist())))) + "]").encode())
        for arr in (u.kind, u.parent, u.dissolved):
            h.update(np.ascontiguousarray(arr).tobytes())
        for edges in (self.built_on_edges, self.alliance_edges, self.adjacency_edges, self.participation):
            h.update(edges.src.tobytes())
            h.update(edges.dst.tobytes())
        h.update("\x1f".join(self.members.ids.tolist()).encode())
        for name in sorted(self.members.columns):
            h.update(name.encode())
            col = self.members.columns[name]
            if col.dtype == object:  # text: hash the values, never the objects' addresses
                h.update("\x1f".join("\x00" if v is None else str(v) for v in col.tolist()).encode())
            else:
                h.update(np.ascontiguousarray(col).tobytes())
        h.update(_roles_repr(self.roles).encode())
        for arr in (self.ties.a, self.ties.b, self.ties.weight):
            h.update(np.ascontiguousarray(arr).tobytes())
        return "sha256:" + h.hexdigest()[:32]

    def __repr__(self) -> str:
        live = int((~self.units.dissolved).sum())
        active = int(self.members["active"].sum())
        return f"<Structure {self.kinds.name}: {live} units, {active} members>"

    def is_unplaced(self) -> np.ndarray:
        """Members whose relation is in the reserved ``core.unplaced`` unit."""
        kind = self.units.kind[self.members["branch"]]
        return kind == self.kinds.code(UNPLACED)


class _SortedRoles(tuple):
    """A tuple of roles known to be sorted: a Structure sharing it does not sort it again."""

    __slots__ = ()


class _AttributeColumns(dict):
    """Unit attribute columns by name (unit code -> value, blank values left out), each read from
    the units' attribute dicts when first asked for."""

    def __init__(self, attrs: np.ndarray, codes: np.ndarray) -> None:
        super().__init__()
        self._attrs, self._codes = attrs, codes

    def get(self, name: str, default: Any = None) -> Any:  # noqa: ARG002 - a column is always there
        if name not in self:
            with_attrs = self._attrs[self._codes]
            has = np.frompyfunc(contains, 2, 1)(with_attrs, name).astype(bool) if len(with_attrs) else \
                np.zeros(0, dtype=bool)
            pairs = zip(self._codes[has].tolist(), with_attrs[has].tolist(), strict=True)
            self[name] = {code: attrs[name] for code, attrs in pairs if attrs[name] not in (None, "")}
        return self[name]


def _roles_repr(roles: tuple[Role, ...]) -> str:
    """``repr(roles)``, each role formatted by one C-level call (a million-member roster has a quarter
    of a million roles).

    >>> roles = (Role("b", "secretary", "m1"), Role("b", "deputy", "m2", "2024-01-01"))
    >>> _roles_repr(roles) == repr(roles), _roles_repr(roles[:1]) == repr(roles[:1]), _roles_repr(()) == repr(())
    (True, True, True)
    """
    if not set(map(type, roles)) <= {Role}:
        return repr(tuple(roles))
    parts = map("Role(unit={!r}, role={!r}, person={!r}, since={!r})".format, map(attrgetter("unit"), roles),
                map(attrgetter("role"), roles), map(attrgetter("person"), roles), map(attrgetter("since"), roles))
    return "(" + ", ".join(parts) + ("," if len(roles) == 1 else "") + ")"


def _sorted_roles(roles: Iterable[Role]) -> tuple[Role, ...]:
    """Roles sorted by unit, role, person and since (a missing ``since`` first).

    >>> [r.since for r in _sorted_roles([Role("b", "s", "p", "2024-01-01"), Role("b", "s", "p")])]
    [None, '2024-01-01']
    """
    if type(roles) is _SortedRoles:
        return roles
    roles = list(roles)
    try:
        roles.sort(key=attrgetter("unit", "role", "person", "since"))  # compared in C: fast
    except TypeError:  # one person holds a role with and without a date: None cannot be compared
        roles.sort(key=lambda r: (r.unit, r.role, r.person, r.since or ""))
    return _SortedRoles(roles)


def sorted_roles(columns: Sequence[Sequence[Any]]) -> tuple[Role, ...]:
    """Roles made from columns (unit, role, person, since) already in :func:`_sorted_roles` order,
    kept as sorted: each field is set in one pass over the roles through its slot, not by a call
    of ``Role(...)`` a role (a quarter of a million roles at a million members).

    >>> sorted_roles([["b"], ["secretary"], ["m1"], [None]])
    (Role(unit='b', role='secretary', person='m1', since=None),)
    """
    roles = list(map(object.__new__, repeat(Role, len(columns[0]))))
    for name, values in zip(("unit", "role", "person", "since"), columns, strict=True):
        collections.deque(map(getattr(Role, name).__set__, roles, values), maxlen=0)
    return _SortedRoles(roles)


def role_columns(roles: Sequence[Role], unit_index: Mapping[str, int] | None = None, *,
                 unit_ids: pa.Array | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Roles as columns (unit code, role, person); unknown units get -1.

    Unit ids are looked up in ``unit_index`` or, given ``unit_ids`` (the unit ids in code order as
    one arrow array), joined to it in one hash pass.
    """
    unit_col = list(map(attrgetter("unit"), roles))
    if unit_ids is not None:
        found = pc.index_in(pa.array(unit_col, pa.string()), value_set=unit_ids)
        units = found.fill_null(NO_UNIT).to_numpy(zero_copy_only=False).astype(np.int32)
    else:
        get = (unit_index or {}).get
        units = np.fromiter(map(get, unit_col, repeat(NO_UNIT)), dtype=np.int32, count=len(roles))
    names = np.empty(len(roles), dtype=object)
    names[:] = list(map(attrgetter("role"), roles))
    people = np.empty(len(roles), dtype=object)
    people[:] = list(map(attrgetter("person"), roles))
    return frozen(units), frozen(names), frozen(people)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values of an integer array, ascending: ``np.unique`` by sorting.

    numpy's default (hash-based) unique is many times slower than a sort on a million distinct keys.

    >>> sorted_unique(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    out = np.sort(np.asarray(values).reshape(-1))
    if len(out) > 1:
        keep = np.empty(len(out), dtype=bool)
        keep[0] = True
        np.not_equal(out[1:], out[:-1], out=keep[1:])
        out = out[keep]
    return out


def _group_index(keys: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Stable grouping of row indexes by key: rows of group g are order[offsets[g]:offsets[g+1]].

    Keys of -1 belong to no group.

    >>> order, offsets = _group_index(np.array([2, 0, 2, -1, 0]), 3)
    >>> order[offsets[0]:offsets[1]].tolist(), order[offsets[2]:offsets[3]].tolist()
    ([1, 4], [0, 2])
    """
    shifted = keys.astype(np.int64) + 1
    order = np.argsort(shifted, kind="stable")
    counts = np.bincount(shifted, minlength=n_groups + 1)
    offsets = np.concatenate([[0], np.cumsum(counts[1:])]) + counts[0]
    return frozen(order), frozen(offsets)


def _count(keys: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """How many rows with ``mask`` set have each key (keys of -1 count nowhere)."""
    return np.bincount(keys[mask & (keys >= 0)], minlength=n).astype(np.int64)


def subtree_sums(parent: np.ndarray, dissolved: np.ndarray, values: np.ndarray,
                 depth: np.ndarray | None = None) -> np.ndarray:
    """Sum ``values`` over every unit's subtree in one bottom-up pass over the parent array.

    ``depth`` (from :func:`orgmodel.model.invariants.forest_depth`) saves recomputing it.

    >>> subtree_sums(np.array([-1, 0, 0, 1]), np.zeros(4, bool), np.array([1, 2, 3, 4])).tolist()
    [10, 6, 3, 4]
    """
    if depth is None:
        from orgmodel.model.invariants import forest_depth

        depth, _ = forest_depth(parent, dissolved)
    totals = np.where(dissolved, 0, values).astype(np.int64)
    for level in range(int(depth.max(initial=0)), 0, -1):
        at = np.flatnonzero(depth == level)
        np.add.at(totals, parent[at], totals[at])
    return totals
