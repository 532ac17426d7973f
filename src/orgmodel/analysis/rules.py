"""Rules: declarative records checked against a structure in one vectorised pass.

A rule names its subject (unit kinds, tags, whether it is joint), a quantity from a fixed
vocabulary (:data:`QUANTITIES`), bounds with explicit inclusiveness, a severity (``error`` for
应当, ``warning`` for 一般, ``approval`` for what is allowed with approval), and its source. Rule
packs are data (YAML) or registered by plugins. A finding names the unit, the rule, the measured
value and the threshold; a rule whose data is missing yields one "not checked: data missing"
finding, never a silent pass. Approvals are per unit and per rule id.

>>> from orgmodel.testing_data import tiny_structure
>>> pack = RulePack(name="demo", domain="toy", rules=[Rule(
...     id="branch.max_size", title_en="at most 3 members", title_zh="不超过3人", severity="warning",
...     subject=Subject(kinds=["toy.branch"]), quantity="members", max=3, source="demo")])
>>> [(f.unit, f.value, f.threshold) for f in check_rules(tiny_structure(), [pack])]
[('b1', 4.0, '≤ 3')]
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from orgmodel.errors import SpecError, UserError
from orgmodel.model.kinds import KindTable
from orgmodel.model.queries import ancestor_where, role_member_codes, role_rows
from orgmodel.model.structure import Structure, sorted_unique

__all__ = [
    "QUANTITIES",
    "Subject",
    "Rule",
    "RulePack",
    "Finding",
    "Approval",
    "check_rules",
    "load_rule_pack",
    "as_linear_constraints",
    "approvers",
    "StructureQuantities",
    "subject_mask",
]

Severity = Literal["error", "warning", "approval"]

QUANTITIES: dict[str, str] = {
    "members": "members whose relation is in the unit (all, probationary included)",
    "full": "full members whose relation is in the unit",
    "members_subtree": "members in the unit and every unit below it",
    "full_subtree": "full members in the unit and every unit below it",
    "participants": "members taking part in the unit (for units sized by participation)",
    "hosts": "host units the unit is built on",
    "children": "live organisation units directly below the unit",
    "role_holders": "people holding any of the rule's roles in the unit",
    "full_role_holders": "people holding any of the rule's roles in the unit who are full members",
    "role_holders_not_full": "people holding any of the rule's roles in the unit who are members but not full ones",
    "units_covered": (
        "separate units (hosts of the rule's unit_kinds) the unit covers: its own hosts and its members'"
        " home hosts, each taken to the nearest host of those kinds it is part of"
    ),
    "max_full_per_unit": (
        "the largest number of the unit's full members whose home host lies in one separate unit"
        " (as in units_covered; needs home_host)"
    ),
    "members_at_least": "active members whose member column (the rule's column) is at least the rule's at_least",
    "unit_attribute": "the number in the unit attribute the rule names (attribute)",
    "years_since": "years from the date in the unit attribute the rule names (attribute) to as_of",
}

#: The rule fields each quantity needs (checked when a rule is made).
QUANTITY_NEEDS: dict[str, tuple[str, ...]] = {
    "role_holders": ("roles",),
    "full_role_holders": ("roles",),
    "role_holders_not_full": ("roles",),
    "units_covered": ("unit_kinds",),
    "max_full_per_unit": ("unit_kinds",),
    "members_at_least": ("column", "at_least"),
    "unit_attribute": ("attribute",),
    "years_since": ("attribute",),
}


def _check_quantity(quantity: str) -> str:
    if quantity not in QUANTITIES:
        near = difflib.get_close_matches(quantity, QUANTITIES, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else f" (one of: {', '.join(QUANTITIES)})"
        raise ValueError(f"unknown quantity {quantity!r}{hint}")
    return quantity


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Subject(_Model):
    """Which units a rule applies to. Empty lists mean "any"."""

    kinds: list[str] = Field(default_factory=list, description="unit kinds")
    tags_any: list[str] = Field(default_factory=list, description="units with at least one of these tags")
    tags_none: list[str] = Field(default_factory=list, description="units with none of these tags")
    joint: bool | None = Field(default=None, description="only joint units (built on >1 host), or only not joint")
    host_kinds: list[str] = Field(default_factory=list, description="units built on a host of these kinds")
    host_kinds_none: list[str] = Field(default_factory=list, description="units built on no host of these kinds")
    within_kinds: list[str] = Field(
        default_factory=list,
        description=("units that belong to a host of these kinds: their hosts (or, for a unit built on none,"
                     " those of the nearest unit above built on some) are of these kinds or part of one"),
    )
    within_kinds_none: list[str] = Field(default_factory=list, description="units that belong to no host of these kinds")
    within_stop: list[str] = Field(
        default_factory=list,
        description="host kinds the walk up part_of does not pass (a firm inside a community is its own unit)",
    )
    when: dict[str, float] = Field(
        default_factory=dict,
        description="extra conditions: quantity -> minimum (inclusive), e.g. {full: 7}",
    )

    @field_validator("when")
    @classmethod
    def _known_when(cls, when: dict[str, float]) -> dict[str, float]:
        for q in when:
            _check_quantity(q)
        return when

    def kind_fields(self) -> dict[str, list[str]]:
        """The fields that name unit kinds, by name."""
        return {"kinds": self.kinds, "host_kinds": self.host_kinds, "host_kinds_none": self.host_kinds_none,
                "within_kinds": self.within_kinds, "within_kinds_none": self.within_kinds_none,
                "within_stop": self.within_stop}


class Rule(_Model):
    """One rule. ``min``/``max`` bound the quantity; ``*_inclusive`` say whether the bound itself is allowed.

    Quantities that need more than a name take it from the rule: ``roles`` (role quantities),
    ``unit_kinds`` (what counts as a separate unit), ``column`` and ``at_least`` (counts of members
    by a member column), ``attribute`` (unit attributes). ``approver_zh``/``approver_en`` name who
    approves what the rule allows by approval, where the source says so.
    """

    id: str = Field(min_length=1)
    title_zh: str
    title_en: str
    severity: Severity
    subject: Subject = Field(default_factory=Subject)
    quantity: str
    min: float | None = None
    max: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True
    roles: list[str] = Field(default_factory=list)
    unit_kinds: list[str] = Field(default_factory=list)
    column: str | None = None
    at_least: float | None = None
    attribute: str | None = None
    source: str
    article: str | None = None
    confidence: Literal["Q", "T", "local"] = "Q"
    local: bool = False
    enabled: bool = True
    approvable: bool = False
    approver_zh: str | None = None
    approver_en: str | None = None
    optimisable: bool = True

    @field_validator("quantity")
    @classmethod
    def _known_quantity(cls, quantity: str) -> str:
        # a field validator, so that a file's error points at the quantity's own line
        return _check_quantity(quantity)

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if self.min is None and self.max is None:
            raise ValueError("a rule needs min or max")
        for quantity in (self.quantity, *self.subject.when):
            for need in QUANTITY_NEEDS.get(quantity, ()):
                if getattr(self, need) in (None, []):
                    raise ValueError(f"quantity {quantity!r} needs the field {need!r}")
        return self

    def kind_fields(self) -> dict[str, list[str]]:
        """Every field of the rule that names unit kinds (``subject.kinds`` …, ``unit_kinds``)."""
        out = {f"subject.{k}": v for k, v in self.subject.kind_fields().items()}
        out["unit_kinds"] = self.unit_kinds
        return out

    def threshold(self) -> str:
        """The bounds as text, e.g. ``≤ 50`` or ``50 ≤ · ≤ 100``."""
        def num(x: float) -> str:
            return f"{x:g}"
        if self.min is not None and self.max is not None:
            lo = "≤" if self.min_inclusive else "<"
            hi = "≤" if self.max_inclusive else "<"
            return f"{num(self.min)} {lo} · {hi} {num(self.max)}"
        if self.max is not None:
            return f"{'≤' if self.max_inclusive else '<'} {num(self.max)}"
        return f"{'≥' if self.min_inclusive else '>'} {num(self.min)}"  # type: ignore[arg-type]


class RulePack(_Model):
    """A named set of rules for one domain."""

    name: str
    domain: str
    title_zh: str = ""
    title_en: str = ""
    rules: list[Rule]

    # where the pack was read from (file, locator), for errors found after loading
    _origin: tuple[str, Any] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _unique(self) -> RulePack:
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rule id {dupes[0]!r} appears twice")
        return self

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (KeyError names it when there is none)."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def check_kinds(self, kinds: KindTable) -> None:
        """Raise a one-line :class:`UserError` when a rule names a kind the domain pack lacks.

        The error names the pack (its file and line when read from a file), the rule, the field and
        the kind, with the nearest known kind.

        >>> from orgmodel.testing_data import toy_kinds
        >>> pack = RulePack(name="demo", domain="toy", rules=[Rule(id="r", title_zh="", title_en="",
        ...     severity="warning", subject=Subject(kinds=["toy.brnach"]), quantity="members", max=3, source="s")])
        >>> pack.check_kinds(toy_kinds())
        Traceback (most recent call last):
        ...
        orgmodel.errors.UserError: rule pack demo: rule r: subject.kinds: unknown kind 'toy.brnach' (did you mean 'toy.branch'?)
        """
        known = [k.id for k in kinds]
        for i, rule in enumerate(self.rules):
            for name, values in rule.kind_fields().items():
                for j, kind in enumerate(values):
                    if kind in kinds:
                        continue
                    near = difflib.get_close_matches(kind, known, n=1)
                    hint = f" (did you mean {near[0]!r}?)" if near else f" (domain {kinds.name} has no such kind)"
                    message = f"rule {rule.id}: {name}: unknown kind {kind!r}{hint}"
                    if self._origin is not None:
                        file, locator = self._origin
                        line, column = locator.locate(("rules", i, *name.split("."), j))
                        raise SpecError(f"rule pack {self.name}: {message}", file=file, line=line, column=column)
                    raise UserError(f"rule pack {self.name}: {message}")


class Approval(_Model):
    """An approval recorded for one unit and one rule."""

    unit: str
    rule: str
    note: str = ""


@dataclass(frozen=True)
class Finding:
    """A rule broken by a unit (or not checked for want of data)."""

    rule: str
    severity: str
    status: Literal["violated", "approved", "not_checked"]
    unit: str | None
    unit_name: str | None
    value: float | None
    threshold: str
    title_zh: str
    title_en: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)

    def text(self, lang: str = "zh") -> str:
        """One line for people."""
        title = self.title_zh if lang == "zh" else self.title_en
        if self.status == "not_checked":
            where = f"{self.unit_name or self.unit} " if self.unit else ""
            return f"{self.rule}: {where}{'未检查：缺少数据' if lang == 'zh' else 'not checked: data missing'} ({title})"
        value = f"{self.value:g}" if self.value is not None else "?"
        where = self.unit_name or self.unit
        return f"{self.rule}: {where} {value} ({self.threshold}) {title}"


class _Quantities:
    """Per-unit quantity arrays of one structure, computed once each (per rule parameters)."""

    def __init__(self, s: Structure, as_of: dt.date | None) -> None:
        self.s = s
        self.as_of = as_of
        self._cache: dict[tuple[Any, ...], np.ndarray | None] = {}

    def tagged(self, kinds: tuple[str, ...], tags: tuple[str, ...]) -> np.ndarray:
        """Per unit code, whether the unit has one of ``tags``, for the live units of ``kinds`` (all
        kinds when empty; other units False): only the units a rule's kinds leave are looked at, cached."""
        key = ("tagged", kinds, tags)
        if key not in self._cache:
            live = ~self.s.units.dissolved
            rows = np.flatnonzero(live & self.kind_mask(kinds) if kinds else live)
            untagged = set(tags).isdisjoint
            out = np.zeros(self.s.n_units, dtype=bool)
            out[rows] = ~np.fromiter(map(untagged, self.s.units.tags[rows].tolist()), dtype=bool, count=len(rows))
            self._cache[key] = out
        return self._cache[key]  # type: ignore[return-value]

    def kind_mask(self, kinds: tuple[str, ...]) -> np.ndarray:
        """Units of these kinds (kinds the domain lacks are left out), one table lookup, cached."""
        key = ("kinds", kinds)
        if key not in self._cache:
            wanted = np.zeros(len(self.s.kinds), dtype=bool)
            wanted[[self.s.kinds.code(k) for k in kinds if k in self.s.kinds]] = True
            self._cache[key] = wanted[self.s.units.kind]
        return self._cache[key]  # type: ignore[return-value]

    def get(self, name: str, rule: Rule | None = None) -> np.ndarray | None:
        """The quantity for every unit code, or None when its data is missing.

        Quantities with parameters (:data:`QUANTITY_NEEDS`) take them from ``rule``.
        """
        params = tuple(_freeze(getattr(rule, need)) for need in QUANTITY_NEEDS.get(name, ()))
        key = (name, *params)
        if key not in self._cache:
            self._cache[key] = getattr(self, "_" + name)(*params)
        return self._cache[key]

    def _members(self) -> np.ndarray:
        return self.s.sizes().astype(float)

    def _full(self) -> np.ndarray:
        return self.s.sizes(full_only=True).astype(float)

    def _members_subtree(self) -> np.ndarray:
        return self.s.sizes(subtree=True).astype(float)

    def _full_subtree(self) -> np.ndarray:
        return self.s.sizes(full_only=True, subtree=True).astype(float)

    def _participants(self) -> np.ndarray:
        return self.s.participation_counts().astype(float)

    def _hosts(self) -> np.ndarray:
        return np.bincount(self.s.built_on_edges.src, minlength=self.s.n_units).astype(float)

    def _children(self) -> np.ndarray:
        s = self.s
        live_org = ~s.units.dissolved & s.kinds.is_org[s.units.kind]
        parent = s.units.parent[live_org & (s.units.parent >= 0)]
        return np.bincount(parent, minlength=s.n_units).astype(float)

    def _role_holders(self, roles: tuple[str, ...]) -> np.ndarray | None:
        if not self.s.roles:
            return None
        return self.s.people_per_unit(roles).astype(float)

    def _holders_where(self, roles: tuple[str, ...], full: bool) -> np.ndarray | None:
        """Distinct people holding ``roles`` per unit who are roster members, full or not full."""
        s = self.s
        if not s.roles:
            return None
        units, _, _ = s.role_table
        keep = role_rows(s, roles) & (units >= 0)
        member = role_member_codes(s)[keep]
        in_roster = member >= 0
        is_full = np.zeros(len(member), dtype=bool)
        is_full[in_roster] = s.full_mask[member[in_roster]]
        chosen = in_roster & (is_full == full)
        pairs = sorted_unique(units[keep][chosen].astype(np.int64) * (s.n_members + 1) + member[chosen])
        return np.bincount(pairs // (s.n_members + 1), minlength=s.n_units).astype(float)

    def _full_role_holders(self, roles: tuple[str, ...]) -> np.ndarray | None:
        return self._holders_where(roles, True)

    def _role_holders_not_full(self, roles: tuple[str, ...]) -> np.ndarray | None:
        return self._holders_where(roles, False)

    def _separate_unit(self, unit_kinds: tuple[str, ...]) -> np.ndarray:
        """For every unit code, the nearest host of ``unit_kinds`` it is (part of), or -1."""
        s = self.s
        codes = [s.kinds.code(k) for k in unit_kinds if k in s.kinds]
        is_unit = np.isin(s.units.kind, codes) & ~s.kinds.is_org[s.units.kind]
        return ancestor_where(s, np.arange(s.n_units), is_unit)

    def _unit_pairs(self, unit_kinds: tuple[str, ...], *, full_homes: bool) -> tuple[np.ndarray, np.ndarray]:
        """(organisation unit, separate unit) pairs: from built_on edges and members' home hosts."""
        s = self.s
        unit_of = self._separate_unit(unit_kinds)
        home = s.members["home_host"]
        who = s.members["active"] & (home >= 0)
        if full_homes:
            who &= s.full_mask
        org = s.members["branch"][who]
        sep = unit_of[home[who]]
        if not full_homes:
            e = s.built_on_edges
            org = np.concatenate([org, e.src])
            sep = np.concatenate([sep, unit_of[e.dst]])
        keep = sep >= 0
        return org[keep].astype(np.int64), sep[keep].astype(np.int64)

    def _units_covered(self, unit_kinds: tuple[str, ...]) -> np.ndarray:
        org, sep = self._unit_pairs(unit_kinds, full_homes=False)
        width = np.int64(self.s.n_units + 1)
        pairs = sorted_unique(org * width + sep)
        return np.bincount(pairs // width, minlength=self.s.n_units).astype(float)

    def _max_full_per_unit(self, unit_kinds: tuple[str, ...]) -> np.ndarray | None:
        s = self.s
        if not (s.members["home_host"] >= 0).any():
            return None
        org, sep = self._unit_pairs(unit_kinds, full_homes=True)
        out = np.zeros(s.n_units)
        if len(org):
            width = np.int64(s.n_units + 1)
            pairs, counts = np.unique(org * width + sep, return_counts=True)
            np.maximum.at(out, pairs // width, counts)
        return out

    def _members_at_least(self, column: str, at_least: float) -> np.ndarray | None:
        s = self.s
        if column not in s.members.columns:
            return None
        values = np.asarray(s.members[column], dtype=float)
        hit = s.members["active"] & (values >= at_least)
        return np.bincount(s.members["branch"][hit], minlength=s.n_units).astype(float)

    def _unit_attribute(self, attribute: str) -> np.ndarray | None:
        values = self.s.unit_attribute(attribute)
        if not values:
            return None
        out = np.full(self.s.n_units, np.nan)
        for code, value in values.items():
            try:
                out[code] = float(value)
            except (TypeError, ValueError):
                raise UserError(f"unit {self.s.units.ids[code]}: attribute {attribute}"
                                f" is not a number: {value!r}") from None
        return out

    def _years_since(self, attribute: str) -> np.ndarray | None:
        s = self.s
        if self.as_of is None:
            return None
        values = s.unit_attribute(attribute)
        if not values:
            return None
        out = np.full(s.n_units, np.nan)
        for code, day in values.items():
            try:
                if isinstance(day, dt.datetime):
                    day = day.date()
                day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
            except ValueError:
                raise UserError(f"unit {s.units.ids[code]}: attribute {attribute} is not a date"
                                f" (YYYY-MM-DD): {day!r}") from None
            out[code] = (self.as_of - day).days / 365.25
        return out

    def within(self, kinds: Sequence[str], stop: Sequence[str] = ()) -> np.ndarray:
        """Organisation units that belong to a host of ``kinds`` (see :class:`Subject`)."""
        key = ("within", tuple(kinds), tuple(stop))
        if key not in self._cache:
            self._cache[key] = self._within(kinds, stop)
        return self._cache[key]  # type: ignore[return-value]

    def _within(self, kinds: Sequence[str], stop: Sequence[str]) -> np.ndarray:
        s = self.s
        kind = s.units.kind
        is_target = np.isin(kind, [s.kinds.code(k) for k in kinds if k in s.kinds])
        is_stop = np.isin(kind, [s.kinds.code(k) for k in stop if k in s.kinds]) & ~is_target
        is_org = s.kinds.is_org[kind]
        parent = s.units.parent
        # hosts: is the host, or a host it is part of, of the kinds (not walking past a stop kind);
        # each step walks only the hosts still climbing
        inside = np.zeros(s.n_units, dtype=bool)
        rows = np.flatnonzero(~is_org)
        current = rows
        for _ in range(64):
            if not len(rows):
                break
            inside[rows] |= is_target[current]
            up = parent[current]
            climbing = ~is_stop[current] & (up >= 0)
            rows, current = rows[climbing], up[climbing]
        # organisation units: by their own hosts, or those of the nearest unit above that has hosts
        e = s.built_on_edges
        own = np.zeros(s.n_units, dtype=bool)
        own[e.src[inside[e.dst]]] = True
        has_hosts = np.bincount(e.src, minlength=s.n_units) > 0
        out = own.copy()
        rows = np.flatnonzero(~(has_hosts | ~is_org) & (parent >= 0))
        current = parent[rows]
        for _ in range(64):
            if not len(rows):
                break
            found = has_hosts[current]
            out[rows[found]] = own[current[found]]
            up = parent[current]
            climbing = ~found & (up >= 0)
            rows, current = rows[climbing], up[climbing]
        return out & is_org


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


#: The per-unit quantities of one structure, computed once each (``get(name, rule)``).
StructureQuantities = _Quantities


def subject_mask(s: Structure, rule: Rule, quantities: StructureQuantities | None = None, *,
                 when: bool = True) -> np.ndarray | None:
    """Per unit code, whether the rule speaks of the unit (its subject, and with ``when`` its extra
    conditions); None when a condition's data is missing.

    >>> from orgmodel.testing_data import tiny_structure
    >>> rule = Rule(id="r", title_zh="", title_en="", severity="warning",
    ...             subject=Subject(kinds=["toy.branch"]), quantity="members", max=3, source="demo")
    >>> s = tiny_structure()
    >>> [uid for uid, hit in zip(s.units.ids.tolist(), subject_mask(s, rule).tolist()) if hit]
    ['b1', 'b2']
    """
    return _subject_mask(s, rule, quantities if quantities is not None else StructureQuantities(s, None), when=when)


def _subject_mask(s: Structure, rule: Rule, q: _Quantities, *, when: bool = True) -> np.ndarray | None:
    """Units the rule's subject names; None when a ``when`` condition's data is missing.

    With ``when=False`` the extra conditions are left out (never None).
    """
    subject = rule.subject
    u = s.units
    mask = ~u.dissolved
    if subject.kinds:
        mask &= q.kind_mask(tuple(subject.kinds))
    if subject.tags_any:
        mask &= q.tagged(tuple(subject.kinds), tuple(subject.tags_any))
    if subject.tags_none:
        mask &= ~q.tagged(tuple(subject.kinds), tuple(subject.tags_none))
    if subject.joint is not None:
        hosts = q.get("hosts")
        mask &= (hosts > 1) == subject.joint  # type: ignore[operator]
    for kinds, keep in ((subject.host_kinds, True), (subject.host_kinds_none, False)):
        if kinds:
            codes = [s.kinds.code(k) for k in kinds if k in s.kinds]
            e = s.built_on_edges
            on = np.zeros(s.n_units, dtype=bool)
            on[e.src[np.isin(u.kind[e.dst], codes)]] = True
            mask &= on if keep else ~on
    if subject.within_kinds:
        mask &= q.within(subject.within_kinds, subject.within_stop)
    if subject.within_kinds_none:
        mask &= ~q.within(subject.within_kinds_none, subject.within_stop)
    return _when(rule, q, mask) if when else mask


def _when(rule: Rule, q: _Quantities, mask: np.ndarray) -> np.ndarray | None:
    """``mask`` narrowed by the rule's ``when`` conditions; None when a condition's data is missing."""
    for quantity, minimum in rule.subject.when.items():
        values = q.get(quantity, rule)
        if values is None:
            return None
        mask = mask & (values >= minimum)
    return mask


def check_rules(
    s: Structure,
    packs: Sequence[RulePack],
    *,
    approvals: Sequence[Approval] = (),
    enable: Sequence[str] = (),
    disable: Sequence[str] = (),
    as_of: dt.date | None = None,
) -> list[Finding]:
    """Check every enabled rule of the packs; findings sorted by rule order, then unit code.

    Rules marked ``local`` or ``enabled: false`` run only when named in ``enable``; rules named in
    ``disable`` never run.
    """
    q = _Quantities(s, as_of)
    approved = {(a.unit, a.rule) for a in approvals}
    out: list[Finding] = []
    for pack in packs:
        if pack.domain != s.kinds.name:
            raise UserError(f"rule pack {pack.name} is for domain {pack.domain!r}, not {s.kinds.name!r}")
        pack.check_kinds(s.kinds)  # a misspelt kind is an error, never a rule that finds nothing
        for rule in pack.rules:
            if not _is_on(rule, enable, disable):
                continue
            subject = _subject_mask(s, rule, q, when=False)
            if not subject.any():
                continue  # no unit the rule speaks of: nothing to check, and no data is missing
            mask = _when(rule, q, subject)
            if mask is not None and not mask.any():
                continue  # e.g. committee.when where no branch has 7 full members
            threshold = rule.threshold()
            values = q.get(rule.quantity, rule)
            if values is None or mask is None:
                out.append(Finding(rule.id, rule.severity, "not_checked", None, None, None, threshold,
                                   rule.title_zh, rule.title_en, _source(rule)))
                continue
            codes = np.flatnonzero(mask)  # the units checked: bounds tested on their values alone
            checked = values[codes]
            missing = np.isnan(checked)
            bad = np.zeros(len(codes), dtype=bool)
            with np.errstate(invalid="ignore"):
                if rule.min is not None:
                    bad |= checked < rule.min if rule.min_inclusive else checked <= rule.min
                if rule.max is not None:
                    bad |= checked > rule.max if rule.max_inclusive else checked >= rule.max
            bad &= ~missing
            # a unit whose own data is missing (where others have it) is not checked, never passed
            for code in codes[missing].tolist():
                out.append(Finding(rule.id, rule.severity, "not_checked", str(s.units.ids[code]),
                                   str(s.units.name[code]), None, threshold, rule.title_zh, rule.title_en,
                                   _source(rule)))
            for code in codes[bad].tolist():
                uid = str(s.units.ids[code])
                status = "approved" if (uid, rule.id) in approved and rule.approvable else "violated"
                out.append(Finding(rule.id, rule.severity, status, uid, str(s.units.name[code]), float(values[code]),
                                   threshold, rule.title_zh, rule.title_en, _source(rule)))
    return out


def _is_on(rule: Rule, enable: Sequence[str], disable: Sequence[str]) -> bool:
    """Local rules and rules marked ``enabled: false`` run only when enabled; disable wins."""
    return ((rule.enabled and not rule.local) or rule.id in enable) and rule.id not in disable


def _source(rule: Rule) -> str:
    return f"{rule.source} {rule.article}" if rule.article else rule.source


def load_rule_pack(path: Path) -> RulePack:
    """Read a rule pack from YAML; errors name the file, line and field.

    The pack remembers its file, so that :meth:`RulePack.check_kinds` (run when the pack meets a
    domain) names the line of an unknown kind.
    """
    from orgmodel.io.yamlsource import load_yaml, validate

    data, locator = load_yaml(Path(path))
    pack = validate(RulePack, data, file=str(path), locator=locator)
    pack._origin = (str(path), locator)
    return pack


def as_linear_constraints(pack: RulePack, s: Structure, *, enable: Sequence[str] = (),
                          disable: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The pack's optimisable rules as linear constraints over per-unit quantities.

    Each constraint reads ``lo ≤ quantity[unit] ≤ hi`` for every unit of the subject, which an
    optimiser can impose on the member-assignment variables (the quantities ``members`` and
    ``full`` are sums of assignment variables). Only rules that :func:`check_rules` would run
    with the same ``enable`` / ``disable`` are exported (local rules are off unless enabled).

    >>> from orgmodel.testing_data import tiny_structure
    >>> pack = RulePack(name="d", domain="toy", rules=[Rule(id="r", title_zh="", title_en="",
    ...     severity="warning", subject=Subject(kinds=["toy.branch"]), quantity="members", max=50, source="s")])
    >>> as_linear_constraints(pack, tiny_structure())
    [{'rule': 'r', 'unit': 'b1', 'quantity': 'members', 'lo': None, 'hi': 50.0, 'strict_lo': False, 'strict_hi': False}, {'rule': 'r', 'unit': 'b2', 'quantity': 'members', 'lo': None, 'hi': 50.0, 'strict_lo': False, 'strict_hi': False}]
    """
    q = _Quantities(s, None)
    out = []
    for rule in pack.rules:
        if not rule.optimisable or rule.quantity not in ("members", "full") or not _is_on(rule, enable, disable):
            continue
        mask = _subject_mask(s, rule, q)
        if mask is None:
            continue
        for code in np.flatnonzero(mask).tolist():
            out.append({"rule": rule.id, "unit": str(s.units.ids[code]), "quantity": rule.quantity,
                        "lo": rule.min, "hi": rule.max, "strict_lo": not rule.min_inclusive,
                        "strict_hi": not rule.max_inclusive})
    return out


def approvers(s: Structure, packs: Sequence[RulePack], units: Sequence[str], *, enable: Sequence[str] = (),
              disable: Sequence[str] = ()) -> dict[str, list[dict[str, str]]]:
    """Who approves, by unit: the rules with an approver whose subject names the unit.

    For each of ``units`` (ids; units the structure lacks are left out), the active rules with
    ``approver_zh``/``approver_en`` whose subject (``when`` conditions aside) includes the unit,
    as ``{"rule", "approver_zh", "approver_en"}`` in rule order. The report uses it to say from
    whom a founded, dissolved or retyped unit needs approval.

    >>> from orgmodel.testing_data import tiny_structure
    >>> pack = RulePack(name="d", domain="toy", rules=[Rule(id="gb.size", title_zh="", title_en="", severity="warning",
    ...     subject=Subject(kinds=["toy.general_branch"]), quantity="members_subtree", min=5, source="s",
    ...     approvable=True, approver_zh="上级", approver_en="the unit above")])
    >>> approvers(tiny_structure(), [pack], ["gb", "b1"])
    {'gb': [{'rule': 'gb.size', 'approver_zh': '上级', 'approver_en': 'the unit above'}], 'b1': []}
    """
    q = _Quantities(s, None)
    codes = {u: s.unit_code(u) for u in units if s.has_unit(u)}
    out: dict[str, list[dict[str, str]]] = {u: [] for u in codes}
    for pack in packs:
        for rule in pack.rules:
            if not (rule.approver_zh or rule.approver_en) or not _is_on(rule, enable, disable):
                continue
            mask = _subject_mask(s, rule, q, when=False)
            for unit, code in codes.items():
                if mask[code]:  # type: ignore[index]
                    out[unit].append({"rule": rule.id, "approver_zh": rule.approver_zh or "",
                                      "approver_en": rule.approver_en or ""})
    return out


def count_findings(findings: Iterable[Finding]) -> Mapping[str, int]:
    """Counts of violated findings by severity, plus approved and not checked."""
    out = {"error": 0, "warning": 0, "approval": 0, "approved": 0, "not_checked": 0}
    for f in findings:
        if f.status == "violated":
            out[f.severity] += 1
        else:
            out[f.status] += 1
    return out
