"""Read roster tables from CSV, XLSX and JSON files into columns.

Every cell is read as text (ids are never parsed as numbers: ``007`` stays ``007``); typing
happens column by column when the structure is built, but for the date and boolean columns the
CSV reader is asked to type (typed as read when every cell parses). Headers are renamed through
the scenario's ``columns`` mapping and values through its ``values`` mapping, so real rosters
with Chinese headers (姓名, 党员类别) load without editing. XLSX files are read once and cached
as Parquet by the file's hash.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "m.csv").write_text("编号,支部,党员类别\\n007,b1,正式党员\\n", encoding="utf-8")
>>> source = TableSource(file="m.csv", columns={"编号": "id", "支部": "branch", "党员类别": "status"},
...                      values={"status": {"正式党员": "full"}})
>>> table = read_table(source, base=folder, table="members")
>>> table.columns["id"].to_pylist(), table.columns["status"].to_pylist()
(['007'], ['full'])
>>> table.origin.line(0)
2
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from orgmodel.errors import MAX_ROSTER_ERRORS, RosterError
from orgmodel.files import atomic_file
from orgmodel.io.scenario import TABLES, TableSource
from orgmodel.model.building import BOOLEAN_TEXTS
from orgmodel.model.structure import TableOrigin

__all__ = ["RosterTable", "read_table", "cache_dir", "unmatched_headers"]


@dataclass(frozen=True)
class RosterTable:
    """Columns of one table (arrow arrays of text, or typed as :func:`read_table` was asked) and where
    its rows came from."""

    columns: dict[str, pa.Array]
    origin: TableOrigin

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0


def cache_dir() -> Path:
    """Folder of cached tables: ``$ORGMODEL_CACHE``, else ``$XDG_CACHE_HOME/orgmodel``."""
    explicit = os.environ.get("ORGMODEL_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "orgmodel"


def read_table(source: TableSource, *, base: Path, table: str, display: str | None = None,
               types: Mapping[str, pa.DataType] | None = None) -> RosterTable:
    """Read one table file; errors name the file (as ``display`` or the resolved path) and line.

    ``types`` (by column name) reads those columns of a CSV file typed (dates, booleans) when every
    cell of the column parses as its type, blank cells missing; any other column, and a column with
    a ``values:`` mapping or a cell that does not parse, is read as text.
    """
    path = (base / source.file).resolve() if not Path(source.file).is_absolute() else Path(source.file)
    shown = display or str(path)
    if not path.is_file():
        raise RosterError("roster file not found" if not path.exists() else "not a file", file=shown)
    fmt = source.resolved_format
    if fmt == "csv":
        columns, first_line = _read_csv(path, source, shown, types or {}), 2
    elif fmt == "xlsx":
        columns, first_line = _read_xlsx(path, source, shown), 2
    else:
        columns, first_line = _read_json(path, shown), None
    renamed: dict[str, pa.Array] = {}
    headers: dict[str, str] = {}
    for header, values in columns.items():
        name = source.columns.get(header, header)
        if name in renamed:
            raise RosterError(f"two columns map to {name!r}", file=shown, line=1, field=header)
        renamed[name] = values
        headers[name] = header
    _check_columns(renamed, table, shown, headers)
    errors: list[RosterError] = []
    for column, mapping in source.values.items():
        if column in renamed:
            if column in LABELLED:
                renamed[column], bad = _check_labels(renamed[column], mapping, shown=shown, first_line=first_line,
                                                     field=headers[column])
                errors += bad
            renamed[column] = _map_values(renamed[column], mapping)
    origin = TableOrigin(file=shown, first_line=first_line, columns=headers, errors=tuple(errors))
    return RosterTable(renamed, origin)


def unmatched_headers(source: TableSource, table: RosterTable) -> list[tuple[str, str | None]]:
    """Headers mapped under ``columns:`` that the roster file does not have, each with the file's
    nearest header (None when nothing is near): a typo there would silently drop a column.

    >>> src = TableSource(file="m.csv", columns={"出生日斯": "birth_date", "编号": "id"})
    >>> t = RosterTable({"id": None, "出生日期": None}, TableOrigin(file="m.csv", columns={"id": "编号", "出生日期": "出生日期"}))
    >>> unmatched_headers(src, t)
    [('出生日斯', '出生日期')]
    """
    import difflib

    headers = list(table.origin.columns.values())
    out = []
    for header in source.columns:
        if header not in headers:
            near = difflib.get_close_matches(header, headers, n=1, cutoff=0.3)
            out.append((header, near[0] if near else None))
    return out


def _check_columns(columns: dict[str, pa.Array], table: str, shown: str, headers: dict[str, str]) -> None:
    required, optional = TABLES[table]
    have = ", ".join(headers[c] for c in columns) or "none"
    for name in required:
        if name not in columns:
            raise RosterError(f"missing column {name!r} (have: {have}; map headers with columns:)", file=shown, line=1)
    if table not in ("members", "units"):
        for name in columns:
            if name not in required and name not in optional:
                raise RosterError(
                    f"unknown column (allowed: {', '.join(required + optional)})", file=shown, line=1, field=headers[name]
                )


#: columns whose values are codes: with a ``values:`` mapping, every value must be one of its labels (or a code)
LABELLED = ("status",)


def _check_labels(values: pa.Array, mapping: dict[str, str], *, shown: str, first_line: int | None,
                  field: str) -> tuple[pa.Array, list[RosterError]]:
    """A value that is neither a label of the ``values:`` mapping nor a code it maps to is an error
    listing the user's labels (a typo would otherwise surface as an unknown internal code): the
    column with such cells blank, and an error per cell (raised with the rest of the file's)."""
    text = pc.utf8_trim_whitespace(values.cast(pa.string()))
    known = pa.array(list(mapping) + list(mapping.values()), pa.string())
    bad = pc.and_(pc.is_valid(text), pc.invert(pc.is_in(text, value_set=known)))
    rows = pc.indices_nonzero(bad).to_pylist() if len(text) else []
    errors = [RosterError(f"{text[row].as_py()!r} is not one of the labels mapped under values: ({', '.join(mapping)})",
                          file=shown, line=(first_line + row) if first_line is not None else None, field=field)
              for row in rows[: 10 * MAX_ROSTER_ERRORS]]
    if rows:
        values = pc.if_else(bad, pa.scalar(None, values.type), values)
    return values, errors


def _map_values(values: pa.Array, mapping: dict[str, str]) -> pa.Array:
    keys = pa.array(list(mapping), pa.string())
    mapped = pa.array(list(mapping.values()), pa.string())
    text = values.cast(pa.string())
    idx = pc.index_in(pc.utf8_trim_whitespace(text), value_set=keys)
    return pc.if_else(pc.is_valid(idx), pc.take(mapped, idx.fill_null(0)), text)


def _read_csv(path: Path, source: TableSource, shown: str, types: Mapping[str, pa.DataType]) -> dict[str, pa.Array]:
    import pyarrow.csv as pacsv

    raw_head = path.open("rb").read(4096)
    if b"\x00" in raw_head:
        raise RosterError("not a text file (binary data)", file=shown)
    try:
        header = _csv_header(path, source)
    except UnicodeDecodeError:
        raise RosterError(f"cannot decode as {source.encoding} (set encoding:, e.g. gb18030)", file=shown, line=1) from None
    if not header:
        raise RosterError("file is empty (expected a header row)", file=shown, line=1)
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise RosterError(f"column {dupes[0]!r} appears twice in the header", file=shown, line=1)
    typed = {h: types[source.columns.get(h, h)] for h in header
             if source.columns.get(h, h) in types and source.columns.get(h, h) not in source.values}
    while True:
        try:
            tbl = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(encoding=source.encoding, use_threads=True),
                parse_options=pacsv.ParseOptions(delimiter=source.delimiter, newlines_in_values=False),
                convert_options=_convert_options(header, typed),
            )
            break
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            if typed:  # read again with fewer columns typed; with none, the error is reported as read
                typed = _without_unparsed(typed, header, exc)
                continue
            message = " ".join(str(exc).split())
            line = _csv_error_line(message) or _line_of_quoted_row(path, source, str(exc))
            if "decode" in message.lower() or isinstance(exc, UnicodeDecodeError):
                message = f"cannot decode as {source.encoding} (set encoding:, e.g. gb18030)"
            elif "Expected" in message and "columns, got" in message:
                message = message.split(":", 2)[1].strip() if message.count(":") >= 2 else message
                message = f"{message} (a value with the delimiter in it needs quotes)"
            raise RosterError(message, file=shown, line=line) from None
    columns = {name: tbl.column(name) for name in tbl.column_names}
    del tbl
    for name in columns:  # one column at a time, each set of chunks dropped once it is joined
        columns[name] = _single(columns[name])
    pa.default_memory_pool().release_unused()  # arrow's allocator would keep the chunks' memory for reuse
    return columns  # type: ignore[return-value]


