"""Read scenario YAML with line and column kept, and report validation errors at their place.

:func:`load_yaml` reads one file into plain Python values (dict, list, str, int, float, bool,
None, date, datetime) and a :class:`Locator` that knows where each key and list item is.
:func:`validate` runs a pydantic model over the data and turns the first error (the earliest
in the file) into a one-line :class:`~orgmodel.errors.SpecError`: ``file:line:col: path: message``.

>>> from pydantic import BaseModel, ConfigDict
>>> class Team(BaseModel):
...     model_config = ConfigDict(extra="forbid")
...     name: str
...     size: int
>>> data, where = load_yaml_text("name: core\\nsize: ten\\n", file="s.yaml")
>>> data
{'name': 'core', 'size': 'ten'}
>>> where.locate(("size",))
(2, 1)
>>> try:
...     validate(Team, data, file="s.yaml", locator=where)
... except SpecError as err:
...     print(err)
s.yaml:2:1: size: expected an integer, got 'ten'

Unknown keys name the keys that are allowed; a missing key points at its parent mapping:

>>> data, where = load_yaml_text("name: core\\nsise: 3\\n", file="s.yaml")
>>> try:
...     validate(Team, data, file="s.yaml", locator=where)
... except SpecError as err:
...     print(err)
s.yaml:2:1: sise: unknown key (allowed: name, size) (and 1 more error)

>>> format_path(("variants", 0, "steps", 1, "params", "k"))
'variants[0].steps[1].params.k'
"""

import collections
import collections.abc
import datetime as _dt
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel, RootModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from orgmodel.errors import SpecError

__all__ = [
    "MAX_SPEC_BYTES",
    "Locator",
    "load_yaml",
    "load_yaml_text",
    "format_path",
    "spec_error_from_validation",
    "validate",
]

MAX_SPEC_BYTES = 2 * 1024 * 1024
"""Scenario files larger than this are refused before parsing."""

_MAX_DEPTH = 200
"""Deeper nesting than this is refused (it is never a real scenario, and it would recurse)."""

_EXTRA_NODES = 250_000
"""Values that anchors/aliases may add on top of the file's own size (stops "billion laughs")."""

_STD_TAG = "tag:yaml.org,2002:"

Path_ = tuple[Any, ...]
ModelT = TypeVar("ModelT", bound=BaseModel)


# --------------------------------------------------------------------------------------------
# Locator


class Locator:
    """Where each key and list item of a loaded file is: field path -> (line, column), 1-based.

    For a mapping key the position is the key's; for a list item it is the item's.

    >>> where = Locator({("a",): (2, 1), ("a", 0): (3, 5)})
    >>> where.locate(("a", 0))
    (3, 5)
    >>> where.locate(("a", 0, "missing"))
    (3, 5)
    >>> where.locate(())
    (1, 1)
    """

    def __init__(self, positions: Mapping[Path_, tuple[int, int]] | None = None) -> None:
        self._positions: dict[Path_, tuple[int, int]] = dict(positions or {})

    def add(self, path: Iterable[Any], line: int, column: int) -> None:
        """Record that ``path`` starts at ``line``:``column`` (1-based)."""
        self._positions[tuple(path)] = (line, column)

    def items(self) -> Iterable[tuple[Path_, tuple[int, int]]]:
        """Every recorded (path, position)."""
        return self._positions.items()

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and path in self._positions

    def __len__(self) -> int:
        return len(self._positions)

    def __repr__(self) -> str:
        return f"Locator({len(self._positions)} positions)"

    def locate(self, path: Iterable[Any]) -> tuple[int | None, int | None]:
        """Return (line, column) of ``path``, or of its longest recorded prefix; root is (1, 1)."""
        path = tuple(path)
        for n in range(len(path), 0, -1):
            pos = self._positions.get(path[:n])
            if pos is not None:
                return pos
        return self._positions.get((), (1, 1))


_SIMPLE_KEY = re.compile(r"\w[\w-]*\Z")


def format_path(path: Iterable[Any]) -> str:
    """Render a field path as text: keys dotted, list indexes in brackets.

    >>> format_path(("units", "a.b", "size"))
    "units['a.b'].size"
    >>> format_path(())
    ''
    """
    out = ""
    for elem in path:
        if isinstance(elem, int) and not isinstance(elem, bool):
            out += f"[{elem}]"
        elif isinstance(elem, str) and _SIMPLE_KEY.match(elem):
            out += f".{elem}" if out else elem
        else:
            out += f"[{_short(repr(elem))}]"
    return out


