"""Read scenario YAML into plain Python values, keeping the line and column of every key and item.

Every problem with the file (missing, too large, binary, empty, bad syntax, duplicate keys, bad
dates, unsupported tags, alias bombs) is one :class:`~orgmodel.errors.SpecError` at its place.

>>> data, where = load_yaml_text("name: core\\nsize: ten\\n", file="s.yaml")
>>> data
{'name': 'core', 'size': 'ten'}
>>> where.locate(("size",))
(2, 1)
"""

from __future__ import annotations

import collections.abc
import datetime as _dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from orgmodel.errors import SpecError
from orgmodel.io.yamlsource.locator import FieldPath
from orgmodel.io.yamlsource.locator import Locator, format_path

__all__ = ["MAX_SPEC_BYTES", "load_yaml", "load_yaml_text"]

MAX_SPEC_BYTES = 2 * 1024 * 1024
"""Scenario files larger than this are refused before parsing."""

_MAX_DEPTH = 200
"""Deeper nesting than this is refused (it is never a real scenario, and it would recurse)."""

_EXTRA_NODES = 250_000
"""Values that anchors/aliases may add on top of the file's own size (stops "billion laughs")."""

_STD_TAG = "tag:yaml.org,2002:"


def load_yaml(path: Path) -> tuple[Any, Locator]:
    """Read one scenario file: the top-level mapping as plain Python values, and its Locator.

    Every problem with the file is raised as a one-line :class:`SpecError` naming the file and,
    where known, the line and column.
    """
    file = str(path)
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise SpecError("file not found", file=file) from None
    except OSError as exc:
        raise SpecError(f"cannot read file: {exc.strerror or exc}", file=file) from None
    if path.is_dir():
        raise SpecError("is a directory, not a file", file=file)
    if st.st_size > MAX_SPEC_BYTES:
        raise SpecError(_too_big(f"{st.st_size:,}"), file=file)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_SPEC_BYTES + 1)
    except IsADirectoryError:
        raise SpecError("is a directory, not a file", file=file) from None
    except OSError as exc:
        raise SpecError(f"cannot read file: {exc.strerror or exc}", file=file) from None
    if len(raw) > MAX_SPEC_BYTES:  # not a regular file, or it grew since stat()
        raise SpecError(_too_big(f"more than {MAX_SPEC_BYTES:,}"), file=file)
    return _load_bytes(raw, file)


def load_yaml_text(text: str, *, file: str = "<string>") -> tuple[Any, Locator]:
    """Like :func:`load_yaml`, for text already in memory (``file`` is used in messages).

    >>> load_yaml_text("- a\\n- b\\n", file="x.yaml")
    Traceback (most recent call last):
    ...
    orgmodel.errors.SpecError: x.yaml:1:1: expected a mapping at the top level, got a list
    """
    if "\x00" in text:
        line, col = _line_col(text, text.index("\x00"))
        raise SpecError("not a text file (binary or not UTF-8)", file=file, line=line, column=col)
    return _load_text(text, file)


def _too_big(size: str) -> str:
    return (
        f"file is {size} bytes; scenario files are limited to {MAX_SPEC_BYTES // (1024 * 1024)} MB"
        " (put large tables in roster files)"
    )


def _load_bytes(raw: bytes, file: str) -> tuple[Any, Locator]:
    binary = "not a text file (binary or not UTF-8)"
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, col = _byte_line_col(raw, nul)
        raise SpecError(binary, file=file, line=line, column=col)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        line, col = _byte_line_col(raw, offset)
        raise SpecError(binary, file=file, line=line, column=col) from None
    return _load_text(text, file)


def _byte_line_col(raw: bytes, offset: int) -> tuple[int, int]:
    start = raw.rfind(b"\n", 0, offset) + 1
    col = len(raw[start:offset].decode("utf-8", errors="replace")) + 1
    return raw.count(b"\n", 0, offset) + 1, col