def _convert_options(header: list[str], typed: Mapping[str, pa.DataType]) -> Any:
    """Every column as text, blank cells as empty text, except the ``typed`` headers: those are read
    as their type, blank cells as missing, booleans only in the spellings the builder reads."""
    import pyarrow.csv as pacsv

    true, false = BOOLEAN_TEXTS
    return pacsv.ConvertOptions(
        column_types={h: typed.get(h, pa.string()) for h in header},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        null_values=[""],
        true_values=true,
        false_values=false,
    )


def _without_unparsed(typed: Mapping[str, pa.DataType], header: list[str], exc: Exception) -> dict[str, pa.DataType]:
    """``typed`` without the column whose cell did not parse as its type; without every column
    when the read failed for another reason (the read as text reports it)."""
    found = re.search(r"In CSV column #(\d+): .*CSV conversion error", str(exc))
    failed = header[int(found.group(1))] if found and int(found.group(1)) < len(header) else None
    return {h: t for h, t in typed.items() if h != failed} if failed in typed else {}


def _csv_header(path: Path, source: TableSource) -> list[str]:
    import csv

    with path.open("r", encoding=source.encoding, newline="") as handle:
        first = next(csv.reader(handle, delimiter=source.delimiter), [])
    if first and first[0].startswith("\ufeff"):
        first[0] = first[0][1:]
    return [h.strip() for h in first]


