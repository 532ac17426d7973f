"""Scope and locks of a step: which units a strategy may touch, and which it must leave alone.

A step of a variant may name a ``scope`` (units whose part of the structure it may change; by
default the whole structure) and ``locks`` (units and members it must not change). Both are
handed to the strategy in its context as masks over unit (and member) codes, and the engine
refuses a plan that reaches outside the scope or touches what is locked
(:mod:`orgmodel.model.touch` says what touching is).

A unit is **in scope** when it is a scope unit or lies below one (``belongs_to`` for
organisations, ``part_of`` for hosts), or when it is an organisation built on a host in scope, or
lies below such an organisation. A member is in scope when the branch they belong to is.

>>> from orgmodel.testing_data import tiny_structure
>>> s = tiny_structure()
>>> scope = Scope.of(s, ["b2"])
>>> [uid for uid, hit in zip(s.units.ids.tolist(), scope.mask.tolist()) if hit]
['b2']
>>> scope.contains("b1", s), Scope.of(s).contains("b1")
(False, True)
>>> Scope.of(s, ["area"]).contains("b1", s)  # b1 lies below gb, which is built on the area
True
>>> Locks.of(s, ["b1"]).contains("b1")
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from orgmodel.model.structure import Structure

__all__ = ["Scope", "Locks", "subtree_mask"]


def subtree_mask(structure: Structure, codes: Sequence[int] | np.ndarray) -> np.ndarray:
    """A boolean mask over unit codes: the given units and every unit below them.

    One vectorised walk up the ``parent`` array (organisations and hosts alike), as many steps as
    the hierarchy is deep.

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> root = [c for c in range(s.n_units) if s.units.parent[c] < 0 and s.kinds.is_org[s.units.kind[c]]]
    >>> bool(subtree_mask(s, root)[s.unit_code("b1")])
    True
    """
    n = structure.n_units
    roots = np.zeros(n, dtype=bool)
    roots[np.asarray(codes, dtype=np.int64)] = True
    mask = roots.copy()
    parent = structure.units.parent
    current = np.arange(n)
    for _ in range(n):
        current = np.where(current >= 0, parent[np.maximum(current, 0)], -1)
        live = current >= 0
        if not live.any():
            break
        mask |= live & roots[np.maximum(current, 0)]
    return mask


def _codes(structure: Structure, unit_ids: Iterable[str]) -> np.ndarray:
    return structure.unit_codes(list(unit_ids)).astype(np.int64)


@dataclass(frozen=True)
class Scope:
    """The part of a structure a step may change.

    :ivar units: the scope units as given (empty: the whole structure).
    :ivar mask: per unit code, whether the unit is in scope.
    """

    units: tuple[str, ...]
    mask: np.ndarray

    @classmethod
    def of(cls, structure: Structure, units: Iterable[str] = ()) -> Scope:
        """The scope of ``units`` in ``structure`` (every unit when none are named)."""
        units = tuple(units)
        if not units:
            return cls((), np.ones(structure.n_units, dtype=bool))
        inside = subtree_mask(structure, _codes(structure, units))
        edges = structure.built_on_edges
        on_hosts = edges.src[inside[edges.dst]] if len(edges) else np.empty(0, dtype=np.int64)
        mask = subtree_mask(structure, np.concatenate([np.flatnonzero(inside), on_hosts]))
        mask.setflags(write=False)
        return cls(units, mask)

    @property
    def everything(self) -> bool:
        """Whether the scope is the whole structure."""
        return not self.units

    def contains(self, unit_id: str, structure: Structure | None = None) -> bool:
        """Whether a unit of the structure the scope was made on is in scope."""
        if self.everything:
            return True
        if structure is None:
            raise ValueError("a scope that names units needs the structure to look a unit up")
        return bool(self.mask[structure.unit_code(unit_id)])

    def member_mask(self, structure: Structure) -> np.ndarray:
        """Per member code, whether the member's branch is in scope."""
        return self.mask[structure.members["branch"]] & structure.members["active"]


@dataclass(frozen=True)
class Locks:
    """Units and people a step must not change (see ``docs/scenarios.md``, "Scope and locks").

    A locked unit is not dissolved, retyped, attached elsewhere, renamed, given a child, a role, an
    alliance or a participant, and no member moves into or out of it. A locked person is not moved,
    takes no role and leaves none, and takes part in the same units.

    :ivar units: the locked units as given; :ivar mask: per unit code, whether it is locked.
    :ivar people: the locked members as given; :ivar people_mask: per member code, whether the
        member is locked.

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> locks = Locks.of(s, ["b1"], people=["m5"])
    >>> locks.holds("m5", s), locks.holds("m6", s), locks.empty
    (True, False, False)
    """

    units: tuple[str, ...]
    mask: np.ndarray
    people: tuple[str, ...] = ()
    people_mask: np.ndarray | None = None

    @classmethod
    def of(cls, structure: Structure, units: Iterable[str] = (), *, people: Iterable[str] = ()) -> Locks:
        """The locks on ``units`` and on the members ``people`` (none when none are named)."""
        units = tuple(units)
        mask = np.zeros(structure.n_units, dtype=bool)
        if units:
            mask[_codes(structure, units)] = True
        mask.setflags(write=False)
        people = tuple(people)
        people_mask = np.zeros(structure.n_members, dtype=bool)
        if people:
            people_mask[structure.member_codes(list(people))] = True
        people_mask.setflags(write=False)
        return cls(units, mask, people, people_mask)

    @property
    def empty(self) -> bool:
        """Whether nothing is locked."""
        return not self.units and not self.people

    def contains(self, unit_id: str, structure: Structure | None = None) -> bool:
        """Whether a unit is locked."""
        if not self.units:
            return False
        if structure is None:
            return unit_id in self.units
        return bool(self.mask[structure.unit_code(unit_id)])

    def holds(self, member_id: str, structure: Structure | None = None) -> bool:
        """Whether a member is locked."""
        if not self.people:
            return False
        if structure is None or self.people_mask is None:
            return member_id in self.people
        return bool(self.people_mask[structure.member_code(member_id)])
