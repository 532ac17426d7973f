"""The contract kit: every registered strategy keeps the contract, and the kit catches each broken rule.

``test_registered_strategy_keeps_the_contract`` is the suite itself: one case per strategy that
the plugin host collects from the installed plugins (first- or third-party) and per parameter set
it declares. The rest checks the kit: it passes a well-behaved strategy and catches each broken rule.

Strategies defined in this module are checked with ``processes=False`` (the cross-process check
would have to import this test module in a child process). The cross-process determinism check
is exercised with one module written to a temporary folder and put on ``PYTHONPATH``.
"""

from __future__ import annotations

import importlib
import os
import textwrap

import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict, Field

from orgmodel.errors import UserError
from orgmodel.model.plan import Plan, Reason
from orgmodel.plugin.strategy import Strategy
from orgmodel import PluginHost, Rule, RuleBook, RulePack, Subject, hookimpl
from orgmodel.testing import (
    BASELINES,
    ContractFailure,
    check_strategy,
    contract_baselines,
    contract_cases,
    parametrize_contract,
    snapshot,
)

ALL = sorted(BASELINES)
FEW = ("tiny", "one-member", "village-of-2")


@parametrize_contract()
def test_registered_strategy_keeps_the_contract(contract_case):
    plans = contract_case.check()
    assert plans, "check_strategy returned no plan yet raised no failure"


def test_the_suite_covers_every_registered_strategy():
    cases = contract_cases()
    registered = PluginHost().strategies().names()
    assert registered, "no strategy is installed: the suite would check nothing"
    assert sorted({case.strategy.name for case in cases}) == registered
    assert len({case.id for case in cases}) == len(cases)


class MergeSmall(Strategy):
    """Well behaved: branches below ``below`` members merge into the first branch."""

    name = "merge-small"
    label_en = "merge small branches"
    templates = {"small": {"zh": "{unit}仅{n}名党员，并入{to}", "en": "{unit} has {n} members: merged into {to}"}}

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid")
        below: int = Field(3, ge=1)

    def propose(self, ctx, params):
        s = ctx.structure
        plan = ctx.plan()
        branches = s.unit_ids("party.branch")
        for unit in branches[1:]:
            n = s.size(unit)
            if n < params.below:
                reason = ("small", {"unit": unit, "n": n, "to": branches[0]})
                plan.dissolve(unit, members_to=branches[0], children_to=branches[0], reason=reason)
        return plan.build()


class SeededShuffle(MergeSmall):
    """Well behaved: uses the seeded ``ctx.rng`` to pick a member to move."""

    name = "seeded-shuffle"
    templates = {"pick": {"zh": "随机调整{m}", "en": "random move of {m}"}}

    def propose(self, ctx, params):
        s = ctx.structure
        plan = ctx.plan()
        branches = s.unit_ids("party.branch")
        if len(branches) > 1:
            members = s.member_ids_of(branches[0])
            if members:
                m = members[int(ctx.rng.integers(len(members)))]
                plan.move([m], to=branches[1], reason=("pick", {"m": m}))
        return plan.build()


def test_good_strategy_passes_every_baseline():
    plans = check_strategy(MergeSmall(), {"below": 3}, processes=False)
    assert sorted(plans) == ALL
    assert all(isinstance(p, Plan) for p in plans.values())
    # something was really proposed on the baselines with small branches
    assert [op.op for op in plans["village-of-2"].operations] == ["dissolve"]
    assert plans["tiny"].operations == []


def test_good_strategy_with_default_params():
    assert sorted(check_strategy(MergeSmall(), processes=False)) == ALL


def test_seeded_randomness_passes():
    plans = check_strategy(SeededShuffle(), processes=False)
    assert plans["tiny"].move_batches()[0].op == "move_members"


# --- broken rules -----------------------------------------------------------------------------


def failure(strategy, params=None, **kwargs) -> str:
    kwargs.setdefault("processes", False)
    with pytest.raises(ContractFailure) as info:
        check_strategy(strategy, params, **kwargs)
    message = str(info.value)
    assert strategy.name in message
    return message


