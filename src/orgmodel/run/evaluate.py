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
from orgmodel.model.plan import Plan
from orgmodel.plugin.host import PluginHost
from orgmodel.analysis.rules import Approval, Finding, RulePack, check_rules, load_rule_pack
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
    """The rule packs a scenario asks for: named packs (default all of its domain) and files."""
    spec = result.scenario.spec.rules
    registry = plugins.rule_packs()
    domain = result.scenario.spec.domain
    if spec.packs is None:
        packs = [p for p in registry if p.domain == domain]
    else:
        packs = []
        for i, name in enumerate(spec.packs):
            if name not in registry:
                have = ", ".join(registry.names()) or "none installed"
                raise result.scenario.error(("rules", "packs", i), f"unknown rule pack {name!r} (available: {have})")
            packs.append(registry.get(name))
    for rel in spec.files:
        packs.append(load_rule_pack(result.scenario.folder / rel))
    known = {r.id for p in packs for r in p.rules}
    for key in ("enable", "disable"):
        for i, rule in enumerate(getattr(spec, key)):
            if rule not in known:
                raise result.scenario.error(("rules", key, i), f"unknown rule {rule!r}")
    approvable = {r.id for p in packs for r in p.rules if r.approvable}
    for i, approval in enumerate(spec.approvals):
        # an approval that cannot take effect must not be silently ignored
        if approval.rule not in known:
            raise result.scenario.error(("rules", "approvals", i, "rule"), f"unknown rule {approval.rule!r}")
        if approval.rule not in approvable:
            have = ", ".join(sorted(approvable)) or "none"
            raise result.scenario.error(("rules", "approvals", i, "rule"),
                                        f"rule {approval.rule!r} allows no approval (approvable: {have})")
    return packs


def evaluate(result: RunResult, plugins: PluginHost) -> list[VariantEvaluation]:
    """Evaluate the baseline and every variant of ``result``."""
    spec = result.scenario.spec
    packs = rule_packs_for(result, plugins)
    registry = plugins.metrics()
    metrics = list(registry)
    owners = {m.name: registry.owner(m.name) for m in metrics}
    approvals = [Approval(unit=a.unit, rule=a.rule, note=a.note) for a in spec.rules.approvals]

    base_units, base_assignment = variant_tables(result.baseline, result.baseline, [])

    def one(name: str, label: str, structure: Structure, plans: list[Plan]) -> VariantEvaluation:
        ctx = MeasureContext(structure, baseline=result.baseline, plans=plans)
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
