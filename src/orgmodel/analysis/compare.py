"""Compare any number of variants, from one run or several, side by side.

A :class:`Comparison` is built from results folders (written by ``orgmodel run``, read with
:func:`orgmodel.run.results.load_results`): for each chosen variant its metric values (with the
best value per metric marked by the metric's direction), its rule findings, and what changed
against a base variant (by default the baseline) and why. Changes against the baseline are the
stored ones; against another variant they come from the two variants' stored unit tables and
assignments (:func:`orgmodel.run.changes.changes_between`), reasons included.
Its JSON form follows ``orgmodel/schema/comparison.schema.json``; :func:`format_table` gives the
terminal view.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orgmodel.errors import UserError
from orgmodel.run.read import Results, StoredVariant, load_results

__all__ = ["Comparison", "load_comparison", "format_table", "moved_text", "COMPARISON_VERSION", "SCHEMA_PATH"]

COMPARISON_VERSION = 1
SCHEMA_PATH = Path(__file__).parents[1] / "schema" / "comparison.schema.json"


@dataclass(frozen=True)
class _Variant:
    key: str
    name: str
    label: str
    run: Path
    stored: StoredVariant
    baseline_fingerprint: str


@dataclass(frozen=True)
class Comparison:
    """Variants × metrics, findings and changes, ready for a table, JSON or a report."""

    data: dict[str, Any]

    def to_json(self) -> str:
        """The comparison as JSON text."""
        return json.dumps(self.data, ensure_ascii=False, indent=1)

    def _repr_html_(self) -> str:
        """Jupyter shows a comparison as a table, the better value of each metric in bold."""
        from html import escape

        keys = self.variants
        head = "".join(f"<th>{escape(k)}</th>" for k in keys)
        rows = []
        for m in self.data["metrics"]:
            cells = []
            for k in keys:
                v = m["values"].get(k)
                text = "—" if v is None else (f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}")
                cells.append(f"<td><b>{text}</b></td>" if k in m["best"] else f"<td>{text}</td>")
            rows.append(f"<tr><td>{escape(m['label_zh'])}</td><td>{escape(m['unit'])}</td>{''.join(cells)}</tr>")
        return f"<table><tr><th>指标</th><th>单位</th>{head}</tr>{''.join(rows)}</table>"

    @property
    def variants(self) -> list[str]:
        """The compared variants' keys, in order."""
        return [v["key"] for v in self.data["variants"]]


def load_comparison(runs: Sequence[Path | str | Results], *, variants: list[str] | None = None,
                    base: str | None = None) -> Comparison:
    """Compare the variants of ``runs`` (results folders or loaded :class:`Results`; all variants,
    or those named; ``run:variant`` when runs are several).

    ``base`` names the variant the changes are measured against (default: each run's baseline).
    """
    if not runs:
        raise UserError("name at least one run folder")
    loaded = [r if isinstance(r, Results) else load_results(r) for r in runs]
    chosen: list[_Variant] = []
    several = len(loaded) > 1
    tags = _run_tags([r.folder for r in loaded])
    for results, tag in zip(loaded, tags, strict=True):
        for stored in results.variants:
            key = f"{tag}:{stored.name}" if several else stored.name
            chosen.append(_Variant(key, stored.name, stored.label, results.folder, stored,
                                   results.baseline_fingerprint))
    if variants:
        by_key = {v.key: v for v in chosen}
        missing = [n for n in variants if n not in by_key]
        if missing:
            raise UserError(f"no variant {missing[0]!r} (have: {', '.join(by_key)})")
        chosen = [by_key[n] for n in variants]
    base_variant = None
    if base is not None:
        candidates = [v for v in chosen if v.key == base]
        if not candidates:
            raise UserError(f"base variant {base!r} is not among the compared variants")
        base_variant = candidates[0]
    return Comparison(_build(chosen, base_variant))


def _run_tags(runs: list[Path]) -> list[str]:
    """A short, distinct name per run folder: its name, or as many trailing path parts as needed.

    Every scenario writes to ``out`` by default, so ``a/out`` and ``b/out`` become ``a/out`` and
    ``b/out`` rather than two ``out`` whose variants would overwrite each other.
    """
    resolved = [Path(r).resolve() for r in runs]
    for i, path in enumerate(resolved):
        if path in resolved[:i]:
            raise UserError(f"{runs[i]}: the same run folder is named twice")
    parts = [p.parts for p in resolved]
    depth = [1] * len(runs)
    while True:
        tags = ["/".join(p[-d:]) for p, d in zip(parts, depth, strict=True)]
        clash = {t for t in tags if tags.count(t) > 1}
        if not clash:
            return tags
        depth = [d + 1 if t in clash else d for t, d in zip(tags, depth, strict=True)]


