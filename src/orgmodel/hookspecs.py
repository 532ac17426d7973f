"""Hook specifications: every hook a plugin can implement, in one place.

A plugin is a module or object with functions marked ``@orgmodel.hookimpl`` whose names match the
specifications below. Registration hooks are named ``register_*`` and receive a registry; calling
it with an object adds that object under its name, and a name registered twice is an error that
names both plugins. Implementations may accept fewer arguments than the specification lists.

Example, a domain pack plugin::

    from orgmodel import hookimpl
    from orgmodel.kinds import DomainPack, UnitKind

    @hookimpl
    def register_unit_kinds(register):
        register(DomainPack(name="acme", statuses=("staff",), full_statuses=("staff",),
                            kinds=(UnitKind(id="acme.team", role="org", relation="branch",
                                            label_zh="团队", label_en="team"),)))
"""

from __future__ import annotations

import pluggy

__all__ = ["hookspec", "hookimpl", "PROJECT", "register_unit_kinds"]

PROJECT = "orgmodel"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- domain packs ----------------------------------------------------------------------------


@hookspec
def register_unit_kinds(register) -> None:  # type: ignore[no-untyped-def]
    """Register a domain pack: the unit kinds, labels and member statuses of a field.

    :param register: a :class:`orgmodel.plugins.Registry` of
        :class:`orgmodel.kinds.DomainPack`; call ``register(pack)`` once per pack.
        Registering a pack name that another plugin registered raises ``PluginError``.

    A scenario names the pack it uses (``domain: party``); every kind in the scenario, its
    rules and its plans is checked against that pack.

    Added in 0.1. Frozen: its arguments will only ever grow.
    """
