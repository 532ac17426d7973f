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
>>> committee = Rule(id="committee.when", title_zh="", title_en="", severity="error", quantity="committee",
...                  subject=Subject(kinds=["toy.branch"], when={"full": 7}), min=3, source="demo")
>>> RuleBook([RulePack(name="c", domain="toy", rules=[committee])]).condition("committee.when", "full")
7.0
>>> book.condition("committee.when", "full") is None
True
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

from orgmodel.analysis.rules import Rule, RulePack, _is_on, load_rule_pack

if TYPE_CHECKING:
    from orgmodel.io.loader import Scenario
    from orgmodel.plugin.host import PluginHost

__all__ = ["RuleBook", "rule_packs_for", "rule_book_for"]


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


def rule_packs_for(scenario: Scenario, plugins: PluginHost) -> list[RulePack]:
    """The rule packs a scenario asks for: named packs (default all of its domain) and files.

    Every name in ``rules.enable``, ``rules.disable`` and ``rules.approvals`` must be a rule of
    these packs, and an approval must name a rule that allows approval: an error at its YAML line.
    """
    spec = scenario.spec.rules
    registry = plugins.rule_packs()
    domain = scenario.spec.domain
    if spec.packs is None:
        packs = [p for p in registry if p.domain == domain]
    else:
        packs = []
        for i, name in enumerate(spec.packs):
            if name not in registry:
                have = ", ".join(registry.names()) or "none installed"
                raise scenario.error(("rules", "packs", i), f"unknown rule pack {name!r} (available: {have})")
            packs.append(registry.get(name))
    for rel in spec.files:
        packs.append(load_rule_pack(scenario.folder / rel))
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
