"""The optimise strategy: known optima on small structures, a named conflict, the contract kit."""

from __future__ import annotations

import numpy as np
import pytest

from orgmodel import Structure, UserError, apply, check_rules
from orgmodel.testing import check_strategy
from orgmodel import domain_rule_book
from orgmodel_optimise.strategy import Optimise



def _kinds():
    from orgmodel.testing import contract_baselines

    return contract_baselines("party", only=("tiny",))["tiny"].kinds


def _structure(sizes: dict[str, tuple[int, int]], teams: dict[str, list[str]] | None = None,
               immobile: tuple[str, ...] = ()) -> Structure:
    """A committee over an area with branches; sizes: branch -> (full, probationary)."""
    units = {k: [] for k in ("id", "kind", "name", "parent", "built_on", "tags")}

    def unit(uid, kind, name, parent=None, built_on=None, tags=None):
        for key, value in zip(units, (uid, kind, name, parent, built_on, tags), strict=True):
            units[key].append(value)

    unit("top", "party.committee", "社区党委")
    unit("area", "party.residential_area", "居民区")
    for t in sorted({t for ts in (teams or {}).values() for t in ts}):
        unit(t, "party.team", f"团队{t}", "area", None, "team:culture")
    ids, branch, status, home = [], [], [], []
    for b, (n_full, n_prob) in sizes.items():
        unit(b, "party.branch", f"{b}支部", "top", "area")
        for i in range(n_full + n_prob):
            ids.append(f"{b}-{i:03d}")
            branch.append(b)
            status.append("full" if i < n_full else "probationary")
            home.append("area")
    n = len(ids)
    members = {"id": np.array(ids, dtype=object), "branch": np.array(branch, dtype=object),
               "status": np.array(status, dtype=object), "home_host": np.array(home, dtype=object),
               "mobility_limited": np.isin(np.array(ids, dtype=object), list(immobile)),
               "retired": np.zeros(n, dtype=bool)}
    part = [(m, t) for m, ts in (teams or {}).items() for t in ts]
    roles = [{"unit": b, "role": "secretary", "person": f"{b}-000"} for b in sizes]
    return Structure.from_columns(_kinds(), units=units, members=members,
                                  participation=([m for m, _ in part], [t for _, t in part]), roles=roles)


def _run(s: Structure, **params):
    o = Optimise()
    ctx = o.context(s, raw_params=params, rules=domain_rule_book(s.kinds.name))
    return o.propose(ctx, o.parse_params(params))


def _errors(s, plan):
    after = apply(s, plan, variant="t", step=0)
    # every error, and the branch rules the optimiser imposes (the committee above is the test's own)
    return after, [f for f in check_rules(after, domain_rule_book(s.kinds.name).packs) if f.status == "violated"
                   and (f.severity == "error" or f.rule.startswith(("branch.", "joint.")))]


def test_a_branch_within_every_rule_is_left_alone() -> None:
    s = _structure({"a": (10, 2)})
    plan = _run(s, candidates=[])
    assert plan.meta["solver"]["status"] == "optimal"
    assert plan.transfers() == []
    assert plan.meta["solver"]["terms"]["moved"]["value"] == 0


def test_a_branch_of_60_sheds_exactly_10_members_to_one_new_branch() -> None:
    # the optimum: keep 50, found one category branch of 10 (moving fewer is against the rule,
    # founding two costs more); every other plan moves more or founds more
    s = _structure({"a": (58, 2)})
    plan = _run(s, candidates=["category"], weight_backbone=0, weight_ties=0)
    # the roster has no retired member: one category (working) branch; its copies may take the 10
    assert plan.meta["solver"]["status"] == "optimal"
    assert plan.meta["solver"]["terms"]["moved"]["value"] == 10
    assert plan.meta["solver"]["terms"]["founded"]["value"] == 1
    assert len(plan.transfers()) == 10
    after, errors = _errors(s, plan)
    assert [f.rule for f in errors] == []
    assert sorted(after.sizes()[after.kinds.is_branch[after.units.kind] & ~after.units.dissolved].tolist()) == [10, 50]


