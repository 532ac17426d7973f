"""Offices of a party branch: the role vocabularies, committee size, and proposing office holders.

A branch with 7 or more full members shall have a committee (支部委员会) of 3 to 5; a smaller one a
secretary (中国共产党支部工作条例（试行）第六章; the rules ``committee.when`` and
``secretary.when`` of this pack). When the threshold and the committee size are needed they are
read from the rules in force (:meth:`CommitteeRule.from_rules`), never written again. Only full
members are proposed: probationary members have no right to be elected (中国共产党章程 第七条).

>>> from orgmodel.testing import contract_baselines
>>> s = contract_baselines("party", only=("tiny",))["tiny"]
>>> rule = CommitteeRule(from_full=7, size=3)
>>> committee_size(6, rule), committee_size(7, rule), committee_size(25, rule)
(0, 3, 5)
>>> int(backbone_mask(s).sum())  # role holders and members marked backbone
2
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from orgmodel import RuleBook, Structure, UserError, role_holder_mask, role_member_codes, roles_by_unit

__all__ = [
    "COMMITTEE_ROLES",
    "BACKBONE_ROLES",
    "CommitteeRule",
    "committee_size",
    "backbone_mask",
    "propose_branch_roles",
    "rank_for_office",
    "office_rank",
    "ROLE_TEMPLATES",
]

#: Roles that make a person one of a branch committee (counted by the rule ``committee.when``).
COMMITTEE_ROLES = ("secretary", "deputy_secretary", "committee_member")

#: Roles that make a member a backbone member (besides the ``backbone`` member column).
BACKBONE_ROLES = (*COMMITTEE_ROLES, "group_leader")


@dataclass(frozen=True)
class CommitteeRule:
    """When a branch gets a committee and of how many.

    ``from_full`` and ``size`` come from the rule ``committee.when`` (its condition on full members
    and its minimum); a committee of ``large_size`` from ``large_from_full`` full members is this
    pack's choice within the 3–5 the rule allows.
    """

    from_full: int
    size: int
    large_from_full: int = 25
    large_size: int = 5

    @classmethod
    def from_rules(cls, rules: RuleBook, *, strategy: str, param: str = "propose_roles") -> CommitteeRule:
        """The committee rule in force; a one-line UserError naming ``param`` when ``committee.when`` is not.

        >>> CommitteeRule.from_rules(RuleBook(), strategy="demo")
        Traceback (most recent call last):
        ...
        orgmodel.errors.UserError: strategy demo: params.propose_roles: needs the rule committee.when (a committee from how many full members), which is not in force; enable it or set propose_roles to false
        """
        from_full = rules.condition("committee.when", "full")
        size = rules.limit("committee.when", "min")
        if from_full is None or size is None:
            raise UserError(
                f"strategy {strategy}: params.{param}: needs the rule committee.when (a committee from how many"
                f" full members), which is not in force; enable it or set {param} to false"
            )
        return cls(from_full=int(from_full), size=int(size))


def committee_size(n_full: int, rule: CommitteeRule) -> int:
    """How many people a branch's committee should have: 0 below ``rule.from_full`` full members."""
    if n_full < rule.from_full:
        return 0
    return rule.large_size if n_full >= rule.large_from_full else rule.size


def backbone_mask(s: Structure) -> np.ndarray:
    """Per member code: the ``backbone`` column, or holding a backbone role anywhere (in one bulk pass)."""
    cols = s.members.columns
    out = role_holder_mask(s, BACKBONE_ROLES)
    if "backbone" in cols:
        out |= np.asarray(cols["backbone"], dtype=bool)
    return out


# -- proposing a secretary / branch committee for a branch a plan creates -------------------------

_BASIS = {
    "backbone": ("骨干党员优先", "a backbone member, chosen first"),
    "senior": ("无骨干党员可选，取入党最早的正式党员", "no backbone member left: the full member who joined first"),
    "first": ("无骨干党员可选、入党日期不详，按党员编号顺序", "no backbone member left and no joining date: the first by member code"),
    "able": ("无骨干党员可选，取能正常参加活动、党龄最长的正式党员", "no backbone member available: the able full member with the longest standing"),
}

#: Reason templates of :func:`propose_branch_roles`; merge them into a strategy's ``templates``.
ROLE_TEMPLATES: dict[str, dict[str, str]] = {}
for _basis, (_zh, _en) in _BASIS.items():
    ROLE_TEMPLATES[f"role_secretary_{_basis}"] = {
        "zh": "{branch}有{full}名正式党员（不足{committee_from}人），不设支部委员会，由党员{person}任书记（" + _zh + "）",
        "en": "{branch} has {full} full members (fewer than {committee_from}): no committee; member {person} is"
              " secretary (" + _en + ")",
    }
    ROLE_TEMPLATES[f"role_committee_secretary_{_basis}"] = {
        "zh": "{branch}有{full}名正式党员（{committee_from}人以上），设支部委员会{size}人，由党员{person}任书记（" + _zh + "）",
        "en": "{branch} has {full} full members ({committee_from} or more): a committee of {size}; member {person} is"
              " secretary (" + _en + ")",
    }
    ROLE_TEMPLATES[f"role_committee_member_{_basis}"] = {
        "zh": "{branch}有{full}名正式党员（{committee_from}人以上），设支部委员会{size}人，党员{person}任委员（" + _zh + "）",
        "en": "{branch} has {full} full members ({committee_from} or more): a committee of {size}; member {person} is"
              " a committee member (" + _en + ")",
    }
