"""The implementation pack: the files the people who carry out a variant need, from a results folder.

For one variant: the new roster of each branch, the transfer list (member, from, to, reason),
the units to found (with the roles held in them), the units to dissolve or retype, and the
changes that need approval — as CSV files and one XLSX workbook with a sheet each. Everything
comes from the results folder (``orgmodel run``); who approves a change comes from the rule
pack's data (a finding's ``approver_zh``/``approver_en``), never from here. The results folder
holds no names: members are identified by their roster id, unless the caller passes ``names``
(member id → name, from the rosters) when names are asked for.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from orgmodel.errors import UserError
from orgmodel.files import replace_folder
from orgmodel.run.read import Results, StoredVariant, load_results
from orgmodel.run.tables import UnitTable

__all__ = ["write_pack", "SHEETS"]

SHEETS = {
    "rosters": ("各支部名册", "branch rosters"),
    "transfers": ("组织关系调整清单", "transfer list"),
    "new_units": ("拟新建组织", "units to found"),
    "dissolved_units": ("拟撤销或改设组织", "units to dissolve or retype"),
    "approvals": ("需审批事项", "changes needing approval"),
}


def write_pack(results: Results | str | Path, variant: str, out: str | Path, *,
               names: Mapping[str, str] | None = None, lang: str = "zh") -> Path:
    """Write the implementation pack of ``variant`` into folder ``out`` (whole or not at all).

    ``results``: a results folder or its path. ``names``: member id → name, to put names in the
    rosters and the transfer list (leave out to identify members by id only).
    """
    if not isinstance(results, Results):
        results = load_results(results)
    chosen = results.variant(variant)
    if chosen.is_baseline or not chosen.steps:
        raise UserError(f"variant {variant} changes nothing: there is no pack to write")
    changes = chosen.changes
    tables = {
        "rosters": _rosters(chosen, names),
        "transfers": _transfers(results.baseline, chosen, names, lang),
        "new_units": _new_units(chosen.units, changes, names, lang),
        "dissolved_units": _gone_units(changes, lang),
        "approvals": _approvals(chosen, changes, lang),
    }
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for key, (header, rows) in tables.items():
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
            (tmp / f"{key}.csv").write_text("\ufeff" + buf.getvalue(), encoding="utf-8")  # BOM: Excel reads UTF-8
        _xlsx(tables, tmp / "implementation.xlsx", lang)
        replace_folder(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _who(ids: list[str], names: Mapping[str, str] | None) -> list[list[str]]:
    """The name column's cells (none without names)."""
    if names is None:
        return [[] for _ in ids]
    return [[names.get(m, "")] for m in ids]


def _rosters(v: StoredVariant, names: Mapping[str, str] | None) -> tuple[list[str], list[list[Any]]]:
    header = ["branch_id", "branch_name", "member_id"] + (["name"] if names is not None else []) + ["status", "group"]
    t, a = v.units, v.assignment
    live = t.counted_branch
    code = np.array([t.code(b) for b in np.unique(a.branch.astype(str)).tolist()], dtype=np.int64)
    branch_codes = dict(zip(np.unique(a.branch.astype(str)).tolist(), code.tolist(), strict=True))
    member_branch = np.array([branch_codes[b] for b in a.branch.tolist()], dtype=np.int64)
    keep = np.flatnonzero(live[member_branch])
    keep = keep[np.lexsort((keep, member_branch[keep]))]  # by branch code, then as stored
    ids = a.member[keep].astype(str).tolist()
    who = _who(ids, names)
    group_name = {str(u): str(n) for u, n in zip(t.ids.tolist(), t.name.tolist(), strict=True)}
    rows = []
    for i, m in enumerate(keep.tolist()):
        b = int(member_branch[m])
        g = a.group[m]
        rows.append([str(t.ids[b]), str(t.name[b]), ids[i], *who[i], str(a.status[m]),
                     group_name.get(str(g), "") if g is not None else ""])
    return header, rows


