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

from orgmodel import Role, Structure, UserError, allowed_parent_mask, allows_parent, ancestor_of_kind, roles_by_unit

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


def unit_values(s: Structure, codes: Sequence[int] | np.ndarray, key: str) -> list[Any]:
    """:func:`unit_value` of many unit codes at once: the attribute read from its column, the
    ``key:`` tag looked for once per distinct tag tuple rather than in every unit's tags.

    >>> from orgmodel import KindTable
    >>> from orgmodel_party.kinds import PARTY_PACK
    >>> from orgmodel_seed_strategies.examples import agency
    >>> s = agency(KindTable(PARTY_PACK))
    >>> unit_values(s, range(s.n_units), "function") == [unit_value(s, u, "function") for u in s.units.ids.tolist()]
    True
    """
    column = s.unit_attribute(key)
    tag_code, distinct = s.tag_codes
    prefix = key + ":"
    from_tags = [next((t[len(prefix):] for t in tags if t.startswith(prefix)), None) for tags in distinct]
    return [column[c] if c in column else from_tags[tag_code[c]] for c in np.asarray(codes).tolist()]


def tagged(s: Structure, tags: Sequence[str]) -> np.ndarray:
    """Per unit code: whether the unit carries one of ``tags`` (each distinct tag tuple looked at once).

    >>> from orgmodel import KindTable
    >>> from orgmodel_party.kinds import PARTY_PACK
    >>> from orgmodel_seed_strategies.examples import firms
    >>> s = firms(KindTable(PARTY_PACK))
    >>> s.units.ids[tagged(s, ["trade:餐饮", "none such"])].tolist()
    ['F4', 'F5']
    """
    tag_code, distinct = s.tag_codes
    wanted = set(tags)
    has = np.fromiter((not wanted.isdisjoint(t) for t in distinct), dtype=bool, count=len(distinct))
    return has[tag_code]


def top_orgs_on(s: Structure, host_codes: Sequence[int] | np.ndarray, *, exclude_tags: Sequence[str] = OVERLAY_TAGS,
                kinds: Sequence[str] | None = None) -> np.ndarray:
    """:func:`top_org_on_host` of many host codes at once, as unit codes (-1 where none): one sort
    of the built-on edges by host, depth and code instead of a look at each host's units.

    >>> from orgmodel import KindTable
    >>> from orgmodel_party.kinds import PARTY_PACK
    >>> from orgmodel_seed_strategies.examples import firms
    >>> s = firms(KindTable(PARTY_PACK))
    >>> hosts = s.unit_ids(role="host")
    >>> found = [None if c < 0 else str(s.units.ids[c]) for c in top_orgs_on(s, s.unit_codes(hosts))]
    >>> found == [top_org_on_host(s, h) for h in hosts], found[:2]
    (True, ['SW', None])
    """
    own_kind = np.array([k.role == "org" and k.id != "party.functional_group" and not k.id.startswith("core.")
                         and (kinds is None or k.id in kinds) for k in s.kinds], dtype=bool)
    eligible = own_kind[s.units.kind] & ~s.units.dissolved & ~tagged(s, exclude_tags)
    edges = s.built_on_edges
    src, dst = np.asarray(edges.src, dtype=np.int64), np.asarray(edges.dst, dtype=np.int64)
    keep = eligible[src]
    src, dst = src[keep], dst[keep]
    order = np.lexsort((src, s.depth[src], dst))  # by host, then the highest unit (lowest depth, then code)
    src, dst = src[order], dst[order]
    first = np.ones(len(dst), dtype=bool)
    first[1:] = dst[1:] != dst[:-1]
    best = np.full(s.n_units, -1, dtype=np.int64)
    best[dst[first]] = src[first]
    return best[np.asarray(host_codes, dtype=np.int64)]


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


def area_committees(s: Structure, host_codes: Sequence[int] | np.ndarray, kind: str, *,
                    areas: Sequence[str] = AREA_KINDS) -> np.ndarray:
    """:func:`area_committee` of many host codes at once, as unit codes (-1 where none): one walk up
    to the areas and one look at the committees built on them.

    >>> from orgmodel import KindTable
    >>> from orgmodel_party.kinds import PARTY_PACK
    >>> from orgmodel_seed_strategies.examples import firms
    >>> s = firms(KindTable(PARTY_PACK))
    >>> s.units.ids[area_committees(s, s.unit_codes(["F1", "CH"]), "party.branch")].tolist(), area_committee(s, "F1", "party.branch")
    (['SW', 'SW'], 'SW')
    """
    area = ancestor_of_kind(s, host_codes, areas)
    committee = np.full(len(area), -1, dtype=np.int64)
    committee[area >= 0] = top_orgs_on(s, area[area >= 0], kinds=COMMITTEE_KINDS)
    ok = committee >= 0
    ok[ok] = allowed_parent_mask(s, kind)[committee[ok]]
    return np.where(ok, committee, -1)


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
