"""Proposing with the party rules in force, as a scenario of the party domain would.

The strategies take their size limits and committee thresholds from ``ctx.rules``; a context made
by ``Strategy.propose_on`` has no rule pack. Tests and notebooks use :func:`propose` instead.

>>> from orgmodel.testing import contract_baselines
>>> from orgmodel_seed_strategies.split_branch import SplitBranch
>>> party_rule_book().limit("branch.max_size")
50.0
>>> s = contract_baselines("party", only=("tiny",))["tiny"]
>>> propose(SplitBranch(), s).operations  # no branch above 50 members
[]
>>> explicit_limits(SplitBranch(), {"by": "ties"})
{'by': 'ties', 'max_size': 50, 'min_full': 3, 'propose_roles': False}
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import orgmodel_party.plugin as party_plugin

from orgmodel import Plan, RuleBook, RulePack, Strategy, Structure

__all__ = ["party_rule_book", "propose", "explicit_limits"]


@cache
def _party_packs() -> tuple[RulePack, ...]:
    packs: list[RulePack] = []
    party_plugin.register_rule_packs(packs.append)
    return tuple(packs)


def party_rule_book(*, enable: tuple[str, ...] = (), disable: tuple[str, ...] = ()) -> RuleBook:
    """The party pack's rules in force (local rules only when enabled)."""
    return RuleBook(_party_packs(), enable=enable, disable=disable)


def propose(strategy: Strategy, structure: Structure, params: Mapping[str, Any] | None = None, *, seed: int = 0,
            rules: RuleBook | None = None, **context: Any) -> Plan:
    """Validate ``params`` and propose on ``structure`` with the party rules (or ``rules``) in force."""
    parsed = strategy.parse_params(params)
    ctx = strategy.context(structure, seed=seed, raw_params=params,
                           rules=party_rule_book() if rules is None else rules, **context)
    return strategy.propose(ctx, parsed)


def explicit_limits(strategy: Strategy, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``params`` with every rule-default parameter given explicitly (its value in the party rules) and
    role proposals off unless asked for: for the contract kit, whose context carries no rule pack."""
    out = dict(params or {})
    book = party_rule_book()
    for param, source in getattr(strategy, "rule_defaults", {}).items():
        if param not in out:
            out[param] = int(source.read(book))
    if "propose_roles" in strategy.Params.model_fields and "propose_roles" not in out:
        out["propose_roles"] = False
    return out
