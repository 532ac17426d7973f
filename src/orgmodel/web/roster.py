"""Read an uploaded roster (XLSX or CSV) safely, check it row by row, and save a new scenario.

Nothing in an upload is executed or evaluated: an XLSX workbook is opened only after its zip
directory has been checked (entry count, uncompressed size, compression ratio), in read-only mode,
and a formula cell is reported as an error of that cell, never computed. A CSV cell starting with
``=`` is a formula too. The uploaded file's name is never used as a path.

>>> table = read_table("a.csv", "姓名,所在支部\\n张三,一支部\\n".encode())
>>> table.header, table.rows
(['姓名', '所在支部'], [['张三', '一支部']])
>>> mapping = guess_mapping(table.header)
>>> mapping["name"], mapping["branch"]
('姓名', '所在支部')
>>> check_rows(table, mapping)
[]
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from orgmodel.errors import UserError

__all__ = ["FIELDS", "STATUS_VALUES", "MAX_UPLOAD_BYTES", "MAX_UNZIPPED_BYTES", "MAX_ROWS", "Table", "CellError",
           "read_table", "guess_mapping", "check_rows", "write_scenario", "safe_folder_name"]

#: Largest upload accepted (bytes); anything larger is refused before it is read.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Largest total uncompressed size of an XLSX workbook's parts.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
#: Largest ratio of uncompressed to compressed size of one part (a zip bomb is far above).
MAX_RATIO = 200
#: Most rows of a roster.
MAX_ROWS = 200_000

#: Roster fields the planner maps, with the headers each is guessed from; ``branch`` and ``name``
#: are required.
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("编号", "序号", "党员编号", "id"),
    "name": ("姓名", "名字", "name"),
    "status": ("党员类别", "类别", "人员类别", "党员状态", "status"),
    "branch": ("所在支部", "所在党支部", "支部", "党支部", "branch"),
    "birth_date": ("出生日期", "出生年月", "birth_date"),
    "joined": ("入党日期", "入党时间", "joined"),
}
REQUIRED = ("name", "branch")
#: Values of the category column and the status each means.
STATUS_VALUES = {"正式党员": "full", "正式": "full", "full": "full",
                 "预备党员": "probationary", "预备": "probationary", "probationary": "probationary"}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?|月)?$")


@dataclass
class Table:
    """A roster as text: its header and rows (every cell a string), and cells that were formulas."""

    header: list[str]
    rows: list[list[str]]
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (row index, column index)


@dataclass(frozen=True)
class CellError:
    """One problem of one cell: the file's row number (header is row 1), the column, the message."""

    row: int
    column: str
    message: str


