"""The population generator: calibration targets hit, a valid Structure, determinism, scale."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from orgmodel import build_baseline, load_scenario, Structure
from orgmodel_party.population import AgeBand, Calibration, CalibrationError, PinnedTeam, Tables, generate

AS_OF = dt.date(2024, 6, 30)
NAMES = ["鹤北一", "汽三", "瑞丽", "昆阳"] + [f"第{i}片" for i in range(5, 40)]
AGES = (AgeBand(lo=22, hi=34, share=0.07), AgeBand(lo=35, hi=49, share=0.12), AgeBand(lo=50, hi=59, share=0.16),
        AgeBand(lo=60, hi=69, share=0.30), AgeBand(lo=70, hi=79, share=0.22), AgeBand(lo=80, hi=95, share=0.13))
SEED_004 = Calibration(  # the seed's figures, as scenarios/large-community uses them
    members=6_500, as_of=AS_OF, residential_share=5_900 / 6_500, areas=39, area_min=40,
    share_over_100=25 / 39, share_over_200=11 / 39, largest=329, area_names=NAMES,
    pinned_sizes={"汽三": 150, "昆阳": 182},
    area_teams={"汽三": [PinnedTeam(name="议事团", kind="service", party_members=25),
                         PinnedTeam(name="歌咏队", kind="culture", party_members=38)]},
    other_branches=10, other_size=(35, 85), probationary_share=0.02, age_bands=AGES, retired_share=0.68,
    immobile_share=0.05, mobile_share=0.03, teams_per_area=185 / 39, participation_share=1_100 / 6_500,
    two_teams_share=0.1, share_teams_any=0.865, share_teams_3plus=0.611, members_per_group=30, committee_size=5,
    buildings_per_courtyard=8, names=True, ties_per_member=1.0,
)


@pytest.fixture(scope="module")
def tables() -> Tables:
    return generate(SEED_004, seed=4)


@pytest.fixture(scope="module")
def structure(tables: Tables, tmp_path_factory: pytest.TempPathFactory) -> Structure:
    folder = tmp_path_factory.mktemp("seed004")
    tables.write(folder)
    (folder / "scenario.yaml").write_text(
        "name: generated\ndomain: party\nas_of: 2024-06-30\nbaseline:\n  units: {file: units.csv}\n"
        "  members: {file: members.csv}\n  participation: {file: participation.csv}\n  roles: {file: roles.csv}\n"
        "  ties: {file: ties.csv}\nvariants:\n  - name: status-quo\n", encoding="utf-8")
    return build_baseline(load_scenario(folder / "scenario.yaml"))


def _area_sizes(s: Structure) -> dict[str, int]:
    """Members per residential-area branch, by the area host's name, counted from the structure."""
    out = {}
    for area in s.unit_ids(kind="party.residential_area"):
        (branch,) = s.built_on_by(area)
        out[s.unit(area).name] = s.size(branch)
    return out


def test_the_seed_004_figures_are_hit_exactly(structure: Structure) -> None:
    sizes = _area_sizes(structure)
    values = np.array(list(sizes.values()))
    assert len(sizes) == 39
    assert (values > 100).sum() == 25 and (values >= 100).sum() == 25  # no size is exactly 100 or 200
    assert (values > 200).sum() == 11 and (values >= 200).sum() == 11
    assert max(sizes, key=sizes.__getitem__) == "鹤北一居民区" and values.max() == 329
    assert sorted(values.tolist())[-2] < 329  # the largest is unique
    assert sizes["汽三居民区"] == 150 and sizes["昆阳居民区"] == 182
    assert values.sum() == 5_900 and structure.n_members == 6_500
    assert values.min() >= 40
    teams = structure.unit_ids(kind="party.team")
    assert len(teams) == 185
    per_team = np.array([len(structure.participants(t)) for t in teams])
    assert (per_team >= 1).sum() == 160 and (per_team >= 3).sum() == 113
    p = structure.participation
    assert len(np.unique(p.src)) == 1_100
    assert (np.bincount(p.src) == 2).sum() == 110 and np.bincount(p.src).max() == 2
    kinds = Counter(tag for t in teams for tag in structure.unit(t).tags)
    assert sum(kinds.values()) == 185 and set(kinds) == {"team:learning", "team:culture", "team:sports", "team:service"}


