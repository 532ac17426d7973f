"""Registers the ``optimise`` strategy."""

from orgmodel import hookimpl
from orgmodel_optimise.strategy import Optimise


@hookimpl
def register_strategies(register):
    """Register the optimise strategy."""
    register(Optimise())
