"""category-branches (老年/青年/流动党员党支部): the contract kit, and the strategy's own promises on
purpose-built structures (categories, the six-month transfer rule, sizes, backbone, remnants, bad params)."""

from __future__ import annotations

import datetime as dt

import pytest

from orgmodel import apply, Context, KindTable, Structure, UserError, Scope
from orgmodel.testing import contract_baselines
from orgmodel_party.kinds import PARTY_PACK
from orgmodel_seed_strategies.category_branches import CategoryBranches
from orgmodel_seed_strategies.registry import strategies
from orgmodel_seed_strategies.testing import party_rule_book, propose

STRATEGY = CategoryBranches()
AS_OF = dt.date(2024, 6, 30)


def _apply(s: Structure, params: dict | None = None, as_of: dt.date | None = AS_OF, scope: tuple[str, ...] = ()):
    parsed = STRATEGY.parse_params(params or {})
    ctx = STRATEGY.context(s, raw_params=params or {}, as_of=as_of, rules=party_rule_book(), scope=Scope.of(s, scope))
    plan = STRATEGY.propose(ctx, parsed)
    return plan, apply(s, plan, variant="v", step=0)


def _by_tag(after: Structure) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for u in after.unit_ids("party.branch"):
        for t in after.unit(u).tags:
            if t.startswith("category:"):
                out.setdefault(t, []).append(u)
    return out


def _everyone_placed(before: Structure, after: Structure) -> None:
    active = after.members["active"]
    branch = after.members["branch"]
    live = after.kinds.is_branch[after.units.kind[branch]] & ~after.units.dissolved[branch]
    assert (live | ~active).all()
    assert sum(after.size(u) for u in after.unit_ids("party.branch")) == int(before.members["active"].sum())


def _community(spec: dict[str, list[dict]], *, roles=(), months_away: bool = False) -> Structure:
    """A community general branch with branches; ``spec`` maps a branch id to its members' attributes."""
    units = [{"id": "comm", "kind": "party.community", "name": "大观楼社区"},
             {"id": "gb", "kind": "party.general_branch", "name": "大观楼社区党总支", "built_on": "comm"}]
    members = []
    for b, rows in spec.items():
        units.append({"id": b, "kind": "party.branch", "name": f"{b}党支部", "parent": "gb", "built_on": "comm"})
        for i, row in enumerate(rows):
            m = {"id": f"{b}-{i:02d}", "branch": b, "home_host": "comm", "birth_date": "1975-01-01", **row}
            if months_away:
                m.setdefault("months_away", 0)
            members.append(m)
    return Structure.from_records(KindTable(PARTY_PACK), units=units, members=members,
                                  roles=[{"unit": u, "role": r, "person": p} for u, r, p in roles])


RETIRED = {"retired": True, "birth_date": "1950-03-01"}
YOUNG = {"birth_date": "1995-07-01"}
MOBILE = {"mobile": True, "away_at": "昆明市"}  # where the mobile member is (支部工作条例 第五条)
WORKING = {}


# -- the contract kit ---------------------------------------------------------------------------


def test_registered():
    assert "category-branches" in [s.name for s in strategies()]


def test_on_the_contract_baselines():
    base = contract_baselines("party", only=("branch-of-329",))["branch-of-329"]
    plan = propose(STRATEGY, base, {})
    after = apply(base, plan, variant="contract", step=0)
    tagged = _by_tag(after)
    # the roster does not say where its mobile members are: no mobile branch here (支部工作条例 第五条)
    assert set(tagged) == {"category:retired", "category:young"}
    assert [op.reason.code for op in plan.as_written()].count("mobile_no_place") == 1
    for units in tagged.values():
        assert all(after.size(u) <= 50 and after.size(u, full_only=True) >= 3 for u in units)
    retired = after.column("retired")
    for u in tagged["category:retired"]:
        assert retired[after.member_codes_of(u)].all()


# -- purpose-built structures ---------------------------------------------------------------------


