"""Scenario files: the validated description of a baseline, its variants and the outputs.

A scenario is YAML. Every key is checked (``extra="forbid"``: a typo is an error), every error is
reported as ``file:line:col: field.path: message``, and every relative path is resolved against
the scenario file's folder. The keys are documented in ``docs/scenarios.md``.

>>> from orgmodel.io.yamlsource import load_yaml_text
>>> data, where = load_yaml_text('''
... version: 1
... name: demo
... domain: toy
... baseline:
...   units: [{id: b, kind: toy.branch}]
...   members: [{id: m1, branch: b}]
... variants:
...   - name: status-quo
... ''')
>>> spec = ScenarioSpec.model_validate(data)
>>> spec.variants[0].name, spec.baseline.members.__class__.__name__
('status-quo', 'list')
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from orgmodel.model.plan import Operation

__all__ = [
    "ScenarioSpec",
    "Baseline",
    "TableSource",
    "Variant",
    "StrategyStep",
    "ManualStep",
    "Output",
    "PluginsSpec",
    "RulesSpec",
    "ApprovalSpec",
    "TABLES",
]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Id = Annotated[str, Field(min_length=1)]


class TableSource(_Spec):
    """A table kept in a file next to the scenario: CSV, XLSX or JSON."""

    file: str = Field(description="path, relative to the scenario file")
    format: Literal["csv", "xlsx", "json"] | None = Field(
        default=None, description="default: from the file's suffix"
    )
    encoding: str = Field(default="utf-8", description="text encoding of CSV files, e.g. gb18030")
    sheet: str | None = Field(default=None, description="XLSX sheet name; default: the first sheet")
    delimiter: str = Field(default=",", min_length=1, max_length=1, description="CSV delimiter")
    columns: dict[str, str] = Field(
        default_factory=dict, description="the file's header -> our column name, e.g. 姓名: name"
    )
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="per column, the file's values -> ours, e.g. status: {正式党员: full}",
    )

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown text encoding {value!r}") from None
        return value

    @property
    def resolved_format(self) -> str:
        """The format, from ``format`` or the file's suffix."""
        if self.format:
            return self.format
        suffix = Path(self.file).suffix.lower().lstrip(".")
        return {"xls": "xlsx", "xlsm": "xlsx", "tsv": "csv", "txt": "csv"}.get(suffix, suffix)

    @model_validator(mode="after")
    def _format_known(self) -> TableSource:
        if self.resolved_format not in ("csv", "xlsx", "json"):
            raise ValueError(
                f"cannot tell the format of {self.file!r}: use a .csv, .xlsx or .json file or set format"
            )
        return self


Row = dict[str, Any]


def _table_form(value: Any) -> str:
    return "table_file" if isinstance(value, (dict, TableSource)) else "inline_rows"


Table = Annotated[
    Union[Annotated[TableSource, Tag("table_file")], Annotated[list[Row], Tag("inline_rows")]],
    Discriminator(_table_form),
]

TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # table: (required columns, optional known columns); members accept any attribute column
    "units": (("id", "kind"), ("name", "parent", "built_on", "tags")),
    "members": (("id", "branch"), ("group", "status", "home_host", "active")),
    "participation": (("member", "unit"), ()),
    "roles": (("unit", "role", "person"), ("since",)),
    "alliances": (("unit", "coordinator"), ()),
    "adjacency": (("a", "b"), ()),
    "ties": (("a", "b"), ("weight",)),
}


class Baseline(_Spec):
    """The organisation as it is: tables inline (lists of rows) or in files next to the scenario."""

    units: Table = Field(description="organisation and host units")
    members: Table = Field(description="one row per member")
    participation: Table = Field(default_factory=list, description="member takes part in unit")
    roles: Table = Field(default_factory=list, description="roles held in units")
    alliances: Table = Field(default_factory=list, description="unit allied with a coordinator")
    adjacency: Table = Field(default_factory=list, description="neighbouring host units")
    ties: Table = Field(default_factory=list, description="weighted social ties between members")


class _Step(_Spec):
    """What every step takes: where it may act (``scope``) and what it must leave alone (``locks``)."""

    scope: list[Id] | None = Field(
        default=None,
        min_length=1,
        description="unit ids: the step may change only their part of the structure; default: everything",
    )
    locks: list[Id] = Field(default_factory=list, description="unit and member ids the step must not change")
    note: str = ""


class StrategyStep(_Step):
    """One step of a variant: a strategy (by registered name) with its parameters."""

    strategy: Id
    params: dict[str, Any] = Field(default_factory=dict)


class ManualStep(_Step):
    """One step of a variant: operations written by hand (a planner's correction)."""

    operations: list[Operation] = Field(min_length=1)


def _step_form(value: Any) -> str:
    if isinstance(value, dict):
        return "manual_step" if "operations" in value else "strategy_step"
    return "manual_step" if isinstance(value, ManualStep) else "strategy_step"


Step = Annotated[
    Union[Annotated[StrategyStep, Tag("strategy_step")], Annotated[ManualStep, Tag("manual_step")]],
    Discriminator(_step_form),
]


class Variant(_Spec):
    """A named variant: ordered steps, each proposed on the previous step's result."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[^/\s]+$")]
    label: str = ""
    description: str = ""
    steps: list[Step] = Field(default_factory=list)


class Output(_Spec):
    """Where and how results are written."""

    dir: str = Field(default="out", description="output folder, relative to the scenario file")
    lang: Literal["zh", "en"] = "zh"
    names: bool = Field(default=False, description="include people's names in outputs")


class PluginsSpec(_Spec):
    """Plugins a scenario asks for."""

    dir: str | None = Field(
        default=None,
        description="a folder of local plugins, relative to the scenario; loaded only when the"
        " user confirms with --allow-scenario-plugins",
    )
    block: list[Id] = Field(default_factory=list, description="plugins not to load")


class ApprovalSpec(_Spec):
    """An approval for one unit and one rule (rules that allow exceptions with approval)."""

    unit: Id
    rule: Id
    note: str = ""


class RulesSpec(_Spec):
    """Which rule packs check the variants, and how."""

    packs: list[Id] | None = Field(default=None, description="registered rule packs; default: every pack of the domain")
    files: list[str] = Field(default_factory=list, description="rule packs as YAML files, relative to the scenario")
    enable: list[Id] = Field(default_factory=list, description="rules to switch on (local rules are off by default)")
    disable: list[Id] = Field(default_factory=list, description="rules to switch off")
    approvals: list[ApprovalSpec] = Field(default_factory=list)


class ScenarioSpec(_Spec):
    """A scenario file."""

    version: Literal[1] = 1
    name: Id
    description: str = ""
    as_of: dt.date | None = Field(default=None, description="the date everything that ages is measured at")
    seed: int = Field(default=0, ge=0)
    domain: Id = Field(description="the domain pack, e.g. party")
    plugins: PluginsSpec = Field(default_factory=PluginsSpec)
    rules: RulesSpec = Field(default_factory=RulesSpec)
    baseline: Baseline
    variants: list[Variant] = Field(default_factory=list)
    output: Output = Field(default_factory=Output)

    @field_validator("variants")
    @classmethod
    def _unique_variant_names(cls, variants: list[Variant]) -> list[Variant]:
        seen: set[str] = set()
        for v in variants:
            if v.name in seen:
                raise ValueError(f"variant name {v.name!r} is used twice")
            seen.add(v.name)
        return variants
