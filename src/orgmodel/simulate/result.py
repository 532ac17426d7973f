"""The outcome of a simulation: every replication's series, and their distribution per period.

``values[point, variant, replication, period, metric]`` holds every number. The summary gives,
per sweep point, variant, metric and period, the mean and the central interval (90 % by default:
the 5th and 95th percentiles over replications); ``first_breaches`` gives, per rule, the share
of replications in which a unit breaks it and the median period it first does. Files written by
:meth:`SimulationResult.write` are the same bytes for the same seeds (floats in ``repr`` form,
arrays in ``.npy``), so a rerun can be compared byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from orgmodel.simulate.behaviour import SeriesMetric

__all__ = ["SimulationResult", "SERIES_COLUMNS", "FIRST_BREACH_COLUMNS", "RESULT_FILES"]

SERIES_COLUMNS = ("point", "variant", "metric", "period", "date", "mean", "lo", "hi", "n")
FIRST_BREACH_COLUMNS = ("point", "variant", "rule", "at_start", "share_breaking", "median_first_period",
                        "median_first_date")
VERDICT_COLUMNS = ("point", "metric", "direction", "best", "best_mean", "runner_up", "runner_up_mean", "clear", "date")
RESULT_FILES = ("series.csv", "first_breach.csv", "sweep.csv", "verdicts.csv", "meta.json", "replications.npy")


@dataclass(frozen=True)
class SimulationResult:
    """Series of every replication of every variant at every sweep point."""

    variants: tuple[str, ...]
    points: tuple[dict[str, Any], ...]
    metrics: tuple[SeriesMetric, ...]
    dates: tuple[str, ...]  # ISO date of each period, period 0 first
    values: np.ndarray  # (points, variants, replications, periods + 1, metrics)
    interval: float = 0.9
    model: str = ""
    base_seed: int = 0

    @property
    def metric_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def series(self, variant: str, metric: str, point: int = 0) -> np.ndarray:
        """Every replication's values of one metric: shape (replications, periods + 1)."""
        return self.values[point, self.variants.index(variant), :, :, self.metric_names.index(metric)]

    def band(self, variant: str, metric: str, point: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mean, low, high) per period of one metric, over replications (NaN-aware)."""
        x = self.series(variant, metric, point)
        return _band(x, self.interval)

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per point, variant, metric and period: mean and interval over replications."""
        rows = []
        for p in range(len(self.points)):
            for v, variant in enumerate(self.variants):
                block = self.values[p, v]  # (reps, periods, metrics)
                mean, lo, hi, n = _band(block, self.interval, with_count=True)
                for k, metric in enumerate(self.metric_names):
                    for t, date in enumerate(self.dates):
                        rows.append({"point": p, "variant": variant, "metric": metric, "period": t, "date": date,
                                     "mean": mean[t, k], "lo": lo[t, k], "hi": hi[t, k], "n": int(n[t, k])})
        return rows

    def first_breaches(self) -> list[dict[str, Any]]:
        """Per point, variant and rule: breaking at the start, share of replications breaking it
        at some period, and the median first period among those that do."""
        rows = []
        for p in range(len(self.points)):
            for v, variant in enumerate(self.variants):
                for k, metric in enumerate(self.metric_names):
                    if not metric.startswith("rule."):
                        continue
                    x = self.values[p, v, :, :, k]  # (reps, periods)
                    if np.isnan(x).all():
                        rows.append({"point": p, "variant": variant, "rule": metric[5:], "at_start": None,
                                     "share_breaking": None, "median_first_period": None, "median_first_date": None})
                        continue
                    breaking = np.nan_to_num(x) > 0
                    ever = breaking.any(axis=1)
                    first = np.argmax(breaking, axis=1)
                    median = int(np.median(first[ever])) if ever.any() else None
                    rows.append({
                        "point": p, "variant": variant, "rule": metric[5:],
                        "at_start": None if np.isnan(x[:, 0]).all() else float(np.nanmean(x[:, 0])),
                        "share_breaking": float(ever.mean()),
                        "median_first_period": median,
                        "median_first_date": self.dates[median] if median is not None else None,
                    })
        return rows

    def sweep_rows(self) -> list[dict[str, Any]]:
        """How each metric responds to the sweep: its mean and interval at the horizon per point."""
        rows = []
        for p, point in enumerate(self.points):
            for v, variant in enumerate(self.variants):
                mean, lo, hi = _band(self.values[p, v, :, -1, :], self.interval)
                for k, metric in enumerate(self.metric_names):
                    rows.append({"point": p, **{f"param.{n}": point[n] for n in sorted(point)}, "variant": variant,
                                 "metric": metric, "mean": mean[k], "lo": lo[k], "hi": hi[k]})
        return rows

    def verdicts(self, point: int = 0) -> list[dict[str, Any]]:
        """Which variant holds up on each metric, stated from the data (for the report's summary).

        Per metric with a direction: the variant with the best mean at the horizon, the runner-up,
        and whether the lead is clear (the two intervals do not overlap). Metrics whose best
        variant cannot be told (fewer than two variants with values) are left out.
        """
        out = []
        for k, metric in enumerate(self.metrics):
            if metric.direction not in ("higher", "lower") or len(self.variants) < 2:
                continue
            mean, lo, hi = _band(self.values[point, :, :, -1, k].T, self.interval)
            known = [v for v in range(len(self.variants)) if not np.isnan(mean[v])]
            if len(known) < 2:
                continue
            sign = -1.0 if metric.direction == "higher" else 1.0
            order = sorted(known, key=lambda v: (sign * mean[v], v))
            best, second = order[0], order[1]
            clear = bool(lo[best] > hi[second]) if metric.direction == "higher" else bool(hi[best] < lo[second])
            out.append({"metric": metric.name, "label_zh": metric.label_zh, "label_en": metric.label_en,
                        "direction": metric.direction, "best": self.variants[best], "best_mean": float(mean[best]),
                        "runner_up": self.variants[second], "runner_up_mean": float(mean[second]), "clear": clear,
                        "date": self.dates[-1]})
        return out

    # -- files ------------------------------------------------------------------------------

    def write(self, folder: str | Path) -> list[Path]:
        """Write the result files into ``folder`` (which must exist); returns their paths."""
        folder = Path(folder)
        paths = []
        for name, columns, rows in (("series.csv", SERIES_COLUMNS, self.summary_rows()),
                                    ("first_breach.csv", FIRST_BREACH_COLUMNS, self.first_breaches())):
            paths.append(_write_csv(folder / name, columns, rows))
        verdicts = [{"point": p, **v} for p in range(len(self.points)) for v in self.verdicts(p)]
        paths.append(_write_csv(folder / "verdicts.csv", VERDICT_COLUMNS, verdicts))
        sweep = self.sweep_rows()
        paths.append(_write_csv(folder / "sweep.csv", list(sweep[0]) if sweep else [], sweep))
        meta = {
            "format": "orgmodel-simulation/1",
            "model": self.model,
            "base_seed": str(self.base_seed),
            "interval": self.interval,
            "variants": list(self.variants),
            "points": list(self.points),
            "dates": list(self.dates),
            "replications": int(self.values.shape[2]),
            "metrics": [{"name": m.name, "label_zh": m.label_zh, "label_en": m.label_en, "unit": m.unit,
                         "direction": m.direction, "description": m.description} for m in self.metrics],
            "values_shape": ["point", "variant", "replication", "period", "metric"],
        }
        meta_path = folder / "meta.json"
        meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        paths.append(meta_path)
        npy = folder / "replications.npy"
        with npy.open("wb") as fh:
            np.save(fh, np.ascontiguousarray(self.values, dtype="<f8"), allow_pickle=False)
        paths.append(npy)
        return paths

    @classmethod
    def read(cls, folder: str | Path) -> SimulationResult:
        """Read a result written by :meth:`write`."""
        folder = Path(folder)
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        values = np.load(folder / "replications.npy", allow_pickle=False)
        metrics = tuple(SeriesMetric(**m) for m in meta["metrics"])
        return cls(variants=tuple(meta["variants"]), points=tuple(meta["points"]), metrics=metrics,
                   dates=tuple(meta["dates"]), values=values, interval=meta["interval"], model=meta["model"],
                   base_seed=int(meta["base_seed"]))


