"""Strategies: plugin objects that propose a restructuring of a structure as a plan.

A strategy has a ``name`` (how scenarios choose it), zh/en labels, a pydantic ``Params`` model
(``extra="forbid"``, so a typo in a scenario is an error at its line) and one method,
``propose(ctx, params) -> Plan``. It never mutates anything: it reads ``ctx.structure`` and writes
operations through ``ctx.plan()``. ``ctx`` only ever gains attributes, so a strategy written
today keeps working.

>>> from pydantic import BaseModel, ConfigDict, Field
>>> from orgmodel.testing_data import tiny_structure
>>> class MergeSmall(Strategy):
...     name = "merge-small"
...     label_en = "merge small branches"
...     templates = {"small": {"en": "{unit} has {n} members", "zh": "{unit}仅{n}名党员"}}
...     class Params(BaseModel):
...         model_config = ConfigDict(extra="forbid")
...         below: int = Field(3, ge=1)
...     def propose(self, ctx, params):
...         plan = ctx.plan()
...         s = ctx.structure
...         branches = s.unit_ids("toy.branch")
...         for unit in branches[1:]:
...             n = s.size(unit)
...             if n < params.below:
...                 plan.dissolve(unit, members_to=branches[0], reason=("small", {"unit": unit, "n": n}))
...         return plan.build()
>>> s = tiny_structure()
>>> strategy = MergeSmall()
>>> plan = strategy.propose_on(s, {"below": 4})
>>> [(op.op, op.unit) for op in plan.operations]
[('dissolve', 'b2')]
>>> plan.operations[0].reason.render("zh", plan.templates)
'b2仅3名党员'
"""

from __future__ import annotations

import datetime as dt
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from orgmodel.analysis.rulebook import RuleBook
from orgmodel.errors import UserError
from orgmodel.model.collector import collector_paused
from orgmodel.model.scope import Locks, Scope
from orgmodel.model.plan import Plan, PlanBuilder
from orgmodel.model.structure import Structure

__all__ = ["Strategy", "Context", "NoParams", "rng_for", "seed_for"]


class NoParams(BaseModel):
    """Parameters of a strategy that takes none."""

    model_config = ConfigDict(extra="forbid")


def seed_for(*parts: object) -> int:
    """A stable 128-bit seed from any parts (same on every machine and process).

    >>> seed_for(0, "team-branches", 1) == seed_for(0, "team-branches", 1)
    True
    >>> seed_for(0, "a", 1) != seed_for(0, "b", 1)
    True
    """
    text = "\x1f".join(repr(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:16], "big")


def rng_for(*parts: object) -> np.random.Generator:
    """The generator a plugin gets: from a SeedSequence of :func:`seed_for` of the parts.

    Adding a variant changes no other variant's numbers, since each draws from its own seed.
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed_for(*parts))))


@dataclass(frozen=True)
class Context:
    """What a strategy is given besides its parameters. Only ever gains attributes.

    :ivar structure: the structure to restructure (the previous step's result).
    :ivar baseline: the scenario's baseline structure.
    :ivar rng: a seeded ``numpy.random.Generator`` for this variant and step.
    :ivar variant: the variant's name; :ivar step: the step's index.
    :ivar strategy: the strategy's registered name.
    :ivar as_of: the scenario's date, if any (``None`` when the scenario gives none).
    :ivar extras: anything else the scenario provides (read-only mapping).
    :ivar scope: the part of the structure the step may change (:class:`~orgmodel.model.scope.Scope`;
        the whole structure by default).
    :ivar locks: the units the step must leave alone (:class:`~orgmodel.model.scope.Locks`; none by
        default).
    :ivar rules: the rules in force (:class:`~orgmodel.analysis.rulebook.RuleBook`), e.g.
        ``ctx.rules.limit("branch.max_size")``; empty when the scenario has no rule pack.
    """

    structure: Structure
    baseline: Structure
    rng: np.random.Generator
    variant: str = "plan"
    step: int = 0
    strategy: str = "manual"
    params: Mapping[str, Any] = field(default_factory=dict)
    templates: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    as_of: dt.date | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)
    scope: Scope | None = None
    locks: Locks | None = None
    rules: RuleBook = field(default_factory=RuleBook)

    def __post_init__(self) -> None:
        if self.scope is None:
            object.__setattr__(self, "scope", Scope.of(self.structure))
        if self.locks is None:
            object.__setattr__(self, "locks", Locks.of(self.structure))

    @classmethod
    def for_structure(cls, structure: Structure, *, seed: int = 0, **kwargs: Any) -> Context:
        """A context on one structure (its own baseline), for tests and notebooks."""
        return cls(structure=structure, baseline=structure, rng=rng_for(seed, "plan", 0), **kwargs)

    def plan(self) -> PlanBuilder:
        """A plan builder bound to this structure, strategy, parameters and reason templates."""
        return PlanBuilder(self.structure, strategy=self.strategy, params=dict(self.params), templates=self.templates)


class Strategy(ABC):
    """Base class of strategies; subclasses set ``name`` and implement :meth:`propose`."""

    name: ClassVar[str] = ""
    label_zh: ClassVar[str] = ""
    label_en: ClassVar[str] = ""
    description: ClassVar[str] = ""
    Params: ClassVar[type[BaseModel]] = NoParams
    templates: ClassVar[dict[str, dict[str, str]]] = {}

    def parse_params(self, raw: Mapping[str, Any] | None) -> BaseModel:
        """Validate raw parameters; a UserError names the parameter."""
        try:
            return self.Params.model_validate(dict(raw or {}))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "params"
            raise UserError(f"strategy {self.name}: params.{where}: {err['msg']}") from None

    def context(
        self,
        structure: Structure,
        *,
        baseline: Structure | None = None,
        seed: int = 0,
        variant: str = "plan",
        step: int = 0,
        raw_params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Context:
        """A context for proposing on ``structure``, seeded by (seed, variant, step)."""
        return Context(
            structure=structure,
            baseline=baseline if baseline is not None else structure,
            rng=rng_for(seed, variant, step),
            variant=variant,
            step=step,
            strategy=self.name,
            params=dict(raw_params or {}),
            templates=self.templates,
            **kwargs,
        )

    def propose_on(self, structure: Structure, params: Mapping[str, Any] | None = None, *, seed: int = 0,
                   rules: RuleBook | None = None, **context: Any) -> Plan:
        """Validate ``params`` and propose on ``structure`` with a seeded context.

        ``rules`` are the rules in force (default: none; a scenario's are those of its domain,
        :func:`~orgmodel.analysis.rulebook.domain_rule_book`); other keywords (``scope``, ``locks``,
        ``as_of``...) go to the :class:`Context`.
        """
        parsed = self.parse_params(params)
        ctx = self.context(structure, seed=seed, raw_params=params, rules=rules if rules is not None else RuleBook(),
                           **context)
        with collector_paused():  # a plan is many small acyclic objects
            return self.propose(ctx, parsed)

    @abstractmethod
    def propose(self, ctx: Context, params: Any) -> Plan:
        """Return a plan for ``ctx.structure``; never mutate anything."""

    def __repr__(self) -> str:
        return f"<strategy {self.name}>"