def test_every_open_branch_gets_its_offices_from_full_members() -> None:
    # the new branch of 10 has 8 or more full members: a secretary and a committee of 3 (committee.when),
    # from full members only (office.full_only); the old branch, with 40 or more, a committee too
    s = _structure({"a": (58, 2)})
    plan = _run(s, candidates=["category"], weight_backbone=0, weight_ties=0)
    after, errors = _errors(s, plan)
    assert errors == []
    offices = [op for op in plan.operations if op.op == "set_role"]
    full = set(s.members.ids[s.full_mask].tolist())
    assert offices and all(op.person in full for op in offices)
    assert all(op.reason.code in Optimise.templates for op in offices)
    new = [op for op in offices if op.unit.startswith("new:")]
    assert sorted(op.role for op in new) == ["committee_member", "committee_member", "secretary"]
    live = after.units.ids[after.kinds.is_branch[after.units.kind] & ~after.units.dissolved].tolist()
    secretaries = sorted(r.unit for r in after.roles if r.role == "secretary")
    assert sorted(live) == secretaries  # one secretary each, the moved one's successor included
    assert {"committee.when", "secretary.when", "office.full_only"} <= set(plan.meta["solver"]["rules_by_roles"])


def test_without_proposals_the_office_rules_are_not_optimised() -> None:
    s = _structure({"a": (55, 5)})
    plan = _run(s, candidates=["category"], propose_roles=False)
    assert not [op for op in plan.operations if op.op == "set_role"]
    assert plan.meta["solver"]["rules_by_roles"] == []
    assert {"committee.when", "secretary.when"} <= set(plan.meta["solver"]["rules_not_optimised"])
    o = Optimise()
    ctx = o.context(s, rules=domain_rule_book(s.kinds.name, disable=["committee.when"]))
    with pytest.raises(UserError, match="propose_roles"):
        o.propose(ctx, o.parse_params({}))


def test_team_members_join_their_team_when_alignment_outweighs_the_move() -> None:
    members = {f"a-{i:03d}": ["t1"] for i in range(4)}
    s = _structure({"a": (20, 0)}, teams=members)
    aligned = _run(s, weight_unaligned=2, weight_moved=1, weight_founded=1, weight_backbone=0)
    assert aligned.meta["solver"]["terms"]["moved"]["value"] == 4  # 4 * (1 - 2) + 1 < 0
    assert aligned.meta["solver"]["terms"]["unaligned"]["value"] == 0
    stay = _run(s, weight_unaligned=0.2, weight_moved=1, weight_founded=1, weight_backbone=0)
    assert stay.transfers() == []  # alignment is not worth the moves
    assert stay.meta["solver"]["terms"]["unaligned"]["value"] == 4


def test_immobile_members_never_go_to_a_team_branch() -> None:
    members = {f"a-{i:03d}": ["t1"] for i in range(6)}
    s = _structure({"a": (20, 0)}, teams=members, immobile=("a-000", "a-001"))
    plan = _run(s, weight_unaligned=5, weight_backbone=0)
    moved = {m for m, *_ in plan.transfers()}
    assert moved == {"a-002", "a-003", "a-004", "a-005"}


def test_small_branches_are_joined_and_the_empty_ones_dissolved() -> None:
    s = _structure({"a": (2, 0), "b": (2, 0), "c": (12, 0)})
    plan = _run(s, weight_backbone=0, weight_ties=0)
    after, errors = _errors(s, plan)
    assert errors == []
    assert plan.meta["solver"]["status"] == "optimal"
    # the optimum moves the 2 members of one small branch into the other (4 full members) and
    # dissolves the emptied one: 2 moves + 1 dissolution, against 4 + 2 for emptying both
    assert plan.meta["solver"]["terms"]["moved"]["value"] == 2
    assert plan.meta["solver"]["terms"]["dissolved"]["value"] == 1
    assert plan.meta["solver"]["terms"]["founded"]["value"] == 0


