"""Strategy parameters whose default is a rule of the rule pack in force.

A size or threshold parameter (``max_size``, ``min_full``...) is optional: left out, it takes the
bound of its rule from ``ctx.rules`` (so "at most 50 members" is written once, in the rule pack);
given, it overrides the rule. When neither exists the error names the parameter and the rule.

>>> from orgmodel import Rule, RuleBook, RulePack, Subject
>>> from pydantic import BaseModel
>>> class P(BaseModel):
...     max_size: int | None = None
>>> book = RuleBook([RulePack(name="demo", domain="toy", rules=[Rule(
...     id="branch.max_size", title_zh="", title_en="", severity="warning",
...     subject=Subject(kinds=["toy.branch"]), quantity="members", max=50, source="demo")])])
>>> DEFAULTS = {"max_size": RuleBound("branch.max_size", "max")}
>>> with_rule_defaults(book, "demo", P(), DEFAULTS).max_size, with_rule_defaults(book, "demo", P(max_size=40), DEFAULTS).max_size
(50, 40)
>>> with_rule_defaults(RuleBook(), "demo", P(), DEFAULTS)
Traceback (most recent call last):
...
orgmodel.errors.UserError: strategy demo: params.max_size: not given, and the rule branch.max_size that gives its default is not in force; give max_size or enable the rule
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError

from orgmodel import RuleBook, UserError

__all__ = ["RuleBound", "with_rule_defaults", "MAX_SIZE", "MIN_FULL", "COMMITTEE_FROM"]

P = TypeVar("P", bound=BaseModel)


class RuleBound(NamedTuple):
    """Where a parameter's default comes from: a rule's ``max`` or ``min``, or the minimum its
    condition ``when`` sets on a quantity (``"when:full"``)."""

    rule: str
    bound: Literal["max", "min", "when:full"]

    def read(self, rules: RuleBook) -> float | None:
        """The value in ``rules``, or None when the rule is not in force or sets none."""
        if self.bound.startswith("when:"):
            return rules.condition(self.rule, self.bound.removeprefix("when:"))
        return rules.limit(self.rule, self.bound)  # type: ignore[arg-type]


#: The rules most parameters default to.
MAX_SIZE = RuleBound("branch.max_size", "max")
MIN_FULL = RuleBound("branch.min_full", "min")
COMMITTEE_FROM = RuleBound("committee.when", "when:full")


def with_rule_defaults(rules: RuleBook, strategy: str, params: P, defaults: Mapping[str, RuleBound]) -> P:
    """``params`` with every parameter of ``defaults`` left unset (None) taken from its rule.

    The result is validated again, so that a check between parameters (a minimum below a
    maximum) also holds for values that came from the rules; its error names the parameter.
    """
    update: dict[str, int] = {}
    for param, source in defaults.items():
        if getattr(params, param) is not None:
            continue
        value = source.read(rules)
        if value is None:
            raise UserError(
                f"strategy {strategy}: params.{param}: not given, and the rule {source.rule} that gives its"
                f" default is not in force; give {param} or enable the rule"
            )
        update[param] = int(value)
    if not update:
        return params
    try:
        return type(params).model_validate({**params.model_dump(), **update})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "params"
        raise UserError(f"strategy {strategy}: params.{where}: {err['msg']}") from None
