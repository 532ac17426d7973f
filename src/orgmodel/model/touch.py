"""What a step changes, unit by unit, and whether its scope and locks allow it.

A plan **touches** an existing unit when, between the structure it was proposed on and the
structure it makes, the unit

- is dissolved, retyped, or attached under another parent (including the children of a dissolved
  unit, which move to its ``children_to``);
- has its name, tags, attributes or the hosts it is built on changed;
- gains a child unit (a unit created or attached under it);
- has a role set or cleared in it, an alliance linked or unlinked (both ends are touched), or a
  member's participation in it added or removed;
- has members moved into or out of it (as their branch or as their group).

Units the plan creates are not checked themselves: their parent is. An organisation created with
no parent is outside any scope that names units; a host created with no parent (a new team, a new
grid) changes no existing unit and is allowed. Losing a child is not a touch of the parent (the child is
touched), and what dissolving a unit drops with it (its roles, alliances and participation) is
the dissolution of that unit only. A change that ends where it began (a name set to what it was)
touches nothing.

Every test is a column operation over unit or member codes, so a plan moving a million members is
checked in a few array passes.

>>> from orgmodel.testing_data import tiny_structure
>>> from orgmodel.model.apply import apply
>>> from orgmodel.model.plan import PlanBuilder
>>> from orgmodel.model.scope import Locks, Scope
>>> s = tiny_structure()
>>> b = PlanBuilder(s)
>>> b.move(["m5"], to="b1", reason="closer")
>>> plan = b.build()
>>> after = apply(s, plan)
>>> sorted(touched_units(s, after))
['b1', 'b2']
>>> breach = find_breach(s, after, plan, Scope.of(s), Locks.of(s, ["b1"]))
>>> breach.operation, breach.message
(0, 'moves 1 member(s) into b1, which is locked')
>>> find_breach(s, after, plan, Scope.of(s, ["b1", "b2"]), Locks.of(s)) is None
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from orgmodel.model.plan import NEW, Plan
from orgmodel.model.scope import Locks, Scope
from orgmodel.model.structure import Structure

__all__ = ["TOUCHES", "PERSON_TOUCHES", "Touches", "Breach", "touches", "touched_units", "find_breach"]

#: Every way a plan touches a unit, in the order breaches are reported, with how it reads.
TOUCHES: dict[str, str] = {
    "dissolved": "dissolves {unit}",
    "retyped": "retypes {unit}",
    "attached": "attaches {unit} under another parent",
    "attributes": "changes the name, tags, attributes or hosts of {unit}",
    "child_gained": "puts a unit under {unit}",
    "roles": "sets or clears a role in {unit}",
    "alliances": "links or unlinks an alliance of {unit}",
    "participation": "changes who takes part in {unit}",
    "members_out": "moves {n} member(s) out of {unit}",
    "members_in": "moves {n} member(s) into {unit}",
}


@dataclass(frozen=True)
class Touches:
    """Per way of touching (a key of :data:`TOUCHES`), a boolean mask over the earlier structure's
    unit codes; ``moved_out``/``moved_in`` count the members moved per unit code.

    :ivar created_root: whether the plan creates an organisation unit with no parent.
    """

    masks: dict[str, np.ndarray]
    moved_out: np.ndarray
    moved_in: np.ndarray
    created_root: bool

    @property
    def any(self) -> np.ndarray:
        """Per unit code, whether the unit is touched at all."""
        out = np.zeros_like(self.moved_out, dtype=bool)
        for mask in self.masks.values():
            out |= mask
        return out


@dataclass(frozen=True)
class Breach:
    """A plan that reaches outside its scope or touches a locked unit.

    :ivar operation: the index of the operation to blame (None when no operation names it);
    :ivar op: that operation's type; :ivar unit: the unit touched; :ivar message: one line.
    """

    operation: int | None
    op: str | None
    unit: str | None
    message: str


def touches(before: Structure, after: Structure) -> Touches:
    """How ``after`` (a plan's result) touches each unit of ``before``, as masks over its codes."""
    n = before.n_units
    b, a = before.units, after.units
    dissolved = a.dissolved[:n] & ~b.dissolved
    parent_after = a.parent[:n]
    attached = (parent_after != b.parent) & ~dissolved
    masks = {
        "dissolved": dissolved,
        "retyped": a.kind[:n] != b.kind,
        "attached": attached,
        "attributes": _differs(a.name[:n], b.name) | _differs(a.tags[:n], b.tags) | _differs(a.attrs[:n], b.attrs)
        | _edge_sources_changed(before.built_on_edges, after.built_on_edges, n),
        "child_gained": _mask(n, np.concatenate([parent_after[attached], a.parent[n:]])),
        "roles": _mask(n, _role_units_changed(before, after)),
        "alliances": _alliance_units_changed(before, after, dissolved),
        "participation": _mask(n, _participation_units_changed(before, after)) & ~dissolved,
    }
    masks["roles"] &= ~dissolved
    moved_out, moved_in = _member_flows(before, after)
    created_root = bool(((a.parent[n:] < 0) & after.kinds.is_org[a.kind[n:]]).any())
    return Touches(masks, moved_out, moved_in, created_root)


def touched_units(before: Structure, after: Structure) -> list[str]:
    """The ids of the units of ``before`` that ``after`` touches, in code order."""
    t = touches(before, after)
    hit = t.any | (t.moved_out > 0) | (t.moved_in > 0)
    return [str(u) for u in before.units.ids[hit]]


def find_breach(before: Structure, after: Structure, plan: Plan, scope: Scope, locks: Locks) -> Breach | None:
    """The first way ``plan`` (which made ``after`` of ``before``) breaks its scope or locks, if any."""
    if scope.everything and locks.empty:
        return None
    t = touches(before, after)
    outside = ~scope.mask
    ways = dict(t.masks)
    ways["members_out"] = t.moved_out > 0
    ways["members_in"] = t.moved_in > 0
    for forbidden, why in ((locks.mask, "which is locked"), (outside, _outside(scope))):
        for way in TOUCHES:
            hit = np.flatnonzero(ways[way] & forbidden)
            if len(hit):
                return _breach(before, after, plan, way, int(hit[0]), why, t)
    if locks.people:
        breach = _people_breach(before, after, plan, locks)
        if breach is not None:
            return breach
    if t.created_root and not scope.everything:
        index = next((i for i, op in enumerate(plan.as_written()) if op.op == "create_unit" and op.parent is None), None)
        return Breach(index, None if index is None else plan.as_written()[index].op, None,
                      f"creates an organisation with no parent, {_outside(scope)}")
    return None


#: Every way a plan touches a locked person, in the order breaches are reported.
PERSON_TOUCHES: dict[str, str] = {
    "moved": "moves {member}",
    "roles": "sets or clears a role of {member}",
    "participation": "changes what {member} takes part in",
}


def _people_breach(before: Structure, after: Structure, plan: Plan, locks: Locks) -> Breach | None:
    """The first locked person the plan moves, gives or takes a role, or changes the participation of."""
    locked = locks.people_mask if locks.people_mask is not None else np.zeros(before.n_members, dtype=bool)
    moved = (before.members["branch"] != after.members["branch"]) | (before.members["group"] != after.members["group"])
    persons = {r.person for r in set(before.roles) ^ set(after.roles)} if after.roles is not before.roles else set()
    role_mask = np.zeros(before.n_members, dtype=bool)
    known = [p for p in sorted(persons) if p in locks.people]
    if known:
        role_mask[before.member_codes(known)] = True
    p, q = before.participation, after.participation
    part_mask = np.zeros(before.n_members, dtype=bool)
    if p is not q:
        members, _ = _changed_pairs(p.src, p.dst, q.src, q.dst, after.n_units + 1)
        part_mask[members] = True
    for way, mask in (("moved", moved), ("roles", role_mask), ("participation", part_mask)):
        hit = np.flatnonzero(mask & locked)
        if len(hit):
            code = int(hit[0])
            member = str(before.members.ids[code])
            units = [str(before.units.ids[before.members["branch"][code]])]
            index = _blame(plan, units, member)
            return Breach(index, None if index is None else plan.as_written()[index].op, None,
                          PERSON_TOUCHES[way].format(member=member) + ", who is locked")
    return None


def _outside(scope: Scope) -> str:
    return f"outside the step's scope ({', '.join(scope.units)})"


def _breach(before: Structure, after: Structure, plan: Plan, way: str, code: int, why: str, t: Touches) -> Breach:
    unit = str(before.units.ids[code])
    n = int(t.moved_out[code] if way == "members_out" else t.moved_in[code] if way == "members_in" else 0)
    message = TOUCHES[way].format(unit=unit, n=n) + ", " + why
    member = None
    if way in ("members_out", "members_in"):
        side = before if way == "members_out" else after
        moved = (before.members["branch"] != after.members["branch"]) | (before.members["group"] != after.members["group"])
        at = (side.members["branch"] == code) | (side.members["group"] == code)
        member = str(before.members.ids[int(np.flatnonzero(moved & at)[0])])
    names = [unit]
    if way == "attached":
        old = int(before.units.parent[code])
        if old >= 0:
            names.append(str(before.units.ids[old]))  # the children of a dissolved unit
    index = _blame(plan, names, member)
    return Breach(index, None if index is None else plan.as_written()[index].op, unit, message)


def _blame(plan: Plan, units: list[str], member: str | None) -> int | None:
    """The first operation that moves ``member``, else the first that names one of ``units``."""
    if member is not None:
        for index, op in enumerate(plan.as_written()):
            if member in (getattr(op, "members", None) or ()) or getattr(op, "person", None) == member:
                return index
    for wanted in units:
        for index, op in enumerate(plan.as_written()):
            if wanted in _unit_refs(op):
                return index
    return None


def _unit_refs(op: object) -> set[str]:
    refs: set[str] = set()
    for name in ("unit", "parent", "to", "group", "members_to", "members_group", "children_to", "coordinator"):
        value = getattr(op, name, None)
        if isinstance(value, str) and not value.startswith(NEW):
            refs.add(value)
    refs.update(h for h in (getattr(op, "built_on", None) or ()) if not h.startswith(NEW))
    return refs


def _differs(after: np.ndarray, before: np.ndarray) -> np.ndarray:
    if after is before or np.shares_memory(after, before):
        return np.zeros(len(before), dtype=bool)
    return np.fromiter((x != y for x, y in zip(after.tolist(), before.tolist(), strict=True)),
                       dtype=bool, count=len(before))


def _mask(n: int, codes: Iterable[int] | np.ndarray) -> np.ndarray:
    codes = np.asarray(codes, dtype=np.int64).reshape(-1)
    codes = codes[(codes >= 0) & (codes < n)]
    mask = np.zeros(n, dtype=bool)
    mask[codes] = True
    return mask


def _edge_keys(src: np.ndarray, dst: np.ndarray, width: int) -> np.ndarray:
    return src.astype(np.int64) * np.int64(width) + dst


def _changed_pairs(before_src: np.ndarray, before_dst: np.ndarray, after_src: np.ndarray, after_dst: np.ndarray,
                   width: int) -> tuple[np.ndarray, np.ndarray]:
    """(src, dst) of the pairs in one set and not the other."""
    keys = np.setxor1d(_edge_keys(before_src, before_dst, width), _edge_keys(after_src, after_dst, width))
    return keys // width, keys % width


def _edge_sources_changed(before, after, n: int) -> np.ndarray:  # noqa: ANN001
    if before is after:
        return np.zeros(n, dtype=bool)
    src, _ = _changed_pairs(before.src, before.dst, after.src, after.dst, _width(before, after))
    return _mask(n, src)


def _width(*edges) -> int:  # noqa: ANN002
    return 1 + max([0] + [int(e.dst.max()) for e in edges if len(e)])


def _role_units_changed(before: Structure, after: Structure) -> np.ndarray:
    if after.roles is before.roles:
        return np.empty(0, dtype=np.int64)
    changed = {r.unit for r in set(before.roles) ^ set(after.roles)}
    return np.asarray([after.unit_code(u) for u in sorted(changed) if after.has_unit(u)], dtype=np.int64)


def _alliance_units_changed(before: Structure, after: Structure, dissolved: np.ndarray) -> np.ndarray:
    n = before.n_units
    e, f = before.alliance_edges, after.alliance_edges
    if e is f:
        return np.zeros(n, dtype=bool)
    src, dst = _changed_pairs(e.src, e.dst, f.src, f.dst, _width(e, f))
    gone = np.append(dissolved, np.zeros(max(0, after.n_units - n), dtype=bool))
    keep = ~(gone[src] | gone[dst])  # links dropped with a dissolved unit touch only that unit
    return _mask(n, np.concatenate([src[keep], dst[keep]]))


def _participation_units_changed(before: Structure, after: Structure) -> np.ndarray:
    p, q = before.participation, after.participation
    if p is q:
        return np.empty(0, dtype=np.int64)
    _, units = _changed_pairs(p.src, p.dst, q.src, q.dst, after.n_units + 1)
    return np.unique(units)


def _member_flows(before: Structure, after: Structure) -> tuple[np.ndarray, np.ndarray]:
    """Per unit code of ``before``: members moved out of it and into it (as branch or as group)."""
    n = before.n_units
    out = np.zeros(n, dtype=np.int64)
    into = np.zeros(n, dtype=np.int64)
    if after.members is before.members:
        return out, into
    for column in ("branch", "group"):
        was, now = before.members[column], after.members[column]
        if was is now:
            continue
        moved = was != now
        came, went = was[moved], now[moved]
        out += np.bincount(came[came >= 0], minlength=n)[:n]
        went = went[(went >= 0) & (went < n)]
        into += np.bincount(went, minlength=n)[:n]
    return out, into
