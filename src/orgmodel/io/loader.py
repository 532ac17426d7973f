"""Load a scenario file and build its baseline structure.

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "s.yaml").write_text('''
... name: demo
... domain: toy
... baseline:
...   units: [{id: b, kind: toy.branch, name: 一支部}]
...   members: [{id: m1, branch: b}, {id: m2, branch: b, status: probationary}]
... ''', encoding="utf-8")
>>> from orgmodel.plugin.host import PluginHost
>>> from orgmodel.testing_data import TOY_PACK
>>> from orgmodel.plugin.hookspecs import hookimpl
>>> class Toy:
...     @hookimpl
...     def register_unit_kinds(register):
...         register(TOY_PACK)
>>> scenario = load_scenario(folder / "s.yaml")
>>> structure = build_baseline(scenario, PluginHost({"toy": Toy}, autoload=False))
>>> structure.size("b"), structure.size("b", full_only=True)
(2, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel

from orgmodel.errors import SpecError, SpecErrors, UserError
from orgmodel.model.kinds import KindTable
from orgmodel.plugin.host import PluginHost
from orgmodel.io.rosters import unmatched_headers, RosterTable, read_table
from orgmodel.io.scenario import TABLES, ScenarioSpec, TableSource
from orgmodel.model.structure import MEMBER_KNOWN_ATTRIBUTES, Role, Structure, TableOrigin
from orgmodel.io.yamlsource import Locator, format_path, load_yaml, validate

__all__ = ["Scenario", "load_scenario", "build_baseline", "check_steps"]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario file: the spec, the file it came from, and where each key is."""

    spec: ScenarioSpec
    path: Path
    locator: Locator

    @property
    def folder(self) -> Path:
        """The folder relative paths in the scenario are resolved against."""
        return self.path.parent

    def error(self, path: tuple[Any, ...], message: str) -> SpecError:
        """A SpecError pointing at a key of this scenario file."""
        line, column = self.locator.locate(path)
        return SpecError(message, file=str(self.path), line=line, column=column, field=format_path(path))

    def validate_at(self, path: tuple[Any, ...], model: type[BaseModel], data: Any) -> BaseModel:
        """Validate ``data`` (found at ``path`` in this file) with ``model``; errors point at it."""
        prefix = len(path)
        sub = Locator({p[prefix:]: pos for p, pos in self.locator.items() if p[:prefix] == path})
        if () not in sub:
            line, column = self.locator.locate(path)
            sub.add((), line or 1, column or 1)
        try:
            return validate(model, data, file=str(self.path), locator=sub)
        except SpecError as exc:
            field = format_path(path) + ("." + exc.field if exc.field else "")
            raise SpecError(exc.message, file=exc.file, line=exc.line, column=exc.column, field=field) from None

    def output_dir(self) -> Path:
        """The output folder, resolved against the scenario file."""
        return (self.folder / self.spec.output.dir).resolve()


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (no roster is read yet)."""
    path = Path(path)
    data, locator = load_yaml(path)
    spec = validate(ScenarioSpec, data, file=str(path), locator=locator)
    return Scenario(spec=spec, path=path, locator=locator)  # type: ignore[arg-type]


def check_steps(scenario: Scenario, strategies: list[str]) -> None:
    """Refuse a strategy step whose strategy is not among ``strategies`` (registered names)."""
    from orgmodel.io.scenario import StrategyStep

    for i, variant in enumerate(scenario.spec.variants):
        for j, step in enumerate(variant.steps):
            if isinstance(step, StrategyStep) and step.strategy not in strategies:
                have = ", ".join(sorted(strategies)) or "none installed"
                raise scenario.error(
                    ("variants", i, "steps", j, "strategy"), f"unknown strategy {step.strategy!r} (available: {have})"
                )


def build_baseline(scenario: Scenario, plugins: PluginHost | None = None) -> Structure:
    """Read the baseline's tables and build the Structure, checked against every invariant."""
    host = plugins or PluginHost()
    try:
        pack = host.domain_pack(scenario.spec.domain)
    except UserError as exc:
        if "unknown domain pack" in str(exc):
            raise scenario.error(("domain",), str(exc)) from None
        raise
    kinds = KindTable(pack)
    tables: dict[str, dict[str, Any]] = {}
    origins: dict[str, TableOrigin] = {}
    for name in TABLES:
        table = _read(scenario, name)
        tables[name] = table.columns
        origins[name] = table.origin
    members = tables["members"]

    def pairs(name: str, left: str, right: str) -> list[tuple[str, str]]:
        cols = tables[name]
        if not cols:
            return []
        return list(zip(_text(cols[left]), _text(cols[right]), strict=True))

    roles = _roles(tables["roles"]) if tables["roles"] else []
    participation: tuple[Any, Any] | list[Any] = []
    if tables["participation"]:
        participation = (tables["participation"]["member"], tables["participation"]["unit"])
    units = dict(tables["units"])  # columns as read (arrow arrays from files): typed in bulk by the builder
    structure = Structure.from_columns(
        kinds,
        units=units,
        members=members,
        participation=participation,
        roles=roles,
        alliances=pairs("alliances", "unit", "coordinator"),
        adjacency=pairs("adjacency", "a", "b"),
        ties=(tables["ties"]["a"], tables["ties"]["b"], tables["ties"].get("weight", [None] * len(tables["ties"]["a"])))
        if tables["ties"] else (),
        origins=origins,
    )
    del tables, members, units, participation
    pa.default_memory_pool().release_unused()  # the tables read: arrow's allocator would keep them for reuse
    return structure