def test_no_structure_keeps_the_rules_and_the_error_names_the_conflict() -> None:
    s = _structure({"a": (2, 0)})
    with pytest.raises(UserError) as err:
        _run(s)
    text = str(err.value)
    assert "\n" not in text
    assert "branch.min_full" in text and "a支部" in text


def test_locked_branches_are_left_alone() -> None:
    s = _structure({"a": (58, 2), "b": (2, 0), "c": (5, 0)})
    from orgmodel import Locks

    o = Optimise()
    ctx = o.context(s, rules=domain_rule_book(s.kinds.name), locks=Locks.of(s, ["a"]))
    plan = o.propose(ctx, o.parse_params({}))
    touched = {op.to for op in plan.as_written() if op.op == "move_members"} | {
        getattr(op, "unit", None) for op in plan.as_written()}
    assert "a" not in touched
    assert all(not m.startswith("a-") for m, *_ in plan.transfers())
    assert {to for _, to, *_ in plan.transfers()} == {"c"}  # b's two members join c, not the locked a


def test_the_scope_bounds_what_may_change() -> None:
    from orgmodel import Scope

    s = _structure({"a": (58, 2), "b": (70, 0)})
    o = Optimise()
    # a scope of branch b alone: no candidate may be put under the committee or on the area
    # (both outside it), so b cannot shed 20 members; a, over 50 too, is not the step's business
    ctx = o.context(s, rules=domain_rule_book(s.kinds.name), scope=Scope.of(s, ["b"]))
    with pytest.raises(UserError) as err:
        o.propose(ctx, o.parse_params({"candidates": ["category"]}))
    assert "b支部" in str(err.value) and "a支部" not in str(err.value)
    assert "branch.max_size" in str(err.value)
    whole = o.propose(o.context(s, rules=domain_rule_book(s.kinds.name)), o.parse_params({"candidates": ["category"]}))
    assert {m[0] for m, *_ in whole.transfers()} == {"a", "b"}


def test_the_same_seed_gives_the_same_plan_and_another_may_move_other_members() -> None:
    s = _structure({"a": (70, 0)})
    one, two = _run(s, seed=1), _run(s, seed=1)
    assert one.to_json() == two.to_json()
    assert len(_run(s, seed=2).transfers()) == len(one.transfers())


def test_the_plan_is_the_same_whatever_the_number_of_solver_processes() -> None:
    teams = {f"a-{i:03d}": ["t1"] for i in range(1, 30)} | {f"b-{i:03d}": ["t2"] for i in range(1, 25)}
    s = _structure({"a": (70, 0), "b": (60, 4), "d": (40, 0)}, teams=teams)
    alone = _run(s, workers=1, candidates=["team"])
    pooled = _run(s, workers=2, candidates=["team"])
    assert alone.meta["solver"]["parts"] > 1  # otherwise no pool is started
    assert alone.model_copy(update={"params": {}}).to_json() == pooled.model_copy(update={"params": {}}).to_json()
    assert alone.meta["solver"]["status"] == "optimal"


def test_contract() -> None:
    check_strategy(Optimise(), {"time_limit": 20}, only=("tiny", "empty-branch", "one-member", "all-immobile",
                                                         "no-teams", "branch-of-329", "village-of-2"))


def test_stopping_the_solve_stops_every_solver_process(monkeypatch) -> None:
    """Cancelled or timed out while the parts are solved (the web app's cancel, a benchmark's time
    limit), the solver processes are killed, not left running on their own."""
    import subprocess
    import types

    from orgmodel_optimise import solve

    started: list[subprocess.Popen] = []

    class Slow(subprocess.Popen):
        def __init__(self, args, **kwargs):  # noqa: ANN001, ANN003
            super().__init__(["sleep", "60"], **kwargs)  # a solver still at work
            started.append(self)

        def communicate(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            raise KeyboardInterrupt  # the caller is stopped while it waits

    monkeypatch.setattr(subprocess, "Popen", Slow)
    tasks = [(types.SimpleNamespace(eg=[0] * n),) for n in (3, 2, 1)]
    with pytest.raises(KeyboardInterrupt):
        solve._run(tasks, processes=2)
    assert len(started) == 2
    assert all(proc.poll() is not None for proc in started)
