"""Small read-only helpers over a Structure shared by the seed-003 / seed-001 strategies.

Everything here is deterministic (code order or sorted ids) and bulk where it touches members.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from orgmodel_party.metrics import BACKBONE_ROLES, COMMITTEE_ROLES

from orgmodel import NO_UNIT, Structure, UserError

#: Tags of units that coordinate or overlay others and are never a village's "own" organisation.
OVERLAY_TAGS = ("alliance", "industry")


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


def check_scope(s: Structure, strategy: str, scope: Sequence[str] | None) -> None:
    """Every scope id must name a live unit."""
    for uid in scope or ():
        require_unit(s, strategy, "scope", uid)


def in_scope(s: Structure, unit_id: str, scope: Sequence[str] | None) -> bool:
    """Whether a unit is one of the scope units or lies below one (org hierarchy or part_of)."""
    if not scope:
        return True
    wanted = set(scope)
    code = s.unit_code(unit_id)
    parent = s.units.parent
    seen = 0
    while code >= 0 and seen < s.n_units:
        if str(s.units.ids[code]) in wanted:
            return True
        code = int(parent[code])
        seen += 1
    return False


def host_in_scope(s: Structure, host_id: str, scope: Sequence[str] | None) -> bool:
    """A host is in scope when it (or a host it is part of) is a scope id, or an org scope unit is built on it."""
    if not scope:
        return True
    if in_scope(s, host_id, scope):
        return True
    hosts_of_scope: set[str] = set()
    for uid in scope:
        if s.kinds[s.kind_of(uid)].role == "org":
            hosts_of_scope.update(s.built_on(uid))
            for d in s.descendants(uid):
                hosts_of_scope.update(s.built_on(d))
    return any(in_scope(s, host_id, [h]) for h in sorted(hosts_of_scope))


def ancestor_of_kind(s: Structure, codes: np.ndarray, kinds: Sequence[str]) -> np.ndarray:
    """For each unit code (e.g. members' home hosts), the nearest ancestor-or-self of one of ``kinds``; -1 if none.

    Vectorised: one pass per level of the host forest.
    """
    wanted = np.zeros(len(s.kinds), dtype=bool)
    for k in kinds:
        wanted[s.kinds.code(k)] = True
    cur = np.asarray(codes, dtype=np.int64).copy()
    out = np.full(len(cur), NO_UNIT, dtype=np.int64)
    kind = s.units.kind
    parent = s.units.parent
    for _ in range(64):
        live = (cur >= 0) & (out < 0)
        if not live.any():
            break
        safe = np.where(live, cur, 0)
        hit = live & wanted[kind[safe]]
        out[hit] = cur[hit]
        cur = np.where(live & ~hit, parent[safe], NO_UNIT)
    return out


def under_host(s: Structure, codes: np.ndarray, root: int) -> np.ndarray:
    """Boolean mask: which unit codes are ``root`` or lie below it (part_of / belongs_to chain)."""
    cur = np.asarray(codes, dtype=np.int64).copy()
    out = np.zeros(len(cur), dtype=bool)
    parent = s.units.parent
    for _ in range(64):
        live = (cur >= 0) & ~out
        if not live.any():
            break
        out |= live & (cur == root)
        cur = np.where(live & ~out, parent[np.where(live, cur, 0)], NO_UNIT)
    return out


def host_descendants(s: Structure, host_id: str, kinds: Sequence[str] = ()) -> list[str]:
    """Live hosts below ``host_id`` (part_of), optionally of some kinds, in code order."""
    ids = s.descendants(host_id)
    if kinds:
        ids = [h for h in ids if s.kind_of(h) in kinds]
    return sorted(ids, key=s.unit_code)


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


def allows_parent(s: Structure, kind: str, parent_id: str | None) -> bool:
    """Whether a unit of ``kind`` may sit under ``parent_id`` (None: a root, always allowed)."""
    if parent_id is None:
        return True
    allowed = s.kinds[kind].allowed_parents
    return allowed is None or s.kind_of(parent_id) in allowed


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


def org_ancestors(s: Structure, unit_id: str) -> list[str]:
    """The unit and its organisation ancestors, nearest first."""
    out = []
    cur: str | None = unit_id
    while cur is not None:
        out.append(cur)
        cur = s.parent(cur)
    return out


def common_ancestor(s: Structure, units: Sequence[str]) -> str | None:
    """The nearest organisation unit that is an ancestor (or self) of every unit; None if they share none."""
    if not units:
        return None
    chains = [org_ancestors(s, u) for u in units]
    common = set(chains[0])
    for c in chains[1:]:
        common &= set(c)
    for uid in chains[0]:
        if uid in common:
            return uid
    return None


def first_allowed_ancestor(s: Structure, start: str | None, kind: str) -> str | None:
    """``start`` or its nearest ancestor under which a unit of ``kind`` may sit; None if none."""
    cur = start
    while cur is not None:
        if allows_parent(s, kind, cur):
            return cur
        cur = s.parent(cur)
    return None


def pack_greedy(weights: Sequence[float], cap: float) -> list[list[int]]:
    """Split items (in order) into consecutive chunks whose weight stays within ``cap``.

    An item heavier than ``cap`` gets a chunk of its own.

    >>> pack_greedy([10, 20, 30, 5, 60], 40)
    [[0, 1], [2, 3], [4]]
    """
    chunks: list[list[int]] = []
    cur: list[int] = []
    total = 0.0
    for i, w in enumerate(weights):
        if cur and total + w > cap:
            chunks.append(cur)
            cur, total = [], 0.0
        cur.append(i)
        total += w
    if cur:
        chunks.append(cur)
    return chunks


def pack_balanced(weights: Sequence[float], cap: float) -> list[list[int]]:
    """Split items (in order) into as few consecutive chunks within ``cap`` as possible, of similar weight.

    The number of chunks is ``ceil(total / cap)`` when the items allow it; the smallest per-chunk
    limit that reaches it is used, so the last chunk is not a small remainder.

    >>> pack_balanced([25, 15, 10, 2], 50)
    [[0], [1, 2, 3]]
    >>> pack_greedy([25, 15, 10, 2], 50)
    [[0, 1, 2], [3]]
    """
    import math

    total = float(sum(weights))
    if total <= cap:
        return [list(range(len(weights)))]
    k = math.ceil(total / cap)
    lo = max(math.ceil(total / k), math.ceil(max(weights)))
    for limit in range(int(lo), int(math.floor(cap)) + 1):
        chunks = pack_greedy(weights, limit)
        if len(chunks) <= k:
            return chunks
    return pack_greedy(weights, cap)


def merge_small(chunks: list[list[int]], full: Sequence[int], min_full: int) -> list[list[int]]:
    """Merge chunks with fewer than ``min_full`` full members (``full[i]`` per item) into a neighbour.

    Small chunks are gathered in order until they reach ``min_full``; a short remainder joins the
    chunk before it (or, if it is the only one, stays as it is).

    >>> merge_small([[0], [1], [2], [3]], [5, 1, 1, 4], 3)
    [[0], [1, 2, 3]]
    >>> merge_small([[0], [1]], [5, 1], 3)
    [[0, 1]]
    """
    def weight(chunk: list[int]) -> int:
        return sum(int(full[i]) for i in chunk)

    out: list[list[int]] = []
    pending: list[int] = []
    for chunk in chunks:
        if weight(chunk) >= min_full and not pending:
            out.append(list(chunk))
            continue
        pending.extend(chunk)
        if weight(pending) >= min_full:
            out.append(pending)
            pending = []
    if pending:
        if out:
            out[-1] = out[-1] + pending
        else:
            out.append(pending)
    return out


def modal(values: Iterable[int]) -> int | None:
    """The most frequent value (smallest on ties); None for no values."""
    arr = np.asarray(list(values), dtype=np.int64)
    if not len(arr):
        return None
    vals, counts = np.unique(arr, return_counts=True)
    return int(vals[int(np.argmax(counts))])


def join_names(names: Sequence[str], limit: int = 4) -> str:
    """Names joined with 、, shortened as "A、B、C等5个" past ``limit``."""
    names = list(names)
    if len(names) <= limit:
        return "、".join(names)
    return "、".join(names[:limit]) + f"等{len(names)}个"


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


# -- proposing a secretary / branch committee for a branch a plan creates -------------------------

# Roles that make a member a backbone member (besides the ``backbone`` column) come from the party
# pack; roles that count towards a branch committee from the rules (RULES committee.when).

_BASIS = {
    "backbone": ("骨干党员优先", "a backbone member, chosen first"),
    "senior": ("无骨干党员可选，取入党最早的正式党员", "no backbone member left: the full member who joined first"),
    "first": ("无骨干党员可选、入党日期不详，按党员编号顺序", "no backbone member left and no joining date: the first by member code"),
}

#: Reason templates of :func:`propose_branch_roles`; merge them into a strategy's ``templates``.
ROLE_TEMPLATES: dict[str, dict[str, str]] = {}
for _basis, (_zh, _en) in _BASIS.items():
    ROLE_TEMPLATES[f"role_secretary_{_basis}"] = {
        "zh": "{branch}有{full}名正式党员（不足7人），不设支部委员会，由党员{person}任书记（" + _zh + "）",
        "en": "{branch} has {full} full members (fewer than 7): no committee; member {person} is secretary (" + _en + ")",
    }
    ROLE_TEMPLATES[f"role_committee_secretary_{_basis}"] = {
        "zh": "{branch}有{full}名正式党员（7人以上），设支部委员会{size}人，由党员{person}任书记（" + _zh + "）",
        "en": "{branch} has {full} full members (7 or more): a committee of {size}; member {person} is secretary (" + _en + ")",
    }
    ROLE_TEMPLATES[f"role_committee_member_{_basis}"] = {
        "zh": "{branch}有{full}名正式党员（7人以上），设支部委员会{size}人，党员{person}任委员（" + _zh + "）",
        "en": "{branch} has {full} full members (7 or more): a committee of {size}; member {person} is a committee member (" + _en + ")",
    }
del _basis, _zh, _en


def backbone_mask(s: Structure) -> np.ndarray:
    """Per member code: the ``backbone`` column, or holding a backbone role (secretary, committee member, group leader) anywhere."""
    cols = s.members.columns
    out = np.asarray(cols["backbone"], dtype=bool).copy() if "backbone" in cols else np.zeros(s.n_members, dtype=bool)
    holders = sorted({r.person for r in s.roles if r.role in BACKBONE_ROLES})
    if holders:
        out |= np.isin(s.members.ids, np.asarray(holders, dtype=object))
    return out


def committee_size(n_full: int) -> int:
    """How many people a branch's committee should have: 0 below 7 full members, 3, or 5 from 25 (as team-branches)."""
    if n_full < 7:
        return 0
    return 5 if n_full >= 25 else 3


def propose_branch_roles(s: Structure, plan: Any, unit: str, branch_name: str, members: Iterable[int], *,
                         n_full: int | None = None, held: Sequence[tuple[str, str]] = (),
                         backbone: np.ndarray | None = None, since: str | None = None) -> list[str]:
    """Propose (``plan.set_role``) a secretary and, from 7 full members, a committee for a branch.

    ``unit`` is the branch id or the plan's ``new:KEY`` reference; ``members`` the member codes the
    plan puts into it (the only candidates; only full members are chosen). ``n_full`` is the
    branch's full members after the plan (default: the full members among ``members``). ``held``
    lists (person id, role) already held in the branch after the plan: a secretary there is kept
    (no new one), committee holders count towards the committee of 3 (5 from 25 full members).
    Candidates are ranked backbone first (``backbone``: default :func:`backbone_mask`), then the
    earliest ``joined`` date, then member code. Returns the person ids given a role.
    """
    codes = np.unique(np.asarray(list(members), dtype=np.int64))
    full = s.full_mask
    cand = codes[full[codes]] if len(codes) else codes
    n_full = len(cand) if n_full is None else int(n_full)
    if n_full < 1 or not len(cand):
        return []
    ids = s.members.ids
    held_people = {p for p, r in held if r in COMMITTEE_ROLES}
    has_secretary = any(r == "secretary" for _, r in held)
    size = committee_size(n_full)
    need = max(size - len(held_people), 0) if size else 0
    want_secretary = not has_secretary
    if want_secretary:
        need = max(need, 1)
    if need == 0:
        return []
    if held_people:
        cand = cand[~np.isin(ids[cand], np.asarray(sorted(held_people), dtype=object))]
    if not len(cand):
        return []
    bb = backbone_mask(s) if backbone is None else backbone
    joined = s.members.columns.get("joined")
    if joined is not None and np.issubdtype(np.asarray(joined).dtype, np.datetime64):
        j = np.asarray(joined, dtype="datetime64[D]")[cand]
        known = ~np.isnat(j)
        jkey = np.where(known, j.astype(np.int64), np.iinfo(np.int64).max)
    else:
        known = np.zeros(len(cand), dtype=bool)
        jkey = np.zeros(len(cand), dtype=np.int64)
    order = np.lexsort((cand, jkey, ~bb[cand]))[:need]
    out: list[str] = []
    for rank, i in enumerate(order.tolist()):
        m = int(cand[i])
        person = str(ids[m])
        basis = "backbone" if bb[m] else ("senior" if known[i] else "first")
        if rank == 0 and want_secretary:
            role = "secretary"
            code = f"role_committee_secretary_{basis}" if size else f"role_secretary_{basis}"
        else:
            role, code = "committee_member", f"role_committee_member_{basis}"
        params: dict[str, Any] = {"branch": branch_name, "full": int(n_full), "person": person}
        if size:
            params["size"] = size
        plan.set_role(unit, role=role, person=person, since=since, reason=(code, params))
        out.append(person)
    return out
