"""Every built-in and party metric on small party structures, against values computed by hand.

The structure of most tests (``org``)::

    wc 党工委 (on community c)
    ├── gb 党总支 (on ra)
    │   ├── b1 党支部: 4 full + 1 probationary; group g1 holds 2 of them
    │   └── b2 党支部: 2 full
    └── b3 党支部: 60 full (+1 inactive, never counted)
    ub 待落实 (core.unplaced): 1 member;  ex 外部 (core.external): 1 member

so: 69 active members, live branches of 5, 2 and 60 members.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from orgmodel.model.apply import apply
from orgmodel.builtin.metrics import BUILTIN_METRICS
from orgmodel.cli import main
from orgmodel.errors import PluginError
from orgmodel.model.kinds import KindTable
from orgmodel.analysis.metrics import MeasureContext, Metric, Value, measure
from orgmodel.model.plan import PlanBuilder
from orgmodel.model.structure import Structure
from orgmodel_party.kinds import PARTY_PACK
from orgmodel_party.metrics import PARTY_METRICS

KINDS = KindTable(PARTY_PACK)
ALL = tuple(BUILTIN_METRICS) + tuple(PARTY_METRICS)


def people(prefix: str, branch: str, full: int, probationary: int = 0, **extra: Any) -> list[dict[str, Any]]:
    rows = [{"id": f"{prefix}{i}", "branch": branch, "status": "full", **extra} for i in range(full)]
    rows += [{"id": f"{prefix}p{i}", "branch": branch, "status": "probationary", **extra} for i in range(probationary)]
    return rows


BASE_UNITS = [
    {"id": "c", "kind": "party.community", "name": "某社区"},
    {"id": "ra", "kind": "party.residential_area", "name": "某居民区", "parent": "c"},
    {"id": "wc", "kind": "party.working_committee", "name": "某党工委", "built_on": ["c"]},
]


def org() -> Structure:
    units = BASE_UNITS + [
        {"id": "gb", "kind": "party.general_branch", "name": "党总支", "parent": "wc", "built_on": ["ra"]},
        {"id": "b1", "kind": "party.branch", "name": "一支部", "parent": "gb", "built_on": ["ra"]},
        {"id": "b2", "kind": "party.branch", "name": "二支部", "parent": "gb", "built_on": ["ra"]},
        {"id": "b3", "kind": "party.branch", "name": "三支部", "parent": "wc", "built_on": ["ra"]},
        {"id": "g1", "kind": "party.group", "name": "一组", "parent": "b1"},
        {"id": "ub", "kind": "core.unplaced", "name": "待落实"},
        {"id": "ex", "kind": "core.external", "name": "外部"},
    ]
    members = people("a", "b1", 4, 1) + people("b", "b2", 2) + people("c", "b3", 60)
    members[0]["group"] = members[1]["group"] = "g1"
    members += [{"id": "gone", "branch": "b3", "status": "full", "active": False},
                {"id": "u0", "branch": "ub", "status": "full"}, {"id": "x0", "branch": "ex", "status": "full"}]
    return Structure.from_records(KINDS, units=units, members=members)


def values(s: Structure, metrics: tuple[Any, ...] = ALL, **ctx: Any) -> dict[str, Value]:
    return {v.name: v for v in measure(MeasureContext(s, **ctx), metrics)}


def vals(s: Structure, metrics: tuple[Any, ...] = ALL, **ctx: Any) -> dict[str, float | None]:
    return {k: v.value for k, v in values(s, metrics, **ctx).items()}


def only(prefix: str, got: dict[str, float | None]) -> dict[str, float | None]:
    return {k: v for k, v in got.items() if k.startswith(prefix + ".")}


# -- built-in metrics --------------------------------------------------------------------------------


def test_units_counts_live_organisation_units_by_kind_without_reserved_ones() -> None:
    got = only("units", vals(org()))
    assert got == {
        "units.party.working_committee": 1.0, "units.party.committee": 0.0, "units.party.general_branch": 1.0,
        "units.party.branch": 3.0, "units.party.group": 1.0, "units.party.functional_group": 0.0, "units.party.industry_branch": 0.0,
    }


def test_branch_size_statistics() -> None:
    got = only("branch_size", vals(org()))
    assert got == {
        "branch_size.count": 3.0,  # b1, b2, b3; the unplaced and external units are no branches
        "branch_size.min": 2.0,
        "branch_size.median": 5.0,
        "branch_size.p90": pytest.approx(49.0),  # [2, 5, 60]: 5 + 0.8 * 55
        "branch_size.max": 60.0,
    }
    # the limits are the party rule pack's, measured by the party pack's branch_limits
    assert only("branch_limits", vals(org())) == {
        "branch_limits.over_50": 1.0, "branch_limits.over_100": 0.0, "branch_limits.under_3_full": 1.0}  # b3; b2
    v = values(org())
    assert v["branch_size.max"].direction == "lower" and v["branch_size.count"].direction == "neutral"
    assert v["branch_size.max"].unit == "人" and v["branch_size.max"].label_en == "largest branch"


def test_branch_size_over_100_and_boundaries() -> None:
    units = BASE_UNITS + [{"id": f"b{i}", "kind": "party.branch", "parent": "wc", "built_on": ["ra"]} for i in range(4)]
    members = people("a", "b0", 50) + people("b", "b1", 51) + people("c", "b2", 100) + people("d", "b3", 99, 2)
    s = Structure.from_records(KINDS, units=units, members=members)
    got = only("branch_limits", vals(s))
    assert got["branch_limits.over_50"] == 3.0  # 51, 100, 101; 50 is not over 50
    assert got["branch_limits.over_100"] == 1.0  # 101 (99 full + 2 probationary: all members count)
    assert only("branch_size", vals(s))["branch_size.median"] == 75.5


def test_branch_size_without_branches_is_empty_not_zero() -> None:
    s = Structure.from_records(KINDS, units=BASE_UNITS + [{"id": "ub", "kind": "core.unplaced"}],
                               members=[{"id": "m", "branch": "ub"}])
    got = only("branch_size", vals(s))
    assert got["branch_size.count"] == 0.0
    assert got["branch_size.min"] is None and got["branch_size.max"] is None and got["branch_size.p90"] is None


def test_hierarchy_layers_and_spans() -> None:
    got = only("hierarchy", vals(org()))
    # wc(0) → gb(1) → b1(2) → g1(3): 4 layers; children: wc 2 (gb, b3), gb 2 (b1, b2), b1 1 (g1)
    assert got == {"hierarchy.depth": 4.0, "hierarchy.span_mean": pytest.approx(5 / 3), "hierarchy.span_max": 2.0}


def test_placement() -> None:
    got = only("placement", vals(org()))
    assert got == {"placement.members": 69.0, "placement.unplaced": 1.0, "placement.external": 1.0}


def test_change_cost_is_absent_without_a_baseline_and_zero_against_itself() -> None:
    s = org()
    assert not only("change", vals(s))
    assert set(only("change", vals(s, baseline=s)).values()) == {0.0}


def _reorganised(s: Structure) -> Structure:
    b = PlanBuilder(s, strategy="test")
    new = b.create_unit("b4", kind="party.branch", name="四支部", parent="gb", built_on=["ra"], reason="r")
    b.move(["c0", "c1", "c2"], to=new, reason="r")
    b.dissolve("b2", members_to="b1", reason="r")
    b.retype("gb", kind="party.committee", name="党委", reason="r")
    return apply(s, b.build())


def test_change_cost_after_a_plan() -> None:
    s = org()
    after = _reorganised(s)
    got = only("change", vals(after, baseline=s))
    assert got == {
        "change.members_moved": 5.0,  # 3 moved by hand, 2 with their dissolved branch
        "change.units_created": 1.0,
        "change.units_dissolved": 1.0,
        "change.units_retyped": 1.0,
    }
    assert values(after, baseline=s)["change.members_moved"].direction == "lower"


def test_hourglass() -> None:
    got = only("hourglass", vals(org()))
    # longest path: wc → gb → b1 → g1 → member = 5 levels; levels 1..2 (top excluded, down to the
    # deepest branch) have 2 units each (gb, b3 and b1, b2): narrowest 2, load 69 / 2
    assert got == {"hourglass.path": 5.0, "hourglass.narrowest": 2.0, "hourglass.load": 34.5}


def test_hourglass_of_a_single_branch_area() -> None:
    units = BASE_UNITS + [{"id": "b", "kind": "party.branch", "parent": "wc", "built_on": ["ra"]}]
    got = only("hourglass", vals(Structure.from_records(KINDS, units=units, members=people("a", "b", 150))))
    assert got == {"hourglass.path": 3.0, "hourglass.narrowest": 1.0, "hourglass.load": 150.0}


def test_meeting_without_room_data_is_empty_with_a_note() -> None:
    v = values(org())
    assert v["meeting.largest"].value == 60.0
    assert v["meeting.over_capacity"].value is None
    assert "no room" in v["meeting.over_capacity"].note


def test_meeting_with_room_capacities_from_unit_attributes_and_from_the_context() -> None:
    s = org()
    b = PlanBuilder(s)
    b.set_attributes("b3", attrs={"room_capacity": 40}, reason="会议室40座")
    b.set_attributes("b1", attrs={"room_capacity": 5}, reason="会议室5座")  # exactly full: not over
    s2 = apply(s, b.build())
    v = values(s2)
    assert v["meeting.over_capacity"].value == 1.0 and v["meeting.over_capacity"].note == ""
    assert vals(s2, rooms={"b2": 1})["meeting.over_capacity"] == 2.0
    assert vals(s2, rooms={"b3": 80})["meeting.over_capacity"] == 0.0  # the context overrides the attribute
    assert vals(s, rooms={"b3": 59})["meeting.over_capacity"] == 1.0


def test_meeting_room_capacity_on_a_unit_created_by_a_plan() -> None:
    s = org()
    b = PlanBuilder(s)
    new = b.create_unit("b4", kind="party.branch", name="四支部", parent="wc", built_on=["ra"],
                        attrs={"room_capacity": 2}, reason="r")
    b.move(["c0", "c1", "c2"], to=new, reason="r")
    assert vals(apply(s, b.build()))["meeting.over_capacity"] == 1.0


# -- party metrics ----------------------------------------------------------------------------------


def _kunyang(backbone: int) -> Structure:
    """昆阳-like: one branch of 182 members, ``backbone`` distinct backbone people."""
    units = BASE_UNITS + [{"id": "ky", "kind": "party.branch", "name": "昆阳党支部", "parent": "wc", "built_on": ["ra"]},
                          {"id": "kg", "kind": "party.group", "name": "一组", "parent": "ky"}]
    members = people("k", "ky", 170, 12)
    cycle = ("secretary", "deputy_secretary", "committee_member", "group_leader")
    roles = [{"unit": "ky" if i % 4 < 3 else "kg", "role": cycle[i % 4], "person": f"k{i}"} for i in range(backbone)]
    # not backbone: another role, and a second role of someone already counted
    roles += [{"unit": "ky", "role": "liaison", "person": "k150"}, {"unit": "kg", "role": "group_leader", "person": "k0"}]
    return Structure.from_records(KINDS, units=units, members=members, roles=roles)


def test_backbone_kunyang_before_and_after() -> None:
    before = only("backbone", vals(_kunyang(11)))
    assert before["backbone.people"] == 11.0
    assert before["backbone.members_per_backbone"] == pytest.approx(182 / 11)
    assert round(before["backbone.members_per_backbone"], 1) == 16.5
    s = _kunyang(11)
    b = PlanBuilder(s)
    for i in range(11, 32):  # 21 more people take a role: 3 committee members and 18 group leaders
        b.set_role("ky" if i < 14 else "kg", role="committee_member" if i < 14 else "group_leader",
                   person=f"k{i}", reason="r")
    after = only("backbone", vals(apply(s, b.build())))
    assert after == {"backbone.people": 32.0, "backbone.members_per_backbone": 5.6875}


def test_backbone_without_roles_is_empty() -> None:
    units = BASE_UNITS + [{"id": "b", "kind": "party.branch", "parent": "wc", "built_on": ["ra"]}]
    got = only("backbone", vals(Structure.from_records(KINDS, units=units, members=people("a", "b", 9))))
    assert got == {"backbone.people": 0.0, "backbone.members_per_backbone": None}


def test_backbone_roles_end_with_a_dissolved_unit() -> None:
    s = _kunyang(11)
    b = PlanBuilder(s)
    b.dissolve("kg", reason="小组撤销")  # holds the group leaders k3, k7 and k0's second role
    got = only("backbone", vals(apply(s, b.build())))
    assert got["backbone.people"] == 9.0  # k3 and k7 held only their group role


def _teams() -> Structure:
    units = BASE_UNITS + [
        {"id": "t1", "kind": "party.team", "name": "歌咏队", "parent": "ra", "tags": ["team:culture"]},
        {"id": "t2", "kind": "party.team", "name": "鼓操队", "parent": "ra", "tags": ["team:sports"]},
        {"id": "t3", "kind": "party.team", "name": "空队", "parent": "ra"},
        {"id": "bt", "kind": "party.branch", "name": "歌咏队党支部", "parent": "wc", "built_on": ["t1"], "tags": ["team"]},
        {"id": "bc", "kind": "party.branch", "name": "综合党支部", "parent": "wc", "built_on": ["ra"],
         "tags": ["comprehensive"]},
    ]
    members = people("t", "bt", 4) + people("c", "bc", 6)
    participation = [("t0", "t1"), ("t1", "t1"), ("t2", "t1"), ("t2", "t2"), ("t3", "t2"), ("c0", "t1"), ("c1", "t2")]
    return Structure.from_records(KINDS, units=units, members=members, participation=participation)


def test_team_alignment() -> None:
    got = only("team_alignment", vals(_teams()))
    # aligned: t0, t1, t2 (in bt, on t1, and take part in t1); in teams: t0..t3, c0, c1
    assert got == {"team_alignment.share": 30.0, "team_alignment.share_of_team_members": 50.0}


def test_team_alignment_without_participation_is_empty_with_a_note() -> None:
    s = org()
    v = values(s)
    assert v["team_alignment.share"].value is None and "no participation" in v["team_alignment.share"].note
    assert v["team_alignment.share_of_team_members"].value is None
    assert v["team_alignment.share_of_team_members"].note


def test_coverage_of_teams_villages_and_enterprises() -> None:
    units = [
        {"id": "tw", "kind": "party.township", "name": "某镇"},
        {"id": "v1", "kind": "party.village", "name": "一村", "parent": "tw"},
        {"id": "v2", "kind": "party.village", "name": "二村", "parent": "tw"},
        {"id": "v3", "kind": "party.village", "name": "三村", "parent": "tw"},
        {"id": "e1", "kind": "party.enterprise", "name": "甲厂", "parent": "v1"},
        {"id": "e2", "kind": "party.enterprise", "name": "乙厂", "parent": "v1"},
        {"id": "e3", "kind": "party.enterprise", "name": "丙厂", "parent": "v2"},  # no member lives there
        {"id": "t1", "kind": "party.team", "name": "文艺队", "parent": "v1"},
        {"id": "t2", "kind": "party.team", "name": "巡逻队", "parent": "v2"},
        {"id": "tc", "kind": "party.committee", "name": "镇党委", "built_on": ["tw"]},
        {"id": "jb", "kind": "party.branch", "name": "联合党支部", "parent": "tc", "built_on": ["v1", "v2"]},
        {"id": "eb", "kind": "party.branch", "name": "甲厂党支部", "parent": "tc", "built_on": ["e1"]},
        {"id": "tb", "kind": "party.branch", "name": "文艺队党支部", "parent": "tc", "built_on": ["t1"]},
        {"id": "gone", "kind": "party.branch", "name": "已撤销", "parent": "tc", "built_on": ["v3"]},
    ]
    members = (people("j", "jb", 3, home_host="e2") + people("e", "eb", 3, home_host="e1")
               + people("t", "tb", 3) + [{"id": "old", "branch": "tb", "home_host": "e3", "active": False}])
    s = Structure.from_records(KINDS, units=units, members=members, participation=[("t0", "t1"), ("j0", "t2")])
    b = PlanBuilder(s)
    b.dissolve("gone", reason="r")
    s = apply(s, b.build())
    v = values(s)
    assert v["coverage.team"].value == 50.0 and v["coverage.team"].note == "1 of 2"
    assert v["coverage.village"].value == pytest.approx(200 / 3)  # v3's branch is dissolved
    assert v["coverage.village"].note == "2 of 3"
    assert v["coverage.enterprise"].value == 50.0  # e1 covered, e2 not; e3 has only an inactive member
    assert v["coverage.enterprise"].note == "1 of 2"


def test_coverage_leaves_out_host_kinds_with_nothing_to_cover() -> None:
    assert only("coverage", vals(org())) == {}


# -- the whole set -----------------------------------------------------------------------------------


def test_every_value_is_json_ready_and_named_after_its_metric() -> None:
    s = org()
    after = _reorganised(s)
    for structure, ctx in ((s, {}), (after, {"baseline": s}), (_teams(), {}), (_kunyang(11), {})):
        out = measure(MeasureContext(structure, **ctx), ALL)
        names = [v.name for v in out]
        assert len(names) == len(set(names))
        metric_names = {m.name for m in ALL}
        for v in out:
            assert v.name.split(".")[0] in metric_names
            assert v.value is None or type(v.value) is float, (v.name, type(v.value))
            assert v.value is None or math.isfinite(v.value)
            assert v.direction in ("higher", "lower", "neutral")
            assert v.label_zh and v.label_en
        text = json.dumps([v.as_dict() for v in out], ensure_ascii=False, allow_nan=False)
        assert json.loads(text)[0].keys() == {"name", "value", "label_zh", "label_en", "unit", "direction", "note"}


def test_better_than_follows_the_direction() -> None:
    lower = Value("x.y", 3.0, "甲", "x", direction="lower")
    assert lower.better_than(Value("x.y", 4.0, "甲", "x", direction="lower")) is True
    assert lower.better_than(Value("x.y", 2.0, "甲", "x", direction="lower")) is False
    higher = Value("x.y", 3.0, "甲", "x", direction="higher")
    assert higher.better_than(Value("x.y", 2.0, "甲", "x", direction="higher")) is True
    assert Value("x.y", 3.0, "甲", "x").better_than(Value("x.y", 1.0, "甲", "x")) is None
    assert lower.better_than(Value("x.y", None, "甲", "x", direction="lower")) is None


def test_metric_value_turns_nan_and_numpy_into_plain_floats() -> None:
    class M(Metric):
        name = "m"

        def compute(self, ctx):  # noqa: ANN001, ANN202
            return []

    assert M().value("a", float("nan"), "甲", "a").value is None
    v = M().value("", np.int64(3), "甲", "a")
    assert v.name == "m" and type(v.value) is float and v.value == 3.0


# -- failures ---------------------------------------------------------------------------------------


class Broken(Metric):
    name = "broken"
    label_zh = "坏"
    label_en = "broken"

    def compute(self, ctx: MeasureContext) -> list[Value]:
        return [self.value("ok", 1, "好", "ok"), *([] if ctx.structure.n_units < 0 else [1 / 0])]


class NotAValue(Metric):
    name = "not_a_value"

    def compute(self, ctx: MeasureContext) -> list[Value]:
        return [{"name": "x", "value": 1}]  # type: ignore[list-item]


def test_a_failing_metric_is_a_plugin_error_naming_the_metric_and_its_plugin() -> None:
    with pytest.raises(PluginError) as info:
        measure(MeasureContext(org()), (BUILTIN_METRICS[0], Broken()), owners={"broken": "my-plugin"})
    message = str(info.value)
    assert message.startswith("plugin my-plugin: metric broken failed: ZeroDivisionError")
    assert info.value.plugin == "my-plugin"
    with pytest.raises(PluginError, match="metric broken failed"):
        measure(MeasureContext(org()), (Broken(),))
    with pytest.raises(PluginError, match="metric not_a_value returned dict, not a Value"):
        measure(MeasureContext(org()), (NotAValue(),))


PLUGIN = '''
from orgmodel import hookimpl
from orgmodel.analysis.metrics import Metric


class Boom(Metric):
    name = "boom"
    label_zh = "炸"
    label_en = "boom"

    def compute(self, ctx):
        raise RuntimeError("no fuse")


@hookimpl
def register_metrics(register):
    register(Boom())
'''


def test_a_failing_metric_through_orgmodel_run_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "boomer.py").write_text(PLUGIN, encoding="utf-8")
    scenario = Path(__file__).resolve().parents[3] / "scenarios" / "qisan" / "scenario.yaml"
    out = tmp_path / "out"
    status = main(["--plugins-dir", str(plugins), "run", str(scenario), "--out", str(out), "--variant", "status-quo"])
    err = capsys.readouterr().err
    assert status == 2, err
    assert len(err.strip().splitlines()) == 1
    assert "metric boom failed: RuntimeError: no fuse" in err
    assert "boomer" in err  # the plugin that registered it
    assert not out.exists()


# -- seed 000's cycle, big tree and lever (party metrics) -------------------------------------------


def test_cycle_counts_overdue_and_due_renewals_by_the_rule_pack_terms() -> None:
    import datetime as dt

    s = org()  # everything under wc, which is built on the community: 5-year terms
    b = PlanBuilder(s)
    b.set_attributes("b1", attrs={"elected": "2018-06-01", "member_meetings_last_year": 4}, reason="r")  # 6 years: overdue
    b.set_attributes("b2", attrs={"elected": "2019-09-01", "member_meetings_last_year": 2}, reason="r")  # 4.8: due
    b.set_attributes("b3", attrs={"elected": "2022-01-01"}, reason="r")  # 2.5: neither
    s2 = apply(s, b.build())
    got = only("cycle", vals(s2, as_of=dt.date(2024, 6, 30)))
    assert got == {"cycle.overdue": 1.0, "cycle.due": 1.0, "cycle.meetings": 50.0}
    missing = values(s2)  # no as_of: not measured, never 0
    assert missing["cycle.overdue"].value is None and "as_of" in missing["cycle.overdue"].note
    assert values(org(), as_of=dt.date(2024, 6, 30))["cycle.due"].value is None


def test_tree_reach_counts_organisations_reached_and_rooted() -> None:
    units = BASE_UNITS + [
        {"id": "t1", "kind": "party.team", "name": "歌咏队", "parent": "ra"},
        {"id": "t2", "kind": "party.team", "name": "巡逻队", "parent": "ra"},
        {"id": "f1", "kind": "party.enterprise", "name": "一厂", "parent": "ra"},
        {"id": "f2", "kind": "party.enterprise", "name": "二厂", "parent": "ra"},
        {"id": "b1", "kind": "party.branch", "name": "一支部", "parent": "wc", "built_on": ["t1"]},
        {"id": "b2", "kind": "party.branch", "name": "二支部", "parent": "wc", "built_on": ["ra"]},
    ]
    members = people("a", "b1", 3) + people("b", "b2", 3, home_host="f1")
    s = Structure.from_records(KINDS, units=units, members=members, participation=[("b0", "t2")])
    got = only("tree", vals(s))
    # t1 rooted (b1 on it), t2 reached (b0 takes part), f1 reached (b's work there), f2 not reached
    assert got == {"tree.reach": 75.0, "tree.rooted": 25.0, "tree.weakest_area": 75.0}


def test_lever_counts_members_reached_through_a_backbone_person() -> None:
    roles = [{"unit": "b1", "role": "secretary", "person": "a0"}, {"unit": "g1", "role": "group_leader", "person": "a1"}]
    s = org()
    s2 = Structure.from_records(KINDS, units=[{"id": u, "kind": s.unit(u).kind, "name": s.unit(u).name,
                                               "parent": s.unit(u).parent, "built_on": list(s.built_on(u))}
                                              for u in s.unit_ids()],
                                members=people("a", "b1", 4, 1) + people("b", "b2", 2), roles=roles)
    got = only("lever", vals(s2))
    assert got["lever.reached"] == pytest.approx(100.0 * 5 / 7)  # b1's five; b2 has no backbone person
    assert got["lever.reached_per_backbone"] == 2.5  # 5 members, 2 backbone people
    assert got["lever.teams_per_backbone"] == 0.0
