"""Apply a plan to a structure: a new structure, the input untouched, every invariant checked.

Operations run in order, except member moves, which are gathered into one table and applied as
one vectorised scatter after the structural operations; then members left in dissolved units go
to the destinations their ``dissolve`` named. A member moved twice by one plan is an error (the
transfer list must say one thing per member).

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

from typing import Any

import numpy as np

from orgmodel.model import invariants
from orgmodel.errors import InvariantError, PlanError, UserError
from orgmodel.model.kinds import UNPLACED
from orgmodel.model.plan import (
    NEW,
    AddParticipation,
    Attach,
    ClearRole,
    CreateHost,
    CreateUnit,
    Dissolve,
    LinkAlliance,
    MoveMembers,
    Plan,
    RemoveParticipation,
    Retype,
    SetAttributes,
    SetRole,
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
    invariant; both name the strategy and the operation.
    """
    if plan.fingerprint and plan.fingerprint != structure.fingerprint and not force:
        raise PlanError(
            "plan was proposed on another structure (fingerprint differs); pass force to apply anyway",
            strategy=plan.strategy,
        )
    draft = _Draft(structure, plan, variant, step)
    for index, op in enumerate(plan.operations):
        draft.index = index
        try:
            draft.run(op)
        except UserError as exc:
            if isinstance(exc, PlanError):
                raise
            raise PlanError(str(exc), strategy=plan.strategy, operation=index) from None
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
        self.cols: dict[str, np.ndarray] = {}  # copied unit columns
        self.new: dict[str, list[Any]] = {k: [] for k in ("ids", "kind", "parent", "name", "tags", "attrs", "dissolved")}
        self.keys: dict[str, int] = {}
        self.built_on_replace: dict[int, list[int]] = {}
        self.alliance_add: set[tuple[int, int]] = set()
        self.alliance_remove: set[tuple[int, int]] = set()
        self.part_add: list[tuple[np.ndarray, int]] = []
        self.part_remove: list[tuple[np.ndarray, int]] = []
        self.roles: list[Role] = list(s.roles)
        self.moves: list[tuple[np.ndarray, int, int, int]] = []
        self.dissolved: list[tuple[int, int | None, int | None, int]] = []

    # -- helpers --------------------------------------------------------------------------

    def fail(self, message: str) -> PlanError:
        return PlanError(message, strategy=self.plan.strategy, operation=self.index)

    def col(self, name: str) -> np.ndarray:
        if name not in self.cols:
            self.cols[name] = getattr(self.s.units, name).copy()
        return self.cols[name]

    def get(self, name: str, code: int) -> Any:
        if code >= self.n_base:
            return self.new[name][code - self.n_base]
        source = self.cols.get(name)
        return (source if source is not None else getattr(self.s.units, name))[code]

    def put(self, name: str, code: int, value: Any) -> None:
        if code >= self.n_base:
            self.new[name][code - self.n_base] = value
        else:
            self.col(name)[code] = value

    def resolve(self, ref: str | None, *, allow_none: bool = False, role: str | None = None) -> int:
        if ref is None:
            if allow_none:
                return NO_UNIT
            raise self.fail("a unit is required")
        if ref.startswith(NEW):
            key = ref[len(NEW):]
            if key not in self.keys:
                raise self.fail(f"{ref} is not created earlier in the plan")
            code = self.keys[key]
        else:
            if not self.s.has_unit(ref):
                raise self.fail(f"unknown unit {ref!r}")
            code = self.s.unit_code(ref)
        if self.get("dissolved", code):
            raise self.fail(f"unit {ref} is dissolved")
        if role is not None and bool(self.s.kinds.is_org[self.get("kind", code)]) != (role == "org"):
            raise self.fail(f"{ref} is not {'an organisation' if role == 'org' else 'a host'} unit")
        return code

    def kind_code(self, kind: str) -> int:
        if kind not in self.s.kinds:
            raise self.fail(f"unknown unit kind {kind!r} (domain pack {self.s.kinds.name})")
        return self.s.kinds.code(kind)

    def members(self, ids: list[str]) -> np.ndarray:
        try:
            return self.s.member_codes(ids)
        except UserError as exc:
            raise self.fail(str(exc)) from None

    # -- operations -----------------------------------------------------------------------

    def run(self, op: Any) -> None:
        handler = getattr(self, "_" + op.op)
        handler(op)

    def _create(self, key: str, kind: str, name: str, parent: int, tags: list[str], attrs: dict) -> int:
        uid = new_unit_id(self.variant, self.step, key)
        if self.s.has_unit(uid):
            raise self.fail(f"unit id {uid!r} exists already")
        code = self.n_base + len(self.new["ids"])
        for name_, value in (("ids", uid), ("kind", self.kind_code(kind)), ("parent", parent), ("name", name),
                             ("tags", tuple(tags)), ("attrs", dict(attrs)), ("dissolved", False)):
            self.new[name_].append(value)
        self.keys[key] = code
        return code

    def _create_unit(self, op: CreateUnit) -> None:
        if op.kind in self.s.kinds and self.s.kinds[op.kind].role != "org":
            raise self.fail(f"{op.kind} is a host kind; use create_host")
        parent = self.resolve(op.parent, allow_none=True, role="org")
        hosts = [self.resolve(h, role="host") for h in op.built_on]
        code = self._create(op.key, op.kind, op.name, parent, op.tags, op.attrs)
        self.built_on_replace[code] = hosts

    def _create_host(self, op: CreateHost) -> None:
        if op.kind in self.s.kinds and self.s.kinds[op.kind].role != "host":
            raise self.fail(f"{op.kind} is an organisation kind; use create_unit")
        parent = self.resolve(op.parent, allow_none=True, role="host")
        self._create(op.key, op.kind, op.name, parent, op.tags, {})

    def _retype(self, op: Retype) -> None:
        code = self.resolve(op.unit)
        new_kind = self.kind_code(op.kind)
        if self.s.kinds.is_org[new_kind] != self.s.kinds.is_org[self.get("kind", code)]:
            raise self.fail(f"retype cannot turn {op.unit} between organisation and host kinds")
        self.put("kind", code, new_kind)
        if op.name is not None:
            self.put("name", code, op.name)

    def _dissolve(self, op: Dissolve) -> None:
        code = self.resolve(op.unit)
        to = self.resolve(op.members_to, allow_none=True, role="org")
        group = self.resolve(op.members_group, allow_none=True, role="org")
        children = self._live_children(code)
        if len(children):
            if op.children_to is None:
                names = ", ".join(str(self._uid(c)) for c in children[:3])
                raise self.fail(f"{op.unit} still has child units ({names}); say where they go (children_to)")
            dest = self.resolve(op.children_to, role="org" if self.s.kinds.is_org[self.get("kind", code)] else "host")
            for c in children.tolist():
                self.put("parent", c, dest)
        self.put("dissolved", code, True)
        self.dissolved.append((code, None if to == NO_UNIT else to, None if group == NO_UNIT else group, self.index or 0))

    def _live_children(self, code: int) -> np.ndarray:
        parent = self.cols.get("parent", self.s.units.parent)
        dissolved = self.cols.get("dissolved", self.s.units.dissolved)
        base = np.flatnonzero((parent == code) & ~dissolved)
        extra = [self.n_base + i for i, p in enumerate(self.new["parent"]) if p == code and not self.new["dissolved"][i]]
        return np.concatenate([base, np.asarray(extra, dtype=np.int64)])

    def _uid(self, code: int) -> str:
        return str(self.get("ids", code))

    def _attach(self, op: Attach) -> None:
        code = self.resolve(op.unit)
        role = "org" if self.s.kinds.is_org[self.get("kind", code)] else "host"
        self.put("parent", code, self.resolve(op.parent, allow_none=True, role=role))

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

    def _set_role(self, op: SetRole) -> None:
        code = self.resolve(op.unit, role="org")
        role = Role(unit=self._uid(code), role=op.role, person=op.person, since=op.since)
        self.roles = [r for r in self.roles if (r.unit, r.role, r.person) != (role.unit, role.role, role.person)]
        self.roles.append(role)

    def _clear_role(self, op: ClearRole) -> None:
        unit = self._uid(self.resolve(op.unit, role="org"))
        self.roles = [
            r for r in self.roles
            if not (r.unit == unit and r.role == op.role and (op.person is None or r.person == op.person))
        ]

    def _move_members(self, op: MoveMembers) -> None:
        to = self.resolve(op.to, role="org")
        group = self.resolve(op.group, allow_none=True, role="org")
        self.moves.append((self.members(op.members), to, group, self.index or 0))

    # -- finishing ------------------------------------------------------------------------

    def finish(self) -> Structure:
        s = self.s
        units = self._units()
        members = self._members(units)
        gone = {str(units.ids[c]) for c, *_ in self.dissolved}
        return s.replace(
            units=units,
            members=members,
            built_on_edges=self._built_on(),
            alliance_edges=self._alliances(),
            participation=self._participation(units),
            roles=tuple(r for r in self.roles if r.unit not in gone),
        )

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
        if not self.moves and not self.dissolved:
            return s.members
        branch = s.members["branch"].copy()
        group = s.members["group"].copy()
        if self.moves:
            codes = np.concatenate([m[0] for m in self.moves])
            counts = np.bincount(codes, minlength=s.n_members)
            if (counts > 1).any():
                twice = int(np.flatnonzero(counts > 1)[0])
                ops = [m[3] for m in self.moves for c in m[0].tolist() if c == twice]
                raise PlanError(
                    f"member {s.members.ids[twice]} is moved twice (operations {ops[0]} and {ops[1]})",
                    strategy=self.plan.strategy,
                    operation=ops[1],
                )
            dest = np.concatenate([np.full(len(m[0]), m[1], dtype=np.int32) for m in self.moves])
            dest_group = np.concatenate([np.full(len(m[0]), m[2], dtype=np.int32) for m in self.moves])
            branch[codes] = dest
            group[codes] = dest_group
        for code, to, to_group, _index in self.dissolved:
            in_group = group == code
            in_branch = branch == code
            if in_group.any() and to is None:
                group[in_group] = NO_UNIT  # members leave the dissolved group, stay in the branch
            stranded = (in_branch | (in_group if to is not None else False)) & s.members["active"]
            if stranded.any():
                if to is None:
                    first = s.members.ids[int(np.flatnonzero(stranded)[0])]
                    raise PlanError(
                        f"dissolving {units.ids[code]} leaves {int(stranded.sum())} member(s) without a branch"
                        f" (e.g. {first}); say where they go (members_to)",
                        strategy=self.plan.strategy,
                        operation=_index,
                    )
                branch[stranded] = to
                group[stranded] = NO_UNIT if to_group is None else to_group
        columns = dict(s.members.columns)
        columns["branch"] = frozen(branch)
        columns["group"] = frozen(group)
        home = s.members["home_host"]
        gone_hosts = [c for c, *_ in self.dissolved if not s.kinds.is_org[units.kind[c]]]
        if gone_hosts and np.isin(home, gone_hosts).any():
            home = home.copy()
            for c in gone_hosts:  # members' home becomes the coarser host the dissolved one was part of
                home[home == c] = units.parent[c]
            columns["home_host"] = frozen(home)
        return MemberTable(ids=s.members.ids, columns=columns)

    def _built_on(self) -> EdgeArrays:
        e = self.s.built_on_edges
        if not self.built_on_replace:
            return e
        replaced = np.fromiter(self.built_on_replace, dtype=np.int32)
        keep = ~np.isin(e.src, replaced)
        src = [e.src[keep]] + [np.full(len(h), c, dtype=np.int32) for c, h in self.built_on_replace.items()]
        dst = [e.dst[keep]] + [np.asarray(h, dtype=np.int32) for h in self.built_on_replace.values()]
        return EdgeArrays.build(np.concatenate(src), np.concatenate(dst))

    def _alliances(self) -> EdgeArrays:
        e = self.s.alliance_edges
        dissolved_codes = {c for c, *_ in self.dissolved}
        if not (self.alliance_add or self.alliance_remove or dissolved_codes):
            return e
        pairs = set(zip(e.src.tolist(), e.dst.tolist(), strict=True))
        pairs = (pairs - self.alliance_remove) | self.alliance_add
        pairs = {p for p in pairs if p[0] not in dissolved_codes and p[1] not in dissolved_codes}
        ordered = sorted(pairs)
        return EdgeArrays.build([p[0] for p in ordered], [p[1] for p in ordered])

    def _participation(self, units: UnitTable) -> EdgeArrays:
        p = self.s.participation
        dissolved_codes = [c for c, *_ in self.dissolved]
        if not (self.part_add or self.part_remove or dissolved_codes):
            return p
        n = np.int64(len(units) + 1)
        keys = p.src.astype(np.int64) * n + p.dst
        for members, unit in self.part_add:
            keys = np.concatenate([keys, members.astype(np.int64) * n + unit])
        drop = [members.astype(np.int64) * n + unit for members, unit in self.part_remove]
        if drop:
            keys = keys[~np.isin(keys, np.concatenate(drop))]
        keys = np.unique(keys)
        dst = keys % n
        keys = keys[~np.isin(dst, dissolved_codes)]
        return EdgeArrays.build(keys // n, keys % n)


def _object_list(values: list[Any]) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        arr[i] = v
    return arr


def _check_result(before: Structure, after: Structure, plan: Plan) -> None:
    problems = invariants.violations(after, limit=1, member_ids_known_unique=after.members.ids is before.members.ids)
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


def _blame(plan: Plan, node: str) -> int | None:
    """Index of the last operation that names ``node`` (a unit, a created key, or a member)."""
    for index in range(len(plan.operations) - 1, -1, -1):
        op = plan.operations[index]
        fields = op.model_dump()
        for value in fields.values():
            if value == node or (isinstance(value, list) and node in value):
                return index
            if isinstance(value, str) and value.startswith(NEW) and node.endswith("/" + value[len(NEW):]):
                return index
        if getattr(op, "key", None) is not None and node.endswith("/" + op.key):
            return index
    return None
