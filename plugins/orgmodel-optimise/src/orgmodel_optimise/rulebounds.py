"""Which rules of the rule book the optimiser imposes, read from the rule records themselves.

A rule is imposed as a linear constraint on a branch when its quantity is ``members``, ``full``
or ``hosts`` (DESIGN decision 9: sizes are sums of assignment variables, hosts are fixed per
branch), it carries no ``when`` condition, it is marked optimisable and its severity is one of the
hard severities. Role rules (quantity ``secretaries`` or ``committee``) are met by proposing
office holders from full members. Every other active rule is listed as not optimised, never
silently dropped.

>>> from orgmodel import Rule, RuleBook, RulePack, Subject
>>> pack = RulePack(name="demo", domain="toy", rules=[
...     Rule(id="min", title_zh="", title_en="", severity="error", subject=Subject(kinds=["toy.branch"]),
...          quantity="full", min=3, source="s"),
...     Rule(id="max", title_zh="", title_en="", severity="warning", subject=Subject(kinds=["toy.branch"]),
...          quantity="members", max=50, max_inclusive=False, source="s")])
>>> bounds, roles, skipped = read_rules(RuleBook([pack]), ("error", "warning"))
>>> [(b.rule.id, b.quantity, b.lo, b.hi) for b in bounds]
[('min', 'full', 3, None), ('max', 'members', None, 49)]
>>> subject_applies(pack.rules[0].subject, "toy.branch", (), (), 1)
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from orgmodel import Rule, RuleBook, Subject

__all__ = ["Bound", "RoleNeed", "read_rules", "subject_applies", "LINEAR", "ROLE_QUANTITIES"]

LINEAR = ("members", "full", "hosts")
ROLE_QUANTITIES = {"secretaries": ("secretary",), "committee": ("secretary", "deputy_secretary", "committee_member")}


@dataclass(frozen=True)
class Bound:
    """A rule as integer bounds on one per-branch quantity (``lo ≤ quantity ≤ hi``)."""

    rule: Rule
    quantity: str
    lo: int | None
    hi: int | None


@dataclass(frozen=True)
class RoleNeed:
    """A role rule: branches with at least ``when_full`` full members need ``at_least`` role holders."""

    rule: Rule
    roles: tuple[str, ...]
    at_least: int
    when_full: int


def _int_bounds(rule: Rule) -> tuple[int | None, int | None]:
    lo = hi = None
    if rule.min is not None:
        lo = math.ceil(rule.min) if rule.min_inclusive else math.floor(rule.min) + 1
    if rule.max is not None:
        hi = math.floor(rule.max) if rule.max_inclusive else math.ceil(rule.max) - 1
    return lo, hi


def read_rules(book: RuleBook, hard: Sequence[str]) -> tuple[list[Bound], list[RoleNeed], list[Rule]]:
    """The rule book split into imposed bounds, role needs, and rules the optimiser does not impose."""
    bounds: list[Bound] = []
    roles: list[RoleNeed] = []
    skipped: list[Rule] = []
    for rule in book:
        when = dict(rule.subject.when)
        if rule.quantity in ROLE_QUANTITIES and set(when) <= {"full"} and rule.min is not None:
            roles.append(RoleNeed(rule, ROLE_QUANTITIES[rule.quantity], int(math.ceil(rule.min)),
                                  int(math.ceil(when.get("full", 1)))))
        elif (rule.quantity in LINEAR and not when and rule.optimisable and rule.severity in hard):
            lo, hi = _int_bounds(rule)
            bounds.append(Bound(rule, rule.quantity, lo, hi))
        else:
            skipped.append(rule)
    return bounds, roles, skipped


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
