"""Behaviour models: plugin objects that move a simulation state forward one period, in bulk.

A behaviour model has a ``name`` (how a scenario chooses it under ``simulation: model:``), zh/en
labels, a pydantic ``Params`` model (``extra="forbid"``; every field documented, with a default),
the metrics it reports (:class:`SeriesMetric`), and three calls:

- ``prepare(state, params, context)``: once per replication, before the first period (add the
  columns the model needs, read the rule book's limits);
- ``step(state, rng, period, params)``: change the state by one period; vectorised over the
  member table, never a Python loop over members; members leave by
  :meth:`~orgmodel.simulate.state.SimState.remove_members` (rows are never deleted) and arrive
  by :meth:`~orgmodel.simulate.state.SimState.add_members`;
- ``observe(state, params)``: the model's metrics for the state as it is now (name -> float).

Every random draw comes from ``rng``, which the engine seeds from (scenario seed, variant,
replication), so a replication gives the same numbers on any executor. Register one with the
``register_behaviour_models`` hook; check it with :func:`orgmodel.simulate.contract.check_behaviour_model`.

>>> import datetime as dt
>>> from pydantic import BaseModel, ConfigDict, Field
>>> from orgmodel.testing_data import tiny_structure
>>> from orgmodel.simulate.state import SimState, LEFT_MOVED
>>> class Leaving(BehaviourModel):
...     name = "leaving"
...     metrics = (SeriesMetric("members", "党员数", "members", "人", "higher"),)
...     class Params(BaseModel):
...         model_config = ConfigDict(extra="forbid")
...         leave_rate: float = Field(0.1, ge=0, le=1, description="monthly share who move away")
...     def step(self, state, rng, period, params):
...         active = np.flatnonzero(state.members["active"])
...         state.remove_members(active[rng.random(len(active)) < params.leave_rate], LEFT_MOVED)
...     def observe(self, state, params):
...         return {"members": float(state.members["active"].sum())}
>>> model = Leaving()
>>> model.parse_params({"leave_rate": 2})
Traceback (most recent call last):
...
orgmodel.errors.UserError: behaviour model leaving: params.leave_rate: Input should be less than or equal to 1
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from orgmodel.analysis.rulebook import RuleBook
from orgmodel.errors import UserError

__all__ = ["BehaviourModel", "SeriesMetric", "ModelContext", "NoBehaviourParams"]


class NoBehaviourParams(BaseModel):
    """Parameters of a behaviour model that takes none."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class SeriesMetric:
    """One quantity a behaviour model reports each period."""

    name: str
    label_zh: str
    label_en: str
    unit: str = ""
    direction: Literal["higher", "lower", "none"] = "none"
    description: str = ""


@dataclass(frozen=True)
class ModelContext:
    """What a model is given besides the state: the rules in force and the variant's name.

    Only ever gains attributes.
    """

    rules: RuleBook = field(default_factory=RuleBook)
    variant: str = ""
    extras: Mapping[str, Any] = field(default_factory=dict)


class BehaviourModel(ABC):
    """Base class of behaviour models; subclasses set ``name`` and implement ``step`` and ``observe``."""

    name: ClassVar[str] = ""
    label_zh: ClassVar[str] = ""
    label_en: ClassVar[str] = ""
    description: ClassVar[str] = ""
    Params: ClassVar[type[BaseModel]] = NoBehaviourParams
    metrics: ClassVar[tuple[SeriesMetric, ...]] = ()
    team_kinds: ClassVar[tuple[str, ...]] = ()  # unit kinds that are teams members take part in

    def parse_params(self, raw: Mapping[str, Any] | None) -> BaseModel:
        """Validate raw parameters; a UserError names the parameter."""
        try:
            return self.Params.model_validate(dict(raw or {}))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "params"
            raise UserError(f"behaviour model {self.name}: params.{where}: {err['msg']}") from None

    def prepare(self, state: Any, params: Any, context: ModelContext) -> None:  # noqa: B027 - optional hook
        """Called once per replication before the first period; the default does nothing."""

    @abstractmethod
    def step(self, state: Any, rng: np.random.Generator, period: int, params: Any) -> None:
        """Move ``state`` forward by one period (``period`` counts from 1)."""

    @abstractmethod
    def observe(self, state: Any, params: Any) -> Mapping[str, float]:
        """The model's metrics for the current state, by name (every name in ``metrics``)."""