del _basis, _zh, _en


#: Older than this (in days at the scenario's date) is not proposed first for an office.
_OLD_DAYS = 75 * 365


def rank_for_office(s: Structure, members: Iterable[int], *, as_of: dt.date | None = None, busy_in: str | None = None,
                    backbone: np.ndarray | None = None) -> np.ndarray:
    """Member codes in the order they are proposed for an office, in one sort: able to take part
    (not ``mobility_limited``, not ``mobile``) first, then backbone members, then those 75 or younger
    at ``as_of``, then those holding no role yet in ``busy_in``, then the earliest ``joined``, then code.

    >>> from orgmodel.testing import contract_baselines
    >>> s = contract_baselines("party", only=("tiny",))["tiny"]
    >>> order = rank_for_office(s, range(s.n_members))
    >>> sorted(order.tolist()) == list(range(s.n_members)), bool(backbone_mask(s)[order[0]])
    (True, True)
    """
    codes = np.unique(np.asarray(list(members), dtype=np.int64))
    busy = np.zeros(len(codes), dtype=bool)
    if busy_in is not None and s.has_unit(busy_in):
        holders = role_member_codes(s)[roles_by_unit(s, [s.unit_code(busy_in)])[0]]
        busy = np.isin(codes, holders[holders >= 0])
    return codes[np.lexsort(_rank_keys(s, codes, busy, as_of=as_of, backbone=backbone))]


def office_rank(s: Structure, *, as_of: dt.date | None = None, backbone: np.ndarray | None = None) -> np.ndarray:
    """Per member code, its place in the order of :func:`rank_for_office` over every member, "busy"
    meaning holding a role in one's own branch; computed in one sort, so that ranking many
    branches' members is a cheap sort of these places each: for members of branch ``b``,
    ``codes[np.argsort(office_rank(s)[codes])]`` is ``rank_for_office(s, codes, busy_in=b)``.

    >>> from orgmodel.testing import contract_baselines
    >>> s = contract_baselines("party", only=("tiny",))["tiny"]
    >>> b = s.unit_ids("party.branch")[0]
    >>> codes = s.member_codes_of(b)
    >>> place = office_rank(s)
    >>> codes[np.argsort(place[codes])].tolist() == rank_for_office(s, codes, busy_in=b).tolist()
    True
    """
    codes = np.arange(s.n_members, dtype=np.int64)
    busy = np.zeros(s.n_members, dtype=bool)
    units, _, _ = s.role_table
    holders = role_member_codes(s)
    known = holders >= 0
    own = units[known] == s.members["branch"][holders[known]]
    busy[holders[known][own]] = True
    order = np.lexsort(_rank_keys(s, codes, busy, as_of=as_of, backbone=backbone))
    place = np.empty(s.n_members, dtype=np.int64)
    place[order] = codes
    return place


