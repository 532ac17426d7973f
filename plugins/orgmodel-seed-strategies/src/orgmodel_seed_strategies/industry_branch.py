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
from .units import area_committees, name, require_parent, require_unit

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
        col = by_column[in_scope_members[by_column]]
        plan = ctx.plan()
        committee = (CommitteeRule.from_rules(ctx.rules, strategy=self.name)
                     if params.propose_roles and not params.secretary else None)
        backbone = backbone_mask(s) if committee is not None else None
        since = ctx.as_of.isoformat() if isinstance(ctx.as_of, dt.date) else None
        n = len(associations)
        assoc_codes = s.unit_codes(associations)
        owner, member, from_host = self._participants(s, params, assoc_codes, in_scope_members,
                                                      np.concatenate([col, explicit]).astype(np.int64))
        offsets = np.searchsorted(owner, np.arange(n + 1)).tolist()
        n_branches, villages = self._origins(s, owner, member, n)
        committees = area_committees(s, assoc_codes, KIND) if params.parent is None else np.full(n, -1)
        made = 0
        for i, assoc in enumerate(associations):
            codes = member[offsets[i]:offsets[i + 1]]
            if not len(codes):
                if params.association is not None:
                    raise UserError(
                        f"strategy {self.name}: params.association: nobody takes part in {params.association!r};"
                        " give member_column or members"
                    )
                continue
            found = str(s.units.ids[committees[i]]) if committees[i] >= 0 else None
            parent = free_parent(ctx, self.name, params.parent or self._parent(s, assoc, codes, found))
            unit_name = params.unit_name or (name(s, assoc) + "党支部")
            reason = ("industry_unit", {
                "association": name(s, assoc), "unit": unit_name, "parent": name(s, parent) if parent else "—",
                "n": len(codes), "villages": villages[i], "n_branches": n_branches[i],
            })
            ref = plan.create_unit(f"industry{i}", kind=KIND, name=unit_name, parent=parent, built_on=[assoc],
                                   tags=["industry"], reason=reason)
            column = f"{params.member_column}={params.member_value}" if params.member_value is not None else str(params.member_column)
            parts = [(from_host[i], f"{from_host[i]}名参加{name(s, assoc)}", f"{from_host[i]} take part in {name(s, assoc)}"),
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
    def _participants(s, params, assoc_codes: np.ndarray, in_scope: np.ndarray,
                      extra: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """Each association's participants, as (association index, member code) rows sorted by both:
        the active members in scope taking part in the association host (``from_participation``)
        and ``extra`` (chosen by column or named), active ones only; and per association how many
        came from the host. One grouping of the participation edges for every association."""
        n = len(assoc_codes)
        slot = np.full(s.n_units, -1, dtype=np.int64)
        slot[assoc_codes] = np.arange(n)
        edges = s.participation
        owner = slot[edges.dst] if params.from_participation else np.empty(0, dtype=np.int64)
        rows = np.flatnonzero(owner >= 0)
        owner, member = owner[rows], np.asarray(edges.src, dtype=np.int64)[rows]
        active = s.members["active"]
        keep = active[member] & in_scope[member]
        owner, member = owner[keep], member[keep]
        from_host = np.bincount(owner, minlength=n).tolist()
        owner = np.concatenate([owner, np.repeat(np.arange(n), len(extra))])
        member = np.concatenate([member, np.tile(extra, n)])
        pairs = np.unique(owner * np.int64(s.n_members) + member)  # a member counted once per association
        owner, member = np.divmod(pairs, s.n_members)
        keep = active[member]
        return owner[keep], member[keep], from_host

    @staticmethod
    def _origins(s, owner: np.ndarray, member: np.ndarray, n: int) -> tuple[list[int], list[str]]:
        """Per association: how many branches its participants come from, and the names of their
        villages (by home host), else of those branches; from one sort of the (association, unit) pairs."""
        branch_pairs = np.unique(owner * np.int64(s.n_units) + s.members["branch"][member])
        branch_owner, branch = np.divmod(branch_pairs, s.n_units)
        home = s.members["home_host"][member]
        village = ancestor_of_kind(s, home, ["party.village"])
        known = village >= 0
        village_pairs = np.unique(owner[known] * np.int64(s.n_units) + village[known])
        village_owner, village = np.divmod(village_pairs, s.n_units)
        by_branch = np.searchsorted(branch_owner, np.arange(n + 1)).tolist()
        by_village = np.searchsorted(village_owner, np.arange(n + 1)).tolist()
        names = s.units.name
        counts, texts = [], []
        for i in range(n):
            villages = village[by_village[i]:by_village[i + 1]]
            shown = villages if len(villages) else branch[by_branch[i]:by_branch[i + 1]]
            counts.append(by_branch[i + 1] - by_branch[i])
            texts.append(join_names([str(v) for v in names[shown].tolist()]))
        return counts, texts

    def _parent(self, s, assoc: str, codes: np.ndarray, committee: str | None) -> str:
        """``committee`` (the one on the association's township or street, None when it has none),
        else the nearest unit above the participants' branches that may hold the industry unit."""
        if committee is not None:
            return committee
        branches = sorted(set(s.units.ids[np.unique(s.members["branch"][codes])].tolist()), key=s.unit_code)
        found = first_allowed_ancestor(s, common_ancestor(s, branches), KIND)
        if found is None:
            raise UserError(
                f"strategy {self.name}: params.parent: no common committee above the participants of {assoc!r}; name one"
            )
        return found