def test_categories_get_their_own_branches():
    s = _community({
        "b1": [RETIRED] * 6 + [YOUNG] * 3 + [MOBILE] * 2 + [WORKING] * 9,
        "b2": [RETIRED] * 4 + [YOUNG] * 2 + [MOBILE] * 2 + [WORKING] * 7,
    })
    plan, after = _apply(s)
    _everyone_placed(s, after)
    tagged = _by_tag(after)
    assert {t: len(u) for t, u in tagged.items()} == {"category:retired": 1, "category:young": 1, "category:mobile": 1}
    (ret,), (young,), (mob,) = tagged["category:retired"], tagged["category:young"], tagged["category:mobile"]
    assert after.size(ret) == 10 and after.size(young) == 5 and after.size(mob) == 4
    assert after.parent(ret) == "gb" and after.built_on(ret) == ["comm"]
    assert after.unit(ret).name == "大观楼社区离退休党员党支部"
    assert after.unit(mob).name == "大观楼社区驻昆明市流动党员党支部" and after.unit(mob).attrs["place"] == "昆明市"
    assert after.size("b1") == 9 and after.size("b2") == 7
    young_text = next(op.reason.render("zh", plan.templates) for op in plan.operations
                      if op.op == "create_unit" and op.tags == ["category:young"])
    assert "按2024-06-30（方案基准日）计年龄小于35岁" in young_text
    mobile_text = next(op.reason.render("zh", plan.templates) for op in plan.operations
                       if op.op == "create_unit" and op.tags == ["category:mobile"])
    assert "未核查外出满6个月" in mobile_text  # no months_away column: the rule is not checked


def test_young_age_boundary():
    # born 1990-06-30: 34 on 2024-06-30, so young for young_age 35, not for 34
    s = _community({"b1": [{"birth_date": "1990-06-30"}] * 4 + [WORKING] * 6})
    _, a35 = _apply(s, {"categories": ["young"], "young_age": 35})
    _, a34 = _apply(s, {"categories": ["young"], "young_age": 34})
    assert len(_by_tag(a35)["category:young"]) == 1 and _by_tag(a34) == {}


def test_reference_date_without_as_of_comes_from_joined():
    rows = [{"birth_date": "1992-01-01", "joined": "2015-01-01"}] * 4 + [{"joined": "2020-05-01"}] * 6
    s = _community({"b1": rows})
    plan, after = _apply(s, {"categories": ["young"]}, as_of=None)
    assert len(_by_tag(after)["category:young"]) == 1  # 28 at 2020-05-01
    text = next(op.reason.render("en", plan.templates) for op in plan.operations if op.op == "create_unit")
    assert "2020-05-01 (the latest joined date of the roster)" in text


def test_mobile_transfer_rule():
    rows = ([{**MOBILE, "months_away": 2}] * 4 + [{**MOBILE, "months_away": 8}] * 2
            + [{"months_away": 7, "away_at": "昆明市"}] + [WORKING] * 8)
    s = _community({"b1": rows}, months_away=True)
    plan, after = _apply(s, {"categories": ["mobile"]})
    (mob,) = _by_tag(after)["category:mobile"]
    assert sorted(after.member_ids_of(mob)) == [f"b1-{i:02d}" for i in range(4)]
    due = [op for op in plan.as_written() if op.reason.code == "transfer_due"]
    assert len(due) == 1 and due[0].unit == "b1"
    text = due[0].reason.render("zh", plan.templates)
    assert "3名流动党员外出满6个月" in text and "应将组织关系转至所在地党组织" in text
    _, kept = _apply(s, {"categories": ["mobile"], "keep_mobile_here": True})
    (mob2,) = _by_tag(kept)["category:mobile"]
    assert kept.size(mob2) == 7
    plan2 = STRATEGY.propose(STRATEGY.context(s, as_of=AS_OF, rules=party_rule_book()), STRATEGY.parse_params(
        {"categories": ["mobile"], "keep_mobile_here": True}))
    assert [len(op.members) for op in plan2.as_written() if op.reason.code == "transfer_due_kept"] == [3]


def test_small_category_stays():
    s = _community({"b1": [RETIRED] * 2 + [YOUNG] * 5 + [WORKING] * 10})
    plan, after = _apply(s)
    assert set(_by_tag(after)) == {"category:young"}
    assert sum(after.column("retired")[after.member_codes_of("b1")]) == 2
    small = [op for op in plan.operations if op.reason.code == "category_small"]
    assert len(small) == 1 and "2名离退休党员" in small[0].reason.render("zh", plan.templates)


def test_large_category_is_split():
    s = _community({"b1": [RETIRED] * 70 + [WORKING] * 20, "b2": [RETIRED] * 50 + [WORKING] * 20})
    _, after = _apply(s, {"categories": ["retired"]})
    units = _by_tag(after)["category:retired"]
    assert len(units) == 3
    assert all(after.size(u) <= 50 and after.size(u, full_only=True) >= 3 for u in units)
    assert sum(after.size(u) for u in units) == 120
    assert [after.unit(u).name for u in units] == [f"大观楼社区离退休党员第{n}党支部" for n in "一二三"]


