"""A strategy's parameter form, generated from its pydantic ``Params`` JSON Schema.

Each property becomes one field (number, checkbox, choice, text or a list of ids) with the
property's description as help text and its default shown. Submitted values are turned back into
parameters; only those that differ from the default are kept, so the scenario file lists what the
planner chose and nothing more.

>>> from pydantic import BaseModel, Field
>>> class P(BaseModel):
...     max_size: int = Field(50, ge=3, description="most members a part should have")
...     by: str = Field("category", description="split by")
>>> [(f.name, f.input, f.default) for f in param_fields(P)]
[('max_size', 'number', 50), ('by', 'text', 'category')]
>>> form_params(P, {"max_size": "40", "by": "category"})
{'max_size': 40}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from orgmodel.errors import UserError

__all__ = ["ParamField", "param_fields", "form_params"]


@dataclass(frozen=True)
class ParamField:
    """One field of a parameter form."""

    name: str
    input: str  # number, checkbox, select, text, list
    help: str
    default: Any
    required: bool
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    step: str = "any"


def _resolve(schema: Mapping[str, Any], prop: Mapping[str, Any]) -> Mapping[str, Any]:
    """The property with ``$ref`` and ``anyOf [X, null]`` folded in."""
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        prop = {**schema.get("$defs", {}).get(name, {}), **{k: v for k, v in prop.items() if k != "$ref"}}
    if "anyOf" in prop:
        options = [p for p in prop["anyOf"] if p.get("type") != "null"]
        if len(options) == 1:
            merged = {**_resolve(schema, options[0]), **{k: v for k, v in prop.items() if k != "anyOf"}}
            return merged
    if "allOf" in prop and len(prop["allOf"]) == 1:
        return {**_resolve(schema, prop["allOf"][0]), **{k: v for k, v in prop.items() if k != "allOf"}}
    return prop


def param_fields(model: type[BaseModel]) -> list[ParamField]:
    """The form fields of a ``Params`` model, in its order."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    fields = []
    for name, raw in schema.get("properties", {}).items():
        prop = _resolve(schema, raw)
        kind = prop.get("type")
        common = {"name": name, "help": str(prop.get("description") or raw.get("description") or ""),
                  "default": raw.get("default", prop.get("default")), "required": name in required}
        if "enum" in prop:
            fields.append(ParamField(input="select", choices=tuple(str(c) for c in prop["enum"]), **common))
        elif kind == "boolean":
            fields.append(ParamField(input="checkbox", **common))
        elif kind in ("integer", "number"):
            fields.append(ParamField(input="number", minimum=prop.get("minimum", prop.get("exclusiveMinimum")),
                                     maximum=prop.get("maximum", prop.get("exclusiveMaximum")),
                                     step="1" if kind == "integer" else "any", **common))
        elif kind == "array":
            fields.append(ParamField(input="list", **common))
        else:
            fields.append(ParamField(input="text", **common))
    return fields


def _value(f: ParamField, raw: str | None) -> Any:
    if f.input == "checkbox":
        return raw is not None and raw not in ("", "off", "false")
    text = (raw or "").strip()
    if not text:
        return None
    if f.input == "number":
        try:
            return int(text) if f.step == "1" else float(text)
        except ValueError:
            raise UserError(f"{f.name}: {text!r} is not a number") from None
    if f.input == "list":
        return [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]
    return text


def form_params(model: type[BaseModel], form: Mapping[str, str]) -> dict[str, Any]:
    """Parameters from a submitted form, checked by the model; only values that differ from defaults.

    A value the model refuses is a one-line :class:`UserError` naming the field.
    """
    params: dict[str, Any] = {}
    for f in param_fields(model):
        if f.name not in form:  # not on the form (a checkbox sends "" when off): the default
            if f.required:
                raise UserError(f"{f.name}: required")
            continue
        value = _value(f, form.get(f.name))
        if value is None or value == f.default:
            if f.required and value is None:
                raise UserError(f"{f.name}: required")
            continue
        params[f.name] = value
    try:
        model.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "params"
        raise UserError(f"{where}: {first['msg']}") from None
    return params
