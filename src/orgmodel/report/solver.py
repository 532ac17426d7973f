"""The report's solver section: what an optimising strategy says about its own solve, from the plan files.

:func:`solver_section` reads the ``solver`` record of each step's plan (``plan.meta["solver"]``,
docs/plans.md; plans written before ``meta`` existed kept it in ``params["solver"]`` and
``params["objective"]``) from the results folder and turns it into plain data for the templates
``solver.html.j2`` and ``solver.md.j2`` and the Word report: the solver's status in words, the gap
and the bound, and each objective term with its value, weight and weighted cost. Every number is
the stored one; nothing is solved or recomputed.

>>> status_text("feasible", 0.0077, "zh"), status_text("optimal", 0.0, "en")
('可行解（与下界差距0.77%）', 'optimal (proved)')
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from orgmodel.report.model import number, text
from orgmodel.run.read import Results

__all__ = ["solver_section", "status_text", "solver_record"]

def status_text(status: str, gap: float | None, lang: str) -> str:
    """The solver's status in words: optimal, feasible with its gap, or infeasible."""
    if status == "optimal":
        return text(lang, "最优（已证明）", "optimal (proved)")
    if status == "feasible":
        pct = f"{100 * float(gap or 0):.2f}%"
        return text(lang, f"可行解（与下界差距{pct}）", f"feasible (gap to the bound {pct})")
    if status == "infeasible":
        return text(lang, "无可行解", "infeasible")
    return status


def solver_record(plan: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``solver`` record of a plan (its JSON data), from ``meta`` or, in older plans, ``params``."""
    record = (plan.get("meta") or {}).get("solver")
    if isinstance(record, Mapping):
        return dict(record)
    params = plan.get("params") or {}
    old = params.get("solver")
    if isinstance(old, Mapping):
        return {**old, "terms": dict(params.get("objective") or {})}
    return None


def solver_section(results: Results, names: Sequence[str], labels: Sequence[str], lang: str) -> dict[str, Any] | None:
    """The section's data for the variants ``names`` (shown as ``labels``), or None when no step
    of them has a solver record."""
    entries = []
    for name, label in zip(names, labels, strict=True):
        v = results.variant(name)
        for step in v.steps:
            record = solver_record(json.loads(v.plan_text(step["index"])))
            if record is None:
                continue
            entries.append(_entry(record, label, step, len(v.steps), lang))
    if not entries:
        return None
    return {
        "title": text(lang, "优化求解", "The optimised variants' solve"),
        "intro": text(lang, "以下数字是优化方案求解时求解器记录在方案文件中的结果：求解状态、目标值与下界之差（差距）、"
                            "以及目标函数各项的数值和权重（加权值之和即目标值）。各方案的调整代价（调整组织关系人数、新建和撤销组织数）"
                            "并列于“方案要点”表。",
                      "What the solver recorded in each optimised variant's plan file: its status, the gap between the "
                      "objective and its bound, and each objective term with its value and weight (the weighted values "
                      "add up to the objective). The change cost of every variant (members moved, units founded and "
                      "dissolved) stands side by side in the table of the variants at a glance."),
        "head": [text(lang, "目标项", "objective term"), text(lang, "数值", "value"), text(lang, "权重", "weight"),
                 text(lang, "加权值", "weighted")],
        "facts_head": [text(lang, "项目", "item"), text(lang, "结果", "value")],
        "variants": entries,
    }


def _entry(record: Mapping[str, Any], label: str, step: Mapping[str, Any], n_steps: int, lang: str) -> dict[str, Any]:
    status = str(record.get("status", ""))
    gap = record.get("gap")
    title = label if n_steps == 1 else text(lang, f"{label}（第{int(step['index']) + 1}步）",
                                            f"{label} (step {int(step['index']) + 1})")
    facts = [(text(lang, "求解器", "solver"), str(record.get("name", "—"))),
             (text(lang, "求解状态", "status"), status_text(status, gap, lang)),
             (text(lang, "目标值", "objective"), number(record.get("objective"))),
             (text(lang, "下界", "bound"), number(record.get("bound"))),
             (text(lang, "差距", "gap"), f"{100 * float(gap):.2f}%" if gap is not None else "—")]
    if record.get("parts") is not None:
        split = text(lang, "；按区域分解求解", "; split by area") if record.get("decomposed") else ""
        facts.append((text(lang, "独立求解的部分", "parts solved apart"),
                      f"{int(record['parts']):,}{split}"))
    if record.get("time_limit") is not None:
        facts.append((text(lang, "每部分时限（秒）", "time limit per part (s)"), number(record["time_limit"])))
    terms = []
    stored = record.get("terms") or {}
    # in the order and with the labels the record gives (its keys are sorted in the plan file)
    for key in sorted(stored, key=lambda k: (stored[k].get("order", len(stored)), k)):
        term = stored[key]
        value, weight = term.get("value"), term.get("weight")
        zh, en = term.get("label_zh") or key, term.get("label_en") or key
        weighted = number(float(value) * float(weight)) if value is not None and weight is not None else "—"
        terms.append({"label": text(lang, zh, en), "value": number(value), "weight": number(weight), "weighted": weighted})
    line = text(lang, f"求解状态：{status_text(status, gap, lang)}；目标值 {number(record.get('objective'))}，下界 {number(record.get('bound'))}。",
                f"Status: {status_text(status, gap, lang)}; objective {number(record.get('objective'))}, bound {number(record.get('bound'))}.")
    return {"label": title, "status": status, "line": line,
            "facts": [{"label": k, "value": v} for k, v in facts], "terms": terms}