def test_backbone_stays_and_source_left_small_is_merged_or_dissolved():
    s = _community(
        {"b1": [RETIRED] * 8 + [WORKING] * 2, "b2": [RETIRED] * 4, "b3": [WORKING] * 10},
        roles=[("b1", "secretary", "b1-00")],
    )
    plan, after = _apply(s, {"categories": ["retired"]})
    _everyone_placed(s, after)
    assert after.branch_of("b1-00") != _by_tag(after)["category:retired"][0]
    # b1 keeps its secretary and 2 workers: 3 full members, stays; b2 is emptied and dissolved
    assert not after.unit("b1").dissolved and after.size("b1") == 3
    assert after.unit("b2").dissolved
    plan2, after2 = _apply(s, {"categories": ["retired"], "keep_backbone": False})
    # without keeping the backbone b1 keeps only 2 members: merged into b3
    assert after2.unit("b1").dissolved and after2.size("b3") == 12
    assert any(op.reason.code == "source_merged" for op in plan2.operations)


def test_second_run_moves_nobody_and_existing_branch_is_filled():
    s = _community({"b1": [RETIRED] * 6 + [WORKING] * 6, "b2": [RETIRED] * 3 + [WORKING] * 6})
    _, after = _apply(s, {"categories": ["retired"]})
    again = STRATEGY.propose(STRATEGY.context(after, as_of=AS_OF, rules=party_rule_book()), STRATEGY.parse_params({"categories": ["retired"]}))
    assert [op for op in again.as_written() if op.op in ("create_unit", "move_members", "dissolve")] == []
    # an existing retired branch under the same parent takes newcomers, even too few for a branch of their own
    units = [{"id": "gb", "kind": "party.general_branch", "name": "党总支"},
             {"id": "old", "kind": "party.branch", "name": "老年党员党支部", "parent": "gb", "tags": "category:retired"},
             {"id": "b1", "kind": "party.branch", "name": "一支部", "parent": "gb"}]
    members = ([{"id": f"o{i}", "branch": "old", "retired": True} for i in range(5)]
               + [{"id": f"w{i}", "branch": "b1", "retired": i < 2} for i in range(8)])
    s2 = Structure.from_records(KindTable(PARTY_PACK), units=units, members=members)
    plan, after2 = _apply(s2, {"categories": ["retired"]})
    assert sorted(after2.member_ids_of("old")) == ["o0", "o1", "o2", "o3", "o4", "w0", "w1"]
    assert [op.reason.code for op in plan.as_written()] == ["to_existing"]


def test_groups_follow_or_are_dissolved():
    units = [{"id": "gb", "kind": "party.general_branch", "name": "党总支"},
             {"id": "b1", "kind": "party.branch", "name": "一支部", "parent": "gb"},
             {"id": "g1", "kind": "party.group", "name": "一组", "parent": "b1"},
             {"id": "g2", "kind": "party.group", "name": "二组", "parent": "b1"}]
    members = ([{"id": f"r{i}", "branch": "b1", "group": "g1", "retired": True} for i in range(5)]
               + [{"id": f"w{i}", "branch": "b1", "group": "g2"} for i in range(5)]
               + [{"id": "r9", "branch": "b1", "group": "g2", "retired": True}])
    s = Structure.from_records(KindTable(PARTY_PACK), units=units, members=members)
    _, after = _apply(s, {"categories": ["retired"]})
    (ret,) = _by_tag(after)["category:retired"]
    assert after.parent("g1") == ret and all(after.group_of(f"r{i}") == "g1" for i in range(5))
    assert after.parent("g2") == "b1" and after.group_of("r9") is None and after.branch_of("r9") == ret


