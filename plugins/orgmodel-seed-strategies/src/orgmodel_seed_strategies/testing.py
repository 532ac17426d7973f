"""Proposing with the party rules in force, as a scenario of the party domain would.

The strategies take their size limits and committee thresholds from ``ctx.rules``; a bare
``Strategy.propose_on`` has no rules in force. :func:`propose` passes the party domain's rules
(:func:`orgmodel.domain_rule_book`), or the rule book given. The contract kit needs neither: its
contexts carry the rules of the baseline's domain.

>>> from orgmodel.testing import contract_baselines
>>> from orgmodel_seed_strategies.split_branch import SplitBranch
>>> party_rule_book().limit("branch.max_size")
50.0
>>> s = contract_baselines("party", only=("branch-of-329",))["branch-of-329"]
>>> propose(SplitBranch(), s, {"by": "building"}).counts()["create_unit"]  # 329 members: parts of at most 50
6
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from orgmodel import Plan, RuleBook, Strategy, Structure, domain_rule_book

__all__ = ["party_rule_book", "propose"]


@cache
def party_rule_book(*, enable: tuple[str, ...] = (), disable: tuple[str, ...] = ()) -> RuleBook:
    """The party domain's rules in force (local rules only when enabled)."""
    return domain_rule_book("party", enable=enable, disable=disable)


def propose(strategy: Strategy, structure: Structure, params: Mapping[str, Any] | None = None, *,
            rules: RuleBook | None = None, **context: Any) -> Plan:
    """``strategy.propose_on`` with the party rules (or ``rules``) in force; other keywords
    (``seed``, ``scope``, ``locks``, ``as_of``) as there."""
    return strategy.propose_on(structure, params, rules=party_rule_book() if rules is None else rules, **context)
