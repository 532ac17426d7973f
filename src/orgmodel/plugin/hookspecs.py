"""Hook specifications: every hook a plugin can implement, in one place.

A plugin is a module or object with functions marked ``@orgmodel.hookimpl`` whose names match the
specifications below. Registration hooks are named ``register_*`` and receive a registry; calling
it with an object adds that object under its name, and a name registered twice is an error that
names both plugins. Implementations may accept fewer arguments than the specification lists.

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

import pluggy

__all__ = [
    "hookspec",
    "hookimpl",
    "PROJECT",
    "REGISTRIES",
    "register_unit_kinds",
    "register_strategies",
    "register_metrics",
    "register_rule_packs",
    "register_behaviour_models",
    "register_loaders",
    "register_renderers",
]

# hook name -> what it registers (used in messages and by ``orgmodel plugins``)
REGISTRIES = {
    "register_unit_kinds": "domain pack",
    "register_strategies": "strategy",
    "register_metrics": "metric",
    "register_rule_packs": "rule pack",
    "register_behaviour_models": "behaviour model",
    "register_loaders": "loader",
    "register_renderers": "renderer",
}

PROJECT = "orgmodel"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- domain packs ----------------------------------------------------------------------------


@hookspec
def register_unit_kinds(register) -> None:  # type: ignore[no-untyped-def]
    """Register a domain pack: the unit kinds, labels and member statuses of a field.

    :param register: a :class:`orgmodel.plugin.host.Registry` of
        :class:`orgmodel.model.kinds.DomainPack`; call ``register(pack)`` once per pack.
        Registering a pack name that another plugin registered raises ``PluginError``.

    A scenario names the pack it uses (``domain: party``); every kind in the scenario, its
    rules and its plans is checked against that pack.

    Added in 0.1. Frozen: its arguments will only ever grow.
    """


# --- strategies ------------------------------------------------------------------------------


@hookspec
def register_strategies(register) -> None:  # type: ignore[no-untyped-def]
    """Register restructuring strategies.

    :param register: a :class:`orgmodel.plugin.host.Registry`; call ``register(strategy)`` with an
        instance of a :class:`orgmodel.plugin.strategy.Strategy` subclass (an object with ``name``,
        ``label_zh``, ``label_en``, ``Params`` and ``propose(ctx, params) -> Plan``).

    A scenario chooses a strategy by its name (``strategy: team-branches``); load order never
    matters. Example::

        @hookimpl
        def register_strategies(register):
            register(MergeSmallBranches())

    Added in 0.1.
    """


# --- measuring and checking (provisional until the metrics and rules engine uses them) -------


@hookspec
def register_metrics(register) -> None:  # type: ignore[no-untyped-def]
    """Register metrics: objects with ``name``, ``label_zh``, ``label_en``, ``unit``,
    ``direction`` ("higher" or "lower" is better) and ``compute(ctx) -> dict[str, float]``.

    :param register: a :class:`orgmodel.plugin.host.Registry`; call ``register(metric)``.

    Added in 0.1. Provisional: the object's shape may still change before the metrics engine
    lands.
    """


@hookspec
def register_rule_packs(register) -> None:  # type: ignore[no-untyped-def]
    """Register rule packs: objects with ``name``, ``domain`` and ``rules`` (declarative records
    with id, severity, source, quantity, bounds).

    :param register: a :class:`orgmodel.plugin.host.Registry`; call ``register(rule_pack)``.

    Added in 0.1. Provisional until the rules engine lands.
    """


@hookspec
def register_behaviour_models(register) -> None:  # type: ignore[no-untyped-def]
    """Register behaviour models for simulation: instances of :class:`orgmodel.BehaviourModel`
    subclasses (``name``, a ``Params`` model, ``metrics``, ``prepare(state, params, context)``,
    a vectorised ``step(state, rng, period, params)`` and ``observe(state, params)``).

    :param register: a :class:`orgmodel.plugin.host.Registry`; call ``register(model)``.

    Added in 0.1. Provisional until the simulation lands.
    """


# --- input and output (provisional) ----------------------------------------------------------


@hookspec
def register_loaders(register) -> None:  # type: ignore[no-untyped-def]
    """Register roster loaders for more file formats: objects with ``name``, ``suffixes`` and
    ``read(path, source) -> dict[str, pyarrow.Array]``.

    :param register: a :class:`orgmodel.plugin.host.Registry`; call ``register(loader)``.

    Added in 0.1. Provisional: the built-in CSV, XLSX and JSON readers do not go through it yet.
    """


@hookspec
def register_renderers(register) -> None:  # type: ignore[no-untyped-def]
    """Register renderers of diagrams and reports: objects with ``name``, ``formats`` and
    ``render(ctx, out_dir) -> list[Path]``.

    :param register: a :class:`orgmodel.plugin.host.Registry`; call ``register(renderer)``.

    Added in 0.1. Provisional until rendering lands.
    """
