"""The report's simulation section: each variant over time, read from the results folder.

:func:`simulation_section` turns the ``simulation/`` folder of a results folder (a
:class:`~orgmodel.simulate.stored.StoredSimulation`) into plain data for the templates
``simulation.html.j2`` and ``simulation.md.j2``: time series with their interval bands per
variant (SVG drawn here, no plotting library), the periods where each rule starts to break, a
plain summary of which variant holds up on which metric (the stored verdicts, in words), and the
manifest. Every number is one the folder holds (``series.csv``, ``first_breach.csv``,
``verdicts.csv``, ``manifest.json``); nothing is simulated or averaged again.

>>> svg = band_chart({"现状": ([1, 2, 3], [0.5, 1.5, 2], [1.5, 2.5, 4])}, ["2024-06-01", "2024-07-01", "2024-08-01"],
...                  title="参加组织生活", y_label="%")
>>> svg.startswith("<svg") and "现状" in svg and "<polygon" in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from orgmodel.report.model import number, text
from orgmodel.report.plots import FONT, PALETTE
from orgmodel.run.read import BASELINE, Results

__all__ = ["simulation_section", "band_chart", "HEADLINE_METRICS", "svg_png", "docx_section"]

#: The metrics drawn large, in this order, when the behaviour model reports them: participation in
#: organisational life, the backbone's reach, team counts, and the branches over the size rule.
HEADLINE_METRICS = ("life.participation", "life.attendance", "backbone.reach", "backbone.members_per_backbone",
                    "teams.active", "teams.with_3plus", "rule.branch.max_size", "members.active")


# -- charts -----------------------------------------------------------------------------------

def _nice_step(span: float, ticks: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about ``ticks`` ticks over ``span``.

    >>> _nice_step(100), _nice_step(7), _nice_step(0.3)
    (20.0, 2.0, 0.1)
    """
    raw = span / max(ticks, 1) if span > 0 else 1.0
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _segments(x: Sequence[float], y: Sequence[float]) -> list[list[tuple[float, float]]]:
    """Runs of points with a value (a NaN breaks the line)."""
    out: list[list[tuple[float, float]]] = [[]]
    for a, b in zip(x, y, strict=True):
        if b is None or (isinstance(b, float) and math.isnan(b)):
            if out[-1]:
                out.append([])
            continue
        out[-1].append((a, b))
    return [s for s in out if s]


def band_chart(series: Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float]]], dates: Sequence[str],
               *, title: str, y_label: str = "", width: int = 560, height: int = 300,
               legend: bool = True) -> str:
    """One metric over time: a line (the mean) and a shaded band (the interval) per variant."""
    left, right, bottom = 56, 28, 40
    # the legend starts a clear line under the title (baseline 16, 13 px) and the unit of the
    # y axis a clear line under the legend: measured on the printed report, 30 and +18 touched
    places = _legend_places(list(series), left, width - right, 38, 15) if legend else []
    top = (max(y for _, y in places) + 28) if places else 40
    plot_w, plot_h = width - left - right, height - top - bottom
    arrays = {k: [np.asarray(v, dtype=float) for v in triple] for k, triple in series.items()}
    values = np.concatenate([np.concatenate(t) for t in arrays.values()]) if arrays else np.zeros(0)
    values = values[~np.isnan(values)]
    lo = float(values.min()) if len(values) else 0.0
    hi = float(values.max()) if len(values) else 1.0
    lo = min(lo, 0.0) if lo >= 0 and lo < 0.25 * hi else lo
    if hi - lo < 1e-9:
        hi = lo + 1.0
    step = _nice_step(hi - lo)
    y0, y1 = math.floor(lo / step) * step, math.ceil(hi / step) * step
    n = max(len(dates) - 1, 1)

    def px(t: float) -> float:
        return left + plot_w * t / n

    def py(v: float) -> float:
        return top + plot_h * (1 - (v - y0) / (y1 - y0))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="{escape(FONT)}" font-size="11">',
             f"<title>{escape(title)}</title>",
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{left}" y="16" font-size="13" font-weight="bold">{escape(_fit(title, width - left))}'
             f"<title>{escape(title)}</title></text>"]
    tick = y0
    while tick <= y1 + step / 2:
        y = py(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:,.{_decimals(step)}f}</text>')
        tick += step
    every = max(1, round(n / 6))
    for t in range(0, n + 1, every):
        x = px(t)
        parts.append(f'<line x1="{x:.1f}" y1="{top + plot_h}" x2="{x:.1f}" y2="{top + plot_h + 4}" stroke="#444"/>')
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{escape(dates[t][:7])}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#444"/>')
    if y_label:
        parts.append(f'<text x="{left - 6}" y="{top - 8}" text-anchor="end" fill="#555">{escape(y_label)}</text>')
    for i, (name, (mean, low, high)) in enumerate(arrays.items()):
        colour = PALETTE[i % len(PALETTE)]
        t = list(range(len(mean)))
        for seg_lo, seg_hi in zip(_segments(t, low), _segments(t, high), strict=False):
            upper = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in seg_hi)
            lower = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in reversed(seg_lo))
            parts.append(f'<polygon points="{upper} {lower}" fill="{colour}" fill-opacity="0.18" stroke="none"/>')
        for seg in _segments(t, mean):
            points = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in seg)
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2">'
                         f"<title>{escape(name)}</title></polyline>")
        if legend:
            x, y = places[i]
            parts.append(_legend_item(x, y, colour, name))
    parts.append("</svg>")
    return "\n".join(parts)


