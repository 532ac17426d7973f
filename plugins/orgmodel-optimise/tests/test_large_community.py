"""On the large community: zero error findings, fewer moves than the team-branch variant rolled out
everywhere (``team-branches-all``), and at least its team alignment (issue "least change": what
done means). Both variants are the scenario's own, run through the pipeline into a results folder;
the report shows the solver's status, gap and terms read from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgmodel import domain_rule_book
from orgmodel.run.read import load_results

SCENARIO = Path(__file__).resolve().parents[3] / "scenarios" / "large-community" / "scenario.yaml"
VARIANTS = ("team-branches-all", "optimised")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    from orgmodel.cli import main

    out = tmp_path_factory.mktemp("large-community")
    args = ["run", str(SCENARIO), "--out", str(out), "--no-simulate", "--lang", "zh"]
    for v in VARIANTS:
        args += ["--variant", v]
    assert main(args) == 0
    return load_results(out)


def _value(results, variant: str, name: str) -> float:
    value = results.variant(variant).value(name)
    assert value is not None, f"{variant}: {name} not measured"
    return value


def test_the_optimised_variant_breaks_no_error_rule(results) -> None:
    assert results.variant("optimised").finding_counts["error"] == 0
    violated = [f for f in results.variant("optimised").findings if f["status"] == "violated"]
    assert [f for f in violated if f["severity"] == "error"] == []
    assert [f for f in violated if f["rule"] == "branch.max_size"] == []


def test_fewer_moves_and_at_least_the_team_alignment_of_team_branches_all(results) -> None:
    moved_opt = _value(results, "optimised", "change.members_moved")
    moved_teams = _value(results, "team-branches-all", "change.members_moved")
    assert moved_opt < moved_teams
    assert _value(results, "optimised", "team_alignment.share") >= _value(results, "team-branches-all", "team_alignment.share")
    plan = results.variant("optimised").plans()[0]
    assert moved_opt == plan.meta["solver"]["terms"]["moved"]["value"]


def test_every_active_rule_is_imposed_kept_by_offices_or_listed_as_not_optimised(results) -> None:
    book = domain_rule_book(str(results.scenario["domain"]))
    solver = results.variant("optimised").plans()[0].meta["solver"]
    lists = [solver["rules_imposed"], solver["rules_by_roles"], solver["rules_not_optimised"]]
    assert sorted(r for ids in lists for r in ids) == sorted(r.id for r in book)  # each once, none dropped
    assert {"committee.when", "secretary.when", "office.full_only"} <= set(solver["rules_by_roles"])
    assert {"joint.when", "joint.max_units", "general_branch.when"} <= set(solver["rules_not_optimised"])


def test_the_plan_records_status_gap_and_every_term_in_its_meta(results) -> None:
    plan = results.variant("optimised").plans()[0]
    solver = plan.meta["solver"]
    assert solver["version"] == 1
    assert "solver" not in plan.params and "objective" not in plan.params
    assert solver["status"] in ("optimal", "feasible")
    assert 0 <= solver["gap"] <= 0.01
    assert solver["bound"] <= solver["objective"] + 1e-6
    assert solver["parts"] > 1  # the areas are solved apart
    terms = solver["terms"]
    assert set(terms) == {"moved", "founded", "dissolved", "unaligned", "ties", "backbone"}
    assert sum(t["value"] * t["weight"] for t in terms.values()) == pytest.approx(solver["objective"], abs=1e-3)
    moves = [op for op in plan.as_written() if op.op == "move_members"]
    assert {op.reason.code for op in moves} <= {"move_rule_max", "move_rule_min", "move_team", "move_objective",
                                                  "move_rule_forbidden", "move_one_relation"}
    assert any(op.reason.code == "move_rule_max" for op in moves)
    for op in moves[:20]:
        text = op.reason.render("en", plan.templates)
        assert "-branch" not in text  # names, not ids


def test_the_report_shows_the_solver_status_gap_and_terms_from_the_plan_file(results) -> None:
    from orgmodel.analysis.compare import load_comparison
    from orgmodel.report.model import report_model
    from orgmodel.report.solver import status_text

    solver = results.variant("optimised").plans()[0].meta["solver"]
    comparison = load_comparison([results])
    zh = report_model(results, comparison, lang="zh")["solver"]
    en = report_model(results, comparison, lang="en")["solver"]
    (entry,) = zh["variants"]  # only the optimised variant has a solver record
    assert entry["label"] == results.variant("optimised").label
    facts = {f["label"]: f["value"] for f in entry["facts"]}
    assert facts["求解状态"] == status_text(solver["status"], solver["gap"], "zh")
    assert facts["差距"] == f"{100 * solver['gap']:.2f}%"
    assert [t["label"] for t in entry["terms"]][:3] == ["调整组织关系的党员", "新建支部", "撤销支部"]
    assert en["variants"][0]["terms"][0]["label"] == "members moved"
    assert entry["terms"][0]["value"] == f"{solver['terms']['moved']['value']:,.0f}"
