"""The party rule pack (``rules.yaml``), read once: the regulations of RULES.md as data.

Everything party-specific the core's rules need lives in this data: which roles make a committee,
what counts as a separate unit for a joint branch, the six months of the mobile-member rules, who
approves. Other modules of the pack read their numbers from here rather than repeating them.

>>> PARTY_RULES.rule("branch.max_size").max
50.0
>>> COMMITTEE_ROLES
('secretary', 'deputy_secretary', 'committee_member')
"""

from __future__ import annotations

from pathlib import Path

from orgmodel import load_rule_pack

__all__ = ["PARTY_RULES", "COMMITTEE_ROLES"]

PARTY_RULES = load_rule_pack(Path(__file__).with_name("rules.yaml"))

#: The offices of a committee, as the rule pack's ``committee.when`` counts them.
COMMITTEE_ROLES: tuple[str, ...] = tuple(PARTY_RULES.rule("committee.when").roles)
