"""orgmodel-party: the first-party domain pack for party organisations (党组织).

The pack itself is :data:`orgmodel_party.kinds.PARTY_PACK`; the plugin module
:mod:`orgmodel_party.plugin` registers it through the ``orgmodel`` entry-point group.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
