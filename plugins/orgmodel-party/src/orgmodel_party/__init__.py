"""orgmodel-party: the first-party domain pack for party organisations (党组织).

The pack itself is :data:`orgmodel_party.kinds.PARTY_PACK`; the plugin module
:mod:`orgmodel_party.plugin` registers it through the ``orgmodel`` entry-point group.
"""

__version__ = "0.1.0"

from orgmodel_party.offices import (  # noqa: E402
    BACKBONE_ROLES,
    COMMITTEE_ROLES,
    ROLE_TEMPLATES,
    CommitteeRule,
    backbone_mask,
    committee_size,
    office_rank,
    propose_branch_roles,
    rank_for_office,
)

__all__ = [
    "__version__",
    # offices of a branch (orgmodel_party.offices): the public API strategies use
    "COMMITTEE_ROLES", "BACKBONE_ROLES", "CommitteeRule", "committee_size", "backbone_mask",
    "propose_branch_roles", "rank_for_office", "office_rank", "ROLE_TEMPLATES",
]
