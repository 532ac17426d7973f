"""Where a step may act: the step's ``scope:`` and ``locks:`` (``ctx.scope``, ``ctx.locks``) as masks the
strategies filter their work with, so that they never propose a change to a locked unit or to one
outside the scope (the engine refuses such a plan anyway).

>>> from orgmodel import Context, Locks, Scope
>>> from orgmodel.testing_data import tiny_structure
>>> s = tiny_structure()
>>> ctx = Context.for_structure(s, scope=Scope.of(s, ["gb"]), locks=Locks.of(s, ["b2"]))
>>> [u for u, ok in zip(s.units.ids.tolist(), free_units(ctx).tolist()) if ok]
['gb', 'b1', 'g1']
>>> [u for u, ok in zip(s.units.ids.tolist(), free_hosts(ctx).tolist()) if ok and not s.kinds.is_org[s.units.kind[s.unit_code(u)]]]
['area', 't1']
>>> [u for u, ok in zip(s.units.ids.tolist(), free_to_rebuild(ctx, parent=False).tolist()) if ok]
['b1', 'g1']
>>> require_free(ctx, "demo", "units", "b2")
Traceback (most recent call last):
...
orgmodel.errors.UserError: strategy demo: params.units: 'b2' is locked by the step (locks)
>>> free_parent(ctx, "demo", "gb")
'gb'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from orgmodel import UserError

__all__ = ["free_units", "free_hosts", "free_members", "free_to_rebuild", "require_free", "free_parent"]


def free_units(ctx: Any) -> np.ndarray:
    """Per unit code: in the step's scope and not locked, so the step may change it."""
    return ctx.scope.mask & ~ctx.locks.mask


def free_hosts(ctx: Any) -> np.ndarray:
    """Per unit code: a free unit, or a host that a free organisation is built on (what a strategy
    may build on or gather members from)."""
    free = free_units(ctx)
    edges = ctx.structure.built_on_edges
    out = free.copy()
    if len(edges):
        out[edges.dst[free[edges.src]]] = True
    return out & ~ctx.locks.mask


def free_members(ctx: Any) -> np.ndarray:
    """Per member code: active, and their branch (and group, if any) may change, so they may move."""
    s = ctx.structure
    free = free_units(ctx)
    group = s.members["group"]
    ok = free[s.members["branch"]] & s.members["active"]
    return ok & np.where(group >= 0, free[np.maximum(group, 0)], True)


def free_to_rebuild(ctx: Any, *, parent: bool = True) -> np.ndarray:
    """Per unit code: the unit and its live children are free, and (with ``parent``) so is its parent,
    which gains the new units: what a strategy that re-cuts a branch needs."""
    s = ctx.structure
    free = free_units(ctx)
    up = s.units.parent
    live_child = (up >= 0) & ~s.units.dissolved
    blocked = np.zeros(s.n_units, dtype=bool)
    blocked[up[live_child & ~free]] = True
    out = free & ~blocked
    if parent:
        out &= np.where(up >= 0, free[np.maximum(up, 0)], True)
    return out


def require_free(ctx: Any, strategy: str, param: str, unit_id: str) -> None:
    """A one-line UserError naming ``param`` when the step may not change ``unit_id``."""
    code = ctx.structure.unit_code(unit_id)
    if ctx.locks.mask[code]:
        raise UserError(f"strategy {strategy}: params.{param}: {unit_id!r} is locked by the step (locks)")
    if not ctx.scope.mask[code]:
        raise UserError(f"strategy {strategy}: params.{param}: {unit_id!r} is outside the step's scope")


def free_parent(ctx: Any, strategy: str, parent: str | None, param: str = "parent") -> str | None:
    """``parent`` when the step may put new units under it (a one-line UserError naming ``param``
    otherwise); a new unit with no parent is outside any scope that names units."""
    if parent is None:
        if not ctx.scope.everything:
            raise UserError(f"strategy {strategy}: params.{param}: the new unit would have no parent, which is outside"
                            " the step's scope; name a parent in it")
        return None
    require_free(ctx, strategy, param, parent)
    return parent
