"""The party rule pack (``rules.yaml``), read once: the regulations of RULES.md as data.

Everything party-specific the core's rules need lives in this data: which roles make a committee,
what counts as a separate unit for a joint branch, the six months of the mobile-member rules, who
approves. Other modules of the pack read their numbers from here rather than repeating them.

The role vocabularies live in :mod:`orgmodel_party.offices`; the rule that counts a committee
names the same offices:

>>> PARTY_RULES.rule("branch.max_size").max
50.0
>>> from orgmodel_party.offices import COMMITTEE_ROLES
>>> tuple(PARTY_RULES.rule("committee.when").roles) == COMMITTEE_ROLES
True
"""

from __future__ import annotations

from pathlib import Path

from orgmodel import load_rule_pack

__all__ = ["PARTY_RULES"]

PARTY_RULES = load_rule_pack(Path(__file__).with_name("rules.yaml"))
