"""The ``behaviour`` plugin: registers the party behaviour model.

>>> from orgmodel import PluginHost
>>> import orgmodel_behaviour.plugin as plugin
>>> PluginHost(plugins={"behaviour": plugin}, autoload=False).behaviour_models().names()
['party']
"""

from __future__ import annotations

from orgmodel import hookimpl

__all__ = ["register_behaviour_models"]


@hookimpl
def register_behaviour_models(register) -> None:  # type: ignore[no-untyped-def]
    """Register the party behaviour model (``simulation: {model: party}``)."""
    from orgmodel_behaviour.party import PartyBehaviour

    register(PartyBehaviour())