def _line_col(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


_NON_CONTENT = re.compile(r"\s*(#.*)?|%.*|(---|\.\.\.)(\s+(#.*)?)?")


def _first_content(text: str) -> tuple[int, int] | None:
    """(line, column) of the first line that is not blank, a comment, a directive or ``---``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not _NON_CONTENT.fullmatch(line):
            return number, len(line) - len(line.lstrip()) + 1
    return None


def _parse_text(text: str) -> Any:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml.load(text)


def _load_text(text: str, file: str) -> tuple[Any, Locator]:
    if not text.strip():
        raise SpecError("file is empty", file=file)
    try:
        doc = _parse_text(text)
    except DuplicateKeyError as exc:
        raise SpecError(_duplicate_message(exc), file=file, **_mark(exc)) from None
    except MarkedYAMLError as exc:
        raise SpecError(_syntax_message(exc), file=file, **_mark(exc)) from None
    except YAMLError as exc:
        first = str(exc).strip().splitlines()[:1] or ["invalid YAML"]
        raise SpecError(first[0], file=file) from None
    except RecursionError:
        raise SpecError("values are nested too deeply", file=file) from None
    except ValueError as exc:  # YAML's timestamp constructor: 2024-13-30 looks like a date but is none
        raise _bad_date(text, file, exc) from None

    if doc is None:
        where = _first_content(text)
        if where is None:
            raise SpecError("file is empty", file=file)
    if not isinstance(doc, CommentedMap):
        line, col = _first_content(text) or (None, None)
        raise SpecError(
            f"expected a mapping at the top level, got {_kind_of(doc)}",
            file=file,
            line=line,
            column=col,
        )

    conv = _Converter(file, limit=len(text) + _EXTRA_NODES)
    try:
        data = conv.convert(doc, (), (1, 1))
    except RecursionError:
        raise SpecError("values are nested too deeply", file=file) from None
    return data, conv.locator


_DATE_LIKE = re.compile(r"(?<![\w.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w.:-])")


def _bad_date(text: str, file: str, exc: ValueError) -> SpecError:
    """The first date-like value that is no date, at its line and column."""
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _DATE_LIKE.finditer(line.split("#", 1)[0]):
            try:
                _dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                return SpecError(f"{match.group(0)} is not a date ({exc}); write dates as YYYY-MM-DD",
                                 file=file, line=number, column=match.start() + 1)
    return SpecError(f"invalid value: {exc}", file=file)


def _mark(exc: MarkedYAMLError) -> dict[str, int]:
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return {}
    return {"line": mark.line + 1, "column": mark.column + 1}


_DUP = re.compile(r'found duplicate key "(.*)" with value')


def _duplicate_message(exc: DuplicateKeyError) -> str:
    found = _DUP.search(str(exc.problem or ""))
    return f"duplicate key {found.group(1)!r}" if found else "duplicate key"


def _syntax_message(exc: MarkedYAMLError) -> str:
    problem = str(exc.problem or "").strip()
    context = str(exc.context or "").strip()
    if problem.startswith("but ") and context:
        return f"{context}, {problem}"
    return problem or context or "invalid YAML"


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, _dt.datetime):
        return "a date and time"
    if isinstance(value, _dt.date):
        return "a date"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


class _Converter:
    """ruamel round-trip objects -> plain Python, recording positions on the way."""

    def __init__(self, file: str, limit: int) -> None:
        self.file = file
        self.limit = limit
        self.count = 0
        self.active: set[int] = set()
        self.locator = Locator()

    def fail(self, message: str, path: FieldPath, pos: tuple[int, int]) -> SpecError:
        return SpecError(
            message, file=self.file, line=pos[0], column=pos[1], field=format_path(path) or None
        )

    def convert(self, node: Any, path: FieldPath, pos: tuple[int, int]) -> Any:
        self.count += 1
        if self.count > self.limit:
            raise self.fail(
                "too many values after expanding aliases (*name); write the values out instead",
                path,
                pos,
            )
        if len(path) > _MAX_DEPTH:
            raise self.fail("values are nested too deeply", path, pos)

        if isinstance(node, (dict, list)):
            tag = _tag_of(node)
            if tag is not None and tag not in ("!!map", "!!omap", "!!seq"):
                raise self.fail(f"unsupported YAML tag {tag}", path, pos)
            if id(node) in self.active:
                raise self.fail("alias refers to itself", path, pos)
            self.active.add(id(node))
            try:
                if isinstance(node, dict):
                    return self._mapping(node, path, pos)
                return self._sequence(node, path, pos)
            finally:
                self.active.discard(id(node))
        return self._scalar(node, path, pos)

    def _mapping(self, node: dict, path: FieldPath, pos: tuple[int, int]) -> dict:
        out: dict[Any, Any] = {}
        for key, value in node.items():
            kpos = _child_pos(node, key, pos, is_key=True)
            if isinstance(key, (dict, list, tuple, set, frozenset)):
                raise self.fail(
                    "mapping keys must be plain values, not lists or mappings", path, kpos
                )
            plain = self._scalar(key, path, kpos)
            child = path + (plain,)
            self.locator.add(child, *kpos)
            out[plain] = self.convert(value, child, kpos)
        return out

    def _sequence(self, node: list, path: FieldPath, pos: tuple[int, int]) -> list:
        out = []
        for index, value in enumerate(node):
            ipos = _child_pos(node, index, pos, is_key=False)
            child = path + (index,)
            self.locator.add(child, *ipos)
            out.append(self.convert(value, child, ipos))
        return out

    def _scalar(self, node: Any, path: FieldPath, pos: tuple[int, int]) -> Any:
        if node is None:
            return None
        if isinstance(node, TaggedScalar):
            tag = _tag_of(node)
            if tag == "!!str":
                return str(node.value)
            raise self.fail(f"unsupported YAML tag {tag}", path, pos)
        if isinstance(node, bool):
            return bool(node)
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        if isinstance(node, str):
            return str(node)
        if isinstance(node, _dt.datetime):
            return _dt.datetime(
                node.year,
                node.month,
                node.day,
                node.hour,
                node.minute,
                node.second,
                node.microsecond,
                tzinfo=node.tzinfo,
                fold=node.fold,
            )
        if isinstance(node, _dt.date):
            return _dt.date(node.year, node.month, node.day)
        if isinstance(node, collections.abc.Set):
            raise self.fail("sets (!!set) are not supported; use a list", path, pos)
        if isinstance(node, (bytes, bytearray)):
            raise self.fail("binary values (!!binary) are not supported", path, pos)
        raise self.fail(f"unsupported YAML value ({type(node).__name__})", path, pos)


def _tag_of(node: Any) -> str | None:
    """The node's explicit YAML tag, standard ones shortened to ``!!name``; None if untagged."""
    tag = getattr(node, "tag", None)
    value = getattr(tag, "value", tag)
    if not isinstance(value, str):
        return None
    return "!!" + value[len(_STD_TAG) :] if value.startswith(_STD_TAG) else value


def _child_pos(node: Any, key: Any, default: tuple[int, int], *, is_key: bool) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    try:
        got = lc.key(key) if is_key else lc.item(key)  # type: ignore[union-attr]
        line, col = got[0], got[1]
    except Exception:  # merged keys (<<), hand-built objects: use the parent's position
        return default
    if not isinstance(line, int) or not isinstance(col, int):
        return default
    return line + 1, col + 1
