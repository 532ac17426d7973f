"""No strategy of this package breaks an error rule with its own output.

Every first-party strategy runs with its defaults on every ready scenario's baseline (and every
variant of a ready scenario whose steps are all this package's strategies runs as written). The
result must have no finding of error severity that the baseline did not already have (same rule,
unit and value); or the strategy refuses, with a one-line reason naming the parameter
(``params.…``). Rules of error severity are the 应当 (shall) rules of the party rule pack: a
unit with 3 or more full members has its own branch (支部工作条例 第四条), every branch has a
secretary and from 7 full members a committee (第六章), office holders are full members (党章
第七条), every member sits in exactly one branch (党章 第八条).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from orgmodel import PlanBuilder, PluginHost, UserError, apply, build_baseline, check_rules, load_scenario
from orgmodel.analysis.rulebook import rule_packs_for
from orgmodel.run.engine import Engine
from orgmodel_seed_strategies.registry import STRATEGIES, strategies
from orgmodel_seed_strategies.testing import party_rule_book

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = sorted(p.parent.name for p in (ROOT / "scenarios").glob("*/scenario.yaml"))
NAMES = [s.name for s in strategies()]


@cache
def _host() -> PluginHost:
    return PluginHost()


@cache
def _scenario(folder: str):  # noqa: ANN202
    scenario = load_scenario(ROOT / "scenarios" / folder / "scenario.yaml")
    base = build_baseline(scenario, _host())
    return scenario, base, rule_packs_for(scenario, _host())


def _errors(s, scenario, packs) -> list:  # noqa: ANN001
    spec = scenario.spec
    return [f for f in check_rules(s, packs, enable=spec.rules.enable, disable=spec.rules.disable, as_of=spec.as_of)
            if f.severity == "error" and f.status != "not_checked"]


def _new_errors(base, after, scenario, packs) -> list[str]:  # noqa: ANN001
    """Error findings of ``after`` but for those the baseline had already: same rule, same unit (of the
    same kind), same value. A strategy that leaves a unit's old error as it was did not cause it."""
    before = {(f.rule, f.unit, f.value) for f in _errors(base, scenario, packs)}

    def inherited(f) -> bool:  # noqa: ANN001
        return (f.rule, f.unit, f.value) in before and after.kind_of(f.unit) == base.kind_of(f.unit)

    return [f"{f.rule} on {f.unit} ({f.value} against {f.threshold})" for f in _errors(after, scenario, packs)
            if not inherited(f)]


def test_every_first_party_strategy_is_checked():
    assert len(NAMES) == len(STRATEGIES) == 10 and len(SCENARIOS) >= 7


@pytest.mark.parametrize("strategy", NAMES)
@pytest.mark.parametrize("folder", SCENARIOS)
def test_defaults_leave_no_error_finding_or_refuse_with_a_reason(folder: str, strategy: str) -> None:
    scenario, base, packs = _scenario(folder)
    st = next(s for s in strategies() if s.name == strategy)
    try:
        plan = st.propose_on(base, {}, rules=party_rule_book(), seed=scenario.spec.seed or 0, as_of=scenario.spec.as_of)
    except UserError as exc:
        message = str(exc)
        assert f"strategy {strategy}: params." in message or f"{strategy}: params." in message, message
        assert "\n" not in message
        return
    after = apply(base, plan)
    assert _new_errors(base, after, scenario, packs) == []


@pytest.mark.parametrize("strategy", ["two-new-coverage", "joint-branches"])
def test_catch_all_strategies_clear_the_catch_alls_errors(strategy: str) -> None:
    # small-firms' baseline: 佳美超市 has 4 full members in the street's catch-all branch (joint.when:
    # a unit with 3 or more full members shall have its own branch) and members sit unplaced
    # (one_relation). The two strategies made for catch-alls leave neither, with their defaults.
    scenario, base, packs = _scenario("small-firms")
    assert {f.rule for f in _errors(base, scenario, packs)} == {"joint.when", "one_relation"}
    st = next(s for s in strategies() if s.name == strategy)
    plan = st.propose_on(base, {}, rules=party_rule_book(), seed=scenario.spec.seed or 0, as_of=scenario.spec.as_of)
    assert _errors(apply(base, plan), scenario, packs) == []


def _first_party_variants() -> list[tuple[str, str]]:
    own = set(NAMES)
    out = []
    for folder in SCENARIOS:
        spec = load_scenario(ROOT / "scenarios" / folder / "scenario.yaml").spec
        for v in spec.variants:
            names = [getattr(step, "strategy", None) for step in v.steps]
            if names and all(n in own for n in names):
                out.append((folder, v.name))
    return out


@pytest.mark.parametrize("folder, variant", _first_party_variants())
def test_ready_variants_leave_no_error_finding(folder: str, variant: str) -> None:
    scenario, base, packs = _scenario(folder)
    after = Engine(_host()).run(scenario, baseline=base, variants=[variant]).variant(variant).structure
    assert _new_errors(base, after, scenario, packs) == []


def test_the_check_catches_a_branch_without_secretary():
    # the check itself: a plan that founds a branch of 4 full members and proposes no secretary fails it,
    # and a baseline error on a unit the plan changes counts as new
    scenario, base, packs = _scenario("small-firms")
    b = PlanBuilder(strategy="probe")
    ref = b.create_unit("probe", kind="party.branch", name="探针党支部", parent="jiedao-wc", reason="probe")
    movers = base.members.ids[base.full_mask & base.members["active"]][:4].tolist()
    b.move([str(m) for m in movers], to=ref, reason="probe")
    found = _new_errors(base, apply(base, b.build()), scenario, packs)
    assert any(f.startswith("secretary.when on ") for f in found), found
    assert _new_errors(base, base, scenario, packs) == []  # the baseline's own errors are not the strategy's