class ReturnsDict(MergeSmall):
    name = "returns-dict"

    def propose(self, ctx, params):
        return {"operations": []}


def test_returning_a_dict_fails():
    message = failure(ReturnsDict())
    for base in ALL:
        assert f"[{base}] propose returned dict, not a Plan" in message


class MutatesArray(MergeSmall):
    name = "mutates-array"

    def propose(self, ctx, params):
        names = ctx.structure.units.name  # a read-only view of a writable array
        base = names.base if names.base is not None else names
        base[0] = base[0] + "（改）"
        return ctx.plan().build()


class MutatesAttrs(MergeSmall):
    name = "mutates-attrs"

    def propose(self, ctx, params):
        ctx.structure.units.attrs[0]["touched"] = True  # the dicts are shared, not copied
        return ctx.plan().build()


class MutatesPersonal(MergeSmall):
    name = "mutates-personal"

    def propose(self, ctx, params):
        ctx.structure.personal["phone"] = np.array(["x"] * ctx.structure.n_members, dtype=object)
        return ctx.plan().build()


@pytest.mark.parametrize("strategy", [MutatesArray(), MutatesAttrs(), MutatesPersonal()], ids=lambda s: s.name)
def test_mutating_the_input_fails(strategy):
    base = contract_baselines("party", only=("tiny",))["tiny"]
    before = snapshot(base)
    strategy.propose(strategy.context(base), strategy.parse_params({}))
    assert snapshot(base) != before, "snapshot() does not see this mutation"

    message = failure(strategy, only=FEW)
    for name in FEW:
        assert f"[{name}] propose mutated the input structure" in message


class MovesIntoGroup(MergeSmall):
    name = "moves-into-group"

    def propose(self, ctx, params):
        s = ctx.structure
        plan = ctx.plan()
        branch = s.unit_ids("party.branch")[0]
        group = s.unit_ids("party.group")[0]
        plan.move(s.member_ids_of(branch)[:1], to=group, reason="into the group")
        return plan.build()


def test_moving_members_into_a_group_fails():
    message = failure(MovesIntoGroup(), only=FEW)
    assert "[tiny] the plan cannot be applied" in message
    assert "party.group" in message


class DissolvesWithoutDestination(MergeSmall):
    name = "dissolves-without-destination"

    def propose(self, ctx, params):
        s = ctx.structure
        plan = ctx.plan()
        branch = s.unit_ids("party.branch")[0]
        plan.dissolve(branch, children_to=s.parent(branch), reason="gone")
        return plan.build()


def test_dissolving_a_branch_with_no_destination_fails():
    message = failure(DissolvesWithoutDestination(), only=FEW)
    for name in FEW:
        assert f"[{name}] the plan cannot be applied" in message
    assert "without a branch" in message


class Unseeded(MergeSmall):
    name = "unseeded"

    def propose(self, ctx, params):
        s = ctx.structure
        plan = ctx.plan()
        branch = s.unit_ids("party.branch")[0]
        n = int(np.random.default_rng().integers(1_000_000_000))  # not ctx.rng: no seed
        plan.set_attributes(branch, name=f"支部{n}", reason=("renamed", {"n": n}))
        return plan.build()


def test_unseeded_randomness_fails():
    message = failure(Unseeded(), only=FEW)
    for name in FEW:
        assert f"[{name}] the same seed gave two different plans" in message


class LaxParams(MergeSmall):
    name = "lax-params"

    class Params(BaseModel):  # no extra="forbid": a misspelt parameter would pass silently
        below: int = 3


def test_params_without_extra_forbid_fail():
    message = failure(LaxParams())
    assert "[params] Params must set model_config = ConfigDict(extra='forbid')" in message
    assert "[params] an unknown parameter 'no_such_parameter' was accepted" in message


