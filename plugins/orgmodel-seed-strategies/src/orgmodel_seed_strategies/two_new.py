"""两新组织: branches for the scattered members of small private firms and social organisations (seed 003).

The seed: many "two new" organisations (非公企业, 社会组织) have too few members to form a branch
of their own; their members' relations sit in a talent-exchange centre or are lost. The answer it
gives: set up street chambers of commerce and trade associations and build the party organisation
on the chamber (将党组织建在商会（协会）上).

The plan, for every firm (``party.enterprise`` / ``party.social_org`` host) whose members (by
``home_host``) sit in a catch-all unit (``core.unplaced``, ``core.external`` or units named in
``from_units``):

* a firm that already has a branch built on it takes its members back;
* a firm whose catch-all members include ``min_full`` (3) or more full members gets its own branch
  (when ``own_branch``);
* the other firms (fewer than 3 full members) are grouped by chamber: the ``chamber`` given, else
  a chamber or association tagged with the firm's ``trade:X`` tag, else the chamber of the firm's
  street or township; a chamber is created (``create_host party.chamber``) where none exists. Firms
  are packed whole, in code order, into branches of at most ``max_members`` members (and at most
  ``max_firms`` firms) built on the chamber.

Coverage (firms whose members are all in a real branch) before and after is in the reasons.
Moving members out of ``core.unplaced`` is allowed; nobody is moved into it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from orgmodel_party import ROLE_TEMPLATES, CommitteeRule, backbone_mask, propose_branch_roles
from pydantic import BaseModel, ConfigDict, Field

from orgmodel import EXTERNAL, UNPLACED, Strategy, UserError, allowed_parent_mask, ancestor_of_kind, ancestor_where

from .limits import MAX_SIZE, MIN_FULL, RuleBound, with_rule_defaults
from .naming import join_names, ordinal
from .packing import Groups, even_parts, merge_small, pack_greedy
from .reach import free_hosts, free_members, free_parent
from .units import AREA_KINDS, name, require_parent, require_unit, tagged, top_orgs_on, unit_values

FIRM_KINDS = ("party.enterprise", "party.social_org")
CHAMBER_KINDS = ("party.chamber", "party.association")
PARENT_KINDS = ("party.working_committee", "party.committee", "party.general_branch")


class TwoNewCoverage(Strategy):
    """Cover small firms' scattered members with branches built on chambers of commerce."""

    name = "two-new-coverage"
    #: Size parameters whose default is a rule of the rules in force (see ``limits``).
    rule_defaults = {"max_members": MAX_SIZE, "min_full": MIN_FULL, "max_firms": RuleBound("joint.max_units", "max")}
    label_zh = "两新组织党建全覆盖"
    label_en = "two-new organisations coverage"
    description = (
        "members of small private firms and social organisations held in catch-all or unplaced units move "
        "into branches built on a chamber of commerce or trade association (or their firm's own branch)"
    )
    templates = {
        "chamber_host": {
            "zh": "为{firms}等{n}家两新组织组建{unit}，把党组织建在商会（协会）上",
            "en": "{unit} is set up for {n} new economic and social organisations ({firms}), to build the party organisation on it",
        },
        "chamber_branch": {
            "zh": "{firms}共{n_firms}家两新组织各不足{min_full}名正式党员，依托{chamber}建立{unit}（{size}名党员，正式{full}名）；两新组织党员全部编入支部的由{before}家增至{after}家（共{with_members}家有党员）{note}",
            "en": "{n_firms} organisations ({firms}) each with fewer than {min_full} full members: {unit} on {chamber} ({size} members, {full} full); organisations whose members are all in a branch: {before} before, {after} after (of {with_members} with members){note_en}",
        },
        "left_short": {
            "zh": "{firm}等{n}家两新组织在综合或托管单位的党员合计仅{full}名正式党员，不足{min_full}名，不能建立党支部，暂留原处，需上级党组织另行安排",
            "en": "{firm} and the other small organisations ({n}) have only {full} full members in catch-all units together,"
                  " fewer than {min_full}: no branch can be founded; they stay where they are and the higher organisation must decide",
        },
        "catch_all_emptied": {
            "zh": "{unit}的{n}名党员全部转入本单位或商会（协会）党支部，该支部不再有党员，予以撤销",
            "en": "all {n} members of {unit} moved to their firm's or a chamber's branch: with no member left it is dissolved",
        },
        "group_emptied": {
            "zh": "{group}的党员全部转出，撤销该党小组",
            "en": "every member of {group} moved out: the group is dissolved",
        },
        "own_branch": {
            "zh": "{firm}有{full}名正式党员（不少于{min_full}名），单独建立{unit}（{size}名党员）；两新组织党员全部编入支部的由{before}家增至{after}家（共{with_members}家有党员）",
            "en": "{firm} has {full} full members (at least {min_full}): its own branch {unit} ({size} members); organisations whose members are all in a branch: {before} before, {after} after (of {with_members} with members)",
        },
        "move_firm": {
            "zh": "{firm}的{n}名党员从{source}转入{unit}",
            "en": "{n} members of {firm} move from {source} into {unit}",
        },
        "back_to_firm": {
            "zh": "{firm}已有{unit}，其{n}名党员从{source}转回本单位支部",
            "en": "{firm} already has {unit}: its {n} members move back from {source}",
        },
        **ROLE_TEMPLATES,
    }

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid")

        chamber: str | None = Field(None, description="chamber of commerce / trade association host all small firms join")
        from_units: list[str] = Field(
            default_factory=list, description="catch-all units whose firm members are re-placed (besides unplaced/external)"
        )
        include_unplaced: bool = Field(True, description="re-place firm members held in core.unplaced units")
        include_external: bool = Field(True, description="re-place firm members held in core.external units")
        include_comprehensive: bool = Field(True, description="re-place firm members held in branches tagged comprehensive"
                                            " (a street's catch-all 综合党支部)")
        firm_kinds: list[str] = Field(default_factory=lambda: list(FIRM_KINDS), description="host kinds that are firms")
        min_full: int | None = Field(None, ge=1, description="a firm with fewer full members is 'small' (joins a chamber"
                                     " branch; default: the rule branch.min_full)")
        max_members: int | None = Field(None, ge=3, description="at most this many members in one chamber branch"
                                        " (default: the rule branch.max_size)")
        max_firms: int | None = Field(None, ge=1, description="at most this many firms in one chamber branch"
                                      " (default: the rule joint.max_units, as a rule 5)")
        own_branch: bool = Field(True, description="firms with min_full or more full members get their own branch")
        propose_roles: bool = Field(True, description="propose a secretary (and from 7 full members, the rule committee.when,"
                                    " a committee of 3, 5 from 25) for each new branch from the members moved into it, backbone first")
        parent: str | None = Field(None, description="organisation unit the new branches sit under (default: the street/township committee)")

    def contract_structures(self, kinds):
        """Small firms and a chamber of commerce, for the contract kit (its baselines have none)."""
        from orgmodel_seed_strategies.examples import firms

        return {"firms": firms(kinds)}

    def propose(self, ctx, params):
        s = ctx.structure
        params = with_rule_defaults(ctx.rules, self.name, params, self.rule_defaults)
        committee = CommitteeRule.from_rules(ctx.rules, strategy=self.name) if params.propose_roles else None
        for k in params.firm_kinds:
            if k not in s.kinds or s.kinds[k].role != "host":
                raise UserError(f"strategy {self.name}: params.firm_kinds: {k!r} is not a host kind")
        for u in params.from_units:
            require_unit(s, self.name, "from_units", u, role="org")
            if not s.kinds.is_branch[s.units.kind[s.unit_code(u)]]:
                raise UserError(f"strategy {self.name}: params.from_units: {u!r} holds no members")
        if params.chamber is not None:
            require_unit(s, self.name, "chamber", params.chamber, kinds=CHAMBER_KINDS)
        if params.parent is not None:
            require_parent(s, self.name, "parent", params.parent, "party.branch")
        is_firm = _of_kinds(s, params.firm_kinds) & ~s.units.dissolved & free_hosts(ctx)
        firms = np.flatnonzero(is_firm)  # in code order
        if not len(firms):
            raise UserError(
                f"strategy {self.name}: params.firm_kinds: no {' or '.join(params.firm_kinds)} host in the step's scope"
            )
        m = s.members
        active = m["active"]
        firm_of = ancestor_of_kind(s, m["home_host"], params.firm_kinds)
        firm_of = np.where((firm_of >= 0) & is_firm[np.maximum(firm_of, 0)] & active, firm_of, -1)
        bkind = s.units.kind[m["branch"]]
        source = np.zeros(len(m), dtype=bool)
        if params.include_unplaced:
            source |= bkind == s.kinds.code(UNPLACED)
        if params.include_external:
            source |= bkind == s.kinds.code(EXTERNAL)
        if params.from_units:
            source |= np.isin(m["branch"], s.unit_codes(params.from_units))
        if params.include_comprehensive:
            source |= tagged(s, ["comprehensive"])[m["branch"]] & s.kinds.is_branch[bkind]
        source &= free_members(ctx)  # moving a member touches the unit they leave
        full = s.full_mask
        n_units = s.n_units
        with_members = np.bincount(firm_of[firm_of >= 0], minlength=n_units)
        uncovered = np.bincount(firm_of[(firm_of >= 0) & (source | _core(s, bkind))], minlength=n_units)
        movers_count = np.bincount(firm_of[(firm_of >= 0) & source], minlength=n_units)
        movers_full = np.bincount(firm_of[(firm_of >= 0) & source & full], minlength=n_units)
        n_with = int((with_members[firms] > 0).sum())
        before = int(((with_members[firms] > 0) & (uncovered[firms] == 0)).sum())
        after = int(((with_members[firms] > 0) & (uncovered[firms] - movers_count[firms] == 0)).sum())
        cov = {"before": before, "after": after, "with_members": n_with, "min_full": params.min_full}
        todo = firms[movers_count[firms] > 0]
        if not len(todo):
            raise UserError(
                f"strategy {self.name}: params.from_units: no member of a firm in scope sits in a catch-all unit"
                " (core.unplaced, core.external or from_units)"
            )
        plan = ctx.plan()
        since = ctx.as_of.isoformat() if isinstance(ctx.as_of, dt.date) else None
        backbone = backbone_mask(s) if params.propose_roles else None

        def roles(ref: str, bname: str, codes: np.ndarray) -> None:
            if committee is not None:
                propose_branch_roles(s, plan, ref, bname, codes, committee=committee, backbone=backbone, since=since)

        mover_firm = np.where(source, firm_of, -1)
        movers = Groups(mover_firm, n_units)  # catch-all members by firm, grouped once
        mover_ids, bounds = m.ids[movers.order].tolist(), movers.offsets.tolist()

        def ids_of(firm: int) -> list[str]:
            return mover_ids[bounds[firm]:bounds[firm + 1]]

        sources = _source_names(s, mover_firm)
        ids, names = s.units.ids, s.units.name
        parents: dict[int, str | None] = {}  # committee code -> the parent checked free
        existing_of = top_orgs_on(s, todo, kinds=("party.branch",))
        committee_of = self._committees(s, todo)
        small: list[int] = []
        for f, existing, above in zip(todo.tolist(), existing_of.tolist(), committee_of.tolist(), strict=True):
            firm_name = str(names[f])
            if existing >= 0:
                mv = ids_of(f)
                plan.move(mv, to=str(ids[existing]), reason=("back_to_firm", {
                    "firm": firm_name, "unit": str(names[existing]), "n": len(mv), "source": sources[f]}))
            elif params.own_branch and movers_full[f] >= params.min_full:
                mv = movers[f]
                fid = str(ids[f])
                if above not in parents:
                    parents[above] = free_parent(ctx, self.name, self._parent(s, params, above, repr(fid)))
                parent = parents[above]
                bname = firm_name + "党支部"
                ref = plan.create_unit(f"firm{f}", kind="party.branch", name=bname, parent=parent, built_on=[fid],
                                       reason=("own_branch", {**cov, "firm": firm_name, "full": int(movers_full[f]),
                                                              "unit": bname, "size": len(mv)}))
                plan.move(ids_of(f), to=ref, reason=("move_firm", {
                    "firm": firm_name, "n": len(mv), "source": sources[f], "unit": bname}))
                roles(ref, bname, mv)
            else:
                small.append(f)
        groups, short = self._chambers(s, params, small, movers_full)
        if short:
            if len(small) == len(todo):  # nothing else to do: refuse, saying why
                raise UserError(
                    f"strategy {self.name}: params.min_full: the small firms' members in catch-all units number"
                    f" {int(movers_full[short].sum())} full members, fewer than {params.min_full}:"
                    " no branch can be founded for them; name the chamber branch or lower min_full"
                )
            n_short = int(movers_full[short].sum())
            for f in short:
                plan.set_attributes(str(ids[f]), attrs={"coverage": "not covered"}, reason=("left_short", {
                    "firm": str(names[f]), "n": len(short), "full": n_short, "min_full": params.min_full}))
        chamber_hosts = [-1 if create and create["parent"] is None else s.unit_code(create["parent"] if create else chamber)
                         for chamber, create, _, _ in groups]
        chamber_committees = self._committees(s, np.asarray(chamber_hosts, dtype=np.int64)).tolist()
        for gi, (chamber, create, firms_g, folded) in enumerate(groups):
            chamber_ref = chamber
            chamber_name = create["name"] if create else name(s, chamber)
            if create:
                chamber_ref = plan.create_host(f"chamber{gi}", kind="party.chamber", name=create["name"],
                                               parent=create["parent"], tags=create["tags"],
                                               reason=("chamber_host", {"unit": create["name"], "n": len(firms_g),
                                                                        "firms": join_names([str(names[f]) for f in firms_g])}))
            parent = free_parent(ctx, self.name, self._parent(s, params, chamber_committees[gi], "the chamber"))
            note = self._fold_note(folded, params.min_full)  # the same for every branch of the chamber
            chunks = self._chunks(movers_count[firms_g].tolist(), movers_full[firms_g].tolist(), params)
            for ci, chunk in enumerate(chunks):
                fs = [firms_g[i] for i in chunk]
                codes = np.concatenate([movers[f] for f in fs])
                bname = chamber_name + ("联合党支部" if len(chunks) == 1 else f"{ordinal(ci + 1)}联合党支部")
                ref = plan.create_unit(f"chamber{gi}b{ci}", kind="party.branch", name=bname, parent=parent,
                                       built_on=[chamber_ref], attrs={"firms": len(fs)},
                                       reason=("chamber_branch", {**cov, "firms": join_names([str(names[f]) for f in fs]),
                                                                  "n_firms": len(fs), "chamber": chamber_name, "unit": bname,
                                                                  "size": len(codes), "full": int(full[codes].sum()),
                                                                  **note}))
                for f in fs:
                    mv = ids_of(f)
                    plan.move(mv, to=ref, reason=("move_firm", {
                        "firm": str(names[f]), "n": len(mv), "source": sources[f], "unit": bname}))
                roles(ref, bname, codes)
        placed = np.zeros(n_units, dtype=bool)  # firms whose members leave the catch-all units
        placed[todo] = True
        placed[short] = False
        self._dissolve_emptied(s, plan, (mover_firm >= 0) & placed[np.maximum(mover_firm, 0)])
        return plan.build()

    @staticmethod
    def _chunks(weights: list[int], fulls: list[int], params) -> list[list[int]]:
        """Firms (in order) into chamber branches within ``max_members`` and ``max_firms``, each with
        ``min_full`` full members: as many even parts as the greedy packing needs when they fit,
        so that a short remainder does not push a branch over ``max_firms``.

        >>> class P: max_members, max_firms, min_full = 50, 5, 3
        >>> TwoNewCoverage._chunks([1] * 6, [1] * 6, P)
        [[0, 1, 2], [3, 4, 5]]
        """
        greedy = merge_small(pack_greedy(weights, params.max_members, params.max_firms), fulls, params.min_full)
        k = len(pack_greedy(weights, params.max_members, params.max_firms))
        parts = [p.tolist() for p in even_parts(range(len(weights)), k)]
        if all(sum(weights[i] for i in p) <= params.max_members and len(p) <= params.max_firms
               and sum(fulls[i] for i in p) >= params.min_full for p in parts):
            return parts
        return greedy

    @staticmethod
    def _fold_note(folded: list[tuple[str, int]], min_full: int) -> dict[str, str]:
        if not folded:
            return {"note": "", "note_en": ""}
        zh = "、".join(f"{t}类（正式党员{n}名）" for t, n in folded)
        en = ", ".join(f"{t} ({n} full)" for t, n in folded)
        return {"note": f"；{zh}不足{min_full}名正式党员，不单独组建商会和支部，编入本支部",
                "note_en": f"; {en}: fewer than {min_full} full members, so no chamber or branch of their own: they join this one"}

    @staticmethod
    def _dissolve_emptied(s, plan, leaving: np.ndarray) -> None:
        """A catch-all branch left with no active member (and no unit under it but groups) is dissolved,
        its emptied groups first; one that keeps members (other than firm members) stays."""
        active = s.members["active"]
        branch = s.members["branch"]
        left = np.bincount(branch[leaving], minlength=s.n_units)
        stays = np.bincount(branch[active & ~leaving], minlength=s.n_units)
        for b in np.flatnonzero((left > 0) & (stays == 0)).tolist():
            if not s.kinds.is_branch[s.units.kind[b]]:
                continue
            bid = str(s.units.ids[b])
            if s.kind_of(bid) in (UNPLACED, EXTERNAL):
                continue
            children = s.child_codes(b).tolist()
            if any(not s.kinds.is_group[s.units.kind[c]] for c in children):
                continue
            for c in children:
                plan.dissolve(str(s.units.ids[c]), reason=("group_emptied", {"group": str(s.units.name[c])}))
            plan.dissolve(bid, reason=("catch_all_emptied", {"unit": str(s.units.name[b]), "n": int(left[b])}))

    # -- helpers ------------------------------------------------------------------------------

    def _chambers(self, s, params, firms: list[int], movers_full: np.ndarray):
        """Groups of small firms (unit codes), (existing chamber id or None, what to create or None,
        firms, folded), and the firms left where they are.

        A group whose firms together have fewer than ``min_full`` full members founds no chamber and
        no branch (branch.min_full: 正式党员3人以上的…成立党支部): it is folded into the group with the
        most full members (``folded`` lists the trade and its full members). When all small firms
        together stay below ``min_full`` they are left where they are (the second value).
        """
        if not firms:
            return [], []
        groups = self._chamber_groups(s, params, firms)
        total = [int(movers_full[g[2]].sum()) for g in groups]
        if sum(total) < params.min_full:
            return [], list(firms)
        out = [(c, create, fs, []) for c, create, fs in groups]
        short = [i for i, n in enumerate(total) if n < params.min_full]
        if short and len(short) < len(out):
            host = max((i for i in range(len(out)) if i not in short), key=lambda i: (total[i], -i))
            for i in short:
                c, create, fs, _ = out[i]
                label = create["name"] if create else name(s, c)
                out[host][3].append((label.removesuffix("商会"), total[i]))
                out[host][2].extend(fs)
            out = [g for i, g in enumerate(out) if i not in short]
        elif short:  # every group is short: all of them join the first
            first = out[0]
            for (c, create, fs, _), n in zip(out[1:], total[1:], strict=True):
                first[3].append(((create["name"] if create else name(s, c)).removesuffix("商会"), n))
                first[2].extend(fs)
            out = [first]
        return out, []

    def _chamber_groups(self, s, params, firms: list[int]) -> list[tuple[str | None, dict | None, list[int]]]:
        """Groups of small firms (unit codes) by chamber: (existing chamber id or None, what to create or None, firms)."""
        if params.chamber is not None:
            return [(params.chamber, None, list(firms))]
        ids = s.units.ids
        chambers = np.flatnonzero(_of_kinds(s, CHAMBER_KINDS) & ~s.units.dissolved)  # in code order
        by_trade: dict[str, int] = {}
        untraded: dict[int, int] = {}  # parent code -> the first chamber with no trade under it (code order)
        for c, t in zip(chambers.tolist(), unit_values(s, chambers, "trade"), strict=True):
            if t is not None and str(t) not in by_trade:
                by_trade[str(t)] = c
            if t is None:
                untraded.setdefault(int(s.units.parent[c]), c)
        area_of = dict(zip(firms, ancestor_of_kind(s, firms, AREA_KINDS).tolist(), strict=True))
        groups: dict[tuple, list[int]] = {}
        for f, trade in zip(firms, unit_values(s, firms, "trade"), strict=True):
            key = ("trade", str(trade)) if trade is not None else ("area", area_of[f])
            groups.setdefault(key, []).append(f)
        out = []
        for key, fs in groups.items():  # in the order of their first firm
            if key[0] == "trade":
                trade = key[1]
                if trade in by_trade:
                    out.append((str(ids[by_trade[trade]]), None, fs))
                    continue
                areas = sorted({area_of[f] for f in fs})
                parent = str(ids[areas[0]]) if len(areas) == 1 and areas[0] >= 0 else None
                out.append((None, {"name": f"{trade}商会", "parent": parent, "tags": [f"trade:{trade}"]}, fs))
            else:
                a = key[1]
                if a < 0:
                    out.append((None, {"name": "两新组织联合商会", "parent": None, "tags": []}, fs))
                    continue
                existing = untraded.get(a)
                if existing is not None:
                    out.append((str(ids[existing]), None, fs))
                else:
                    out.append((None, {"name": f"{name(s, str(ids[a]))}商会", "parent": str(ids[a]), "tags": []}, fs))
        return out

    @staticmethod
    def _committees(s, hosts: np.ndarray) -> np.ndarray:
        """Per host code (-1: none), the committee of the nearest street or township at or above it
        that may hold a branch (the highest of its committees built on it); -1 where none. One walk
        up for every host."""
        areas = np.flatnonzero(_of_kinds(s, AREA_KINDS))
        top = top_orgs_on(s, areas, kinds=PARENT_KINDS)
        ok = top >= 0
        ok[ok] = allowed_parent_mask(s, "party.branch")[top[ok]]
        committee_at = np.full(s.n_units, -1, dtype=np.int64)
        committee_at[areas[ok]] = top[ok]
        found = ancestor_where(s, hosts, committee_at >= 0)
        return np.where(found >= 0, committee_at[np.maximum(found, 0)], -1)

    def _parent(self, s, params, committee: int, what: str) -> str:
        """``params.parent``, else the committee found (a code from :meth:`_committees`); a UserError
        naming ``what`` when there is none."""
        if params.parent is not None:
            return params.parent
        if committee < 0:
            raise UserError(
                f"strategy {self.name}: params.parent: no street or township committee found above {what}; name the parent"
            )
        return str(s.units.ids[committee])


