"""Turn a pydantic ``ValidationError`` into one line at its place: ``file:line:col: path: message``.

Errors are matched on pydantic's error *type*, never on its English message; several errors at
one place (one per member of a union) are merged, and the earliest place in the file wins.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Mapping
from typing import Any

import pydantic

from orgmodel.errors import SpecError, SpecErrors
from orgmodel.io.yamlsource.locator import FieldPath
from orgmodel.io.yamlsource.locator import Locator, format_path, short

__all__ = ["spec_error_from_validation"]


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
    union) are merged; several errors come back as one :class:`~orgmodel.errors.SpecErrors`, a line each.
    """
    raw = err.errors(include_url=False)
    if not raw:
        return SpecError(str(err).splitlines()[0] if str(err) else "invalid data", file=file)

    groups: dict[FieldPath, list[tuple[int, dict]]] = {}
    for index, item in enumerate(raw):
        path = _user_path(item, locator)
        groups.setdefault(path, []).append((index, item))

    entries: list[tuple[tuple[int, float, float, int], FieldPath, str]] = []
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
    errors = []
    for _, path, message in entries:
        line, column = locator.locate(path)
        errors.append(SpecError(message, file=file, line=line, column=column, field=format_path(path) or None))
    return errors[0] if len(errors) == 1 else SpecErrors(errors)


def _order(locator: Locator, path: FieldPath, index: int) -> tuple[int, float, float, int]:
    """Sort key: errors at a place that exists in the file first (a missing key only has its
    parent's place), then by line and column, then in pydantic's order."""
    line, col = locator.locate(path)
    return (
        0 if path in locator else 1,
        float(line) if line is not None else float("inf"),
        float(col) if col is not None else float("inf"),
        index,
    )


def _user_path(item: Mapping[str, Any], locator: Locator) -> FieldPath:
    """The part of pydantic's ``loc`` that is real keys/indexes of the input.

    pydantic adds union member names, tags, ``function-after[...]``, ``[key]``...; those are
    dropped. The last entry of a ``missing`` error is kept (it is absent from the input).
    """
    loc = tuple(item.get("loc", ()))
    path: FieldPath = ()
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
    path: FieldPath,
    locator: Locator,
    allowed_keys: Callable[[tuple], list[str]] | None,
) -> tuple[FieldPath, str]:
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
    return short(repr(value))