def _text_width(name: str, size: float = 11) -> float:
    """About how wide ``name`` is at ``size`` pixels (CJK a full em, other characters ~0.6 em)."""
    return sum(size if ord(ch) > 0x2E80 else 0.6 * size for ch in name)


def _legend_places(names: Sequence[str], x0: float, x1: float, y0: float, line: float,
                   size: float = 11) -> list[tuple[float, float]]:
    """Where each legend item goes: one after the other, a new line when the next would not fit.

    >>> _legend_places(["现状", "团队党建（全面推开）", "按楼栋拆分支部"], 56, 300, 30, 13)
    [(56, 30), (110, 30), (56, 43)]
    """
    out, x, y = [], x0, y0
    for name in names:
        w = 18 + _text_width(name, size) + 14
        if x > x0 and x + w - 14 > x1:
            x, y = x0, y + line
        out.append((x, y))
        x += w
    return out


def _legend_item(x: float, y: float, colour: str, name: str) -> str:
    return (f'<rect x="{x:.1f}" y="{y - 8}" width="14" height="8" fill="{colour}"/>'
            f'<text x="{x + 18:.1f}" y="{y}">{escape(name)}</text>')


def _fit(title: str, width: int) -> str:
    """``title`` cut (with …) to about ``width`` pixels at the chart title's size.

    >>> _fit("党支部党员人数一般不超过50人", 120)
    '党支部党员人数一…'
    """
    used, out = 0.0, []
    for ch in title:
        used += 13 if ord(ch) > 0x2E80 else 7.5
        if used > width - 13:
            return "".join(out) + "…"
        out.append(ch)
    return title


def _decimals(step: float) -> int:
    return 0 if step >= 1 else min(3, -math.floor(math.log10(step)))