# --------------------------------------------------------------------------------------------
# Loading


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

    def fail(self, message: str, path: Path_, pos: tuple[int, int]) -> SpecError:
        return SpecError(
            message, file=self.file, line=pos[0], column=pos[1], field=format_path(path) or None
        )

    def convert(self, node: Any, path: Path_, pos: tuple[int, int]) -> Any:
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

    def _mapping(self, node: dict, path: Path_, pos: tuple[int, int]) -> dict:
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

    def _sequence(self, node: list, path: Path_, pos: tuple[int, int]) -> list:
        out = []
        for index, value in enumerate(node):
            ipos = _child_pos(node, index, pos, is_key=False)
            child = path + (index,)
            self.locator.add(child, *ipos)
            out.append(self.convert(value, child, ipos))
        return out

    def _scalar(self, node: Any, path: Path_, pos: tuple[int, int]) -> Any:
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


# --------------------------------------------------------------------------------------------
# Validation errors


def spec_error_from_validation(
    err: pydantic.ValidationError,
    *,
    file: str,
    locator: Locator,
    allowed_keys: Callable[[tuple], list[str]] | None = None,
) -> SpecError:
    """Turn a pydantic ValidationError into one SpecError at the earliest place in the file.

    Errors at a place that exists in the file come first (a missing key only has its parent's
    place, and an unknown key next to it usually explains it), then by line and column.

    ``allowed_keys(path)`` may return the keys allowed in the mapping at ``path`` (used for
    unknown keys). Errors that pydantic reports several times at one place (one per member of a
    union) are merged; when others remain, " (and N more errors)" is appended.
    """
    raw = err.errors(include_url=False)
    if not raw:
        return SpecError(str(err).splitlines()[0] if str(err) else "invalid data", file=file)

    groups: dict[Path_, list[tuple[int, dict]]] = {}
    for index, item in enumerate(raw):
        path = _user_path(item, locator)
        groups.setdefault(path, []).append((index, item))

    entries: list[tuple[tuple[int, float, float, int], Path_, str]] = []
    for path, items in groups.items():
        expected = [(i, e) for i, e in items if _expectation(e) is not None]
        others = [(i, e) for i, e in items if _expectation(e) is None]
        if expected:
            kinds: list[str] = []
            for _, e in expected:
                kind = _expectation(e)
                if kind not in kinds:
                    kinds.append(kind)  # type: ignore[arg-type]
            message = f"expected {_or_join(kinds)}, got {_show(expected[0][1].get('input'))}"
            entries.append((_order(locator, path, expected[0][0]), path, message))
        for index, e in others:
            epath, message = _message(e, path, locator, allowed_keys)
            entries.append((_order(locator, epath, index), epath, message))

    entries.sort(key=lambda entry: entry[0])
    _, path, message = entries[0]
    more = len(entries) - 1
    if more:
        message += f" (and {more} more error{_s(more)})"
    line, column = locator.locate(path)
    return SpecError(message, file=file, line=line, column=column, field=format_path(path) or None)


def _order(locator: Locator, path: Path_, index: int) -> tuple[int, float, float, int]:
    """Sort key: errors at a place that exists in the file first (a missing key only has its
    parent's place), then by line and column, then in pydantic's order."""
    line, col = locator.locate(path)
    return (
        0 if path in locator else 1,
        float(line) if line is not None else float("inf"),
        float(col) if col is not None else float("inf"),
        index,
    )


def _user_path(item: Mapping[str, Any], locator: Locator) -> Path_:
    """The part of pydantic's ``loc`` that is real keys/indexes of the input.

    pydantic adds union member names, tags, ``function-after[...]``, ``[key]``...; those are
    dropped. The last entry of a ``missing`` error is kept (it is absent from the input).
    """
    loc = tuple(item.get("loc", ()))
    path: Path_ = ()
    for n, elem in enumerate(loc):
        candidate = path + (elem,)
        if candidate in locator:
            path = candidate
        elif n == len(loc) - 1 and item.get("type") == "missing" and isinstance(elem, str):
            path = candidate
    return path


_KINDS: dict[str, str] = {}
for _kind, _types in {
    "an integer": "int_type int_parsing int_from_float int_parsing_size",
    "a number": "float_type float_parsing decimal_type decimal_parsing",
    "a finite number": "finite_number",
    "a string": "string_type string_unicode str_type bytes_type",
    "true or false": "bool_type bool_parsing",
    "a mapping": "dict_type mapping_type model_type model_attributes_type dataclass_type"
    " dataclass_exact_type",
    "a list": "list_type tuple_type set_type frozen_set_type iterable_type",
    "a date (YYYY-MM-DD)": "date_type date_parsing date_from_datetime_parsing",
    "a date without a time": "date_from_datetime_inexact",
    "a date and time": "datetime_type datetime_parsing datetime_from_date_parsing"
    " datetime_object_invalid",
    "a time (HH:MM[:SS])": "time_type time_parsing",
    "a duration": "time_delta_type time_delta_parsing timedelta_type timedelta_parsing",
    "null": "none_required",
    "a UUID": "uuid_type uuid_parsing",
    "a URL": "url_type url_parsing",
}.items():
    for _type in _types.split():
        _KINDS[_type] = _kind


