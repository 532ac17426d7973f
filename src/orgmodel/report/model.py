"""The report's data model: everything the report says, built from a results folder only.

:func:`report_model` turns a :class:`~orgmodel.run.read.Results` and its
:class:`~orgmodel.analysis.compare.Comparison` into plain data (dicts, lists, strings and numbers,
already in the report's language): the sections, their tables, the diagrams' files. The HTML and
Markdown templates (``report/templates/``) and any later format (a Word report) render this one
model; none of them computes anything. Numbers are the stored ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orgmodel import __version__
from orgmodel.analysis.compare import Comparison, moved_text
from orgmodel.run.read import BASELINE, Results

__all__ = ["REPORT_SECTIONS", "Diagram", "report_model", "number", "text"]

# section id -> (zh title, en title); the HTML has an element with each id
REPORT_SECTIONS = {
    "summary": ("概况", "Summary"),
    "comparison": ("方案对比", "Comparison"),
    "findings": ("规则检查", "Rule findings"),
    "changes": ("变化及原因", "What changed and why"),
    "diagrams": ("调整前后对比图", "Before and after"),
    "charts": ("组织结构图", "Org charts"),
    "distribution": ("支部规模分布", "Branch sizes"),
    "method": ("说明", "Notes on method"),
}

#: Most rows a table of the report shows (the CSV files of the results folder hold them all).
MAX_FINDINGS, MAX_UNITS, MAX_FLOWS_HTML, MAX_FLOWS_MD = 40, 60, 80, 40


@dataclass
class Diagram:
    """A drawn diagram: its key (file stem), title, SVG text (inlined in HTML) and files."""

    key: str
    title: str
    svg: str
    files: list[str] = field(default_factory=list)


def text(lang: str, zh: str, en: str) -> str:
    """The text in the report's language.

    >>> text("en", "概况", "Summary")
    'Summary'
    """
    return zh if lang == "zh" else en


def number(value: float | None) -> str:
    """A stored number as the report shows it.

    >>> number(1234.0), number(12.345), number(None)
    ('1,234', '12.3', '—')
    """
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _label(results: Results, name: str, lang: str) -> str:
    return text(lang, "现状基线", "baseline") if name == BASELINE else results.variant(name).label


def report_model(results: Results, comparison: Comparison, *, lang: str = "zh",
                 diagrams: Sequence[Diagram] = (), charts: Sequence[Diagram] = (),
                 histogram: str = "") -> dict[str, Any]:
    """The report of ``results`` as plain data (see the module docstring)."""
    c = comparison.data
    keys = [v["key"] for v in c["variants"]]
    names = {v["key"]: v["name"] for v in c["variants"]}
    labels = {k: _label(results, names[k], lang) for k in keys}
    summary = results.baseline.summary
    scenario = results.scenario
    label_key = "label_zh" if lang == "zh" else "label_en"
    return {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "title": str(scenario.get("name", "")),
        "description": str(scenario.get("description") or ""),
        "meta": {"as_of": text(lang, "基准日期", "as of"), "as_of_value": scenario.get("as_of") or "—",
                 "generated": text(lang, "生成", "generated"), "generated_value": dt.date.today().isoformat(),
                 "version": __version__},
        "sections": {sid: text(lang, zh, en) for sid, (zh, en) in REPORT_SECTIONS.items()},
        "summary": _summary(summary, lang),
        "variants_title": text(lang, "方案", "Variants"),
        "variants": _variants(results, lang),
        "columns": [labels[k] for k in keys],
        "comparison": {
            "head": [text(lang, "指标", "metric"), text(lang, "单位", "unit")],
            "rows": [{"label": m[label_key], "unit": m["unit"],
                      "cells": [{"text": number(m["values"].get(k)), "best": k in m["best"]} for k in keys]}
                     for m in c["metrics"]],
            "note_html": text(lang, "绿色底纹：按指标方向较优的方案。", "Shaded: the better value by the metric’s direction."),
            "note_md": "★ " + text(lang, "按指标方向较优", "better by the metric's direction"),
        },
        "findings": _findings(c, keys, labels, lang),
        "changes": _changes(c, keys, labels, lang),
        "diagrams": list(diagrams),
        "charts": list(charts),
        "histogram": histogram,
        "histogram_note": text(lang, "虚线：50人（支部一般上限）和3人（正式党员下限）。",
                               "Dashed: 50 (branch size rule) and 3 (full members needed)."),
        "method": _method_notes(lang),
    }


def _summary(s: Mapping[str, Any], lang: str) -> dict[str, Any]:
    rows = [(text(lang, "党员", "members"), s["members"]["active"]),
            (text(lang, "其中正式党员", "of whom full"), s["members"]["full"]),
            (text(lang, "支部数", "branches"), s["branches"]["count"]),
            (text(lang, "最大支部人数", "largest branch"), s["branches"]["max"]),
            (text(lang, "超过50人的支部", "branches over 50"), s["branches"]["over_50"]),
            (text(lang, "超过100人的支部", "branches over 100"), s["branches"]["over_100"]),
            (text(lang, "组织层级", "layers"), s["hierarchy"]["depth"])]
    lines = [f"{text(lang, '党员', 'members')}: {s['members']['active']:,} "
             f"({text(lang, '正式', 'full')} {s['members']['full']:,})",
             f"{text(lang, '支部', 'branches')}: {s['branches']['count']:,}; {text(lang, '最大', 'largest')} "
             f"{s['branches']['max']}; {text(lang, '超过50人', 'over 50')} {s['branches']['over_50']}; "
             f"{text(lang, '超过100人', 'over 100')} {s['branches']['over_100']}"]
    return {"rows": [{"label": k, "value": f"{v:,}"} for k, v in rows], "lines": lines}


def _variants(results: Results, lang: str) -> list[dict[str, str]]:
    out = []
    for v in results.variants[1:]:
        steps = "; ".join(s["strategy"] + (" (" + ", ".join(f"{k}: {p}" for k, p in s["params"].items()) + ")"
                                           if s.get("params") else "") for s in v.steps)
        out.append({"name": v.name, "label": v.label, "steps": steps or text(lang, "维持现状", "no change")})
    return out


def _findings(c: Mapping[str, Any], keys: list[str], labels: Mapping[str, str], lang: str) -> dict[str, Any]:
    counts = []
    for sev, zh, en, in_md in (("error", "错误（应当）", "errors (shall)", True),
                               ("warning", "提示（一般）", "warnings (as a rule)", True),
                               ("approved", "已批准例外", "approved exceptions", False),
                               ("not_checked", "未检查（缺少数据）", "not checked (data missing)", True)):
        md = {"error": text(lang, "错误", "errors"), "warning": text(lang, "提示", "warnings"),
              "not_checked": text(lang, "未检查", "not checked")}.get(sev, "")
        counts.append({"label": text(lang, zh, en), "label_md": md, "in_md": in_md,
                       "cells": [c["findings"][k]["counts"][sev] for k in keys]})
    per_variant = []
    for k in keys:
        items = [f for f in c["findings"][k]["items"] if f["status"] == "violated"]
        if not items:
            continue
        rows = [{"severity": "err" if f["severity"] == "error" else "warn",
                 "title": f["title_zh"] if lang == "zh" else f["title_en"], "unit": f["unit_name"] or "",
                 "value": number(f["value"]), "threshold": f["threshold"], "source": f["source"]}
                for f in items[:MAX_FINDINGS]]
        more = len(items) - MAX_FINDINGS
        per_variant.append({"label": labels[k], "rows": rows, "more": text(
            lang, f"另有{more}条，见 findings.csv。", f"{more} more in findings.csv.") if more > 0 else ""})
    return {
        "counts": counts,
        "note": text(lang, "新建支部尚未选出书记和支委的，按 committee.when / secretary.when 计为错误：方案落实时须按程序选举产生。",
                     "New branches without an elected secretary and committee count as errors under committee.when / "
                     "secretary.when: they are elected when the variant is carried out."),
        "head": [text(lang, "规则", "rule"), text(lang, "组织", "unit"), text(lang, "数值", "value"),
                 text(lang, "要求", "threshold"), text(lang, "依据", "source")],
        "variants": per_variant,
    }


def _changes(c: Mapping[str, Any], keys: list[str], labels: Mapping[str, str], lang: str) -> dict[str, Any]:
    out = []
    for k in keys:
        ch = c["changes"][k]
        if not (ch["created"] or ch["dissolved"] or ch["retyped"] or ch["members_moved"]):
            continue
        tables = []
        for what, zh, en in (("created", "新建组织", "units created"), ("retyped", "升格或改设", "units retyped"),
                             ("dissolved", "撤销组织", "units dissolved")):
            if ch[what]:
                tables.append({"title": text(lang, zh, en), "rows": [
                    {"name": u["name"], "size": u.get("members", u.get("size", "")),
                     "reason": (u.get("reason") or {}).get(lang, "")} for u in ch[what][:MAX_UNITS]]})
        flows = [{"from": f["from_name"], "to": f["to_name"], "count": f"{f['count']:,}",
                  "reasons": [f"{moved_text(r, lang).strip()}: {r.get(lang) or r['code']}" for r in f["reasons"]]}
                 for f in ch["flows"][:MAX_FLOWS_HTML]]
        out.append({
            "label": labels[k], "in_md": bool(ch["members_moved"] or ch["created"]),
            "line_html": f"{text(lang, '新建', 'created')} {len(ch['created'])} · {text(lang, '撤销', 'dissolved')} "
                         f"{len(ch['dissolved'])} · {text(lang, '升格或改设', 'retyped')} {len(ch['retyped'])} · "
                         f"{text(lang, '调整组织关系', 'members moved')} {ch['members_moved']:,}",
            "line_md": f"{text(lang, '新建', 'created')} {len(ch['created'])}, {text(lang, '撤销', 'dissolved')} "
                       f"{len(ch['dissolved'])}, {text(lang, '调整组织关系', 'members moved')} {ch['members_moved']:,}",
            "tables": tables, "flows": flows, "flows_md": flows[:MAX_FLOWS_MD],
        })
    return {"variants": out, "members": text(lang, "人数", "members"), "reason": text(lang, "原因", "reason"),
            "from": text(lang, "从", "from"), "to": text(lang, "到", "to")}


def _method_notes(lang: str) -> list[str]:
    return [
        text(lang, "所有数字由 orgmodel 根据情景文件和名册计算；报告只显示人数，不显示党员姓名。",
             "Every number is computed by orgmodel from the scenario file and rosters; the report shows counts, never names."),
        text(lang, "规则依据及条款见 findings.csv 和规则包；缺少数据的规则标为“未检查”，不视为合规。",
             "Rule sources are in findings.csv and the rule pack; rules lacking data are marked 'not checked', never passed."),
        text(lang, "人数按组织关系计算（含预备党员）；“正式党员”只计正式党员。",
             "Sizes count members by organisational relation (probationary included); 'full' counts full members only."),
        text(lang, "同一情景、同一随机种子，结果在任何机器上完全相同。",
             "The same scenario and seed give the same results on any machine."),
    ]
