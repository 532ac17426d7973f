"""Validate data read from a scenario file against a pydantic model, with hints at the error's place.

:func:`validate` runs the model; on failure it walks the model's annotations along the error's
field path (following the data through unions) to name the keys allowed where an unknown key was
written.
"""

from __future__ import annotations

import collections
import collections.abc
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel, RootModel

from orgmodel.io.yamlsource.locator import Locator
from orgmodel.io.yamlsource.pydantic_errors import spec_error_from_validation

__all__ = ["validate"]

ModelT = TypeVar("ModelT", bound=BaseModel)


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