class EmptyReason(MergeSmall):
    name = "empty-reason"

    def propose(self, ctx, params):
        s = ctx.structure
        plan = ctx.plan()
        branch = s.unit_ids("party.branch")[0]
        # Reason requires a code of at least one character; model_construct skips the check
        plan.set_attributes(branch, name="无理由", reason=Reason.model_construct(code="", params={}, text=None))
        return plan.build()


def test_operation_with_an_empty_reason_code_fails():
    message = failure(EmptyReason(), only=FEW)
    for name in FEW:
        assert f"[{name}] operation 0 (set_attributes) has no reason" in message


class Crashes(MergeSmall):
    name = "crashes"

    def propose(self, ctx, params):
        return ctx.structure.unit_ids("party.branch")[10]


def test_unexpected_exception_fails():
    message = failure(Crashes(), only=("tiny",))
    assert "[tiny] propose raised IndexError" in message


def test_invalid_params_given_to_the_kit():
    with pytest.raises(ContractFailure, match="params are invalid.*below"):
        check_strategy(MergeSmall(), {"below": 0}, processes=False)


class RefusesSmall(MergeSmall):
    """Refuses (a UserError) structures of fewer than 10 members: a refusal is not a failure."""

    name = "refuses-small"

    def propose(self, ctx, params):
        if ctx.structure.n_members < 10:
            raise UserError("needs at least 10 members")
        return super().propose(ctx, params)


def test_refusing_some_baselines_with_a_user_error_is_fine():
    plans = check_strategy(RefusesSmall(), processes=False)
    assert "one-member" not in plans
    assert sorted(plans) == [name for name in ALL if name != "one-member"]


def test_every_failure_is_listed():
    class ManyFaults(LaxParams, MutatesPersonal):
        name = "many-faults"

    message = failure(ManyFaults(), only=("tiny",))
    assert "extra='forbid'" in message and "[tiny] propose mutated the input structure" in message


# --- the cross-process check: a module importable in a child process ---------------------------

MODULE = "orgmodel_kit_probe_strategies"
MODULE_SOURCE = textwrap.dedent(
    '''
    """Strategies for the contract kit's cross-process check (written by test_contract_kit)."""

    from orgmodel.errors import UserError
    from orgmodel.plugin.strategy import Strategy

    WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
             "india", "juliett", "kilo", "lima", "mike", "november", "oscar", "papa")


    class Stable(Strategy):
        name = "stable-order"
        templates = {"order": {"zh": "按{order}排序", "en": "ordered {order}"}}

        def propose(self, ctx, params):
            plan = ctx.plan()
            branch = ctx.structure.unit_ids("party.branch")[0]
            order = "-".join(sorted(set(WORDS)))
            plan.set_attributes(branch, name=order, reason=("order", {"order": order}))
            return plan.build()


    class HashOrdered(Stable):
        name = "hash-ordered"

        def propose(self, ctx, params):
            plan = ctx.plan()
            branch = ctx.structure.unit_ids("party.branch")[0]
            order = "-".join(set(WORDS))  # set order of strings depends on PYTHONHASHSEED
            plan.set_attributes(branch, name=order, reason=("order", {"order": order}))
            return plan.build()


    class FromTheRules(Strategy):
        """Merges branches under the minimum of the rule kit.merge_below; refuses when it is not in force."""

        name = "from-the-rules"
        templates = {"small": {"zh": "{unit}不足{below}人", "en": "{unit} under {below}"}}

        def propose(self, ctx, params):
            below = ctx.rules.limit("kit.merge_below", "min")
            if below is None:
                raise UserError("strategy from-the-rules: the rule kit.merge_below is not in force")
            s = ctx.structure
            plan = ctx.plan()
            branches = s.unit_ids("party.branch")
            for unit in branches[1:]:
                if s.size(unit) < below:
                    plan.dissolve(unit, members_to=branches[0], children_to=branches[0],
                                  reason=("small", {"unit": unit, "below": int(below)}))
            return plan.build()
    '''
)


@pytest.fixture(scope="module")
def probe_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kit-probe")
    (folder / f"{MODULE}.py").write_text(MODULE_SOURCE, encoding="utf-8")
    return folder


