"""Tests of :class:`orgmodel.model.structure.Structure`: accessors, views, fingerprint, building errors."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from orgmodel.model.apply import apply
from orgmodel.errors import RosterError, UserError
from orgmodel.model.kinds import DomainPack, KindTable, UnitKind
from orgmodel.model.plan import PlanBuilder
from orgmodel.model.structure import Role, Structure, TableOrigin
from orgmodel.testing_data import tiny_structure, toy_kinds


@pytest.fixture(scope="module")
def tiny() -> Structure:
    return tiny_structure()


def hand_units() -> list[dict]:
    return [
        {"id": "c", "kind": "toy.committee", "name": "党委"},
        {"id": "gb", "kind": "toy.general_branch", "name": "总支", "parent": "c", "built_on": "area"},
        {"id": "b1", "kind": "toy.branch", "name": "一支部", "parent": "gb", "built_on": ["t1"]},
        {"id": "b2", "kind": "toy.branch", "name": "联合支部", "parent": "gb", "built_on": "t1; t2；t3"},
        {"id": "b3", "kind": "toy.branch", "name": "直属支部", "parent": "c", "tags": "industry"},
        {"id": "g1", "kind": "toy.group", "name": "一组", "parent": "b1"},
        {"id": "g2", "kind": "toy.group", "name": "二组", "parent": "b1"},
        {"id": "area", "kind": "toy.area", "name": "东区"},
        {"id": "t1", "kind": "toy.team", "name": "一队", "parent": "area"},
        {"id": "t2", "kind": "toy.team", "name": "二队", "parent": "area"},
        {"id": "t3", "kind": "toy.team", "name": "三队", "parent": "area"},
        {"id": "ub", "kind": "core.unplaced", "name": "待落实"},
    ]


def hand_members() -> list[dict]:
    return [
        {"id": "001", "branch": "b1", "group": "g1", "status": "full", "active": True},
        {"id": "002", "branch": "b1", "group": "g1", "status": "probationary", "active": True},
        {"id": "003", "branch": "b1", "group": "g2", "status": "full", "active": True},
        {"id": "004", "branch": "b1", "status": "full", "active": True},
        {"id": "005", "branch": "b1", "group": "g2", "status": "full", "active": False},
        {"id": "006", "branch": "b2", "status": "full", "home_host": "t3", "active": True},
        {"id": "007", "branch": "b2", "status": "probationary", "active": True},
        {"id": "008", "branch": "b3", "status": "full", "active": True},
        {"id": "009", "branch": "ub", "status": "full", "active": True},
    ]


@pytest.fixture(scope="module")
def hand() -> Structure:
    return Structure.from_records(
        toy_kinds(),
        units=hand_units(),
        members=hand_members(),
        participation=[("001", "t1"), ("006", "t1"), ("006", "t3"), ("008", "t2"), ("005", "t2")],
        roles=[
            {"unit": "b1", "role": "secretary", "person": "001"},
            {"unit": "g1", "role": "group_leader", "person": "001"},
            Role(unit="c", role="secretary", person="township-envoy", since="2023-05-01"),
        ],
        alliances=[("b1", "b3"), ("b2", "b3")],
        adjacency=[("t2", "t1")],
    )


# -- tiny_structure -----------------------------------------------------------------------------


def test_tiny_members_of(tiny: Structure) -> None:
    assert tiny.member_ids_of("b1") == ["m1", "m2", "m3", "m4"]
    assert tiny.member_ids_of("g1") == ["m1", "m2"]
    assert tiny.member_ids_of("gb") == []
    assert tiny.member_ids_of("gb", subtree=True) == [f"m{i}" for i in range(1, 8)]
    assert tiny.member_ids_of("b1", subtree=True) == ["m1", "m2", "m3", "m4"]


def test_tiny_sizes(tiny: Structure) -> None:
    assert tiny.size("b1") == 4 and tiny.size("b1", full_only=True) == 3
    assert tiny.size("gb", subtree=True) == 7 and tiny.size("gb") == 0
    assert tiny.size("gb", subtree=True, full_only=True) == 6
    # the group's two members are counted once, in their branch
    assert tiny.size("g1") == 2 and tiny.size("b1", subtree=True) == 4
    sizes = tiny.sizes(subtree=True)
    assert not sizes.flags.writeable
    assert sizes.tolist() == [0, 0, 0, 7, 4, 3, 2, 0]


def test_tiny_hierarchy(tiny: Structure) -> None:
    assert tiny.parent("b1") == "gb" and tiny.parent("gb") is None
    assert tiny.parent("t1") == "area"
    assert tiny.children("gb") == ["b1", "b2"]
    assert tiny.children("area") == ["t1", "t2"]
    assert tiny.descendants("gb") == ["b1", "b2", "g1"]
    assert tiny.descendants("g1") == []
    assert tiny.depth.tolist() == [0, 1, 1, 0, 1, 1, 2, 0]


def test_tiny_relations(tiny: Structure) -> None:
    assert tiny.built_on("b2") == ["t1", "t2"]
    assert tiny.built_on("b1") == ["t1"]
    assert tiny.built_on_by("t1") == ["b1", "b2"]
    assert tiny.teams_of("m6") == ["t1", "t2"]
    assert tiny.teams_of("m2") == []
    assert tiny.participants("t1") == ["m1", "m6"]
    assert tiny.roles_in("b1") == [Role(unit="b1", role="secretary", person="m1")]
    assert tiny.roles_of("m1") == tiny.roles_in("b1")
    assert tiny.roles_of("m2") == []


def test_tiny_lookups(tiny: Structure) -> None:
    assert tiny.unit_code("b1") == 4 and tiny.has_unit("b1") and not tiny.has_unit("zz")
    assert tiny.kind_of("ub") == "core.unplaced"
    assert tiny.unit("b2").name == "联合支部" and tiny.unit("b2").parent == "gb"
    assert tiny.unit_ids("toy.branch") == ["b1", "b2"]
    assert tiny.unit_ids(role="host") == ["area", "t1", "t2"]
    assert tiny.status_of("m4") == "probationary"
    assert tiny.branch_of("m1") == "b1" and tiny.group_of("m1") == "g1" and tiny.group_of("m3") is None
    assert tiny.member_codes(["m3", "m1"]).tolist() == [2, 0]
    assert bool(tiny.column("retired")[tiny.member_code("m5")])
    with pytest.raises(UserError, match="unknown unit 'zz'"):
        tiny.unit_code("zz")
    with pytest.raises(UserError, match="unknown member 'mx'"):
        tiny.member_codes(["m1", "mx"])
    with pytest.raises(UserError, match="no member column 'shoe_size'"):
        tiny.column("shoe_size")


# -- a hand-built structure ---------------------------------------------------------------------


def test_ids_stay_strings(hand: Structure) -> None:
    assert hand.members.ids.tolist()[:2] == ["001", "002"]
    assert hand.branch_of("001") == "b1"
    assert hand.member_code("009") == 8


def test_members_of_with_and_without_subtree(hand: Structure) -> None:
    # 005 is inactive: never counted or listed
    assert hand.member_ids_of("b1") == ["001", "002", "003", "004"]
    assert hand.member_ids_of("g2") == ["003"]
    assert hand.member_ids_of("gb") == []
    assert hand.member_ids_of("gb", subtree=True) == ["001", "002", "003", "004", "006", "007"]
    assert hand.member_ids_of("c", subtree=True) == ["001", "002", "003", "004", "006", "007", "008"]
    assert hand.member_ids_of("ub") == ["009"]
    assert hand.member_codes_of("c", subtree=True).tolist() == [0, 1, 2, 3, 5, 6, 7]


def test_sizes_full_and_all(hand: Structure) -> None:
    assert hand.size("b1") == 4 and hand.size("b1", full_only=True) == 3
    assert hand.size("b2") == 2 and hand.size("b2", full_only=True) == 1
    assert hand.size("g1") == 2 and hand.size("g1", full_only=True) == 1
    assert hand.size("g2") == 1  # 005 is inactive
    assert hand.size("c", subtree=True) == 7 and hand.size("c", subtree=True, full_only=True) == 5
    assert hand.size("gb", subtree=True) == 6


def test_group_counts_are_not_double_counted(hand: Structure) -> None:
    assert hand.size("b1", subtree=True) == hand.size("b1") == 4
    subtree = hand.sizes(subtree=True)
    assert subtree[hand.unit_code("c")] == sum(hand.size(b) for b in ("b1", "b2", "b3")) == 7
    assert subtree[hand.unit_code("g1")] == hand.size("g1") == 2  # a group's subtree is itself
    assert subtree.dtype.kind == "i"


def test_full_mask_and_active(hand: Structure) -> None:
    assert hand.full_mask.tolist() == [True, False, True, True, False, True, False, True, True]
    assert not hand.full_mask.flags.writeable


def test_parent_children_descendants(hand: Structure) -> None:
    assert hand.parent("gb") == "c" and hand.parent("c") is None and hand.parent("g2") == "b1"
    assert hand.children("c") == ["gb", "b3"]
    assert hand.children("b1") == ["g1", "g2"]
    assert hand.descendants("c") == ["gb", "b3", "b1", "b2", "g1", "g2"]
    assert hand.descendants("area") == ["t1", "t2", "t3"]


def test_joint_branch_built_on_several_hosts(hand: Structure) -> None:
    assert hand.built_on("b2") == ["t1", "t2", "t3"]
    assert hand.built_on("gb") == ["area"]
    assert hand.built_on("b3") == []
    assert hand.built_on_by("t1") == ["b1", "b2"]
    assert hand.built_on_by("t3") == ["b2"]


def test_participants_and_teams(hand: Structure) -> None:
    assert hand.participants("t1") == ["001", "006"]
    assert hand.participants("t2") == ["005", "008"]  # the relation is kept for inactive members
    assert hand.teams_of("006") == ["t1", "t3"]
    assert hand.teams_of("002") == []
    counts = hand.participation_counts()
    assert counts[hand.unit_code("t1")] == 2 and counts.sum() == 5


def test_roles(hand: Structure) -> None:
    assert [r.role for r in hand.roles_of("001")] == ["secretary", "group_leader"]
    assert hand.roles_in("c") == [Role(unit="c", role="secretary", person="township-envoy", since="2023-05-01")]
    assert hand.roles_of("township-envoy")[0].unit == "c"
    assert hand.roles_in("b2") == []
    assert list(hand.roles) == sorted(hand.roles, key=lambda r: (r.unit, r.role, r.person))


def test_alliances_and_adjacency(hand: Structure) -> None:
    assert hand.allied_with("b1") == ["b3"]
    assert hand.allies("b3") == ["b1", "b2"]
    assert hand.adjacent("t1") == ["t2"] and hand.adjacent("t2") == ["t1"]
    assert hand.adjacent("t3") == []
    # alliances never add to counts
    assert hand.size("b3", subtree=True) == 1


def test_tags_and_unit_view(hand: Structure) -> None:
    unit = hand.unit("b3")
    assert unit.tags == ("industry",) and unit.kind == "toy.branch" and not unit.dissolved
    unit.attrs["x"] = 1  # type: ignore[index]  # a copy: the structure is not changed
    assert hand.unit("b3").attrs == {}


def test_arrays_are_read_only(hand: Structure) -> None:
    for col in hand.members.columns.values():
        assert not col.flags.writeable
    for name in ("ids", "kind", "parent", "name", "dissolved"):
        assert not getattr(hand.units, name).flags.writeable
    with pytest.raises(ValueError):
        hand.members["branch"][0] = 3


# -- views --------------------------------------------------------------------------------------


def test_graph_is_frozen_with_relation_keys(hand: Structure) -> None:
    g = hand.graph()
    assert isinstance(g, nx.MultiDiGraph) and nx.is_frozen(g)
    with pytest.raises(nx.NetworkXError):
        g.add_node("x")
    with pytest.raises(nx.NetworkXError):
        g.add_edge("b1", "b2", key="belongs_to")
    keys = {k for _, _, k in g.edges(keys=True)}
    assert keys == {"belongs_to", "part_of", "built_on", "allied_with", "adjacent_to"}
    assert g.has_edge("b1", "gb", key="belongs_to")
    assert g.has_edge("g1", "b1", key="belongs_to")
    assert g.has_edge("t1", "area", key="part_of")
    assert all(g.has_edge("b2", t, key="built_on") for t in ("t1", "t2", "t3"))
    assert g.has_edge("b2", "b3", key="allied_with")
    assert g.has_edge("t1", "t2", key="adjacent_to")
    assert g.nodes["c"]["size"] == 7 and g.nodes["c"]["role"] == "org" and g.nodes["t1"]["role"] == "host"
    assert g.nodes["b3"]["tags"] == "industry"
    assert set(g.nodes) == set(hand.unit_ids())
    assert hand.graph() is g  # cached


def test_graph_leaves_out_dissolved_units(tiny: Structure) -> None:
    b = PlanBuilder(tiny, strategy="merge")
    b.dissolve("b2", members_to="b1", reason="r")
    after = apply(tiny, b.build())
    g = after.graph()
    assert "b2" not in g and "b2" in tiny.graph()
    assert g.nodes["b1"]["size"] == 7


def test_member_graph_is_refused_above_the_limit(hand: Structure) -> None:
    with pytest.raises(UserError, match="more than 3"):
        hand.member_graph(limit=3)
    g = hand.member_graph(limit=3, force=True)
    assert nx.is_frozen(g)
    assert g.nodes["001"]["kind"] == "member" and g.nodes["002"]["status"] == "probationary"
    assert "005" not in g  # inactive
    assert g.has_edge("001", "g1", key="belongs_to")
    assert g.has_edge("004", "b1", key="belongs_to")
    assert g.has_edge("006", "t3", key="participates_in")
    assert not g.has_edge("005", "t2")
    assert hand.member_graph().number_of_nodes() == g.number_of_nodes()


# -- fingerprint --------------------------------------------------------------------------------


def test_fingerprint_is_stable_and_content_based(hand: Structure) -> None:
    again = Structure.from_records(
        toy_kinds(),
        units=hand_units(),
        members=hand_members(),
        participation=[("001", "t1"), ("006", "t1"), ("006", "t3"), ("008", "t2"), ("005", "t2")],
        roles=[
            {"unit": "b1", "role": "secretary", "person": "001"},
            {"unit": "g1", "role": "group_leader", "person": "001"},
            Role(unit="c", role="secretary", person="township-envoy", since="2023-05-01"),
        ],
        alliances=[("b1", "b3"), ("b2", "b3")],
        adjacency=[("t1", "t2")],
    )
    assert again.fingerprint == hand.fingerprint
    assert hand.fingerprint.startswith("sha256:")


def test_fingerprint_changes_when_a_member_moves(tiny: Structure) -> None:
    b = PlanBuilder(tiny)
    b.move(["m3"], to="b2", reason="r")
    after = apply(tiny, b.build())
    assert after.fingerprint != tiny.fingerprint
    members = [{"id": f"m{i}", "branch": "b1"} for i in range(3)]
    units = [{"id": "b1", "kind": "toy.branch"}, {"id": "b2", "kind": "toy.branch"}]
    one = Structure.from_records(toy_kinds(), units=units, members=members)
    members[2]["branch"] = "b2"
    two = Structure.from_records(toy_kinds(), units=units, members=members)
    assert one.fingerprint != two.fingerprint


def test_fingerprint_changes_with_roles_and_participation(tiny: Structure) -> None:
    b = PlanBuilder(tiny)
    b.set_role("b2", role="secretary", person="m5", reason="r")
    assert apply(tiny, b.build()).fingerprint != tiny.fingerprint
    b = PlanBuilder(tiny)
    b.add_participation(["m2"], unit="t2", reason="r")
    assert apply(tiny, b.build()).fingerprint != tiny.fingerprint


def test_fingerprint_changes_with_unit_tags(tiny: Structure) -> None:
    b = PlanBuilder(tiny)
    b.set_attributes("b1", tags=["industry"], reason="r")
    assert apply(tiny, b.build()).fingerprint != tiny.fingerprint


# -- building errors ----------------------------------------------------------------------------


UNITS = [
    {"id": "b1", "kind": "toy.branch"},
    {"id": "g1", "kind": "toy.group", "parent": "b1"},
    {"id": "b2", "kind": "toy.branch"},
]


def test_duplicate_member_id_names_the_row() -> None:
    members = [{"id": "m1", "branch": "b1"}, {"id": "m2", "branch": "b1"}, {"id": "m1", "branch": "b2"}]
    with pytest.raises(RosterError) as info:
        Structure.from_records(toy_kinds(), units=UNITS, members=members)
    assert "members[2].id" in str(info.value)
    assert "duplicate id 'm1'" in str(info.value)


def test_duplicate_member_id_names_file_and_line() -> None:
    with pytest.raises(RosterError) as info:
        Structure.from_columns(
            toy_kinds(),
            units={"id": ["b1"], "kind": ["toy.branch"]},
            members={"id": ["a", "b", "a"], "branch": ["b1"] * 3},
            origins={"members": TableOrigin("members.csv", columns={"id": "编号"})},
        )
    err = info.value
    assert err.file == "members.csv" and err.line == 4 and err.field == "编号"
    assert str(err).startswith("members.csv:4: 编号: duplicate id 'a'")


def test_duplicate_unit_id() -> None:
    with pytest.raises(RosterError, match=r"units\[3\]\.id: duplicate id 'b1'"):
        Structure.from_records(toy_kinds(), units=UNITS + [{"id": "b1", "kind": "toy.branch"}], members=[])


def test_member_pointing_at_unknown_unit() -> None:
    members = [{"id": "m1", "branch": "b1"}, {"id": "m2", "branch": "nowhere"}]
    with pytest.raises(RosterError) as info:
        Structure.from_records(toy_kinds(), units=UNITS, members=members)
    assert "members[1].branch" in str(info.value) and "unknown unit 'nowhere'" in str(info.value)


def test_member_without_branch() -> None:
    members = [{"id": "m1", "branch": "b1"}, {"id": "m2", "branch": " "}]
    with pytest.raises(RosterError, match=r"members\[1\]\.branch: required value is empty"):
        Structure.from_records(toy_kinds(), units=UNITS, members=members)


def test_member_in_a_group_of_another_branch() -> None:
    members = [{"id": "m1", "branch": "b1", "group": "g1"}, {"id": "m2", "branch": "b2", "group": "g1"}]
    with pytest.raises(RosterError) as info:
        Structure.from_records(toy_kinds(), units=UNITS, members=members)
    message = str(info.value)
    assert "members[1].group" in message and "m2" in message
    assert "group g1 is not a live group of branch b2" in message


def test_member_whose_branch_holds_no_members() -> None:
    with pytest.raises(RosterError, match="branch g1 is a toy.group, which holds no members"):
        Structure.from_records(toy_kinds(), units=UNITS, members=[{"id": "m1", "branch": "g1"}])


def test_unit_with_unknown_kind() -> None:
    with pytest.raises(RosterError) as info:
        Structure.from_records(toy_kinds(), units=UNITS + [{"id": "x", "kind": "toy.village"}], members=[])
    message = str(info.value)
    assert "units[3].kind" in message and "unknown unit kind 'toy.village'" in message
    assert "toy.branch" in message  # lists the kinds the pack has


def test_cycle_in_the_host_hierarchy() -> None:
    units = [
        {"id": "h1", "kind": "toy.area", "parent": "h3"},
        {"id": "h2", "kind": "toy.area", "parent": "h1"},
        {"id": "h3", "kind": "toy.area", "parent": "h2"},
        {"id": "h4", "kind": "toy.area"},
    ]
    with pytest.raises(RosterError) as info:
        Structure.from_records(toy_kinds(), units=units, members=[])
    # the path follows part_of from the first unit on the cycle
    assert "cycle" in str(info.value) and "h1 -> h3 -> h2 -> h1" in str(info.value)
    assert "units[0].parent" in str(info.value)


def test_cycle_in_the_organisation_hierarchy() -> None:
    kinds = KindTable(DomainPack(
        name="free", statuses=("full",), full_statuses=("full",),
        kinds=(UnitKind(id="free.unit", role="org", relation="branch", label_zh="单位", label_en="unit"),),
    ))
    units = [{"id": "a", "kind": "free.unit", "parent": "b"}, {"id": "b", "kind": "free.unit", "parent": "a"}]
    with pytest.raises(RosterError) as info:
        Structure.from_records(kinds, units=units, members=[])
    assert "cycle" in str(info.value) and "units[0].parent" in str(info.value)
    units = [{"id": "a", "kind": "free.unit", "parent": "a"}]
    with pytest.raises(RosterError, match="cycle through a -> a"):
        Structure.from_records(kinds, units=units, members=[])


def test_parent_not_allowed_by_the_kind() -> None:
    units = UNITS + [{"id": "b3", "kind": "toy.branch", "parent": "g1"}]
    with pytest.raises(RosterError) as info:
        Structure.from_records(toy_kinds(), units=units, members=[])
    message = str(info.value)
    assert "units[3].parent" in message and "a toy.branch cannot sit under a toy.group (g1)" in message


def test_org_unit_under_a_host_and_host_under_org() -> None:
    units = UNITS + [{"id": "h", "kind": "toy.area"}, {"id": "b3", "kind": "toy.branch", "parent": "h"}]
    with pytest.raises(RosterError, match="cannot belong to a host"):
        Structure.from_records(toy_kinds(), units=units, members=[])
    units = UNITS + [{"id": "h", "kind": "toy.area", "parent": "b1"}]
    with pytest.raises(RosterError, match="cannot be part of an organisation unit"):
        Structure.from_records(toy_kinds(), units=units, members=[])


def test_unknown_references_in_edges_and_roles() -> None:
    with pytest.raises(RosterError, match=r"units\[0\]\.built_on: unknown host unit 'ghost'"):
        Structure.from_records(toy_kinds(), units=[{"id": "b1", "kind": "toy.branch", "built_on": "ghost"}], members=[])
    with pytest.raises(RosterError, match=r"roles\[0\]\.unit: unknown unit 'zz'"):
        Structure.from_records(toy_kinds(), units=UNITS, members=[], roles=[{"unit": "zz", "role": "s", "person": "p"}])
    with pytest.raises(RosterError, match=r"participation\[0\]\.member: unknown member 'ghost'"):
        Structure.from_records(toy_kinds(), units=UNITS, members=[{"id": "m1", "branch": "b1"}],
                               participation=[("ghost", "b1")])
    with pytest.raises(RosterError, match="joins the wrong kinds"):
        Structure.from_records(toy_kinds(), units=UNITS + [{"id": "b3", "kind": "toy.branch", "built_on": "b1"}],
                               members=[])


def test_blank_active_cell_means_active() -> None:
    members = [{"id": "m1", "branch": "b1"}, {"id": "m2", "branch": "b1", "active": False}]
    s = Structure.from_records(toy_kinds(), units=UNITS, members=members)
    assert s.members["active"].tolist() == [True, False]


def test_bad_status_is_named() -> None:
    with pytest.raises(RosterError, match=r"members\[0\]\.status: unknown status \(allowed: full, probationary\) 'gold'"):
        Structure.from_records(toy_kinds(), units=UNITS, members=[{"id": "m1", "branch": "b1", "status": "gold"}])


def test_empty_roster_builds() -> None:
    s = Structure.from_records(toy_kinds(), units=UNITS, members=[])
    assert s.n_members == 0 and s.sizes().tolist() == [0, 0, 0]
    assert s.member_ids_of("b1", subtree=True) == []
    assert np.asarray(s.member_codes([])).tolist() == []


def test_a_structure_pickles_with_its_read_only_columns(tiny: Structure) -> None:
    import pickle

    again = pickle.loads(pickle.dumps(tiny))
    assert again.fingerprint == tiny.fingerprint
    assert again.members.columns.keys() == tiny.members.columns.keys()
    assert all(not col.flags.writeable for col in again.members.columns.values())
    with pytest.raises(TypeError):
        again.members.columns["branch"] = again.members["branch"]  # type: ignore[index]


def test_member_references_join_alike_packed_or_hashed() -> None:
    """Ids of up to 8 bytes are joined by sorting integers, longer ones by hashing: same codes."""
    import pyarrow as pa

    from orgmodel.model.building import _join_hashed, join_packed

    rng = np.random.default_rng(3)
    for ids in (["0003", "0001", "0002", "0001"], ["b", "a1", "ä", "c"], [f"{i:07d}" for i in rng.permutation(50)]):
        refs = [pa.array(list(rng.choice(ids + ["ghost", "", "0001x"], 40))), pa.array(ids[:2])]
        packed, unique = join_packed(pa.array(ids), refs)
        hashed, unique_hashed = _join_hashed(pa.array(ids), refs)
        assert unique == unique_hashed == (len(set(ids)) == len(ids))
        for a, b in zip(packed, hashed, strict=True):
            assert np.where(a < len(ids), a, -1).tolist() == np.where(b < len(ids), b, -1).tolist()
    assert join_packed(pa.array(["123456789"]), []) is None


def test_unsorted_and_long_member_ids_resolve_references() -> None:
    for ids in (["m3", "m1", "m2"], ["member-0003", "member-0001", "member-0002"]):
        s = Structure.from_columns(
            toy_kinds(),
            units={"id": ["b1", "t1", "t2"], "kind": ["toy.branch", "toy.team", "toy.team"]},
            members={"id": ids, "branch": ["b1"] * 3},
            participation=([ids[1], ids[2], ids[2]], ["t1", "t1", "t2"]),
            ties=([ids[0]], [ids[2]], ["2"]),
        )
        assert s.teams_of(ids[1]) == ["t1"] and s.teams_of(ids[2]) == ["t1", "t2"] and s.teams_of(ids[0]) == []
        assert (s.ties.a.tolist(), s.ties.b.tolist(), s.ties.weight.tolist()) == ([0], [2], [2.0])
    with pytest.raises(RosterError, match=r"members\[2\]\.id: duplicate id 'member-0001'"):
        Structure.from_columns(toy_kinds(), units={"id": ["b1"], "kind": ["toy.branch"]},
                               members={"id": ["member-0001", "member-0002", "member-0001"], "branch": ["b1"] * 3})


def test_dates_and_booleans_of_a_csv_read_typed_or_as_text(tmp_path) -> None:
    """A CSV column is typed as it is read when every cell parses, else read as text and parsed
    cell by cell: the members come out the same, and a bad cell is named by its line."""
    from orgmodel.io.loader import _TYPED, build_baseline, load_scenario
    from orgmodel.io.rosters import read_table
    from orgmodel.io.scenario import TableSource
    from orgmodel.plugin.hookspecs import hookimpl
    from orgmodel.plugin.host import PluginHost
    from orgmodel.testing_data import TOY_PACK

    class Toy:
        @hookimpl
        def register_unit_kinds(register):  # noqa: N805
            register(TOY_PACK)

    (tmp_path / "s.yaml").write_text("name: t\ndomain: toy\nbaseline:\n  units: [{id: b, kind: toy.branch}]\n"
                                     "  members: {file: m.csv}\n", encoding="utf-8")

    def members(rows: str):
        (tmp_path / "m.csv").write_text("id,branch,birth_date,joined,mobile,active\n" + rows, encoding="utf-8")
        return build_baseline(load_scenario(tmp_path / "s.yaml"), PluginHost({"toy": Toy}, autoload=False)).members

    typed = members("1,b,1950-01-02,2000-02-29,yes,\n2,b,,2001-03-04,否,False\n")
    read = read_table(TableSource(file="m.csv"), base=tmp_path, table="members", types=_TYPED["members"])
    assert [str(read.columns[c].type) for c in ("birth_date", "mobile", "active")] == ["date32[day]", "bool", "bool"]
    as_text = members("1,b,1950-1-2,2000-02-29, Yes,\n2,b,,2001-03-04,否,False\n")  # cells the CSV reader refuses
    for table in (typed, as_text):
        assert table["birth_date"].astype(str).tolist() == ["1950-01-02", "NaT"]
        assert table["joined"].astype(str).tolist() == ["2000-02-29", "2001-03-04"]
        assert table["mobile"].tolist() == [True, False] and table["active"].tolist() == [True, False]
    with pytest.raises(RosterError, match=r"m\.csv:3: birth_date: expected a date like 1958-03-01, got '1950-13-01'"):
        members("1,b,1950-01-02,,,\n2,b,1950-13-01,,,\n")


def test_roles_from_columns_are_the_roles_from_rows() -> None:
    """Roles read as columns (as from a file) are sorted and tabled as Role objects would be."""
    import pyarrow as pa

    from orgmodel.model.structure import role_columns

    rows = [("b2", "secretary", "p1", "2024-01-01"), ("b1", "委员", "p2", None), ("b1", "secretary", "p3", "2023-05-01"),
            ("b1", "secretary", "p3", None), ("b1", "Secretary", "p9", None), ("g1", "leader", "ä", "2020-01-01")]
    units = {"id": ["b1", "g1", "b2"], "kind": ["toy.branch", "toy.group", "toy.branch"], "parent": [None, "b1", None]}
    members = {"id": [], "branch": []}
    from_rows = Structure.from_columns(toy_kinds(), units=units, members=members, roles=[Role(*r) for r in rows])
    from_columns = Structure.from_columns(toy_kinds(), units=units, members=members,
                                          roles=tuple(pa.array(list(c), pa.string()) for c in zip(*rows)))
    assert from_columns.roles == from_rows.roles and from_columns.fingerprint == from_rows.fingerprint
    made = role_columns(from_rows.roles, from_rows._unit_index)
    assert [c.tolist() for c in from_columns.role_table] == [c.tolist() for c in made]
    with pytest.raises(RosterError, match=r"roles\[1\]\.unit: unknown unit 'zz'"):
        Structure.from_columns(toy_kinds(), units=units, members=members,
                               roles=tuple(pa.array(c, pa.string()) for c in (["b1", "zz"], ["s", "s"], ["p", "q"],
                                                                              [None, None])))
