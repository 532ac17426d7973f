"""Example structures the seed strategies act on, where the contract battery has nothing for them.

The contract kit's battery has residential branches, teams and villages; an agency with bureaus
and divisions, courtyards with buildings and small firms with a chamber of commerce are structures
of their own. Each builder takes the party pack's kind table; the strategies hand them to the kit
through ``contract_structures`` and their tests use them too.
"""

from __future__ import annotations

from collections.abc import Sequence

from orgmodel import KindTable, Structure

__all__ = ["agency", "courtyards", "firms", "COURTYARD_LAYOUT"]

COURTYARD_LAYOUT = {0: [30, 20, 2], 1: [25, 15, 4], 2: [1, 1]}
"""Courtyard index -> members per building of :func:`courtyards`."""


def agency(kinds: KindTable, roles: Sequence[tuple[str, str, str]] = ()) -> Structure:
    """市发改委: 规划局 (3 divisions, 60 members), 价格局 (2 divisions + 2 at bureau level), 办公室."""
    units = [
        {"id": "AG", "kind": "party.agency", "name": "市发改委"},
        {"id": "AC", "kind": "party.committee", "name": "市发改委机关党委", "built_on": ["AG"]},
        {"id": "B1", "kind": "party.bureau", "name": "规划局", "parent": "AG", "tags": ["leader:张副局长"]},
        {"id": "B2", "kind": "party.bureau", "name": "价格局", "parent": "AG"},
        {"id": "D0", "kind": "party.division", "name": "办公室", "parent": "AG", "tags": ["function:综合"]},
        {"id": "D11", "kind": "party.division", "name": "综合规划处", "parent": "B1", "tags": ["function:综合"]},
        {"id": "D12", "kind": "party.division", "name": "产业规划处", "parent": "B1", "tags": ["function:业务"]},
        {"id": "D13", "kind": "party.division", "name": "区域规划处", "parent": "B1", "tags": ["function:业务"]},
        {"id": "D21", "kind": "party.division", "name": "价格监测处", "parent": "B2", "tags": ["function:业务"]},
        {"id": "D22", "kind": "party.division", "name": "收费管理处", "parent": "B2", "tags": ["function:业务"]},
        {"id": "AB1", "kind": "party.branch", "name": "机关第一党支部", "parent": "AC"},
        {"id": "AB1g", "kind": "party.group", "name": "第一小组", "parent": "AB1"},
        {"id": "AB2", "kind": "party.branch", "name": "机关第二党支部", "parent": "AC"},
        {"id": "RA", "kind": "party.residential_area", "name": "某居民区"},
        {"id": "RB", "kind": "party.branch", "name": "某居民区党支部", "built_on": ["RA"]},
        {"id": "UP", "kind": "core.unplaced", "name": "未落实"},
    ]
    members = []
    i = 0

    def add(n, branch, home, **kw):
        nonlocal i
        for _ in range(n):
            members.append({"id": f"a{i:03d}", "branch": branch, "home_host": home, **kw})
            i += 1
    add(20, "AB1", "D11", group="AB1g")
    add(25, "AB1", "D12")
    add(15, "AB1", "D13")
    add(5, "AB1", "D0")
    add(9, "AB2", "D21")
    add(1, "UP", "D21")        # a91-ish: unplaced, works in 价格监测处
    add(2, "AB2", "D22")
    add(2, "AB2", "B2")        # at bureau level, in no division
    add(1, "AB2", None)        # retired: no home in the agency
    add(1, "RB", "D0")         # works in 办公室 but held by a residential branch
    add(6, "RB", "RA")         # residents: not the agency's
    return Structure.from_records(kinds, units=units, members=members,
                                  roles=[{"unit": u, "role": r, "person": p} for u, r, p in roles])