def _rank_keys(s: Structure, codes: np.ndarray, busy: np.ndarray, *, as_of: dt.date | None,
               backbone: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """The sort keys of :func:`rank_for_office` for ``codes`` (last key first, as ``np.lexsort`` takes them)."""
    cols = s.members.columns
    n = len(codes)

    def flag(name: str) -> np.ndarray:
        return np.asarray(cols[name], dtype=bool)[codes] if name in cols else np.zeros(n, dtype=bool)

    unable = flag("mobility_limited") | flag("mobile")
    bb = (backbone_mask(s) if backbone is None else backbone)[codes]
    old = np.zeros(n, dtype=bool)
    birth = cols.get("birth_date")
    if birth is not None and isinstance(as_of, dt.date) and np.issubdtype(np.asarray(birth).dtype, np.datetime64):
        born = np.asarray(birth, dtype="datetime64[D]")[codes]
        known = ~np.isnat(born)
        old[known] = (np.datetime64(as_of, "D") - born[known]).astype(np.int64) > _OLD_DAYS
    joined = cols.get("joined")
    if joined is not None and np.issubdtype(np.asarray(joined).dtype, np.datetime64):
        j = np.asarray(joined, dtype="datetime64[D]")[codes]
        jkey = np.where(np.isnat(j), np.iinfo(np.int64).max, j.astype(np.int64))
    else:
        jkey = np.zeros(n, dtype=np.int64)
    return (codes, jkey, busy, old, ~bb, unable)


def propose_branch_roles(s: Structure, plan: Any, unit: str, branch_name: str, members: Iterable[int], *,
                         committee: CommitteeRule, n_full: int | None = None,
                         held: Sequence[tuple[str, str]] = (), backbone: np.ndarray | None = None,
                         since: str | None = None, order: Sequence[int] | np.ndarray | None = None) -> list[str]:
    """Propose (``plan.set_role``) a secretary and, from ``committee.from_full`` full members, a committee.

    ``unit`` is the branch id or the plan's ``new:KEY`` reference; ``members`` the member codes the
    plan puts into it (the only candidates; only full members are chosen). ``n_full`` is the
    branch's full members after the plan (default: the full members among ``members``). ``held``
    lists (person id, role) already held in the branch after the plan: a secretary there is kept
    (no new one), committee holders count towards the committee. Candidates are ranked backbone
    first (``backbone``: default :func:`backbone_mask`), then the earliest ``joined`` date, then
    member code; or, with ``order`` (e.g. from :func:`rank_for_office`), in that order (``members``
    may be ``order`` itself, the ranking of exactly the members given). Returns the
    person ids given a role; the reasons use :data:`ROLE_TEMPLATES`.
    """
    cand = _full_candidates(s, members, order)
    n_full = len(cand) if n_full is None else int(n_full)
    if n_full < 1 or not len(cand):
        return []
    held_people = {p for p, r in held if r in COMMITTEE_ROLES} if held else set()
    want_secretary = not held or all(r != "secretary" for _, r in held)
    size = committee_size(n_full, committee)
    need = max(size - len(held_people), 0)
    if want_secretary:
        need = max(need, 1)
    if need == 0:
        return []
    ids = s.members.ids
    if held_people:
        cand = cand[np.fromiter((p not in held_people for p in ids[cand].tolist()), dtype=bool, count=len(cand))]
        if not len(cand):
            return []
    bb = backbone_mask(s) if backbone is None else backbone
    if order is not None:  # the caller's ranking: the first ``need`` candidates
        picked = cand[:need]
        bases = ["backbone" if is_bb else "able" for is_bb in bb[picked].tolist()]
    else:
        picked, dated = _backbone_then_senior(s, cand, bb, need)
        bases = ["backbone" if is_bb else "senior" if knew else "first"
                 for is_bb, knew in zip(bb[picked].tolist(), dated, strict=True)]
    out: list[str] = []
    common: dict[str, Any] = {"branch": branch_name, "full": n_full}
    for rank, (person, basis) in enumerate(zip(ids[picked].tolist(), bases, strict=True)):
        person = str(person)
        if rank == 0 and want_secretary:
            role = "secretary"
            code = f"role_committee_secretary_{basis}" if size else f"role_secretary_{basis}"
        else:
            role, code = "committee_member", f"role_committee_member_{basis}"
        params = {**common, "person": person, "committee_from": committee.from_full}
        if size:
            params["size"] = size
        plan.set_role(unit, role=role, person=person, since=since, reason=(code, params))
        out.append(person)
    return out


def _full_candidates(s: Structure, members: Iterable[int], order: Sequence[int] | np.ndarray | None) -> np.ndarray:
    """The full members among ``members`` (distinct): in the caller's ``order`` if given, else ascending."""
    if order is not None and members is order:  # the caller's ranking of exactly these members
        codes = np.asarray(order, dtype=np.int64)
    else:
        codes = _distinct(np.asarray(members if isinstance(members, np.ndarray) else list(members), dtype=np.int64))
        if order is not None:  # the caller's ranking, restricted to the members given
            ranked = np.asarray(order, dtype=np.int64)
            codes = ranked[np.isin(ranked, codes)]
    return codes[s.full_mask[codes]] if len(codes) else codes


def _distinct(codes: np.ndarray) -> np.ndarray:
    """``np.unique(codes)`` for the small sets of one branch, by one sort (numpy's hash-based unique costs more)."""
    codes = np.sort(codes)
    if len(codes) > 1 and (codes[1:] == codes[:-1]).any():
        codes = codes[np.concatenate(([True], codes[1:] != codes[:-1]))]
    return codes


#: The sort key of a member whose joining date is unknown: after every known date.
_NO_DATE = np.iinfo(np.int64).max


def _backbone_then_senior(s: Structure, cand: np.ndarray, bb: np.ndarray, need: int) -> tuple[np.ndarray, list[bool]]:
    """The first ``need`` of ``cand`` by (backbone first, earliest ``joined``, code), and whether each has a
    known joining date."""
    joined = s.members.columns.get("joined")
    if joined is None or np.asarray(joined).dtype.kind != "M":
        picked = cand[np.lexsort((cand, ~bb[cand]))[:need]]
        return picked, [False] * len(picked)
    j = np.asarray(joined, dtype="datetime64[D]")[cand]
    known = ~np.isnat(j)
    chosen = np.lexsort((cand, np.where(known, j.view(np.int64), _NO_DATE), ~bb[cand]))[:need]
    return cand[chosen], known[chosen].tolist()
