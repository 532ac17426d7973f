"""The engine: apply every variant of a scenario, step by step, and keep each step's plan.

Each variant's steps run in order; each step proposes on the previous step's result (a strategy
chosen by name, or operations written by hand), is applied to a copy, and is checked before the
next: against every invariant, and against the step's ``scope`` and ``locks`` (see
:mod:`orgmodel.model.touch`). The random generator of a step is seeded from (scenario seed, variant, step), so adding a
variant changes no other variant's numbers.

>>> from orgmodel.testing_data import TOY_PACK
>>> from orgmodel.plugin.hookspecs import hookimpl
>>> from orgmodel.plugin.host import PluginHost
>>> from orgmodel.io.yamlsource import load_yaml_text
>>> class Toy:
...     @hookimpl
...     def register_unit_kinds(register):
...         register(TOY_PACK)
>>> engine = Engine(PluginHost({"toy": Toy}, autoload=False))
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "s.yaml"
>>> _ = path.write_text('''
... name: demo
... domain: toy
... baseline:
...   units: [{id: b1, kind: toy.branch}, {id: b2, kind: toy.branch}]
...   members: [{id: m1, branch: b1}, {id: m2, branch: b2}]
... variants:
...   - name: merge
...     steps:
...       - operations: [{op: dissolve, unit: b2, members_to: b1, reason: 合并}]
... ''', encoding="utf-8")
>>> result = engine.run(load_scenario(path))
>>> result.variant("merge").structure.member_ids_of("b1")
['m1', 'm2']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from orgmodel.analysis.rulebook import RuleBook, rule_book_for
from orgmodel.model.apply import apply
from orgmodel.model.collector import collector_paused
from orgmodel.errors import InvariantError, PlanError, PluginError, UserError
from orgmodel.io.loader import Scenario, build_baseline, load_scenario
from orgmodel.model.plan import Plan
from orgmodel.model.scope import Locks, Scope
from orgmodel.model.touch import find_breach
from orgmodel.plugin.host import PluginHost
from orgmodel.io.scenario import ManualStep, StrategyStep
from orgmodel.plugin.strategy import Context, rng_for
from orgmodel.run.progress import CancelFlag, ProgressCallback, Tracker
from orgmodel.model.structure import Structure

__all__ = ["Engine", "StepResult", "VariantResult", "RunResult", "load_scenario"]


@dataclass(frozen=True)
class StepResult:
    """One applied step: its plan and the structure it made."""

    index: int
    kind: Literal["strategy", "manual"]
    strategy: str
    plan: Plan
    structure: Structure


@dataclass(frozen=True)
class VariantResult:
    """One variant: its steps and its final structure (the baseline for a variant with none)."""

    name: str
    label: str
    description: str
    steps: tuple[StepResult, ...]
    structure: Structure


@dataclass(frozen=True)
class RunResult:
    """Every variant of one scenario, with the baseline they started from."""

    scenario: Scenario
    baseline: Structure
    variants: tuple[VariantResult, ...]

    def variant(self, name: str) -> VariantResult:
        """The result of the variant called ``name``."""
        for v in self.variants:
            if v.name == name:
                return v
        raise UserError(f"no variant {name!r} (have: {', '.join(v.name for v in self.variants)})")


@dataclass(frozen=True)
class _Prepared:
    kind: Literal["strategy", "manual"]
    name: str
    strategy: Any
    params: BaseModel | None
    raw_params: dict[str, Any]
    plugin: str | None


class Engine:
    """Runs scenarios with one set of plugins (a fresh :class:`PluginHost` unless given)."""

    def __init__(self, plugins: PluginHost | None = None) -> None:
        self.plugins = plugins if plugins is not None else PluginHost()

    def prepare(self, scenario: Scenario) -> list[list[_Prepared]]:
        """Check every step: strategies exist, parameters are valid (errors at their YAML line)."""
        strategies = self.plugins.strategies()
        prepared = []
        for i, variant in enumerate(scenario.spec.variants):
            steps = []
            for j, step in enumerate(variant.steps):
                if isinstance(step, ManualStep):
                    steps.append(_Prepared("manual", "manual", None, None, {}, None))
                    continue
                assert isinstance(step, StrategyStep)
                if step.strategy not in strategies:
                    have = ", ".join(strategies.names()) or "none installed"
                    raise scenario.error(
                        ("variants", i, "steps", j, "strategy"),
                        f"unknown strategy {step.strategy!r} (available: {have})",
                    )
                strategy = strategies.get(step.strategy)
                params = scenario.validate_at(("variants", i, "steps", j, "params"), strategy.Params, step.params)
                steps.append(
                    _Prepared("strategy", step.strategy, strategy, params, dict(step.params), strategies.owner(step.strategy))
                )
            prepared.append(steps)
        return prepared

    def run(
        self,
        scenario: Scenario,
        *,
        baseline: Structure | None = None,
        variants: Sequence[str] | None = None,
        progress: ProgressCallback = None,
        cancel: CancelFlag = None,
    ) -> RunResult:
        """Apply the scenario's variants (all, or those named) to its baseline.

        ``progress`` receives a :class:`~orgmodel.run.progress.Progress` of stage ``run`` before
        the first step and after each step; ``cancel`` is checked before every step and raises
        :class:`~orgmodel.run.progress.Cancelled` (see :mod:`orgmodel.run.progress`).
        """
        tracker = Tracker(progress, cancel)
        tracker.check()
        prepared = self.prepare(scenario)
        base = baseline if baseline is not None else build_baseline(scenario, self.plugins)
        names = [v.name for v in scenario.spec.variants]
        for name in variants or ():
            if name not in names:
                raise UserError(f"no variant {name!r} in {scenario.path} (have: {', '.join(names) or 'none'})")
        rules = rule_book_for(scenario, self.plugins)
        chosen = [(i, v) for i, v in enumerate(scenario.spec.variants) if not variants or v.name in variants]
        total = sum(len(v.steps) for _, v in chosen)
        done = 0
        tracker.send("run", done, total, f"{len(chosen)} variant(s), {total} step(s)")
        results = []
        for i, variant in chosen:
            structure = base
            steps = []
            for j, (step, prep) in enumerate(zip(variant.steps, prepared[i], strict=True)):
                tracker.check()
                scope, locks = self._reach(scenario, structure, i, j, step)
                plan = self._propose(scenario, base, structure, variant.name, i, j, step, prep, rules, scope, locks)
                after = self._apply(scenario, structure, plan, variant.name, i, j, prep)
                self._check_reach(scenario, structure, after, plan, variant.name, i, j, prep, scope, locks)
                structure = after
                steps.append(StepResult(j, prep.kind, prep.name, plan, structure))
                done += 1
                tracker.send("run", done, total, f"{variant.name}: step {j} ({prep.name})")
            results.append(VariantResult(variant.name, variant.label, variant.description, tuple(steps), structure))
        if total == 0:
            tracker.send("run", 1, 1, "no steps to apply")
        return RunResult(scenario=scenario, baseline=base, variants=tuple(results))

    @staticmethod
    def _reach(scenario: Scenario, structure: Structure, i: int, j: int, step: Any) -> tuple[Scope, Locks]:
        """The step's scope and locks on the structure it proposes on; an unknown id is an error at its line."""
        units: dict[str, list[str]] = {"scope": [], "locks": []}
        people: list[str] = []
        for key in ("scope", "locks"):
            for k, name in enumerate(getattr(step, key) or ()):
                at = ("variants", i, "steps", j, key, k)
                is_unit = structure.has_unit(name)
                is_member = key == "locks" and _has_member(structure, name)
                if is_unit and is_member:
                    raise scenario.error(at, f"{name!r} names both a unit and a member")
                if is_member:
                    people.append(name)
                    continue
                if not is_unit:
                    what = "unit or member" if key == "locks" else "unit"
                    raise scenario.error(at, f"unknown {what} {name!r}")
                if structure.units.dissolved[structure.unit_code(name)]:
                    raise scenario.error(at, f"unit {name!r} is dissolved by an earlier step")
                units[key].append(name)
        return Scope.of(structure, units["scope"]), Locks.of(structure, units["locks"], people=people)

    @staticmethod
    def _check_reach(scenario: Scenario, before: Structure, after: Structure, plan: Plan, variant: str, i: int,
                     j: int, prep: _Prepared, scope: Scope, locks: Locks) -> None:
        """Refuse a plan that touches a locked unit or reaches outside the step's scope."""
        breach = find_breach(before, after, plan, scope, locks)
        if breach is None:
            return
        where = f"variant {variant}, step {j}"
        if breach.operation is not None:
            where += f", operation {breach.operation} ({breach.op})"
        if prep.kind == "strategy":
            raise PluginError(f"strategy {prep.name}: {where}: {breach.message}", plugin=prep.plugin)
        path: tuple[Any, ...] = ("variants", i, "steps", j, "operations")
        if breach.operation is not None:
            path += (breach.operation,)
        raise scenario.error(path, f"{where}: {breach.message}")

    def _propose(self, scenario: Scenario, base: Structure, structure: Structure, variant: str, i: int, j: int,
                 step: Any, prep: _Prepared, rules: RuleBook, scope: Scope, locks: Locks) -> Plan:
        if prep.kind == "manual":
            return Plan(strategy="manual", fingerprint=structure.fingerprint, operations=list(step.operations))
        ctx = Context(
            structure=structure,
            baseline=base,
            rng=rng_for(scenario.spec.seed, variant, j),
            variant=variant,
            step=j,
            strategy=prep.name,
            params=prep.raw_params,
            templates=getattr(prep.strategy, "templates", {}) or {},
            as_of=scenario.spec.as_of,
            rules=rules,
            scope=scope,
            locks=locks,
        )
        try:
            with collector_paused():  # a plan is many small acyclic objects (orgmodel.model.collector)
                plan = prep.strategy.propose(ctx, prep.params)
        except UserError as exc:
            raise scenario.error(("variants", i, "steps", j), str(exc)) from None
        except Exception as exc:
            raise PluginError(
                f"strategy {prep.name} failed in variant {variant}: {type(exc).__name__}: {' '.join(str(exc).split())}",
                plugin=prep.plugin,
            ) from exc
        if not isinstance(plan, Plan):
            raise PluginError(
                f"strategy {prep.name} returned {type(plan).__name__}, not a Plan", plugin=prep.plugin
            )
        if plan.fingerprint is None:
            plan = plan.model_copy(update={"fingerprint": structure.fingerprint})
        return plan

    def _apply(self, scenario: Scenario, structure: Structure, plan: Plan, variant: str, i: int, j: int,
               prep: _Prepared) -> Structure:
        try:
            return apply(structure, plan, variant=variant, step=j)
        except (PlanError, InvariantError) as exc:
            if prep.kind == "strategy":
                raise PluginError(f"variant {variant}, step {j}: {exc}", plugin=prep.plugin) from None
            operation = getattr(exc, "operation", None)
            path: tuple[Any, ...] = ("variants", i, "steps", j, "operations")
            if operation is not None:
                path += (operation,)
            raise scenario.error(path, _without_origin(str(exc))) from None


def _has_member(structure: Structure, member_id: str) -> bool:
    try:
        structure.member_code(member_id)
    except UserError:
        return False
    return True


def _without_origin(message: str) -> str:
    """Drop the '(strategy manual, operation N)' tail: the file position says it already."""
    cut = message.rfind(" (strategy manual")
    return message[:cut] if cut > 0 else message