def courtyards(kinds: KindTable, *, n_extra_no_home: int = 4, parent_kind: str = "party.working_committee",
               grids: bool = False) -> Structure:
    """鹤北一: one residential branch of 103 members over three courtyards (2 to 3 buildings each)."""
    units = [
        {"id": "st", "kind": "party.street", "name": "东街道"},
        {"id": "wc", "kind": parent_kind, "name": "东街道党工委" if parent_kind == "party.working_committee" else "东片党总支"},
        {"id": "ra", "kind": "party.residential_area", "name": "鹤北一", "parent": "st"},
        {"id": "B", "kind": "party.branch", "name": "鹤北一党支部", "parent": "wc", "built_on": ["ra"]},
        {"id": "Bg1", "kind": "party.group", "name": "第一党小组", "parent": "B"},
        {"id": "Bg2", "kind": "party.group", "name": "第二党小组", "parent": "B"},
    ]
    if parent_kind == "party.general_branch":
        units.insert(1, {"id": "top", "kind": "party.committee", "name": "街道党委"})
        units[2]["parent"] = "top"
    if grids:
        units += [{"id": "G1", "kind": "party.grid", "name": "一网格", "parent": "ra"},
                  {"id": "G2", "kind": "party.grid", "name": "二网格", "parent": "ra"}]
    members = []
    i = 0
    for c, sizes in COURTYARD_LAYOUT.items():
        cparent = ("G1" if c == 0 else "G2") if grids else "ra"
        units.append({"id": f"c{c}", "kind": "party.courtyard", "name": f"{c + 1}号院", "parent": cparent})
        for b, n in enumerate(sizes):
            units.append({"id": f"c{c}b{b}", "kind": "party.building", "name": f"{c + 1}号院{b + 1}栋", "parent": f"c{c}"})
            for k in range(n):
                members.append({"id": f"m{i:03d}", "branch": "B", "home_host": f"c{c}b{b}",
                                "group": "Bg1" if i % 7 == 0 else None, "household": f"h{c}-{b}-{k // 2}",
                                "mobility_limited": k == 0, "status": "probationary" if k == 5 else "full"})
                i += 1
    members.append({"id": f"m{i:03d}", "branch": "B", "home_host": "c1"}); i += 1  # lives in the courtyard, no building
    for k in range(n_extra_no_home):  # no home recorded: two follow their old group, the rest go to the smallest branch
        members.append({"id": f"m{i:03d}", "branch": "B", "group": "Bg1" if k < 2 else None}); i += 1
    members.append({"id": "x1", "branch": "B", "active": False})
    return Structure.from_records(kinds, units=units, members=members)


def firms(kinds: KindTable) -> Structure:
    """南岸街道: small firms whose members sit in the talent centre, unplaced or external."""
    units = [
        {"id": "S", "kind": "party.street", "name": "南岸街道"},
        {"id": "SW", "kind": "party.working_committee", "name": "南岸街道党工委", "built_on": ["S"]},
        {"id": "CH", "kind": "party.chamber", "name": "南岸街道商会", "parent": "S"},
        {"id": "RA", "kind": "party.residential_area", "name": "滨江居民区", "parent": "S"},
        {"id": "RB", "kind": "party.branch", "name": "滨江居民区党支部", "parent": "SW", "built_on": ["RA"]},
        {"id": "CB", "kind": "party.branch", "name": "人才交流中心党支部", "parent": "SW"},
        {"id": "UP", "kind": "core.unplaced", "name": "未落实组织关系"},
        {"id": "EX", "kind": "core.external", "name": "外部"},
        {"id": "F1", "kind": "party.enterprise", "name": "恒达五金", "parent": "S"},
        {"id": "F2", "kind": "party.enterprise", "name": "顺风快运", "parent": "S"},
        {"id": "F3", "kind": "party.enterprise", "name": "江南电子", "parent": "S"},
        {"id": "F4", "kind": "party.enterprise", "name": "老码头火锅", "parent": "S", "tags": ["trade:餐饮"]},
        {"id": "F5", "kind": "party.social_org", "name": "餐饮行业协会志愿队", "parent": "S", "tags": ["trade:餐饮"]},
        {"id": "F6", "kind": "party.enterprise", "name": "长江建材", "parent": "S"},
        {"id": "FB6", "kind": "party.branch", "name": "长江建材党支部", "parent": "SW", "built_on": ["F6"]},
        {"id": "F7", "kind": "party.enterprise", "name": "滨江物业", "parent": "S"},
        {"id": "F8", "kind": "party.enterprise", "name": "空壳公司", "parent": "S"},
    ]
    members = []
    i = 0

    def add(n, branch, home, status="full"):
        nonlocal i
        for _ in range(n):
            members.append({"id": f"p{i:03d}", "branch": branch, "home_host": home, "status": status})
            i += 1
    add(2, "UP", "F1")
    add(1, "EX", "F2")
    add(4, "UP", "F3")
    add(2, "CB", "F4")
    add(1, "UP", "F5", status="probationary")
    add(3, "FB6", "F6")
    add(1, "UP", "F6")
    add(2, "RB", "F7")
    add(10, "RB", "RA")
    add(1, "UP", None)  # lost contact, no firm: not this strategy's business
    add(3, "CB", None)
    return Structure.from_records(kinds, units=units, members=members)