def _expectation(item: Mapping[str, Any]) -> str | None:
    """What the value should have been, for type/choice errors; None for other errors."""
    kind = item.get("type", "")
    if kind in _KINDS:
        return _KINDS[kind]
    if kind in ("literal_error", "enum"):
        expected = str((item.get("ctx") or {}).get("expected", "")).strip()
        if not expected:
            return "an allowed value"
        if " or " in expected:  # pydantic writes "'a', 'b' or 'c'"
            head, last = expected.rsplit(" or ", 1)
            return f"one of {head}, {last}"
        return f"one of {expected}" if ", " in expected else expected
    return None


def _message(
    item: Mapping[str, Any],
    path: Path_,
    locator: Locator,
    allowed_keys: Callable[[tuple], list[str]] | None,
) -> tuple[Path_, str]:
    kind = item.get("type", "")
    ctx = item.get("ctx") or {}
    value = item.get("input")
    if kind == "extra_forbidden":
        keys = None
        if allowed_keys is not None:
            try:
                keys = allowed_keys(path[:-1])
            except Exception:  # a hint must never hide the real error
                keys = None
        return path, f"unknown key (allowed: {', '.join(keys)})" if keys else "unknown key"
    if kind == "missing":
        return path, "required key missing"
    if kind in ("value_error", "assertion_error"):
        error = ctx.get("error")
        text = str(error).strip() if error is not None else ""
        if not text:
            text = str(item.get("msg", ""))
            for prefix in ("Value error, ", "Assertion failed, "):
                if text.startswith(prefix):
                    text = text[len(prefix) :]
        return path, text or ("assertion failed" if kind == "assertion_error" else "invalid value")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        key = _tag_key(ctx.get("discriminator"))
        if kind == "union_tag_not_found":
            if key is not None:
                return path + (key,), "required key missing"
            return path, "cannot tell which kind of entry this is"
        if key is not None and path + (key,) in locator:
            path = path + (key,)
        allowed = ctx.get("expected_tags")
        tail = f" (allowed: {allowed})" if allowed else ""
        return path, f"unknown {key or 'kind'} {_show(ctx.get('tag'))}{tail}"
    bound = _BOUNDS.get(kind)
    if bound is not None and bound[0] in ctx:
        return path, f"must be {bound[1]} {ctx[bound[0]]}, got {_show(value)}"
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        unit = "character" if kind.startswith("string") else "item"
        if kind.endswith("short") and "min_length" in ctx:
            n = ctx["min_length"]
            return path, f"expected at least {n} {unit}{_s(n)}, got {_count(value, ctx)}"
        if kind.endswith("long") and "max_length" in ctx:
            n = ctx["max_length"]
            return path, f"expected at most {n} {unit}{_s(n)}, got {_count(value, ctx)}"
    return path, str(item.get("msg", "invalid value"))


