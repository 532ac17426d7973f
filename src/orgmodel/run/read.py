"""Read a results folder back: the one source compare, charts, the report and the pack read.

:func:`load_results` opens a folder written by ``orgmodel run`` (docs/results.md) and returns a
:class:`Results`: the scenario, the domain's kinds, and one :class:`StoredVariant` per variant
(the baseline first) with its metric values, findings, changes, summary, unit table and
assignment, each read from its file when first asked for. Nothing here computes a metric, a size
or a change: every number is the one evaluation stored. A missing, older or damaged folder is a
one-line :class:`~orgmodel.errors.UserError`.

Also exported by :mod:`orgmodel.run.results` (which writes the folders).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from orgmodel.errors import UserError
from orgmodel.model.plan import Plan
from orgmodel.model.kinds import KindTable
from orgmodel.run.tables import Assignment, UnitTable, kind_table, table_from_rows

__all__ = ["RESULTS_VERSION", "BASELINE", "Results", "StoredVariant", "load_results"]

#: The version of the results folder format this orgmodel writes and reads.
RESULTS_VERSION = 2
#: The name the baseline is stored under.
BASELINE = "baseline"

_ASSIGNMENT_COLUMNS = ("member", "branch", "group", "status", "reason_op", "reason_code", "reason_zh", "reason_en")


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise UserError(f"{path}: missing from the results folder; write it again with orgmodel run")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot be read ({exc})") from None


class StoredVariant:
    """One variant of a results folder (the baseline is one too, named ``baseline``)."""

    def __init__(self, results: Results, entry: Mapping[str, Any]) -> None:
        self._results = results
        self._entry = entry
        try:
            self.name: str = str(entry["name"])
            self.label: str = str(entry["label"])
            self.description: str = str(entry.get("description") or "")
            self.fingerprint: str = str(entry["fingerprint"])
            self.steps: tuple[Mapping[str, Any], ...] = tuple(MappingProxyType(dict(s)) for s in entry["steps"])
            self.finding_counts: Mapping[str, int] = MappingProxyType(dict(entry["findings"]))
            self._files: Mapping[str, str] = dict(entry["files"])
        except (KeyError, TypeError) as exc:
            raise UserError(f"{results.folder / 'run.json'}: a variant entry lacks {exc}; "
                            "write the results again with orgmodel run") from None

    def __repr__(self) -> str:
        return f"<StoredVariant {self.name}: {len(self.steps)} step(s)>"

    @property
    def is_baseline(self) -> bool:
        """Whether this is the baseline."""
        return self.name == BASELINE

    def _path(self, key: str) -> Path:
        if key not in self._files:
            raise UserError(f"{self._results.folder / 'run.json'}: variant {self.name} names no {key}")
        return self._results.folder / self._files[key]

    @cached_property
    def _evaluation(self) -> Mapping[str, Any]:
        data = _read_json(self._path("evaluation.json"))
        for key in ("values", "findings", "changes"):
            if key not in data:
                raise UserError(f"{self._path('evaluation.json')}: no {key!r}; write the results again with orgmodel run")
        return data

    @property
    def values(self) -> Sequence[Mapping[str, Any]]:
        """Every metric value: name, value, label_zh, label_en, unit, direction, note."""
        return tuple(MappingProxyType(v) for v in self._evaluation["values"])

    def value(self, name: str) -> float | None:
        """The value of metric value ``name`` (e.g. ``branch_size.max``); KeyError when absent."""
        for v in self._evaluation["values"]:
            if v["name"] == name:
                return v["value"]
        raise KeyError(name)

    @property
    def findings(self) -> Sequence[Mapping[str, Any]]:
        """Every rule finding (fields as in findings.csv, plus title_en, text_zh and text_en)."""
        return tuple(MappingProxyType(f) for f in self._evaluation["findings"])

    @property
    def changes(self) -> Mapping[str, Any]:
        """The changes against the baseline (created, dissolved, ..., flows with reasons)."""
        return MappingProxyType(self._evaluation["changes"])

    @cached_property
    def summary(self) -> Mapping[str, Any]:
        """The counts of ``orgmodel info --json`` for this variant's structure."""
        return MappingProxyType(_read_json(self._path("summary.json")))

    @cached_property
    def units(self) -> UnitTable:
        """The unit table, with stored member counts and reasons."""
        path = self._path("units.json")
        data = _read_json(path)
        if not isinstance(data, dict) or "units" not in data:
            raise UserError(f"{path}: no 'units'; write the results again with orgmodel run")
        return table_from_rows(data["units"], self._results.kinds, where=str(path))

    @cached_property
    def assignment(self) -> Assignment:
        """Every active member's branch, group and the reason the variant moved them."""
        path = self._path("assignment.parquet")
        if not path.is_file():
            raise UserError(f"{path}: missing from the results folder; write it again with orgmodel run")
        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:
            raise UserError(f"{path}: not a readable Parquet file ({exc})") from None
        missing = [c for c in _ASSIGNMENT_COLUMNS if c not in table.column_names]
        if missing:
            raise UserError(f"{path}: no column {missing[0]!r}; write the results again with orgmodel run")

        def col(name: str, dtype: type = object) -> np.ndarray:
            a = np.array(table.column(name).to_pylist(), dtype=dtype)
            a.flags.writeable = False
            return a

        return Assignment(member=col("member"), branch=col("branch"), group=col("group"), status=col("status"),
                          reason_op=col("reason_op", np.int64), reason_code=col("reason_code"),
                          reason_zh=col("reason_zh"), reason_en=col("reason_en"))

    def plans(self) -> list[Plan]:
        """The plans of the variant's steps, in order (none for the baseline)."""
        out = []
        for s in self.steps:
            path = self._results.folder / s["plan"]
            if not path.is_file():
                raise UserError(f"{path}: missing from the results folder; write it again with orgmodel run")
            out.append(Plan.load(path))
        return out

    def plan_text(self, step: int) -> str:
        """The JSON text of step ``step``'s plan."""
        for s in self.steps:
            if s["index"] == step:
                path = self._results.folder / s["plan"]
                if not path.is_file():
                    raise UserError(f"{path}: missing from the results folder; write it again with orgmodel run")
                return path.read_text(encoding="utf-8")
        raise UserError(f"variant {self.name} has no step {step}")


