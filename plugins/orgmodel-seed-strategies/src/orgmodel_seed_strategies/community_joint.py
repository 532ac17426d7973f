"""社区联合党组织: a community joint organisation (seed 003).

The seed: an area around a village is to become a community; the district joins the community
service-centre branch, the village branches it serves and other organisations of the area under a
community general branch (or committee) that guides and coordinates their party work.

The plan creates the coordinating unit (a ``party.general_branch`` or ``party.committee`` tagged
``alliance``, built on the community host or the villages) and links every joined organisation to
it with ``link_alliance``: their subordination is unchanged and nobody moves. Optionally the
service-centre branch is attached under the new unit (it is the community's own branch).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from orgmodel import Strategy, UserError, ancestors, common_ancestor, first_allowed_ancestor, units_under_host

from .naming import join_names
from .reach import free_parent, free_units, require_free
from .units import (
    area_committee,
    name,
    require_parent,
    require_unit,
    top_org_on_host,
    village_organisations,
)

KINDS = {"general_branch": "party.general_branch", "committee": "party.committee"}


class CommunityJoint(Strategy):
    """A community general branch (or committee) coordinating the service-centre branch and the villages it serves."""

    name = "community-joint"
    label_zh = "社区联合党组织"
    label_en = "community joint organisation"
    description = (
        "a community general branch or committee tagged alliance joining the service-centre branch, the "
        "village organisations it serves and other organisations of the area by allied_with; subordination kept"
    )
    templates = {
        "community_unit": {
            "zh": "{area}向社区化发展，组建{unit}，联合{service}{n_villages}个村党组织（{villages}）{others}，指导协调区域内党建工作；共涉及{members}名党员，组织关系不变",
            "en": "{area} is becoming a community: {unit} joins {service_en}{n_villages} village organisations ({villages}){others_en} to guide and coordinate party work; {members} members, nobody's relation moves",
        },
        "community_ally": {
            "zh": "{unit}（{size}名党员）加入{coordinator}，保留原隶属关系（隶属{parent}）",
            "en": "{unit} ({size} members) joins {coordinator} and keeps its subordination (under {parent})",
        },
        "community_attach": {
            "zh": "{unit}是社区服务中心党支部（{size}名党员），改隶{coordinator}",
            "en": "{unit} is the service-centre branch ({size} members) and is placed under {coordinator}",
        },
        "community_secretary": {
            "zh": "{person}任{unit}书记",
            "en": "{person} is the secretary of {unit}",
        },
    }

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid")

        community: str | None = Field(
            None, description="the community (or township) host the organisation is set up for"
        )
        villages: list[str] | None = Field(
            None, description="village host ids or village organisation ids (default: villages under or next to the community)"
        )
        service_centre: str | None = Field(
            None, description="service-centre host or its branch (default: a party.service_centre under the community)"
        )
        others: list[str] = Field(default_factory=list, description="other organisation units of the area to join")
        as_kind: Literal["general_branch", "committee"] = Field(
            "general_branch", description="the coordinating unit: a community general branch or committee"
        )
        parent: str | None = Field(None, description="parent of the coordinating unit (default: the township/street committee)")
        attach_service_centre: bool = Field(
            False, description="put the service-centre branch under the new unit instead of allying it"
        )
        coordinator_name: str | None = Field(None, description="name of the coordinating unit")
        secretary: str | None = Field(None, description="person holding the secretary role (member id or outside person)")

    contract_params = ({"villages": ["h0", "h1", "h2"]},)  # the villages of the contract baselines

    def propose(self, ctx, params):
        s = ctx.structure
        kind = KINDS[params.as_kind]
        if params.community is not None:
            require_unit(s, self.name, "community", params.community, role="host")
        if params.community is None and params.villages is None:
            raise UserError(f"strategy {self.name}: params.community: give the community host or the villages")
        villages = self._villages(ctx, params)
        service_org, service_host = self._service_centre(s, params)
        others = []
        for uid in params.others:
            require_unit(s, self.name, "others", uid, role="org")
            others.append(uid)
        joined = [o for o, _ in villages] + ([service_org] if service_org else []) + others
        dup = sorted({o for o in joined if joined.count(o) > 1})
        if dup:
            raise UserError(f"strategy {self.name}: params.villages: organisation {dup[0]!r} is joined twice")
        if len(joined) < 2:
            raise UserError(
                f"strategy {self.name}: params.villages: a joint organisation needs at least 2 organisations (found {len(joined)})"
            )
        parent = free_parent(ctx, self.name, self._parent(s, params, kind, joined))
        for o in joined:  # each joined organisation is linked to (or attached under) the new unit
            require_free(ctx, self.name, "villages", o)
        if params.attach_service_centre:
            if service_org is None:
                raise UserError(f"strategy {self.name}: params.attach_service_centre: no service-centre branch found")
            allowed = s.kinds[s.kind_of(service_org)].allowed_parents
            if allowed is not None and kind not in allowed:
                raise UserError(
                    f"strategy {self.name}: params.attach_service_centre: a {s.kind_of(service_org)} cannot sit under a {kind}"
                )
            if parent is not None and service_org in ancestors(s, parent):
                raise UserError(
                    f"strategy {self.name}: params.attach_service_centre: the service centre {service_org!r} is above the new unit's parent"
                )
        area_host = params.community
        area_name = name(s, area_host) if area_host else join_names([name(s, h) for _, h in villages if h] or [name(s, o) for o, _ in villages])
        suffix = "社区联合党总支" if kind == "party.general_branch" else "社区联合党委"
        base = area_name[:-2] if area_name.endswith("社区") else area_name
        unit_name = params.coordinator_name or (base + suffix)
        built_on = [area_host] if area_host else [h for _, h in villages if h]
        members = sum(s.size(o, subtree=True) for o in joined)
        n_other = len(others)
        reason = ("community_unit", {
            "area": area_name, "unit": unit_name,
            "service": f"{name(s, service_org)}和" if service_org else "",
            "service_en": f"{name(s, service_org)} and " if service_org else "",
            "n_villages": len(villages), "villages": join_names([name(s, o) for o, _ in villages]),
            "others": f"及{n_other}个其他党组织" if n_other else "",
            "others_en": f" and {n_other} other organisations" if n_other else "",
            "members": members,
        })
        plan = ctx.plan()
        coord = plan.create_unit("community", kind=kind, name=unit_name, parent=parent, built_on=built_on,
                                 tags=["alliance"], reason=reason)
        if params.secretary:
            plan.set_role(coord, role="secretary", person=params.secretary,
                          reason=("community_secretary", {"person": params.secretary, "unit": unit_name}))
        for o in joined:
            if params.attach_service_centre and o == service_org:
                plan.attach(o, parent=coord, reason=("community_attach", {
                    "unit": name(s, o), "size": s.size(o, subtree=True), "coordinator": unit_name}))
                continue
            p = s.parent(o)
            plan.link_alliance(o, coordinator=coord, reason=("community_ally", {
                "unit": name(s, o), "size": s.size(o, subtree=True), "coordinator": unit_name,
                "parent": name(s, p) if p else "—"}))
        return plan.build()

    # -- helpers ------------------------------------------------------------------------------

    def _villages(self, ctx, params) -> list[tuple[str, str | None]]:
        s = ctx.structure
        free = free_units(ctx)
        out: list[tuple[str, str | None]] = []
        if params.villages is not None:
            out.extend(village_organisations(s, self.name, params.villages))
            return out
        hosts = units_under_host(s, params.community, ["party.village"])
        if not hosts:
            hosts = sorted((h for h in s.adjacent(params.community) if s.kind_of(h) == "party.village"), key=s.unit_code)
        for h in hosts:
            org = top_org_on_host(s, h)
            if org is not None and free[s.unit_code(org)]:  # in the step's scope and not locked
                out.append((org, h))
        if not out:
            raise UserError(
                f"strategy {self.name}: params.villages: no village organisation under or next to {params.community!r}; name them"
            )
        return out

    def _service_centre(self, s, params) -> tuple[str | None, str | None]:
        if params.service_centre is not None:
            uid = params.service_centre
            require_unit(s, self.name, "service_centre", uid)
            if s.kinds[s.kind_of(uid)].role == "host":
                require_unit(s, self.name, "service_centre", uid, kinds=("party.service_centre",))
                org = top_org_on_host(s, uid)
                if org is None:
                    raise UserError(f"strategy {self.name}: params.service_centre: {uid!r} has no party organisation")
                return org, uid
            return uid, None
        if params.community is None:
            return None, None
        for h in units_under_host(s, params.community, ["party.service_centre"]):
            org = top_org_on_host(s, h)
            if org is not None:
                return org, h
        return None, None

    def _parent(self, s, params, kind, joined) -> str | None:
        if params.parent is not None:
            require_parent(s, self.name, "parent", params.parent, kind)
            return params.parent
        committee = area_committee(s, params.community, kind) if params.community is not None else None
        if committee is not None:
            return committee
        found = first_allowed_ancestor(s, common_ancestor(s, joined), kind)
        if found is None:
            raise UserError(f"strategy {self.name}: params.parent: no committee above the joined organisations; name one")
        return found

