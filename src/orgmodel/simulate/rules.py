"""The rule pack evaluated on the simulation state every period, in one vectorised pass per rule.

Which units a rule speaks of (kinds, tags, joint, host kinds) is fixed by the variant's structure
and computed once; the quantities that move in a simulation (members, full members, subtree
totals, holders of the rule's roles, members whose column reaches the rule's bound, years since
the date in the ``elected`` attribute, the number in the ``member_meetings_last_year`` attribute)
are recomputed from the state each period, and so are the rules' ``when`` conditions. Quantities the simulation does not move (hosts,
children, participants of units sized by participation, full members per host) keep the
structure's values. A quantity whose data is missing gives NaN for that rule ("not checked"),
never zero.

>>> import datetime as dt
>>> from orgmodel.analysis.rules import Rule, RulePack, Subject
>>> from orgmodel.analysis.rulebook import RuleBook
>>> from orgmodel.testing_data import tiny_structure
>>> from orgmodel.simulate.state import SimState
>>> s = tiny_structure()
>>> book = RuleBook([RulePack(name="demo", domain="toy", rules=[Rule(
...     id="branch.max_size", title_en="", title_zh="", severity="warning",
...     subject=Subject(kinds=["toy.branch"]), quantity="members", max=3, source="demo")])])
>>> tracker = RuleTracker(s, book)
>>> state = SimState.from_structure(s, start=dt.date(2024, 1, 1))
>>> tracker.breaches(state).tolist()
[1.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from orgmodel.analysis.rulebook import RuleBook
from orgmodel.model.structure import Structure, subtree_sums

__all__ = ["RuleTracker", "DYNAMIC_QUANTITIES"]

DYNAMIC_QUANTITIES = (
    "members", "full", "members_subtree", "full_subtree", "role_holders", "full_role_holders",
    "role_holders_not_full", "members_at_least", "years_since", "unit_attribute",
)
#: Unit attributes the simulation moves, by the state column that holds them.
_MOVING_ATTRIBUTES = {"elected": "elected", "member_meetings_last_year": "member_meetings"}


class RuleTracker:
    """Counts the units breaking each active rule of ``rules`` on a simulation state.

    ``approvals``: (unit id, rule id) pairs whose breaches are approved and not counted.
    """

    def __init__(self, s: Structure, rules: RuleBook, *, approvals: Sequence[tuple[str, str]] = ()) -> None:
        from orgmodel.analysis.rules import StructureQuantities, subject_mask

        self.rules = [r for r in rules if r.subject.kinds == [] or any(k in s.kinds for k in r.subject.kinds)]
        q = StructureQuantities(s, None)
        self._masks = [subject_mask(s, r, q, when=False) for r in self.rules]
        self._approved = []
        for rule in self.rules:
            mask = np.zeros(s.n_units, dtype=bool)
            units = [u for u, r in approvals if r == rule.id and rule.approvable and s.has_unit(u)]
            mask[s.unit_codes(units)] = True
            self._approved.append(mask)
        # quantities the simulation does not move: the structure's values, computed once
        self._static: dict[tuple[str, str], np.ndarray | None] = {}
        for rule in self.rules:
            for name in (rule.quantity, *rule.subject.when):
                if not self._moves(name, rule):
                    self._static[(rule.id, name)] = q.get(name, rule)
        self._parent = np.asarray(s.units.parent)
        self._dissolved = np.asarray(s.units.dissolved)
        self._depth = np.asarray(s.depth)
        self._is_group = s.kinds.is_group[s.units.kind]
        self._groups = any(bool((mask & self._is_group).any()) for mask in self._masks)  # any rule on groups?
        # per rule, fixed for the variant: the units it may speak of, and how each quantity is found
        self._subjects = [mask & ~approved for mask, approved in zip(self._masks, self._approved, strict=True)]
        self._plans = [([(quantity, minimum, self._moves(quantity, rule)) for quantity, minimum in rule.subject.when.items()],
                        self._moves(rule.quantity, rule)) for rule in self.rules]
        self._full_status: tuple[object, np.ndarray] | None = None

    @property
    def rule_ids(self) -> list[str]:
        """Ids of the rules tracked, in rule-book order."""
        return [r.id for r in self.rules]

    @staticmethod
    def _moves(name: str, rule) -> bool:  # type: ignore[no-untyped-def]
        """Whether the simulation moves this quantity of this rule."""
        if name in ("unit_attribute", "years_since"):
            return rule.attribute in _MOVING_ATTRIBUTES
        return name in DYNAMIC_QUANTITIES

    def _counts(self, state) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
        """Members and full members per unit, direct and with everything below, for this period."""
        m = state.members
        active = m["active"]
        n = state.n_units
        if self._full_status is None or self._full_status[0] is not state.kinds:
            self._full_status = (state.kinds, np.array([st in state.kinds.full_statuses
                                                        for st in state.kinds.pack.statuses], dtype=bool))
        full = active & self._full_status[1][m["status"]]
        out: dict[str, np.ndarray] = {"_active": active, "_full": full}
        for name, mask in (("members", active), ("full", full)):
            branch = np.bincount(m["branch"][mask], minlength=n)
            group = branch
            if self._groups:
                group_col = m["group"][mask]
                group = np.bincount(group_col[group_col >= 0], minlength=n)
            out[name] = np.where(self._is_group, group, branch).astype(float)
            sub = subtree_sums(self._parent, self._dissolved, branch, self._depth)
            out[name + "_subtree"] = np.where(self._is_group, group, sub).astype(float)
        return out

    def _value(self, name: str, rule, state, counts: dict, moves: bool | None = None) -> np.ndarray | None:  # type: ignore[no-untyped-def,type-arg]
        """One quantity of one rule for this period (None where its data is missing)."""
        if not (self._moves(name, rule) if moves is None else moves):
            return self._static[(rule.id, name)]
        if name in counts:
            return counts[name]
        key = (name, tuple(rule.roles), rule.column, rule.at_least, rule.attribute)
        if key not in counts:  # rules asking the same of the state share one answer per period
            counts[key] = self._compute(name, rule, state, counts)
        return counts[key]

    def _compute(self, name: str, rule, state, counts: dict) -> np.ndarray | None:  # type: ignore[no-untyped-def,type-arg]
        m = state.members
        n = state.n_units
        active, full = counts["_active"], counts["_full"]
        if name in ("role_holders", "full_role_holders", "role_holders_not_full"):
            if not len(state.role_names):
                return None
            codes = state.role_codes(tuple(rule.roles))
            table = np.zeros(len(state.role_names) + 1, dtype=bool)
            table[codes.astype(np.int64)] = True
            holders = active & (m["role"] >= 0) & table[m["role"]]
            if name == "full_role_holders":
                holders &= full
            elif name == "role_holders_not_full":
                holders &= ~full
            values = np.bincount(m["role_unit"][holders], minlength=n).astype(float)
            outside = state.outside_roles
            if name == "role_holders" and len(outside):  # people outside the roster hold offices too
                o = outside[table[outside[:, 1]]]
                values += np.bincount(o[:, 0], minlength=n)
            return values
        if name == "members_at_least":
            if rule.column not in m:
                return None
            hit = active & (m[rule.column] >= rule.at_least)
            return np.bincount(m["branch"][hit], minlength=n).astype(float)
        column = state.units[_MOVING_ATTRIBUTES[rule.attribute]]
        if np.isnan(column).all():
            return None
        if name == "years_since":
            return (state.month - column) / 12.0
        return column

    def breaches(self, state) -> np.ndarray:  # type: ignore[no-untyped-def]
        """Units breaking each rule now (NaN where the rule cannot be checked), in rule order."""
        out = np.zeros(len(self.rules))
        if not self.rules:
            return out
        counts: dict = self._counts(state)  # type: ignore[type-arg]
        for i, rule in enumerate(self.rules):
            mask = self._subjects[i]
            when, moves = self._plans[i]
            for quantity, minimum, moving in when:
                values = self._value(quantity, rule, state, counts, moving)
                if values is None:
                    mask = None
                    break
                mask = mask & (values >= minimum)
            values = self._value(rule.quantity, rule, state, counts, moves)
            if mask is None or (values is None and mask.any()):
                out[i] = np.nan
                continue
            if not mask.any():
                continue
            bad = np.zeros(len(values), dtype=bool)
            with np.errstate(invalid="ignore"):
                if rule.min is not None:
                    bad |= values < rule.min if rule.min_inclusive else values <= rule.min
                if rule.max is not None:
                    bad |= values > rule.max if rule.max_inclusive else values >= rule.max
            bad &= mask & ~np.isnan(values)
            out[i] = float(bad.sum())
        return out
