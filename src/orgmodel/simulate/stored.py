"""A simulation as stored in a results folder: read back from its files, never recomputed.

``orgmodel run`` writes a simulated scenario's distributions into ``simulation/`` of the results
folder (:func:`orgmodel.simulate.manifest.write_simulation`; the files are listed in
docs/results.md). :class:`StoredSimulation` reads them for the report and for anyone else:
the mean and interval per period from ``series.csv``, the first breaches, the verdicts, the
sweep rows and the manifest, each from its own file. ``result()`` gives every replication
(``replications.npy``) for a reader who wants more than the stored summaries.

>>> import datetime as dt, tempfile, pathlib
>>> from orgmodel.simulate import SimulationSpec, simulate
>>> from orgmodel.simulate.manifest import write_simulation
>>> from orgmodel.testing_data import tiny_structure
>>> spec = SimulationSpec(horizon_years=1, replications=3, executor="serial")
>>> result = simulate({"now": tiny_structure()}, spec, start=dt.date(2024, 1, 1))
>>> folder = write_simulation(result, pathlib.Path(tempfile.mkdtemp()) / "simulation", spec=spec,
...                           start=dt.date(2024, 1, 1), executor="serial")
>>> stored = StoredSimulation(folder)
>>> stored.variants, stored.replications, len(stored.dates)
(('now',), 3, 13)
>>> mean, lo, hi = stored.band("now", "members.active")
>>> bool(abs(mean[-1] - result.band("now", "members.active")[0][-1]) < 1e-9)
True
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from orgmodel.errors import UserError
from orgmodel.simulate.behaviour import SeriesMetric
from orgmodel.simulate.result import SimulationResult

__all__ = ["StoredSimulation"]


def _missing(path: Path) -> UserError:
    return UserError(f"{path}: missing from the simulation folder; write it again with orgmodel run")


def _json(path: Path) -> Any:
    if not path.is_file():
        raise _missing(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise _missing(path)
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _float(text: str) -> float | None:
    return float(text) if text != "" else None


def _int(text: str) -> int | None:
    return int(text) if text != "" else None


class StoredSimulation:
    """The ``simulation/`` folder of a results folder (see the module docstring)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        meta = _json(self.folder / "meta.json")
        try:
            self.variants: tuple[str, ...] = tuple(meta["variants"])
            self.points: tuple[Mapping[str, Any], ...] = tuple(MappingProxyType(dict(p)) for p in meta["points"])
            self.dates: tuple[str, ...] = tuple(meta["dates"])
            self.metrics: tuple[SeriesMetric, ...] = tuple(SeriesMetric(**m) for m in meta["metrics"])
            self.replications: int = int(meta["replications"])
            self.interval: float = float(meta["interval"])
            self.model: str = str(meta["model"])
        except (KeyError, TypeError) as exc:
            raise UserError(f"{self.folder / 'meta.json'}: no {exc} entry; write it again with orgmodel run") from None

    def __repr__(self) -> str:
        return (f"<StoredSimulation {len(self.variants)} variant(s) × {self.replications} replications, "
                f"{len(self.dates) - 1} periods in {self.folder}>")

    @property
    def metric_names(self) -> list[str]:
        """Every metric's name, in the stored order."""
        return [m.name for m in self.metrics]

    def metric(self, name: str) -> SeriesMetric:
        """A metric by name (labels, unit, direction); a UserError lists the names there are."""
        for m in self.metrics:
            if m.name == name:
                return m
        raise UserError(f"{self.folder}: no simulated metric {name!r} (have: {', '.join(self.metric_names)})")

    @cached_property
    def manifest(self) -> Mapping[str, Any]:
        """The manifest (``manifest.json``): hashes, versions, seeds, executor, files."""
        return MappingProxyType(_json(self.folder / "manifest.json"))

    @cached_property
    def _series(self) -> dict[tuple[int, str, str], np.ndarray]:
        """(point, variant, metric) -> array (3, periods + 1) of mean, lo, hi; NaN where empty."""
        path = self.folder / "series.csv"
        periods = len(self.dates)
        out: dict[tuple[int, str, str], np.ndarray] = {}
        try:
            for row in _rows(path):
                key = (int(row["point"]), row["variant"], row["metric"])
                block = out.get(key)
                if block is None:
                    block = out[key] = np.full((3, periods), np.nan)
                t = int(row["period"])
                for i, column in enumerate(("mean", "lo", "hi")):
                    if row[column] != "":
                        block[i, t] = float(row[column])
        except (KeyError, ValueError, IndexError) as exc:
            raise UserError(f"{path}: not a series file ({exc}); write it again with orgmodel run") from None
        return out

    def band(self, variant: str, metric: str, point: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mean, low, high) per period of one metric, as stored in ``series.csv``."""
        block = self._series.get((point, variant, metric))
        if block is None:
            if variant not in self.variants:
                raise UserError(f"{self.folder}: no simulated variant {variant!r} (have: {', '.join(self.variants)})")
            self.metric(metric)
            raise UserError(f"{self.folder / 'series.csv'}: no rows for {variant} {metric} at point {point}")
        return block[0], block[1], block[2]

    @cached_property
    def first_breaches(self) -> tuple[Mapping[str, Any], ...]:
        """Per point, variant and rule (``first_breach.csv``): ``at_start`` (units breaking it in
        period 0, mean over replications), ``share_breaking`` (share of replications in which a
        unit breaks it), ``median_first_period`` and ``median_first_date`` (None where unknown)."""
        rows = []
        for r in _rows(self.folder / "first_breach.csv"):
            rows.append(MappingProxyType({
                "point": int(r["point"]), "variant": r["variant"], "rule": r["rule"],
                "at_start": _float(r["at_start"]), "share_breaking": _float(r["share_breaking"]),
                "median_first_period": _int(r["median_first_period"]),
                "median_first_date": r["median_first_date"] or None}))
        return tuple(rows)

    @cached_property
    def verdicts(self) -> tuple[Mapping[str, Any], ...]:
        """Per point and metric with a direction (``verdicts.csv``): ``best`` and ``runner_up``
        variants with their means at the horizon, and ``clear`` (the intervals do not overlap)."""
        rows = []
        for r in _rows(self.folder / "verdicts.csv"):
            rows.append(MappingProxyType({
                "point": int(r["point"]), "metric": r["metric"], "direction": r["direction"],
                "best": r["best"], "best_mean": _float(r["best_mean"]),
                "runner_up": r["runner_up"], "runner_up_mean": _float(r["runner_up_mean"]),
                "clear": r["clear"] == "True", "date": r["date"]}))
        return tuple(rows)

    @cached_property
    def sweep(self) -> tuple[Mapping[str, Any], ...]:
        """Per sweep point, variant and metric (``sweep.csv``): the parameters (``param.<name>``),
        and the mean and interval at the horizon (text as stored)."""
        return tuple(MappingProxyType(r) for r in _rows(self.folder / "sweep.csv"))

    def result(self) -> SimulationResult:
        """Every replication's series (``replications.npy``) with its metadata."""
        if not (self.folder / "replications.npy").is_file():
            raise _missing(self.folder / "replications.npy")
        return SimulationResult.read(self.folder)

    def files(self) -> Sequence[str]:
        """The files the manifest lists (its hashes cover them)."""
        return tuple(self.manifest.get("files", {}))
