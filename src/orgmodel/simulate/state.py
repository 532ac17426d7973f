"""The simulation state: a structure's members, teams and roles as growable numpy columns.

A behaviour model changes the state one period at a time, in bulk. Rows are only ever added:
a member who dies or moves away is marked inactive (``active`` false, ``left`` set), never
deleted, so a member's code means the same member in every period (DESIGN decision 3). New
members get codes after the last one and ids made from the period they joined in and their rank
among that period's newcomers (:meth:`SimState.new_member_ids`), the same in every process.

>>> import datetime as dt
>>> from orgmodel.testing_data import tiny_structure
>>> s = tiny_structure()
>>> state = SimState.from_structure(s, start=dt.date(2024, 1, 1), team_kinds=("toy.team",))
>>> state.n_members, int(state.members["active"].sum()), state.n_teams
(7, 7, 2)
>>> codes = state.add_members(2, branch=np.array([1, 1]), status=np.array([1, 1]))
>>> codes.tolist(), state.n_members, state.member_id(8)
([7, 8], 9, 'sim-p0000-00001')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orgmodel.errors import UserError
from orgmodel.model.kinds import KindTable
from orgmodel.model.structure import NO_UNIT, Structure

__all__ = ["Columns", "SimState", "NEW_ID_PREFIX", "LEFT_DIED", "LEFT_MOVED", "LEFT_TRANSFERRED"]

NEW_ID_PREFIX = "sim-"
# why a member left (column ``left_reason``); 0 = still here
LEFT_DIED, LEFT_MOVED, LEFT_TRANSFERRED = 1, 2, 3


class Columns:
    """Named numpy columns of one length that grow by appending (capacity doubles as needed).

    >>> c = Columns({"a": np.array([1, 2]), "b": np.array([True, False])})
    >>> c.append({"a": np.array([3])}).tolist()
    [2]
    >>> c["a"].tolist(), c["b"].tolist(), len(c)
    ([1, 2, 3], [True, False, False], 3)
    """

    def __init__(self, columns: Mapping[str, np.ndarray], defaults: Mapping[str, Any] | None = None) -> None:
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")
        self._n = lengths.pop() if lengths else 0
        self._data = {k: np.array(v, copy=True) for k, v in columns.items()}
        self._defaults = dict(defaults or {})

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, name: str) -> np.ndarray:
        return self._data[name][: self._n]

    def __setitem__(self, name: str, values: np.ndarray) -> None:
        self._data[name][: self._n] = values

    def __contains__(self, name: object) -> bool:
        return name in self._data

    def names(self) -> list[str]:
        """Column names, sorted."""
        return sorted(self._data)

    def add_column(self, name: str, dtype: Any, default: Any = 0) -> None:
        """Add a column filled with ``default`` (also the value appended rows get)."""
        if name in self._data:
            raise ValueError(f"column {name!r} exists")
        self._data[name] = np.full(max(self._capacity(), self._n), default, dtype=dtype)
        self._defaults[name] = default

    def _capacity(self) -> int:
        return len(next(iter(self._data.values()))) if self._data else 0

    def append(self, values: Mapping[str, np.ndarray | Any], count: int | None = None) -> np.ndarray:
        """Append rows; columns not given get their default (0/False). Returns the new row codes."""
        if count is None:
            lengths = {len(np.atleast_1d(v)) for v in values.values()}
            count = max(lengths) if lengths else 0
        unknown = set(values) - set(self._data)
        if unknown:
            raise ValueError(f"unknown columns {sorted(unknown)}")
        start, stop = self._n, self._n + count
        if stop > self._capacity():
            new_cap = max(stop, 2 * self._capacity(), 16)
            for name, arr in self._data.items():
                grown = np.full(new_cap, self._defaults.get(name, 0), dtype=arr.dtype)
                grown[: self._n] = arr[: self._n]
                self._data[name] = grown
        for name, arr in self._data.items():
            arr[start:stop] = values[name] if name in values else self._defaults.get(name, 0)
        self._n = stop
        return np.arange(start, stop, dtype=np.int64)

    def copy(self) -> Columns:
        """An independent copy (used to start each replication from the same state)."""
        out = Columns({k: self[k] for k in self._data}, self._defaults)
        return out


@dataclass
class SimState:
    """Everything a behaviour model reads and changes, as numpy arrays.

    :ivar members: member columns (``active``, ``branch``, ``group``, ``status``, ``age``
        in years, ``retired``, ``mobile``, ``mobility_limited``, ``role`` (index into
        ``role_names``, -1 none), ``role_unit``, ``joined`` and ``left`` (period, -1 none),
        ``left_reason``, and whatever columns the model adds).
    :ivar teams: the teams (host units members take part in, of ``team_kinds``): ``unit``
        (unit code, -1 for a team formed in the simulation), ``active``, ``born``, ``folded``,
        ``home`` (the branch most of its first members belonged to).
    :ivar edges: participation of members in teams: ``member``, ``team``, ``active``.
    :ivar units: per-unit arrays of the structure (static): ``kind``, ``parent``, ``is_branch``,
        ``is_group``, ``is_org``, ``live``, ``room_capacity`` (NaN unknown), ``elected`` (month of the last
        election relative to the start, NaN unknown), ``term_months`` (NaN unknown),
        ``member_meetings`` (members' meetings held in the last 12 months, NaN unknown).
    :ivar branch_team: sorted keys ``branch * n_teams_cap + team`` of branches built on teams.
    """

    start: dt.date
    months_per_period: int
    kinds: KindTable
    unit_ids: np.ndarray
    units: dict[str, np.ndarray]
    members: Columns
    teams: Columns
    edges: Columns
    member_ids: np.ndarray
    role_names: tuple[str, ...]
    outside_roles: np.ndarray  # (unit code, role index) of role holders outside the roster
    branch_team: np.ndarray
    period: int = 0
    id_prefix: str = NEW_ID_PREFIX
    scratch: dict[str, Any] = field(default_factory=dict)

    # -- sizes and lookups --------------------------------------------------------------

    @property
    def n_members(self) -> int:
        """Member rows, inactive included (never decreases)."""
        return len(self.members)

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    @property
    def n_teams(self) -> int:
        return len(self.teams)

    @property
    def month(self) -> int:
        """Months simulated so far."""
        return self.period * self.months_per_period

    def date(self, period: int | None = None) -> dt.date:
        """The first day of the month ``period`` periods after the start."""
        months = (self.period if period is None else period) * self.months_per_period
        y, m = divmod(self.start.month - 1 + months, 12)
        return dt.date(self.start.year + y, m + 1, 1)

    def member_id(self, code: int) -> str:
        """The id of a member code (new members' ids follow :meth:`new_member_ids`)."""
        if code < len(self.member_ids):
            return str(self.member_ids[code])
        joined = int(self.members["joined"][code])
        first = int(np.searchsorted(self.members["joined"][len(self.member_ids):], joined)) + len(self.member_ids)
        return f"{self.id_prefix}p{joined:04d}-{code - first:05d}"

    def new_member_ids(self) -> list[str]:
        """Ids of every member added during the simulation, in code order."""
        return [self.member_id(c) for c in range(len(self.member_ids), self.n_members)]

    def branch_sizes(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Active members (and ``mask``) per unit code, counted on ``branch``."""
        m = self.members
        keep = m["active"] if mask is None else m["active"] & mask
        return np.bincount(m["branch"][keep], minlength=self.n_units)

    def team_sizes(self) -> np.ndarray:
        """Active members taking part in each team (active edges of active members)."""
        e = self.edges
        keep = e["active"] & self.members["active"][e["member"]]
        return np.bincount(e["team"][keep], minlength=self.n_teams)

    def aligned(self) -> np.ndarray:
        """Per member: whether their branch is built on a team they take part in."""
        e = self.edges
        out = np.zeros(self.n_members, dtype=bool)
        if not len(self.branch_team) or not len(e):
            return out
        keep = e["active"]
        member, team = e["member"][keep], e["team"][keep]
        keys = self.members["branch"][member].astype(np.int64) * self.team_key_width + team
        pos = np.minimum(np.searchsorted(self.branch_team, keys), len(self.branch_team) - 1)
        out[member[self.branch_team[pos] == keys]] = True
        return out & self.members["active"]

    @property
    def team_key_width(self) -> int:
        return int(self.scratch.setdefault("team_key_width", 1 << 31))

    # -- changes --------------------------------------------------------------------------

    def add_members(self, count: int, **values: np.ndarray | Any) -> np.ndarray:
        """Append ``count`` active members who joined in the current period; returns their codes."""
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        values.setdefault("active", True)
        values["joined"] = self.period
        values.setdefault("left", -1)
        values.setdefault("role", -1)
        values.setdefault("role_unit", NO_UNIT)
        values.setdefault("group", NO_UNIT)
        return self.members.append(values, count)

    def remove_members(self, codes: np.ndarray, reason: int) -> None:
        """Mark members inactive (they leave; their rows stay), ending their roles and teams."""
        codes = np.asarray(codes, dtype=np.int64)
        if not len(codes):
            return
        m = self.members
        m["active"][codes] = False
        m["left"][codes] = self.period
        m["left_reason"][codes] = reason
        m["role"][codes] = -1
        m["role_unit"][codes] = NO_UNIT

    def add_teams(self, count: int, home: np.ndarray) -> np.ndarray:
        """Append ``count`` teams formed this period (home: the branch they formed in)."""
        return self.teams.append({"unit": NO_UNIT, "active": True, "born": self.period, "folded": -1,
                                  "home": home}, count)

    def add_edges(self, member: np.ndarray, team: np.ndarray) -> None:
        """Members start taking part in teams."""
        if len(member):
            self.edges.append({"member": member, "team": team, "active": True})

    def copy(self) -> SimState:
        """An independent state for one replication (static arrays shared)."""
        return SimState(
            start=self.start, months_per_period=self.months_per_period, kinds=self.kinds,
            unit_ids=self.unit_ids, units={k: v.copy() for k, v in self.units.items()},
            members=self.members.copy(), teams=self.teams.copy(), edges=self.edges.copy(),
            member_ids=self.member_ids, role_names=self.role_names, outside_roles=self.outside_roles,
            branch_team=self.branch_team, period=self.period, id_prefix=self.id_prefix,
            scratch=dict(self.scratch),
        )

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_structure(
        cls,
        s: Structure,
        *,
        start: dt.date,
        team_kinds: Sequence[str] = (),
        months_per_period: int = 1,
        default_age: float = 50.0,
    ) -> SimState:
        """The state at the start of a simulation of ``s`` (which is not changed).

        Teams are the units of ``team_kinds`` plus every unit members take part in whose kind is
        a host kind; roles come from the roles table (people outside the roster are kept apart).
        Ages come from ``birth_date`` on ``start`` (``default_age`` where missing).
        """
        n = s.n_members
        cols = s.members.columns
        unit_kind = np.asarray(s.units.kind)
        live = ~np.asarray(s.units.dissolved)
        is_branch = s.kinds.is_branch[unit_kind] & live
        is_group = s.kinds.is_group[unit_kind] & live

        birth = cols.get("birth_date")
        if birth is not None:
            days = (np.datetime64(start, "D") - birth.astype("datetime64[D]")).astype("float64")
            age = np.where(np.isnat(birth), default_age, days / 365.25)
        else:
            age = np.full(n, default_age)

        def flag(name: str) -> np.ndarray:
            col = cols.get(name)
            return np.zeros(n, dtype=bool) if col is None else np.asarray(col, dtype=bool)

        # roles: one per member (the first in the pack's order of role names), outsiders apart
        role_units, role_names_col, role_people = s.role_table
        role_names = tuple(sorted(set(role_names_col.tolist())))
        role_of_row = np.searchsorted(np.array(role_names, dtype=object), role_names_col).astype(np.int16) \
            if len(role_names) else np.empty(0, dtype=np.int16)
        holder = _member_codes_or_minus_one(s, role_people)
        placed = role_units >= 0
        role = np.full(n, -1, dtype=np.int16)
        role_unit = np.full(n, NO_UNIT, dtype=np.int32)
        inside = np.flatnonzero(placed & (holder >= 0))
        codes, first = np.unique(holder[inside], return_index=True)  # a member's first role (roles are sorted)
        role[codes] = role_of_row[inside[first]]
        role_unit[codes] = role_units[inside[first]]
        out_rows = placed & (holder < 0)
        outside = np.stack([role_units[out_rows], role_of_row[out_rows]], axis=1) if out_rows.any() else []
        members = Columns(
            {
                "active": np.asarray(cols["active"], dtype=bool),
                "branch": np.asarray(cols["branch"], dtype=np.int32),
                "group": np.asarray(cols["group"], dtype=np.int32),
                "status": np.asarray(cols["status"], dtype=np.int8),
                "age": age.astype(np.float64),
                "retired": flag("retired"),
                "mobile": flag("mobile"),
                "mobility_limited": flag("mobility_limited"),
                "role": role,
                "role_unit": role_unit,
                "joined": np.full(n, -1, dtype=np.int32),
                "left": np.full(n, -1, dtype=np.int32),
                "left_reason": np.zeros(n, dtype=np.int8),
            },
            defaults={"branch": NO_UNIT, "group": NO_UNIT, "role": -1, "role_unit": NO_UNIT, "joined": -1,
                      "left": -1, "age": default_age},
        )

        # teams: host units of the team kinds, and host units with participants
        kind_codes = [s.kinds.code(k) for k in team_kinds if k in s.kinds]
        is_team = np.isin(unit_kind, kind_codes) & live
        p = s.participation
        host = ~s.kinds.is_org[unit_kind]
        is_team[p.dst[host[p.dst]]] = True
        team_units = np.flatnonzero(is_team).astype(np.int32)
        team_of_unit = np.full(s.n_units, -1, dtype=np.int32)
        team_of_unit[team_units] = np.arange(len(team_units), dtype=np.int32)
        on_team = team_of_unit[p.dst] >= 0
        edge_member = p.src[on_team].astype(np.int32)
        edge_team = team_of_unit[p.dst[on_team]]
        home = np.full(len(team_units), NO_UNIT, dtype=np.int32)
        if len(edge_member):  # the branch of the team's first participant
            first = np.unique(edge_team, return_index=True)
            home[first[0]] = members["branch"][edge_member[first[1]]]
        teams = Columns({"unit": team_units, "active": np.ones(len(team_units), dtype=bool),
                         "born": np.full(len(team_units), -1, dtype=np.int32),
                         "folded": np.full(len(team_units), -1, dtype=np.int32), "home": home},
                        defaults={"unit": NO_UNIT, "folded": -1, "home": NO_UNIT})
        edges = Columns({"member": edge_member, "team": edge_team, "active": np.ones(len(edge_member), dtype=bool)})

        width = 1 << 31
        e = s.built_on_edges
        on = is_branch[e.src] & (team_of_unit[e.dst] >= 0)
        branch_team = np.unique(e.src[on].astype(np.int64) * width + team_of_unit[e.dst[on]])

        units = {
            "kind": unit_kind,
            "parent": np.asarray(s.units.parent, dtype=np.int32),
            "is_branch": is_branch,
            "is_group": is_group,
            "is_org": s.kinds.is_org[unit_kind] & live,
            "live": live,
            "room_capacity": _unit_numbers(s, "room_capacity"),
            "elected": _election_months(s, start),
            "term_months": np.full(s.n_units, np.nan),
            "member_meetings": _unit_numbers(s, "member_meetings_last_year"),
        }
        prefix = _free_prefix(s.members.ids)
        return cls(
            start=start, months_per_period=months_per_period, kinds=s.kinds, unit_ids=np.asarray(s.units.ids),
            units=units, members=members, teams=teams, edges=edges, member_ids=np.asarray(s.members.ids),
            role_names=role_names, outside_roles=np.asarray(outside, dtype=np.int32).reshape(-1, 2),
            branch_team=branch_team, id_prefix=prefix, scratch={"team_key_width": width},
        )

    def role_codes(self, names: Iterable[str]) -> np.ndarray:
        """Indexes into ``role_names`` of the given role names (unknown names are skipped)."""
        return np.array([i for i, r in enumerate(self.role_names) if r in set(names)], dtype=np.int16)

    def ensure_roles(self, names: Iterable[str]) -> np.ndarray:
        """Codes of role names, adding the names the structure had no holder of (codes stay stable)."""
        have = list(self.role_names)
        for name in names:
            if name not in have:
                have.append(name)
        self.role_names = tuple(have)
        return np.array([have.index(n) for n in names], dtype=np.int16)

    def status_code(self, status: str) -> int | None:
        """The code of a member status of the domain pack, or None when it has no such status."""
        statuses = self.kinds.pack.statuses
        return statuses.index(status) if status in statuses else None

    def kind_code(self, kind: str) -> int | None:
        """The code of a kind id, or None when the domain pack has no such kind."""
        return self.kinds.code(kind) if kind in self.kinds else None


def _unit_numbers(s: Structure, name: str) -> np.ndarray:
    out = np.full(s.n_units, np.nan)
    for code, value in s.unit_attribute(name).items():
        try:
            out[code] = float(value)
        except (TypeError, ValueError):
            raise UserError(f"unit {s.units.ids[code]}: attribute {name} is not a number: {value!r}") from None
    return out


def _member_codes_or_minus_one(s: Structure, people: np.ndarray) -> np.ndarray:
    """Member codes of person ids in bulk; -1 for people outside the roster."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(people):
        return np.empty(0, dtype=np.int64)
    found = pc.index_in(pa.array(people.tolist(), pa.string()), value_set=pa.array(s.members.ids.tolist(), pa.string()))
    return found.fill_null(-1).to_numpy().astype(np.int64)


def _parse_days(values: np.ndarray) -> np.ndarray:
    """ISO dates (YYYY-MM-DD, longer strings cut to the day) as datetime64[D]; NaT where not a date."""
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
    text = np.array([str(v)[:10] for v in values.tolist()], dtype="U10")
    try:
        return text.astype("datetime64[D]")
    except ValueError:  # some value is not a date: parse one by one, leaving those out
        for i, v in enumerate(text.tolist()):
            try:
                out[i] = np.datetime64(v, "D")
            except ValueError:
                continue
        return out


def _election_months(s: Structure, start: dt.date) -> np.ndarray:
    """Month of each unit's last election relative to ``start`` (negative: before it).

    From the unit attribute ``elected``; where a unit has none, from the earliest ``since`` of
    its roles (the committee took office then); NaN where neither is known.
    """
    out = np.full(s.n_units, np.nan)

    def months(day: Any) -> float:
        if isinstance(day, dt.datetime):
            day = day.date()
        d = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
        return float((d.year - start.year) * 12 + (d.month - start.month))

    units, _, _ = s.role_table
    since = np.array([r.since or "" for r in s.roles], dtype=object)
    known = (units >= 0) & (since != "")
    if known.any():
        days = _parse_days(since[known])
        ok = ~np.isnat(days)
        month = days[ok].astype("datetime64[M]").astype(np.int64) - np.datetime64(start, "M").astype(np.int64)
        earliest = np.full(s.n_units, np.iinfo(np.int64).max)
        np.minimum.at(earliest, units[known][ok], month)
        out = np.where(earliest < np.iinfo(np.int64).max, earliest.astype(float), out)
    for code, value in s.unit_attribute("elected").items():
        try:
            out[code] = months(value)
        except ValueError:
            raise UserError(f"unit {s.units.ids[code]}: attribute elected is not a date (YYYY-MM-DD): {value!r}") from None
    return out


def _free_prefix(ids: np.ndarray) -> str:
    """The prefix of ids given to members who join during the simulation: ``NEW_ID_PREFIX``, with
    ``~`` put in front until no roster id starts with it (one vectorised pass per try).

    >>> _free_prefix(np.array(["a", "b"], dtype=object)) == NEW_ID_PREFIX
    True
    >>> _free_prefix(np.array([NEW_ID_PREFIX + "1"], dtype=object)) == "~" + NEW_ID_PREFIX
    True
    """
    try:
        text = pa.array(ids, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # ids that are not all text
        text = pa.array(np.asarray(ids).astype(str))
    prefix = NEW_ID_PREFIX
    while len(text) and pc.any(pc.starts_with(text, prefix)).as_py():
        prefix = "~" + prefix
    return prefix