def _of_kinds(s, kinds) -> np.ndarray:
    """Per unit code: the unit is of one of ``kinds``."""
    wanted = np.zeros(len(s.kinds), dtype=bool)
    wanted[[s.kinds.code(k) for k in kinds]] = True
    return wanted[s.units.kind]


def _source_names(s, mover_firm: np.ndarray) -> dict[int, str]:
    """Firm code -> the names of the units its movers leave (sorted, joined), from one sort of the
    (firm, branch) pairs; firms leaving the same units share the text."""
    rows = np.flatnonzero(mover_firm >= 0)
    pairs = np.unique(mover_firm[rows] * np.int64(s.n_units) + s.members["branch"][rows])
    firm, branch = np.divmod(pairs, s.n_units)
    starts = np.flatnonzero(np.r_[True, firm[1:] != firm[:-1]]).tolist()
    firms, branches, names = firm.tolist(), branch.tolist(), s.units.name
    texts: dict[tuple[int, ...], str] = {}
    out: dict[int, str] = {}
    for lo, hi in zip(starts, [*starts[1:], len(firms)], strict=True):
        key = tuple(branches[lo:hi])
        if key not in texts:
            texts[key] = join_names(sorted({str(names[b]) for b in key}))
        out[firms[lo]] = texts[key]
    return out


def _core(s, bkind: np.ndarray) -> np.ndarray:
    return (bkind == s.kinds.code(UNPLACED)) | (bkind == s.kinds.code(EXTERNAL))
