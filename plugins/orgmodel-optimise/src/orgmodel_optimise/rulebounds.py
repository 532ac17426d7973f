"""Which rules of the rule book the optimiser imposes, read from the rule records themselves.

A rule is imposed as a linear constraint on a branch when its quantity is ``members``, ``full``
or ``hosts`` (DESIGN decision 9: sizes are sums of assignment variables, hosts are fixed per
branch), it carries no ``when`` condition, it is marked optimisable and its severity is one of the
hard severities. Office rules (quantities ``role_holders``, ``full_role_holders`` and
``role_holders_not_full`` over committee roles, conditioned on full members at most) are kept by
proposing office holders from full members with the party pack's offices API; :func:`split_office_rules`
tells which of them those proposals keep. Every other active rule is listed as not optimised,
never silently dropped.

>>> from orgmodel import Rule, RuleBook, RulePack, Subject
>>> pack = RulePack(name="demo", domain="toy", rules=[
...     Rule(id="min", title_zh="", title_en="", severity="error", subject=Subject(kinds=["toy.branch"]),
...          quantity="full", min=3, source="s"),
...     Rule(id="max", title_zh="", title_en="", severity="warning", subject=Subject(kinds=["toy.branch"]),
...          quantity="members", max=50, max_inclusive=False, source="s"),
...     Rule(id="sec", title_zh="", title_en="", severity="error",
...          subject=Subject(kinds=["toy.branch"], when={"full": 1}), quantity="role_holders",
...          roles=["secretary"], min=1, source="s")])
>>> bounds, offices, skipped = read_rules(RuleBook([pack]), ("error", "warning"))
>>> [(b.rule.id, b.quantity, b.lo, b.hi) for b in bounds], [r.id for r in offices], skipped
([('min', 'full', 3, None), ('max', 'members', None, 49)], ['sec'], [])
>>> subject_applies(pack.rules[0].subject, "toy.branch", (), (), 1)
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from orgmodel_party import COMMITTEE_ROLES, CommitteeRule

from orgmodel import Rule, RuleBook, Subject

__all__ = ["Bound", "read_rules", "split_office_rules", "joint_units_cap", "subject_applies", "LINEAR", "OFFICE_QUANTITIES"]

LINEAR = ("members", "full", "hosts")
OFFICE_QUANTITIES = ("role_holders", "full_role_holders", "role_holders_not_full")


@dataclass(frozen=True)
class Bound:
    """A rule as integer bounds on one per-branch quantity (``lo ≤ quantity ≤ hi``)."""

    rule: Rule
    quantity: str
    lo: int | None
    hi: int | None


def _int_bounds(rule: Rule) -> tuple[int | None, int | None]:
    lo = hi = None
    if rule.min is not None:
        lo = math.ceil(rule.min) if rule.min_inclusive else math.floor(rule.min) + 1
    if rule.max is not None:
        hi = math.floor(rule.max) if rule.max_inclusive else math.ceil(rule.max) - 1
    return lo, hi


def _is_office_rule(rule: Rule) -> bool:
    """A rule on how many hold committee offices in a branch, conditioned on its full members at most."""
    return (rule.quantity in OFFICE_QUANTITIES and bool(rule.roles) and set(rule.roles) <= set(COMMITTEE_ROLES)
            and set(rule.subject.when) <= {"full"})


def read_rules(book: RuleBook, hard: Sequence[str]) -> tuple[list[Bound], list[Rule], list[Rule]]:
    """The rule book split into imposed bounds, office rules, and rules the optimiser does not impose."""
    bounds: list[Bound] = []
    offices: list[Rule] = []
    skipped: list[Rule] = []
    for rule in book:
        if _is_office_rule(rule):
            offices.append(rule)
        elif rule.quantity in LINEAR and not rule.subject.when and rule.optimisable and rule.severity in hard:
            lo, hi = _int_bounds(rule)
            bounds.append(Bound(rule, rule.quantity, lo, hi))
        else:
            skipped.append(rule)
    return bounds, offices, skipped


def split_office_rules(rules: Iterable[Rule], committee: CommitteeRule | None,
                       branch_kinds: Iterable[str]) -> tuple[list[Rule], list[Rule]]:
    """Office rules the proposals keep, and the others.

    Proposals (``orgmodel_party.propose_branch_roles`` with ``committee``) give every branch with
    full members a secretary, and from ``committee.from_full`` full members a committee of
    ``committee.size`` (``large_size`` from ``large_from_full``), only ever from full members. So
    they keep: no probationary office holder; at least 1 holder when the secretary counts; at least
    ``committee.size`` committee members from ``committee.from_full`` full members or more; at most
    a number no smaller than ``large_size`` (they never grow a committee past it). Rules on other kinds than ``branch_kinds`` are not kept. With
    ``committee`` None (no proposals) none is kept.

    >>> from orgmodel import Rule, Subject
    >>> rule = Rule(id="c", title_zh="", title_en="", severity="error", source="s", quantity="full_role_holders",
    ...             roles=["secretary", "deputy_secretary", "committee_member"], min=3,
    ...             subject=Subject(kinds=["toy.branch"], when={"full": 9}))
    >>> [[r.id for r in part] for part in split_office_rules([rule], CommitteeRule(from_full=7, size=3), ["toy.branch"])]
    [['c'], []]
    >>> [[r.id for r in part] for part in split_office_rules([rule], CommitteeRule(from_full=10, size=3), ["toy.branch"])]
    [[], ['c']]
    """
    kinds = set(branch_kinds)
    kept: list[Rule] = []
    other: list[Rule] = []
    for rule in rules:
        full_from = float(rule.subject.when.get("full", 0))
        ok = committee is not None and (not rule.subject.kinds or bool(kinds & set(rule.subject.kinds)))
        if ok and rule.quantity == "role_holders_not_full":
            ok = rule.max is not None and rule.max >= 0 and rule.min is None
        elif ok:
            if rule.min is not None:
                a_secretary = "secretary" in rule.roles and rule.min <= 1 and full_from >= 1
                a_committee = (set(rule.roles) == set(COMMITTEE_ROLES) and full_from >= committee.from_full
                               and rule.min <= committee.size)
                ok = a_secretary or a_committee
            if ok and rule.max is not None:
                ok = rule.max >= max(committee.size, committee.large_size)
        (kept if ok else other).append(rule)
    return kept, other


def joint_units_cap(rules: Iterable[Rule], hard: Sequence[str]) -> int | None:
    """The fewest units a hard rule on ``units_covered`` allows a branch (``None``: no such rule).

    Joint candidates are offered over at most this many hosts; the rule itself also counts the
    units members live or work in, so it is not imposed and stays listed as not optimised.

    >>> from orgmodel import Rule, Subject
    >>> rule = Rule(id="j", title_zh="", title_en="", severity="warning", source="s", quantity="units_covered",
    ...             unit_kinds=["toy.firm"], max=5, subject=Subject(when={"units_covered": 2}))
    >>> joint_units_cap([rule], ("error", "warning")), joint_units_cap([rule], ("error",))
    (5, None)
    """
    caps = [math.floor(r.max) for r in rules if r.quantity == "units_covered" and r.max is not None and r.severity in hard]
    return min(caps) if caps else None


def subject_applies(subject: Subject, kind: str, tags: Iterable[str], host_kinds: Iterable[str], n_hosts: int) -> bool:
    """Whether a rule's subject (its ``when`` left aside) names a branch of this kind, tags and hosts."""
    tags, host_kinds = set(tags), set(host_kinds)
    if subject.kinds and kind not in subject.kinds:
        return False
    if subject.tags_any and not tags & set(subject.tags_any):
        return False
    if subject.tags_none and tags & set(subject.tags_none):
        return False
    if subject.joint is not None and (n_hosts > 1) != subject.joint:
        return False
    if subject.host_kinds and not host_kinds & set(subject.host_kinds):
        return False
    return not (subject.host_kinds_none and host_kinds & set(subject.host_kinds_none))