def _read(scenario: Scenario, name: str) -> RosterTable:
    source = getattr(scenario.spec.baseline, name)
    if isinstance(source, TableSource):
        display = _display_path(scenario.folder / source.file)
        if not (scenario.folder / source.file).is_file():
            raise scenario.error(("baseline", name, "file"), f"roster file not found: {display}")
        table = read_table(source, base=scenario.folder, table=name, display=display, types=_TYPED.get(name))
        errors = []
        for header, nearest in unmatched_headers(source, table):
            hint = f"the nearest it has is {nearest!r}" if nearest else "headers: " + ", ".join(table.origin.columns.values())
            errors.append(scenario.error(("baseline", name, "columns", header),
                                         f"{display} has no header {header!r} ({hint}); its column would be lost"))
        if errors:
            raise errors[0] if len(errors) == 1 else SpecErrors(errors)
        return table
    return _inline(scenario, name, source)


#: columns a CSV reader types as it reads (a column with a cell that does not parse is read as text)
_TYPED = {"members": {name: {"bool": pa.bool_(), "datetime64[D]": pa.date32()}[kind]
                      for name, kind in {**MEMBER_KNOWN_ATTRIBUTES, "active": "bool"}.items()}}


def _inline(scenario: Scenario, name: str, rows: list[dict[str, Any]]) -> RosterTable:
    required, optional = TABLES[name]
    columns: dict[str, list[Any]] = {}
    for i, row in enumerate(rows):
        for key in row:
            if name not in ("members", "units") and key not in required + optional:
                raise scenario.error(
                    ("baseline", name, i, key), f"unknown column (allowed: {', '.join(required + optional)})"
                )
            columns.setdefault(key, [None] * len(rows))
        for key in required:
            if key not in row:
                raise scenario.error(("baseline", name, i), f"required column {key!r} missing")
    for i, row in enumerate(rows):
        for key, value in row.items():
            columns[key][i] = value
    lines = tuple(scenario.locator.locate(("baseline", name, i))[0] or 0 for i in range(len(rows)))
    origin = TableOrigin(file=str(scenario.path), first_line=None, lines=lines)
    return RosterTable(columns, origin)  # type: ignore[arg-type]


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _text(values: Any) -> list[Any]:
    return values.to_pylist() if hasattr(values, "to_pylist") else list(values)


def _roles(columns: dict[str, Any]) -> tuple[pa.Array, ...] | list[Role]:
    """The roles table as four text columns (unit, role, person, since), blank cells missing, as the
    builder takes a table read from a file; roles written in the scenario as Role objects (values
    as the YAML has them)."""
    n = len(next(iter(columns.values())))
    fields = ("unit", "role", "person", "since")
    if all(isinstance(v, pa.Array) and pa.types.is_string(v.type) for v in columns.values()):
        blank = pa.scalar(None, pa.string())
        return tuple(pc.if_else(pc.equal(columns[k], ""), blank, columns[k]) if k in columns else pa.nulls(n, pa.string())
                     for k in fields)
    return list(map(Role, *([None if v in ("", None) else v for v in _text(columns[k])] if k in columns else [None] * n
                            for k in fields)))
