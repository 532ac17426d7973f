"""The implementation pack: the files the people who carry out a variant need.

For one variant: the new roster of each branch, the transfer list (member, from, to, reason),
the units to found (with proposed secretaries and committee sizes), the units to dissolve or
retype, and the changes that need approval and from whom — as CSV files and one XLSX workbook
with a sheet each. People's names appear only when asked (``names=True``); otherwise members
are identified by their roster id.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from orgmodel.run.engine import RunResult
from orgmodel.errors import UserError
from orgmodel.run.evaluate import changes_between
from orgmodel.io.files import replace_folder
from orgmodel.model.structure import Structure

__all__ = ["write_pack", "SHEETS"]

SHEETS = {
    "rosters": ("各支部名册", "branch rosters"),
    "transfers": ("组织关系调整清单", "transfer list"),
    "new_units": ("拟新建组织", "units to found"),
    "dissolved_units": ("拟撤销或改设组织", "units to dissolve or retype"),
    "approvals": ("需审批事项", "changes needing approval"),
}



def write_pack(result: RunResult, variant: str, out: Path, *, names: bool = False, lang: str = "zh") -> Path:
    """Write the implementation pack of ``variant`` into folder ``out`` (whole or not at all)."""
    chosen = result.variant(variant)
    after, before = chosen.structure, result.baseline
    plans = [s.plan for s in chosen.steps]
    if not plans:
        raise UserError(f"variant {variant} changes nothing: there is no pack to write")
    changes = changes_between(before, after, plans)
    tables = {
        "rosters": _rosters(after, names),
        "transfers": _transfers(before, after, plans, names, lang),
        "new_units": _new_units(after, changes, lang),
        "dissolved_units": _gone_units(changes, lang),
        "approvals": _approvals(after, changes, lang),
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


def _who(s: Structure, codes: np.ndarray, names: bool) -> list[str]:
    if names and "name" in s.personal:
        return [str(s.personal["name"][c]) for c in codes.tolist()]
    return [""] * len(codes)


def _rosters(s: Structure, names: bool) -> tuple[list[str], list[list[Any]]]:
    header = ["branch_id", "branch_name", "member_id"] + (["name"] if names else []) + ["status", "group"]
    rows = []
    live_branch = ~s.units.dissolved & s.kinds.is_branch[s.units.kind]
    statuses = s.kinds.pack.statuses
    for code in np.flatnonzero(live_branch).tolist():
        uid = str(s.units.ids[code])
        members = s.member_codes_of(uid)
        who = _who(s, members, names)
        for i, m in enumerate(members.tolist()):
            g = s.members["group"][m]
            row = [uid, str(s.units.name[code]), str(s.members.ids[m])] + ([who[i]] if names else [])
            row += [statuses[s.members["status"][m]], str(s.units.name[g]) if g >= 0 else ""]
            rows.append(row)
    return header, rows


def _transfers(before: Structure, after: Structure, plans: list[Any], names: bool, lang: str) -> tuple[list[str], list[list[Any]]]:
    header = ["member_id"] + (["name"] if names else []) + ["from_id", "from_name", "to_id", "to_name", "reason_code", "reason"]
    reason_of: dict[str, tuple[str, str]] = {}
    for plan in plans:
        for op in plan.operations:
            if op.op == "move_members":
                text = op.reason.render(lang, plan.templates)
                for m in op.members:
                    reason_of[m] = (op.reason.code, text)
            elif op.op == "dissolve":
                for m in before.member_ids_of(op.unit) if before.has_unit(op.unit) else []:
                    reason_of.setdefault(m, (op.reason.code, op.reason.render(lang, plan.templates)))
    src, dst = before.members["branch"], after.members["branch"]
    moved = np.flatnonzero(after.members["active"] & (src != dst))
    who = _who(after, moved, names)
    rows = []
    for i, m in enumerate(moved.tolist()):
        mid = str(after.members.ids[m])
        code, text = reason_of.get(mid, ("", ""))
        rows.append([mid] + ([who[i]] if names else []) + [
            str(before.units.ids[src[m]]), str(before.units.name[src[m]]),  # where they were, as it was called
            str(after.units.ids[dst[m]]), str(after.units.name[dst[m]]), code, text])
    return header, rows


def _new_units(after: Structure, changes: dict[str, Any], lang: str) -> tuple[list[str], list[list[Any]]]:
    header = ["unit_id", "name", "kind", "parent", "built_on", "members", "full_members", "proposed_secretary",
              "committee_size", "reason"]
    rows = []
    full = after.sizes(full_only=True)
    for u in changes["created"]:
        code = after.unit_code(u["id"])
        roles = after.roles_in(u["id"])
        secretary = ", ".join(r.person for r in roles if r.role == "secretary")
        committee = len({r.person for r in roles})  # people holding an office in the unit
        needed = "3-5" if full[code] >= 7 else "1"
        rows.append([u["id"], u["name"], u["label_zh"] if lang == "zh" else u["label_en"], after.parent(u["id"]) or "",
                     ";".join(after.built_on(u["id"])), u["size"], int(full[code]), secretary,
                     f"{committee} (rule: {needed})", (u["reason"] or {}).get(lang, "")])
    return header, rows


def _gone_units(changes: dict[str, Any], lang: str) -> tuple[list[str], list[list[Any]]]:
    header = ["unit_id", "name", "change", "kind", "members_before", "reason"]
    rows = [[u["id"], u["name"], "dissolve", u["kind"], u["size"], (u["reason"] or {}).get(lang, "")] for u in changes["dissolved"]]
    rows += [[u["id"], u["name"], f"retype from {u['from_kind']}", u["kind"], "", (u["reason"] or {}).get(lang, "")]
             for u in changes["retyped"]]
    return header, rows


def _approvals(after: Structure, changes: dict[str, Any], lang: str) -> tuple[list[str], list[list[Any]]]:
    """Founding, dissolving and upgrading units need the approval of the unit above."""
    header = ["change", "unit_id", "name", "approved_by", "note"]
    rows = []
    village = after.kinds.code("party.village") if "party.village" in after.kinds else None
    for key, what in (("created", "found"), ("dissolved", "dissolve"), ("retyped", "retype")):
        for u in changes[key]:
            parent = after.parent(u["id"]) if after.has_unit(u["id"]) else None
            grand = after.parent(parent) if parent else None
            approver = grand or parent or "the organisation department above"
            name = after.unit(approver).name if approver and after.has_unit(approver) else approver
            # a village organisation is one built on a village (its kind is a branch or committee)
            on_village = village is not None and after.has_unit(u["id"]) and any(
                after.units.kind[after.unit_code(h)] == village for h in after.built_on(u["id"]))
            note = "村级组织的设立、撤销须经乡镇党委批准" if on_village else ""
            rows.append([what, u["id"], u["name"], name, note])
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
