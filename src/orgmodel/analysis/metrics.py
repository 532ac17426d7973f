"""Metrics: named, labelled, directed numbers about a structure, registered by plugins.

A metric is an object with a ``name``, zh/en labels and ``compute(ctx) -> list[Value]``; each
:class:`Value` carries its own name, labels, unit and direction ("higher" or "lower" is better,
or "neutral"). Metrics read a :class:`MeasureContext`, which computes the shared per-unit
aggregates (sizes, full sizes, subtree sizes, depth, live masks) once per structure, so twenty
metrics cost about as much as one pass. Everything is columnar, so a million members take
seconds.

>>> from orgmodel.testing_data import tiny_structure
>>> ctx = MeasureContext(tiny_structure())
>>> int(ctx.branch_sizes.max()), int(ctx.n_active)
(4, 7)
>>> v = Value(name="branches", value=2, label_zh="支部数", label_en="branches", unit="个", direction="neutral")
>>> v.better_than(Value(**{**v.__dict__, "value": 3}))
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np

from orgmodel.errors import PluginError
from orgmodel.model.kinds import EXTERNAL, UNPLACED
from orgmodel.model.plan import Plan
from orgmodel.model.structure import Structure

__all__ = ["Value", "Metric", "MeasureContext", "measure", "Direction"]

Direction = Literal["higher", "lower", "neutral"]


@dataclass(frozen=True)
class Value:
    """One measured number with what it means."""

    name: str
    value: float | None
    label_zh: str
    label_en: str
    unit: str = ""
    direction: Direction = "neutral"
    note: str = ""

    def better_than(self, other: Value) -> bool | None:
        """True/False by the direction, None when neutral, equal or unknown."""
        if self.direction == "neutral" or self.value is None or other.value is None or self.value == other.value:
            return None
        return (self.value > other.value) == (self.direction == "higher")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name, "value": self.value, "label_zh": self.label_zh, "label_en": self.label_en,
            "unit": self.unit, "direction": self.direction, "note": self.note,
        }


class Metric(ABC):
    """Base class of metrics; subclasses set ``name``, labels and implement :meth:`compute`."""

    name: str = ""
    label_zh: str = ""
    label_en: str = ""
    description: str = ""

    @abstractmethod
    def compute(self, ctx: MeasureContext) -> list[Value]:
        """The values of this metric for ``ctx.structure``."""

    def value(self, name: str, value: float | None, label_zh: str, label_en: str, *, unit: str = "",
              direction: Direction = "neutral", note: str = "") -> Value:
        """A Value named ``<metric name>.<name>`` (or the metric's name when ``name`` is empty)."""
        full = f"{self.name}.{name}" if name else self.name
        v = None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)
        return Value(full, v, label_zh, label_en, unit, direction, note)


@dataclass
class MeasureContext:
    """A structure and its shared aggregates, computed on first use and reused by every metric.

    :ivar structure: what is measured; :ivar baseline: what it is compared with (change costs);
    :ivar plans: the plans that led from the baseline to the structure;
    :ivar rooms: meeting-room capacities by unit id, where given;
    :ivar as_of: the scenario's date (None when it gives none), for metrics of what ages.
    """

    structure: Structure
    baseline: Structure | None = None
    plans: Sequence[Plan] = ()
    rooms: dict[str, int] = field(default_factory=dict)
    as_of: dt.date | None = None

    @cached_property
    def live(self) -> np.ndarray:
        """Live units."""
        return ~self.structure.units.dissolved

    @cached_property
    def is_org(self) -> np.ndarray:
        """Live organisation units."""
        s = self.structure
        return self.live & s.kinds.is_org[s.units.kind]

    @cached_property
    def is_branch(self) -> np.ndarray:
        """Live units holding relations, the reserved unplaced/external units excepted."""
        s = self.structure
        reserved = np.isin(s.units.kind, [s.kinds.code(UNPLACED), s.kinds.code(EXTERNAL)])
        return self.live & s.kinds.is_branch[s.units.kind] & ~reserved

    @cached_property
    def sizes(self) -> np.ndarray:
        """Direct member counts of every unit."""
        return self.structure.sizes()

    @cached_property
    def full_sizes(self) -> np.ndarray:
        """Direct full-member counts of every unit."""
        return self.structure.sizes(full_only=True)

    @cached_property
    def subtree_sizes(self) -> np.ndarray:
        """Members of every unit's subtree."""
        return self.structure.sizes(subtree=True)

    @cached_property
    def branch_sizes(self) -> np.ndarray:
        """Sizes of the live branches."""
        return self.sizes[self.is_branch]

    @cached_property
    def branch_full_sizes(self) -> np.ndarray:
        """Full-member sizes of the live branches."""
        return self.full_sizes[self.is_branch]

    @cached_property
    def n_active(self) -> int:
        """Active members."""
        return int(self.structure.members["active"].sum())

    @cached_property
    def depth(self) -> np.ndarray:
        """Depth of every unit (roots 0)."""
        return self.structure.depth

    @cached_property
    def child_counts(self) -> np.ndarray:
        """Live organisation children of every unit."""
        s = self.structure
        parent = np.where(self.is_org & (s.units.parent >= 0), s.units.parent, -1)
        return np.bincount(parent[parent >= 0], minlength=s.n_units)


def measure(ctx: MeasureContext, metrics: Sequence[Any], *, owners: Mapping[str, str | None] | None = None) -> list[Value]:
    """Every value of every metric, in the given order; a failing metric names itself and its plugin.

    ``owners`` maps metric names to the plugins that registered them (``Registry.owner``).
    """
    out: list[Value] = []
    for metric in metrics:
        plugin = (owners or {}).get(metric.name) or getattr(metric, "plugin", None)
        try:
            values = metric.compute(ctx)
        except Exception as exc:  # a plugin's bug must name the plugin, not crash the run
            raise PluginError(f"metric {metric.name} failed: {type(exc).__name__}: {exc}", plugin=plugin) from exc
        for v in values:
            if not isinstance(v, Value):
                raise PluginError(f"metric {metric.name} returned {type(v).__name__}, not a Value", plugin=plugin)
            out.append(v)
    return out
