"""Which branches ``team-branches`` acts on: residential branches over the threshold, within the scope."""

from __future__ import annotations

from typing import Any

from orgmodel import UserError, ancestor_codes

from .params import Params

__all__ = ["targets", "BRANCH", "SPECIAL_TAGS"]

BRANCH = "party.branch"
AREA = "party.residential_area"
#: Tags of branches that are already the result of a restructuring and are never upgraded.
SPECIAL_TAGS = ("team", "comprehensive", "industry", "category:retired", "category:young", "category:mobile")


def targets(s: Any, params: Params) -> list[str]:
    """The residential branches to upgrade: in ``params.scope`` (checked), above ``params.threshold`` members."""
    sizes = s.sizes()
    branches = [b for b in s.unit_ids(BRANCH) if not (set(s.unit(b).tags) & set(SPECIAL_TAGS))]
    host_areas: dict[str, bool] = {}

    area_kind = s.kinds.code(AREA)

    def residential(host: str) -> bool:
        if host not in host_areas:
            host_areas[host] = bool((s.units.kind[ancestor_codes(s, s.unit_code(host))] == area_kind).any())
        return host_areas[host]

    if params.scope is None:
        chosen = [b for b in branches if any(residential(h) for h in s.built_on(b))]
    else:
        chosen_set: set[str] = set()
        for unit in params.scope:
            if not s.has_unit(unit) or s.unit(unit).dissolved:
                raise UserError(f"strategy team-branches: params.scope: unknown unit {unit!r}")
            kind = s.kinds[s.kind_of(unit)]
            if kind.id == BRANCH:
                chosen_set.add(unit)
            elif kind.role == "org" and kind.relation is None:
                below = set(s.descendants(unit))
                chosen_set.update(b for b in branches if b in below and any(residential(h) for h in s.built_on(b)))
            elif kind.role == "host":
                chosen_set.update(b for b in branches if any(_host_within(s, h, unit) for h in s.built_on(b)))
            else:
                raise UserError(
                    f"strategy team-branches: params.scope: {unit!r} is a {kind.id}; name branches, units above them or host areas"
                )
        chosen = [b for b in branches if b in chosen_set]
    return [b for b in chosen if sizes[s.unit_code(b)] > params.threshold]



def _host_within(s: Any, host: str, area: str) -> bool:
    return s.unit_code(area) in ancestor_codes(s, s.unit_code(host))