def _build(chosen: list[_Variant], base: _Variant | None) -> dict[str, Any]:
    metrics: list[dict[str, Any]] = []
    seen: dict[str, dict[str, Any]] = {}
    for v in chosen:
        for value in v.stored.values:
            if value["name"] not in seen:
                row = {k: value[k] for k in ("name", "label_zh", "label_en", "unit", "direction")}
                row["values"] = {}
                seen[value["name"]] = row
                metrics.append(row)
            seen[value["name"]]["values"][v.key] = value["value"]
    for row in metrics:
        row["values"] = {v.key: row["values"].get(v.key) for v in chosen}
        row["best"] = _best(row)
    findings = {}
    for v in chosen:
        items = [dict(f) for f in v.stored.findings]
        counts = Counter(f["severity"] if f["status"] == "violated" else f["status"] for f in items)
        findings[v.key] = {
            "counts": {k: counts.get(k, 0) for k in ("error", "warning", "approval", "approved", "not_checked")},
            "items": items,
        }
    changes = {}
    if base is not None:  # only a comparison against another variant computes changes
        from orgmodel.run.changes import changes_between, empty_changes
    for v in chosen:
        if base is None:
            changes[v.key] = json.loads(json.dumps(dict(v.stored.changes)))
        elif v.key == base.key:
            changes[v.key] = empty_changes()
        else:
            if v.baseline_fingerprint != base.baseline_fingerprint:
                raise UserError(f"{v.key} and {base.key} start from different baselines; compare each against its own baseline")
            changes[v.key] = changes_between(base.stored.units, base.stored.assignment, v.stored.units,
                                             v.stored.assignment)
    return {
        "comparison_version": COMPARISON_VERSION,
        "base": base.key if base else "baseline",
        "variants": [
            {"key": v.key, "name": v.name, "label": v.label, "run": str(v.run), "fingerprint": v.stored.fingerprint,
             "baseline_fingerprint": v.baseline_fingerprint,
             "steps": [{"strategy": s["strategy"], "kind": s["kind"], "members_moved": s["members_moved"]}
                       for s in v.stored.steps]}
            for v in chosen
        ],
        "metrics": metrics,
        "findings": findings,
        "changes": changes,
    }


def _best(row: dict[str, Any]) -> list[str]:
    values = {k: v for k, v in row["values"].items() if v is not None}
    if row["direction"] == "neutral" or len(values) < 2 or len(set(values.values())) == 1:
        return []
    pick = max if row["direction"] == "higher" else min
    target = pick(values.values())
    return [k for k, v in values.items() if v == target]


def moved_text(reason: dict[str, Any], lang: str) -> str:
    """'12', or '48 (4 批)' when one reason moved members in several operations (one per group)."""
    batches = reason.get("batches", 1)
    if batches > 1:
        return f"{reason['count']:>5,} ({batches} {'批' if lang == 'zh' else 'batches'})"
    return f"{reason['count']:>5,}"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def format_table(comparison: Comparison, *, lang: str = "zh", max_changes: int = 8) -> str:
    """The comparison as aligned text: metrics (best marked ★), findings, largest changes."""
    data = comparison.data
    keys = comparison.variants
    label = "label_zh" if lang == "zh" else "label_en"
    header = ["指标" if lang == "zh" else "metric", "单位" if lang == "zh" else "unit"] + keys
    rows = []
    for m in data["metrics"]:
        cells = [m[label], m["unit"]]
        for k in keys:
            v = m["values"].get(k)
            text = "—" if v is None else (f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}")
            cells.append(text + (" ★" if k in m["best"] else "  "))
        rows.append(cells)
    findings_title = "规则检查" if lang == "zh" else "rule findings"
    for sev, zh in (("error", "错误"), ("warning", "提示"), ("not_checked", "未检查")):
        rows.append([f"{findings_title}: {zh if lang == 'zh' else sev}", ""] +
                    [f"{data['findings'][k]['counts'][sev]}  " for k in keys])
    widths = [max(_width(r[i]) for r in rows + [header]) for i in range(len(header))]
    lines = ["  ".join(_pad(h, widths[i], right=i >= 2) for i, h in enumerate(header))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(_pad(c, widths[i], right=i >= 2) for i, c in enumerate(r)))
    lines.append("")
    lines.append("★ " + ("按指标方向较优" if lang == "zh" else "better by the metric's direction"))
    for k in keys:
        ch = data["changes"][k]
        if not ch["members_moved"] and not ch["created"] and not ch["dissolved"]:
            continue
        lines.append("")
        title = "变化及原因" if lang == "zh" else "what changed and why"
        lines.append(f"{k} — {title} (vs {data['base']}): +{len(ch['created'])} / -{len(ch['dissolved'])} "
                     f"{'个组织' if lang == 'zh' else 'units'}, {ch['members_moved']:,} "
                     f"{'名党员调整' if lang == 'zh' else 'members moved'}")
        for f in ch["flows"][:max_changes]:
            lines.append(f"  {f['count']:>6,}  {f['from_name']} → {f['to_name']}")
            for r in f["reasons"][:3]:  # each reason with the members it moved
                if r.get(lang):
                    lines.append(f"          {moved_text(r, lang)}: {r[lang]}")
            if len(f["reasons"]) > 3:
                lines.append(f"          … {len(f['reasons']) - 3} more reason(s)")
        if len(ch["flows"]) > max_changes:
            lines.append(f"  … {len(ch['flows']) - max_changes} more")
    return "\n".join(lines)