def _line_of_quoted_row(path: Path, source: TableSource, message: str) -> int | None:
    """pyarrow quotes the offending row after the last ': '; find that row's line in the file."""
    if ": " not in message:
        return None
    row = message.rsplit(": ", 1)[1].strip().splitlines()[0] if message.rsplit(": ", 1)[1].strip() else ""
    if not row:
        return None
    try:
        with path.open("r", encoding=source.encoding, errors="replace", newline="") as handle:
            for number, text in enumerate(handle, start=1):
                if text.rstrip("\r\n") == row:
                    return number
    except OSError:
        return None
    return None


def _csv_error_line(message: str) -> int | None:
    found = re.search(r"[Rr]ow #?(\d+)", message)
    return int(found.group(1)) + 1 if found else None


def _single(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return column


def _read_xlsx(path: Path, source: TableSource, shown: str) -> dict[str, pa.Array]:
    import pyarrow.parquet as pq

    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
    cached = cache_dir() / "xlsx" / f"{digest}-{source.sheet or ''}.parquet"
    if cached.is_file():
        try:
            tbl = pq.read_table(cached)
            return {name: _single(tbl.column(name)) for name in tbl.column_names}
        except (OSError, pa.ArrowInvalid):
            pass  # a damaged cache entry is read again from the workbook
    columns = _xlsx_columns(path, source, shown)
    try:
        with atomic_file(cached) as tmp:
            pq.write_table(pa.table(columns), tmp)
    except OSError:
        pass  # the cache only saves time; a read-only home must not stop a run
    return columns


def _xlsx_columns(path: Path, source: TableSource, shown: str) -> dict[str, pa.Array]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RosterError(f"not a readable XLSX workbook ({type(exc).__name__})", file=shown) from None
    try:
        if source.sheet is not None and source.sheet not in book.sheetnames:
            raise RosterError(f"no sheet {source.sheet!r} (have: {', '.join(book.sheetnames)})", file=shown)
        sheet = book[source.sheet] if source.sheet else book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_row = next(rows, None)
        if not header_row or all(h is None for h in header_row):
            raise RosterError("sheet is empty (expected a header row)", file=shown, line=1)
        header = [str(h).strip() if h is not None else "" for h in header_row]
        while header and header[-1] == "":
            header.pop()
        if "" in header:
            raise RosterError(f"column {header.index('') + 1} has no header", file=shown, line=1)
        dupes = sorted({h for h in header if header.count(h) > 1})
        if dupes:
            raise RosterError(f"column {dupes[0]!r} appears twice in the header", file=shown, line=1)
        data: list[list[str]] = [[] for _ in header]
        for row in rows:
            if row is None or all(v is None or v == "" for v in row[: len(header)]):
                continue
            for i in range(len(header)):
                data[i].append(_cell_text(row[i] if i < len(row) else None))
    finally:
        book.close()
    return {h: pa.array(col, pa.string()) for h, col in zip(header, data, strict=True)}


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "date") and hasattr(value, "hour"):
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _read_json(path: Path, shown: str) -> dict[str, pa.Array]:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise RosterError("not a text file (binary data)", file=shown)
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise RosterError("not UTF-8 text", file=shown) from None
    except json.JSONDecodeError as exc:
        raise RosterError(exc.msg, file=shown, line=exc.lineno, column=exc.colno) from None
    if isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
        lengths = {len(v) for v in data.values()}
        if len(lengths) > 1:
            raise RosterError("columns have different lengths", file=shown)
        return {str(k): pa.array([_json_text(x) for x in v], pa.string()) for k, v in data.items()}
    if not isinstance(data, list):
        raise RosterError("expected a list of records or a mapping of columns", file=shown)
    names: list[str] = []
    for i, record in enumerate(data):
        if not isinstance(record, dict):
            raise RosterError(f"expected a record (object), got {type(record).__name__}", file=shown, field=f"[{i}]")
        for key in record:
            if key not in names:
                names.append(key)
    return {n: pa.array([_json_text(r.get(n)) for r in data], pa.string()) for n in names}


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)
