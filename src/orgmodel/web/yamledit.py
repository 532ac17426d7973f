"""Edit a scenario file's variants in place, keeping its comments, key order and layout.

Every change goes through ruamel.yaml's round-trip mode: the file is read, one node is changed,
and the file is written back (aside, then renamed), so a ``git diff`` shows only the lines of
that change. Only values the planner set are written; nothing is re-ordered or re-flowed.

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "scenario.yaml"
>>> _ = path.write_text("name: x  # kept\\nvariants:\\n  - name: a\\n", encoding="utf-8")
>>> add_variant(path, "b", label="B")
>>> print(path.read_text(encoding="utf-8"), end="")
name: x  # kept
variants:
  - name: a
  - name: b
    label: B
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from orgmodel.errors import UserError
from orgmodel.files import write_text_atomic

__all__ = ["read_document", "add_variant", "update_variant", "delete_variant", "move_variant",
           "add_step", "update_step", "delete_step", "move_step", "NAME_PATTERN"]

#: A variant name: no spaces or ``/`` (it becomes part of created unit ids).
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def read_document(path: Path) -> Any:
    """The scenario file as a round-trip document."""
    return _yaml().load(path.read_text(encoding="utf-8"))


def _write(path: Path, doc: Any) -> None:
    buffer = io.StringIO()
    _yaml().dump(doc, buffer)
    write_text_atomic(path, buffer.getvalue())


def _variants(doc: Any, path: Path) -> CommentedSeq:
    variants = doc.get("variants") if isinstance(doc, Mapping) else None
    if not isinstance(variants, CommentedSeq):
        raise UserError(f"{path}: no variants list")
    return variants


def _index(variants: CommentedSeq, name: str, path: Path) -> int:
    for i, v in enumerate(variants):
        if isinstance(v, Mapping) and v.get("name") == name:
            return i
    raise UserError(f"{path}: no variant named {name!r}")


def _set_text(node: CommentedMap, key: str, value: str | None, after: str | None = None) -> None:
    """Set, change or remove one text key; untouched when the value is unchanged."""
    value = (value or "").strip()
    if not value:
        node.pop(key, None)
    elif node.get(key) != value:
        if key in node or after is None or after not in node:
            node[key] = value
        else:
            node.insert(list(node).index(after) + 1, key, value)


def add_variant(path: Path, name: str, *, label: str = "", description: str = "") -> None:
    """Append a variant (no steps yet) to the scenario's ``variants``."""
    if not NAME_PATTERN.match(name):
        raise UserError(f"variant name {name!r}: use letters, digits, - _ . (no spaces or /)")
    doc = read_document(path)
    variants = _variants(doc, path)
    if any(isinstance(v, Mapping) and v.get("name") == name for v in variants):
        raise UserError(f"{path}: a variant named {name!r} exists already")
    node = CommentedMap(name=name)
    _set_text(node, "label", label)
    _set_text(node, "description", description)
    variants.append(node)
    _write(path, doc)


def update_variant(path: Path, name: str, *, label: str = "", description: str = "") -> None:
    """Change a variant's label and description (only the lines that differ change)."""
    doc = read_document(path)
    variants = _variants(doc, path)
    node = variants[_index(variants, name, path)]
    _set_text(node, "label", label, after="name")
    _set_text(node, "description", description, after="label" if "label" in node else "name")
    _write(path, doc)


def delete_variant(path: Path, name: str) -> None:
    """Remove a variant and its steps."""
    doc = read_document(path)
    variants = _variants(doc, path)
    del variants[_index(variants, name, path)]
    _write(path, doc)


def _move(seq: CommentedSeq, i: int, by: int) -> bool:
    j = i + by
    if not 0 <= j < len(seq):
        return False
    item = seq.pop(i)
    seq.insert(j, item)
    return True


def move_variant(path: Path, name: str, by: int) -> None:
    """Move a variant ``by`` places (−1 up, +1 down); nothing happens at either end."""
    doc = read_document(path)
    variants = _variants(doc, path)
    if _move(variants, _index(variants, name, path), by):
        _write(path, doc)


def _steps(node: CommentedMap) -> CommentedSeq:
    if not isinstance(node.get("steps"), CommentedSeq):
        node["steps"] = CommentedSeq()
    return node["steps"]


def _flow(value: Any) -> Any:
    if isinstance(value, Mapping):
        m = CommentedMap(value)
        m.fa.set_flow_style()
        return m
    if isinstance(value, list):
        s = CommentedSeq(value)
        s.fa.set_flow_style()
        return s
    return value


def _fill_step(step: CommentedMap, params: Mapping[str, Any], scope: list[str], locks: list[str]) -> None:
    """Bring ``step``'s params, scope and locks to the given values, key by key."""
    if params:
        old = step.get("params")
        if isinstance(old, CommentedMap):
            for key in [k for k in old if k not in params]:
                del old[key]
            for key, value in params.items():
                if old.get(key) != value:
                    old[key] = _flow(value)
        else:
            step["params"] = _flow(dict(params))
    else:
        step.pop("params", None)
    for key, ids in (("scope", scope), ("locks", locks)):
        if ids:
            if list(step.get(key) or []) != ids:
                step[key] = _flow(list(ids))
        else:
            step.pop(key, None)


def add_step(path: Path, variant: str, strategy: str, params: Mapping[str, Any],
             scope: list[str] = (), locks: list[str] = ()) -> None:  # type: ignore[assignment]
    """Append a strategy step to a variant."""
    doc = read_document(path)
    variants = _variants(doc, path)
    step = CommentedMap(strategy=strategy)
    _fill_step(step, params, list(scope), list(locks))
    _steps(variants[_index(variants, variant, path)]).append(step)
    _write(path, doc)


def _step(doc: Any, path: Path, variant: str, index: int) -> tuple[CommentedSeq, CommentedMap]:
    variants = _variants(doc, path)
    steps = _steps(variants[_index(variants, variant, path)])
    if not 0 <= index < len(steps):
        raise UserError(f"{path}: variant {variant!r} has no step {index + 1}")
    return steps, steps[index]


def update_step(path: Path, variant: str, index: int, params: Mapping[str, Any],
                scope: list[str] = (), locks: list[str] = ()) -> None:  # type: ignore[assignment]
    """Change a strategy step's params, scope and locks; keys left as they were stay put."""
    doc = read_document(path)
    _, step = _step(doc, path, variant, index)
    if "strategy" not in step:
        raise UserError(f"{path}: variant {variant!r} step {index + 1} lists operations; edit it in the file")
    _fill_step(step, params, list(scope), list(locks))
    _write(path, doc)


def delete_step(path: Path, variant: str, index: int) -> None:
    """Remove one step of a variant (a variant left with none keeps an empty ``steps``)."""
    doc = read_document(path)
    steps, _ = _step(doc, path, variant, index)
    del steps[index]
    _write(path, doc)


def move_step(path: Path, variant: str, index: int, by: int) -> None:
    """Move a step ``by`` places within its variant."""
    doc = read_document(path)
    steps, _ = _step(doc, path, variant, index)
    if _move(steps, index, by):
        _write(path, doc)
