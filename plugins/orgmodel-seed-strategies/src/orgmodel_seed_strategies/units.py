"""Looking units up for the seed strategies: names, checked unit parameters, a unit's value, the
organisation on a host, the villages a strategy is given.

The domain-neutral hierarchy queries (ancestors, kinds up the tree, allowed parents) are the
core's (``orgmodel.ancestors`` and the rest), where a step may act is ``reach.py``; everything here
is deterministic (code order or sorted ids).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from orgmodel import Role, Structure, UserError, allows_parent, ancestor_of_kind, roles_by_unit

#: Host kinds of the areas whose committee new units sit under by default, and that committee's kinds.
AREA_KINDS = ("party.township", "party.street")
COMMITTEE_KINDS = ("party.committee", "party.working_committee")

#: Tags of units that coordinate or overlay others and are never a village's "own" organisation.
OVERLAY_TAGS = ("alliance", "industry")


def roles_in(s: Structure, unit_id: str) -> list[Role]:
    """Roles held in a unit, in roles-table order (as ``Structure.roles_in``), from the roles grouped
    by unit once per structure rather than a scan of every role per call.

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> roles_in(s, "b1") == s.roles_in("b1"), roles_in(s, "nowhere")
    (True, [])
    """
    if not s.has_unit(unit_id):
        return []
    roles = s.roles
    return [roles[i] for i in roles_by_unit(s, [s.unit_code(unit_id)])[0].tolist()]


def name(s: Structure, unit_id: str) -> str:
    """The display name of a unit (its id when unnamed)."""
    return str(s.units.name[s.unit_code(unit_id)])


def require_unit(s: Structure, strategy: str, param: str, unit_id: str, *, kinds: Sequence[str] = (),
                 role: str | None = None) -> None:
    """Raise a one-line UserError naming ``param`` when ``unit_id`` is unknown, dissolved or of the wrong kind."""
    if not s.has_unit(unit_id):
        raise UserError(f"strategy {strategy}: params.{param}: unknown unit {unit_id!r}")
    u = s.unit(unit_id)
    if u.dissolved:
        raise UserError(f"strategy {strategy}: params.{param}: unit {unit_id!r} is dissolved")
    if kinds and u.kind not in kinds:
        raise UserError(
            f"strategy {strategy}: params.{param}: {unit_id!r} is a {u.kind}, not a {' or '.join(kinds)}"
        )
    if role is not None and (s.kinds[u.kind].role != role):
        what = "an organisation unit" if role == "org" else "a host unit"
        raise UserError(f"strategy {strategy}: params.{param}: {unit_id!r} is not {what}")


def require_parent(s: Structure, strategy: str, param: str, parent: str, kind: str) -> None:
    """Raise a one-line UserError naming ``param`` unless ``parent`` is a live organisation that may hold a ``kind``."""
    require_unit(s, strategy, param, parent)
    unit = s.unit(parent)
    if s.kinds[unit.kind].role != "org":
        raise UserError(f"strategy {strategy}: params.{param}: {parent!r} is a host unit, not an organisation")
    if not allows_parent(s, kind, parent):
        raise UserError(f"strategy {strategy}: params.{param}: a {kind} cannot sit under a {unit.kind} ({parent!r})")


def unit_value(s: Structure, unit_id: str, key: str) -> Any:
    """A unit's value for ``key``: its attribute ``key``, else a tag ``key:VALUE``; None when absent."""
    u = s.unit(unit_id)
    if key in u.attrs and u.attrs[key] not in (None, ""):
        return u.attrs[key]
    prefix = key + ":"
    for tag in u.tags:
        if tag.startswith(prefix):
            return tag[len(prefix):]
    return None


def top_org_on_host(s: Structure, host_id: str, *, exclude_tags: Sequence[str] = OVERLAY_TAGS,
                    kinds: Sequence[str] | None = None) -> str | None:
    """The highest live organisation unit built on ``host_id`` (lowest depth, then code), or None.

    Functional groups and units tagged ``alliance`` or ``industry`` are not a host's own organisation.
    """
    best: tuple[int, int] | None = None
    out = None
    for uid in s.built_on_by(host_id):
        k = s.kind_of(uid)
        if s.kinds[k].role != "org" or k == "party.functional_group" or k.startswith("core."):
            continue
        if kinds is not None and k not in kinds:
            continue
        if any(t in exclude_tags for t in s.unit(uid).tags):
            continue
        code = s.unit_code(uid)
        key = (int(s.depth[code]), code)
        if best is None or key < best:
            best, out = key, uid
    return out