def test_parent_parameter_pools_the_scope():
    units = [{"id": "top", "kind": "party.committee", "name": "街道党工委"},
             {"id": "gb1", "kind": "party.general_branch", "name": "一社区党总支", "parent": "top"},
             {"id": "gb2", "kind": "party.general_branch", "name": "二社区党总支", "parent": "top"},
             {"id": "b1", "kind": "party.branch", "name": "一支部", "parent": "gb1"},
             {"id": "b2", "kind": "party.branch", "name": "二支部", "parent": "gb2"}]
    members = [{"id": f"{b}-{i}", "branch": b, "retired": i < 2} for b in ("b1", "b2") for i in range(6)]
    s = Structure.from_records(KindTable(PARTY_PACK), units=units, members=members)
    plan, default = _apply(s, {"categories": ["retired"]})
    assert _by_tag(default) == {}  # two retired members in each community: too few on their own
    assert [op.unit for op in plan.operations if op.reason.code == "category_small"] == ["gb1", "gb2"]
    _, pooled = _apply(s, {"categories": ["retired"], "parent": "top"})
    (ret,) = _by_tag(pooled)["category:retired"]
    assert pooled.parent(ret) == "top" and pooled.size(ret) == 4
    _, scoped = _apply(s, {"categories": ["retired"], "parent": "top"}, scope=("gb1",))
    assert _by_tag(scoped) == {}  # the new branch would go under top, outside the step's scope


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"categories": ["old"]}, "category-branches: params.categories.0"),
        ({"categories": ["young", "young"]}, "a category is named twice"),
        ({"categories": []}, "category-branches: params.categories"),
        ({"parent": "zz"}, "category-branches: params.parent: unknown unit 'zz'"),
        ({"parent": "comm"}, "category-branches: params.parent: 'comm' is a host unit, not an organisation"),
        ({"parent": "b1"}, "category-branches: params.parent: a party.branch cannot sit under a party.branch ('b1')"),
        ({"young_age": 10}, "category-branches: params.young_age"),
    ],
)
def test_bad_parameters(params, message):
    s = _community({"b1": [RETIRED] * 4 + [WORKING] * 4})
    with pytest.raises(UserError) as err:
        STRATEGY.propose(Context.for_structure(s, rules=party_rule_book()), STRATEGY.parse_params(params))
    assert message in str(err.value) and "\n" not in str(err.value)


# -- proposed roles (RULES secretary.when / committee.when) ---------------------------------------


def _role_findings(after: Structure, units: list[str], status: str | None = None) -> list[tuple[str, str]]:
    from orgmodel import PluginHost
    from orgmodel import check_rules

    pack = PluginHost().rule_packs().get("party")
    return sorted((f.unit, f.rule) for f in check_rules(after, [pack])
                  if f.rule in ("secretary.when", "committee.when") and f.unit in units
                  and (status is None or f.status == status))


def test_new_category_branches_get_a_secretary_and_committee():
    early = {"joined": "1980-05-01"}
    s = _community({
        "b1": [RETIRED] * 6 + [YOUNG] * 3 + [MOBILE] * 2 + [WORKING] * 9,
        "b2": [RETIRED] + [{**RETIRED, **early}] + [RETIRED] * 2 + [YOUNG] * 2 + [MOBILE] * 2 + [WORKING] * 7,
    }, roles=(("b1", "secretary", "b1-19"), ("b2", "secretary", "b2-14")))
    plan, after = _apply(s)
    new = [u for u in after.unit_ids("party.branch") if "/" in u]
    assert len(new) == 3
    assert _role_findings(after, new) == []
    (ret,) = _by_tag(after)["category:retired"]
    roles = sorted((r.role, r.person) for r in after.roles_in(ret))
    # 10 full members: a committee of 3; the earliest joined (b2-01) is secretary, then member code
    assert roles == [("committee_member", "b1-00"), ("committee_member", "b1-01"), ("secretary", "b2-01")]
    (young,) = _by_tag(after)["category:young"]
    assert [(r.role, r.person) for r in after.roles_in(young)] == [("secretary", "b1-06")]
    text = [op.reason.render("zh", plan.templates) for op in plan.operations if op.op == "set_role"]
    assert "大观楼社区离退休党员党支部有10名正式党员（7人以上），设支部委员会3人，由党员b2-01任书记（无骨干党员可选，取入党最早的正式党员）" in text
    # the old branches keep their secretaries
    assert [(r.role, r.person) for r in after.roles_in("b1")] == [("secretary", "b1-19")]
    _, bare = _apply(s, {"propose_roles": False})
    new = [u for u in bare.unit_ids("party.branch") if "/" in u]
    (ret,) = _by_tag(bare)["category:retired"]
    found = _role_findings(bare, new, "violated")
    assert (ret, "committee.when") in found and len([f for f in found if f[1] == "secretary.when"]) == 3


# -- areas, places and sizes ------------------------------------------------------------------------


