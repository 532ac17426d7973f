"""Size parameters default to the rules in force; an explicit value overrides them; with neither, one line."""

from __future__ import annotations

import pytest

from orgmodel import KindTable, RuleBook, RulePack, Structure, UserError
from orgmodel.testing import ContractFailure, check_strategy, contract_baselines
from orgmodel_party import CommitteeRule
from orgmodel_party.kinds import PARTY_PACK
from orgmodel_seed_strategies.registry import strategies
from orgmodel_seed_strategies.split_branch import SplitBranch
from orgmodel_seed_strategies.testing import party_rule_book, propose

WITH_DEFAULTS = [s for s in strategies() if getattr(s, "rule_defaults", None)]


def _book_with(rule_id: str, **update: object) -> RuleBook:
    """The party rules with one rule changed (e.g. a local limit of 40 members a branch)."""
    book = party_rule_book()
    rules = [r.model_copy(update=update) if r.id == rule_id else r for r in book]
    return RuleBook([RulePack(name="party-local", domain="party", rules=rules)])


def _one_branch(n: int) -> Structure:
    units = [{"id": "c", "kind": "party.committee", "name": "社区党委"},
             {"id": "area", "kind": "party.residential_area", "name": "东区"},
             {"id": "b", "kind": "party.branch", "name": "东区党支部", "parent": "c", "built_on": "area"}]
    members = [{"id": f"m{i:02d}", "branch": "b", "home_host": "area"} for i in range(n)]
    return Structure.from_records(KindTable(PARTY_PACK), units=units, members=members)


def test_seven_strategies_take_their_limits_from_the_rules() -> None:
    assert sorted(s.name for s in WITH_DEFAULTS) == sorted([
        "agency-alignment", "category-branches", "courtyard-grid", "joint-branches", "split-branch",
        "team-branches", "two-new-coverage"])
    for strategy in WITH_DEFAULTS:
        for param in strategy.rule_defaults:
            assert strategy.Params.model_fields[param].default is None, (strategy.name, param)


@pytest.mark.parametrize("strategy", WITH_DEFAULTS, ids=lambda s: s.name)
def test_without_the_rule_the_error_names_the_parameter_and_the_rule(strategy) -> None:
    s = contract_baselines("party", only=("tiny",))["tiny"]
    param, source = next(iter(strategy.rule_defaults.items()))
    with pytest.raises(UserError) as err:
        strategy.propose(strategy.context(s, rules=RuleBook()), strategy.parse_params({}))
    message = str(err.value)
    assert f"params.{param}" in message and source.rule in message and "\n" not in message


def test_a_local_limit_changes_the_default_and_an_explicit_value_overrides_it() -> None:
    s = _one_branch(45)
    assert propose(SplitBranch(), s).operations == []  # 45 members: within the party's 50
    local = _book_with("branch.max_size", max=40)
    assert propose(SplitBranch(), s, rules=local).operations  # the local rule: at most 40
    assert propose(SplitBranch(), s, {"max_size": 50}, rules=local).operations == []


def test_a_disabled_rule_is_not_a_default() -> None:
    s = _one_branch(45)
    book = party_rule_book(disable=("branch.max_size",))
    with pytest.raises(UserError, match=r"params.max_size: not given, and the rule branch.max_size"):
        propose(SplitBranch(), s, rules=book)
    assert propose(SplitBranch(), s, {"max_size": 40}, rules=book).operations


def test_the_committee_threshold_is_the_rules_condition() -> None:
    assert CommitteeRule.from_rules(party_rule_book(), strategy="x").from_full == 7
    local = _book_with("committee.when", subject=party_rule_book().rule("committee.when").subject.model_copy(
        update={"when": {"full": 5.0}}))
    assert CommitteeRule.from_rules(local, strategy="x").from_full == 5
    with pytest.raises(UserError, match="params.propose_roles: needs the rule committee.when"):
        CommitteeRule.from_rules(party_rule_book(disable=("committee.when",)), strategy="x")


def test_the_contract_kit_checks_with_the_party_rules_and_fails_a_strategy_without_them() -> None:
    only = ("tiny", "branch-of-329")
    plans = check_strategy(SplitBranch(), {"by": "building"}, only=only, processes=False)
    assert plans["branch-of-329"].counts()["create_unit"] == 6  # 329 members in parts of at most 50
    tighter = check_strategy(SplitBranch(), {"by": "building"}, only=only, processes=False,
                             rules=_book_with("branch.max_size", max=40))
    assert tighter["branch-of-329"].counts()["create_unit"] > 6
    with pytest.raises(ContractFailure, match=r"refused every baseline \(2\).*params.max_size"):
        check_strategy(SplitBranch(), {"by": "building"}, only=only, processes=False, rules=RuleBook())