def test_member_attributes_hit_their_counts(structure: Structure) -> None:
    n = structure.n_members
    assert int(structure.column("retired").sum()) == round(0.68 * n)
    assert int(structure.column("mobility_limited").sum()) == round(0.05 * n)
    assert int(structure.column("mobile").sum()) == round(0.03 * n)
    assert n - int(structure.full_mask.sum()) == round(0.02 * n)
    birth = structure.column("birth_date")
    age = (np.datetime64(AS_OF) - birth).astype(int) / 365.25
    for band in AGES:  # shares within half a percentage point (band edges shift by a day or two)
        share = ((age >= band.lo) & (age < band.hi + 1)).mean()
        assert share == pytest.approx(band.share, abs=0.005), band
    # everyone 60 or older is retired (retired_share 0.68 > the 65 % aged 60+)
    assert structure.column("retired")[age >= 60].all()
    # mobile members are working; immobile ones are old
    assert not structure.column("retired")[structure.column("mobile")].any()
    assert np.median(age[structure.column("mobility_limited")]) > 70


def test_groups_backbone_and_roles_follow_the_branch_size(structure: Structure) -> None:
    for area in structure.unit_ids(kind="party.residential_area"):
        (branch,) = structure.built_on_by(area)
        size = structure.size(branch)
        groups = [c for c in structure.children(branch) if structure.kind_of(c) == "party.group"]
        assert len(groups) == round(size / 30)
        titles = Counter(r.role for r in structure.roles_in(branch))
        assert titles == {"secretary": 1, "committee_member": 4}
        assert all([r.role for r in structure.roles_in(g)] == ["group_leader"] for g in groups)
        if structure.unit(area).name == "昆阳居民区":  # 5 committee members + 6 group leaders = 11 (seed 004)
            people = {r.person for u in [branch, *groups] for r in structure.roles_in(u)}
            assert len(people) == 11
    backbone = structure.column("backbone")
    people = {r.person for r in structure.roles}
    assert int(backbone.sum()) == len(people)
    assert set(structure.members.ids[backbone].tolist()) == people


