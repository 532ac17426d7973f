"""The rule pack evaluated on the simulation state every period, in one vectorised pass per rule.

Which units a rule speaks of (kinds, tags, joint, host kinds) is fixed by the variant's structure
and computed once; the quantities that move in a simulation (members, full members, subtree
totals, committee and secretaries, members away or out of contact 6 months, years since the
last election, members' meetings in the last year) are recomputed from the state each period,
and so are the rules' ``when`` conditions. Quantities the simulation does not move (hosts,
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
    "members", "full", "members_subtree", "full_subtree", "committee", "secretaries",
    "members_away_6m", "members_lost_6m", "years_since_election", "member_meetings_last_year",
)
_COMMITTEE = ("secretary", "deputy_secretary", "committee_member")


class RuleTracker:
    """Counts the units breaking each active rule of ``rules`` on a simulation state.

    ``approvals``: (unit id, rule id) pairs whose breaches are approved and not counted.
    """

    def __init__(self, s: Structure, rules: RuleBook, *, approvals: Sequence[tuple[str, str]] = ()) -> None:
        from orgmodel.analysis.rules import _Quantities, _subject_mask

        self.rules = [r for r in rules if r.subject.kinds == [] or any(k in s.kinds for k in r.subject.kinds)]
        q = _Quantities(s, None)
        self._masks = [_subject_mask(s, r.subject, q, when=False) for r in self.rules]
        self._approved = []
        for rule in self.rules:
            mask = np.zeros(s.n_units, dtype=bool)
            units = [u for u, r in approvals if r == rule.id and rule.approvable and s.has_unit(u)]
            mask[s.unit_codes(units)] = True
            self._approved.append(mask)
        # quantities the simulation does not move: the structure's values, computed once
        names = {r.quantity for r in self.rules} | {w for r in self.rules for w in r.subject.when}
        self._needed = frozenset(names & set(DYNAMIC_QUANTITIES))
        self._static: dict[str, np.ndarray | None] = {n: q.get(n) for n in sorted(names - set(DYNAMIC_QUANTITIES))}
        self._parent = np.asarray(s.units.parent)
        self._dissolved = np.asarray(s.units.dissolved)
        self._depth = np.asarray(s.depth)
        self._is_group = s.kinds.is_group[s.units.kind]
        self._groups = any(bool((mask & self._is_group).any()) for mask in self._masks)  # any rule on groups?

    @property
    def rule_ids(self) -> list[str]:
        """Ids of the rules tracked, in rule-book order."""
        return [r.id for r in self.rules]

    def quantities(self, state, needed: frozenset[str] | None = None) -> dict[str, np.ndarray | None]:  # type: ignore[no-untyped-def]
        """The dynamic quantities for the state (all, or those ``needed``; None where data is missing)."""
        need = set(DYNAMIC_QUANTITIES) if needed is None else needed
        m = state.members
        active = m["active"]
        n = state.n_units
        full_status = np.array([st in state.kinds.full_statuses for st in state.kinds.pack.statuses], dtype=bool)
        full = active & full_status[m["status"]]

        def per_unit(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            branch = np.bincount(m["branch"][mask], minlength=n)
            if not self._groups:
                return branch, branch
            group_col = m["group"][mask]
            group = np.bincount(group_col[group_col >= 0], minlength=n)
            return branch, group

        out: dict[str, np.ndarray | None] = {}
        for name, mask in (("members", active), ("full", full)):
            if not need & {name, name + "_subtree"}:
                continue
            branch, group = per_unit(mask)
            out[name] = np.where(self._is_group, group, branch).astype(float)
            sub = subtree_sums(self._parent, self._dissolved, branch, self._depth)
            out[name + "_subtree"] = np.where(self._is_group, group, sub).astype(float)
        roles = m["role"]
        holders = active & (roles >= 0)
        committee_codes = state.role_codes(_COMMITTEE)
        secretary_codes = state.role_codes(("secretary",))
        if not need & {"committee", "secretaries"}:
            pass
        elif len(state.role_names):
            for name, codes in (("committee", committee_codes), ("secretaries", secretary_codes)):
                table = np.zeros(len(state.role_names) + 1, dtype=bool)
                table[codes.astype(np.int64)] = True
                keep = holders & table[roles]
                counts = np.bincount(m["role_unit"][keep], minlength=n).astype(float)
                outside = state.outside_roles
                if len(outside):
                    o = outside[np.isin(outside[:, 1], codes)]
                    counts += np.bincount(o[:, 0], minlength=n)
                out[name] = counts
        else:
            out["committee"] = out["secretaries"] = None
        for name, column in (("members_away_6m", "months_away"), ("members_lost_6m", "months_lost")):
            if column in m:
                hit = active & (m[column] >= 6)
                out[name] = np.bincount(m["branch"][hit], minlength=n).astype(float)
            else:
                out[name] = None
        elected = state.units["elected"]
        out["years_since_election"] = None if np.isnan(elected).all() else (state.month - elected) / 12.0
        meetings = state.units["member_meetings"]
        out["member_meetings_last_year"] = None if np.isnan(meetings).all() else meetings
        return out

    def _quantity(self, name: str, dynamic: dict[str, np.ndarray | None]) -> np.ndarray | None:
        if name in DYNAMIC_QUANTITIES:
            return dynamic.get(name)
        return self._static.get(name)

    def breaches(self, state) -> np.ndarray:  # type: ignore[no-untyped-def]
        """Units breaking each rule now (NaN where the rule cannot be checked), in rule order."""
        out = np.zeros(len(self.rules))
        if not self.rules:
            return out
        dynamic = self.quantities(state, self._needed)
        for i, rule in enumerate(self.rules):
            mask = self._masks[i] & ~self._approved[i]
            for quantity, minimum in rule.subject.when.items():
                values = self._quantity(quantity, dynamic)
                if values is None:
                    mask = None
                    break
                mask = mask & (values >= minimum)
            values = self._quantity(rule.quantity, dynamic)
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
