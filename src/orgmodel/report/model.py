"""The report's data model: everything the report says, built from a results folder only.

:func:`report_model` turns a :class:`~orgmodel.run.read.Results` and its
:class:`~orgmodel.analysis.compare.Comparison` into plain data (dicts, lists, strings and numbers,
already in the report's language): the sections, their tables, the diagrams' files. The HTML and
Markdown templates (``report/templates/``) and any later format (a Word report) render this one
model; none of them computes anything. Numbers are the stored ones.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orgmodel import __version__
from orgmodel.analysis.compare import Comparison, moved_text
from orgmodel.model.kinds import DomainPack
from orgmodel.report.glossary import better, explain, missing_reason, unit_word
from orgmodel.run.read import BASELINE, Results

__all__ = ["REPORT_SECTIONS", "Diagram", "Page", "report_model", "number", "text", "same_as_baseline", "focus_metrics"]

# section id -> (zh title, en title); the HTML has an element with each id
REPORT_SECTIONS = {
    "decide": ("方案要点", "The variants at a glance"),
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
class Page:
    """One A4 page of a chart: its title, SVG text, orientation (``portrait`` or ``landscape``),
    its files (relative to the report), the smallest text on it at page size, in points, and the
    DOT text it was drawn from (drawn again at print resolution for the Word report)."""

    title: str
    svg: str
    orientation: str
    files: list[str] = field(default_factory=list)
    min_pt: float = 0.0
    dot: str = ""


@dataclass
class Diagram:
    """A drawn diagram: its key (file stem), title, SVG text (inlined in HTML for the screen),
    files, its A4 pages (what the paper, the PDF and the Word report show) and a note."""

    key: str
    title: str
    svg: str
    files: list[str] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    note: str = ""


def same_as_baseline(results: Results) -> list[str]:
    """Variants with no steps whose structure is the baseline's (shown once, as the baseline)."""
    fp = results.baseline.fingerprint
    return [v.name for v in results.variants[1:] if not v.steps and v.fingerprint == fp]


