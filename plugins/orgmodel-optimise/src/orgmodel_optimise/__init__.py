"""orgmodel-optimise: the ``optimise`` strategy (the least change that breaks no rule).

The strategy is :class:`orgmodel_optimise.strategy.Optimise`; the plugin module
:mod:`orgmodel_optimise.plugin` registers it through the ``orgmodel`` entry-point group.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
