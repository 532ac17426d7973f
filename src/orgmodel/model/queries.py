"""Queries for strategy authors: ancestors, kinds up the hierarchy, scope, allowed parents, roles.

Every query reads a :class:`~orgmodel.model.structure.Structure` and never changes it. The bulk
forms take and return numpy arrays over unit or member codes and walk the ``parent`` array one
level at a time (as many steps as the hierarchy is deep, never one step per unit or member); the
per-unit forms taking ids wrap them. ``parent`` is ``belongs_to`` for organisations and
``part_of`` for hosts, so the same queries serve both hierarchies.

>>> from orgmodel.testing_data import tiny_structure
>>> s = tiny_structure()
>>> ancestors(s, "g1")
['g1', 'b1', 'gb']
>>> common_ancestor(s, ["g1", "b2"])
'gb'
>>> first_allowed_ancestor(s, "g1", "toy.branch")  # a branch may not sit under a group or a branch
'gb'
>>> home = s.members["home_host"]
>>> int(within(s, home, ["area"]).sum())  # members whose home host lies in the area
1
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orgmodel.model.building import join_packed
from orgmodel.model.scope import Scope, subtree_mask
from orgmodel.model.structure import NO_UNIT, Structure

__all__ = [
    "ancestors",
    "ancestor_codes",
    "ancestor_where",
    "ancestor_of_kind",
    "within",
    "scope_mask",
    "allowed_parent_mask",
    "allows_parent",
    "first_allowed_ancestor",
    "common_ancestor",
    "units_under_host",
    "role_member_codes",
    "roles_by_unit",
    "role_holder_mask",
    "role_rows",
]


def ancestor_codes(structure: Structure, code: int) -> np.ndarray:
    """The unit code and the codes of every unit above it, nearest first.

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> s.units.ids[ancestor_codes(s, s.unit_code("g1"))].tolist()
    ['g1', 'b1', 'gb']
    """
    parent = structure.units.parent
    out: list[int] = []
    while code >= 0 and len(out) <= structure.n_units:
        out.append(int(code))
        code = int(parent[code])
    return np.asarray(out, dtype=np.int64)


def ancestors(structure: Structure, unit_id: str) -> list[str]:
    """The unit and every unit above it, nearest first.

    >>> from orgmodel.testing_data import tiny_structure
    >>> ancestors(tiny_structure(), "t1")  # hosts: part_of
    ['t1', 'area']
    """
    return structure.units.ids[ancestor_codes(structure, structure.unit_code(unit_id))].tolist()


def _kind_codes(structure: Structure, kinds: Iterable[str]) -> np.ndarray:
    wanted = np.zeros(len(structure.kinds), dtype=bool)
    for kind in kinds:
        wanted[structure.kinds.code(kind)] = True
    return wanted


def ancestor_of_kind(structure: Structure, codes: Sequence[int] | np.ndarray, kinds: Iterable[str]) -> np.ndarray:
    """For each unit code, the nearest unit at or above it of one of ``kinds``; ``NO_UNIT`` (-1) if none.

    Codes may be ``NO_UNIT`` (e.g. members without a home host): the answer is then ``NO_UNIT``.
    One vectorised pass per level of the hierarchy.

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> codes = s.unit_codes(["t1", "g1", "area"])
    >>> ancestor_of_kind(s, codes, ["toy.area"]).tolist() == [s.unit_code("area"), -1, s.unit_code("area")]
    True
    >>> ancestor_of_kind(s, [-1], ["toy.area"]).tolist()
    [-1]
    """
    wanted = _kind_codes(structure, kinds)
    codes = np.asarray(codes, dtype=np.int64)
    if len(codes) >= structure.n_units:
        return ancestor_where(structure, codes, wanted[structure.units.kind])
    # few codes (one branch's members): test the kind of the units walked through, not of every unit
    current = codes.copy()
    out = np.full(len(current), NO_UNIT, dtype=np.int64)
    parent, kind = structure.units.parent, structure.units.kind
    for _ in range(structure.n_units + 1):
        live = current >= 0
        if not live.any():
            break
        safe = np.where(live, current, 0)
        hit = live & wanted[kind[safe]]
        out[hit] = current[hit]
        current = np.where(live & ~hit, parent[safe], NO_UNIT)
    return out


def ancestor_where(structure: Structure, codes: Sequence[int] | np.ndarray, mask: np.ndarray) -> np.ndarray:
    """For each unit code, the nearest unit at or above it whose code ``mask`` marks; ``NO_UNIT`` if none.

    ``mask`` is a boolean array over unit codes (e.g. live hosts of some kinds).

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> b1_or_gb = np.isin(s.units.ids, ["b1", "gb"])
    >>> s.units.ids[ancestor_where(s, s.unit_codes(["g1", "b2"]), b1_or_gb)].tolist()
    ['b1', 'gb']
    """
    codes = np.asarray(codes, dtype=np.int64)
    out = np.full(len(codes), NO_UNIT, dtype=np.int64)
    parent = structure.units.parent
    rows = np.flatnonzero(codes >= 0)  # each step walks only the codes still climbing
    current = codes[rows]
    for _ in range(structure.n_units + 1):
        if not len(rows):
            break
        hit = mask[current]
        out[rows[hit]] = current[hit]
        up = parent[current]
        climbing = ~hit & (up >= 0)
        rows, current = rows[climbing], up[climbing].astype(np.int64)
    return out


def within(structure: Structure, codes: Sequence[int] | np.ndarray, roots: Iterable[str]) -> np.ndarray:
    """Per unit code in ``codes``: whether it is one of ``roots`` or lies below one (``NO_UNIT``: False).

    With the members' ``home_host`` column as ``codes`` this picks the members living or working
    in an area; with unit codes, the units under a host or an organisation.

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> within(s, s.unit_codes(["t1", "t2", "gb", "g1"]), ["area", "b1"]).tolist()
    [True, True, False, True]
    """
    codes = np.asarray(codes, dtype=np.int64)
    root_codes = structure.unit_codes(list(roots))
    if len(codes) < structure.n_units:  # few codes (one branch's members): walk up from them alone
        is_root = np.zeros(structure.n_units, dtype=bool)
        is_root[root_codes] = True
        return ancestor_where(structure, codes, is_root) >= 0
    mask = subtree_mask(structure, root_codes)
    return (codes >= 0) & mask[np.maximum(codes, 0)]


def scope_mask(structure: Structure, unit_ids: Iterable[str] = ()) -> np.ndarray:
    """Per unit code, whether a step scoped to ``unit_ids`` may touch it (every unit when none).

    The rule is :class:`~orgmodel.model.scope.Scope`'s: a scope unit, a unit below one, or an
    organisation built on a host in scope (and what lies below it). An unknown id is a
    ``UserError`` naming it.

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> [u for u, hit in zip(s.units.ids.tolist(), scope_mask(s, ["t2"]).tolist()) if hit]
    ['t2', 'b2']
    """
    return Scope.of(structure, list(unit_ids)).mask


def allowed_parent_mask(structure: Structure, kind: str) -> np.ndarray:
    """Per unit code, whether a unit of ``kind`` may sit under it (live units of an allowed kind).

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> s.units.ids[allowed_parent_mask(s, "toy.group")].tolist()
    ['b1', 'b2']
    """
    allowed = structure.kinds[kind].allowed_parents
    live = ~structure.units.dissolved
    if allowed is None:
        return live.copy()
    return live & _kind_codes(structure, allowed)[structure.units.kind]


def allows_parent(structure: Structure, kind: str, parent_id: str | None) -> bool:
    """Whether a unit of ``kind`` may sit under ``parent_id`` (``None``: a root, always allowed).

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> allows_parent(s, "toy.branch", "gb"), allows_parent(s, "toy.branch", "b1"), allows_parent(s, "toy.branch", None)
    (True, False, True)
    """
    if parent_id is None:
        return True
    allowed = structure.kinds[kind].allowed_parents
    return allowed is None or structure.kind_of(parent_id) in allowed


def first_allowed_ancestor(structure: Structure, start: str | None, kind: str) -> str | None:
    """``start`` or the nearest unit above it under which a unit of ``kind`` may sit; None if none.

    >>> from orgmodel.testing_data import tiny_structure
    >>> first_allowed_ancestor(tiny_structure(), "b1", "toy.group"), first_allowed_ancestor(tiny_structure(), None, "toy.group")
    ('b1', None)
    """
    if start is None:
        return None
    return next((u for u in ancestors(structure, start) if allows_parent(structure, kind, u)), None)


def common_ancestor(structure: Structure, unit_ids: Sequence[str]) -> str | None:
    """The nearest unit at or above every one of ``unit_ids``; None when they share none (or none given).

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> common_ancestor(s, ["b1", "g1"]), common_ancestor(s, ["b1", "t1"]), common_ancestor(s, [])
    ('b1', None, None)
    """
    if not unit_ids:
        return None
    chains = [ancestors(structure, u) for u in unit_ids]
    common = set(chains[0]).intersection(*chains[1:])
    return next((u for u in chains[0] if u in common), None)


def units_under_host(structure: Structure, host_id: str, kinds: Iterable[str] = ()) -> list[str]:
    """Live units below ``host_id`` (``part_of``), optionally only of ``kinds``, in code order.

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> units_under_host(s, "area"), units_under_host(s, "area", ["toy.area"])
    (['t1', 't2'], [])
    """
    below = subtree_mask(structure, [structure.unit_code(host_id)])
    below[structure.unit_code(host_id)] = False
    below &= ~structure.units.dissolved
    kinds = list(kinds)
    if kinds:
        below &= _kind_codes(structure, kinds)[structure.units.kind]
    return structure.units.ids[below].tolist()


def role_member_codes(structure: Structure) -> np.ndarray:
    """For each role of ``structure.roles`` (in that order), the holder's member code; -1 for a person
    outside the roster (a secretary sent from outside, say).

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> role_member_codes(s).tolist(), s.members.ids[0]
    ([0], 'm1')
    """
    cached = structure.__dict__.get("_role_member_codes")  # computed once per Structure (it never changes)
    if cached is None:
        cached = _holders_among_ascending_ids(structure)
        if cached is None:
            cached = structure._role_holder_codes()  # noqa: SLF001 - the core's own join of people and member ids
        cached.flags.writeable = False
        structure.__dict__["_role_member_codes"] = cached
    return cached


def _holders_among_ascending_ids(structure: Structure) -> np.ndarray | None:
    """:func:`role_member_codes` by sorting and searching the member ids packed into integers
    (:func:`orgmodel.model.building.join_packed`: ids and people of at most 8 bytes, as rosters
    number their members); None otherwise.

    A hash join would hash every member id; this reads the ids' bytes in place, as numbers.
    """
    codes, distinct = structure._role_people  # noqa: SLF001 - the roles' distinct people, coded once
    if distinct is None or not len(codes):
        return None
    joined = join_packed(structure.member_id_array, [distinct])
    if joined is None:
        return None
    found = joined[0][0]
    found = np.where(found < structure.n_members, found, -1)
    return found[codes]


def roles_by_unit(structure: Structure, unit_codes: Sequence[int] | np.ndarray) -> list[np.ndarray]:
    """For each unit code, the positions in ``structure.roles`` of the roles held in that unit, in
    roles-table order (one grouping of the roles table, built once per Structure).

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> [[s.roles[i].role for i in rows] for rows in roles_by_unit(s, s.unit_codes(["b1", "b2"]))]
    [['secretary'], []]
    """
    index = structure.__dict__.get("_roles_by_unit")
    if index is None:
        units, _, _ = structure.role_table
        keys = units.astype(np.int64) + 1  # roles of unknown units (-1) fall in no unit
        order = np.argsort(keys, kind="stable")
        offsets = np.concatenate([[0], np.cumsum(np.bincount(keys, minlength=structure.n_units + 1))])
        index = (order, offsets)
        structure.__dict__["_roles_by_unit"] = index
    order, offsets = index
    return [order[offsets[c + 1] : offsets[c + 2]] for c in np.asarray(unit_codes, dtype=np.int64).tolist()]


def role_rows(structure: Structure, roles: Iterable[str]) -> np.ndarray:
    """Per row of ``structure.role_table``, whether its role is one of ``roles``.

    The role names are coded once per Structure; each call then tests only the few distinct names.

    >>> from orgmodel.testing_data import tiny_structure
    >>> role_rows(tiny_structure(), ["secretary", "deputy_secretary"]).tolist()
    [True]
    """
    index = structure.__dict__.get("_role_name_codes")
    if index is None:
        _, names, _ = structure.role_table
        encoded = pc.dictionary_encode(pa.array(names, pa.string()))
        index = (encoded.indices.to_numpy(zero_copy_only=False), np.asarray(encoded.dictionary.to_pylist(), dtype=object))
        structure.__dict__["_role_name_codes"] = index
    codes, distinct_names = index
    return np.isin(distinct_names, list(roles))[codes]


def role_holder_mask(structure: Structure, roles: Iterable[str]) -> np.ndarray:
    """Per member code, whether the member holds any of ``roles`` (in any unit of the roles table).

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> s.members.ids[role_holder_mask(s, ["secretary"])].tolist(), int(role_holder_mask(s, ["group_leader"]).sum())
    (['m1'], 0)
    """
    codes = role_member_codes(structure)
    keep = role_rows(structure, roles) & (codes >= 0)
    out = np.zeros(structure.n_members, dtype=bool)
    out[codes[keep]] = True
    return out

