"""The ``simulation:`` key of a scenario: horizon, period, replications, executor, model, sweep.

Validated by pydantic with ``extra="forbid"``; errors name the YAML line and the field. The
behaviour model's own parameters (``params``, and the parameters named in ``sweep``) are checked
in a second pass against the model's ``Params`` once plugins are loaded
(:func:`check_model_params`), still at their YAML line.

A ``sweep`` key is either a behaviour parameter (``join_team_rate``) or a strategy parameter of
one step of one variant, written as the path to it: ``<variant>.steps[<i>].<param>``
(``team-branches.steps[1].min_team_members``, steps counted from 0 as in error messages). Every
combination of the values is a sweep point; strategy keys are checked against the scenario's
variants and the strategy's ``Params`` (:func:`check_strategy_sweep`).

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
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from orgmodel.errors import SpecError, UserError

__all__ = ["SimulationSpec", "PERIOD_MONTHS", "load_simulation_spec", "load_simulation", "resolve_model",
           "check_model_params", "check_strategy_sweep", "sweep_points", "sweep_grid", "strategy_key", "StrategyKey",
           "strategy_overrides"]

PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}

_STRATEGY_KEY = re.compile(r"^(?P<variant>[^/\s]+)\.steps\[(?P<step>\d+)\]\.(?P<param>[A-Za-z_][A-Za-z0-9_]*)$")


@dataclass(frozen=True)
class StrategyKey:
    """A sweep key naming a strategy parameter: ``<variant>.steps[<step>].<param>``."""

    key: str
    variant: str
    step: int
    param: str


def strategy_key(name: str) -> StrategyKey | None:
    """The strategy parameter a sweep key names, or None for a behaviour parameter.

    >>> strategy_key("team-branches.steps[1].min_team_members")
    StrategyKey(key='team-branches.steps[1].min_team_members', variant='team-branches', step=1, param='min_team_members')
    >>> strategy_key("join_team_rate") is None
    True
    """
    match = _STRATEGY_KEY.match(name)
    if match is None:
        return None
    return StrategyKey(name, match["variant"], int(match["step"]), match["param"])


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


def sweep_grid(spec: SimulationSpec) -> list[dict[str, Any]]:
    """Every combination of the sweep's values (keys sorted, the last varying fastest); ``[{}]``
    without a sweep. Point ``p`` of a simulation is ``sweep_grid(spec)[p]``.

    >>> sweep_grid(SimulationSpec(sweep={"b": [1, 2], "v.steps[0].k": [7]}))
    [{'b': 1, 'v.steps[0].k': 7}, {'b': 2, 'v.steps[0].k': 7}]
    """
    names = sorted(spec.sweep)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(spec.sweep[n] for n in names))]


def sweep_points(spec: SimulationSpec) -> list[dict[str, Any]]:
    """The behaviour model's parameters at every sweep point (the model's params overridden by
    the point's behaviour keys), in the order of :func:`sweep_grid`.

    >>> spec = SimulationSpec(sweep={"b": [1, 2], "a": [0.1]}, params={"c": 5})
    >>> sweep_points(spec)
    [{'c': 5, 'a': 0.1, 'b': 1}, {'c': 5, 'a': 0.1, 'b': 2}]
    """
    out = []
    for grid in sweep_grid(spec):
        point = dict(spec.params)
        point.update((k, v) for k, v in grid.items() if strategy_key(k) is None)
        out.append(point)
    return out


def strategy_overrides(spec: SimulationSpec) -> list[dict[tuple[str, int], dict[str, Any]]]:
    """The strategy parameters every sweep point sets: (variant, step) -> {param: value}.

    >>> strategy_overrides(SimulationSpec(sweep={"v.steps[0].k": [1, 2], "a": [0.5]}))
    [{('v', 0): {'k': 1}}, {('v', 0): {'k': 2}}]
    """
    out = []
    for grid in sweep_grid(spec):
        point: dict[tuple[str, int], dict[str, Any]] = {}
        for name, value in grid.items():
            key = strategy_key(name)
            if key is not None:
                point.setdefault((key.variant, key.step), {})[key.param] = value
        out.append(point)
    return out


def load_simulation_spec(path: str | Path, key: str = "simulation") -> SimulationSpec | None:
    """Read the ``simulation:`` key of a scenario file (None when it has none); errors at the line.

    A loaded scenario carries the key already (``scenario.spec.simulation``, checked with the same
    errors); this reads it alone.
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

    path = Path(path)
    data, locator = load_yaml(path)
    spec = _spec_from(data, locator, path)
    if spec is None:
        return None
    scenario = None
    if any(strategy_key(name) is not None for name in spec.sweep):
        from orgmodel.io.loader import load_scenario

        scenario = load_scenario(path)
    return spec, resolve_model(spec, plugins, file=str(path), locate=locator.locate, scenario=scenario)


