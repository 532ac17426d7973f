"""Registers every strategy listed in :data:`orgmodel_seed_strategies.registry.STRATEGIES`."""

from orgmodel import hookimpl
from orgmodel_seed_strategies.registry import strategies


@hookimpl
def register_strategies(register):
    """Register the seed strategies."""
    for strategy in strategies():
        register(strategy)
