"""The built-in 汽三 scenario: its summary matches the rosters, names stay private, the manual
upgrade places every member once, and generate.py reproduces the committed files."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from orgmodel.model.apply import apply
from orgmodel.cli import main
from orgmodel.io.loader import build_baseline, load_scenario
from orgmodel.model.plan import Plan

FOLDER = Path(__file__).resolve().parents[1] / "scenarios" / "qisan"
SCENARIO = FOLDER / "scenario.yaml"
FILES = ("units.csv", "members.csv", "participation.csv", "roles.csv", "scenario.yaml")
TEAM_KEYS = {"议事团": "yishituan", "歌咏队": "geyongdui", "戏曲队": "xiqudui", "鼓操队": "gucaodui"}


def _rows(name: str) -> list[dict[str, str]]:
    with (FOLDER / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def members() -> list[dict[str, str]]:
    return _rows("members.csv")


@pytest.fixture(scope="module")
def teams_of() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in _rows("participation.csv"):
        out.setdefault(row["党员编号"], []).append(row["团队"])
    return out


def _info(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["info", str(SCENARIO), *extra]) == 0
    return capsys.readouterr().out


def test_summary_matches_the_rosters(capsys: pytest.CaptureFixture[str], members: list[dict[str, str]]) -> None:
    info = json.loads(_info(capsys, "--json"))
    units = _rows("units.csv")
    kinds = Counter(u["kind"] for u in units)
    status = Counter(m["党员类别"] for m in members)
    participation = _rows("participation.csv")
    n = len(members)

    assert info["domain"] == "party"
    assert info["members"]["rows"] == info["members"]["active"] == n
    assert info["members"]["full"] == status["正式党员"]
    assert info["members"]["not_full"] == status["预备党员"] == n - status["正式党员"]
    assert info["members"]["in_groups"] == sum(1 for m in members if m["党小组"])
    assert info["members"]["unplaced"] == info["members"]["inactive"] == 0
    by_kind = {u["kind"]: u["count"] for u in info["units"]}
    assert by_kind == dict(kinds)
    assert by_kind["party.branch"] == 1 and by_kind["party.group"] == 6 and by_kind["party.team"] == 4
    branches = info["branches"]
    assert branches["count"] == 1 and branches["min"] == branches["max"] == n
    assert branches["largest"] == [
        {"id": "qisan-branch", "name": "汽三居民区党支部", "members": n, "full": status["正式党员"]}
    ]
    assert info["participation"] == {
        "links": len(participation),
        "members": len({p["党员编号"] for p in participation}),
        "units": len({p["团队"] for p in participation}),
    }
    roles = _rows("roles.csv")
    assert info["roles"] == len(roles)
    titles = Counter(r["职务"] for r in roles)
    assert titles["书记"] == 1 and titles["党小组长"] == 6 and sum(titles.values()) == 11
    assert len({r["党员编号"] for r in roles}) == len(roles)  # distinct people
    assert {r["党员编号"] for r in roles} <= {m["编号"] for m in members}


def test_the_figures_are_the_documented_ones(members: list[dict[str, str]], teams_of: dict[str, list[str]]) -> None:
    n = len(members)
    assert 140 <= n <= 160
    born = [int(m["出生日期"][:4]) for m in members]
    assert sum(1940 <= y <= 1962 for y in born) == round(0.7 * n)
    assert all(1940 <= y <= 1995 for y in born)
    limited = {m["编号"] for m in members if m["行动不便"] == "是"}
    assert 0.04 <= len(limited) / n <= 0.08
    assert len(limited & set(teams_of)) <= 1  # immobile members rarely take part in teams
    assert sum(len(t) == 2 for t in teams_of.values()) / n == pytest.approx(0.1, abs=0.02)
    assert (n - len(teams_of)) / n == pytest.approx(0.33, abs=0.04)
    assert len({m["姓名"] for m in members}) == n


def test_names_are_never_printed(capsys: pytest.CaptureFixture[str], members: list[dict[str, str]]) -> None:
    output = _info(capsys, "--json") + _info(capsys) + _info(capsys, "--lang", "en")
    leaked = [m["姓名"] for m in members if m["姓名"] in output]
    assert leaked == []
    structure = build_baseline(load_scenario(SCENARIO))
    assert "name" in structure.personal and "name" not in structure.members.columns


def test_manual_upgrade_places_every_member_once(
    members: list[dict[str, str]], teams_of: dict[str, list[str]]
) -> None:
    scenario = load_scenario(SCENARIO)
    variant = next(v for v in scenario.spec.variants if v.name == "manual-upgrade")
    assert [v.name for v in scenario.spec.variants] == ["status-quo", "manual-upgrade", "team-branches"]
    assert len(variant.steps) == 1
    before = build_baseline(scenario)
    fingerprint = before.fingerprint
    plan = Plan(strategy="manual", operations=list(variant.steps[0].operations))
    after = apply(before, plan, variant=variant.name, step=0)

    # the input is untouched
    assert before.fingerprint == fingerprint
    assert before.kind_of("qisan-branch") == "party.branch"
    assert before.size("qisan-branch") == len(members)
    assert len(before.unit_ids("party.group")) == 6

    new = {key: f"manual-upgrade/0/{key}" for key in [*TEAM_KEYS.values(), "zonghe"]}
    assert after.kind_of("qisan-branch") == "party.general_branch"
    assert after.unit("qisan-branch").name == "汽三居民区党总支"
    assert sorted(after.children("qisan-branch")) == sorted(new.values())
    assert after.unit_ids("party.group") == []
    assert after.size("qisan-branch") == 0
    sizes = {key: after.size(uid) for key, uid in new.items()}
    assert sum(sizes.values()) == len(members)
    assert max(sizes.values()) <= 50 and min(sizes.values()) >= 15
    assert after.unit(new["zonghe"]).tags == ("comprehensive",)
    for name, key in TEAM_KEYS.items():
        assert after.unit(new[key]).tags == ("team",)
        assert after.built_on(new[key]) == [f"qisan-{key}"]

    # each member in exactly one new branch, by the rule the reasons state
    places = Counter(m for uid in new.values() for m in after.member_ids_of(uid))
    assert set(places) == {m["编号"] for m in members} and set(places.values()) == {1}
    team_size = Counter(t for ts in teams_of.values() for t in ts)
    for m in members:
        teams = teams_of.get(m["编号"], [])
        expected = TEAM_KEYS[min(teams, key=team_size.__getitem__)] if teams else "zonghe"
        assert after.branch_of(m["编号"]) == new[expected], m["编号"]
        assert after.group_of(m["编号"]) is None
    assert all(after.roles_in(uid) and after.roles_in(uid)[0].role == "secretary" for uid in new.values())
    assert not [r for r in after.roles if r.role == "group_leader"]


def test_generate_reproduces_the_committed_files(tmp_path: Path) -> None:
    for _ in range(2):  # twice into the same folder: still identical
        subprocess.run([sys.executable, str(FOLDER / "generate.py"), "--out", str(tmp_path)], check=True)
        for name in FILES:
            assert (tmp_path / name).read_bytes() == (FOLDER / name).read_bytes(), name
