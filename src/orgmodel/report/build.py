"""Build the report of a run: sections as data, then HTML and Markdown from the same data."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from orgmodel import __version__
from orgmodel.analysis.compare import Comparison, moved_text
from orgmodel.run.engine import RunResult
from orgmodel.run.evaluate import BASELINE, VariantEvaluation
from orgmodel.analysis.metrics import MeasureContext
from orgmodel.render import diff_chart, org_chart, render, small_multiples_svg
from orgmodel.render.labels import findings_by_unit
from orgmodel.analysis.summary import summarise
from orgmodel.report.plots import FONT, size_histogram

__all__ = ["write_report", "REPORT_SECTIONS"]

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


@dataclass
class _Diagram:
    key: str
    title: str
    svg: str
    files: list[str] = field(default_factory=list)


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _inline(svg: bytes | str) -> str:
    """An SVG document as an element to put inside HTML (no XML prolog or doctype)."""
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    text = re.sub(r"<\?xml[^>]*\?>", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>", "", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    return text.strip()


def _draw(dot_text: str, folder: Path, key: str, formats: tuple[str, ...]) -> tuple[str, list[str]]:
    files = []
    svg = ""
    for fmt in formats:
        path = render(dot_text, folder / f"{key}.{fmt}")
        files.append(f"diagrams/{path.name}")
        if fmt == "svg":
            svg = path.read_text(encoding="utf-8")
    return svg, files


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def write_report(
    result: RunResult,
    evaluations: list[VariantEvaluation],
    comparison: Comparison,
    folder: Path,
    *,
    lang: str = "zh",
    formats: tuple[str, ...] = ("svg", "png", "pdf"),
    budget: int = 150,
) -> Path:
    """Write ``report.html``, ``report.md`` and ``diagrams/`` into ``folder``; returns the HTML path."""
    folder = Path(folder)
    diagrams_dir = folder / "diagrams"
    diagrams_dir.mkdir(parents=True, exist_ok=True)
    formats = tuple(dict.fromkeys(("svg",) + tuple(formats)))
    by_name = {e.name: e for e in evaluations}
    spec = result.scenario.spec

    charts: list[_Diagram] = []
    base_findings = findings_by_unit(by_name[BASELINE].findings, lang)
    title = _t(lang, f"{spec.name}：现状组织结构", f"{spec.name}: the baseline")
    svg, files = _draw(org_chart(result.baseline, lang=lang, budget=budget, findings=base_findings, title=title),
                       diagrams_dir, "baseline-orgchart", formats)
    charts.append(_Diagram("baseline-orgchart", title, svg, files))
    diffs: list[_Diagram] = []
    for v in result.variants:
        if not v.steps:
            continue
        label = v.label or v.name
        title = _t(lang, f"{label}：调整后组织结构", f"{label}: org chart")
        findings = findings_by_unit(by_name[v.name].findings, lang)
        svg, files = _draw(org_chart(v.structure, lang=lang, budget=budget, findings=findings, title=title),
                           diagrams_dir, f"{v.name}-orgchart", formats)
        charts.append(_Diagram(f"{v.name}-orgchart", title, svg, files))
        title = _t(lang, f"{label}：调整前后对比", f"{label}: before and after")
        plans = [(v.name, st.index, st.plan) for st in v.steps]
        svg, files = _draw(diff_chart(result.baseline, v.structure, plans=plans, lang=lang, budget=budget, title=title,
                                      max_flows=40),
                           diagrams_dir, f"{v.name}-diff", formats)
        diffs.append(_Diagram(f"{v.name}-diff", title, svg, files))
    if len(diffs) > 1:
        page = small_multiples_svg([d.svg for d in diffs], [d.title for d in diffs])
        path = diagrams_dir / "all-variants-diff.svg"
        path.write_text(page, encoding="utf-8")
        diffs.insert(0, _Diagram("all-variants-diff", _t(lang, "各方案对比一览", "All variants at a glance"),
                                 page, [f"diagrams/{path.name}"]))

    sizes = {}
    for e in evaluations:
        structure = result.baseline if e.name == BASELINE else result.variant(e.name).structure
        branches = MeasureContext(structure).is_branch  # live branches, reserved units excepted
        sizes[e.label if e.name != BASELINE else _t(lang, "现状基线", "baseline")] = structure.sizes()[branches].tolist()
    histogram = size_histogram(sizes, title=_t(lang, "支部规模分布", "Branch sizes"),
                               x_label=_t(lang, "支部党员人数", "members per branch"), y_label=_t(lang, "支部数", "branches"))
    (diagrams_dir / "branch-sizes.svg").write_text(histogram, encoding="utf-8")

    data = _data(result, evaluations, comparison, lang)
    html = _html(data, charts, diffs, histogram, lang)
    md = _markdown(data, charts, diffs, lang)
    (folder / "report.html").write_text(html, encoding="utf-8")
    (folder / "report.md").write_text(md, encoding="utf-8")
    return folder / "report.html"


def _data(result: RunResult, evaluations: list[VariantEvaluation], comparison: Comparison, lang: str) -> dict[str, Any]:
    spec = result.scenario.spec
    summary = summarise(result.baseline)
    return {
        "title": spec.name,
        "description": spec.description,
        "as_of": spec.as_of.isoformat() if spec.as_of else None,
        "generated": dt.date.today().isoformat(),
        "summary": summary,
        "comparison": comparison.data,
        "evaluations": evaluations,
        "variants": [(e.name, e.label if e.name != BASELINE else _t(lang, "现状基线", "baseline")) for e in evaluations],
        "steps": {v.name: [(s.strategy, s.plan.params) for s in v.steps] for v in result.variants},
    }


CSS = f"""
body {{ font-family: {FONT}; margin: 0 auto; max-width: 1180px; padding: 24px 32px 64px; color: #222; line-height: 1.55; }}
h1 {{ font-size: 26px; margin-bottom: 4px; }} h2 {{ font-size: 20px; border-bottom: 2px solid #c0392b; padding-bottom: 4px; margin-top: 40px; }}
h3 {{ font-size: 16px; margin-top: 24px; }} .meta {{ color: #666; font-size: 13px; }}
table {{ border-collapse: collapse; margin: 12px 0; font-size: 13px; }} th, td {{ border: 1px solid #ccc; padding: 4px 8px; }}
th {{ background: #f3f3f3; white-space: nowrap; }} td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
td.best {{ background: #e8f5e9; font-weight: bold; }} .err {{ color: #c0392b; font-weight: bold; }} .warn {{ color: #d35400; }}
figure {{ margin: 16px 0 32px; }} figure svg {{ max-width: 100%; height: auto; border: 1px solid #eee; }}
figcaption {{ color: #555; font-size: 13px; }} nav a {{ margin-right: 14px; }} .files {{ font-size: 12px; color: #777; }}
@media print {{ nav {{ display: none; }} h2 {{ page-break-before: always; }} figure {{ page-break-inside: avoid; }} }}
"""


def _html(data: dict[str, Any], charts: list[_Diagram], diffs: list[_Diagram], histogram: str, lang: str) -> str:
    c = data["comparison"]
    keys = [v["key"] for v in c["variants"]]
    labels = dict(data["variants"])
    out = [f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
           f"<title>{escape(data['title'])}</title><style>{CSS}</style></head><body>",
           f"<h1>{escape(data['title'])}</h1>",
           f'<p class="meta">{escape(data["description"])}</p>' if data["description"] else "",
           f'<p class="meta">{_t(lang, "基准日期", "as of")}: {escape(data["as_of"] or "—")} · '
           f'{_t(lang, "生成", "generated")}: {escape(data["generated"])} · orgmodel {escape(__version__)}</p>',
           "<nav>" + "".join(f'<a href="#{sid}">{escape(_t(lang, zh, en))}</a>' for sid, (zh, en) in REPORT_SECTIONS.items()) + "</nav>"]

    def section(sid: str) -> None:
        zh, en = REPORT_SECTIONS[sid]
        out.append(f'<section id="{sid}"><h2>{escape(_t(lang, zh, en))}</h2>')

    # summary
    s = data["summary"]
    section("summary")
    out.append("<table><tbody>")
    rows = [(_t(lang, "党员", "members"), s["members"]["active"]), (_t(lang, "其中正式党员", "of whom full"), s["members"]["full"]),
            (_t(lang, "支部数", "branches"), s["branches"]["count"]),
            (_t(lang, "最大支部人数", "largest branch"), s["branches"]["max"]),
            (_t(lang, "超过50人的支部", "branches over 50"), s["branches"]["over_50"]),
            (_t(lang, "超过100人的支部", "branches over 100"), s["branches"]["over_100"]),
            (_t(lang, "组织层级", "layers"), s["hierarchy"]["depth"])]
    out += [f'<tr><th>{escape(k)}</th><td class="num">{v:,}</td></tr>' for k, v in rows]
    out.append("</tbody></table>")
    out.append(f"<h3>{_t(lang, '方案', 'Variants')}</h3><ul>")
    for name, label in data["variants"]:
        if name == BASELINE:
            continue
        steps = data["steps"].get(name, [])
        text = "; ".join(escape(st) + (" (" + escape(", ".join(f"{k}: {v}" for k, v in p.items())) + ")" if p else "")
                         for st, p in steps) or _t(lang, "维持现状", "no change")
        out.append(f"<li><b>{escape(label)}</b> ({escape(name)}): {text}</li>")
    out.append("</ul></section>")

    # comparison
    section("comparison")
    label_key = "label_zh" if lang == "zh" else "label_en"
    out.append("<table><thead><tr><th>" + _t(lang, "指标", "metric") + "</th><th>" + _t(lang, "单位", "unit") + "</th>")
    out += [f"<th>{escape(labels.get(k, k))}</th>" for k in keys]
    out.append("</tr></thead><tbody>")
    for m in c["metrics"]:
        out.append(f"<tr><td>{escape(m[label_key])}</td><td>{escape(m['unit'])}</td>")
        for k in keys:
            cls = "num best" if k in m["best"] else "num"
            out.append(f'<td class="{cls}">{escape(_number(m["values"].get(k)))}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    out.append(f'<p class="meta">{_t(lang, "绿色底纹：按指标方向较优的方案。", "Shaded: the better value by the metric’s direction.")}</p></section>')

    # findings
    section("findings")
    out.append("<table><thead><tr><th></th>" + "".join(f"<th>{escape(labels.get(k, k))}</th>" for k in keys) + "</tr></thead><tbody>")
    for sev, zh, en in (("error", "错误（应当）", "errors (shall)"), ("warning", "提示（一般）", "warnings (as a rule)"),
                        ("approved", "已批准例外", "approved exceptions"), ("not_checked", "未检查（缺少数据）", "not checked (data missing)")):
        out.append(f"<tr><th>{escape(_t(lang, zh, en))}</th>" + "".join(
            f'<td class="num">{c["findings"][k]["counts"][sev]}</td>' for k in keys) + "</tr>")
    out.append("</tbody></table>")
    out.append(f'<p class="meta">{_t(lang, "新建支部尚未选出书记和支委的，按 committee.when / secretary.when 计为错误：方案落实时须按程序选举产生。", "New branches without an elected secretary and committee count as errors under committee.when / secretary.when: they are elected when the variant is carried out.")}</p>')
    for k in keys:
        items = [f for f in c["findings"][k]["items"] if f["status"] == "violated"]
        if not items:
            continue
        out.append(f"<h3>{escape(labels.get(k, k))}</h3><table><thead><tr><th>{_t(lang, '规则', 'rule')}</th>"
                   f"<th>{_t(lang, '组织', 'unit')}</th><th>{_t(lang, '数值', 'value')}</th><th>{_t(lang, '要求', 'threshold')}</th>"
                   f"<th>{_t(lang, '依据', 'source')}</th></tr></thead><tbody>")
        for f in items[:40]:
            cls = "err" if f["severity"] == "error" else "warn"
            out.append(f'<tr><td class="{cls}">{escape(f["title_zh"] if lang == "zh" else f["title_en"])}</td>'
                       f'<td>{escape(f["unit_name"] or "")}</td><td class="num">{escape(_number(f["value"]))}</td>'
                       f'<td>{escape(f["threshold"])}</td><td>{escape(f["source"])}</td></tr>')
        out.append("</tbody></table>")
        if len(items) > 40:
            out.append(f'<p class="meta">{_t(lang, f"另有{len(items) - 40}条，见 findings.csv。", f"{len(items) - 40} more in findings.csv.")}</p>')
    out.append("</section>")

    # changes
    section("changes")
    for k in keys:
        ch = c["changes"][k]
        if not (ch["created"] or ch["dissolved"] or ch["retyped"] or ch["members_moved"]):
            continue
        out.append(f"<h3>{escape(labels.get(k, k))}</h3>")
        out.append(f"<p>{_t(lang, '新建', 'created')} {len(ch['created'])} · {_t(lang, '撤销', 'dissolved')} {len(ch['dissolved'])} · "
                   f"{_t(lang, '升格或改设', 'retyped')} {len(ch['retyped'])} · {_t(lang, '调整组织关系', 'members moved')} {ch['members_moved']:,}</p>")
        for what, zh, en in (("created", "新建组织", "units created"), ("retyped", "升格或改设", "units retyped"),
                             ("dissolved", "撤销组织", "units dissolved")):
            if not ch[what]:
                continue
            out.append(f"<table><thead><tr><th>{escape(_t(lang, zh, en))}</th><th>{_t(lang, '人数', 'members')}</th>"
                       f"<th>{_t(lang, '原因', 'reason')}</th></tr></thead><tbody>")
            for u in ch[what][:60]:
                reason = (u.get("reason") or {}).get(lang, "") if u.get("reason") else ""
                size = u.get("size", u.get("after", ""))
                out.append(f"<tr><td>{escape(u['name'])}</td><td class='num'>{escape(str(size))}</td><td>{escape(reason)}</td></tr>")
            out.append("</tbody></table>")
        if ch["flows"]:
            out.append(f"<table><thead><tr><th>{_t(lang, '从', 'from')}</th><th>{_t(lang, '到', 'to')}</th>"
                       f"<th>{_t(lang, '人数', 'members')}</th><th>{_t(lang, '原因', 'reason')}</th></tr></thead><tbody>")
            for f in ch["flows"][:80]:
                reasons = "<br>".join(f"{escape(moved_text(r, lang).strip())}: {escape(r.get(lang) or r['code'])}" for r in f["reasons"])
                out.append(f"<tr><td>{escape(f['from_name'])}</td><td>{escape(f['to_name'])}</td>"
                           f"<td class='num'>{f['count']:,}</td><td>{reasons}</td></tr>")
            out.append("</tbody></table>")
    out.append("</section>")

    for sid, diagrams in (("diagrams", diffs), ("charts", charts)):
        section(sid)
        for d in diagrams:
            files = " · ".join(f'<a href="{escape(f)}">{escape(Path(f).suffix.lstrip("."))}</a>' for f in d.files)
            out.append(f'<figure id="fig-{escape(d.key)}">{_inline(d.svg)}<figcaption>{escape(d.title)} '
                       f'<span class="files">{files}</span></figcaption></figure>')
        out.append("</section>")

    section("distribution")
    out.append(f"<figure>{_inline(histogram)}<figcaption>{_t(lang, '虚线：50人（支部一般上限）和3人（正式党员下限）。', 'Dashed: 50 (branch size rule) and 3 (full members needed).')}</figcaption></figure></section>")

    section("method")
    out.append("<ul>" + "".join(f"<li>{escape(t)}</li>" for t in _method_notes(lang)) + "</ul></section>")
    out.append("</body></html>")
    return "\n".join(x for x in out if x)


def _method_notes(lang: str) -> list[str]:
    return [
        _t(lang, "所有数字由 orgmodel 根据情景文件和名册计算；报告只显示人数，不显示党员姓名。",
           "Every number is computed by orgmodel from the scenario file and rosters; the report shows counts, never names."),
        _t(lang, "规则依据及条款见 findings.csv 和规则包；缺少数据的规则标为“未检查”，不视为合规。",
           "Rule sources are in findings.csv and the rule pack; rules lacking data are marked 'not checked', never passed."),
        _t(lang, "人数按组织关系计算（含预备党员）；“正式党员”只计正式党员。",
           "Sizes count members by organisational relation (probationary included); 'full' counts full members only."),
        _t(lang, "同一情景、同一随机种子，结果在任何机器上完全相同。",
           "The same scenario and seed give the same results on any machine."),
    ]


def _markdown(data: dict[str, Any], charts: list[_Diagram], diffs: list[_Diagram], lang: str) -> str:
    c = data["comparison"]
    keys = [v["key"] for v in c["variants"]]
    labels = dict(data["variants"])

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [f"# {cell(data['title'])}", ""]
    if data["description"]:
        lines += [cell(data["description"]), ""]
    lines += [f"{_t(lang, '基准日期', 'as of')}: {data['as_of'] or '—'} · orgmodel {__version__}", ""]
    zh, en = REPORT_SECTIONS["summary"]
    s = data["summary"]
    lines += [f"## {_t(lang, zh, en)}", "",
              f"- {_t(lang, '党员', 'members')}: {s['members']['active']:,} ({_t(lang, '正式', 'full')} {s['members']['full']:,})",
              f"- {_t(lang, '支部', 'branches')}: {s['branches']['count']:,}; {_t(lang, '最大', 'largest')} {s['branches']['max']}; "
              f"{_t(lang, '超过50人', 'over 50')} {s['branches']['over_50']}; {_t(lang, '超过100人', 'over 100')} {s['branches']['over_100']}", ""]
    zh, en = REPORT_SECTIONS["comparison"]
    lines += [f"## {_t(lang, zh, en)}", "",
              "| " + _t(lang, "指标", "metric") + " | " + _t(lang, "单位", "unit") + " | " + " | ".join(cell(labels.get(k, k)) for k in keys) + " |",
              "|---|---|" + "---:|" * len(keys)]
    label_key = "label_zh" if lang == "zh" else "label_en"
    for m in c["metrics"]:
        vals = [(_number(m["values"].get(k)) + (" ★" if k in m["best"] else "")) for k in keys]
        lines.append(f"| {cell(m[label_key])} | {cell(m['unit'])} | " + " | ".join(vals) + " |")
    lines += ["", "★ " + _t(lang, "按指标方向较优", "better by the metric's direction"), ""]
    zh, en = REPORT_SECTIONS["findings"]
    lines += [f"## {_t(lang, zh, en)}", "", "| | " + " | ".join(cell(labels.get(k, k)) for k in keys) + " |",
              "|---|" + "---:|" * len(keys)]
    for sev, zh_s, en_s in (("error", "错误", "errors"), ("warning", "提示", "warnings"), ("not_checked", "未检查", "not checked")):
        lines.append(f"| {_t(lang, zh_s, en_s)} | " + " | ".join(str(c["findings"][k]["counts"][sev]) for k in keys) + " |")
    lines.append("")
    zh, en = REPORT_SECTIONS["changes"]
    lines += [f"## {_t(lang, zh, en)}", ""]
    for k in keys:
        ch = c["changes"][k]
        if not ch["members_moved"] and not ch["created"]:
            continue
        lines += [f"### {cell(labels.get(k, k))}", "",
                  f"{_t(lang, '新建', 'created')} {len(ch['created'])}, {_t(lang, '撤销', 'dissolved')} {len(ch['dissolved'])}, "
                  f"{_t(lang, '调整组织关系', 'members moved')} {ch['members_moved']:,}", "",
                  f"| {_t(lang, '从', 'from')} | {_t(lang, '到', 'to')} | {_t(lang, '人数', 'members')} | {_t(lang, '原因', 'reason')} |",
                  "|---|---|---:|---|"]
        for f in ch["flows"][:40]:
            reasons = "; ".join(f"{moved_text(r, lang).strip()}: {r.get(lang) or r['code']}" for r in f["reasons"])
            lines.append(f"| {cell(f['from_name'])} | {cell(f['to_name'])} | {f['count']:,} | {cell(reasons)} |")
        lines.append("")
    for sid, diagrams in (("diagrams", diffs), ("charts", charts)):
        zh, en = REPORT_SECTIONS[sid]
        lines += [f"## {_t(lang, zh, en)}", ""]
        for d in diagrams:
            lines += [f"![{cell(d.title)}]({d.files[0]})", ""]
    zh, en = REPORT_SECTIONS["distribution"]
    lines += [f"## {_t(lang, zh, en)}", "", f"![{_t(lang, zh, en)}](diagrams/branch-sizes.svg)", ""]
    zh, en = REPORT_SECTIONS["method"]
    lines += [f"## {_t(lang, zh, en)}", ""] + [f"- {t}" for t in _method_notes(lang)] + [""]
    return "\n".join(lines)