@pytest.fixture
def probe(probe_folder, monkeypatch):
    monkeypatch.syspath_prepend(str(probe_folder))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(probe_folder), os.environ.get("PYTHONPATH")])))
    return importlib.import_module(MODULE)


def test_cross_process_check_passes_a_deterministic_strategy(probe):
    plans = check_strategy(probe.Stable(), only=("tiny", "one-member"))
    assert sorted(plans) == ["one-member", "tiny"]


def test_cross_process_check_catches_set_iteration_order(probe):
    strategy = probe.HashOrdered()
    # within one process the order is stable, so the in-process checks pass ...
    check_strategy(strategy, only=("tiny",), processes=False)
    # ... but a fresh process with another PYTHONHASHSEED proposes another plan
    message = failure(strategy, only=("tiny",), processes=True)
    assert "[tiny] the plan differs in a process with PYTHONHASHSEED=" in message


def test_cross_process_check_reports_a_child_that_cannot_import(probe_folder, monkeypatch):
    monkeypatch.syspath_prepend(str(probe_folder))
    monkeypatch.delenv("PYTHONPATH", raising=False)  # the child cannot find the module
    module = importlib.import_module(MODULE)
    message = failure(module.Stable(), only=("tiny",), processes=True)
    assert "[tiny] proposing in a fresh process failed" in message
    assert "ModuleNotFoundError" in message


# --- the rules in force: those of the baseline's domain ---------------------------------------

KIT_RULES = RulePack(name="kit-rules", domain="party", rules=[Rule(
    id="kit.merge_below", title_zh="少于20人的支部合并", title_en="branches under 20 members merge",
    severity="warning", subject=Subject(kinds=["party.branch"]), quantity="members", min=20, source="test")])


class KitRules:
    @staticmethod
    @hookimpl
    def register_rule_packs(register):
        register(KIT_RULES)


def test_the_contexts_carry_the_rules_of_the_domain(probe):
    host = PluginHost({"kit-rules": KitRules})  # with the installed plugins: the party pack and its rules
    plans = check_strategy(probe.FromTheRules(), plugins=host, only=("village-of-2",), processes=False)
    # the rule's 20, read from the context: the branches of 14 and of 1 member merge into the first
    assert [op.op for op in plans["village-of-2"].operations] == ["dissolve", "dissolve"]


def test_a_strategy_whose_rule_is_not_in_force_refuses_every_baseline_and_fails(probe):
    message = failure(probe.FromTheRules(), only=FEW)  # the installed rule packs have no kit.merge_below
    assert "[all] refused every baseline (3)" in message
    assert "the rule kit.merge_below is not in force" in message


def test_a_fresh_process_proposes_under_the_same_rules(probe):
    # the child process is given the rule book: without it, it would refuse and the check would fail
    plans = check_strategy(probe.FromTheRules(), rules=RuleBook([KIT_RULES]), only=("village-of-2",), processes=True)
    assert len(plans["village-of-2"].operations) == 2


# --- refusing everything, example structures, the parametrised suite ---------------------------


class RefusesAll(MergeSmall):
    name = "refuses-all"

    def propose(self, ctx, params):
        raise UserError("nothing to do here")


def test_refusing_every_baseline_fails():
    message = failure(RefusesAll(), only=FEW)
    assert "[all] refused every baseline (3), e.g. [tiny] nothing to do here" in message


class ActsOnItsExample(MergeSmall):
    """Refuses the battery; acts on the example structure it declares."""

    name = "acts-on-its-example"
    contract_params = ({"below": 2}, {"below": 5})

    def contract_structures(self, kinds):
        return {"merged-pair": contract_baselines("party", only=("village-of-2",))["village-of-2"]}

    def propose(self, ctx, params):
        if ctx.structure.n_members != 17:
            raise UserError("needs the example")
        return super().propose(ctx, params)