def _band(x: np.ndarray, interval: float, *, with_count: bool = False) -> Any:
    """Mean and central interval over axis 0, NaN-aware (all-NaN slices give NaN)."""
    q = (1 - interval) / 2
    valid = ~np.isnan(x)
    n = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(x, axis=0) / np.maximum(n, 1), np.nan)
        filled = np.where(valid, x, np.inf)
        srt = np.sort(filled, axis=0)
        lo = _quantile_sorted(srt, n, q)
        hi = _quantile_sorted(srt, n, 1 - q)
    return (mean, lo, hi, n) if with_count else (mean, lo, hi)


def _quantile_sorted(srt: np.ndarray, n: np.ndarray, q: float) -> np.ndarray:
    """Linear-interpolation quantile of sorted columns with ``n`` valid leading values each."""
    pos = q * np.maximum(n - 1, 0)
    below = np.floor(pos).astype(np.int64)
    above = np.minimum(below + 1, np.maximum(n - 1, 0))
    a = np.take_along_axis(srt, below[None], axis=0)[0]
    b = np.take_along_axis(srt, above[None], axis=0)[0]
    with np.errstate(invalid="ignore"):
        out = a + (b - a) * (pos - below)
    return np.where(n > 0, np.where(np.isfinite(out), out, a), np.nan)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else repr(float(value))
    return str(value)


def _write_csv(path: Path, columns: Sequence[str], rows: list[dict[str, Any]]) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_text(row.get(c)) for c in columns])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path
