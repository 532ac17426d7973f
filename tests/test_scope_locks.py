"""Steps take scope and locks: the engine refuses a plan that touches a locked unit or leaves the scope.

Each way of touching a unit (docs/scenarios.md, "Scope and locks") is tried on a locked unit and
outside a scope, for a hand-written step (error at the operation's line) and a strategy step
(error naming the strategy's plugin).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from orgmodel import Context, Locks, PlanBuilder, Scope, Strategy, apply
from orgmodel.errors import PluginError, SpecError
from orgmodel.io.loader import load_scenario
from orgmodel.model.structure import Structure
from orgmodel.model.touch import find_breach, touched_units
from orgmodel.plugin.hookspecs import hookimpl
from orgmodel.plugin.host import PluginHost
from orgmodel.run.engine import Engine
from orgmodel.testing_data import TOY_PACK, tiny_structure, toy_kinds

BASELINE = """\
name: t
domain: toy
baseline:
  units:
    - {id: c, kind: toy.committee}
    - {id: area, kind: toy.area}
    - {id: t1, kind: toy.team, parent: area}
    - {id: gb, kind: toy.general_branch, parent: c, built_on: [area]}
    - {id: b1, kind: toy.branch, parent: gb}
    - {id: b2, kind: toy.branch, parent: gb}
    - {id: b3, kind: toy.branch, parent: c}
    - {id: b4, kind: toy.branch, parent: c}
    - {id: g1, kind: toy.group, parent: b1}
  members:
    - {id: m1, branch: b1, group: g1}
    - {id: m2, branch: b1}
    - {id: m3, branch: b2}
    - {id: m4, branch: b2}
    - {id: m5, branch: b3}
  participation: [{member: m1, unit: t1}]
  roles: [{unit: b1, role: secretary, person: m2}]
variants:
  - name: v
    steps:
"""


class Recorder(Strategy):
    """Records what its context says about scope and locks, and moves m3 to b1 when asked."""

    name = "recorder"
    seen: list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], list[bool]]] = []

    def propose(self, ctx: Context, params):  # noqa: ANN001, ANN201
        s = ctx.structure
        Recorder.seen.append((ctx.scope.units, ctx.locks.units, ctx.locks.people,
                              ctx.scope.mask[s.unit_codes(["b1", "b3"])].tolist()))
        plan = ctx.plan()
        if ctx.variant == "move":
            plan.move(["m3"], to="b1", reason="closer")
        return plan.build()


class Toy:
    @hookimpl
    def register_unit_kinds(register):  # noqa: N805
        register(TOY_PACK)

    @hookimpl
    def register_strategies(register):  # noqa: N805
        register(Recorder())


def engine() -> Engine:
    return Engine(PluginHost({"toy": Toy}, autoload=False))


def run_steps(tmp_path: Path, steps: str, name: str = "v"):  # noqa: ANN201
    path = tmp_path / "s.yaml"
    path.write_text(BASELINE.replace("name: v", f"name: {name}") + steps, encoding="utf-8")
    return engine().run(load_scenario(path))


def refused(tmp_path: Path, steps: str, *fragments: str) -> str:
    with pytest.raises(SpecError) as info:
        run_steps(tmp_path, steps)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def line_of(tmp_path: Path, text: str) -> int:
    lines = (tmp_path / "s.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


# -- each way of touching a locked unit, in a hand-written step -------------------------------

LOCKED_CASES = {
    "dissolve": ("{op: dissolve, unit: b2, members_to: b3, reason: r}", "b2", "dissolves b2, which is locked"),
    "retype": ("{op: retype, unit: b4, kind: toy.general_branch, reason: r}", "b4", "retypes b4"),
    "attach": ("{op: attach, unit: b2, parent: c, reason: r}", "b2", "attaches b2 under another parent"),
    "attach under": ("{op: attach, unit: b3, parent: gb, reason: r}", "gb", "puts a unit under gb"),
    "create under": ("{op: create_unit, key: n, kind: toy.branch, name: N, parent: gb, reason: r}", "gb",
                     "puts a unit under gb"),
    "set attributes": ("{op: set_attributes, unit: b2, name: 二支部, reason: r}", "b2",
                       "changes the name, tags, attributes or hosts of b2"),
    "built on": ("{op: set_attributes, unit: b2, built_on: [t1], reason: r}", "b2", "or hosts of b2"),
    "set role": ("{op: set_role, unit: b2, role: secretary, person: m3, reason: r}", "b2",
                 "sets or clears a role in b2"),
    "clear role": ("{op: clear_role, unit: b1, role: secretary, reason: r}", "b1", "sets or clears a role in b1"),
    "alliance": ("{op: link_alliance, unit: b3, coordinator: b2, reason: r}", "b2",
                 "links or unlinks an alliance of b2"),
    "participation": ("{op: add_participation, members: [m3], unit: t1, reason: r}", "t1",
                      "changes who takes part in t1"),
    "members out": ("{op: move_members, members: [m3, m4], to: b3, reason: r}", "b2",
                    "moves 2 member(s) out of b2"),
    "members in": ("{op: move_members, members: [m5], to: b2, reason: r}", "b2", "moves 1 member(s) into b2"),
    "group out": ("{op: move_members, members: [m1], to: b1, reason: r}", "g1", "moves 1 member(s) out of g1"),
    "dissolve into": ("{op: dissolve, unit: b3, members_to: b2, reason: r}", "b2", "moves 1 member(s) into b2"),
    "children of a dissolved unit": ("{op: dissolve, unit: gb, members_to: b3, children_to: c, reason: r}", "b1",
                                     "attaches b1 under another parent"),
}


@pytest.mark.parametrize("case", list(LOCKED_CASES))
def test_a_manual_step_touching_a_locked_unit_is_refused_at_the_operation(tmp_path: Path, case: str) -> None:
    op, lock, what = LOCKED_CASES[case]
    steps = f"      - locks: [{lock}]\n        operations:\n          - {{op: set_attributes, unit: b3, name: 三, reason: r}}\n          - {op}\n"
    message = refused(tmp_path, steps, "variant v, step 0, operation 1", what, "which is locked")
    line = line_of(tmp_path, op)
    assert message.startswith(f"{tmp_path / 's.yaml'}:{line}:"), message
    assert "variants[0].steps[0].operations[1]" in message


@pytest.mark.parametrize("case", list(LOCKED_CASES))
def test_the_same_operation_passes_without_the_lock(tmp_path: Path, case: str) -> None:
    op, _lock, _what = LOCKED_CASES[case]
    result = run_steps(tmp_path, f"      - locks: [area]\n        operations:\n          - {op}\n")
    assert len(result.variant("v").steps) == 1


def test_a_change_that_ends_where_it_began_touches_nothing() -> None:
    s = tiny_structure()
    b = PlanBuilder(s)
    b.set_attributes("b2", name=s.unit("b2").name, reason="same")
    plan = b.build()
    after = apply(s, plan)
    assert touched_units(s, after) == []
    assert find_breach(s, after, plan, Scope.of(s), Locks.of(s, ["b2"])) is None


# -- locked people ------------------------------------------------------------------------------

PEOPLE_CASES = {
    "moved": ("{op: move_members, members: [m4, m3], to: b1, reason: r}", "m3", "moves m3, who is locked"),
    "moved with a dissolved branch": ("{op: dissolve, unit: b2, members_to: b1, reason: r}", "m3",
                                      "moves m3, who is locked"),
    "given a role": ("{op: set_role, unit: b2, role: secretary, person: m3, reason: r}", "m3",
                     "sets or clears a role of m3"),
    "losing a role": ("{op: clear_role, unit: b1, role: secretary, reason: r}", "m2", "sets or clears a role of m2"),
    "participation": ("{op: remove_participation, members: [m1], unit: t1, reason: r}", "m1",
                      "changes what m1 takes part in"),
}


@pytest.mark.parametrize("case", list(PEOPLE_CASES))
def test_a_step_touching_a_locked_person_is_refused(tmp_path: Path, case: str) -> None:
    op, person, what = PEOPLE_CASES[case]
    steps = f"      - locks: [{person}]\n        operations:\n          - {{op: set_attributes, unit: b3, name: 三, reason: r}}\n          - {op}\n"
    refused(tmp_path, steps, "variant v, step 0, operation 1", what)


def test_a_locked_person_may_stay_while_others_move(tmp_path: Path) -> None:
    steps = "      - locks: [m3]\n        operations: [{op: move_members, members: [m4], to: b1, reason: r}]\n"
    assert run_steps(tmp_path, steps).variant("v").structure.member_ids_of("b2") == ["m3"]


# -- scope ------------------------------------------------------------------------------------

def test_inside_the_scope_passes(tmp_path: Path) -> None:
    steps = "      - scope: [gb]\n        operations:\n          - {op: dissolve, unit: b2, members_to: b1, reason: r}\n"
    result = run_steps(tmp_path, steps)
    assert result.variant("v").structure.member_ids_of("b1") == ["m1", "m2", "m3", "m4"]


def test_a_host_scope_covers_the_organisations_built_on_it(tmp_path: Path) -> None:
    steps = "      - scope: [area]\n        operations:\n          - {op: move_members, members: [m3], to: b1, reason: r}\n"
    assert run_steps(tmp_path, steps).variant("v").structure.branch_of("m3") == "b1"


@pytest.mark.parametrize(
    ("op", "what"),
    [
        ("{op: move_members, members: [m3], to: b3, reason: r}", "moves 1 member(s) into b3"),
        ("{op: move_members, members: [m5], to: b1, reason: r}", "moves 1 member(s) out of b3"),
        ("{op: create_unit, key: n, kind: toy.branch, name: N, parent: c, reason: r}", "puts a unit under c"),
        ("{op: create_unit, key: n, kind: toy.committee, name: N, reason: r}", "creates an organisation with no parent"),
        ("{op: retype, unit: b4, kind: toy.general_branch, reason: r}", "retypes b4"),
        ("{op: dissolve, unit: gb, members_to: b3, children_to: c, reason: r}", "puts a unit under c"),
    ],
)
def test_a_manual_step_outside_its_scope_is_refused(tmp_path: Path, op: str, what: str) -> None:
    steps = f"      - scope: [gb]\n        operations:\n          - {op}\n"
    refused(tmp_path, steps, "variant v, step 0, operation 0", what, "outside the step's scope (gb)")


def test_a_new_host_with_no_parent_is_allowed_in_a_scope(tmp_path: Path) -> None:
    steps = (
        "      - scope: [gb]\n        operations:\n"
        "          - {op: create_host, key: t, kind: toy.team, name: T, reason: r}\n"
        "          - {op: set_attributes, unit: b1, built_on: ['new:t'], reason: r}\n"
    )
    assert run_steps(tmp_path, steps).variant("v").structure.built_on("b1") == ["v/0/t"]


def test_units_created_under_a_new_unit_in_scope_pass(tmp_path: Path) -> None:
    steps = (
        "      - scope: [gb]\n        operations:\n"
        "          - {op: create_unit, key: n, kind: toy.branch, name: N, parent: gb, reason: r}\n"
        "          - {op: create_unit, key: g, kind: toy.group, name: G, parent: 'new:n', reason: r}\n"
        "          - {op: move_members, members: [m3], to: 'new:n', group: 'new:g', reason: r}\n"
    )
    s = run_steps(tmp_path, steps).variant("v").structure
    assert s.branch_of("m3") == "v/0/n" and s.group_of("m3") == "v/0/g"


# -- the keys themselves ------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["scope", "locks"])
def test_an_unknown_unit_is_an_error_at_its_line(tmp_path: Path, key: str) -> None:
    steps = f"      - {key}: [b1, nowhere]\n        operations:\n          - {{op: retype, unit: b3, kind: toy.branch, reason: r}}\n"
    what = "unit or member" if key == "locks" else "unit"
    message = refused(tmp_path, steps, f"variants[0].steps[0].{key}[1]", f"unknown {what} 'nowhere'")
    assert message.startswith(f"{tmp_path / 's.yaml'}:{line_of(tmp_path, key + ':')}:")


def test_a_unit_dissolved_by_an_earlier_step_is_an_error(tmp_path: Path) -> None:
    steps = (
        "      - operations: [{op: dissolve, unit: b2, members_to: b1, reason: r}]\n"
        "      - locks: [b2]\n        operations: [{op: retype, unit: b3, kind: toy.branch, reason: r}]\n"
    )
    refused(tmp_path, steps, "variants[0].steps[1].locks[0]", "unit 'b2' is dissolved by an earlier step")


def test_an_empty_scope_is_refused(tmp_path: Path) -> None:
    from orgmodel.errors import SpecError as Error

    path = tmp_path / "s.yaml"
    path.write_text(BASELINE + "      - scope: []\n        strategy: recorder\n", encoding="utf-8")
    with pytest.raises(Error, match=r"variants\[0\].steps\[0\].scope"):
        load_scenario(path)


def test_a_later_step_may_name_a_unit_an_earlier_step_created(tmp_path: Path) -> None:
    steps = (
        "      - operations: [{op: create_unit, key: n, kind: toy.branch, name: N, parent: gb, reason: r}]\n"
        "      - locks: [v/0/n]\n"
        "        operations: [{op: move_members, members: [m3], to: v/0/n, reason: r}]\n"
    )
    refused(tmp_path, steps, "variant v, step 1, operation 0", "moves 1 member(s) into v/0/n, which is locked")


# -- strategy steps -----------------------------------------------------------------------------

def test_a_strategy_sees_the_scope_and_locks_of_its_step(tmp_path: Path) -> None:
    Recorder.seen.clear()
    run_steps(tmp_path, "      - strategy: recorder\n        scope: [gb]\n        locks: [b2, m5]\n      - strategy: recorder\n")
    assert Recorder.seen == [(("gb",), ("b2",), ("m5",), [True, False]), ((), (), (), [True, True])]


def test_a_strategy_that_touches_a_locked_unit_is_refused_naming_the_step_and_operation(tmp_path: Path) -> None:
    with pytest.raises(PluginError) as info:
        run_steps(tmp_path, "      - strategy: recorder\n        locks: [b1]\n", name="move")
    assert str(info.value) == (
        "plugin toy: strategy recorder: variant move, step 0, operation 0 (move_members):"
        " moves 1 member(s) into b1, which is locked"
    )


def test_a_strategy_outside_its_scope_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match=r"out of b2, outside the step's scope \(b1\)"):
        run_steps(tmp_path, "      - strategy: recorder\n        scope: [b1]\n", name="move")


# -- bulk ---------------------------------------------------------------------------------------

def big_structure(n_members: int, n_branches: int) -> Structure:
    branches = [f"b{i}" for i in range(n_branches)]
    units = {"id": ["c", *branches], "kind": ["toy.committee"] + ["toy.branch"] * n_branches,
             "parent": [None] + ["c"] * n_branches}
    ids = np.array([f"m{i}" for i in range(n_members)], dtype=object)
    branch = np.array(branches, dtype=object)[np.arange(n_members) % n_branches]
    return Structure.from_columns(toy_kinds(), units=units, members={"id": ids, "branch": branch})


def test_a_plan_moving_many_members_is_checked_in_bulk() -> None:
    s = big_structure(200_000, 40)
    codes = s.members["branch"]
    moving = s.members.ids[codes != s.unit_code("b0")].tolist()
    b = PlanBuilder(s)
    b.move(moving, to="b0", reason="merge")
    plan = b.build()
    after = apply(s, plan)
    started = time.perf_counter()
    breach = find_breach(after=after, before=s, plan=plan, scope=Scope.of(s, ["c"]), locks=Locks.of(s, ["b39"]))
    elapsed = time.perf_counter() - started
    assert breach is not None and breach.message == "moves 5000 member(s) out of b39, which is locked"
    assert breach.operation == 0
    assert elapsed < 2.0, f"{elapsed:.2f} s"
