"""The ``party`` plugin: registers :data:`~orgmodel_party.kinds.PARTY_PACK`.

Installed distributions are found through the entry point
``[project.entry-points.orgmodel] party = "orgmodel_party.plugin"``, exactly as a third party's
plugin would be.

>>> from orgmodel import PluginHost
>>> import orgmodel_party.plugin as plugin
>>> host = PluginHost(plugins={"party": plugin}, autoload=False)
>>> host.domain_pack("party").label_zh
'党组织'
"""

from __future__ import annotations

from orgmodel import hookimpl
from orgmodel_party.kinds import PARTY_PACK

__all__ = ["register_unit_kinds", "register_rule_packs", "register_metrics"]


@hookimpl
def register_unit_kinds(register) -> None:  # type: ignore[no-untyped-def]
    """Register the party-organisation domain pack."""
    register(PARTY_PACK)


@hookimpl
def register_rule_packs(register) -> None:  # type: ignore[no-untyped-def]
    """Register the party rule pack (``rules.yaml``: the regulations of RULES.md as data)."""
    from orgmodel_party.rulepack import PARTY_RULES

    register(PARTY_RULES)


@hookimpl
def register_metrics(register) -> None:  # type: ignore[no-untyped-def]
    """Register the party metrics: size limits, backbone reach, team alignment, coverage, and the cycle, tree and lever of seed 000."""
    from orgmodel_party.metrics import PARTY_METRICS

    for metric in PARTY_METRICS:
        register(metric)
