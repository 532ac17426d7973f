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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orgmodel.errors import UserError
from orgmodel.model.structure import Structure

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
    "committee": "people holding secretary, deputy_secretary or committee_member roles in the unit",
    "secretaries": "people holding the secretary role in the unit",
    "max_full_per_host": "the largest number of the unit's full members living in one of its hosts (needs home_host)",
    "members_away_6m": "members away 6 months or more (needs the member column months_away)",
    "members_lost_6m": "members out of contact 6 months or more (needs the member column months_lost)",
    "years_since_election": "years from the unit's last election (unit attribute elected) to as_of",
    "member_meetings_last_year": "members' meetings held in the last year (unit attribute member_meetings_last_year)",
}

COMMITTEE_ROLES = ("secretary", "deputy_secretary", "committee_member")


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
    when: dict[str, float] = Field(
        default_factory=dict,
        description="extra conditions: quantity -> minimum (inclusive), e.g. {full: 7}",
    )

    @field_validator("when")
    @classmethod
    def _known_when(cls, when: dict[str, float]) -> dict[str, float]:
        for q in when:
            if q not in QUANTITIES:
                raise ValueError(f"unknown quantity {q!r} (one of: {', '.join(QUANTITIES)})")
        return when


class Rule(_Model):
    """One rule. ``min``/``max`` bound the quantity; ``*_inclusive`` say whether the bound itself is allowed."""

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
    source: str
    article: str | None = None
    confidence: Literal["Q", "T", "local"] = "Q"
    local: bool = False
    enabled: bool = True
    approvable: bool = False
    optimisable: bool = True

    @field_validator("quantity")
    @classmethod
    def _known_quantity(cls, quantity: str) -> str:
        # a field validator, so that a file's error points at the quantity's own line
        if quantity not in QUANTITIES:
            raise ValueError(f"unknown quantity {quantity!r} (one of: {', '.join(QUANTITIES)})")
        return quantity

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if self.min is None and self.max is None:
            raise ValueError("a rule needs min or max")
        return self

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

    @model_validator(mode="after")
    def _unique(self) -> RulePack:
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rule id {dupes[0]!r} appears twice")
        return self


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
    """Per-unit quantity arrays of one structure, computed once each."""

    def __init__(self, s: Structure, as_of: dt.date | None) -> None:
        self.s = s
        self.as_of = as_of
        self._cache: dict[str, np.ndarray | None] = {}

    def tag_codes(self) -> tuple[np.ndarray, list[tuple[str, ...]]]:
        """Each unit's tag tuple as a code into the list of distinct tuples (one pass, cached)."""
        return self.s.tag_codes

    def get(self, name: str) -> np.ndarray | None:
        """The quantity for every unit code, or None when its data is missing."""
        if name not in self._cache:
            self._cache[name] = getattr(self, "_" + name)()
        return self._cache[name]

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

    def _roles(self, roles: Iterable[str]) -> np.ndarray | None:
        if not self.s.roles:
            return None
        return self.s.people_per_unit(roles).astype(float)

    def _committee(self) -> np.ndarray | None:
        return self._roles(COMMITTEE_ROLES)

    def _secretaries(self) -> np.ndarray | None:
        return self._roles(("secretary",))

    def _max_full_per_host(self) -> np.ndarray | None:
        s = self.s
        home = s.members["home_host"]
        if not (home >= 0).any():
            return None
        # only joint units can break a per-host bound; count their full members per (unit, host)
        joint = self.get("hosts") > 1  # type: ignore[operator]
        if not joint.any():
            return np.zeros(s.n_units)
        full = s.full_mask & (home >= 0) & joint[s.members["branch"]]
        unit = s.members["branch"][full]
        host = home[full]
        out = np.zeros(s.n_units)
        edges = s.built_on_edges
        if not len(edges) or not len(unit):
            return out
        ancestors = [host]
        parent = s.units.parent
        current = host
        for _ in range(32):
            current = np.where(current >= 0, parent[np.maximum(current, 0)], -1)
            if not (current >= 0).any():
                break
            ancestors.append(current)
        width = np.int64(s.n_units + 1)
        built = set((edges.src.astype(np.int64) * width + edges.dst).tolist())
        keys = []
        for level in ancestors:
            k = unit.astype(np.int64) * width + level
            keep = (level >= 0) & np.isin(k, np.fromiter(built, dtype=np.int64))
            keys.append(k[keep])
        if keys:
            allk = np.concatenate(keys)
            uniq, counts = np.unique(allk, return_counts=True)
            np.maximum.at(out, (uniq // width).astype(np.int64), counts)
        return out

    def _count_members(self, column: str, threshold: float) -> np.ndarray | None:
        s = self.s
        if column not in s.members.columns:
            return None
        values = np.asarray(s.members[column], dtype=float)
        hit = s.members["active"] & (values >= threshold)
        return np.bincount(s.members["branch"][hit], minlength=s.n_units).astype(float)

    def _members_away_6m(self) -> np.ndarray | None:
        return self._count_members("months_away", 6)

    def _members_lost_6m(self) -> np.ndarray | None:
        return self._count_members("months_lost", 6)

    def _unit_attr(self, name: str) -> dict[int, Any]:
        return self.s.unit_attribute(name)

    def _member_meetings_last_year(self) -> np.ndarray | None:
        values = self._unit_attr("member_meetings_last_year")
        if not values:
            return None
        out = np.full(self.s.n_units, np.nan)
        for code, value in values.items():
            try:
                out[code] = float(value)
            except (TypeError, ValueError):
                raise UserError(f"unit {self.s.units.ids[code]}: attribute member_meetings_last_year"
                                f" is not a number: {value!r}") from None
        return out

    def _years_since_election(self) -> np.ndarray | None:
        s = self.s
        if self.as_of is None:
            return None
        values = self._unit_attr("elected")
        if not values:
            return None
        out = np.full(s.n_units, np.nan)
        for code, elected in values.items():
            try:
                if isinstance(elected, dt.datetime):
                    elected = elected.date()
                day = elected if isinstance(elected, dt.date) else dt.date.fromisoformat(str(elected))
            except ValueError:
                raise UserError(f"unit {s.units.ids[code]}: attribute elected is not a date"
                                f" (YYYY-MM-DD): {elected!r}") from None
            out[code] = (self.as_of - day).days / 365.25
        return out


def _subject_mask(s: Structure, subject: Subject, q: _Quantities, *, when: bool = True) -> np.ndarray | None:
    """Units the subject names; None when a ``when`` condition's data is missing.

    With ``when=False`` the extra conditions are left out (never None).
    """
    u = s.units
    mask = ~u.dissolved
    if subject.kinds:
        codes = [s.kinds.code(k) for k in subject.kinds if k in s.kinds]
        mask &= np.isin(u.kind, codes)
    if subject.tags_any or subject.tags_none:
        codes, distinct = q.tag_codes()
        if subject.tags_any:
            mask &= np.array([bool(set(t) & set(subject.tags_any)) for t in distinct], dtype=bool)[codes]
        if subject.tags_none:
            mask &= np.array([not (set(t) & set(subject.tags_none)) for t in distinct], dtype=bool)[codes]
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
    for quantity, minimum in (subject.when.items() if when else ()):
        values = q.get(quantity)
        if values is None:
            return None
        mask &= values >= minimum
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
        for rule in pack.rules:
            if not _is_on(rule, enable, disable):
                continue
            if not _subject_mask(s, rule.subject, q, when=False).any():
                continue  # no unit the rule speaks of: nothing to check, and no data is missing
            mask = _subject_mask(s, rule.subject, q)
            if mask is not None and not mask.any():
                continue  # e.g. committee.when where no branch has 7 full members
            threshold = rule.threshold()
            values = q.get(rule.quantity)
            if values is None or mask is None:
                out.append(Finding(rule.id, rule.severity, "not_checked", None, None, None, threshold,
                                   rule.title_zh, rule.title_en, _source(rule)))
                continue
            bad = np.zeros(s.n_units, dtype=bool)
            with np.errstate(invalid="ignore"):
                if rule.min is not None:
                    bad |= values < rule.min if rule.min_inclusive else values <= rule.min
                if rule.max is not None:
                    bad |= values > rule.max if rule.max_inclusive else values >= rule.max
            missing = mask & np.isnan(values)
            bad &= mask & ~missing
            # a unit whose own data is missing (where others have it) is not checked, never passed
            for code in np.flatnonzero(missing).tolist():
                out.append(Finding(rule.id, rule.severity, "not_checked", str(s.units.ids[code]),
                                   str(s.units.name[code]), None, threshold, rule.title_zh, rule.title_en,
                                   _source(rule)))
            for code in np.flatnonzero(bad).tolist():
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
    """Read a rule pack from YAML; errors name the file, line and field."""
    from orgmodel.io.yamlsource import load_yaml, validate

    data, locator = load_yaml(Path(path))
    return validate(RulePack, data, file=str(path), locator=locator)


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
        mask = _subject_mask(s, rule.subject, q)
        if mask is None:
            continue
        for code in np.flatnonzero(mask).tolist():
            out.append({"rule": rule.id, "unit": str(s.units.ids[code]), "quantity": rule.quantity,
                        "lo": rule.min, "hi": rule.max, "strict_lo": not rule.min_inclusive,
                        "strict_hi": not rule.max_inclusive})
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
