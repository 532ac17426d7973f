"""Check and measure every variant of a run, and say what changed and why.

:func:`evaluate` takes a :class:`~orgmodel.run.engine.RunResult` and the plugins, and returns one
:class:`VariantEvaluation` per variant (the baseline included, as ``baseline``): metric values,
rule findings, and the changes against the baseline built from the structures and the plans.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from orgmodel.run.engine import RunResult
from orgmodel.analysis.metrics import MeasureContext, Value, measure
from orgmodel.model.plan import Plan
from orgmodel.plugin.host import PluginHost
from orgmodel.analysis.rulebook import rule_packs_for as _rule_packs_for
from orgmodel.analysis.rules import Approval, Finding, RulePack, check_rules
from orgmodel.model.structure import Structure

__all__ = ["VariantEvaluation", "evaluate", "changes_between", "rule_packs_for"]

BASELINE = "baseline"


@dataclass(frozen=True)
class VariantEvaluation:
    """Metrics, findings and changes of one variant."""

    name: str
    label: str
    values: list[Value]
    findings: list[Finding]
    changes: dict[str, Any] = field(default_factory=dict)

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
    """Evaluate the baseline and every variant of ``result``."""
    spec = result.scenario.spec
    packs = rule_packs_for(result, plugins)
    registry = plugins.metrics()
    metrics = list(registry)
    owners = {m.name: registry.owner(m.name) for m in metrics}
    approvals = [Approval(unit=a.unit, rule=a.rule, note=a.note) for a in spec.rules.approvals]

    def one(name: str, label: str, structure: Structure, plans: list[Plan]) -> VariantEvaluation:
        ctx = MeasureContext(structure, baseline=result.baseline, plans=plans, as_of=spec.as_of)
        findings = check_rules(structure, packs, approvals=approvals, enable=spec.rules.enable,
                               disable=spec.rules.disable, as_of=spec.as_of)
        changes = changes_between(result.baseline, structure, plans) if plans else {}
        return VariantEvaluation(name, label, measure(ctx, metrics, owners=owners), findings, changes)

    out = [one(BASELINE, "现状基线", result.baseline, [])]
    for v in result.variants:
        out.append(one(v.name, v.label or v.name, v.structure, [s.plan for s in v.steps]))
    return out


def changes_between(before: Structure, after: Structure, plans: list[Plan] | tuple[Plan, ...] = ()) -> dict[str, Any]:
    """What changed from ``before`` to ``after``, aggregated, with the plans' reasons.

    ``after`` must descend from ``before`` (unit codes of ``before`` keep their meaning).
    Returns created, dissolved, retyped and resized units, and member flows (from, to, count,
    reasons by code).
    """
    n = before.n_units
    reasons = _unit_reasons(plans, after, n)
    was_live = ~before.units.dissolved
    live_after = ~after.units.dissolved
    b_sizes, a_sizes = before.sizes(), after.sizes()
    org_after = after.kinds.is_org[after.units.kind]

    def unit_row(code: int, s: Structure) -> dict[str, Any]:
        uid = str(s.units.ids[code])
        kind = s.kinds[int(s.units.kind[code])]
        return {"id": uid, "name": str(s.units.name[code]), "kind": kind.id, "label_zh": kind.label_zh,
                "label_en": kind.label_en, "reason": reasons.get(uid)}

    created = [dict(unit_row(c, after), size=int(a_sizes[c]))
               for c in np.flatnonzero(live_after[n:] & org_after[n:]) + n]
    dissolved = [dict(unit_row(c, before), size=int(b_sizes[c]))
                 for c in np.flatnonzero(was_live & after.units.dissolved[:n])]
    retyped = []
    for c in np.flatnonzero(was_live & live_after[:n] & (after.units.kind[:n] != before.units.kind)):
        row = unit_row(c, after)
        row["from_kind"] = before.kinds[int(before.units.kind[c])].id
        retyped.append(row)
    resized = []
    for c in np.flatnonzero(was_live & live_after[:n] & (a_sizes[:n] != b_sizes)):
        if after.kinds.is_branch[after.units.kind[c]] or before.kinds.is_branch[before.units.kind[c]]:
            resized.append(dict(unit_row(c, after), before=int(b_sizes[c]), after=int(a_sizes[c])))
    flows = _flows(before, after, plans)
    return {
        "created": created,
        "dissolved": dissolved,
        "retyped": retyped,
        "resized": resized,
        "flows": flows,
        "members_moved": int(sum(f["count"] for f in flows)),
    }


def _unit_reasons(plans: list[Plan] | tuple[Plan, ...], after: Structure, n_before: int) -> dict[str, dict[str, Any]]:
    """Reason of the operation that created, dissolved or retyped each unit (by final id).

    Created units have ids ``variant/step/key`` (see :func:`orgmodel.model.apply.new_unit_id`), and a
    variant's plans are its steps in order.
    """
    out: dict[str, dict[str, Any]] = {}
    created: dict[tuple[str, str], str] = {}
    for uid in after.units.ids[n_before:].tolist():
        parts = str(uid).split("/", 2)
        if len(parts) == 3:
            created[(parts[1], parts[2])] = str(uid)
    for step, plan in enumerate(plans):
        for op in plan.operations:
            target = getattr(op, "unit", None)
            if op.op in ("create_unit", "create_host"):
                target = created.get((str(step), op.key))
            if target and op.op in ("create_unit", "create_host", "dissolve", "retype"):
                out[target] = {"code": op.reason.code, "zh": op.reason.render("zh", plan.templates),
                               "en": op.reason.render("en", plan.templates)}
    return out


def _flows(before: Structure, after: Structure, plans: list[Plan] | tuple[Plan, ...]) -> list[dict[str, Any]]:
    active = after.members["active"] & before.members["active"]
    src = before.members["branch"]
    dst = after.members["branch"]
    moved = np.flatnonzero(active & (src != dst))
    if not len(moved):
        return []
    # every moved member's operation: its move, or else the dissolve that took it (last step wins)
    op_of: dict[str, int] = {}
    texts: list[tuple[str, str, str]] = []
    for plan in plans:
        for op in plan.operations:
            if op.op in ("move_members", "dissolve"):
                texts.append((op.reason.code, op.reason.render("zh", plan.templates), op.reason.render("en", plan.templates)))
                if op.op == "move_members":
                    for m in op.members:
                        op_of[m] = len(texts) - 1
                else:
                    op_of[f"unit:{op.unit}"] = len(texts) - 1
    width = np.int64(after.n_units + 1)
    keys = src[moved].astype(np.int64) * width + dst[moved]
    order = np.argsort(keys, kind="stable")
    keys, moved = keys[order], moved[order]
    uniq, starts = np.unique(keys, return_index=True)
    bounds = list(starts) + [len(keys)]
    ids = after.members.ids
    out = []
    for i, key in enumerate(uniq.tolist()):
        members = moved[bounds[i]:bounds[i + 1]]
        a, b = divmod(key, int(width))
        source = f"unit:{after.units.ids[a]}"
        per_op = Counter(op_of.get(str(ids[m]), op_of.get(source, -1)) for m in members.tolist())
        # operations with the same sentence (one per group, say) are one reason moved in batches
        merged: dict[tuple[str, str, str], list[int]] = {}
        for op, n in sorted(per_op.items()):
            merged.setdefault(texts[op] if op >= 0 else ("unexplained", "", ""), []).append(n)
        out.append({
            "from": str(after.units.ids[a]), "from_name": str(before.units.name[a]),
            "to": str(after.units.ids[b]), "to_name": str(after.units.name[b]),
            "count": int(len(members)),
            "reasons": [{"code": code, "count": sum(ns), "batches": len(ns), "zh": zh, "en": en}
                        for (code, zh, en), ns in sorted(merged.items(), key=lambda r: (-sum(r[1]), r[0]))],
        })
    out.sort(key=lambda f: (-f["count"], f["from"], f["to"]))
    return out
