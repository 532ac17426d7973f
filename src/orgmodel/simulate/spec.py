"""The ``simulation:`` key of a scenario: horizon, period, replications, executor, model, sweep.

Validated by pydantic with ``extra="forbid"``; errors name the YAML line and the field. The
behaviour model's own parameters (``params``, and the parameters named in ``sweep``) are checked
in a second pass against the model's ``Params`` once plugins are loaded
(:func:`check_model_params`), still at their YAML line.

>>> spec = SimulationSpec.model_validate({"horizon_years": 3, "replications": 200})
>>> spec.periods, spec.months_per_period, spec.executor
(36, 1, 'processes')
>>> from pydantic import ValidationError
>>> try:
...     SimulationSpec.model_validate({"horizon_years": 0})
... except ValidationError as exc:
...     print(exc.errors()[0]["loc"], exc.errors()[0]["msg"])
('horizon_years',) Input should be greater than 0
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from orgmodel.errors import SpecError, UserError

__all__ = ["SimulationSpec", "PERIOD_MONTHS", "load_simulation_spec", "load_simulation", "check_model_params",
           "sweep_points"]

PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}


class SimulationSpec(BaseModel):
    """How to simulate every variant of a scenario."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    horizon_years: float = Field(3, gt=0, le=50, description="how far to simulate, in years")
    period: Literal["month", "quarter", "year"] = Field("month", description="length of one step")
    replications: int = Field(200, ge=1, le=100_000, description="seeded runs per variant (and sweep point)")
    seed: int | None = Field(None, ge=0, description="base seed; default: the scenario's seed")
    executor: Literal["serial", "processes", "dask"] = Field("processes", description="where replications run")
    workers: int | None = Field(None, ge=1, description="processes for the process pool; default: every core")
    scheduler: str | None = Field(None, description="address of a Dask scheduler (executor dask)")
    chunk: int | None = Field(None, ge=1, description="replications per task; default: spread over the workers")
    model: str = Field("party", min_length=1, description="the behaviour model, by registered name")
    params: dict[str, Any] = Field(default_factory=dict, description="the model's parameters")
    sweep: dict[str, list[Any]] = Field(default_factory=dict, description="parameter -> values: a grid of runs")
    interval: float = Field(0.9, gt=0, lt=1, description="width of the interval reported around the mean")

    @field_validator("sweep")
    @classmethod
    def _non_empty(cls, sweep: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for name, values in sweep.items():
            if not values:
                raise ValueError(f"sweep.{name} has no values")
        return sweep

    @model_validator(mode="after")
    def _whole_periods(self) -> SimulationSpec:
        months = self.horizon_years * 12
        step = PERIOD_MONTHS[self.period]
        if abs(months / step - round(months / step)) > 1e-9 or round(months / step) < 1:
            raise ValueError(f"horizon_years {self.horizon_years} is not a whole number of {self.period}s")
        if self.executor != "dask" and self.scheduler:
            raise ValueError("scheduler is only used with executor: dask")
        return self

    @property
    def months_per_period(self) -> int:
        return PERIOD_MONTHS[self.period]

    @property
    def periods(self) -> int:
        """Number of periods simulated."""
        return round(self.horizon_years * 12 / self.months_per_period)

    def base_seed(self, scenario_seed: int = 0) -> int:
        return scenario_seed if self.seed is None else self.seed


def sweep_points(spec: SimulationSpec) -> list[dict[str, Any]]:
    """Every combination of the sweep's values (the model's params overridden), in a fixed order.

    >>> spec = SimulationSpec(sweep={"b": [1, 2], "a": [0.1]}, params={"c": 5})
    >>> sweep_points(spec)
    [{'c': 5, 'a': 0.1, 'b': 1}, {'c': 5, 'a': 0.1, 'b': 2}]
    """
    names = sorted(spec.sweep)
    out = []
    for values in itertools.product(*(spec.sweep[n] for n in names)):
        point = dict(spec.params)
        point.update(zip(names, values, strict=True))
        out.append(point)
    return out or [dict(spec.params)]


def load_simulation_spec(path: str | Path, key: str = "simulation") -> SimulationSpec | None:
    """Read the ``simulation:`` key of a scenario file (None when it has none); errors at the line.

    Used until the scenario spec carries the key itself; then ``scenario.validate_at(("simulation",),
    SimulationSpec, data)`` gives the same errors.
    """
    from orgmodel.io.yamlsource import load_yaml

    path = Path(path)
    data, locator = load_yaml(path)
    return _spec_from(data, locator, path, key)


def _spec_from(data: Any, locator: Any, path: Path, key: str = "simulation") -> SimulationSpec | None:
    from orgmodel.io.yamlsource import Locator, validate

    if not isinstance(data, Mapping) or key not in data:
        return None
    sub = Locator({p[1:]: pos for p, pos in locator.items() if p[:1] == (key,)})
    if () not in sub:
        sub.add((), *(x or 1 for x in locator.locate((key,))))
    try:
        return validate(SimulationSpec, data[key], file=str(path), locator=sub)
    except SpecError as exc:
        field = key + ("." + exc.field if exc.field else "")
        raise SpecError(exc.message, file=exc.file, line=exc.line, column=exc.column, field=field) from None


def load_simulation(path: str | Path, plugins: Any = None) -> tuple[SimulationSpec, Any] | None:
    """Read and check a scenario file's ``simulation:`` key in both passes: the spec, then the
    behaviour model (by name, from the plugins) and its parameters at every sweep point.

    Returns (spec, model), or None when the file has no ``simulation:`` key. Every error is one
    line naming the file, the line and the field (``simulation.params.move_away_rate``).
    """
    from orgmodel.io.yamlsource import load_yaml
    from orgmodel.plugin.host import PluginHost

    path = Path(path)
    data, locator = load_yaml(path)
    spec = _spec_from(data, locator, path)
    if spec is None:
        return None
    registry = (plugins if plugins is not None else PluginHost()).behaviour_models()
    if spec.model not in registry:
        have = ", ".join(registry.names()) or "none installed"
        raise _error(f"unknown behaviour model {spec.model!r} (available: {have})", ("simulation", "model"),
                     str(path), locator.locate)
    model = registry.get(spec.model)
    check_model_params(model, spec, file=str(path), locate=locator.locate)
    return spec, model


def check_model_params(model: Any, spec: SimulationSpec, *, file: str | None = None,
                       locate: Any = None) -> list[BaseModel]:
    """Validate the model's parameters at every sweep point; errors name the field (and line).

    ``locate(path) -> (line, column)`` finds a key of the file (``("simulation", "params", name)``).
    """
    fields = set(model.Params.model_fields)
    for name in spec.sweep:
        if name not in fields:
            raise _error(f"unknown parameter of behaviour model {model.name} (have: {', '.join(sorted(fields))})",
                         ("simulation", "sweep", name), file, locate)
    out = []
    for point in sweep_points(spec):
        try:
            out.append(model.Params.model_validate(point))
        except ValidationError as exc:
            err = exc.errors()[0]
            name = str(err["loc"][0]) if err["loc"] else ""
            where = ("simulation", "sweep", name) if name in spec.sweep else ("simulation", "params", *err["loc"])
            message = err["msg"]
            if err["type"] == "extra_forbidden":
                message = f"unknown parameter of behaviour model {model.name} (have: {', '.join(sorted(fields))})"
            raise _error(message, where, file, locate) from None
    return out


def _error(message: str, path: tuple[Any, ...], file: str | None, locate: Any) -> UserError:
    line = column = None
    if locate is not None:
        line, column = locate(path)
    return SpecError(message, file=file, line=line, column=column, field=".".join(str(p) for p in path))