def _transfers(base: StoredVariant, v: StoredVariant, names: Mapping[str, str] | None,
               lang: str) -> tuple[list[str], list[list[Any]]]:
    header = (["member_id"] + (["name"] if names is not None else [])
              + ["from_id", "from_name", "to_id", "to_name", "reason_code", "reason"])
    a, b = v.assignment, base.assignment
    moved = np.flatnonzero(np.array([c is not None for c in a.reason_code.tolist()], dtype=bool))
    _, ia, ib = np.intersect1d(a.member[moved].astype(str), b.member.astype(str), assume_unique=True,
                               return_indices=True)
    moved = moved[ia]
    moved_from = b.branch[ib]
    order = np.argsort(moved, kind="stable")
    moved, moved_from = moved[order], moved_from[order]
    before_names = dict(zip(base.units.ids.tolist(), base.units.name.tolist(), strict=True))
    after_names = dict(zip(v.units.ids.tolist(), v.units.name.tolist(), strict=True))
    texts = a.reason_zh if lang == "zh" else a.reason_en
    ids = a.member[moved].astype(str).tolist()
    who = _who(ids, names)
    rows = []
    for i, m in enumerate(moved.tolist()):
        src, dst = str(moved_from[i]), str(a.branch[m])
        rows.append([ids[i], *who[i], src, str(before_names.get(src, src)),  # where they were, as it was called
                     dst, str(after_names.get(dst, dst)), str(a.reason_code[m]), str(texts[m] or "")])
    return header, rows


def _new_units(t: UnitTable, changes: Mapping[str, Any], names: Mapping[str, str] | None,
               lang: str) -> tuple[list[str], list[list[Any]]]:
    header = ["unit_id", "name", "kind", "parent", "built_on", "members", "full_members", "roles", "reason"]
    rows = []
    for u in changes["created"]:
        c = t.code(u["id"])
        p = int(t.parent[c])
        roles = "; ".join(f"{role}: {names.get(person, person) if names is not None else person}"
                          for role, person in t.roles[c])
        rows.append([u["id"], u["name"], u["label_zh"] if lang == "zh" else u["label_en"],
                     str(t.ids[p]) if p >= 0 else "", ";".join(str(t.ids[h]) for h in t.hosts_of(c)),
                     int(t.members[c]), int(t.full[c]), roles, (u["reason"] or {}).get(lang, "")])
    return header, rows


def _gone_units(changes: Mapping[str, Any], lang: str) -> tuple[list[str], list[list[Any]]]:
    header = ["unit_id", "name", "change", "kind", "members_before", "reason"]
    rows = [[u["id"], u["name"], "dissolve", u["kind"], u["size"], (u["reason"] or {}).get(lang, "")]
            for u in changes["dissolved"]]
    rows += [[u["id"], u["name"], f"retype from {u['from_kind']}", u["kind"], "", (u["reason"] or {}).get(lang, "")]
             for u in changes["retyped"]]
    return header, rows


def _approvals(v: StoredVariant, changes: Mapping[str, Any], lang: str) -> tuple[list[str], list[list[Any]]]:
    """Every founding, dissolving and retyping, the unit above it, and who approves it where the
    rule pack says so (a finding on the unit with ``approver_zh``/``approver_en``)."""
    header = ["change", "unit_id", "name", "unit_above", "approved_by", "rule"]
    approvers: dict[str, list[tuple[str, str]]] = {}
    for f in v.findings:
        who = f.get(f"approver_{lang}") or f.get("approver_zh") or f.get("approver_en")
        if f.get("unit") and who:
            approvers.setdefault(str(f["unit"]), []).append((str(who), str(f["rule"])))
    t = v.units
    rows = []
    for key, what in (("created", "found"), ("dissolved", "dissolve"), ("retyped", "retype")):
        for u in changes[key]:
            above = ""
            if t.has(u["id"]):
                p = int(t.parent[t.code(u["id"])])
                above = str(t.name[p]) if p >= 0 else ""
            found = approvers.get(u["id"], [])
            rows.append([what, u["id"], u["name"], above, "; ".join(dict.fromkeys(w for w, _ in found)),
                         "; ".join(dict.fromkeys(r for _, r in found))])
    return header, rows


def _xlsx(tables: dict[str, tuple[list[str], list[list[Any]]]], path: Path, lang: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    book.remove(book.active)
    for key, (header, rows) in tables.items():
        sheet = book.create_sheet(SHEETS[key][0 if lang == "zh" else 1][:31])
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
        for i, title in enumerate(header, start=1):
            width = max([len(str(title))] + [len(str(r[i - 1])) for r in rows[:200]]) + 2
            sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = min(width * 1.6, 60)
    book.save(path)