def resolve_model(spec: SimulationSpec, plugins: Any = None, *, file: str | None = None,
                  locate: Any = None, scenario: Any = None) -> Any:
    """The second pass: the behaviour model ``spec.model`` from the plugins, its parameters checked
    at every sweep point; errors at the line of ``simulation.model`` or of the parameter. With
    ``scenario`` (a loaded scenario), the sweep's strategy keys are checked too
    (:func:`check_strategy_sweep`).

    >>> resolve_model(SimulationSpec(params={"attend_base": 0.5})).name
    'party'
    >>> resolve_model(SimulationSpec(params={"attend_base": 2}))
    Traceback (most recent call last):
    ...
    orgmodel.errors.SpecError: simulation.params.attend_base: Input should be less than or equal to 1
    """
    from orgmodel.plugin.host import PluginHost

    registry = (plugins if plugins is not None else PluginHost()).behaviour_models()
    if spec.model not in registry:
        have = ", ".join(registry.names()) or "none installed"
        raise _error(f"unknown behaviour model {spec.model!r} (available: {have})", ("simulation", "model"),
                     file, locate)
    model = registry.get(spec.model)
    check_model_params(model, spec, file=file, locate=locate)
    if scenario is not None:
        check_strategy_sweep(spec, scenario, plugins)
    return model


def check_model_params(model: Any, spec: SimulationSpec, *, file: str | None = None,
                       locate: Any = None) -> list[BaseModel]:
    """Validate the model's parameters at every sweep point; errors name the field (and line).

    ``locate(path) -> (line, column)`` finds a key of the file (``("simulation", "params", name)``).
    """
    fields = set(model.Params.model_fields)
    for name in spec.sweep:
        if name not in fields and strategy_key(name) is None:
            raise _error(f"unknown parameter of behaviour model {model.name} (have: {', '.join(sorted(fields))});"
                         " a strategy parameter is swept as <variant>.steps[<i>].<param>",
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


def check_strategy_sweep(spec: SimulationSpec, scenario: Any, plugins: Any = None) -> None:
    """Check the sweep's strategy keys against a loaded scenario: the variant exists, its step
    ``i`` is a strategy step, the strategy has the parameter, and every value is valid with the
    step's other parameters. Errors at the line of the key (or of the bad value).
    """
    from orgmodel.io.scenario import StrategyStep
    from orgmodel.plugin.host import PluginHost

    keys = [k for k in (strategy_key(name) for name in spec.sweep) if k is not None]
    if not keys:
        return
    strategies = (plugins if plugins is not None else PluginHost()).strategies()
    file, locate = str(scenario.path), scenario.locator.locate
    variants = {v.name: v for v in scenario.spec.variants}
    for key in keys:
        where = ("simulation", "sweep", key.key)
        variant = variants.get(key.variant)
        if variant is None:
            have = ", ".join(variants) or "none"
            raise _error(f"no variant {key.variant!r} to sweep (have: {have})", where, file, locate)
        if key.step >= len(variant.steps):
            raise _error(f"variant {key.variant} has {len(variant.steps)} step(s), counted from 0; no step {key.step}",
                         where, file, locate)
        step = variant.steps[key.step]
        if not isinstance(step, StrategyStep):
            raise _error(f"step {key.step} of variant {key.variant} is written by hand: it has no strategy parameters",
                         where, file, locate)
        if step.strategy not in strategies:
            continue  # the engine's own check names the unknown strategy at its line
        strategy = strategies.get(step.strategy)
        fields = sorted(strategy.Params.model_fields)
        if key.param not in fields:
            raise _error(f"unknown parameter of strategy {step.strategy} (have: {', '.join(fields) or 'none'})",
                         where, file, locate)
        for i, value in enumerate(spec.sweep[key.key]):
            try:
                strategy.Params.model_validate({**step.params, key.param: value})
            except ValidationError as exc:
                err = exc.errors()[0]
                message = str(err["msg"]).removeprefix("Value error, ")
                if err["loc"] and err["loc"][0] != key.param:
                    message = f"with {key.param}={value!r}: {'.'.join(map(str, err['loc']))}: {message}"
                raise _error(message, (*where, i), file, locate) from None


def _error(message: str, path: tuple[Any, ...], file: str | None, locate: Any) -> UserError:
    line = column = None
    if locate is not None:
        line, column = locate(path)
    field = "".join(f"[{p}]" if isinstance(p, int) else ("." if i else "") + str(p) for i, p in enumerate(path))
    return SpecError(message, file=file, line=line, column=column, field=field)