def test_example_structures_join_the_battery():
    plans = check_strategy(ActsOnItsExample(), {"below": 2}, processes=False)
    assert sorted(plans) == ["merged-pair", "village-of-2"]
    assert [op.op for op in plans["merged-pair"].operations] == ["dissolve"]
    assert sorted(check_strategy(ActsOnItsExample(), only=("merged-pair",), processes=False)) == ["merged-pair"]


def test_an_example_may_not_take_a_baseline_name():
    class Clash(ActsOnItsExample):
        name = "clash"

        def contract_structures(self, kinds):
            return {"tiny": contract_baselines("party", only=("tiny",))["tiny"]}

    assert "[tiny] contract_structures() reuses the name of a contract baseline" in failure(Clash(), only=FEW)


class BadJson(MergeSmall):
    name = "bad-json"

    def propose(self, ctx, params):
        plan = ctx.plan()
        branch = ctx.structure.unit_ids("party.branch")[0]
        plan.set_attributes(branch, name="x", reason=("r", {"when": float("nan")}))
        return plan.build()


def test_a_plan_that_does_not_survive_json_fails():
    # NaN is written as the non-standard token NaN and reads back unequal to itself
    assert "[tiny] the plan does not survive a JSON round trip" in failure(BadJson(), only=("tiny",))


class LocalPlugin:
    @staticmethod
    @hookimpl
    def register_strategies(register):
        register(ActsOnItsExample())
        register(RefusesAll())


def test_cases_are_one_per_strategy_and_parameter_set():
    host = PluginHost({"mine": LocalPlugin})  # the installed plugins too: the party pack gives the kinds
    cases = contract_cases(host, plugin="mine")
    assert [(c.id, c.params, c.plugin) for c in cases] == [
        ("acts-on-its-example", {"below": 2}, "mine"),
        ("acts-on-its-example-1", {"below": 5}, "mine"),
        ("refuses-all", {}, "mine"),
    ]
    assert sorted(cases[0].check(processes=False)) == ["merged-pair", "village-of-2"]
    with pytest.raises(ContractFailure, match="refused every baseline"):
        cases[2].check(processes=False, only=FEW)


def test_a_plugin_with_no_strategy_is_an_error_not_an_empty_suite():
    host = PluginHost({"mine": LocalPlugin}, autoload=False)
    with pytest.raises(ContractFailure, match="plugin 'nobody' registers no strategy .*: mine"):
        contract_cases(host, plugin="nobody")


def test_a_plugin_module_is_checked_installed_or_not(tmp_path, monkeypatch):
    (tmp_path / "kit_probe_plugin.py").write_text(textwrap.dedent('''
        from orgmodel import hookimpl
        from orgmodel.plugin.strategy import Strategy


        class Keep(Strategy):
            name = "keep-probe"

            def propose(self, ctx, params):
                return ctx.plan().build()


        @hookimpl
        def register_strategies(register):
            register(Keep())
    '''), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("kit_probe_plugin")
    [case] = contract_cases(plugin=module)
    assert (case.id, case.plugin) == ("keep-probe", "kit_probe_plugin")
    assert sorted(case.check(processes=False, only=FEW)) == sorted(FEW)


def test_contract_params_must_be_a_sequence_of_mappings():
    class Wrong(MergeSmall):
        name = "wrong"
        contract_params = {"below": 2}  # one mapping, not a sequence of them

    host_plugin = type("P", (), {"register_strategies": staticmethod(hookimpl(lambda register: register(Wrong())))})
    with pytest.raises(ContractFailure, match="contract_params must be a non-empty sequence of mappings"):
        contract_cases(PluginHost({"wrong": host_plugin}, autoload=False))


class NeedsNoDate(MergeSmall):
    """Fails loudly if the kit ever gives a date: plugins.md promises ``ctx.as_of`` is None here."""

    name = "needs-no-date"

    def propose(self, ctx, params):
        assert ctx.as_of is None, ctx.as_of
        return super().propose(ctx, params)


def test_the_contract_baselines_give_no_as_of():
    assert sorted(check_strategy(NeedsNoDate(), only=FEW, processes=False)) == sorted(FEW)
