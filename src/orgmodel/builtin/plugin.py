"""The core's own plugin: built-in metrics registered like any plugin's (named ``orgmodel``)."""

from orgmodel.plugin.hookspecs import hookimpl
from orgmodel.builtin.metrics import BUILTIN_METRICS


@hookimpl
def register_metrics(register) -> None:  # type: ignore[no-untyped-def]
    """Register the domain-neutral metrics."""
    for metric in BUILTIN_METRICS:
        register(metric)
