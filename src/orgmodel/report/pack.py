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
from orgmodel.model.kinds import DomainPack
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
        kinds = {k.id: (k.label_zh, k.label_en) for k in results.kinds}
        _xlsx(tables, tmp / "implementation.xlsx", lang, kinds, results.kinds.pack)
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


#: the workbook's column titles in the pack's language (the CSV files keep the column names, for programs);
#: ids stay in columns of their own (编号, 代码); {member}, {full} and {group} are the domain pack's words
HEADERS = {
    "branch_id": ("支部编号", "branch id"), "branch_name": ("支部名称", "branch"), "member_id": ("{member}编号", "{member} id"),
    "name": ("姓名", "name"), "status": ("{member}类别", "status"), "group": ("{group}", "{group}"),
    "from_id": ("原支部编号", "from (id)"), "from_name": ("原支部", "from"), "to_id": ("新支部编号", "to (id)"),
    "to_name": ("新支部", "to"), "reason_code": ("原因代码", "reason code"), "reason": ("原因", "reason"),
    "unit_id": ("组织编号", "unit id"), "kind": ("组织类型", "kind"), "parent": ("上级组织编号", "parent (id)"),
    "built_on": ("依托单位编号", "built on (id)"), "members": ("{member}人数", "{members}"),
    "full_members": ("{full}人数", "{full}"), "roles": ("拟任职务", "proposed roles"),
    "change": ("事项", "change"), "members_before": ("原{member}人数", "{members} before"),
    "unit_above": ("上级组织", "unit above"), "approved_by": ("审批", "approved by"), "rule": ("规则", "rule"),
}
#: words of the workbook's values: the changes (statuses and roles are in the domain pack's words)
VALUES = {"found": ("新建", "found"), "dissolve": ("撤销", "dissolve"), "retype": ("升格/改设", "retype")}


def _word(value: str, lang: str, pack: DomainPack | None = None, prefix: str = "") -> str:
    """A stored code in words: a change, or with ``prefix`` (``status.``, ``role.``) the domain
    pack's word for it; codes neither knows stay as they are."""
    said = pack.word(prefix + value, lang) if pack is not None and prefix else ""
    if said:
        return said
    pair = VALUES.get(value)
    return pair[0 if lang == "zh" else 1] if pair else value


def _title(column: str, lang: str, pack: DomainPack | None, titles: Mapping[str, tuple[str, str]]) -> str:
    """A column's title in ``lang``, in the domain pack's words."""
    title = titles.get(column, (column, column))[0 if lang == "zh" else 1]
    if "{" not in title:
        return title
    words = {k: (pack.word(k, lang) if pack is not None else "") or k for k in ("member", "members", "full_members", "group")}
    return title.format(member=words["member"], members=words["members"], full=words["full_members"], group=words["group"])


def _in_words(key: str, header: list[str], rows: list[list[Any]], kinds: Mapping[str, tuple[str, str]],
              lang: str, pack: DomainPack | None = None) -> list[list[Any]]:
    """Rows of one sheet with codes in words: changes, statuses, kinds and roles."""
    i = 0 if lang == "zh" else 1
    out = []
    for row in rows:
        row = list(row)
        for c, column in enumerate(header):
            value = row[c]
            if not isinstance(value, str) or not value:
                continue
            if column == "status":
                value = _word(value, lang, pack, "status.")
            elif column == "change":
                if value.startswith("retype from "):
                    old = value.removeprefix("retype from ")
                    value = (f"由{kinds.get(old, (old, old))[0]}改设" if lang == "zh"
                             else f"retype from {kinds.get(old, (old, old))[1]}")
                else:
                    value = _word(value, lang)
            elif column == "kind":
                value = kinds.get(value, (value, value))[i]
            elif column == "roles":
                sep, join = ("：", "；") if lang == "zh" else (": ", "; ")
                parts = [part.split(": ", 1) for part in value.split("; ")]
                value = join.join(sep.join((_word(p[0], lang, pack, "role."), p[1])) if len(p) == 2 else p[0] for p in parts)
            row[c] = value
        out.append(row)
    return out


def _xlsx(tables: dict[str, tuple[list[str], list[list[Any]]]], path: Path, lang: str,
          kinds: Mapping[str, tuple[str, str]] | None = None, pack: DomainPack | None = None) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    book.remove(book.active)
    for key, (columns, rows) in tables.items():
        sheet = book.create_sheet(SHEETS[key][0 if lang == "zh" else 1][:31])
        titles = {**HEADERS, "name": ("组织名称", "unit")} if key != "rosters" and key != "transfers" else HEADERS
        header = [_title(c, lang, pack, titles) for c in columns]
        rows = _in_words(key, columns, rows, kinds or {}, lang, pack)
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
