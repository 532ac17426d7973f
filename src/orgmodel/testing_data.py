"""Small ready-made structures for examples, doctests and tests, on a tiny neutral domain pack.

The ``toy`` pack is not a real field: it has a committee, general branch, branch and group as
organisation kinds and an area and team as host kinds, which is enough to show every relation.

>>> s = tiny_structure()
>>> sorted(s.unit_ids(role="host"))
['area', 't1', 't2']
"""

from __future__ import annotations

from orgmodel.model.kinds import DomainPack, KindTable, UnitKind
from orgmodel.model.structure import Structure

__all__ = ["TOY_PACK", "toy_kinds", "tiny_structure"]

TOY_PACK = DomainPack(
    name="toy",
    label_en="toy pack for examples",
    statuses=("full", "probationary"),
    full_statuses=("full",),
    kinds=(
        UnitKind(id="toy.committee", role="org", allowed_parents=(), label_zh="委员会", label_en="committee"),
        UnitKind(
            id="toy.general_branch",
            role="org",
            allowed_parents=("toy.committee",),
            label_zh="总支",
            label_en="general branch",
        ),
        UnitKind(
            id="toy.branch",
            role="org",
            relation="branch",
            allowed_parents=("toy.committee", "toy.general_branch"),
            label_zh="支部",
            label_en="branch",
        ),
        UnitKind(
            id="toy.group",
            role="org",
            relation="group",
            allowed_parents=("toy.branch",),
            label_zh="小组",
            label_en="group",
        ),
        UnitKind(id="toy.area", role="host", label_zh="居民区", label_en="area"),
        UnitKind(id="toy.team", role="host", label_zh="团队", label_en="team"),
    ),
)


def toy_kinds() -> KindTable:
    """The kind table of the toy pack."""
    return KindTable(TOY_PACK)


def tiny_structure() -> Structure:
    """A general branch with two branches (one joint, on two teams), a group and 7 members."""
    return Structure.from_records(
        toy_kinds(),
        units=[
            {"id": "area", "kind": "toy.area", "name": "东区"},
            {"id": "t1", "kind": "toy.team", "name": "歌咏队", "parent": "area"},
            {"id": "t2", "kind": "toy.team", "name": "巡逻队", "parent": "area"},
            {"id": "gb", "kind": "toy.general_branch", "name": "东区总支", "built_on": ["area"]},
            {"id": "b1", "kind": "toy.branch", "name": "第一支部", "parent": "gb", "built_on": ["t1"]},
            {"id": "b2", "kind": "toy.branch", "name": "联合支部", "parent": "gb", "built_on": ["t1", "t2"]},
            {"id": "g1", "kind": "toy.group", "name": "一组", "parent": "b1"},
            {"id": "ub", "kind": "core.unplaced", "name": "待落实"},
        ],
        members=[
            {"id": "m1", "branch": "b1", "group": "g1", "status": "full", "home_host": "area"},
            {"id": "m2", "branch": "b1", "group": "g1", "status": "full"},
            {"id": "m3", "branch": "b1", "status": "full"},
            {"id": "m4", "branch": "b1", "status": "probationary"},
            {"id": "m5", "branch": "b2", "status": "full", "retired": True},
            {"id": "m6", "branch": "b2", "status": "full", "mobility_limited": True},
            {"id": "m7", "branch": "b2", "status": "full"},
        ],
        participation=[("m1", "t1"), ("m5", "t2"), ("m6", "t1"), ("m6", "t2")],
        roles=[{"unit": "b1", "role": "secretary", "person": "m1"}],
    )
