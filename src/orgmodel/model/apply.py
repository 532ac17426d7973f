"""Apply a plan to a structure: a new structure, the input untouched, every invariant checked.

A plan runs in three phases (docs/plans.md, "Order"):

1. the structural operations, in the order written, each in time independent of the size of the
   structure (units created, retyped, attached, dissolved with their child units handed on,
   attributes, alliances, participation and roles recorded);
2. the moves table, as one vectorised scatter (destinations: units live before the plan or
   created by it);
3. members in a unit the plan dissolved, moved there or not, go where its ``dissolve`` said
   (following chains of dissolves); roles, participation and alliances of dissolved units end.

A member moved twice by one plan is an error (the transfer list must say one thing per member).
Units a plan creates get ids ``{variant}/{step}/{key}`` and codes after the baseline's.

>>> from orgmodel.testing_data import tiny_structure
>>> from orgmodel.model.plan import PlanBuilder
>>> s = tiny_structure()
>>> b = PlanBuilder(s, strategy="merge")
>>> b.dissolve("b2", members_to="b1", reason="too_small")
>>> after = apply(s, b.build(), variant="v", step=1)
>>> after.member_ids_of("b1")
['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']
>>> s.member_ids_of("b2"), after.unit("b2").dissolved
(['m5', 'm6', 'm7'], True)
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orgmodel.errors import InvariantError, PlanError, UserError
from orgmodel.model import invariants
from orgmodel.model.building import join_packed
from orgmodel.model.collector import collector_paused
from orgmodel.model.kinds import UNPLACED
from orgmodel.model.plan import (
    NEW,
    AddParticipation,
    LinkAlliance,
    Plan,
    RemoveParticipation,
    SetAttributes,
    UnlinkAlliance,
)
from orgmodel.model.structure import (
    NO_UNIT,
    EdgeArrays,
    MemberTable,
    Role,
    Structure,
    UnitTable,
    frozen,
)

__all__ = ["apply", "new_unit_id"]


def new_unit_id(variant: str, step: int, key: str) -> str:
    """The id a unit created by a plan gets: stable across runs and machines.

    >>> new_unit_id("team-branches", 0, "choir")
    'team-branches/0/choir'
    """
    return f"{variant}/{step}/{key}"


def apply(structure: Structure, plan: Plan, *, variant: str = "plan", step: int = 0, force: bool = False) -> Structure:
    """Return the structure that ``plan`` makes of ``structure``; ``structure`` is not changed.

    Raises :class:`PlanError` when an operation cannot be carried out (unknown unit, a fingerprint
    of another structure unless ``force``) and :class:`InvariantError` when the result breaks an
    invariant; both name the strategy and the operation (its place in the plan as written).
    """
    if plan.fingerprint and plan.fingerprint != structure.fingerprint and not force:
        raise PlanError(
            "plan was proposed on another structure (fingerprint differs); pass force to apply anyway",
            strategy=plan.strategy,
        )
    with collector_paused():
        rows, positions = plan.operation_rows(), plan.positions()
        draft = _Draft(structure, plan, variant, step)
        try:
            draft.run_grouped(rows, positions)
        except UserError:  # the plan as written, in order: the first operation that fails is named
            draft = _Draft(structure, plan, variant, step)
            draft.run_in_order(rows, positions)
        draft.index = None
        result = draft.finish()
    _check_result(structure, result, plan)
    return result


class _Draft:
    """Mutable working copies, made only of what the plan touches."""

    def __init__(self, s: Structure, plan: Plan, variant: str, step: int) -> None:
        self.s = s
        self.plan = plan
        self.variant = variant
        self.step = step
        self.index: int | None = None
        self.n_base = s.n_units
        self.unit_index = s._unit_index
        self.was_dissolved = s.units.dissolved
        self.kind_codes: dict[str, int] = {}
        self.is_org: list[bool] = s.kinds.is_org.tolist()  # by kind code; a list is quicker per item
        self.kind_roles: dict[str, str | None] = {}  # kind name -> its role (None: not a known kind)
        self.handlers: dict[type, Any] = {}
        self.cols: dict[str, np.ndarray] = {}  # copied unit columns
        self.new: dict[str, list[Any]] = {k: [] for k in ("ids", "kind", "parent", "name", "tags", "attrs", "dissolved")}
        self.keys: dict[str, int] = {}
        self.key_list: list[str] = []  # keys of the units created, in code order
        self.adopted: dict[int, list[int]] = {}  # parent code -> units given that parent by the plan
        self.built_on_replace: dict[int, list[int]] = {}
        self.alliance_add: set[tuple[int, int]] = set()
        self.alliance_remove: set[tuple[int, int]] = set()
        self.part_add: list[tuple[np.ndarray, int]] = []
        self.part_remove: list[tuple[np.ndarray, int]] = []
        self.roles = _RoleBook(s.roles)
        self.dissolved: list[tuple[int, int | None, int | None, int]] = []
        self.dissolved_at: dict[int, int] = {}  # unit code -> place of the dissolve
        self.created_at: list[int] = []  # per unit created (code - n_base): place of its create
        self.create_refs: tuple[np.ndarray, np.ndarray] | None = None  # units the creates name, where

    # -- running the operations -----------------------------------------------------------

    def run_in_order(self, rows: list[Any], positions: Sequence[int]) -> None:
        """Every operation in the order written; an error names the operation."""
        for position, row in zip(positions, rows, strict=True):
            self.index = position
            try:
                self.run(row)
            except UserError as exc:
                if isinstance(exc, PlanError):
                    raise
                raise PlanError(str(exc), strategy=self.plan.strategy, operation=self.index) from None

    def run_grouped(self, rows: list[Any], positions: Sequence[int]) -> None:
        """The same result as :meth:`run_in_order` for a plan without errors, in bulk: every create
        first, then the other operations in order, then every role operation. Each reference is
        checked against the place of the operation (created earlier, not dissolved by then); any
        error raises, and the caller runs the plan in order to name the first failing operation.
        """
        ops = np.array([row[0] if type(row) is tuple else "" for row in rows], dtype=str)
        at = np.asarray(positions, dtype=np.int64).reshape(-1)
        is_role = (ops == "set_role") | (ops == "clear_role")
        is_create = (ops == "create_unit") | (ops == "create_host")
        creates, roles, rest = (np.flatnonzero(m) for m in (is_create, is_role, ~(is_create | is_role)))
        self._create_all(at[creates], [rows[i] for i in creates.tolist()])
        for position, i in zip(at[rest].tolist(), rest.tolist(), strict=True):
            self.index = position
            self.run(rows[i])
        self.index = None
        self._check_created_before_dissolves()
        self._roles_all(at[roles], [rows[i] for i in roles.tolist()])

    # -- helpers --------------------------------------------------------------------------

    def fail(self, message: str) -> PlanError:
        return PlanError(message, strategy=self.plan.strategy, operation=self.index)

    def col(self, name: str) -> np.ndarray:
        if name not in self.cols:
            self.cols[name] = getattr(self.s.units, name).copy()
        return self.cols[name]

    def current(self, name: str) -> np.ndarray:
        """A baseline unit column as the plan has it so far (copied or shared)."""
        source = self.cols.get(name)
        return source if source is not None else getattr(self.s.units, name)

    def get(self, name: str, code: int) -> Any:
        if code >= self.n_base:
            return self.new[name][code - self.n_base]
        return self.current(name)[code]

    def put(self, name: str, code: int, value: Any) -> None:
        if code >= self.n_base:
            self.new[name][code - self.n_base] = value
        else:
            self.col(name)[code] = value
        if name == "parent" and value != NO_UNIT:
            self.adopted.setdefault(int(value), []).append(code)

    def resolve(self, ref: str | None, *, allow_none: bool = False, role: str | None = None,
                dissolved_by_plan: bool = False) -> int:
        """The code of a unit reference; ``dissolved_by_plan`` accepts a unit the plan dissolves.

        Outside the operations (``index`` None) every create and dissolve counts; within, only
        those placed before the current operation.
        """
        if ref is None:
            if allow_none:
                return NO_UNIT
            raise self.fail("a unit is required")
        if ref.startswith(NEW):
            code = self.keys.get(ref[len(NEW):])
            if code is None or (self.index is not None and self.created_at[code - self.n_base] > self.index):
                raise self.fail(f"{ref} is not created earlier in the plan")
        else:
            code = self.unit_index.get(ref)
            if code is None:
                raise self.fail(f"unknown unit {ref!r}")
        # what get("dissolved"/"kind", code) gives, inline: this runs once or more per operation
        if code >= self.n_base:
            dissolved = self.new["dissolved"][code - self.n_base]
            kind = self.new["kind"][code - self.n_base]
        else:
            dissolved = self.was_dissolved[code] or (self.current("dissolved")[code] and not dissolved_by_plan)
            kind = self.current("kind")[code] if role is not None else 0
        if dissolved and self.index is not None and not self.was_dissolved_at(code):
            dissolved = False  # dissolved by an operation placed after this one
        if dissolved and (code < self.n_base or not dissolved_by_plan):
            raise self.fail(f"unit {ref} is dissolved")
        if role is not None and self.is_org[kind] != (role == "org"):
            raise self.fail(f"{ref} is not {'an organisation' if role == 'org' else 'a host'} unit")
        return code

    def was_dissolved_at(self, code: int) -> bool:
        """Whether the unit is dissolved before the current operation (or before the plan)."""
        at = self.dissolved_at.get(code)
        return at is None or at < self.index

    def kind_role(self, kind: str) -> str | None:
        """The role ("org" or "host") of a kind name, None when the domain pack has no such kind."""
        if kind not in self.kind_roles:
            self.kind_roles[kind] = self.s.kinds[kind].role if kind in self.s.kinds else None
        return self.kind_roles[kind]

    def kind_code(self, kind: str) -> int:
        code = self.kind_codes.get(kind)
        if code is None:
            if kind not in self.s.kinds:
                raise self.fail(f"unknown unit kind {kind!r} (domain pack {self.s.kinds.name})")
            code = self.kind_codes[kind] = self.s.kinds.code(kind)
        return code

    def members(self, ids: list[str]) -> np.ndarray:
        try:
            return self.s.member_codes(ids)
        except UserError as exc:
            raise self.fail(str(exc)) from None

    # -- operations -----------------------------------------------------------------------

    def run(self, row: Any) -> None:
        """One operation: a row (:data:`~orgmodel.model.plan.ROW_FIELDS`) or an operation object."""
        if type(row) is tuple:
            handler = self.handlers.get(row[0])
            if handler is None:
                handler = self.handlers[row[0]] = getattr(self, "_" + row[0])
        else:
            handler = self.handlers.get(type(row))
            if handler is None:
                handler = self.handlers[type(row)] = getattr(self, "_" + row.op)
        handler(row)

    def _create(self, key: str, kind: str, name: str, parent: int, tags: list[str], attrs: dict) -> int:
        uid = new_unit_id(self.variant, self.step, key)
        if key in self.keys:
            raise self.fail(f"key {key!r} is created twice")
        if uid in self.unit_index:
            raise self.fail(f"unit id {uid!r} exists already")
        kind_code = self.kind_code(kind)
        new = self.new
        code = self.n_base + len(new["ids"])
        new["ids"].append(uid)
        new["kind"].append(kind_code)
        new["parent"].append(parent)
        new["name"].append(name)
        new["tags"].append(tuple(tags))
        new["attrs"].append(dict(attrs))
        new["dissolved"].append(False)
        self.created_at.append(self.index if self.index is not None else -1)
        self.key_list.append(key)
        if parent != NO_UNIT:
            self.adopted.setdefault(parent, []).append(code)
        self.keys[key] = code
        return code

    def _create_unit(self, row: tuple) -> None:
        _, key, kind, name, parent_ref, built_on, tags, attrs, _ = row
        if self.kind_role(kind) not in (None, "org"):
            raise self.fail(f"{kind} is a host kind; use create_host")
        parent = self.resolve(parent_ref, allow_none=True, role="org")
        hosts = [self.resolve(h, role="host") for h in built_on]
        code = self._create(key, kind, name, parent, tags, attrs)
        self.built_on_replace[code] = hosts

    def _create_host(self, row: tuple) -> None:
        _, key, kind, name, parent_ref, tags, _ = row
        if self.kind_role(kind) not in (None, "host"):
            raise self.fail(f"{kind} is an organisation kind; use create_unit")
        parent = self.resolve(parent_ref, allow_none=True, role="host")
        self._create(key, kind, name, parent, tags, {})

    def _create_all(self, at: np.ndarray, rows: list[tuple]) -> None:
        """Every create of the plan (``rows``, placed at ``at``), in bulk, before the other operations
        (see :meth:`run_grouped`): each distinct kind, parent and host is resolved once; a parent or
        host created by the plan must be created before its use, and (checked after the other
        operations) not dissolved."""
        if not rows:
            return
        self.index = None
        positions = at.tolist()
        keys = [r[1] for r in rows]
        if len(set(keys)) != len(keys) or not self.keys.keys().isdisjoint(keys):
            raise self.fail("a key is created twice")
        prefix = new_unit_id(self.variant, self.step, "")
        uids = [prefix + k for k in keys]
        if not self.unit_index.keys().isdisjoint(uids):
            raise self.fail("a unit id exists already")
        kinds: dict[tuple[str, str], int] = {}
        for op, kind in {(r[0], r[2]) for r in rows}:
            org = op == "create_unit"
            if self.kind_role(kind) not in (None, "org" if org else "host"):
                raise self.fail(f"{kind} is a host kind; use create_host" if org
                                else f"{kind} is an organisation kind; use create_unit")
            kinds[(op, kind)] = self.kind_code(kind)
        first = self.n_base + len(self.new["ids"])
        codes = range(first, first + len(rows))
        self.keys.update(zip(keys, codes))
        self.key_list += keys
        self.created_at.extend(positions)
        new = self.new
        new["ids"] += uids
        new["kind"] += [kinds[(r[0], r[2])] for r in rows]
        new["dissolved"] += [False] * len(rows)
        units = [r[0] == "create_unit" for r in rows]
        org = np.fromiter(units, dtype=bool, count=len(units))
        parents = self.resolve_many([r[4] for r in rows], org, nullable=True)
        hosted = [(code, position, r[5]) for code, position, r, u in zip(codes, positions, rows, units, strict=True)
                  if u and r[5]]
        hosts = self.resolve_many([h for _, _, built_on in hosted for h in built_on], False)
        lengths = [len(b) for _, _, b in hosted]
        ref_positions = np.concatenate([np.asarray(positions, dtype=np.int64),
                                        np.repeat(np.asarray([p for _, p, _ in hosted], dtype=np.int64), lengths)])
        refs = np.concatenate([parents, hosts])
        created = np.asarray([*self.created_at, 0], dtype=np.int64)
        late = (refs >= self.n_base) & (created[np.maximum(refs - self.n_base, 0)] >= ref_positions)
        if late.any():
            raise self.fail("a create names a unit created later")
        self.create_refs = (refs, ref_positions)
        parents = parents.tolist()
        hosts = hosts.tolist()
        new["parent"] += parents
        new["name"] += [r[3] for r in rows]
        new["tags"] += [tuple(r[6] if u else r[5]) for r, u in zip(rows, units, strict=True)]
        new["attrs"] += [dict(r[7]) if u else {} for r, u in zip(rows, units, strict=True)]
        adopted = self.adopted
        for code, parent in zip(codes, parents, strict=True):
            if parent != NO_UNIT:
                adopted.setdefault(parent, []).append(code)
        at = 0
        for code, row, unit in zip(codes, rows, units, strict=True):
            if unit:
                self.built_on_replace[code] = hosts[at:at + len(row[5])]
                at += len(row[5])

    def lookup(self, refs: pa.Array) -> np.ndarray:
        """Codes of unit references (ids, or ``new:KEY`` of units created so far), each distinct
        reference looked up once: -1 for a null, -2 for a reference to no unit. Nothing else is checked."""
        encoded = pc.dictionary_encode(refs)
        units, keys, skip = self.unit_index, self.keys, len(NEW)
        codes = [keys.get(ref[skip:], -2) if ref.startswith(NEW) else units.get(ref, -2)
                 for ref in encoded.dictionary.to_pylist()]
        codes.append(NO_UNIT)  # for a null
        rows = encoded.indices.fill_null(len(codes) - 1).to_numpy(zero_copy_only=False)
        return np.asarray(codes, dtype=np.int64)[rows]

    def resolve_many(self, refs: list[str | None], org: np.ndarray | bool, *, nullable: bool = False) -> np.ndarray:
        """Codes of many references, as :meth:`resolve` with ``role`` "org" where ``org`` (else
        "host") would give them with every create counted and no dissolve of the plan; the first
        reference it would refuse raises its error (None is NO_UNIT where ``nullable``)."""
        if not refs:
            return np.empty(0, dtype=np.int64)
        codes = self.lookup(pa.array(refs, pa.string()))
        known = codes >= 0
        safe = np.where(known, codes, 0)
        kinds = np.concatenate([self.current("kind"), np.asarray(self.new["kind"], dtype=np.int16)])
        dissolved = np.concatenate([self.was_dissolved | self.current("dissolved"),
                                    np.asarray(self.new["dissolved"], dtype=bool)])
        fine = known & ~dissolved[safe] & (self.s.kinds.is_org[kinds[safe]] == org)
        if nullable:
            fine |= codes == NO_UNIT
        if not fine.all():
            bad = int(np.flatnonzero(~fine)[0])
            want = org if isinstance(org, bool) else bool(org[bad])
            self.resolve(refs[bad], role="org" if want else "host")  # raises its error
            raise self.fail(f"unit {refs[bad]} cannot be used here")
        return codes

    def _check_created_before_dissolves(self) -> None:
        """No create names a parent or host that an earlier operation dissolved."""
        if self.dissolved_at and self.create_refs is not None:
            refs, positions = self.create_refs
            at = self._dissolve_places()
            if (at[refs] < positions).any():
                raise self.fail("a create names a unit dissolved earlier")

    def _dissolve_places(self) -> np.ndarray:
        """Per unit code (and NO_UNIT last): the place of the plan's dissolve of it, else the largest int."""
        at = np.full(self.n_base + len(self.new["ids"]) + 1, np.iinfo(np.int64).max, dtype=np.int64)
        at[np.fromiter(self.dissolved_at, dtype=np.int64)] = np.fromiter(self.dissolved_at.values(), dtype=np.int64)
        return at

    def _retype(self, row: tuple) -> None:
        _, unit, kind, name, _ = row
        code = self.resolve(unit)
        new_kind = self.kind_code(kind)
        if self.s.kinds.is_org[new_kind] != self.s.kinds.is_org[self.get("kind", code)]:
            raise self.fail(f"retype cannot turn {unit} between organisation and host kinds")
        self.put("kind", code, new_kind)
        if name is not None:
            self.put("name", code, name)

    def _dissolve(self, row: tuple) -> None:
        _, unit, members_to, members_group, children_to, _ = row
        code = self.resolve(unit)
        to = self.resolve(members_to, allow_none=True, role="org")
        group = self.resolve(members_group, allow_none=True, role="org")
        children = self._live_children(code)
        if len(children):
            if children_to is None:
                names = ", ".join(str(self._uid(c)) for c in children[:3])
                raise self.fail(f"{unit} still has child units ({names}); say where they go (children_to)")
            dest = self.resolve(children_to, role="org" if self.s.kinds.is_org[self.get("kind", code)] else "host")
            for c in children.tolist():
                self.put("parent", c, dest)
        self.put("dissolved", code, True)
        self.dissolved_at[code] = self.index if self.index is not None else -1
        self.dissolved.append((code, None if to == NO_UNIT else to, None if group == NO_UNIT else group, self.index or 0))

    def _live_children(self, code: int) -> np.ndarray:
        """Live children of a unit as the plan has them so far, ascending; time in the children only.

        Candidates are the unit's live children before the plan plus the units the plan gave it as
        parent; each is kept if it still has that parent and is not dissolved.
        """
        base = self.s.child_codes(code) if code < self.n_base else np.empty(0, dtype=np.int64)
        if len(base):  # most units dissolved have no children: no array work for them
            base = base[(self.current("parent")[base] == code) & ~self.current("dissolved")[base]]
        extra = [c for c in self.adopted.get(code, ()) if self.get("parent", c) == code and not self.get("dissolved", c)]
        if not extra:
            return base.astype(np.int64)
        return np.unique(np.concatenate([base.astype(np.int64), np.asarray(extra, dtype=np.int64)]))

    def _uid(self, code: int) -> str:
        return str(self.get("ids", code))

    def _attach(self, row: tuple) -> None:
        _, unit, parent, _ = row
        code = self.resolve(unit)
        role = "org" if self.s.kinds.is_org[self.get("kind", code)] else "host"
        self.put("parent", code, self.resolve(parent, allow_none=True, role=role))

    def _set_attributes(self, op: SetAttributes) -> None:
        code = self.resolve(op.unit)
        if op.name is not None:
            self.put("name", code, op.name)
        if op.tags is not None:
            self.put("tags", code, tuple(op.tags))
        if op.attrs is not None:
            merged = dict(self.get("attrs", code))
            merged.update(op.attrs)
            self.put("attrs", code, merged)
        if op.built_on is not None:
            self.built_on_replace[code] = [self.resolve(h, role="host") for h in op.built_on]

    def _link_alliance(self, op: LinkAlliance) -> None:
        pair = (self.resolve(op.unit, role="org"), self.resolve(op.coordinator, role="org"))
        self.alliance_remove.discard(pair)
        self.alliance_add.add(pair)

    def _unlink_alliance(self, op: UnlinkAlliance) -> None:
        pair = (self.resolve(op.unit, role="org"), self.resolve(op.coordinator, role="org"))
        self.alliance_add.discard(pair)
        self.alliance_remove.add(pair)

    def _add_participation(self, op: AddParticipation) -> None:
        self.part_add.append((self.members(op.members), self.resolve(op.unit)))

    def _remove_participation(self, op: RemoveParticipation) -> None:
        self.part_remove.append((self.members(op.members), self.resolve(op.unit)))

    def _set_role(self, row: tuple) -> None:
        _, unit, role, person, since, _ = row
        code = self.resolve(unit, role="org")
        self.roles.set(Role(unit=self._uid(code), role=role, person=person, since=since))

    def _clear_role(self, row: tuple) -> None:
        _, unit, role, person, _ = row
        self.roles.clear(self._uid(self.resolve(unit, role="org")), role, person)

    def _roles_all(self, positions: np.ndarray, rows: list[tuple]) -> None:
        """Every role operation (``rows``, placed at ``positions``), in order, after the others (see
        :meth:`run_grouped`): each distinct unit resolved once, and checked to be created before and
        dissolved after the operation."""
        if not rows:
            return
        self.index = None
        codes = self.lookup(pa.array([r[1] for r in rows], pa.string()))
        created = np.asarray([*self.created_at, 0], dtype=np.int64)
        kinds = np.concatenate([self.current("kind"), np.asarray(self.new["kind"], dtype=np.int16)])
        safe = np.maximum(codes, 0)
        fine = (codes >= 0) & self.s.kinds.is_org[kinds[safe]]
        fine &= (codes >= self.n_base) | ~np.append(self.was_dissolved, False)[np.minimum(safe, self.n_base)]
        fine &= (codes < self.n_base) | (created[np.maximum(codes - self.n_base, 0)] < positions)
        if self.dissolved_at:
            fine &= self._dissolve_places()[safe] >= positions
        if not fine.all():
            raise self.fail("a role operation names a unit not live at its place")
        uids = np.concatenate([self.s.units.ids, np.asarray(self.new["ids"], dtype=object)])[codes].tolist()
        if any(r[0] == "clear_role" for r in rows):
            for uid, row in zip(uids, rows, strict=True):
                if row[0] == "set_role":
                    self.roles.set(Role(uid, row[2], row[3], row[4]))
                else:
                    self.roles.clear(uid, row[2], row[3])
        else:
            self.roles.set_many(uids, rows)

    # -- the moves table ------------------------------------------------------------------

    def _move_error(self, message: str, rows: list[int]) -> PlanError:
        """An error about move rows, numbered like the plan as written (else by table row)."""
        positions = [self.plan.move_position(r) for r in rows]
        if all(p is not None for p in positions):
            where = f" (operations {positions[0]} and {positions[1]})" if len(rows) == 2 else ""
            return PlanError(message + where, strategy=self.plan.strategy, operation=positions[-1])
        label = "moves rows " + " and ".join(map(str, rows)) if len(rows) > 1 else f"moves row {rows[0]}"
        return PlanError(f"{message} ({label})", strategy=self.plan.strategy)

    def _move_member_codes(self) -> np.ndarray:
        """Member codes of the table's member ids: ids packed into integers sorted and searched
        (:func:`~orgmodel.model.building.join_packed`), else one hash join of the two id columns."""
        ids = self.plan.moves.member
        moved = pa.array(ids, pa.string())
        joined = join_packed(self.s.member_id_array, [moved])
        if joined is not None:
            codes = joined[0][0]
            unknown = codes >= self.s.n_members
            if unknown.any():
                row = int(np.argmax(unknown))
                raise self._move_error(f"unknown member {ids[row]!r}", [row])
            return codes.astype(np.int64, copy=False)
        found = pc.index_in(moved, value_set=self.s.member_id_array)
        if found.null_count:
            row = int(pc.index(pc.is_null(found), True).as_py())
            raise self._move_error(f"unknown member {ids[row]!r}", [row])
        return found.to_numpy(zero_copy_only=False).astype(np.int64)

    def _move_targets(self, refs: np.ndarray, units: UnitTable, *, nullable: bool) -> np.ndarray:
        """Unit codes of a column of references, each distinct reference resolved once."""
        encoded = pc.dictionary_encode(pa.array(refs, pa.string()))
        rows = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        if (rows < 0).any() and not nullable:
            raise self._move_error("a destination is required", [int(np.flatnonzero(rows < 0)[0])])
        codes = self.lookup(encoded.dictionary)
        known = codes >= 0
        safe = np.where(known, codes, 0)
        fine = known & self.s.kinds.is_org[units.kind[safe]]
        dissolved_before = np.zeros(len(units), dtype=bool)  # units the plan dissolves are fine here
        dissolved_before[: self.n_base] = self.was_dissolved
        fine &= ~dissolved_before[safe]
        if not fine.all():  # the first bad reference, with the message resolve gives
            j = int(np.flatnonzero(~fine)[0])
            try:
                self.resolve(encoded.dictionary[j].as_py(), role="org", dissolved_by_plan=True)
            except PlanError as exc:
                raise self._move_error(exc.message, [int(np.argmax(rows == j))]) from None
        return np.append(codes, NO_UNIT).astype(np.int32)[rows]  # the last one stands for None

    def _scatter_moves(self, branch: np.ndarray, group: np.ndarray, units: UnitTable) -> None:
        t = self.plan.moves
        codes = self._move_member_codes()
        counts = np.bincount(codes, minlength=self.s.n_members)
        if (counts > 1).any():
            twice = int(np.flatnonzero(counts > 1)[0])
            rows = np.flatnonzero(codes == twice)[:2].tolist()
            raise self._move_error(f"member {self.s.members.ids[twice]} is moved twice", rows)
        branch[codes] = self._move_targets(t.to, units, nullable=False)
        group[codes] = self._move_targets(t.group, units, nullable=True)

    def _follow_dissolves(self, branch: np.ndarray, group: np.ndarray, units: UnitTable) -> None:
        """Members still in a dissolved unit go where its dissolve said, as if dissolves ran in order.

        A member's next dissolve is the earlier of its branch's and its group's; a destination was
        live when its dissolve ran, so it is dissolved later if at all, and every round moves each
        member on to a later dissolve: the rounds are at most the longest chain of dissolves.
        """
        k = len(self.dissolved)
        step_of = np.full(len(units) + 1, k, dtype=np.int64)  # the last entry stands for NO_UNIT
        step_of[[d[0] for d in self.dissolved]] = np.arange(k)
        to = np.array([NO_UNIT if d[1] is None else d[1] for d in self.dissolved] + [NO_UNIT], dtype=np.int32)
        to_group = np.array([NO_UNIT if d[2] is None else d[2] for d in self.dissolved] + [NO_UNIT], dtype=np.int32)
        active = self.s.members["active"]
        # inactive members only leave a dissolved group that names no destination
        g_step = step_of[group]
        group[~active & (g_step < k) & (to[g_step] == NO_UNIT)] = NO_UNIT
        pending = np.flatnonzero(active & ((step_of[branch] < k) | (g_step < k)))
        stranded: list[tuple[np.ndarray, np.ndarray]] = []
        while len(pending):
            b_step, g_step = step_of[branch[pending]], step_of[group[pending]]
            event = np.minimum(b_step, g_step)
            dest, dest_group = to[event], to_group[event]
            by_group = g_step < b_step
            leave = by_group & (dest == NO_UNIT)  # a group dissolved without destination: stay in the branch
            strand = ~by_group & (dest == NO_UNIT)
            go = ~leave & ~strand
            group[pending[leave]] = NO_UNIT
            branch[pending[go]] = dest[go]
            group[pending[go]] = dest_group[go]
            if strand.any():
                stranded.append((event[strand], pending[strand]))
            pending = pending[~strand]
            pending = pending[(step_of[branch[pending]] < k) | (step_of[group[pending]] < k)]
        if stranded:
            events = np.concatenate([e for e, _ in stranded])
            members = np.concatenate([m for _, m in stranded])
            first = int(events.min())
            at = np.sort(members[events == first])
            code, _, _, position = self.dissolved[first]
            raise PlanError(
                f"dissolving {units.ids[code]} leaves {len(at)} member(s) without a branch"
                f" (e.g. {self.s.members.ids[int(at[0])]}); say where they go (members_to)",
                strategy=self.plan.strategy,
                operation=position,
            )

    # -- finishing ------------------------------------------------------------------------

    def finish(self) -> Structure:
        s = self.s
        units = self._units()
        members = self._members(units)
        gone = {str(units.ids[c]) for c, *_ in self.dissolved}
        changes: dict[str, Any] = {
            "units": units,
            "members": members,
            "built_on_edges": self._built_on(),
            "alliance_edges": self._alliances(),
            "participation": self._participation(units),
        }
        if self.roles.changed or gone:
            changes["roles"] = self.roles.without_units(gone)
        return s.replace(**changes)

    def _units(self) -> UnitTable:
        s = self.s
        if not self.cols and not self.new["ids"]:
            return s.units
        out = {}
        dtypes = {"ids": object, "kind": np.int16, "parent": np.int32, "name": object, "tags": object,
                  "attrs": object, "dissolved": bool}
        for name, dtype in dtypes.items():
            base = self.cols.get(name, getattr(s.units, name))
            if self.new[name]:
                extra = np.empty(len(self.new[name]), dtype=dtype)
                extra[:] = self.new[name] if dtype is not object else _object_list(self.new[name])
                out[name] = frozen(np.concatenate([base, extra]))
            else:
                out[name] = base if name not in self.cols else frozen(base)
        return UnitTable(**out)

    def _members(self, units: UnitTable) -> MemberTable:
        s = self.s
        if not len(self.plan.moves) and not self.dissolved:
            return s.members
        branch = s.members["branch"].copy()
        group = s.members["group"].copy()
        if len(self.plan.moves):
            self._scatter_moves(branch, group, units)
        if self.dissolved:
            self._follow_dissolves(branch, group, units)
        changed = {"branch": frozen(branch), "group": frozen(group)}
        home = s.members["home_host"]
        gone_hosts = np.array([c for c, *_ in self.dissolved if not s.kinds.is_org[units.kind[c]]], dtype=np.int64)
        if len(gone_hosts) and np.isin(home, gone_hosts).any():
            changed["home_host"] = frozen(_home_after_dissolves(home, gone_hosts, units.parent))
        return s.members.with_columns(changed)

    def _built_on(self) -> EdgeArrays:
        e = self.s.built_on_edges
        if not self.built_on_replace:
            return e
        replaced = np.fromiter(self.built_on_replace, dtype=np.int32, count=len(self.built_on_replace))
        lengths = np.fromiter((len(h) for h in self.built_on_replace.values()), dtype=np.int64, count=len(replaced))
        hosts = np.fromiter(chain.from_iterable(self.built_on_replace.values()), dtype=np.int32, count=int(lengths.sum()))
        keep = ~_mask(len(self.s.units) + len(self.new["ids"]), replaced)[e.src]
        return EdgeArrays.build(np.concatenate([e.src[keep], np.repeat(replaced, lengths)]),
                                np.concatenate([e.dst[keep], hosts]))

    def _alliances(self) -> EdgeArrays:
        e = self.s.alliance_edges
        dissolved_codes = [c for c, *_ in self.dissolved]
        if not (self.alliance_add or self.alliance_remove or dissolved_codes):
            return e
        width = np.int64(len(self.s.units) + len(self.new["ids"]) + 1)
        keys = e.src.astype(np.int64) * width + e.dst
        if self.alliance_remove:
            keys = keys[~np.isin(keys, [a * width + b for a, b in self.alliance_remove])]
        if self.alliance_add:
            keys = np.concatenate([keys, np.array([a * width + b for a, b in self.alliance_add], dtype=np.int64)])
        if dissolved_codes:
            gone = _mask(int(width), dissolved_codes)
            keys = keys[~gone[keys // width] & ~gone[keys % width]]
        keys = np.unique(keys)
        return EdgeArrays.build(keys // width, keys % width)

    def _participation(self, units: UnitTable) -> EdgeArrays:
        p = self.s.participation
        dissolved_codes = [c for c, *_ in self.dissolved]
        if not (self.part_add or self.part_remove or dissolved_codes):
            return p
        n = np.int64(len(units) + 1)
        added = [members.astype(np.int64) * n + unit for members, unit in self.part_add]
        keys = np.concatenate([p.src.astype(np.int64) * n + p.dst] + added)
        drop = [members.astype(np.int64) * n + unit for members, unit in self.part_remove]
        if drop:
            keys = keys[~np.isin(keys, np.concatenate(drop))]
        if dissolved_codes:
            keys = keys[~_mask(int(n), dissolved_codes)[keys % n]]
        return EdgeArrays.build(keys // n, keys % n)


class _RoleBook:
    """Roles keyed by (unit, role, person): setting or clearing one costs the same at any size.

    Setting a role replaces whatever the same person held in the same role and unit; clearing
    without a person removes everyone holding the role there.
    """

    def __init__(self, roles: tuple[Role, ...]) -> None:
        self.held: dict[tuple[str, str, str], list[Role]] = {}
        self.people: dict[tuple[str, str], dict[str, None]] | None = {}  # None: to rebuild from held
        for r in roles:
            self.held.setdefault((r.unit, r.role, r.person), []).append(r)
            self.people.setdefault((r.unit, r.role), {})[r.person] = None
        self.changed = False

    def set(self, role: Role) -> None:
        self.held[(role.unit, role.role, role.person)] = [role]
        if self.people is None:
            return
        holders = self.people.get((role.unit, role.role))
        if holders is None:
            holders = self.people[(role.unit, role.role)] = {}
        holders[role.person] = None
        self.changed = True

    def set_many(self, units: list[str], rows: list[tuple]) -> None:
        """:meth:`set` of each ``set_role`` row, in order, in ``units`` (the ids its unit refers to):
        the last one set for each (unit, role, person) holds."""
        if rows:
            self.held.update({(u, r[2], r[3]): [Role(u, r[2], r[3], r[4])] for u, r in zip(units, rows, strict=True)})
            self.people = None  # rebuilt when a role is cleared
            self.changed = True

    def clear(self, unit: str, role: str, person: str | None) -> None:
        if self.people is None:
            self.people = {}
            for key in self.held:
                self.people.setdefault(key[:2], {})[key[2]] = None
        holders = self.people.get((unit, role), {})
        for p in list(holders) if person is None else [person]:
            if self.held.pop((unit, role, p), None) is not None:
                self.changed = True
            holders.pop(p, None)

    def without_units(self, gone: set[str]) -> tuple[Role, ...]:
        return tuple(r for rs in self.held.values() for r in rs if r.unit not in gone)


def _home_after_dissolves(home: np.ndarray, gone_hosts: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Members' home host when hosts are dissolved: the coarser host each dissolved one was part of.

    >>> _home_after_dissolves(np.array([2, 1, 0, -1]), np.array([2, 1]), np.array([-1, 0, 1])).tolist()
    [0, 0, 0, -1]
    """
    up = np.arange(len(parent) + 1, dtype=np.int64)
    up[-1] = NO_UNIT
    up[gone_hosts] = parent[gone_hosts]
    out = home.astype(np.int64)
    for _ in range(len(gone_hosts)):  # a chain of dissolved hosts is at most this long
        nxt = up[out]
        if np.array_equal(nxt, out):
            break
        out = nxt
    return out.astype(home.dtype)


def _mask(n: int, codes: Any) -> np.ndarray:
    """A boolean mask of ``n`` entries, True at ``codes`` (a membership test in one pass, for isin).

    >>> _mask(4, [1, 3]).tolist()
    [False, True, False, True]
    """
    mask = np.zeros(n, dtype=bool)
    mask[np.asarray(codes, dtype=np.int64)] = True
    return mask


def _object_list(values: list[Any]) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        arr[i] = v
    return arr


def _check_result(before: Structure, after: Structure, plan: Plan) -> None:
    # ids of units the plan creates are checked as they are made (_Draft._create)
    problems = invariants.violations(after, limit=1, member_ids_known_unique=after.members.ids is before.members.ids,
                                     unit_ids_known_unique=True)
    if problems:
        v = problems[0]
        raise InvariantError(v.message, node=v.node, strategy=plan.strategy, operation=_blame(plan, v.node))
    unplaced = after.kinds.code(UNPLACED)
    was = before.units.kind[before.members["branch"]] == unplaced
    now = after.units.kind[after.members["branch"]] == unplaced
    newly = now & ~was & after.members["active"]
    if newly.any():
        member = str(after.members.ids[int(np.flatnonzero(newly)[0])])
        raise InvariantError(
            f"the plan unplaces {int(newly.sum())} placed member(s)",
            node=member,
            strategy=plan.strategy,
            operation=_blame(plan, member),
        )


def _names(value: Any, node: str) -> bool:
    """Whether a field value names ``node``: the id itself, or ``new:KEY`` of a unit ``.../KEY``."""
    if value == node:
        return True
    return isinstance(value, str) and value.startswith(NEW) and node.endswith("/" + value[len(NEW):])


def _blame(plan: Plan, node: str) -> int | None:
    """The place (as written) of the last operation or move that names ``node``: a unit, a key, a member."""
    found: list[int] = []
    for index in range(len(plan.operations) - 1, -1, -1):
        op = plan.operations[index]
        fields = op.model_dump()
        if any(_names(v, node) or (isinstance(v, list) and node in v) for v in fields.values()) or (
            getattr(op, "key", None) is not None and node.endswith("/" + op.key)
        ):
            found.append(plan.position(index))
            break
    t = plan.moves
    if len(t):
        refs = {ref for ref in set(t.to.tolist()) | set(t.group.tolist()) if ref is not None and _names(ref, node)}
        rows = [r for r, (m, to, g) in enumerate(zip(t.member.tolist(), t.to.tolist(), t.group.tolist(), strict=True))
                if m == node or to in refs or g in refs]
        found += [p for p in (plan.move_position(r) for r in rows) if p is not None]
    return max(found) if found else None
