"""The ready scenarios in scenarios/: each validates and runs, each generate.py reproduces its
committed files, and the large community has exactly the figures of seed 004."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from orgmodel.cli import main
from orgmodel.io.loader import build_baseline, load_scenario
from orgmodel.model.structure import Structure

ROOT = Path(__file__).resolve().parents[1] / "scenarios"
FOLDERS = sorted(p.parent.name for p in ROOT.glob("*/scenario.yaml"))
GENERATED = sorted(p.parent.name for p in ROOT.glob("*/generate.py"))
HAND_WRITTEN = {"generate.py", "scenario.template.yaml", "README.md"}  # everything else is generated


def test_the_scenarios_are_found() -> None:
    assert {"large-community", "ruili", "kunyang", "three-villages", "agency", "small-firms", "qisan"} <= set(FOLDERS)
    assert set(GENERATED) == set(FOLDERS)


@pytest.mark.parametrize("folder", FOLDERS)
def test_validates(folder: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ROOT / folder / "scenario.yaml")]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


@pytest.mark.parametrize("folder", FOLDERS)
def test_has_a_status_quo_and_a_readme(folder: str) -> None:
    variants = load_scenario(ROOT / folder / "scenario.yaml").spec.variants
    assert variants[0].name == "status-quo" and variants[0].steps == []
    assert (ROOT / folder / "README.md").is_file()


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_variant_runs(folder: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # every scenario is simulated too, briefly (the large community asks for 200 replications)
    assert main(["run", str(ROOT / folder / "scenario.yaml"), "--out", str(tmp_path), "--replications", "2",
                 "--executor", "serial"]) == 0
    out = capsys.readouterr().out
    for variant in load_scenario(ROOT / folder / "scenario.yaml").spec.variants:
        assert variant.name in out


@pytest.mark.parametrize("folder", GENERATED)
def test_generate_reproduces_the_committed_files(folder: str, tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / folder / "generate.py"), "--out", str(tmp_path)], check=True)
    committed = sorted(p.name for p in (ROOT / folder).iterdir() if p.is_file() and p.name not in HAND_WRITTEN)
    assert sorted(p.name for p in tmp_path.iterdir()) == committed
    for name in committed:
        assert (tmp_path / name).read_bytes() == (ROOT / folder / name).read_bytes(), f"{folder}/{name}"
        if name.endswith(".csv"):
            assert len((tmp_path / name).read_bytes().splitlines()) <= 10_000, f"{folder}/{name} is too long"


@pytest.fixture(scope="module")
def large() -> Structure:
    return build_baseline(load_scenario(ROOT / "large-community" / "scenario.yaml"))


def test_large_community_has_the_seed_figures(large: Structure) -> None:
    s = large
    areas = s.unit_ids(kind="party.residential_area")
    assert len(areas) == 39
    branches = [b for a in areas for b in s.built_on_by(a) if s.kind_of(b) == "party.branch"]
    assert len(branches) == 39 and all(s.parent(b) == "moulu-wc" for b in branches)
    sizes = {s.unit(b).name: s.size(b) for b in branches}
    values = np.array(list(sizes.values()))
    assert (values > 100).sum() == 25 and (values > 200).sum() == 11
    assert values.max() == 329 and max(sizes, key=sizes.__getitem__).startswith("鹤北一")
    assert (values == 329).sum() == 1
    assert values.sum() == 5_900 and s.n_members == 6_500  # 90 % in residential areas
    assert {"汽三居民区党支部": 150, "瑞丽居民区党支部": 136, "昆阳居民区党支部": 182}.items() <= sizes.items()
    teams = s.unit_ids(kind="party.team")
    assert len(teams) == 185
    per_team = np.array([len(s.participants(t)) for t in teams])
    assert (per_team >= 1).sum() == 160 and (per_team >= 3).sum() == 113  # 86.5 % and 61.1 %
    assert len(np.unique(s.participation.src)) == 1_100
    kinds = {tag for t in teams for tag in s.unit(t).tags}
    assert kinds == {"team:learning", "team:culture", "team:sports", "team:service"}


def test_the_single_areas_match_the_large_community(large: Structure) -> None:
    """瑞丽 and 昆阳 have the same size and teams on their own as inside the large community."""
    for folder, area in (("ruili", "ruili"), ("kunyang", "kunyang")):
        alone = build_baseline(load_scenario(ROOT / folder / "scenario.yaml"))
        for s in (alone, large):
            (branch,) = s.built_on_by(area)
            assert s.size(branch) == alone.n_members
        teams = {s.unit(t).name: len(s.participants(t)) for s in (alone,) for t in s.unit_ids(kind="party.team")}
        inside = {large.unit(t).name: len(large.participants(t)) for t in large.unit_ids(kind="party.team")
                  if large.parent(t) == area}
        assert teams == inside
    kunyang = build_baseline(load_scenario(ROOT / "kunyang" / "scenario.yaml"))
    people = {r.person for r in kunyang.roles if r.role in ("secretary", "committee_member", "group_leader")}
    assert kunyang.n_members == 182 and len(people) == 11  # 5 committee members + 6 group leaders


def test_ruili_has_one_concentrated_team() -> None:
    s = build_baseline(load_scenario(ROOT / "ruili" / "scenario.yaml"))
    counts = sorted((len(s.participants(t)), s.unit(t).name) for t in s.unit_ids(kind="party.team"))
    assert counts[-1][1] == "瑞丽巡逻队" and counts[-1][0] >= 20
    assert all(n <= 3 for n, _ in counts[:-1])  # the culture and sports teams are small and scattered


def test_large_community_team_branches_leave_no_branch_over_50_and_nobody_unplaced() -> None:
    from orgmodel.run.engine import Engine
    from orgmodel.model.kinds import UNPLACED
    from orgmodel.analysis.metrics import MeasureContext

    engine = Engine()
    result = engine.run(load_scenario(ROOT / "large-community" / "scenario.yaml"), variants=["team-branches"])
    after = result.variant("team-branches").structure
    ctx = MeasureContext(after, baseline=result.baseline)
    assert int(ctx.branch_sizes.max()) <= 50
    assert int(result.baseline.sizes()[MeasureContext(result.baseline).is_branch].max()) == 329
    active = after.members["active"]
    kind = after.units.kind[after.members["branch"]]
    assert not (active & (kind == after.kinds.code(UNPLACED))).any()
    assert np.array_equal(after.members.ids, result.baseline.members.ids)
    assert int(ctx.branch_sizes.sum()) == int(active.sum()) == 6_500

    from orgmodel.analysis.rules import check_rules

    pack = engine.plugins.rule_packs().get("party")
    before = [f for f in check_rules(result.baseline, [pack]) if f.rule == "branch.max_size"]
    over_100 = [f for f in before if f.value > 100]
    assert len(over_100) == 25  # the seed's 25 branches over 100 are reported...
    assert not [f for f in check_rules(after, [pack]) if f.rule == "branch.max_size"]  # ...and none after


def test_every_scenario_is_listed_in_the_docs() -> None:
    text = (ROOT.parent / "docs" / "scenarios.md").read_text(encoding="utf-8")
    for folder in FOLDERS:
        assert f"../scenarios/{folder}/README.md" in text, folder
