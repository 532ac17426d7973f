"""orgmodel-behaviour: the first-party behaviour model for simulating party organisations.

The model is :class:`orgmodel_behaviour.party.PartyBehaviour` (registered as ``party``); the plugin
module :mod:`orgmodel_behaviour.plugin` registers it through the ``orgmodel`` entry-point group.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