def _street(areas: dict[str, list[dict]], *, buildings: int = 4) -> Structure:
    """A community working committee over residential areas, each with its own branch and buildings;
    ``areas`` maps an area id to its members' attributes (homes spread over its buildings in turn)."""
    units = [{"id": "st", "kind": "party.community", "name": "某路社区"},
             {"id": "wc", "kind": "party.working_committee", "name": "某路社区党工委", "built_on": "st"},
             {"id": "km", "kind": "party.street", "name": "昆明市某街道"}]
    members = []
    for a, rows in areas.items():
        units.append({"id": a, "kind": "party.residential_area", "name": f"{a}居民区", "parent": "st"})
        units.append({"id": f"{a}-b", "kind": "party.branch", "name": f"{a}居民区党支部", "parent": "wc", "built_on": a})
        for k in range(buildings):
            units.append({"id": f"{a}-bd{k}", "kind": "party.building", "name": f"{a}{k + 1}栋", "parent": a})
        for i, row in enumerate(rows):
            members.append({"id": f"{a}-{i:03d}", "branch": f"{a}-b", "home_host": f"{a}-bd{i % buildings}",
                            "birth_date": "1975-01-01", **row})
    return Structure.from_records(KindTable(PARTY_PACK), units=units, members=members)


def test_category_branches_belong_to_their_area_not_the_whole_street():
    # retired members of two residential areas are not pooled across the street: each area gets its own
    # retired branch built on the area; an area of more than 50 members gets a general branch (50–100,
    # general_branch.when) over its branches, so the new ones sit under their area, not under the committee
    s = _street({"a1": [RETIRED] * 20 + [WORKING] * 40, "a2": [RETIRED] * 10 + [WORKING] * 20})
    plan, after = _apply(s, {"categories": ["retired"]})
    _everyone_placed(s, after)
    retired = _by_tag(after)["category:retired"]
    assert sorted(after.built_on(u)[0] for u in retired) == ["a1", "a2"]
    for u in retired:
        area = after.built_on(u)[0]
        assert all(str(m).startswith(area) for m in after.member_ids_of(u))  # nobody from another area
    (r1,) = [u for u in retired if after.built_on(u) == ["a1"]]
    (r2,) = [u for u in retired if after.built_on(u) == ["a2"]]
    gb = after.parent(r1)
    assert after.kind_of(gb) == "party.general_branch" and after.built_on(gb) == ["a1"]
    assert after.unit(gb).name == "a1居民区党总支" and after.parent(gb) == "wc" and after.parent("a1-b") == gb
    assert after.parent(r2) == "wc" and after.parent("a2-b") == "wc"  # 30 members: one area, no general branch


def test_a_branch_left_over_the_limit_is_cut_by_building():
    # branch.max_size (支部工作条例 第四条, 一般不超过50人): a1 keeps 90 working members after its retired
    # members leave, so it is cut by building (split-branch by=building); every branch ends within 50
    s = _street({"a1": [RETIRED] * 20 + [WORKING] * 90})
    _, after = _apply(s, {"categories": ["retired"]})
    _everyone_placed(s, after)
    live = [u for u in after.unit_ids("party.branch") if after.size(u)]
    assert max(after.size(u) for u in live) <= 50 and len(live) == 3
    assert after.kind_of(after.parent("a1-b")) == "party.committee"  # 110 members: a base committee (100 以上)
    _, whole = _apply(s, {"categories": ["retired"], "split_remainder": False})
    assert whole.size("a1-b") == 90


def test_mobile_branches_are_formed_where_the_mobile_members_are():
    # 支部工作条例 第五条: 流动党员党支部 are formed where mobile members are; members at a recorded host get a
    # branch built on it, a place with too few stays, and members whose place is unknown stay with a reason
    at_km = {"mobile": True, "away_at": "km"}
    s = _street({"a1": [at_km] * 4 + [{"mobile": True, "away_at": "深圳"}] * 2 + [{"mobile": True}] * 3
                 + [WORKING] * 20})
    plan, after = _apply(s, {"categories": ["mobile"]})
    (mob,) = _by_tag(after)["category:mobile"]
    assert after.built_on(mob) == ["km"] and after.unit(mob).name == "a1居民区驻昆明市某街道流动党员党支部"
    assert sorted(after.member_ids_of(mob)) == [f"a1-{i:03d}" for i in range(4)]
    assert {after.branch_of(f"a1-{i:03d}") for i in range(4, 9)} == {"a1-b"}
    text = [op.reason.render("zh", plan.templates) for op in plan.as_written()]
    assert any("3名流动党员，名册未记录其所在地" in t and "第五条" in t for t in text)
    assert any("a1居民区驻深圳只有2名流动党员" in t for t in text)
