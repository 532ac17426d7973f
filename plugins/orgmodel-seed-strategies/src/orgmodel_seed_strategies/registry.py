"""The strategies of this package: one module each, listed here as "module:Class"."""

from importlib import import_module

STRATEGIES = [
    # one line per strategy, "module:Class"
]


def strategies():
    """An instance of every strategy of this package, in the order listed."""
    out = []
    for ref in STRATEGIES:
        module, cls = ref.split(":")
        out.append(getattr(import_module(f"orgmodel_seed_strategies.{module}"), cls)())
    return out
