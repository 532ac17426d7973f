"""Check and measure every variant of a run, and say what changed and why.

:func:`evaluate` takes a :class:`~orgmodel.run.engine.RunResult` and the plugins, and returns one
:class:`VariantEvaluation` per variant (the baseline included, as ``baseline``): metric values,
rule findings, the unit table and assignment the results folder stores, and the changes against
the baseline (:mod:`orgmodel.run.changes`, computed here once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orgmodel.run.engine import RunResult
from orgmodel.analysis.metrics import MeasureContext, Value, measure
from orgmodel.model.collector import collector_paused
from orgmodel.model.plan import Plan
from orgmodel.plugin.host import PluginHost
from orgmodel.analysis.rulebook import rule_packs_for as _rule_packs_for
from orgmodel.analysis.rules import Approval, Finding, RulePack, check_rules
from orgmodel.model.structure import Structure
from orgmodel.run.changes import changes_between, empty_changes, variant_tables
from orgmodel.run.tables import Assignment, UnitTable

__all__ = ["VariantEvaluation", "evaluate", "rule_packs_for", "BASELINE"]

BASELINE = "baseline"


@dataclass(frozen=True)
class VariantEvaluation:
    """Metrics, findings, stored tables and changes of one variant."""

    name: str
    label: str
    values: list[Value]
    findings: list[Finding]
    changes: dict[str, Any] = field(default_factory=empty_changes)
    units: UnitTable | None = None
    assignment: Assignment | None = None

    def value(self, name: str) -> float | None:
        """The value of metric value ``name`` (e.g. ``branch_size.max``)."""
        for v in self.values:
            if v.name == name:
                return v.value
        raise KeyError(name)


def rule_packs_for(result: RunResult, plugins: PluginHost) -> list[RulePack]:
    """The rule packs of the run's scenario (see :func:`orgmodel.analysis.rulebook.rule_packs_for`)."""
    return _rule_packs_for(result.scenario, plugins)


def evaluate(result: RunResult, plugins: PluginHost) -> list[VariantEvaluation]:
    """Evaluate the baseline and every variant of ``result``.

    Python's cyclic collector is paused meanwhile: the changes, reasons and roles are many small
    acyclic objects that every automatic collection would walk again (see
    :mod:`orgmodel.model.collector`).
    """
    with collector_paused():
        return _evaluate(result, plugins)


def _evaluate(result: RunResult, plugins: PluginHost) -> list[VariantEvaluation]:
    spec = result.scenario.spec
    packs = rule_packs_for(result, plugins)
    registry = plugins.metrics()
    metrics = list(registry)
    owners = {m.name: registry.owner(m.name) for m in metrics}
    approvals = [Approval(unit=a.unit, rule=a.rule, note=a.note) for a in spec.rules.approvals]

    base_units, base_assignment = variant_tables(result.baseline, result.baseline, [])

    def one(name: str, label: str, structure: Structure, plans: list[Plan]) -> VariantEvaluation:
        ctx = MeasureContext(structure, baseline=result.baseline, plans=plans, as_of=spec.as_of)
        findings = check_rules(structure, packs, approvals=approvals, enable=spec.rules.enable,
                               disable=spec.rules.disable, as_of=spec.as_of)
        if plans:
            units, assignment = variant_tables(result.baseline, structure, plans)
            changes = changes_between(base_units, base_assignment, units, assignment)
        else:
            units, assignment, changes = base_units, base_assignment, empty_changes()
            if structure is not result.baseline:
                units, assignment = variant_tables(result.baseline, structure, plans)
        return VariantEvaluation(name, label, measure(ctx, metrics, owners=owners), findings, changes,
                                 units, assignment)

    out = [one(BASELINE, "现状基线", result.baseline, [])]
    for v in result.variants:
        out.append(one(v.name, v.label or v.name, v.structure, [s.plan for s in v.steps]))
    return out