def test_homes_groups_and_teams_stay_inside_the_members_area(structure: Structure) -> None:
    s = structure
    home = s.column("home_host")
    codes = np.arange(s.n_members)
    for area in s.unit_ids(kind="party.residential_area"):
        (branch,) = s.built_on_by(area)
        inside = s.member_codes_of(branch)
        for code in inside[:: max(1, len(inside) // 20)]:  # a sample of each branch
            host = str(s.units.ids[home[code]])
            assert s.kind_of(host) == "party.building"
            assert s.parent(s.parent(host)) == area  # building -> courtyard -> area
        teams_of_area = {t for t in s.unit_ids(kind="party.team") if s.parent(t) == area}
        for code in inside[:40]:
            assert set(s.teams_of(str(s.members.ids[code]))) <= teams_of_area
    others = codes[~np.isin(codes, np.concatenate([s.member_codes_of(b) for a in s.unit_ids(kind="party.residential_area")
                                                    for b in s.built_on_by(a)]))]
    assert len(others) == 600
    assert not s.column("retired")[others].any()  # other branches hold working members
    assert s.participation.src[np.isin(s.participation.src, others)].size == 0


def test_participation_and_groups_fit_the_structure(structure: Structure, tables: Tables) -> None:
    s = structure
    group = s.members["group"]
    branch = s.members["branch"]
    has = group >= 0
    assert (s.units.parent[group[has]] == branch[has]).all()
    ties = tables.ties
    assert ties is not None and ties.num_rows > 3_000
    a = ties["a"].to_pylist()
    b = ties["b"].to_pylist()
    assert all(x < y for x, y in zip(a, b, strict=True)) and len(set(zip(a, b, strict=True))) == len(a)
    assert min(ties["weight"].to_pylist()) >= 1


def test_summary_matches_the_targets(tables: Tables) -> None:
    got = tables.summary()
    for key, want in SEED_004.targets().items():
        assert got[key] == want, key
    assert got["largest_name"] == "鹤北一居民区"


def test_same_seed_same_bytes_other_seed_other_roster(tmp_path: Path) -> None:
    small = SEED_004.model_copy(update={"ties_per_member": 0.5})
    for sub, seed in (("a", 7), ("b", 7), ("c", 8)):
        generate(small, seed=seed).write(tmp_path / sub)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == ["members.csv", "participation.csv", "roles.csv", "ties.csv", "units.csv"]
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "members.csv").read_bytes() != (tmp_path / "c" / "members.csv").read_bytes()
    first = (tmp_path / "a" / "members.csv").read_text(encoding="utf-8").splitlines()[:2]
    assert first[0].startswith("id,name,branch,group,status,birth_date")
    assert first[1].startswith("0001,") and '"' not in first[1]  # zero-padded, no quotes needed


def test_a_100000_member_roster() -> None:
    cal = Calibration(members=100_000, residential_share=0.9, areas=600, share_over_100=0.6, share_over_200=0.25,
                      largest=400, other_branches=200, other_size=(20, 80), teams_per_area=5,
                      participation_share=0.17)
    t = generate(cal, seed=1)
    got = t.summary()
    for key, want in cal.targets().items():
        assert got[key] == want, key
    ids = t.members["id"].to_pylist()
    assert ids[0] == "000001" and ids[-1] == "100000" and len(set(ids)) == 100_000
    assert "name" not in t.members.column_names and t.ties is None


def test_pinned_teams_are_kept() -> None:
    cal = Calibration(members=120, areas=1, share_over_100=1, largest=120, area_min=1, area_names=["瑞丽"],
                      area_ids=["ruili"], teams_per_area=3, team_kind_shares={"service": 1 / 3, "culture": 2 / 3},
                      area_teams={"瑞丽": [PinnedTeam(name="巡逻队", kind="service", party_members=20),
                                           PinnedTeam(name="舞蹈队", kind="culture", party_members=2),
                                           PinnedTeam(name="合唱团", kind="culture", party_members=0)]},
                      participation_share=21 / 120, two_teams_share=1 / 21, share_teams_any=2 / 3, share_teams_3plus=1 / 3)
    t = generate(cal, seed=3)
    names = dict(zip(t.units["id"].to_pylist(), t.units["name"].to_pylist(), strict=True))
    per_team = Counter(names[u] for u in t.participation["unit"].to_pylist())
    assert per_team == {"瑞丽巡逻队": 20, "瑞丽舞蹈队": 2}
    assert len(set(t.participation["member"].to_pylist())) == 21
    assert names["ruili"] == "瑞丽居民区" and names["ruili-branch"] == "瑞丽居民区党支部"


def test_impossible_calibrations_are_refused_with_one_line() -> None:
    with pytest.raises(CalibrationError, match=r"cannot fill 39 areas"):
        generate(Calibration(members=2_000, areas=39, share_over_100=25 / 39, share_over_200=11 / 39, largest=329), 0)
    with pytest.raises(CalibrationError, match="other_branches"):
        generate(Calibration(members=1_000, residential_share=0.9, areas=5), 0)
    with pytest.raises(ValidationError, match="share_over_200 is larger than share_over_100"):
        Calibration(members=100, areas=2, share_over_100=0.2, share_over_200=0.5)
    with pytest.raises(ValidationError, match="'X' is pinned but not in area_names"):
        Calibration(members=100, areas=2, pinned_sizes={"X": 50})
    with pytest.raises(ValidationError, match="members"):
        Calibration(members=10_000_001, areas=2)
    assert Calibration(members=3_000_000, areas=18_000).targets()["members"] == 3_000_000  # above a million
    with pytest.raises(ValidationError, match="extra"):
        Calibration(members=100, areas=2, area_count=3)  # type: ignore[call-arg]



TOWNS = Calibration(  # townships with villages, associations and small firms, and one agency
    members=4_000, residential_share=0.4, areas=12, share_over_100=0.5, share_over_200=0.1, largest=250,
    teams_per_area=2, participation_share=0.05, townships=3, villages_per_township=8, village_share=0.3,
    service_centre_members=10, associations_per_township=2, association_share=0.2, firms_per_township=15,
    firm_share=0.045, agencies=1, agency_share=0.2475, division_size=(5, 30), divisions_per_bureau=4,
    agency_branch_size=40,
)


@pytest.fixture(scope="module")
def towns(tmp_path_factory: pytest.TempPathFactory) -> tuple[Tables, Structure]:
    t = generate(TOWNS, seed=2)
    folder = tmp_path_factory.mktemp("towns")
    t.write(folder)
    (folder / "scenario.yaml").write_text(
        "name: towns\ndomain: party\nbaseline:\n  units: {file: units.csv}\n  members: {file: members.csv}\n"
        "  participation: {file: participation.csv}\n  roles: {file: roles.csv}\n  adjacency: {file: adjacency.csv}\n",
        encoding="utf-8")
    return t, build_baseline(load_scenario(folder / "scenario.yaml"))


def test_towns_hit_their_counts_and_build(towns: tuple[Tables, Structure]) -> None:
    t, s = towns
    got = t.summary()
    for key, want in TOWNS.targets().items():
        assert got[key] == want, key
    assert (got["villages"], got["firms"], got["agency_members"], got["service_centre_members"]) == (24, 45, 990, 30)
    home = s.members["home_host"]
    branch = s.members["branch"]
    # every village has its branch under its township's committee, holding exactly the members living there
    for v in s.unit_ids("party.village"):
        (b,) = s.built_on_by(v)
        assert s.parent(b) == s.parent(v) + "-committee"
        assert np.array_equal(s.member_codes_of(b), np.flatnonzero(home == s.unit_code(v)))
    # small firms have no organisation; their members sit in a catch-all (comprehensive, unplaced, external)
    firms = s.unit_ids("party.enterprise") + s.unit_ids("party.social_org")
    held = set()
    for f in firms:
        assert not s.built_on_by(f)
        codes = np.flatnonzero(home == s.unit_code(f))
        assert 1 <= len(codes) <= 6
        held |= {s.kind_of(b) if s.kind_of(b) != "party.branch" else s.unit(b).tags[0]
                 for b in s.units.ids[branch[codes]].tolist()}
    assert held == {"comprehensive", "core.unplaced", "core.external"}
    # the agency's present branches cut across bureaus; its members work in divisions
    old = [b for b in s.unit_ids("party.branch") if s.parent(b) == "ag01-committee"]
    bureaus_of = [{s.parent(d) for d in s.built_on(b)} for b in old]
    assert len(old) == round(990 / 40) and max(len(b) for b in bureaus_of) > 1
    assert all(s.kind_of(s.units.ids[h]) == "party.division" for h in home[np.isin(branch, s.unit_codes(old))])
    # association members are village members of the association's township; villages are neighbours in a chain
    links = [(m, a) for m, a in zip(t.participation["member"].to_pylist(), t.participation["unit"].to_pylist(),
                                    strict=True) if s.kind_of(a) == "party.association"]
    assert len(links) == round(0.2 * 1200)
    for m, a in links:
        assert s.parent(str(s.units.ids[home[s.member_code(m)]])) == s.parent(a)
    assert set(s.adjacent("tw01-v05")) == {"tw01-v04", "tw01-v06"} and "tw01-sq" in s.adjacent("tw01-v01")
