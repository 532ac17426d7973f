"""What a variant changed, summed up for paper: per area, per kind of unit, and the largest flows.

The report's "what changed" section shows, per variant, one table by area (each unit directly
below the top, after the change), one by kind of unit, and the largest member flows; the
per-unit lists (every unit created, retyped or dissolved and every flow, with its reason) go to
the report's appendix and the implementation pack. Every number is a stored one, added up: the
variant's stored changes (``evaluation.json``) placed with its stored unit tables.

A dissolved unit belongs to the area its members mostly went to (its largest stored flow), so an
area rebuilt under a new top unit (a branch upgraded to a general branch) is one row, not two.

>>> from orgmodel.testing_data import tiny_structure
>>> from orgmodel.run.tables import unit_table
>>> t = unit_table(tiny_structure())
>>> ch = {"created": [], "dissolved": [], "retyped": [], "flows": [
...     {"from": "b1", "to": "b2", "from_name": "一支部", "to_name": "二支部", "count": 3, "reasons": []}]}
>>> s = change_summary(t, t, ch, lang="en")
>>> s["areas"]["total"]["moved_in"], len(s["areas"]["rows"]), s["flows"]["rows"][0]["count"]
(3, 1, '3')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from orgmodel.run.tables import UnitTable

__all__ = ["change_summary", "TOP_FLOWS"]

def text(lang: str, zh: str, en: str) -> str:
    """The words of the report's language."""
    return zh if lang == "zh" else en


#: flows the section shows per variant (the appendix and the pack hold every flow)
TOP_FLOWS = 10


def _below_top(parent: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """For each code, its ancestor-or-self whose parent is a top unit (a top unit: itself)."""
    out = codes.copy()
    for _ in range(64):  # forests are shallow
        up = parent[out]
        grand = np.where(up >= 0, parent[np.maximum(up, 0)], -1)
        step = (up >= 0) & (grand >= 0)
        if not step.any():
            break
        out = np.where(step, up, out)
    return out


def _areas(before: UnitTable, after: UnitTable, flows: list[Mapping[str, Any]]) -> np.ndarray:
    """The area of every unit code of ``after``: the place (host unit) the unit below the top it
    lies under is built on, or that unit itself when it is built on nothing (a top unit is its
    own); for a dissolved unit, the area of its largest flow's destination."""
    n = after.n_units
    parent = np.asarray(after.parent, dtype=np.int64).copy()
    gone = np.asarray(after.dissolved, dtype=bool)
    nb = before.n_units
    parent[:nb] = np.where(gone[:nb], before.parent, parent[:nb])
    area = _below_top(parent, np.arange(n))
    main: dict[int, int] = {}
    for f in flows:  # largest first
        if after.has(f["from"]) and after.has(f["to"]):
            main.setdefault(after.code(f["from"]), after.code(f["to"]))
    for src, dst in main.items():
        if gone[src] and not gone[dst]:
            area[src] = area[dst]
    # units below the top built on the same place (a residential area, a village) make one area
    host = np.arange(n)
    for table, codes in ((after, np.flatnonzero(~gone)), (before, np.flatnonzero(gone[:nb]))):
        src, dst = (np.asarray(a, dtype=np.int64) for a in table.built_on)
        first: dict[int, int] = {}
        for x, y in zip(src.tolist(), dst.tolist(), strict=True):
            first.setdefault(x, y)
        for c in codes.tolist():
            if c in first:
                host[c] = first[c]
    key = np.where(host[area] != area, _below_top(parent, host[area]), area)
    # a unit founded below the top on no place belongs where its members mostly came from
    into: dict[int, int] = {}
    for f in flows:
        if after.has(f["from"]) and after.has(f["to"]):
            into.setdefault(after.code(f["to"]), after.code(f["from"]))
    for k in np.unique(key).tolist():
        src = into.get(k)
        if k >= nb and src is not None and key[src] != k:
            key[key == k] = key[src]
    return key


def change_summary(before: UnitTable, after: UnitTable, changes: Mapping[str, Any], *, lang: str = "zh",
                   top_flows: int = TOP_FLOWS) -> dict[str, Any]:
    """A variant's stored ``changes`` summed up by area and by kind, with its largest flows."""
    flows = list(changes.get("flows", ()))
    area = _areas(before, after, flows)
    n = after.n_units
    counts = {what: np.zeros(n, dtype=np.int64) for what in ("created", "dissolved", "retyped", "in", "across")}
    kinds: dict[str, dict[str, int]] = {}
    for what in ("created", "dissolved", "retyped"):
        for u in changes.get(what, ()):
            if not after.has(u["id"]):
                continue
            c = after.code(u["id"])
            counts[what][area[c]] += 1
            label = u.get("label_zh" if lang == "zh" else "label_en") or u.get("kind", "")
            kinds.setdefault(str(label), {"created": 0, "dissolved": 0, "retyped": 0})[what] += 1
    for f in flows:
        if not (after.has(f["from"]) and after.has(f["to"])):
            continue
        a, b = area[after.code(f["from"])], area[after.code(f["to"])]
        counts["in"][b] += int(f["count"])
        if a != b:
            counts["across"][b] += int(f["count"])
    touched = np.flatnonzero(sum(counts.values()) > 0)
    order = sorted(touched.tolist(), key=lambda c: (-int(counts["in"][c]), -int(counts["created"][c]), c))
    rows = [{"area": str(after.name[c]), "created": int(counts["created"][c]), "dissolved": int(counts["dissolved"][c]),
             "retyped": int(counts["retyped"][c]), "moved_in": int(counts["in"][c]),
             "across": int(counts["across"][c])} for c in order]
    total = {k: sum(r[k] for r in rows) for k in ("created", "dissolved", "retyped", "moved_in", "across")}
    top = [{"from": f["from_name"], "to": f["to_name"], "count": f"{int(f['count']):,}",
            "reason": next((r.get(lang) or r.get("code", "") for r in f.get("reasons", ())), "")}
           for f in flows[:top_flows]]
    rest = flows[top_flows:]
    return {
        "areas": {
            "title": text(lang, "按片区", "By area"),
            "head": [text(lang, "片区（或所依托单位）", "area (or host)"), text(lang, "新建", "created"),
                     text(lang, "撤销", "dissolved"), text(lang, "升格/改设", "retyped"),
                     text(lang, "调入人数", "members moved in"), text(lang, "其中来自其他片区", "from other areas")],
            "rows": rows, "total": total, "total_label": text(lang, "合计", "total"),
        },
        "kinds": {
            "title": text(lang, "按组织类型", "By kind of unit"),
            "head": [text(lang, "组织类型", "kind"), text(lang, "新建", "created"), text(lang, "撤销", "dissolved"),
                     text(lang, "升格/改设为此类型", "retyped to it")],
            "rows": [{"kind": k, **v} for k, v in sorted(kinds.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))],
        },
        "flows": {
            "title": text(lang, f"调整人数最多的{min(top_flows, len(flows))}条流向",
                          f"The {min(top_flows, len(flows))} largest member flows"),
            "rows": top,
            "rest": (text(lang, f"另有{len(rest)}条流向、{sum(int(f['count']) for f in rest):,}人，逐条列于附录。",
                          f"{len(rest)} more flows, {sum(int(f['count']) for f in rest):,} members: every one is in "
                          "the appendix.") if rest else ""),
        },
    }
