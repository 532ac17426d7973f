"""The active rules of a scenario, as typed queries for strategies and everything else.

A :class:`RuleBook` holds the rule packs a scenario uses with its ``enable``/``disable`` lists and
answers the questions a strategy asks before it proposes: the limit a rule sets (so that "at most
50 members" is written once, in the rule pack, not as a default in every strategy), whether a rule
is active at all, and the rule itself.

>>> from orgmodel.analysis.rules import Rule, RulePack, Subject
>>> pack = RulePack(name="demo", domain="toy", rules=[
...     Rule(id="branch.max_size", title_zh="", title_en="", severity="warning",
...          subject=Subject(kinds=["toy.branch"]), quantity="members", max=50, source="demo"),
...     Rule(id="grid.size", title_zh="", title_en="", severity="warning", local=True,
...          quantity="members", min=3, max=30, source="demo")])
>>> book = RuleBook([pack])
>>> book.limit("branch.max_size")
50.0
>>> book.limit("grid.size", "min") is None  # a local rule is off unless enabled
True
>>> RuleBook([pack], enable=["grid.size"]).limit("grid.size", "min")
3.0
>>> book.limit("no.such.rule", default=7)
7
>>> committee = Rule(id="committee.when", title_zh="", title_en="", severity="error", quantity="role_holders",
...                  roles=["secretary", "committee_member"], subject=Subject(kinds=["toy.branch"], when={"full": 7}),
...                  min=3, source="demo")
>>> RuleBook([RulePack(name="c", domain="toy", rules=[committee])]).condition("committee.when", "full")
7.0
>>> book.condition("committee.when", "full") is None
True

:meth:`RuleBook.may_hold` answers whether members may hold an office, from the rules that count
office holders who are not full members (quantity ``role_holders_not_full``):

>>> from orgmodel.testing_data import tiny_structure
>>> office = Rule(id="office.full_only", title_zh="", title_en="", severity="error", quantity="role_holders_not_full",
...               roles=["secretary"], max=0, source="demo")
>>> s = tiny_structure()
>>> RuleBook([RulePack(name="o", domain="toy", rules=[office])]).may_hold(s, "secretary", s.member_codes(["m3", "m4"]))
array([ True, False])
>>> book.may_hold(s, "secretary", s.member_codes(["m3", "m4"]))  # no such rule: any active member
array([ True,  True])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from orgmodel.analysis.rules import Rule, RulePack, _is_on, load_rule_pack
from orgmodel.model.kinds import KindTable
from orgmodel.model.structure import Structure

if TYPE_CHECKING:
    from orgmodel.io.loader import Scenario
    from orgmodel.plugin.host import PluginHost

__all__ = ["RuleBook", "domain_rule_packs", "domain_rule_book", "rule_packs_for", "rule_book_for"]


class RuleBook:
    """The rules in force: the packs, minus disabled rules, plus enabled local ones."""

    def __init__(self, packs: Sequence[RulePack] = (), *, enable: Sequence[str] = (),
                 disable: Sequence[str] = ()) -> None:
        self.packs: tuple[RulePack, ...] = tuple(packs)
        self.enable: tuple[str, ...] = tuple(enable)
        self.disable: tuple[str, ...] = tuple(disable)
        self._active = {r.id: r for p in self.packs for r in p.rules if _is_on(r, self.enable, self.disable)}

    def __iter__(self) -> Iterator[Rule]:
        """The active rules, in pack order."""
        return iter(self._active.values())

    def __len__(self) -> int:
        return len(self._active)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._active

    def rule(self, rule_id: str) -> Rule | None:
        """The active rule with this id, or None (unknown, local and not enabled, or disabled)."""
        return self._active.get(rule_id)

    def limit(self, rule_id: str, bound: Literal["max", "min"] = "max", *, default: Any = None) -> Any:
        """The bound a rule sets (``max`` or ``min``), or ``default`` when the rule is not active."""
        rule = self._active.get(rule_id)
        value = None if rule is None else getattr(rule, bound)
        return default if value is None else value

    def condition(self, rule_id: str, quantity: str, *, default: Any = None) -> Any:
        """The minimum a rule's subject condition ``when`` sets on ``quantity`` (e.g. a committee from
        7 full members: ``condition("committee.when", "full")``), or ``default`` when the rule is not
        active or sets none."""
        rule = self._active.get(rule_id)
        value = None if rule is None else rule.subject.when.get(quantity)
        return default if value is None else value
    def roles(self, rule_id: str) -> tuple[str, ...]:
        """The roles an active rule counts (its ``roles`` field), or ``()``."""
        rule = self._active.get(rule_id)
        return tuple(rule.roles) if rule is not None else ()

    def full_only_roles(self) -> tuple[str, ...]:
        """Roles that only full members may hold: those of active rules on ``role_holders_not_full``
        with an upper bound of 0 (sorted)."""
        return tuple(sorted({role for r in self._active.values()
                             if r.quantity == "role_holders_not_full" and r.max == 0 for role in r.roles}))

    def may_hold(self, structure: Structure, role: str, member_codes: np.ndarray) -> np.ndarray:
        """Whether each member (by code) may hold ``role``: active, and full where the rules say so.

        One bulk lookup: a boolean array in the order of ``member_codes``.
        """
        codes = np.asarray(member_codes, dtype=np.int64)
        ok = np.asarray(structure.members["active"])[codes]
        if role in self.full_only_roles():
            ok = ok & np.asarray(structure.full_mask)[codes]
        return ok


def rule_packs_for(scenario: Scenario, plugins: PluginHost) -> list[RulePack]:
    """The rule packs a scenario asks for: named packs (default all of its domain) and files.

    Every name in ``rules.enable``, ``rules.disable`` and ``rules.approvals`` must be a rule of
    these packs, and an approval must name a rule that allows approval: an error at its YAML line.
    """
    spec = scenario.spec.rules
    registry = plugins.rule_packs()
    domain = scenario.spec.domain
    if spec.packs is None:
        packs = domain_rule_packs(domain, plugins)
    else:
        packs = []
        for i, name in enumerate(spec.packs):
            if name not in registry:
                have = ", ".join(registry.names()) or "none installed"
                raise scenario.error(("rules", "packs", i), f"unknown rule pack {name!r} (available: {have})")
            packs.append(registry.get(name))
    for rel in spec.files:
        packs.append(load_rule_pack(scenario.folder / rel))
    _check_kinds(packs, domain, plugins)
    known = {r.id for p in packs for r in p.rules}
    for key in ("enable", "disable"):
        for i, rule in enumerate(getattr(spec, key)):
            if rule not in known:
                raise scenario.error(("rules", key, i), f"unknown rule {rule!r}")
    approvable = {r.id for p in packs for r in p.rules if r.approvable}
    for i, approval in enumerate(spec.approvals):
        # an approval that cannot take effect must not be silently ignored
        if approval.rule not in known:
            raise scenario.error(("rules", "approvals", i, "rule"), f"unknown rule {approval.rule!r}")
        if approval.rule not in approvable:
            have = ", ".join(sorted(approvable)) or "none"
            raise scenario.error(("rules", "approvals", i, "rule"),
                                 f"rule {approval.rule!r} allows no approval (approvable: {have})")
    return packs


def rule_book_for(scenario: Scenario, plugins: PluginHost) -> RuleBook:
    """The rule book of a scenario: its packs with its enable and disable lists."""
    spec = scenario.spec.rules
    return RuleBook(rule_packs_for(scenario, plugins), enable=spec.enable, disable=spec.disable)


def domain_rule_packs(domain: str, plugins: PluginHost) -> list[RulePack]:
    """Every rule pack the plugins register for ``domain``: what a scenario that names no packs uses."""
    return [p for p in plugins.rule_packs() if p.domain == domain]


def domain_rule_book(domain: str, plugins: PluginHost | None = None, *, enable: Sequence[str] = (),
                     disable: Sequence[str] = ()) -> RuleBook:
    """The rules in force for a scenario of ``domain`` with no ``rules:`` section (or only these
    ``enable``/``disable`` lists), as the engine builds them: the domain's registered rule packs,
    their kinds checked against the domain pack. ``plugins`` defaults to the installed plugins.

    For strategy tests and notebooks (``strategy.propose_on(s, rules=domain_rule_book("party"))``)
    and the contract kit. A domain no plugin gives rules for has an empty book:

    >>> from orgmodel import PluginHost
    >>> len(domain_rule_book("toy", PluginHost(autoload=False)))
    0
    """
    if plugins is None:
        from orgmodel.plugin.host import PluginHost

        plugins = PluginHost()
    packs = domain_rule_packs(domain, plugins)
    _check_kinds(packs, domain, plugins)
    return RuleBook(packs, enable=enable, disable=disable)


def _check_kinds(packs: Sequence[RulePack], domain: str, plugins: PluginHost) -> None:
    """A misspelt kind in a pack of ``domain`` is an error naming the pack, rule and kind (packs of
    another domain are refused when they are checked)."""
    own = [pack for pack in packs if pack.domain == domain]
    if own:
        kinds = KindTable(plugins.domain_pack(domain))
        for pack in own:
            pack.check_kinds(kinds)
