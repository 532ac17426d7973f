"""Tests of the party domain pack: its declarations, and its discovery through the entry point."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

import orgmodel_party
from orgmodel import (
    AUTOLOAD_ENV,
    CORE_KINDS,
    check_pack_name,
    DomainPack,
    KindTable,
    PluginError,
    PluginHost,
    Structure,
    UserError,
)
from orgmodel_party import kinds as party_kinds
from orgmodel_party.kinds import PARTY_PACK, TAGS, TEAM_TAGS

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
README = Path(__file__).parents[1] / "README.md"

ORG_IDS = [
    "party.working_committee",
    "party.committee",
    "party.general_branch",
    "party.branch",
    "party.group",
    "party.functional_group",
    "party.industry_branch",
]
HOST_IDS = [
    "party.street",
    "party.community",
    "party.residential_area",
    "party.grid",
    "party.courtyard",
    "party.building",
    "party.township",
    "party.village",
    "party.agency",
    "party.bureau",
    "party.division",
    "party.team",
    "party.enterprise",
    "party.association",
    "party.chamber",
    "party.social_org",
    "party.service_centre",
]


def by_id():
    return {k.id: k for k in PARTY_PACK.kinds}


# --- the pack as data -------------------------------------------------------------------------


def test_pack_validates_again_from_its_own_dump():
    again = DomainPack.model_validate(PARTY_PACK.model_dump())
    assert again == PARTY_PACK
    check_pack_name(PARTY_PACK, plugin="party")  # raises PluginError when a kind is outside


def test_pack_identity_and_statuses():
    assert PARTY_PACK.name == "party"
    assert PARTY_PACK.label_zh == "党组织"
    assert PARTY_PACK.label_en == "party organisation"
    assert PARTY_PACK.statuses == ("full", "probationary")
    assert PARTY_PACK.full_statuses == ("full",)


def test_declares_exactly_the_documented_kinds():
    orgs = [k.id for k in PARTY_PACK.kinds if k.role == "org"]
    hosts = [k.id for k in PARTY_PACK.kinds if k.role == "host"]
    assert sorted(orgs) == sorted(ORG_IDS)
    assert sorted(hosts) == sorted(HOST_IDS)


def test_every_kind_is_namespaced_party():
    bad = [k.id for k in PARTY_PACK.kinds if not k.id.startswith("party.")]
    assert bad == []


def test_labels_present_zh_is_chinese_en_is_not():
    for kind in PARTY_PACK.kinds:
        assert kind.label_zh.strip(), kind.id
        assert kind.label_en.strip(), kind.id
        assert CJK.search(kind.label_zh), f"{kind.id}: zh label {kind.label_zh!r} has no CJK"
        assert not CJK.search(kind.label_en), f"{kind.id}: en label {kind.label_en!r} has CJK"
    assert len({k.label_zh for k in PARTY_PACK.kinds}) == len(PARTY_PACK.kinds), "zh labels repeat"
    assert len({k.label_en for k in PARTY_PACK.kinds}) == len(PARTY_PACK.kinds), "en labels repeat"


def test_exactly_one_branch_kind_and_one_group_kind():
    branch = [k.id for k in PARTY_PACK.kinds if k.relation == "branch"]
    group = [k.id for k in PARTY_PACK.kinds if k.relation == "group"]
    assert branch == ["party.branch"]
    assert group == ["party.group"]


def test_functional_group_holds_no_relation():
    assert by_id()["party.functional_group"].relation is None


def test_allowed_parents_as_specified():
    k = by_id()
    assert k["party.working_committee"].allowed_parents == ()
    assert set(k["party.committee"].allowed_parents) == {"party.committee", "party.working_committee"}
    assert set(k["party.general_branch"].allowed_parents) == {"party.committee", "party.working_committee"}
    assert set(k["party.branch"].allowed_parents) == {
        "party.committee",
        "party.general_branch",
        "party.working_committee",
    }
    assert k["party.group"].allowed_parents == ("party.branch",)
    assert set(k["party.functional_group"].allowed_parents) == {
        "party.committee",
        "party.general_branch",
        "party.branch",
        "party.working_committee",
    }
    assert k["party.industry_branch"].relation is None  # sized from participation (dual participation)
    # host part_of chains
    assert "party.courtyard" in k["party.building"].allowed_parents
    assert "party.residential_area" in k["party.courtyard"].allowed_parents
    assert "party.community" in k["party.residential_area"].allowed_parents
    assert "party.street" in k["party.community"].allowed_parents
    assert k["party.village"].allowed_parents == ("party.township",)
    assert set(k["party.team"].allowed_parents) == {
        "party.residential_area",
        "party.community",
        "party.village",
    }
    assert "party.bureau" in k["party.division"].allowed_parents
    assert k["party.bureau"].allowed_parents == ("party.agency",)
    assert {"party.residential_area", "party.community"} <= set(k["party.grid"].allowed_parents)


def test_allowed_parents_are_explicit_and_of_the_same_role():
    # The core ignores a parent of the other role, so listing one would silently mean nothing.
    kinds = by_id()
    for kind in PARTY_PACK.kinds:
        assert kind.allowed_parents is not None, f"{kind.id}: allowed_parents left open"
        for parent in kind.allowed_parents:
            assert kinds[parent].role == kind.role, f"{kind.id} lists {parent} of another role"


def test_rank_hints_follow_the_hierarchy():
    level = {k.id: k.min_level for k in PARTY_PACK.kinds}
    chains = [
        ["party.working_committee", "party.committee", "party.general_branch", "party.branch", "party.group"],
        ["party.general_branch", "party.functional_group"],
        ["party.street", "party.community", "party.residential_area", "party.courtyard", "party.building"],
        ["party.township", "party.village"],
        ["party.agency", "party.bureau", "party.division"],
    ]
    for chain in chains:
        levels = [level[i] for i in chain]
        assert levels == sorted(set(levels)), f"{chain}: levels {levels} not strictly increasing"
    tops = [k.id for k in PARTY_PACK.kinds if k.allowed_parents == ()]
    assert tops and all(level[i] == 0 for i in tops), tops


def test_name_templates_use_host_and_name_the_kind():
    for kind in PARTY_PACK.kinds:
        if kind.role != "org":
            continue
        assert "{host}" in kind.name_template, kind.id
        name = kind.name_template.format(host="鹤北一", label_zh=kind.label_zh)
        assert name.startswith("鹤北一") and len(name) > len("鹤北一"), (kind.id, name)
    assert by_id()["party.branch"].name_template.format(host="汽三") == "汽三党支部"


# --- colours ----------------------------------------------------------------------------------


def _rgb(colour):
    return [int(colour[i : i + 2], 16) for i in (1, 3, 5)]


def _luminance(colour):
    def lin(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_colours_are_hex_rrggbb():
    bad = [(k.id, k.colour) for k in PARTY_PACK.kinds if not COLOUR.match(k.colour)]
    assert bad == []


def test_colours_are_light_enough_for_black_text():
    # WCAG AAA contrast (7:1) of black text on the fill
    for kind in PARTY_PACK.kinds:
        contrast = (_luminance(kind.colour) + 0.05) / 0.05
        assert contrast >= 7, f"{kind.id}: {kind.colour} gives contrast {contrast:.1f} with black"


def test_colours_are_distinct_from_each_other_and_from_core_kinds():
    colours = {k.id: k.colour.lower() for k in PARTY_PACK.kinds}
    core = {k.colour.lower() for k in CORE_KINDS} | {"#dddddd"}  # the UnitKind default
    assert not core & set(colours.values()), core & set(colours.values())
    for (a, ca), (b, cb) in itertools.combinations(colours.items(), 2):
        dist = sum((x - y) ** 2 for x, y in zip(_rgb(ca), _rgb(cb))) ** 0.5
        assert dist >= 12, f"{a} {ca} and {b} {cb} are too alike ({dist:.1f})"


# --- tags -------------------------------------------------------------------------------------


def test_tag_vocabulary_is_documented():
    assert TAGS == (
        "team",
        "comprehensive",
        "industry",
        "category:retired",
        "category:young",
        "category:mobile",
        "courtyard",
        "agency",
        "alliance",
    )
    assert TEAM_TAGS == ("team:learning", "team:culture", "team:sports", "team:service")
    doc = party_kinds.__doc__
    readme = README.read_text(encoding="utf-8")
    for tag in TAGS + TEAM_TAGS:
        assert f"``{tag}``" in doc or tag in doc, f"tag {tag} missing from the module docstring"
        assert f"`{tag}`" in readme, f"tag {tag} missing from README.md"
    assert "joint" not in TAGS  # joint is derived (built on more than one host), never a tag


def test_readme_table_lists_every_kind():
    readme = README.read_text(encoding="utf-8")
    for kind in PARTY_PACK.kinds:
        assert f"`{kind.id}`" in readme, f"{kind.id} missing from README.md"
        assert kind.label_zh in readme, f"{kind.label_zh} missing from README.md"


def test_version():
    assert orgmodel_party.__version__ == "0.1.0"


# --- use by the core ---------------------------------------------------------------------------


def test_kind_table_of_the_pack():
    kinds = KindTable(PARTY_PACK)
    assert kinds.name == "party"
    assert len(kinds) == len(CORE_KINDS) + len(ORG_IDS) + len(HOST_IDS)
    assert kinds["party.branch"].label_zh == "党支部"
    code = kinds.code("party.branch")
    assert kinds.is_branch[code] and kinds.is_org[code]
    assert kinds.is_group[kinds.code("party.group")]
    assert not kinds.is_org[kinds.code("party.village")]
    assert kinds.full_statuses == ("full",)
    with pytest.raises(KeyError, match="domain pack party"):
        kinds["party.joint_branch"]


def _units(extra=()):
    return [
        {"id": "st", "kind": "party.street", "name": "某街道"},
        {"id": "cm", "kind": "party.community", "name": "某社区", "parent": "st"},
        {"id": "ra", "kind": "party.residential_area", "name": "鹤北一", "parent": "cm"},
        {"id": "cy", "kind": "party.courtyard", "name": "一号院", "parent": "ra"},
        {"id": "bd", "kind": "party.building", "name": "3号楼", "parent": "cy"},
        {"id": "t1", "kind": "party.team", "name": "歌咏队", "parent": "ra", "tags": ["team:culture"]},
        {"id": "t2", "kind": "party.team", "name": "巡逻队", "parent": "ra", "tags": ["team:service"]},
        {"id": "wc", "kind": "party.working_committee", "name": "某街道党工委", "built_on": ["st"]},
        {"id": "cc", "kind": "party.committee", "name": "某社区党委", "parent": "wc", "built_on": ["cm"]},
        {"id": "gb", "kind": "party.general_branch", "name": "鹤北一党总支", "parent": "cc", "built_on": ["ra"]},
        {"id": "b1", "kind": "party.branch", "name": "团队联合党支部", "parent": "gb",
         "built_on": ["t1", "t2"], "tags": ["team"]},
        {"id": "b2", "kind": "party.branch", "name": "一号院党支部", "parent": "gb",
         "built_on": ["cy"], "tags": ["courtyard"]},
        {"id": "g1", "kind": "party.group", "name": "3号楼党小组", "parent": "b2", "built_on": ["bd"]},
        {"id": "fg", "kind": "party.functional_group", "name": "巡逻功能党小组", "parent": "gb"},
        *extra,
    ]


MEMBERS = [
    {"id": "m1", "branch": "b1", "status": "full"},
    {"id": "m2", "branch": "b2", "group": "g1", "status": "probationary"},
]


def test_a_structure_on_the_pack_builds():
    s = Structure.from_records(
        KindTable(PARTY_PACK), units=_units(), members=MEMBERS, participation=[("m1", "fg")]
    )
    assert sorted(s.unit_ids(role="host")) == ["bd", "cm", "cy", "ra", "st", "t1", "t2"]


@pytest.mark.parametrize(
    "unit",
    [
        {"id": "x", "kind": "party.group", "name": "错组", "parent": "gb"},
        {"id": "x", "kind": "party.general_branch", "name": "错总支", "parent": "b1"},
        {"id": "x", "kind": "party.village", "name": "错村", "parent": "cm"},
    ],
    ids=["group-under-general-branch", "general-branch-under-branch", "village-under-community"],
)
def test_the_core_refuses_a_parent_the_pack_does_not_allow(unit):
    with pytest.raises(UserError, match="cannot sit under"):
        Structure.from_records(KindTable(PARTY_PACK), units=_units([unit]), members=MEMBERS)


def test_a_member_cannot_hold_relation_in_a_functional_group():
    members = [*MEMBERS, {"id": "m3", "branch": "fg", "status": "full"}]
    with pytest.raises(UserError):
        Structure.from_records(KindTable(PARTY_PACK), units=_units(), members=members)


# --- discovery --------------------------------------------------------------------------------


def test_entry_point_is_declared_in_the_installed_distribution():
    from importlib.metadata import entry_points

    eps = [ep for ep in entry_points(group="orgmodel") if ep.name == "party"]
    assert [ep.value for ep in eps] == ["orgmodel_party.plugin"], "pip install -e plugins/orgmodel-party"


def test_autoload_finds_the_pack_through_the_entry_point(monkeypatch):
    monkeypatch.delenv(AUTOLOAD_ENV, raising=False)
    host = PluginHost()
    assert "party" in host.plugin_names()
    pack = host.domain_pack("party")
    assert pack == PARTY_PACK
    assert host.domain_packs().owner("party") == "party"


def test_without_autoload_the_pack_is_absent(monkeypatch):
    monkeypatch.delenv(AUTOLOAD_ENV, raising=False)
    host = PluginHost(autoload=False)
    assert "party" not in host.domain_packs().names()
    with pytest.raises(UserError, match="unknown domain pack 'party'"):
        host.domain_pack("party")


def test_disable_autoload_env_hides_the_pack(monkeypatch):
    monkeypatch.setenv(AUTOLOAD_ENV, "1")
    assert "party" not in PluginHost().domain_packs().names()


def test_registering_the_plugin_twice_names_both(monkeypatch):
    import orgmodel_party.plugin as plugin

    monkeypatch.delenv(AUTOLOAD_ENV, raising=False)
    host = PluginHost(plugins={"party-copy": _Copy(plugin)})
    with pytest.raises(PluginError, match="already registered"):
        host.domain_packs()


class _Copy:
    """A second plugin object with the same hook (pluggy refuses the same module twice)."""

    def __init__(self, module):
        self.register_unit_kinds = module.register_unit_kinds
