"""The unit table of one variant: every number a chart or a report shows about a unit, stored once.

A :class:`UnitTable` holds, per unit code, the unit's id, name, kind, parent, whether it is
dissolved, its member counts (direct and with everything below it, all and full members), its
participants, its host and alliance links and the reason of the operation that created,
dissolved or retyped it. Evaluation builds it from a structure (:func:`unit_table`); the results
folder stores it as ``units.json`` (:func:`unit_rows`) and reads it back (:func:`table_from_rows`),
so charts and reports draw stored numbers and never count members again.

>>> from orgmodel.testing_data import tiny_structure
>>> t = unit_table(tiny_structure())
>>> t.row("b1")["members"], t.row("gb")["members"], t.row("gb")["size"]
(4, 7, 0)
>>> table_from_rows(unit_rows(t), t.kinds).members.tolist() == t.members.tolist()
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

import numpy as np

from orgmodel.errors import UserError
from orgmodel.model.kinds import EXTERNAL, UNPLACED, DomainPack, KindTable
from orgmodel.model.structure import Structure

__all__ = ["UnitTable", "unit_table", "unit_rows", "unit_lines", "table_from_rows", "kind_table", "Reason", "Assignment",
           "assignment_of"]

#: A rendered reason: {"code": ..., "zh": ..., "en": ...}.
Reason = Mapping[str, str]

_EMPTY = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class UnitTable:
    """Columns over unit codes (code order; a variant's table extends its baseline's codes)."""

    kinds: KindTable
    ids: np.ndarray  # str
    name: np.ndarray  # str
    kind: np.ndarray  # kind code
    parent: np.ndarray  # parent code, -1 for a root
    dissolved: np.ndarray  # bool
    direct: np.ndarray  # members whose relation is in the unit (a group: its members)
    direct_full: np.ndarray  # the same, full members only
    members: np.ndarray  # members in the unit and everything below it
    full: np.ndarray  # the same, full members only
    participants: np.ndarray  # members taking part (teams, associations)
    tags: tuple[tuple[str, ...], ...]
    built_on: tuple[np.ndarray, np.ndarray] = (_EMPTY, _EMPTY)  # (unit code, host code)
    alliances: tuple[np.ndarray, np.ndarray] = (_EMPTY, _EMPTY)  # (unit code, ally code)
    reasons: tuple[Reason | None, ...] = ()  # why the unit was created, dissolved or retyped
    roles: tuple[tuple[tuple[str, str], ...], ...] = ()  # (role, person id) held in each unit

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_units(self) -> int:
        """Number of unit codes."""
        return len(self.ids)

    @property
    def live(self) -> np.ndarray:
        """Units not dissolved."""
        return ~self.dissolved

    @property
    def live_org(self) -> np.ndarray:
        """Live organisation units (not hosts)."""
        return ~self.dissolved & self.kinds.is_org[self.kind]

    @property
    def counted_branch(self) -> np.ndarray:
        """Live units holding relations, the reserved unplaced/external units excepted."""
        reserved = np.isin(self.kind, [self.kinds.code(UNPLACED), self.kinds.code(EXTERNAL)])
        return self.live & self.kinds.is_branch[self.kind] & ~reserved

    def code(self, unit_id: str) -> int:
        """The code of a unit id (KeyError when absent)."""
        return self._index[unit_id]

    def has(self, unit_id: str) -> bool:
        """Whether the table holds a unit id."""
        return unit_id in self._index

    @property
    def _index(self) -> dict[str, int]:
        cache = self.__dict__.get("_index_cache")
        if cache is None:
            cache = {str(u): i for i, u in enumerate(self.ids.tolist())}
            object.__setattr__(self, "_index_cache", cache)
        return cache

    def row(self, unit_id: str) -> dict[str, Any]:
        """One unit as a dict (the row of ``units.json``)."""
        return unit_rows(self, codes=[self.code(unit_id)])[0]

    def hosts_of(self, code: int) -> list[int]:
        """Host codes a unit is built on."""
        src, dst = self.built_on
        return dst[src == code].tolist()


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    a.flags.writeable = False
    return a


def unit_table(structure: Structure, reasons: Mapping[str, Reason] | None = None) -> UnitTable:
    """The unit table of a structure; ``reasons`` maps unit ids to the reason that changed them."""
    s = structure
    u = s.units
    b, a = s.built_on_edges, s.alliance_edges
    reasons = reasons or {}
    ids = np.asarray(u.ids, dtype=object)
    return UnitTable(
        kinds=s.kinds,
        ids=_frozen(ids.copy()),
        name=_frozen(np.asarray(u.name, dtype=object).copy()),
        kind=_frozen(np.asarray(u.kind, dtype=np.int64)),
        parent=_frozen(np.asarray(u.parent, dtype=np.int64)),
        dissolved=_frozen(np.asarray(u.dissolved, dtype=bool).copy()),
        direct=_frozen(np.asarray(s.sizes(), dtype=np.int64)),
        direct_full=_frozen(np.asarray(s.sizes(full_only=True), dtype=np.int64)),
        members=_frozen(np.asarray(s.sizes(subtree=True), dtype=np.int64)),
        full=_frozen(np.asarray(s.sizes(full_only=True, subtree=True), dtype=np.int64)),
        participants=_frozen(np.asarray(s.participation_counts(), dtype=np.int64)),
        tags=tuple(tuple(t) for t in u.tags),
        built_on=(_frozen(np.asarray(b.src, dtype=np.int64)), _frozen(np.asarray(b.dst, dtype=np.int64))),
        alliances=(_frozen(np.asarray(a.src, dtype=np.int64)), _frozen(np.asarray(a.dst, dtype=np.int64))),
        reasons=tuple(reasons.get(str(i)) for i in ids.tolist()),
        roles=_roles(s, len(ids)),
    )


def _roles(s: Structure, n_units: int) -> tuple[tuple[tuple[str, str], ...], ...]:
    """(role, person) pairs held in each unit code, sorted (from the structure's role columns)."""
    units, names, people = s.role_table
    held: dict[int, list[tuple[str, str]]] = {}
    for code, role, person in zip(units.tolist(), names.tolist(), people.tolist(), strict=True):
        if code >= 0:
            held.setdefault(code, []).append((role, person))
    out: list[tuple[tuple[str, str], ...]] = [()] * n_units
    for code, pairs in held.items():
        out[code] = tuple(sorted(pairs))
    return tuple(out)


def _linked(t: UnitTable, edges: tuple[np.ndarray, np.ndarray]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for x, y in zip(edges[0].tolist(), t.ids[edges[1]].tolist(), strict=True):
        out.setdefault(x, []).append(str(y))
    return out


def _row_columns(t: UnitTable, codes: Sequence[int] | None) -> tuple[list[int], zip]:  # type: ignore[type-arg]
    """The columns of ``units.json`` rows, as Python lists zipped row by row."""
    index = np.arange(len(t), dtype=np.int64) if codes is None else np.asarray(codes, dtype=np.int64)
    cs = index.tolist()
    kind_ids = [k.id for k in t.kinds]
    parent = t.parent[index]
    parents = np.where(parent >= 0, t.ids[np.maximum(parent, 0)], None).tolist() if len(t) else []
    n_reasons, n_roles = len(t.reasons), len(t.roles)
    columns = zip(
        t.ids[index].tolist(), t.name[index].tolist(), [kind_ids[k] for k in t.kind[index].tolist()], parents,
        t.dissolved[index].tolist(), [t.tags[c] for c in cs], t.direct[index].tolist(),
        t.direct_full[index].tolist(), t.members[index].tolist(), t.full[index].tolist(),
        t.participants[index].tolist(), [t.reasons[c] if c < n_reasons else None for c in cs],
        [t.roles[c] if c < n_roles else () for c in cs], strict=True)
    return cs, columns


def unit_rows(t: UnitTable, codes: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Rows of ``units.json`` (all codes, or those given)."""
    built, allied = _linked(t, t.built_on), _linked(t, t.alliances)
    cs, columns = _row_columns(t, codes)
    return [{
        "id": str(uid), "name": str(name), "kind": kind, "parent": None if parent is None else str(parent),
        "dissolved": bool(dissolved), "tags": list(tags), "built_on": built.get(c, []),
        "allied_with": allied.get(c, []), "size": size, "size_full": size_full, "members": members,
        "members_full": members_full, "participants": participants,
        "reason": dict(reason) if reason else None,
        "roles": [{"role": r, "person": p} for r, p in roles],
    } for c, (uid, name, kind, parent, dissolved, tags, size, size_full, members, members_full, participants,
              reason, roles) in zip(cs, columns, strict=True)]


def unit_lines(t: UnitTable) -> list[str]:
    """Each row of :func:`unit_rows` as the JSON text ``json.dumps(row, ensure_ascii=False)``
    gives, written from the columns (the text of ``units.json``, without a dict a row)."""
    built, allied = _linked(t, t.built_on), _linked(t, t.alliances)
    cs, columns = _row_columns(t, None)
    text, texts = _encode_text, _encode_texts
    lines = []
    for c, (uid, name, kind, parent, dissolved, tags, size, size_full, members, members_full, participants,
            reason, roles) in zip(cs, columns, strict=True):
        lines.append(
            f'{{"id": {text(str(uid))}, "name": {text(str(name))}, "kind": {text(kind)}, '
            f'"parent": {"null" if parent is None else text(str(parent))}, '
            f'"dissolved": {"true" if dissolved else "false"}, "tags": {texts(tags) if tags else "[]"}, '
            f'"built_on": {texts(built[c]) if c in built else "[]"}, '
            f'"allied_with": {texts(allied[c]) if c in allied else "[]"}, '
            f'"size": {int(size)}, "size_full": {int(size_full)}, "members": {int(members)}, '
            f'"members_full": {int(members_full)}, "participants": {int(participants)}, '
            f'"reason": {_encode_reason(reason) if reason else "null"}, '
            f'"roles": {_encode_roles(roles) if roles else "[]"}}}')
    return lines


def _encode_texts(values: Sequence[Any]) -> str:
    """A list of strings as ``json.dumps`` writes it (anything else through the encoder)."""
    if all(type(v) is str for v in values):
        return "[" + ", ".join(map(_encode_text, values)) + "]"
    return _ENCODER.encode(list(values))


def _encode_reason(reason: Reason) -> str:
    if tuple(reason) == _REASON_KEYS and all(type(v) is str for v in reason.values()):
        return f'{{"code": {_encode_text(reason["code"])}, "zh": {_encode_text(reason["zh"])}, "en": {_encode_text(reason["en"])}}}'
    return _ENCODER.encode(dict(reason))


def _encode_roles(roles: Sequence[tuple[str, str]]) -> str:
    if all(type(r) is str and type(p) is str for r, p in roles):
        return "[" + ", ".join(f'{{"role": {_encode_text(r)}, "person": {_encode_text(p)}}}' for r, p in roles) + "]"
    return _ENCODER.encode([{"role": r, "person": p} for r, p in roles])


_REASON_KEYS = ("code", "zh", "en")
#: the encoder of ``json.dumps(..., ensure_ascii=False)``, made once
_ENCODER = json.JSONEncoder(ensure_ascii=False)
_encode_text = encode_basestring


def table_from_rows(rows: Sequence[Mapping[str, Any]], kinds: KindTable, *, where: str = "units.json") -> UnitTable:
    """The unit table stored as ``units.json`` rows; a row missing a field is a UserError."""
    try:
        ids = np.array([r["id"] for r in rows], dtype=object)
        index = {u: i for i, u in enumerate(ids.tolist())}

        def codes(key: str) -> tuple[np.ndarray, np.ndarray]:
            pairs = [(i, index[h]) for i, r in enumerate(rows) for h in r.get(key, ())]
            if not pairs:
                return _EMPTY, _EMPTY
            arr = np.array(pairs, dtype=np.int64)
            return _frozen(arr[:, 0].copy()), _frozen(arr[:, 1].copy())

        def col(key: str) -> np.ndarray:
            return _frozen(np.fromiter((int(r[key]) for r in rows), dtype=np.int64, count=len(rows)))

        return UnitTable(
            kinds=kinds,
            ids=_frozen(ids),
            name=_frozen(np.array([r["name"] for r in rows], dtype=object)),
            kind=_frozen(np.array([kinds.code(r["kind"]) for r in rows], dtype=np.int64)),
            parent=_frozen(np.array([index[r["parent"]] if r["parent"] is not None else -1 for r in rows],
                                    dtype=np.int64)),
            dissolved=_frozen(np.array([bool(r["dissolved"]) for r in rows], dtype=bool)),
            direct=col("size"),
            direct_full=col("size_full"),
            members=col("members"),
            full=col("members_full"),
            participants=col("participants"),
            tags=tuple(tuple(r.get("tags", ())) for r in rows),
            built_on=codes("built_on"),
            alliances=codes("allied_with"),
            reasons=tuple(r.get("reason") for r in rows),
            roles=tuple(tuple((str(x["role"]), str(x["person"])) for x in r.get("roles", ())) for r in rows),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{where}: a unit row is incomplete or wrong ({type(exc).__name__}: {exc}); "
                        "write the results again with orgmodel run") from None


def kind_table(pack: Mapping[str, Any], *, where: str = "run.json") -> KindTable:
    """The kinds of a stored domain pack (``run.json``'s ``domain_pack``)."""
    try:
        return KindTable(DomainPack.model_validate(pack))
    except ValueError as exc:
        first = str(exc).splitlines()[0]
        raise UserError(f"{where}: domain_pack is not a valid domain pack ({first})") from None


@dataclass(frozen=True)
class Assignment:
    """Every active member's branch and group, and why the variant moved them (if it did).

    ``reason_op`` numbers what moved a member within the variant's plans (a dissolve or a batch
    of the moves table, see :func:`orgmodel.run.changes.member_reasons`; -1 when the variant did
    not move them, or nothing says why, in which case ``reason_code`` is ``"unexplained"``). No
    names: members by id only.
    """

    member: np.ndarray  # str
    branch: np.ndarray  # str
    group: np.ndarray  # str or None
    status: np.ndarray  # str: the member's status (full, probationary, ...)
    reason_op: np.ndarray  # int64
    reason_code: np.ndarray  # str or None
    reason_zh: np.ndarray  # str or None
    reason_en: np.ndarray  # str or None

    def __len__(self) -> int:
        return len(self.member)


def assignment_of(structure: Structure, reasons: tuple[np.ndarray, ...] | None = None) -> Assignment:
    """The assignment of a structure's active members; ``reasons`` are per-member-row columns
    (op, code, zh, en) as :func:`orgmodel.run.changes.member_reasons` gives them."""
    m = structure.members
    active = np.asarray(m["active"], dtype=bool)
    ids = structure.units.ids
    group = np.asarray(m["group"], dtype=np.int64)[active]
    n = int(active.sum())
    if reasons is None:
        none = np.full(n, None, dtype=object)
        op, code, zh, en = np.full(n, -1, dtype=np.int64), none, none, none
    else:
        op, code, zh, en = (np.asarray(r)[active] for r in reasons)
    groups = np.full(n, None, dtype=object)
    has = group >= 0
    groups[has] = np.asarray(ids, dtype=object)[group[has]]
    return Assignment(
        member=_frozen(np.asarray(m.ids, dtype=object)[active]),
        branch=_frozen(np.asarray(ids, dtype=object)[np.asarray(m["branch"], dtype=np.int64)[active]]),
        group=_frozen(groups),
        status=_frozen(np.asarray(structure.kinds.pack.statuses, dtype=object)[np.asarray(m["status"], dtype=np.int64)[active]]),
        reason_op=_frozen(np.asarray(op, dtype=np.int64)),
        reason_code=_frozen(np.asarray(code, dtype=object)),
        reason_zh=_frozen(np.asarray(zh, dtype=object)),
        reason_en=_frozen(np.asarray(en, dtype=object)),
    )
