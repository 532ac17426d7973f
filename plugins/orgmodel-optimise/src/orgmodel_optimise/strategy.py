"""The ``optimise`` strategy: the least weighted change that keeps every hard rule.

It assigns members to existing and candidate branches (:mod:`orgmodel_optimise.problem`) by a
mixed-integer programme solved with HiGHS (:mod:`orgmodel_optimise.solve`), then writes the plan:
founded branches, moves with the rule or objective term that drove them, dissolved branches, and
secretaries and committees from full members (the party pack's offices API). The plan's
``meta["solver"]`` records the solver's status, gap and bound and the value of every objective term. When no assignment keeps the rules, it
refuses with one line naming the branches and rules in conflict.

>>> from orgmodel.testing import contract_baselines
>>> s = contract_baselines("party", only=("branch-of-329",))["branch-of-329"]
>>> plan = Optimise().propose_on(s, {})
>>> plan.meta["solver"]["gap"] <= 0.01, plan.meta["solver"]["terms"]["moved"]["value"] >= 329 - 50
(True, True)
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import numpy as np
from orgmodel_party import COMMITTEE_ROLES, ROLE_TEMPLATES, CommitteeRule, backbone_mask, propose_branch_roles, rank_for_office
from pydantic import BaseModel, ConfigDict, Field

from orgmodel import Context, Plan, RuleBook, Strategy, Structure, UserError, domain_rule_book, role_member_codes, zh_numeral
from orgmodel_optimise.problem import Problem, build_problem
from orgmodel_optimise.reasons import FAMILY_LABELS, TEMPLATES
from orgmodel_optimise.rulebounds import joint_units_cap, read_rules, split_office_rules
from orgmodel_optimise.solve import TERM_LABELS, TERMS, Solution, Weights, solve

__all__ = ["Optimise"]

Family = Literal["team", "joint_team", "territory", "category", "joint"]
SOLVER = "HiGHS (scipy.optimize.milp)"
META_VERSION = 1  # the shape of plan.meta["solver"] (docs/optimise.md)


class Params(BaseModel):
    """Parameters of ``optimise``; every one is documented in docs/optimise.md."""

    model_config = ConfigDict(extra="forbid")

    weight_moved: float = Field(1.0, ge=0, description="per member whose branch changes")
    weight_founded: float = Field(2.0, ge=0, description="per branch founded")
    weight_dissolved: float = Field(2.0, ge=0, description="per branch dissolved")
    weight_unaligned: float = Field(4.0, ge=0, description="per team member whose branch is on none of their teams")
    weight_ties: float = Field(0.2, ge=0, description="per unit of tie weight cut by a move")
    weight_backbone: float = Field(0.5, ge=0, description="per backbone person away from a branch's fair share")
    candidates: list[Family] = Field(default_factory=lambda: ["team", "joint_team", "territory", "category", "joint"])
    territory_levels: int = Field(1, ge=0, le=4)
    hard: list[Literal["error", "warning"]] = Field(default_factory=lambda: ["error", "warning"])
    dissolve: bool = True
    propose_roles: bool = Field(True, description="propose secretaries and committees (the rule committee.when) from full members")
    time_limit: float = Field(20.0, gt=0)
    mip_gap: float = Field(0.01, ge=0, le=1)
    part_size: int = Field(1, ge=1)
    max_part: int = Field(2_000, ge=1)
    seed: int | None = None
    workers: int = Field(0, ge=0, description="processes that solve the parts (0: every core above a size; 1: this one)")


class Optimise(Strategy):
    """Assign members to branches so that every hard rule holds and a weighted change is least."""

    name = "optimise"
    label_zh = "最小调整优化"
    label_en = "least change (optimised)"
    description = ("Solves for the least weighted change (members moved, branches founded and dissolved, team"
                   " alignment, ties cut, backbone spread) that keeps every hard rule of the rule book.")
    Params = Params
    templates = {**TEMPLATES, **ROLE_TEMPLATES}

    def propose(self, ctx: Context, params: Params) -> Plan:  # type: ignore[override]
        s = ctx.structure
        book = ctx.rules if len(ctx.rules) else domain_rule_book(s.kinds.name)
        committee = CommitteeRule.from_rules(book, strategy=self.name) if params.propose_roles else None
        bounds, offices, skipped = read_rules(book, tuple(params.hard))
        branch = s.members["branch"]
        movable = ctx.scope.member_mask(s) & ~ctx.locks.mask[branch]
        dest_ok = ctx.scope.mask & ~ctx.locks.mask
        problem = build_problem(s, bounds, movable=movable, dest_ok=dest_ok, families=params.candidates,
                                territory_levels=params.territory_levels,
                                max_joint_units=joint_units_cap(skipped, tuple(params.hard)))
        by_roles, unkept = split_office_rules(offices, committee, {d.kind for d in problem.dests})
        weights = Weights(params.weight_moved, params.weight_founded, params.weight_dissolved,
                          params.weight_unaligned, params.weight_ties, params.weight_backbone)
        sol = solve(problem, weights, time_limit=params.time_limit, mip_gap=params.mip_gap,
                    part_size=params.part_size, max_part=params.max_part, dissolve=params.dissolve,
                    workers=params.workers)
        if sol.conflicts:
            raise UserError(_conflict_line(s, problem, sol, book))
        rng = ctx.rng if params.seed is None else np.random.default_rng(params.seed)
        dest_of = _assign(problem, sol, rng)
        plan = ctx.plan()
        refs, names = _write(s, plan, problem, sol, dest_of, book)
        if committee is not None:
            _roles(ctx, plan, problem, dest_of, sol.y, committee, refs, names)
        plan.meta["solver"] = {
            "version": META_VERSION, "name": SOLVER, "status": sol.status, "gap": round(sol.gap, 6),
            "objective": round(sol.objective, 6), "bound": round(sol.bound, 6), "time_limit": params.time_limit,
            "mip_gap": params.mip_gap, "decomposed": sol.decomposed, "parts": sol.parts,
            "largest_part_members": sol.largest_part, "groups": len(problem.g_n),
            "candidates": sum(1 for d in problem.dests if d.unit < 0),
            "terms": {t: {"value": round(sol.terms[t], 6), "weight": weights.as_dict()[t], "label_zh": TERM_LABELS[t][0],
                          "label_en": TERM_LABELS[t][1], "order": i} for i, t in enumerate(TERMS)},
            "rules_imposed": sorted({b.rule.id for b in bounds}),
            "rules_by_roles": sorted(r.id for r in by_roles),
            "rules_not_optimised": sorted(r.id for r in [*skipped, *unkept]),
        }
        return plan.build()


def _assign(p: Problem, sol: Solution, rng: np.random.Generator) -> np.ndarray:
    """Per movable member (in ``p.members`` order), the destination index the solution gives it.

    Within a group, members are interchangeable: a seeded shuffle decides who moves.
    """
    keys = rng.random(len(p.members))
    order = np.lexsort((keys, p.groups_of_member))
    eorder = np.lexsort((p.e_d, ~p.e_stay, p.e_g))
    slots = np.repeat(p.e_d[eorder], sol.x[eorder])
    out = np.empty(len(p.members), dtype=np.int64)
    out[order] = slots
    return out


def _conflict_line(s: Structure, p: Problem, sol: Solution, book: RuleBook) -> str:
    parts = []
    origins: set[str] = set()
    for c in sol.conflicts[:6]:
        rule = book.rule(c.rule)
        title = rule.title_en if rule else c.rule
        for g in c.groups:
            origins.add(str(s.units.name[p.g_branch[g]]))
        if c.dest >= 0:
            parts.append(f"{p.dests[c.dest].name} ({c.rule}: {title}; short by {c.shortfall:g})")
        else:
            parts.append(f"{c.rule}: members with no branch to go to")
    units = ", ".join(sorted(origins)[:8])
    more = f" and {len(sol.conflicts) - 6} more" if len(sol.conflicts) > 6 else ""
    return (f"optimise: no structure keeps every hard rule: {'; '.join(parts)}{more}; members from: {units}"
            " (relax a rule, widen the scope or unlock units)")


def _name(s: Structure, kind: str, base: str) -> str:
    template = getattr(s.kinds[kind], "name_template", None) or "{host}"
    return template.format(host=base)


def _write(s: Structure, plan: Any, p: Problem, sol: Solution, dest_of: np.ndarray,
           book: RuleBook) -> tuple[dict[int, str], dict[int, str]]:
    """Founded branches, moves with their reasons, dissolved branches; the reference and the name
    of every open destination."""
    units = s.units
    ids = s.members.ids
    full = s.full_mask
    origin = s.members["branch"][p.members].astype(np.int64)
    open_ = sol.y
    # --- references and names of open destinations ------------------------------------------
    ref: dict[int, str] = {}
    name: dict[int, str] = {}
    base_count: dict[str, int] = {}
    for d, dest in enumerate(p.dests):
        if dest.unit < 0 and open_[d]:
            base = dest.key.rsplit("-", 1)[0]
            base_count[base] = base_count.get(base, 0) + 1
    seen: dict[str, int] = {}
    for d, dest in enumerate(p.dests):
        if dest.unit >= 0:
            ref[d], name[d] = str(units.ids[dest.unit]), dest.name
        elif open_[d]:
            base = dest.key.rsplit("-", 1)[0]
            seen[base] = seen.get(base, 0) + 1
            label = dest.name
            if base_count[base] > 1:  # the ordinal before 联合 (第一联合党支部), else at the end
                stem = label.removesuffix("联合")
                label = f"{stem}第{zh_numeral(seen[base])}{label[len(stem):]}"
            ref[d], name[d] = f"new:{dest.key}", _name(s, dest.kind, label)
    count = np.bincount(dest_of, minlength=len(p.dests))
    full_in = np.bincount(dest_of, full[p.members], len(p.dests)).astype(np.int64)
    for d, dest in enumerate(p.dests):
        if dest.unit < 0 and open_[d]:
            about = "、".join(str(units.name[h]) for h in dest.hosts[:3]) + ("等" if len(dest.hosts) > 3 else "")
            plan.create_unit(dest.key, kind=dest.kind, name=name[d], parent=dest.parent,
                             built_on=[str(units.ids[h]) for h in dest.hosts], tags=list(dest.tags),
                             reason=("found", {"name": name[d], "about": about or FAMILY_LABELS[dest.family][0],
                                               "n": int(count[d]), "full": int(full_in[d])}))
    # --- moves, each with the rule or the objective term that drove it ----------------------
    stay_dest = np.full(s.n_units, -1, dtype=np.int64)
    for d, dest in enumerate(p.dests):
        if dest.unit >= 0:
            stay_dest[dest.unit] = d
    sizes, sizes_full = s.sizes(), s.sizes(full_only=True)
    moved = np.flatnonzero(stay_dest[origin] != dest_of)
    dest_hosts = [np.asarray(d.hosts, dtype=np.int64) for d in p.dests]
    n_d = np.int64(len(p.dests))
    pair = p.groups_of_member[moved].astype(np.int64) * n_d + dest_of[moved]
    keys, inverse = np.unique(pair, return_inverse=True)
    by_pair = np.argsort(inverse.reshape(-1), kind="stable")
    bounds_ = np.searchsorted(inverse.reshape(-1)[by_pair], np.arange(len(keys) + 1))
    rows: dict[tuple[int, int, str], list[int]] = {}
    for k, key in enumerate(keys.tolist()):  # one pass per (group, destination), not per member
        g, d = divmod(key, int(n_d))
        o = int(p.g_branch[g])
        od = int(stay_dest[o])
        src = p.dests[od] if od >= 0 else None
        if src is None:
            code = "move_one_relation"
        elif src.forbidden:
            code = "move_rule_forbidden"
        elif src.members_hi is not None and sizes[o] > src.members_hi:
            code = "move_rule_max"
        elif src.full_lo is not None and sizes_full[o] < src.full_lo:
            code = "move_rule_min"
        elif np.isin(p.g_teams[g], dest_hosts[d]).any():
            code = "move_team"
        else:
            code = "move_objective"
        rows.setdefault((o, d, code), []).extend(p.members[moved[by_pair[bounds_[k]:bounds_[k + 1]]]].tolist())
    for (o, d, code), members in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2])):
        od = int(stay_dest[o])
        src = p.dests[od] if od >= 0 else None
        rule_id = {"move_rule_max": "members_hi", "move_rule_min": "full_lo"}.get(code)
        rid = (src.rules.get(rule_id) if src is not None and rule_id else None) or (
            src.forbidden if src is not None and src.forbidden else "one_relation")
        rule = book.rule(rid)
        plan.move(ids[np.asarray(sorted(members))].tolist(), to=ref[d], reason=(code, {
            "n": len(members), "origin": str(units.name[o]), "dest": name[d], "size": int(sizes[o]),
            "full": int(sizes_full[o]),
            "limit": (src.members_hi if code == "move_rule_max" else src.full_lo) if src is not None else 0,
            "rule_zh": rule.title_zh if rule else rid, "rule_en": rule.title_en if rule else rid}))
    # --- dissolved branches --------------------------------------------------------------------
    for d, dest in enumerate(p.dests):
        if dest.unit >= 0 and not open_[d]:
            code = dest.unit
            for child in s.child_codes(code).tolist():
                if units.dissolved[child]:
                    continue
                if s.kinds.is_group[units.kind[child]]:
                    plan.dissolve(str(units.ids[child]), reason=("dissolve_group", {
                        "branch": dest.name, "name": str(units.name[child])}))
            others = [c for c in s.child_codes(code).tolist()
                      if not units.dissolved[c] and not s.kinds.is_group[units.kind[c]]]
            up = units.parent[code]
            plan.dissolve(str(units.ids[code]), reason=("dissolve_empty", {"name": dest.name}),
                          children_to=str(units.ids[up]) if others and up >= 0 else None)
    return ref, name


def _roles(ctx: Context, plan: Any, p: Problem, dest_of: np.ndarray, open_: np.ndarray, committee: CommitteeRule,
           refs: dict[int, str], names: dict[int, str]) -> None:
    """Holders who moved out lose their office in the branch they left; every open branch that
    lacks a secretary, or from ``committee.from_full`` full members a committee, gets them from its
    full members (:func:`orgmodel_party.propose_branch_roles`, ranked by
    :func:`orgmodel_party.rank_for_office`). A branch whose offices still keep the rules is left as is.
    """
    s = ctx.structure
    full = s.full_mask
    n_d = len(p.dests)
    dest_of_member = np.full(s.n_members, -1, dtype=np.int64)
    dest_of_member[p.members] = dest_of
    unit_dest = np.full(s.n_units, -1, dtype=np.int64)
    for d, dest in enumerate(p.dests):
        if dest.unit >= 0:
            unit_dest[dest.unit] = d
    # members the optimiser does not place stay where they are (out of scope, say)
    fixed = np.ones(s.n_members, dtype=bool)
    fixed[p.members] = False
    fixed_dest = unit_dest[s.members["branch"][fixed].astype(np.int64)]
    n_full = (np.bincount(dest_of, full[p.members], n_d)
              + np.bincount(fixed_dest[fixed_dest >= 0], full[fixed][fixed_dest >= 0], n_d)).astype(np.int64)
    # offices held in branches the optimiser may change: cleared when the holder moves out
    r_units, r_roles, r_people = s.role_table
    r_codes = role_member_codes(s)
    r_dest = np.where(r_units >= 0, unit_dest[np.maximum(r_units, 0)], -1)
    r_dest[(r_dest >= 0) & ~open_[np.maximum(r_dest, 0)]] = -1  # a dissolved branch takes its offices along
    holder_dest = np.where(r_codes >= 0, dest_of_member[np.maximum(r_codes, 0)], -1)
    left = (r_dest >= 0) & (holder_dest >= 0) & (holder_dest != r_dest)
    held: dict[int, list[tuple[str, str]]] = {}
    for i in np.flatnonzero(r_dest >= 0).tolist():
        d, person, role = int(r_dest[i]), str(r_people[i]), str(r_roles[i])
        if left[i]:
            plan.clear_role(str(s.units.ids[p.dests[d].unit]), role=role, person=person, reason=(
                "role_clear_moved", {"person": person, "branch": p.dests[d].name, "role": role}))
        elif open_[d]:
            held.setdefault(d, []).append((person, role))
    backbone = backbone_mask(s)
    since = ctx.as_of.isoformat() if isinstance(ctx.as_of, dt.date) else None
    order = np.argsort(dest_of, kind="stable")
    starts = np.searchsorted(dest_of[order], np.arange(n_d + 1))
    for d in np.flatnonzero(open_).tolist():
        dest = p.dests[d]
        kept = held.get(d, [])
        committee_now = len({person for person, role in kept if role in COMMITTEE_ROLES})
        has_secretary = any(role == "secretary" for _, role in kept)
        needs_committee = n_full[d] >= committee.from_full and committee_now < committee.size
        if dest.unit >= 0 and has_secretary and not needs_committee:
            continue  # its offices keep the rules: least change
        members = p.members[order[starts[d]:starts[d + 1]]]
        ranked = rank_for_office(s, members, as_of=ctx.as_of, backbone=backbone)
        propose_branch_roles(s, plan, refs[d], names[d], members, committee=committee, n_full=int(n_full[d]), held=kept,
                             backbone=backbone, since=since, order=ranked)