def focus_metrics(results: Results, metrics: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> list[str]:
    """The metrics the first page states: the scenario's ``report.focus``, or by default the
    metrics with a better direction whose values differ between the variants (at most six)."""
    wanted = list((results.scenario.get("report") or {}).get("focus") or [])
    if wanted:
        return wanted
    out = []
    for m in metrics:
        values = {m["values"].get(k) for k in keys}
        if m["direction"] != "neutral" and not m["name"].startswith("change.") and len(values) > 1:
            out.append(m["name"])
    return out[:6]


def text(lang: str, zh: str, en: str) -> str:
    """The text in the report's language.

    >>> text("en", "概况", "Summary")
    'Summary'
    """
    return zh if lang == "zh" else en


def in_language(words: str, lang: str) -> str:
    """The sentences of a bilingual text in the report's language (all of it when none are).

    >>> in_language("按楼栋拆分。 Split by building.", "zh")
    '按楼栋拆分。'
    >>> in_language("按楼栋拆分。 Split by building.", "en")
    'Split by building.'
    >>> in_language("瑞丽模式。 The pattern of 瑞丽 (seed 004).", "zh")
    '瑞丽模式。'
    """
    parts = [p for p in re.split(r"(?<=[。.!?！？])\s+|\n+", words.strip()) if p.strip()]
    keep = [p for p in parts if _is_chinese(p) == (lang == "zh")]
    return " ".join(keep) if keep else words.strip()


def _is_chinese(sentence: str) -> bool:
    """Whether a sentence is Chinese: more Chinese characters than half its Latin letters."""
    return 2 * len(re.findall(r"[\u4e00-\u9fff]", sentence)) >= len(re.findall(r"[A-Za-z]", sentence)) > -1 and \
        bool(re.search(r"[\u4e00-\u9fff]", sentence))


def punctuation(lang: str) -> dict[str, str]:
    """The colon and brackets of the report's language (full width in Chinese).

    >>> punctuation("en")["colon"], punctuation("zh")["open"]
    (': ', '（')
    """
    return {"colon": "：", "open": "（", "close": "）"} if lang == "zh" else {"colon": ": ", "open": " (", "close": ")"}


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
                 histogram: str = "", strategy_labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The report of ``results`` as plain data (see the module docstring)."""
    c = comparison.data
    twins = same_as_baseline(results)
    keys = [v["key"] for v in c["variants"] if v["name"] not in twins]
    names = {v["key"]: v["name"] for v in c["variants"]}
    labels = {k: _label(results, names[k], lang) for k in keys}
    if twins and BASELINE in labels:
        twin_labels = "、".join(results.variant(t).label for t in twins) if lang == "zh" else \
            ", ".join(results.variant(t).label for t in twins)
        labels[BASELINE] = text(lang, f"现状基线（即“{twin_labels}”）", f"baseline (= {twin_labels})")
    label_key = "label_zh" if lang == "zh" else "label_en"
    notes = _notes(results, [names[k] for k in keys])
    pack = results.kinds.pack
    metric_rows = [_metric_row(m, keys, names, notes, label_key, lang, pack.words) for m in c["metrics"]]
    summary = results.baseline.summary
    scenario = results.scenario
    return {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "p": punctuation(lang),
        "title": str(scenario.get("name", "")),
        "description": in_language(str(scenario.get("description") or ""), lang),
        "meta": {"as_of": text(lang, "基准日期", "as of"), "as_of_value": scenario.get("as_of") or "—",
                 "generated": text(lang, "生成", "generated"), "generated_value": dt.date.today().isoformat(),
                 "version": __version__},
        "sections": {sid: text(lang, zh, en) for sid, (zh, en) in REPORT_SECTIONS.items()},
        "decide": _decide(results, c, keys, names, labels, metric_rows, lang, strategy_labels or {}),
        "summary": _summary(summary, lang, pack),
        "variants_title": text(lang, "方案", "Variants"),
        "variants": _variants(results, lang, strategy_labels or {}, twins),
        "columns": [labels[k] for k in keys],
        "comparison": {
            "head": [text(lang, "指标", "metric"), text(lang, "计量单位", "unit"), text(lang, "方向", "better"),
                     text(lang, "含义", "meaning")],
            "rows": metric_rows,
            "note_html": text(lang, "绿色底纹：按指标方向较优的方案。“—”：未能测量，原因见脚注。",
                              "Shaded: the better value by the metric’s direction. “—”: not measured, the reason is in the footnote."),
            "note_md": "★ " + text(lang, "按指标方向较优；“—”：未能测量，原因见脚注",
                                   "better by the metric's direction; “—”: not measured, reason in the footnote"),
            "missing": _missing(metric_rows, lang),
        },
        "findings": _findings(c, keys, labels, lang, pack),
        "changes": _changes(c, keys, labels, lang, results=results, names=names),
        "diagrams": list(diagrams),
        "charts": list(charts),
        "histogram": histogram,
        "histogram_page": None,
        "paper_word": text(lang, "A4页数", "A4 pages"),
        "histogram_note": pack.word("report.histogram", lang),
        "method": _method_notes(lang, pack),
        "solver": _solver(results, [names[k] for k in keys], [labels[k] for k in keys], lang),
    }


def _solver(results: Results, names: Sequence[str], labels: Sequence[str], lang: str) -> dict[str, Any] | None:
    from orgmodel.report.solver import solver_section  # it uses this module's text and number

    return solver_section(results, names, labels, lang)


def _summary(s: Mapping[str, Any], lang: str, pack: DomainPack) -> dict[str, Any]:
    """The baseline in a few counts, in the domain pack's words (党员, 支部 for the party pack)."""
    member, full, branch = pack.word("members", lang), pack.word("full_members", lang), pack.word("branches", lang)
    rows = [(member, s["members"]["active"]),
            (text(lang, f"其中{full}", f"of whom {full}"), s["members"]["full"]),
            (text(lang, f"{branch}数", branch), s["branches"]["count"]),
            (text(lang, f"最大{branch}人数", f"largest {pack.word('branch', lang)}"), s["branches"]["max"]),
            (text(lang, f"超过50人的{branch}", f"{branch} over 50"), s["branches"]["over_50"]),
            (text(lang, f"超过100人的{branch}", f"{branch} over 100"), s["branches"]["over_100"]),
            (text(lang, "组织层级", "layers"), s["hierarchy"]["depth"])]
    lines = [f"{member}: {s['members']['active']:,} "
             f"({full} {s['members']['full']:,})",
             f"{branch}: {s['branches']['count']:,}; {text(lang, '最大', 'largest')} "
             f"{s['branches']['max']}; {text(lang, '超过50人', 'over 50')} {s['branches']['over_50']}; "
             f"{text(lang, '超过100人', 'over 100')} {s['branches']['over_100']}"]
    return {"rows": [{"label": k, "value": f"{v:,}"} for k, v in rows], "lines": lines}


def _steps(steps: Sequence[Mapping[str, Any]], lang: str, strategy_labels: Mapping[str, str]) -> str:
    """The steps of a variant in words: strategy names in the report's language (the parameters
    are in the results folder's plan files)."""
    words = []
    for s in steps:
        if s.get("kind") == "manual" or not s.get("strategy"):
            words.append(text(lang, "手工调整", "manual changes"))
        else:
            words.append(strategy_labels.get(s["strategy"], s["strategy"]))
    return text(lang, "；", "; ").join(words)


def _variants(results: Results, lang: str, strategy_labels: Mapping[str, str], twins: Sequence[str]) -> list[dict[str, str]]:
    out = []
    for v in results.variants[1:]:
        if v.name in twins:
            continue
        out.append({"name": v.name, "label": v.label, "description": in_language(v.description, lang),
                    "steps": _steps(v.steps, lang, strategy_labels) or text(lang, "维持现状", "no change")})
    return out


def _notes(results: Results, names: Sequence[str]) -> dict[tuple[str, str], str]:
    """(variant, metric value) -> the stored note of a value that is missing."""
    out = {}
    for n in names:
        for v in results.variant(n).values:
            if v["value"] is None:
                out[(n, v["name"])] = str(v.get("note") or "")
    return out


def _metric_row(m: Mapping[str, Any], keys: Sequence[str], names: Mapping[str, str],
                notes: Mapping[tuple[str, str], str], label_key: str, lang: str,
                words: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    cells = []
    for k in keys:
        value = m["values"].get(k)
        reason = "" if value is not None else missing_reason(notes.get((names[k], m["name"])), lang)
        cells.append({"text": number(value), "best": k in m["best"], "value": value, "reason": reason})
    return {"name": m["name"], "label": m[label_key], "unit": unit_word(m["unit"], lang), "direction": m["direction"],
            "better": better(m["direction"], lang), "cells": cells, "best_keys": list(m["best"]),
            "explain": explain(m["name"], lang, label=m[label_key], direction=m["direction"], words=words)}


def _missing(rows: Sequence[Mapping[str, Any]], lang: str) -> list[str]:
    """One footnote per metric with a missing value: which and why (each reason said once)."""
    out = []
    for r in rows:
        reasons = list(dict.fromkeys(c["reason"] for c in r["cells"] if c["text"] == "—"))
        if reasons:
            out.append(f"{r['label']}：{'；'.join(reasons)}" if lang == "zh" else f"{r['label']}: {'; '.join(reasons)}")
    return out


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + number(value) if value else "±0"


def _decide(results: Results, c: Mapping[str, Any], keys: Sequence[str], names: Mapping[str, str],
            labels: Mapping[str, str], rows: Sequence[Mapping[str, Any]], lang: str,
            strategy_labels: Mapping[str, str]) -> dict[str, Any]:
    """The first page: per variant what it is, whether it breaks an error rule, what it changes and
    where it stands on the focus metrics, every sentence read off the stored data."""
    by_name = {r["name"]: r for r in rows}
    focus = focus_metrics(results, [{"name": r["name"], "direction": r["direction"],
                                     "values": {k: cell["value"] for k, cell in zip(keys, r["cells"])}}
                                    for r in rows], keys)
    base_key = next((k for k in keys if names[k] == BASELINE), None)
    col = {k: i for i, k in enumerate(keys)}
    focus_rows = []
    for name in focus:
        r = by_name.get(name)
        if r is None:
            focus_rows.append({"label": name, "unit": "", "better": "", "explain": text(
                lang, "结果中没有这个指标（请检查 report.focus 中的名称）", "no such metric in the results (check the name in report.focus)")})
            continue
        focus_rows.append({"label": r["label"], "unit": r["unit"], "better": r["better"], "explain": r["explain"]})
    cards = []
    for k in keys:
        n = names[k]
        v = results.variant(n)
        counts = c["findings"][k]["counts"]
        ch = c["changes"][k]
        standing = []
        for name in focus:
            r = by_name.get(name)
            if r is None:
                standing.append({"label": name, "value": "—", "change": "", "best": False,
                                 "reason": text(lang, "结果中没有这个指标", "no such metric")})
                continue
            cell = r["cells"][col[k]]
            change = ""
            if base_key is not None and k != base_key and cell["value"] is not None:
                before = r["cells"][col[base_key]]["value"]
                if before is not None:
                    change = text(lang, f"较现状{_signed(cell['value'] - before)}", f"{_signed(cell['value'] - before)} on the baseline")
            best = k in r["best_keys"]
            standing.append({"label": r["label"], "unit": r["unit"], "value": cell["text"], "change": change,
                             "best": best, "reason": cell["reason"]})
        errors = counts["error"]
        cards.append({
            "label": labels[k], "is_baseline": n == BASELINE, "description": in_language(v.description, lang),
            "steps": _steps(v.steps, lang, strategy_labels),
            "errors": errors,
            "errors_text": (text(lang, f"违反强制性规则（错误）{errors}处", f"breaks an error rule {errors} time(s)") if errors
                            else text(lang, "不违反强制性规则", "breaks no error rule")),
            "warnings_text": text(lang, f"一般性要求提示{counts['warning']}处", f"{counts['warning']} warning(s)"),
            "moved": f"{ch['members_moved']:,}", "created": len(ch["created"]), "dissolved": len(ch["dissolved"]),
            "retyped": len(ch["retyped"]), "standing": standing,
        })
    return {
        "intro": text(lang, f"下表逐一列出每个方案：是否违反强制性规则，调整多少{results.kinds.pack.word('member', lang)}的组织关系，新建、撤销、升格或改设多少组织，以及在重点指标上的数值。"
                            "“最优”指在所列方案中按该指标方向数值最好；其余均为计算结果，不含评价。",
                      "Each variant below: whether it breaks an error rule, how many members it moves, how many units it founds, "
                      "dissolves or retypes, and its values on the focus metrics. “best” means the best value among the variants "
                      "by the metric's direction; everything else is computed, not judged."),
        "head": [text(lang, "方案", "variant"), text(lang, "强制性规则", "error rules"),
                 text(lang, "调整组织关系", "members moved"), text(lang, "新建", "founded"),
                 text(lang, "撤销", "dissolved"), text(lang, "升格/改设", "retyped")],
        "cards": cards, "focus": focus_rows,
        "focus_title": text(lang, "重点指标", "Focus metrics"),
        "focus_head": [text(lang, "指标", "metric"), text(lang, "计量单位", "unit"), text(lang, "方向", "better"),
                       text(lang, "含义", "meaning")],
        "best_word": text(lang, "最优", "best"),
        "people": text(lang, "人", " members"),
        "steps_word": text(lang, "做法", "steps"),
    }


def _findings(c: Mapping[str, Any], keys: list[str], labels: Mapping[str, str], lang: str,
              pack: DomainPack) -> dict[str, Any]:
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
        "note": pack.word("report.findings", lang),
        "head": [text(lang, "规则", "rule"), text(lang, "组织", "unit"), text(lang, "数值", "value"),
                 text(lang, "要求", "threshold"), text(lang, "依据", "source")],
        "variants": per_variant,
    }


def _changes(c: Mapping[str, Any], keys: list[str], labels: Mapping[str, str], lang: str, *,
             results: Results | None = None, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    from orgmodel.report.changes import change_summary

    out = []
    for k in keys:
        ch = c["changes"][k]
        if not (ch["created"] or ch["dissolved"] or ch["retyped"] or ch["members_moved"]):
            continue
        tables = []
        for what, zh, en in (("created", "新建组织", "units created"), ("retyped", "升格/改设", "units retyped"),
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
                         f"{len(ch['dissolved'])} · {text(lang, '升格/改设', 'retyped')} {len(ch['retyped'])} · "
                         f"{text(lang, '调整组织关系', 'members moved')} {ch['members_moved']:,}",
            "line_md": f"{text(lang, '新建', 'created')} {len(ch['created'])}, {text(lang, '撤销', 'dissolved')} "
                       f"{len(ch['dissolved'])}, {text(lang, '调整组织关系', 'members moved')} {ch['members_moved']:,}",
            "tables": tables, "flows": flows, "flows_md": flows[:MAX_FLOWS_MD],
            "summary": (change_summary(results.baseline.units, results.variant(names[k]).units, ch, lang=lang)
                        if results is not None and names is not None and names[k] in results.names else None),
        })
    return {"variants": out, "members": text(lang, "人数", "members"), "reason": text(lang, "原因", "reason"),
            "from": text(lang, "从", "from"), "to": text(lang, "到", "to"),
            "appendix": text(lang, "附录：逐单位变化明细", "Appendix: every change, unit by unit"),
            "appendix_note": text(lang, "本附录逐一列出每个方案新建、升格/改设、撤销的组织和每一条人员流向及其原因；"
                                        "实施包（由 orgmodel 按方案生成）列出调动名单和需审批的事项。",
                                  "This appendix lists, per variant, every unit created, retyped or dissolved and every "
                                  "member flow with its reason; the implementation pack (orgmodel pack) lists each "
                                  "variant's transfers and what needs approval."),
            "see_appendix": text(lang, "逐单位明细见附录。", "Every unit and flow is in the appendix.")}


def _method_notes(lang: str, pack: DomainPack) -> list[str]:
    member = pack.word("member", lang)
    return [
        text(lang, f"所有数字由 orgmodel 根据情景文件和名册计算；报告只显示人数，不显示{member}姓名。",
             "Every number is computed by orgmodel from the scenario file and rosters; the report shows counts, never names."),
        text(lang, "规则依据及条款见 findings.csv 和规则包；缺少数据的规则标为“未检查”，不视为合规。",
             "Rule sources are in findings.csv and the rule pack; rules lacking data are marked 'not checked', never passed."),
        pack.word("report.counting", lang),
        text(lang, "同一情景、同一随机种子，结果在任何机器上完全相同。",
             "The same scenario and seed give the same results on any machine."),
    ]