def _grid(svgs: Sequence[str], width: int, height: int, columns: int, legend: Sequence[str] = ()) -> str:
    """Charts of one size side by side, ``columns`` a row, as one SVG, with one legend on top."""
    rows = math.ceil(len(svgs) / columns)
    places = _legend_places(list(legend), 56, width * columns - 28, 16, 14, size=12)
    head = (max(y for _, y in places) + 10) if places else 0
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width * columns}" height="{height * rows + head}" '
             f'viewBox="0 0 {width * columns} {height * rows + head}" font-family="{escape(FONT)}" font-size="12">',
             f'<rect width="{width * columns}" height="{height * rows + head}" fill="white"/>']
    for i, name in enumerate(legend):
        parts.append(_legend_item(*places[i], PALETTE[i % len(PALETTE)], name))
    for i, svg in enumerate(svgs):
        x, y = (i % columns) * width, (i // columns) * height + head
        parts.append(svg.replace("<svg ", f'<svg x="{x}" y="{y}" ', 1))
    parts.append("</svg>")
    return "\n".join(parts)


# -- the section --------------------------------------------------------------------------------

def _label(results: Results, name: str, lang: str) -> str:
    if name == BASELINE:
        return text(lang, "现状基线", "baseline")
    try:
        return results.variant(name).label or name
    except Exception:  # a variant simulated but not stored: its name
        return name


def _value(value: float | None, unit: str, lang: str = "zh") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if 0 < abs(value) < 0.05:
        shown = f"{value:.1g}"
    else:
        shown = f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    if unit == "%":
        return f"{shown} %"
    return f"{shown} {unit}".rstrip() if lang == "zh" else shown  # the stored units are words in Chinese


def _verdict_line(row: Mapping[str, Any], metric: Any, labels: Mapping[str, str], lang: str) -> str:
    name = metric.label_zh if lang == "zh" else metric.label_en
    best, second = labels.get(row["best"], row["best"]), labels.get(row["runner_up"], row["runner_up"])
    b, r = _value(row["best_mean"], metric.unit, lang), _value(row["runner_up_mean"], metric.unit, lang)
    rule = metric.name.startswith("rule.")
    if row["best_mean"] == row["runner_up_mean"]:
        return text(lang, f"{name}：{best}与{second}并列最好（{b}）。", f"{name}: {best} and {second} tie for best ({b}).")
    if row["clear"]:
        if rule:
            return text(lang, f"{name}：{best}违反最少（{b}），明显少于{second}（{r}；90%区间不重叠）。",
                        f"{name}: fewest units breaking it in {best} ({b}), clearly fewer than in {second} ({r}; "
                        "the 90 % intervals do not overlap).")
        return text(lang, f"{name}：{best}最好（{b}），明显好于{second}（{r}；90%区间不重叠）。",
                    f"{name}: {best} holds up best ({b}), clearly ahead of {second} ({r}; the 90 % intervals "
                    "do not overlap).")
    return text(lang, f"{name}：{best}（{b}）与{second}（{r}）相近，90%区间重叠，不能断定哪个更好。",
                f"{name}: {best} ({b}) and {second} ({r}) are close; their 90 % intervals overlap, so neither "
                "clearly holds up better.")


def _breach_cell(row: Mapping[str, Any] | None, lang: str) -> str:
    if row is None or row["share_breaking"] is None:
        return text(lang, "未检查", "not checked")
    if row["at_start"] is not None and row["at_start"] >= 0.5:
        return text(lang, f"开始即违反（{row['at_start']:,.0f}个）", f"from the start ({row['at_start']:,.0f})")
    if row["share_breaking"] == 0:
        return "—"
    share = "<1 %" if row["share_breaking"] < 0.01 else f"{100 * row['share_breaking']:.0f} %"
    date = (row["median_first_date"] or "")[:7]
    return text(lang, f"{date}起（{share}的模拟）", f"from {date} ({share} of runs)")


_EXECUTORS_ZH = {"serial": "串行", "processes": "多进程", "dask": "Dask 集群"}


def _manifest_rows(manifest: Mapping[str, Any], lang: str) -> list[dict[str, str]]:
    def short(digest: str) -> str:
        return digest[:23] + "…" if len(digest) > 24 else digest

    rows = []
    scenario = manifest.get("scenario") or {}
    if scenario:
        rows.append((text(lang, "情景文件", "scenario file"), f"{scenario.get('file')} {short(scenario.get('sha256', ''))}"))
        for name, roster in sorted((scenario.get("rosters") or {}).items()):
            rows.append((text(lang, f"名册 {name}", f"roster {name}"), f"{roster['file']} {short(roster['sha256'])}"))
    versions = manifest.get("versions", {})
    rows.append((text(lang, "版本", "versions"), f"orgmodel {versions.get('orgmodel')}, Python {versions.get('python')}, "
                                                 f"numpy {versions.get('numpy')}"))
    plugins = ", ".join(f"{p['name']} {p['version']}" for p in versions.get("plugins", []))
    if plugins:
        rows.append((text(lang, "插件", "plugins"), plugins))
    sim = manifest.get("simulation", {})
    rows.append((text(lang, "行为模型", "behaviour model"), f"{sim.get('model')}"
                 + (f" ({', '.join(f'{k}={v}' for k, v in sorted(sim.get('params', {}).items()))})"
                    if sim.get("params") else "")))
    seeds = manifest.get("seeds", {})
    rows.append((text(lang, "模拟", "simulation"), text(
        lang, f"{seeds.get('replications')}次重复，{float(sim.get('horizon_years', 0)):g}年，"
              f"每期一{_period(sim.get('period'), lang)}，自{manifest.get('start')}起",
        f"{seeds.get('replications')} replications, {float(sim.get('horizon_years', 0)):g} years by {sim.get('period')}, "
        f"from {manifest.get('start')}")))
    rule = str(seeds.get("rule"))
    rows.append((text(lang, "随机种子", "seeds"), text(
        lang, f"基准种子 {seeds.get('base_seed')}，各方案每次重复的种子由 {rule.split('(')[0]} 派生",
        f"{seeds.get('base_seed')}: {rule}")))
    executor = manifest.get("executor", {})
    name = str(executor.get("name"))
    rows.append((text(lang, "执行", "executor"), text(lang, _EXECUTORS_ZH.get(name, name), name)
                 + (text(lang, f"，{executor.get('workers')}个进程", f", {executor.get('workers')} workers")
                    if executor.get("workers") else "")
                 + (f", {executor.get('scheduler')}" if executor.get("scheduler") else "")))
    rows.append((text(lang, "生成时间", "created"), str(manifest.get("created"))))
    rows.append((text(lang, "文件校验", "files"), ", ".join(f"{k} {short(v)}" for k, v in manifest.get("files", {}).items())))
    return [{"label": k, "value": v} for k, v in rows]


def _period(period: str | None, lang: str) -> str:
    return {"month": "月", "quarter": "季度", "year": "年"}.get(period or "", period or "") if lang == "zh" else str(period)


def _key_label(key: str, labels: Mapping[str, str], lang: str) -> str:
    """A sweep key as a reader sees it: a behaviour parameter by name, a strategy parameter with
    its variant's label.

    >>> _key_label("team-branches.steps[1].min_team_members", {"team-branches": "团队党建"}, "zh")
    '团队党建 steps[1].min_team_members'
    """
    from orgmodel.simulate.spec import strategy_key

    key_of = strategy_key(key)
    if key_of is None:
        return key
    return f"{labels.get(key_of.variant, key_of.variant)} steps[{key_of.step}].{key_of.param}"


def _float_or_nan(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _sweep_part(sim: Any, labels: Mapping[str, str], metrics: Mapping[str, Any], wanted: Sequence[str],
                lang: str, out_dir: Path | None) -> dict[str, Any] | None:
    """How each metric responds across the sweep's grid, from ``sweep.csv`` and ``verdicts.csv``:
    whether the best variant is the same at every point (a conclusion that holds whatever the
    assumption), a table per metric (mean and interval at the horizon, per point and variant),
    and a chart per metric when one parameter varies."""
    points = sim.points
    if len(points) < 2:
        return None
    keys = [k for k in sorted(points[0]) if len({repr(p.get(k)) for p in points}) > 1]
    if not keys:
        return None

    def point_label(p: int) -> str:
        return ", ".join(f"{_key_label(k, labels, lang)} = {points[p].get(k)}" for k in keys)

    def row_label(p: int) -> str:  # the table's first column; with one key, its header names it
        return str(points[p].get(keys[0])) if len(keys) == 1 else point_label(p)

    cells: dict[tuple[int, str, str], tuple[float, float, float]] = {}
    for row in sim.sweep:
        cells[(int(row["point"]), row["variant"], row["metric"])] = (
            _float_or_nan(row.get("mean")), _float_or_nan(row.get("lo")), _float_or_nan(row.get("hi")))
    best: dict[str, dict[int, Mapping[str, Any]]] = {}
    for v in sim.verdicts:
        best.setdefault(v["metric"], {})[int(v["point"])] = v
    lines = []
    for name in wanted:
        per_point = best.get(name, {})
        if len(per_point) < len(points):
            continue
        m = metrics[name]
        label = m.label_zh if lang == "zh" else m.label_en
        winners = [per_point[p]["best"] for p in range(len(points))]
        if len(set(winners)) == 1:
            clear = sum(1 for p in range(len(points)) if per_point[p]["clear"])
            who = labels.get(winners[0], winners[0])
            n = len(points)
            best_zh = "违反最少" if name.startswith("rule.") else "最好"
            best_en = "has the fewest units breaking it" if name.startswith("rule.") else "is best"
            if clear == n:
                lines.append(text(
                    lang, f"{label}：在全部{n}个取值点上都是{who}{best_zh}，且领先明显（90%区间不重叠）——这一结论不受所扫参数影响。",
                    f"{label}: {who} {best_en} at all {n} points, clearly (the 90 % intervals do not overlap): this "
                    "conclusion holds whatever the swept values."))
            elif clear == 0:
                lines.append(text(
                    lang, f"{label}：{who}在全部{n}个取值点上都{best_zh}，但在任何一点都不明显（90%区间重叠）。",
                    f"{label}: {who} {best_en} at all {n} points, but at none clearly (the 90 % intervals overlap)."))
            else:
                lines.append(text(
                    lang, f"{label}：{who}在全部{n}个取值点上都{best_zh}，其中{clear}个点领先明显（90%区间不重叠）。",
                    f"{label}: {who} {best_en} at all {n} points, clearly at {clear} of them (the 90 % intervals do "
                    "not overlap)."))
        else:
            groups: dict[str, list[int]] = {}
            for p, w in enumerate(winners):
                groups.setdefault(w, []).append(p)
            parts = [f"{labels.get(w, w)}（{'; '.join(point_label(p) for p in ps)}）" if lang == "zh"
                     else f"{labels.get(w, w)} at {'; '.join(point_label(p) for p in ps)}" for w, ps in groups.items()]
            lines.append(text(lang, f"{label}：结论取决于所扫参数：" + "，".join(parts) + "最好。",
                              f"{label}: the conclusion depends on the swept values: best is " + "; ".join(parts) + "."))
    tables = []
    charts = []
    for name in wanted:
        if not any((p, v, name) in cells for p in range(len(points)) for v in sim.variants):
            continue
        m = metrics[name]
        label = m.label_zh if lang == "zh" else m.label_en
        rows = []
        for p in range(len(points)):
            row = [row_label(p)]
            for v in sim.variants:
                mean, lo, hi = cells.get((p, v, name), (math.nan,) * 3)
                row.append("—" if math.isnan(mean) else f"{_value(mean, m.unit, lang)} ({_value(lo, '', lang)}–{_value(hi, '', lang)})")
            rows.append(row)
        tables.append({"title": label + (f"（{m.unit}）" if m.unit and lang == "zh" else ""), "rows": rows})
        if len(keys) == 1 and not name.startswith("rule."):
            series = {labels[v]: tuple([cells.get((p, v, name), (math.nan,) * 3)[i] for p in range(len(points))]
                                       for i in range(3)) for v in sim.variants}
            svg = band_chart(series, [str(points[p].get(keys[0])) for p in range(len(points))],
                             title=f"{label} ← {_key_label(keys[0], labels, lang)}", y_label=m.unit)
            key = "simulation-sweep-" + name.replace(".", "-")
            if out_dir is not None:
                (out_dir / f"{key}.svg").write_text(svg, encoding="utf-8")
            charts.append({"key": key, "title": label, "svg": svg, "file": f"diagrams/{key}.svg"})
    swept = "；".join(f"{_key_label(k, labels, lang)}：{', '.join(str(p.get(k)) for p in _unique(points, k))}"
                     for k in keys) if lang == "zh" else "; ".join(
        f"{_key_label(k, labels, lang)}: {', '.join(str(p.get(k)) for p in _unique(points, k))}" for k in keys)
    date = sim.dates[-1][:7]
    return {
        "title": text(lang, "假设变化时结论是否成立", "Do the conclusions hold whatever the assumption?"),
        "intro": text(
            lang, f"以下参数按网格取值（{swept}），共{len(points)}个取值点；每个点用相同的随机种子模拟，"
                  f"点与点之间的差别只来自参数。表中为{date}的平均值和{sim.interval:.0%}区间。",
            f"These parameters were swept over a grid ({swept}), {len(points)} points; every point is simulated "
            f"with the same seeds, so differences between points come from the parameters alone. The tables give "
            f"the mean at {date} and the {sim.interval:.0%} interval."),
        "summary": lines,
        "head": [_key_label(keys[0], labels, lang) if len(keys) == 1 else text(lang, "取值点", "point")]
        + [labels[v] for v in sim.variants],
        "tables": tables,
        "charts": charts,
        "note": text(lang, "上方随时间变化的图为第一个取值点（" + point_label(0) + "）。",
                     "The charts over time above show the first point (" + point_label(0) + ")."),
    }


def _unique(points: Sequence[Mapping[str, Any]], key: str) -> list[Mapping[str, Any]]:
    seen: dict[str, Mapping[str, Any]] = {}
    for p in points:
        seen.setdefault(repr(p.get(key)), p)
    return list(seen.values())


def simulation_section(results: Results, *, lang: str = "zh", folder: str | Path | None = None) -> dict[str, Any] | None:
    """The simulation section of the report of ``results`` (None when the run did not simulate).

    With ``folder`` (the report's ``diagrams/``), each chart is also written there as SVG.
    """
    sim = results.simulation
    if sim is None:
        return None
    labels = {v: _label(results, v, lang) for v in sim.variants}
    metrics = {m.name: m for m in sim.metrics}
    breaches = [r for r in sim.first_breaches if r["point"] == 0]
    broken = [r["rule"] for r in breaches if (r["share_breaking"] or 0) > 0 or (r["at_start"] or 0) >= 0.5]
    broken = list(dict.fromkeys(broken))
    headline = [m for m in HEADLINE_METRICS if m in metrics]
    if not headline:  # another behaviour model: every metric with a direction
        headline = [m.name for m in sim.metrics if m.direction in ("higher", "lower") and not m.name.startswith("rule.")]
    out_dir = Path(folder) if folder is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)

    def label_of(name: str) -> str:
        m = metrics[name]
        return m.label_zh if lang == "zh" else m.label_en

    def chart(name: str, **kwargs: Any) -> str:
        m = metrics[name]
        return band_chart({labels[v]: sim.band(v, name) for v in sim.variants}, sim.dates, title=label_of(name),
                          y_label=m.unit, **kwargs)

    charts = []
    for name in headline:
        svg = chart(name)
        key = "simulation-" + name.replace(".", "-")
        if out_dir is not None:
            (out_dir / f"{key}.svg").write_text(svg, encoding="utf-8")
        charts.append({"key": key, "title": label_of(name), "svg": svg, "file": f"diagrams/{key}.svg"})
    rules = [f"rule.{r}" for r in broken if f"rule.{r}" in metrics and f"rule.{r}" not in headline]
    rule_chart = None
    if rules:
        svg = _grid([chart(r, width=380, height=220, legend=False) for r in rules], 380, 220, 3,
                    legend=[labels[v] for v in sim.variants])
        if out_dir is not None:
            (out_dir / "simulation-rules.svg").write_text(svg, encoding="utf-8")
        rule_chart = {"key": "simulation-rules", "svg": svg, "file": "diagrams/simulation-rules.svg",
                      "title": text(lang, "违反规则的组织数", "Units breaking each rule")}

    by_rule = {(r["variant"], r["rule"]): r for r in breaches}
    breach_rows = [{"rule": label_of(f"rule.{rule}") if f"rule.{rule}" in metrics else rule, "id": rule,
                    "cells": [_breach_cell(by_rule.get((v, rule)), lang) for v in sim.variants]} for rule in broken]
    verdicts = {r["metric"]: r for r in sim.verdicts if r["point"] == 0}
    wanted = [m for m in headline if m in verdicts] + [f"rule.{r}" for r in broken
                                                       if f"rule.{r}" in verdicts and f"rule.{r}" not in headline]
    cleared = [m for m in wanted if m.startswith("rule.") and verdicts[m]["best_mean"] == 0
               and verdicts[m]["runner_up_mean"] == 0]  # broken for a while, by no unit at the horizon
    summary = [_verdict_line(verdicts[m], metrics[m], labels, lang) for m in wanted if m not in cleared]
    never = sum(1 for m in metrics if m.startswith("rule.") and m[5:] not in broken)
    horizon = sim.dates[-1]
    years = f"{float(sim.manifest.get('simulation', {}).get('horizon_years', 0)):g}"
    span = f"{sim.dates[0][:7]}", f"{horizon[:7]}"
    return {
        "title": text(lang, "随时间的模拟", "Over time: simulation"),
        "intro": text(
            lang,
            f"每个方案调整后的组织按行为模型“{sim.model}”逐期模拟{years}年（{span[0]}至{span[1]}），"
            f"每个方案重复{sim.replications:,}次（随机种子见下方清单）。实线为平均值，阴影为{sim.interval:.0%}区间。",
            f"Each variant's structure is simulated with the behaviour model “{sim.model}” over {years} "
            f"year{'' if years == '1' else 's'} "
            f"({span[0]} to {span[1]}), {sim.replications:,} replications per variant (seeds in the manifest "
            f"below). Lines are means, shaded bands the {sim.interval:.0%} intervals."),
        "summary_title": text(lang, "哪个方案经得起时间检验", "Which variant holds up"),
        "summary": summary,
        "summary_note": text(
            lang, f"按{horizon[:7]}的平均值比较。另有{len(cleared)}条规则期间曾被违反、期末在各方案中均无违反，"
                  f"{never}条规则在任何方案中均未被违反。",
            f"Compared by the mean at {horizon[:7]}. {len(cleared)} more rules are broken for a while but by no unit "
            f"at the end in any variant; {never} rules are never broken in any variant."),
        "charts": charts,
        "rule_chart": rule_chart,
        "breaches_title": text(lang, "规则开始被违反的时间", "When a rule starts to break"),
        "breaches_head": [text(lang, "规则", "rule")] + [labels[v] for v in sim.variants],
        "breaches": breach_rows,
        "breaches_note": text(lang, "日期为各次模拟中首次违反时间的中位数，括号内为出现违反的模拟所占比例。",
                              "The date is the median first period a unit breaks the rule among the runs where one "
                              "does; in brackets, the share of runs in which it happens."),
        "manifest_title": text(lang, "可复现清单", "Manifest (reproducible run)"),
        "manifest": _manifest_rows(sim.manifest, lang),
        "manifest_note": text(lang, "用 orgmodel rerun simulation/manifest.json 可逐字节重现这些结果。",
                              "orgmodel rerun simulation/manifest.json reproduces these files byte for byte."),
        "replications": number(sim.replications),
        "sweep": _sweep_part(sim, labels, metrics, wanted, lang, out_dir),
        "no_chart": text(lang, "（需要Chromium才能画出此图）", "(drawing this chart needs Chromium)"),
    }


# -- the Word report ----------------------------------------------------------------------------

#: Device pixels per SVG pixel when a chart is drawn for print: the 1,120-pixel-wide grid of the
#: headline charts becomes 3,360 pixels, about 500 dpi across a 170 mm text width.
PRINT_SCALE = 3


def svg_png(svg: str, *, scale: float = PRINT_SCALE, timeout: float = 120.0) -> bytes | None:
    """An SVG drawn as PNG by headless Chromium at ``scale`` device pixels per SVG pixel (None
    when Chromium is not installed). The SVG's own ``width`` and ``height`` set the page size."""
    import re
    import subprocess
    import tempfile

    from orgmodel.report.pdf import chromium

    program = chromium()
    if program is None:
        return None
    size = re.search(r'<svg[^>]*?width="(\d+)"[^>]*?height="(\d+)"', svg)
    width, height = (int(size[1]), int(size[2])) if size else (800, 600)
    with tempfile.TemporaryDirectory(prefix="orgmodel-chart-") as tmp:
        source, target = Path(tmp) / "chart.svg", Path(tmp) / "chart.png"
        source.write_text(svg, encoding="utf-8")
        cmd = [program, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={Path(tmp) / 'profile'}", f"--window-size={width},{height}",
               f"--force-device-scale-factor={scale}", f"--screenshot={target}", source.as_uri()]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return target.read_bytes() if target.is_file() and target.stat().st_size else None


def docx_section(document: Any, s: Mapping[str, Any], *, heading: Any, para: Any, table: Any,
                 png: Any = svg_png) -> None:
    """Write the simulation section ``s`` (from :func:`simulation_section`) into a Word document:
    the summary of which variant holds up, the headline charts (mean lines, interval bands) as one
    image at print resolution, the rules' charts, when each rule starts to break, the sweep, and
    the manifest. ``heading``, ``para`` and ``table`` are the Word report's own writers;
    ``png(svg)`` draws a chart (None: left out, with a note)."""
    import io

    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    grey = (0x55, 0x55, 0x55)

    def picture(svg: str, caption: str) -> None:
        data = png(svg)
        if data is None:
            para(document, f"{caption} {s.get('no_chart', '')}", size=9, colour=grey)
            return
        section = document.sections[-1]
        width = section.page_width - section.left_margin - section.right_margin
        document.add_picture(io.BytesIO(data), width=int(min(width, Mm(170))))
        document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        para(document, caption, size=9, colour=grey).alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_page_break()
    heading(document, s["title"], 1)
    para(document, s["intro"])
    heading(document, s["summary_title"], 2)
    for line in s["summary"]:
        para(document, line, style="List Bullet")
    para(document, s["summary_note"], size=9, colour=grey)
    charts = list(s["charts"])
    for start in range(0, len(charts), 4):  # four charts (two rows of two) to an image
        group = charts[start:start + 4]
        grid = _grid([c["svg"] for c in group], 560, 300, 2)
        picture(grid, "；".join(c["title"] for c in group))
    if s.get("rule_chart"):
        heading(document, s["rule_chart"]["title"], 2)
        picture(s["rule_chart"]["svg"], s["rule_chart"]["title"])
    if s["breaches"]:
        heading(document, s["breaches_title"], 2)
        table(document, s["breaches_head"], [[row["rule"], *row["cells"]] for row in s["breaches"]], size=8)
        para(document, s["breaches_note"], size=9, colour=grey)
    w = s.get("sweep")
    if w:
        heading(document, w["title"], 2)
        para(document, f"{w['intro']} {w['note']}")
        for line in w["summary"]:
            para(document, line, style="List Bullet")
        charts = list(w["charts"])
        for start in range(0, len(charts), 4):
            group = charts[start:start + 4]
            picture(_grid([c["svg"] for c in group], 560, 300, 2), "；".join(c["title"] for c in group))
        for t in w["tables"]:
            heading(document, t["title"], 3)
            table(document, w["head"], t["rows"], size=8)
    heading(document, s["manifest_title"], 2)
    table(document, ["", ""], [[row["label"], row["value"]] for row in s["manifest"]], numeric_from=2, size=8)
    para(document, s["manifest_note"], size=9, colour=grey)
