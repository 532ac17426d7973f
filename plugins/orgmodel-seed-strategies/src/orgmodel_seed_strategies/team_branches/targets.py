"""Which branches ``team-branches`` acts on: residential branches over the threshold, within the step's scope and not locked."""

from __future__ import annotations

from typing import Any

from orgmodel import ancestor_codes

from ..reach import free_to_rebuild, free_units

from .params import Params

__all__ = ["targets", "BRANCH", "GENERAL_BRANCH", "SPECIAL_TAGS"]

BRANCH = "party.branch"
GENERAL_BRANCH = "party.general_branch"
AREA = "party.residential_area"
#: Tags of branches that are already the result of a restructuring and are never upgraded.
SPECIAL_TAGS = ("team", "comprehensive", "industry", "category:retired", "category:young", "category:mobile")


def targets(ctx: Any, params: Params) -> list[str]:
    """The branches to upgrade: above ``params.threshold`` members, residential (built on a residential
    area or a host inside one) or named in the step's scope, and free to change: the branch and its
    groups in the step's scope and not locked, and its parent too when the new branches must go beside
    it (a parent that cannot hold a general branch)."""
    s = ctx.structure
    sizes = s.sizes()
    free = free_units(ctx)
    rebuildable = free_to_rebuild(ctx, parent=False)
    named = set(ctx.scope.units)
    area_kind = s.kinds.code(AREA)
    holds_general = s.kinds[GENERAL_BRANCH].allowed_parents

    def residential(host: str) -> bool:
        return bool((s.units.kind[ancestor_codes(s, s.unit_code(host))] == area_kind).any())

    def beside_ok(code: int) -> bool:
        parent = int(s.units.parent[code])
        if parent < 0 or free[parent] or holds_general is None:
            return True
        return s.kinds[int(s.units.kind[parent])].id in holds_general

    out = []
    special = set(SPECIAL_TAGS)
    for b in s.unit_ids(BRANCH):
        code = s.unit_code(b)
        if sizes[code] <= params.threshold or not rebuildable[code] or not special.isdisjoint(s.units.tags[code]):
            continue
        if (b in named or any(residential(h) for h in s.built_on(b))) and beside_ok(code):
            out.append(b)
    return out