class Results:
    """A results folder, read-only: ``results.variants``, ``results.variant(name)``, ``results.kinds``."""

    def __init__(self, folder: Path, index: Mapping[str, Any]) -> None:
        self.folder = Path(folder)
        self._index = index
        where = self.folder / "run.json"
        try:
            self.scenario: Mapping[str, Any] = MappingProxyType(dict(index["scenario"]))
            self.baseline_fingerprint: str = str(index["baseline"]["fingerprint"])
            self.orgmodel_version: str = str(index.get("orgmodel", ""))
            pack = index["domain_pack"]
            entries = list(index["variants"])
        except (KeyError, TypeError) as exc:
            raise UserError(f"{where}: no {exc} entry; write the results again with orgmodel run") from None
        self.kinds: KindTable = kind_table(pack, where=str(where))
        self.variants: tuple[StoredVariant, ...] = tuple(StoredVariant(self, e) for e in entries)
        if not self.variants or self.variants[0].name != BASELINE:
            raise UserError(f"{where}: the first variant is not the baseline; write the results again with orgmodel run")

    def __repr__(self) -> str:
        return f"<Results {self.scenario.get('name')!r}: {len(self.variants) - 1} variant(s) in {self.folder}>"

    @property
    def name(self) -> str:
        """The scenario's name."""
        return str(self.scenario.get("name", ""))

    @property
    def names(self) -> list[str]:
        """Variant names, the baseline first."""
        return [v.name for v in self.variants]

    @property
    def baseline(self) -> StoredVariant:
        """The baseline."""
        return self.variants[0]

    def variant(self, name: str) -> StoredVariant:
        """A variant by name; a UserError lists the names there are."""
        for v in self.variants:
            if v.name == name:
                return v
        raise UserError(f"{self.folder}: no variant {name!r} (have: {', '.join(self.names)})")


def load_results(folder: str | Path) -> Results:
    """Open a results folder written by ``orgmodel run``.

    >>> load_results("no/such/folder")
    Traceback (most recent call last):
    ...
    orgmodel.errors.UserError: no/such/folder: not a results folder (no run.json; write one with orgmodel run)
    """
    folder = Path(folder)
    index_path = folder / "run.json"
    if not index_path.is_file():
        raise UserError(f"{folder}: not a results folder (no run.json; write one with orgmodel run)")
    index = _read_json(index_path)
    if not isinstance(index, dict):
        raise UserError(f"{index_path}: not a results index (a JSON object is expected)")
    version = index.get("results_version")
    if version != RESULTS_VERSION:
        raise UserError(f"{index_path}: results_version {version!r} is not supported ({RESULTS_VERSION}); "
                        "write the results again with this orgmodel")
    return Results(folder, index)
