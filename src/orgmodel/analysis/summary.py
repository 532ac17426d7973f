"""A structure's summary: counts by kind, branch sizes, depth, participation. Counts only, no names.

>>> from orgmodel.testing_data import tiny_structure
>>> info = summarise(tiny_structure())
>>> info["members"]["active"], info["members"]["full"], info["branches"]["count"]
(7, 6, 2)
>>> print(format_summary(info, lang="en").splitlines()[0])
Structure (toy)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from orgmodel.model.kinds import EXTERNAL, UNPLACED, WORD_KEYS, DomainPack
from orgmodel.model.structure import Structure

__all__ = ["summarise", "format_summary"]


def summarise(s: Structure, *, top: int = 5) -> dict[str, Any]:
    """Counts of a structure as plain data (JSON-ready)."""
    u = s.units
    live = ~u.dissolved
    kinds = s.kinds
    active = s.members["active"]
    branch_kind = u.kind[s.members["branch"]]
    by_kind = []
    for code, kind in enumerate(kinds):
        n = int((live & (u.kind == code)).sum())
        if n:
            by_kind.append({"kind": kind.id, "role": kind.role, "label_zh": kind.label_zh, "label_en": kind.label_en, "count": n})
    reserved = {kinds.code(UNPLACED), kinds.code(EXTERNAL)}
    is_branch = live & kinds.is_branch[u.kind] & ~np.isin(u.kind, list(reserved))
    sizes = s.sizes()[is_branch]
    full = s.sizes(full_only=True)[is_branch]
    codes = np.flatnonzero(is_branch)
    order = codes[np.argsort(-sizes, kind="stable")][:top]
    org_depth = s.depth[live & kinds.is_org[u.kind]]
    part_units = np.unique(s.participation.dst)
    return {
        "domain": kinds.name,
        "members": {
            "rows": s.n_members,
            "active": int(active.sum()),
            "full": int(s.full_mask.sum()),
            "not_full": int(active.sum() - s.full_mask.sum()),
            "inactive": int((~active).sum()),
            "unplaced": int((active & (branch_kind == kinds.code(UNPLACED))).sum()),
            "external": int((active & (branch_kind == kinds.code(EXTERNAL))).sum()),
            "in_groups": int((active & (s.members["group"] >= 0)).sum()),
        },
        "units": by_kind,
        "branches": {
            "count": int(len(sizes)),
            "min": int(sizes.min()) if len(sizes) else 0,
            "median": float(np.median(sizes)) if len(sizes) else 0.0,
            "p90": float(np.percentile(sizes, 90)) if len(sizes) else 0.0,
            "max": int(sizes.max()) if len(sizes) else 0,
            "over_50": int((sizes > 50).sum()),
            "over_100": int((sizes > 100).sum()),
            "under_3_full": int((full < 3).sum()),
            "largest": [
                {"id": str(u.ids[c]), "name": str(u.name[c]), "members": int(s.sizes()[c]),
                 "full": int(s.sizes(full_only=True)[c])}
                for c in order.tolist()
            ],
        },
        "hierarchy": {
            "roots": int(((u.parent < 0) & live & kinds.is_org[u.kind]).sum()),
            "depth": int(org_depth.max()) + 1 if len(org_depth) else 0,
        },
        "participation": {
            "links": int(len(s.participation)),
            "members": int(len(np.unique(s.participation.src))),
            "units": int(len(part_units)),
        },
        "roles": len(s.roles),
    }


def _width(text: str) -> int:
    """Columns a text takes in a terminal (Chinese characters take two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_summary(info: dict[str, Any], *, lang: str = "zh", pack: DomainPack | None = None) -> str:
    """The summary as an aligned, readable text block, in ``lang`` throughout (kind ids aside), in
    the words of the domain pack ``pack`` (党员, 党小组 for the party pack; neutral words without)."""
    zh = lang == "zh"

    def t(zh_text: str, en_text: str) -> str:
        return zh_text if zh else en_text

    def w(key: str) -> str:
        return pack.word(key, lang) if pack is not None else WORD_KEYS[key][0 if zh else 1]

    member, full, group = w("member"), w("full_members"), w("group")
    m, b = info["members"], info["branches"]
    field = (pack.label_zh if zh else pack.label_en) if pack is not None else ""
    others = [pack.word(f"status.{x}", lang) for x in pack.statuses if x not in pack.full_statuses] if pack else []
    not_full = "、".join(others) if others and all(others) else t(f"非{full}", "not full")
    lines = [t(f"组织结构（{field or info['domain']}）",
               f"Structure ({field or info['domain']})"), ""]
    lines.append(t(member, w("members").capitalize()))
    rows = [
        (t(f"在册{member}", "active"), m["active"]), (t(full, full), m["full"]),
        (not_full, m["not_full"]), (t(f"编入{group}", f"in a {group}"), m["in_groups"]),
        (t("未落实组织关系", "unplaced"), m["unplaced"]), (t("组织关系在外", "external"), m["external"]),
        (t("不在册", "inactive"), m["inactive"]),
    ]
    label_width = max(_width(k) for k, _ in rows) + 2
    lines += [f"  {k}{' ' * (label_width - _width(k))}{v:>8,}" for k, v in rows]
    lines.append("")
    lines.append(t("组织与依托单位（类型编号、个数、名称）", "Units by kind"))
    width = max((len(r["kind"]) for r in info["units"]), default=10)
    for r in info["units"]:
        label = r["label_zh"] if zh else r["label_en"]
        lines.append(f"  {r['kind']:<{width}}  {r['count']:>7,}  {label}")
    lines.append("")
    lines.append(t(f"支部规模（{member}人数）", "Branch sizes (members)"))
    lines.append(t(f"  支部 {b['count']:,} 个   最小 {b['min']}   中位数 {b['median']:g}   90分位 {b['p90']:g}   最大 {b['max']}",
                   f"  branches {b['count']:,}   min {b['min']}   median {b['median']:g}   p90 {b['p90']:g}   max {b['max']}"))
    lines.append(t(f"  超过50人 {b['over_50']} 个   超过100人 {b['over_100']} 个   {full}不足3人 {b['under_3_full']} 个",
                   f"  over 50: {b['over_50']}   over 100: {b['over_100']}   under 3 full: {b['under_3_full']}"))
    if b["largest"]:
        lines.append(t("  人数最多的支部：", "  largest:"))
        for r in b["largest"]:
            lines.append(f"    {r['members']:>6,}  {r['name']} ({r['id']})")
    lines.append("")
    h, p = info["hierarchy"], info["participation"]
    lines.append(t(f"层级：{h['roots']} 个最上级组织，共 {h['depth']} 层", f"Hierarchy: {h['roots']} root(s), depth {h['depth']}"))
    lines.append(t(f"参加团队等活动：{p['links']:,} 人次，{p['members']:,} 名{member}参加 {p['units']:,} 个团队或单位",
                   f"Participation: {p['links']:,} links, {p['members']:,} members in {p['units']:,} units"))
    lines.append(t(f"担任职务：{info['roles']:,} 人次", f"Roles: {info['roles']:,}"))
    return "\n".join(lines)