_BOUNDS = {
    "greater_than": ("gt", "greater than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
    "multiple_of": ("multiple_of", "a multiple of"),
}


def _s(n: Any) -> str:
    return "" if n == 1 else "s"


def _count(value: Any, ctx: Mapping[str, Any]) -> str:
    if "actual_length" in ctx and ctx["actual_length"] is not None:
        return str(ctx["actual_length"])
    try:
        return str(len(value))
    except TypeError:
        return _show(value)


_QUOTED_NAME = re.compile(r"'([^']+)'\Z")


def _tag_key(discriminator: Any) -> str | None:
    """The key named by pydantic's ctx['discriminator'] ("'kind'"), if it is a plain key."""
    if not isinstance(discriminator, str):
        return None
    found = _QUOTED_NAME.match(discriminator.strip())
    return found.group(1) if found else None


def _or_join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(value: Any) -> str:
    """A value as the user wrote it, for messages: short, on one line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return _short(repr(value))


# --------------------------------------------------------------------------------------------
# Validation with allowed-key hints


def validate(
    model: type[ModelT],
    data: Any,
    *,
    file: str,
    locator: Locator,
    context: dict | None = None,
) -> ModelT:
    """``model.model_validate(data, context=context)``, with errors raised as one SpecError."""
    try:
        return model.model_validate(data, context=context)
    except pydantic.ValidationError as err:
        hints = _Schema(model, data)
        raise spec_error_from_validation(
            err, file=file, locator=locator, allowed_keys=hints.allowed_keys
        ) from err


_UNION_ORIGINS = (typing.Union, types.UnionType)
_LIST_ORIGINS = (
    list,
    set,
    frozenset,
    collections.deque,
    collections.abc.Sequence,
    collections.abc.MutableSequence,
    collections.abc.Iterable,
    collections.abc.Collection,
    collections.abc.Set,
    collections.abc.MutableSet,
)
_DICT_ORIGINS = (
    dict,
    collections.OrderedDict,
    collections.defaultdict,
    collections.abc.Mapping,
    collections.abc.MutableMapping,
)


class _Schema:
    """Walks a model's annotations along a field path, following the input data for unions."""

    def __init__(self, model: type[BaseModel], data: Any) -> None:
        self.model = model
        self.data = data

    def allowed_keys(self, path: tuple) -> list[str] | None:
        ann, _ = self._walk(path)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            return [_key_of(name, field) for name, field in ann.model_fields.items()]
        return None

    def _walk(self, path: tuple) -> tuple[Any, Any]:
        ann: Any = self.model
        data = self.data
        disc: Any = None
        for elem in path:
            ann = _settle(ann, data, disc)
            disc = None
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                field = _field_for(ann, elem)
                if field is None:
                    return None, None
                ann, disc = field.annotation, field.discriminator
                data = data.get(elem) if isinstance(data, Mapping) else None
                continue
            origin, args = typing.get_origin(ann), typing.get_args(ann)
            if origin is tuple and isinstance(elem, int):
                if len(args) == 2 and args[1] is Ellipsis:
                    ann = args[0]
                elif 0 <= elem < len(args):
                    ann = args[elem]
                else:
                    return None, None
            elif origin in _LIST_ORIGINS and isinstance(elem, int):
                ann = args[0] if args else Any
            elif origin in _DICT_ORIGINS:
                ann = args[1] if len(args) == 2 else Any
            else:
                return None, None
            if isinstance(data, list) and isinstance(elem, int) and 0 <= elem < len(data):
                data = data[elem]
            elif isinstance(data, Mapping):
                data = data.get(elem)
            else:
                data = None
        return _settle(ann, data, disc), data


def _key_of(name: str, field: Any) -> str:
    if isinstance(field.validation_alias, str):
        return field.validation_alias
    return field.alias or name


def _field_for(model: type[BaseModel], key: Any) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias, field.validation_alias):
            return field
    return None


def _settle(ann: Any, data: Any, disc: Any = None) -> Any:
    """Unwrap Annotated / aliases / RootModel / unions (choosing the member the data fits)."""
    for _ in range(50):
        if type(ann).__name__ == "TypeAliasType":  # `type X = ...` aliases
            ann = ann.__value__
            continue
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            for meta in ann.__metadata__:
                if isinstance(meta, pydantic.Discriminator) or getattr(meta, "discriminator", None):
                    disc = meta
            ann = typing.get_args(ann)[0]
            continue
        if origin in _UNION_ORIGINS:
            ann = _pick_member(typing.get_args(ann), data, disc)
            disc = None
            continue
        if isinstance(ann, type) and issubclass(ann, RootModel):
            root = ann.model_fields.get("root")
            if root is None:
                return ann
            ann, disc = root.annotation, root.discriminator
            continue
        return ann
    return ann


def _pick_member(members: tuple, data: Any, disc: Any) -> Any:
    members = tuple(m for m in members if m is not type(None))
    if not members:
        return None
    if len(members) == 1:
        return members[0]
    func = getattr(disc, "discriminator", disc)
    if callable(func) and not isinstance(func, str):
        try:
            tag = func(data)
        except Exception:
            tag = None
        for member in members:
            if typing.get_origin(member) is typing.Annotated:
                for meta in member.__metadata__:
                    if isinstance(meta, pydantic.Tag) and meta.tag == tag:
                        return member
    if isinstance(data, Mapping):
        best, best_score = None, None
        for member in members:
            model = _settle(member, None)
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                continue
            score = _fit(model, data)
            if score is not None and (best_score is None or score > best_score):
                best, best_score = member, score
        if best is not None:
            return best
    if isinstance(data, list):
        for member in members:
            if typing.get_origin(_settle(member, None)) in _LIST_ORIGINS + (tuple,):
                return member
    return members[0]


def _fit(model: type[BaseModel], data: Mapping) -> tuple[int, int] | None:
    """How well a mapping fits a model: (matching literal fields, known keys); None if a
    literal field (a tag) has another value."""
    literals = 0
    known = 0
    for name, field in model.model_fields.items():
        key = _key_of(name, field)
        if key not in data:
            continue
        known += 1
        ann = field.annotation
        while typing.get_origin(ann) is typing.Annotated:
            ann = typing.get_args(ann)[0]
        if typing.get_origin(ann) is typing.Literal:
            value = data[key]
            choices = typing.get_args(ann)
            if any(value == c or getattr(c, "value", object()) == value for c in choices):
                literals += 1
            else:
                return None
    return literals, known