def _check_zip(data: bytes) -> None:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UserError("not an Excel workbook (.xlsx): the file is not a zip archive; save it from Excel as .xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        if len(infos) > 10_000:
            raise UserError(f"the workbook has {len(infos):,} parts; refused as unsafe")
        total = sum(i.file_size for i in infos)
        if total > MAX_UNZIPPED_BYTES:
            raise UserError(f"the workbook unpacks to {total / 2**20:,.0f} MB (at most "
                            f"{MAX_UNZIPPED_BYTES // 2**20} MB); refused as a possible zip bomb")
        for info in infos:
            if info.file_size > 1_000_000 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise UserError(f"the workbook part {info.filename!r} is compressed {info.file_size // max(info.compress_size, 1):,} "
                                "to 1; refused as a possible zip bomb")
        if "xl/workbook.xml" not in {i.filename for i in infos}:
            raise UserError("not an Excel workbook (.xlsx): it has no xl/workbook.xml")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(data: bytes) -> Table:
    _check_zip(data)
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise UserError(f"the workbook cannot be read ({type(exc).__name__}); save it again from Excel") from None
    try:
        sheet = book.worksheets[0]
        rows: list[list[str]] = []
        formulas: set[tuple[int, int]] = set()
        header: list[str] | None = None
        for cells in sheet.iter_rows():
            texts = []
            for j, cell in enumerate(cells):
                if getattr(cell, "data_type", None) == "f":
                    formulas.add((len(rows), j))
                    texts.append(str(cell.value))
                else:
                    texts.append(_cell_text(cell.value))
            if header is None:
                if (len(rows), 0) in formulas or any(j for (i, j) in formulas if i == len(rows)):
                    raise UserError("the header row holds a formula; the first row must name the columns")
                header = texts
                formulas.clear()
                continue
            if any(texts):
                rows.append(texts)
            if len(rows) > MAX_ROWS:
                raise UserError(f"more than {MAX_ROWS:,} rows; split the roster")
    finally:
        book.close()
    if header is None:
        raise UserError("the workbook's first sheet is empty")
    return Table(header, rows, formulas)


def _read_csv(data: bytes) -> Table:
    if b"\x00" in data[:4096]:
        raise UserError("not a CSV text file: it holds binary data")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UserError("the CSV file is neither UTF-8 nor GB18030 text")
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise UserError("the CSV file is empty") from None
    rows, formulas = [], set()
    for row in reader:
        if not any(c.strip() for c in row):
            continue
        texts = [c.strip() for c in row]
        formulas.update((len(rows), j) for j, c in enumerate(texts) if c.startswith("="))
        rows.append(texts)
        if len(rows) > MAX_ROWS:
            raise UserError(f"more than {MAX_ROWS:,} rows; split the roster")
    return Table(header, rows, formulas)


def read_table(filename: str, data: bytes) -> Table:
    """The roster in ``data``; ``filename`` only chooses the format (by its suffix)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UserError(f"the file is {len(data) / 2**20:,.1f} MB; at most {MAX_UPLOAD_BYTES // 2**20} MB")
    suffix = Path(filename.replace("\\", "/")).suffix.lower()
    if suffix == ".xlsx":
        table = _read_xlsx(data)
    elif suffix in (".csv", ".txt"):
        table = _read_csv(data)
    else:
        raise UserError(f"{suffix or 'a file without a suffix'}: upload an Excel workbook (.xlsx) or a CSV file")
    names = [h for h in table.header if h]
    if len(set(names)) != len(names):
        raise UserError("the header row names a column twice")
    if not names:
        raise UserError("the header row is empty")
    return table


def guess_mapping(header: list[str]) -> dict[str, str]:
    """Each field mapped to the first header that names it (empty when none does)."""
    lower = {h.lower(): h for h in header if h}
    return {f: next((lower[g.lower()] for g in guesses if g.lower() in lower), "") for f, guesses in FIELDS.items()}


def parse_date(text: str) -> str | None:
    """A date as ``YYYY-MM-DD`` (day 1 when only a month is given), or None when it is not one.

    >>> parse_date("1958年5月"), parse_date("1958-05-22"), parse_date("5/22")
    ('1958-05-01', '1958-05-22', None)
    """
    m = _DATE.match(text.strip())
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3] or 1)).isoformat()
    except ValueError:
        return None


def check_rows(table: Table, mapping: dict[str, str]) -> list[CellError]:
    """Every problem of every row under ``mapping`` (field → header); nothing is changed."""
    errors = [CellError(1, f, "required column not chosen") for f in REQUIRED if not mapping.get(f)]
    if errors:
        return errors
    col = {f: table.header.index(h) for f, h in mapping.items() if h}
    seen_ids: dict[str, int] = {}
    for i, row in enumerate(table.rows):
        line = i + 2

        def cell(f: str) -> str:
            j = col.get(f)
            return row[j] if j is not None and j < len(row) else ""

        for f, j in col.items():
            if (i, j) in table.formulas:
                errors.append(CellError(line, mapping[f], "a formula; enter the value itself (formulas are not computed)"))
        for f in REQUIRED:
            if not cell(f) and (i, col[f]) not in table.formulas:
                errors.append(CellError(line, mapping[f], "empty"))
        if "status" in col and cell("status") and cell("status") not in STATUS_VALUES:
            errors.append(CellError(line, mapping["status"],
                                    f"{cell('status')!r} is not 正式党员 or 预备党员"))
        for f in ("birth_date", "joined"):
            if f in col and cell(f) and (i, col[f]) not in table.formulas and parse_date(cell(f)) is None:
                errors.append(CellError(line, mapping[f], f"{cell(f)!r} is not a date (YYYY-MM-DD)"))
        if "id" in col and cell("id"):
            if cell("id") in seen_ids:
                errors.append(CellError(line, mapping["id"], f"{cell('id')!r} repeats row {seen_ids[cell('id')]}"))
            seen_ids.setdefault(cell("id"), line)
    return errors


def safe_folder_name(name: str) -> str:
    """A folder name for a new scenario: one path part, no separators, no dots first.

    >>> safe_folder_name("东区-2025")
    '东区-2025'
    >>> safe_folder_name("../../etc")
    Traceback (most recent call last):
    ...
    orgmodel.errors.UserError: folder name '../../etc': use letters, digits, - and _ only (one folder, no / or ..)
    """
    if not re.fullmatch(r"[\w-]{1,64}", name) or name.startswith("-"):
        raise UserError(f"folder name {name!r}: use letters, digits, - and _ only (one folder, no / or ..)")
    return name


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def write_scenario(root: Path, folder: str, title: str, table: Table, mapping: dict[str, str]) -> Path:
    """Write ``root/folder/`` with scenario.yaml, units.csv and members.csv; returns the scenario file.

    Refuses a roster with errors, and an existing folder. Written aside and renamed into place.
    """
    if check_rows(table, mapping):
        raise UserError("the roster has errors; correct them first")
    target = root / safe_folder_name(folder)
    if target.exists():
        raise UserError(f"folder {folder!r} exists already; choose another name")
    col = {f: table.header.index(h) for f, h in mapping.items() if h}
    branches: dict[str, str] = {}
    members = [["id", "name", "branch", "status", "birth_date", "joined"]]
    for i, row in enumerate(table.rows):
        def cell(f: str) -> str:
            j = col.get(f)
            return row[j] if j is not None and j < len(row) else ""
        branch = branches.setdefault(cell("branch"), f"b{len(branches) + 1:03d}")
        members.append([cell("id") or f"m{i + 1:05d}", cell("name"), branch,
                        STATUS_VALUES.get(cell("status"), "full"),
                        parse_date(cell("birth_date")) or "", parse_date(cell("joined")) or ""])
    units = [["id", "kind", "name", "parent"], ["root", "party.committee", f"{title}党委", ""]]
    units += [[code, "party.branch", name, "root"] for name, code in branches.items()]
    scenario = (
        "# Written by orgmodel serve from an uploaded roster; edit freely.\n"
        "version: 1\n"
        f"name: {_quoted(title)}\n"
        "domain: party\n"
        "baseline:\n"
        "  units: {file: units.csv}\n"
        "  members: {file: members.csv}\n"
        "output: {dir: out, lang: zh}\n"
        "variants:\n"
        "  - name: status-quo\n"
        "    label: 现状\n"
    )
    staging = root / f".{target.name}.partial"
    staging.mkdir()
    try:
        (staging / "units.csv").write_text(_csv(units), encoding="utf-8")
        (staging / "members.csv").write_text(_csv(members), encoding="utf-8")
        (staging / "scenario.yaml").write_text(scenario, encoding="utf-8")
        staging.rename(target)
    except BaseException:
        for p in staging.iterdir():
            p.unlink()
        staging.rmdir()
        raise
    return target / "scenario.yaml"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