def area_committee(s: Structure, host_id: str, kind: str, *, areas: Sequence[str] = AREA_KINDS) -> str | None:
    """The committee built on the township or street ``host_id`` lies in, if a unit of ``kind`` may sit under it."""
    area = int(ancestor_of_kind(s, [s.unit_code(host_id)], areas)[0])
    if area < 0:
        return None
    committee = top_org_on_host(s, str(s.units.ids[area]), kinds=COMMITTEE_KINDS)
    return committee if committee is not None and allows_parent(s, kind, committee) else None


def modal(values: Iterable[int]) -> int | None:
    """The most frequent value (smallest on ties); None for no values."""
    arr = np.asarray(list(values), dtype=np.int64)
    if not len(arr):
        return None
    vals, counts = np.unique(arr, return_counts=True)
    return int(vals[int(np.argmax(counts))])


def village_organisations(s: Structure, strategy: str, ids: Sequence[str]) -> list[tuple[str, str | None]]:
    """(organisation id, village host id or None) for each id given: a village or a village's organisation.

    A village stands for the highest organisation built on it; a village with none is an error.
    """
    out: list[tuple[str, str | None]] = []
    for uid in ids:
        require_unit(s, strategy, "villages", uid)
        kind = s.kind_of(uid)
        if kind == "party.village":
            org = top_org_on_host(s, uid)
            if org is None:
                raise UserError(f"strategy {strategy}: params.villages: village {uid!r} has no party organisation")
            out.append((org, uid))
        elif s.kinds[kind].role == "org" and kind != "party.functional_group" and not kind.startswith("core."):
            hosts = [h for h in s.built_on(uid) if s.kind_of(h) == "party.village"]
            out.append((uid, hosts[0] if hosts else None))
        else:
            raise UserError(
                f"strategy {strategy}: params.villages: {uid!r} is a {kind}, not a village or a village organisation"
            )
    return out


def members_by_unit(s: Structure, unit_codes: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The active members of several branches at once: member codes grouped by unit (ascending
    within each, as ``Structure.member_codes_of``) and where each unit's run starts (``len + 1``
    offsets), from one pass over the members instead of one lookup per unit.

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> codes, offsets = members_by_unit(s, s.unit_codes(["b2", "b1"]))
    >>> codes[offsets[0]:offsets[1]].tolist() == s.member_codes_of("b2").tolist(), offsets.tolist()[0]
    (True, 0)
    """
    unit_codes = np.asarray(unit_codes, dtype=np.int64)
    slot = np.full(s.n_units, -1, dtype=np.int64)
    slot[unit_codes] = np.arange(len(unit_codes))
    branch = s.members["branch"]
    at = np.where(branch >= 0, slot[np.maximum(branch, 0)], -1)
    at[~s.members["active"]] = -1
    rows = np.flatnonzero(at >= 0)
    order = np.argsort(at[rows], kind="stable")
    offsets = np.zeros(len(unit_codes) + 1, dtype=np.int64)
    np.cumsum(np.bincount(at[rows], minlength=len(unit_codes)), out=offsets[1:])
    return rows[order], offsets


def within_own(s: Structure, codes: np.ndarray, owner: np.ndarray, root_owner: np.ndarray,
               roots: np.ndarray) -> np.ndarray:
    """Per row: whether unit code ``codes[i]`` is, or lies below, one of the roots of its owner
    (the pairs ``root_owner[j], roots[j]``); ``NO_UNIT`` is False. What :func:`orgmodel.within`
    answers for one owner's rows, for many owners in one walk up the hierarchy.

    >>> from orgmodel.testing_data import tiny_structure
    >>> s = tiny_structure()
    >>> codes = s.unit_codes(["t1", "t2", "g1", "t1"])
    >>> within_own(s, codes, np.array([0, 0, 0, 1]), np.array([0, 1]), s.unit_codes(["area", "gb"])).tolist()
    [True, True, False, False]
    """
    n = np.int64(s.n_units) + 1
    keys = np.unique(np.asarray(root_owner, dtype=np.int64) * n + np.asarray(roots, dtype=np.int64))
    owner = np.asarray(owner, dtype=np.int64) * n
    current = np.asarray(codes, dtype=np.int64).copy()
    out = np.zeros(len(current), dtype=bool)
    parent = s.units.parent
    for _ in range(s.n_units + 1):
        live = current >= 0
        if not live.any() or not len(keys):
            break
        key = owner + current
        at = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
        hit = live & (keys[at] == key)
        out |= hit
        current = np.where(live & ~hit, parent[np.maximum(current, 0)], -1)
    return out
