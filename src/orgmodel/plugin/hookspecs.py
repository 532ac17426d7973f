"""Hook specifications: every hook a plugin can implement, in one place.

A plugin is a module or object with functions marked ``@orgmodel.hookimpl`` whose names match the
specifications below. Registration hooks are named ``register_*`` and receive ``register``, a
:class:`Register` callback (the host's :class:`~orgmodel.plugin.host.Registry`); calling it with an
object adds that object under its name, and a name registered twice is an error that names both
plugins. Implementations may accept fewer arguments than the specification lists. Core code never
calls these hooks through pluggy directly: :class:`~orgmodel.plugin.host.PluginHost` has one typed
method per hook (``domain_packs()``, ``strategies()``, ``metrics()``, ``rule_packs()``,
``behaviour_models()``).

Example, a domain pack plugin::

    from orgmodel import hookimpl
    from orgmodel.model.kinds import DomainPack, UnitKind

    @hookimpl
    def register_unit_kinds(register):
        register(DomainPack(name="acme", statuses=("staff",), full_statuses=("staff",),
                            kinds=(UnitKind(id="acme.team", role="org", relation="branch",
                                            label_zh="团队", label_en="team"),)))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pluggy

if TYPE_CHECKING:
    from pydantic import BaseModel

    from orgmodel.analysis.metrics import Metric
    from orgmodel.analysis.rules import RulePack
    from orgmodel.model.kinds import DomainPack
    from orgmodel.plugin.strategy import Strategy

__all__ = [
    "hookspec",
    "hookimpl",
    "PROJECT",
    "REGISTRIES",
    "Register",
    "BehaviourModel",
    "register_unit_kinds",
    "register_strategies",
    "register_metrics",
    "register_rule_packs",
    "register_behaviour_models",
]

# hook name -> what it registers (used in messages and by ``orgmodel plugins``)
REGISTRIES = {
    "register_unit_kinds": "domain pack",
    "register_strategies": "strategy",
    "register_metrics": "metric",
    "register_rule_packs": "rule pack",
    "register_behaviour_models": "behaviour model",
}

PROJECT = "orgmodel"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

T_contra = TypeVar("T_contra", contravariant=True)


class Register(Protocol[T_contra]):
    """The callback a registration hook receives: ``register(obj)`` adds ``obj`` under ``obj.name``."""

    def __call__(self, item: T_contra, /) -> None:
        """Add ``item``; a name another plugin registered raises ``PluginError`` naming both."""


class BehaviourModel(Protocol):
    """What ``register_behaviour_models`` registers: see :class:`orgmodel.simulate.BehaviourModel`."""

    name: str
    Params: type[BaseModel]

    def step(self, state: Any, rng: Any, period: int, params: Any) -> None:
        """Advance the simulation ``state`` by one period, vectorised over its members."""


# --- domain packs ----------------------------------------------------------------------------


@hookspec
def register_unit_kinds(register: Register[DomainPack]) -> None:
    """Register a domain pack: the unit kinds, labels and member statuses of a field.

    :param register: call ``register(pack)`` with an :class:`orgmodel.model.kinds.DomainPack`, once
        per pack. Registering a pack name that another plugin registered raises ``PluginError``.

    A scenario names the pack it uses (``domain: party``); every kind in the scenario, its
    rules and its plans is checked against that pack.

    Added in 0.1. Frozen: its arguments will only ever grow.
    """


# --- strategies ------------------------------------------------------------------------------


@hookspec
def register_strategies(register: Register[Strategy]) -> None:
    """Register restructuring strategies.

    :param register: call ``register(strategy)`` with an instance of a
        :class:`orgmodel.plugin.strategy.Strategy` subclass (an object with ``name``,
        ``label_zh``, ``label_en``, ``Params`` and ``propose(ctx, params) -> Plan``).

    A scenario chooses a strategy by its name (``strategy: team-branches``); load order never
    matters. Example::

        @hookimpl
        def register_strategies(register):
            register(MergeSmallBranches())

    Added in 0.1.
    """


# --- measuring and checking ------------------------------------------------------------------


@hookspec
def register_metrics(register: Register[Metric]) -> None:
    """Register metrics: instances of :class:`orgmodel.analysis.metrics.Metric` subclasses, with
    ``name``, ``label_zh``, ``label_en`` and ``compute(ctx: MeasureContext) -> list[Value]`` (each
    :class:`~orgmodel.analysis.metrics.Value` carries its labels, unit and direction).

    :param register: call ``register(metric)``.

    Added in 0.1.
    """


@hookspec
def register_rule_packs(register: Register[RulePack]) -> None:
    """Register rule packs: :class:`orgmodel.analysis.rules.RulePack` objects with ``name``,
    ``domain`` and ``rules`` (declarative records with id, severity, source, quantity, bounds).

    :param register: call ``register(rule_pack)``.

    Added in 0.1.
    """


# --- simulation (provisional) ----------------------------------------------------------------


@hookspec
def register_behaviour_models(register: Register[BehaviourModel]) -> None:
    """Register behaviour models for simulation: instances of :class:`orgmodel.BehaviourModel`
    subclasses (``name``, a ``Params`` model, ``metrics``, ``prepare(state, params, context)``,
    a vectorised ``step(state, rng, period, params)`` and ``observe(state, params)``).

    :param register: call ``register(model)``.

    Added in 0.1. Provisional: the host collects them
    (:meth:`~orgmodel.plugin.host.PluginHost.behaviour_models`) and :mod:`orgmodel.simulate` runs
    them; the shape may still grow before it is frozen.
    """
