"""产业党支部: an industry branch on an association spanning villages, with dual participation (seed 003).

The seed: several villages grow the same melon; the township sets up a melon-growers' association
and "builds the branch on the industry"; members keep their organisational relation in their
village branch (党员关系保留在村党支部上) and take part in both the village branch's and the
industry's activities.

Per DESIGN decision 2 a unit that holds no relation is sized from ``participates_in``: the
industry unit is a ``party.industry_branch`` (产业党支部, a kind of the party pack that holds no
relation) tagged ``industry``, built on the association host, named ``{association}党支部``;
members are added with ``add_participation`` and nobody moves. A ``party.branch`` would be
member-holding (and counted as a branch with 0 members by the rules), a ``party.general_branch``
is sized from its subtree (0) and would trip general_branch.when.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from orgmodel_party import ROLE_TEMPLATES, CommitteeRule, backbone_mask, propose_branch_roles
from pydantic import BaseModel, ConfigDict, Field

from orgmodel import Strategy, UserError, ancestor_of_kind, common_ancestor, first_allowed_ancestor

from .naming import join_names
from .reach import free_hosts, free_parent
from .units import AREA_KINDS, area_committee, name, require_parent, require_unit

KIND = "party.industry_branch"


class IndustryBranch(Strategy):
    """An industry unit on an association: members take part without moving their relation."""

    name = "industry-branch"
    label_zh = "产业党支部"
    label_en = "industry branch"
    description = (
        "an industry unit (party.industry_branch tagged industry) built on an association; members who "
        "take part in the association, or are chosen by a member column, participate in it and keep their "
        "village relation (dual participation)"
    )
    templates = {
        **ROLE_TEMPLATES,
        "industry_unit": {
            "zh": "依托{association}建立{unit}（产业党支部），由{parent}领导；{n}名党员参加，分别来自{villages}（{n_branches}个支部），组织关系仍保留在原支部，双重参加组织生活",
            "en": "{unit} (industry branch) on {association} under {parent}: {n} members from {n_branches} branches ({villages}) take part; their relation stays in their own branch (dual participation)",
        },
        "industry_participants": {
            "zh": "{n}名党员参加{unit}（{detail}）；无人转移组织关系",
            "en": "{n} members take part in {unit} ({detail_en}); nobody's relation moves",
        },
        "industry_secretary": {
            "zh": "{person}任{unit}书记",
            "en": "{person} is the secretary of {unit}",
        },
    }

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid")

        association: str | None = Field(
            None,
            description="the association host (normally a party.association; any host kind is accepted); "
            "default: every party.association in scope",
        )
        member_column: str | None = Field(None, description="member column choosing participants, e.g. occupation")
        member_value: str | int | float | bool | None = Field(
            None, description="members whose member_column equals this take part (None: a true/non-empty value)"
        )
        members: list[str] = Field(default_factory=list, description="member ids that take part in any case")
        from_participation: bool = Field(True, description="members taking part in the association host take part")
        parent: str | None = Field(
            None, description="organisation unit the industry unit sits under (default: the township committee)"
        )
        unit_name: str | None = Field(None, description="name of the industry unit (one association only)")
        secretary: str | None = Field(None, description="person holding the secretary role (member id or outside person)")
        propose_roles: bool = Field(True, description="when no secretary is given, propose one (and from 7 full members, the rule"
                                    " committee.when, a committee of 3, 5 from 25) from the participants, backbone first")

    contract_params = ({"association": "t0"},)  # a team of the contract baselines stands in for one

    def propose(self, ctx, params):
        s = ctx.structure
        if params.association is not None:
            require_unit(s, self.name, "association", params.association, role="host")
            associations = [params.association]
        else:
            hosts_free = free_hosts(ctx)
            associations = [a for a in s.unit_ids("party.association") if hosts_free[s.unit_code(a)]]
            if not associations:
                raise UserError(
                    f"strategy {self.name}: params.association: no party.association host in the step's scope; name one"
                )
        if len(associations) > 1 and (params.unit_name or params.secretary or params.members or params.member_column):
            raise UserError(
                f"strategy {self.name}: params.association: unit_name, secretary, members and member_column"
                f" need one association (found {len(associations)})"
            )
        if params.member_column is not None and params.member_column not in s.members.columns:
            raise UserError(f"strategy {self.name}: params.member_column: no member column {params.member_column!r}")
        if params.parent is not None:
            require_parent(s, self.name, "parent", params.parent, KIND)
        try:
            explicit = s.member_codes(params.members) if params.members else np.empty(0, dtype=np.int32)
        except UserError as exc:
            raise UserError(f"strategy {self.name}: params.members: {exc}") from None
        in_scope_members = ctx.scope.member_mask(s)  # members whose branch is in the step's scope
        by_column = self._by_column(s, params)
        plan = ctx.plan()
        committee = (CommitteeRule.from_rules(ctx.rules, strategy=self.name)
                     if params.propose_roles and not params.secretary else None)
        backbone = backbone_mask(s) if committee is not None else None
        since = ctx.as_of.isoformat() if isinstance(ctx.as_of, dt.date) else None
        # looked up once for every association: each unit's village, each association's area committee
        village_of = ancestor_of_kind(s, np.arange(s.n_units), ["party.village"])
        committees = self._area_committees(s, associations) if params.parent is None else {}
        made = 0
        for i, assoc in enumerate(associations):
            from_host = s.participant_codes(assoc) if params.from_participation else np.empty(0, dtype=np.int64)
            active = s.members["active"]
            from_host = from_host[active[from_host] & in_scope_members[from_host]]
            col = by_column[in_scope_members[by_column]]
            codes = np.unique(np.concatenate([from_host, col, explicit]).astype(np.int64))
            codes = codes[active[codes]]
            if not len(codes):
                if params.association is not None:
                    raise UserError(
                        f"strategy {self.name}: params.association: nobody takes part in {params.association!r};"
                        " give member_column or members"
                    )
                continue
            parent = free_parent(ctx, self.name, params.parent or self._parent(s, assoc, codes, committees.get(assoc)))
            branches = np.unique(s.members["branch"][codes])
            villages = self._villages(s, codes, branches, village_of)
            unit_name = params.unit_name or (name(s, assoc) + "党支部")
            reason = ("industry_unit", {
                "association": name(s, assoc), "unit": unit_name, "parent": name(s, parent) if parent else "—",
                "n": len(codes), "villages": villages, "n_branches": len(branches),
            })
            ref = plan.create_unit(f"industry{i}", kind=KIND, name=unit_name, parent=parent, built_on=[assoc],
                                   tags=["industry"], reason=reason)
            column = f"{params.member_column}={params.member_value}" if params.member_value is not None else str(params.member_column)
            parts = [(len(from_host), f"{len(from_host)}名参加{name(s, assoc)}", f"{len(from_host)} take part in {name(s, assoc)}"),
                     (len(col), f"{len(col)}名按{column}选定", f"{len(col)} chosen by {column}"),
                     (len(explicit), f"{len(explicit)}名由参数指定", f"{len(explicit)} named")]
            plan.add_participation(s.members.ids[codes].tolist(), unit=ref, reason=("industry_participants", {
                "n": len(codes), "unit": unit_name,
                "detail": "，".join(zh for k, zh, _ in parts if k), "detail_en": ", ".join(en for k, _, en in parts if k),
            }))
            if params.secretary:
                plan.set_role(ref, role="secretary", person=params.secretary,
                              reason=("industry_secretary", {"person": params.secretary, "unit": unit_name}))
            elif committee is not None:
                propose_branch_roles(s, plan, ref, unit_name, codes, committee=committee, backbone=backbone, since=since)
            made += 1
        if not made:
            raise UserError(f"strategy {self.name}: params.association: no association in scope has participants")
        return plan.build()

    # -- helpers ------------------------------------------------------------------------------

    def _by_column(self, s, params) -> np.ndarray:
        if params.member_column is None:
            return np.empty(0, dtype=np.int64)
        values = s.members.columns[params.member_column]
        if params.member_value is None:
            keep = np.array([bool(v) and v == v for v in values.tolist()], dtype=bool)
        else:
            want = params.member_value
            keep = np.array([v is not None and v == v and (str(v) == str(want) if isinstance(want, str) or isinstance(v, str) else v == want)
                             for v in values.tolist()], dtype=bool)
        return np.flatnonzero(keep & s.members["active"])

    @staticmethod
    def _area_committees(s, associations: list[str]) -> dict[str, str | None]:
        """Each association's area committee (as ``area_committee``), its area found in one pass and
        each area's committee looked up once."""
        areas = ancestor_of_kind(s, s.unit_codes(associations), AREA_KINDS) if associations else np.zeros(0, int)
        first: dict[int, str] = {}
        for assoc, area in zip(associations, areas.tolist(), strict=True):
            first.setdefault(area, assoc)
        found = {area: area_committee(s, assoc, KIND) if area >= 0 else None for area, assoc in first.items()}
        return {assoc: found[area] for assoc, area in zip(associations, areas.tolist(), strict=True)}

    def _parent(self, s, assoc: str, codes: np.ndarray, committee: str | None = None) -> str | None:
        """The committee on the association's township/street (``committee`` when already looked up),
        else the nearest common ancestor of the participants' branches."""
        if committee is None:
            committee = area_committee(s, assoc, KIND)
        if committee is not None:
            return committee
        branches = sorted(set(s.units.ids[np.unique(s.members["branch"][codes])].tolist()), key=s.unit_code)
        found = first_allowed_ancestor(s, common_ancestor(s, branches), KIND)
        if found is None:
            raise UserError(
                f"strategy {self.name}: params.parent: no common committee above the participants of {assoc!r}; name one"
            )
        return found

    def _villages(self, s, codes: np.ndarray, branches: np.ndarray, village_of: np.ndarray) -> str:
        """Names of the participants' villages (by home host; ``village_of``: each unit's village), else of their branches."""
        home = s.members["home_host"][codes]
        village = np.where(home >= 0, village_of[np.maximum(home, 0)], -1)
        known = np.unique(village[village >= 0])
        if len(known):
            return join_names([name(s, str(s.units.ids[int(v)])) for v in known])
        return join_names([str(s.units.name[int(b)]) for b in branches])
