"""A seeded population generator: party rosters calibrated to published aggregates, up to 10,000,000 members.

The seeds give aggregates, never rosters: "39 residential-area branches, 25 with over 100 members,
11 with over 200, the largest (鹤北一) 329; 185 teams, about 1,100 members taking part, 86.5 % of the
teams with a member, 61.1 % with three or more". :func:`generate` builds a roster that has exactly
these figures (every count that the calibration names is hit exactly, not on average) and fills in
everything the seeds leave open (ages, buildings, groups, committees) from documented assumptions.

>>> cal = Calibration(members=650, areas=6, share_over_100=0.5, share_over_200=1 / 6, largest=210,
...                   teams_per_area=3, participation_share=0.2)
>>> t = generate(cal, seed=1)
>>> t.members.num_rows, t.summary()["areas"], t.summary()["largest"]
(650, 6, 210)
>>> t.summary()["areas_over_100"], t.summary()["areas_over_200"], t.summary()["teams"]
(3, 1, 18)

What is built (ids in brackets; ``A`` is an area id such as ``ra01``):

* a community host (``community_id``) and a working committee on it (``committee_id``, 党工委);
* per residential area: the area host ``A`` (``party.residential_area``, named ``鹤北一居民区`` from
  the short name ``鹤北一`` and ``area_suffix``), its branch ``A-branch`` (``party.branch`` under the
  working committee, ``鹤北一居民区党支部``), party groups ``A-g01``… by building block, each built on
  its buildings, interest teams ``A-t01``… (``party.team`` tagged with their kind, ``鹤北一歌咏队``),
  optionally courtyards ``A-c01``… (``party.courtyard``, ``buildings_per_courtyard``) and buildings
  ``A-bd001``… (``party.building``, part of their courtyard or area, with a ``households`` column);
* optionally other branches (enterprises, social organisations: ``o01``…, branch ``o01-branch``)
  holding the members who do not live in a residential area's branch;
* members (ids zero-padded numbers, ``0001``…), participation in teams, roles (secretary, committee
  members, group leaders) and optionally social ties.

How each figure is made (all draws from ``numpy.random.default_rng(seed)``):

* **area sizes**: ``round(share_over_200 * areas)`` areas over 200 (the largest, exactly
  ``largest``, is the first area), ``round(share_over_100 * areas)`` over 100 in all, the rest from
  ``area_min`` to 99. No size is ever exactly 100 or 200, so "over" and "at least" count the same.
  Sizes are drawn inside their band and then shifted, inside the band, until they add up to the
  residential members exactly. ``pinned_sizes`` fixes named areas.
* **member attributes** are drawn for the whole population, with exact counts: ages from
  ``age_bands``; ``retired`` everyone from 60 first, then members aged 50-59 at random;
  ``mobility_limited`` weighted towards the oldest; ``mobile`` among working members;
  ``probationary`` weighted towards the young. Members of other branches are drawn from working,
  able members; everyone else lives in a residential area.
* **teams**: ``round(teams_per_area * areas)`` teams, at least one per area, the rest in proportion
  to area size; kinds in exact shares; exactly ``round(share_teams_any * teams)`` teams have a
  party member and ``round(share_teams_3plus * teams)`` have three or more. Exactly
  ``round(participation_share * members)`` members take part, ``two_teams_share`` of them in two
  teams of their own area. Retired members take part twice as often as working ones; immobile and
  mobile members rarely. ``area_teams`` fixes the teams of named areas.
* **groups and backbone**: ``round(size / members_per_group)`` groups per branch by building block;
  a committee of ``committee_size`` (secretary first) in branches with 7 or more full members, a
  secretary alone below that; one leader per group. ``backbone`` marks these people.
* **buildings**: ``round(size / members_per_building)`` per area (at least one), households drawn
  in ``households_per_building``; members live in a building with probability proportional to its
  households.

The generator is vectorised (numpy and pyarrow compute); per-unit Python work is limited to names of
teams and the ``built_on`` lists of groups, so the time grows linearly with the members: 1,000,000
members (6,000 areas, ties included) take about 11 seconds to generate and write, 3,000,000 about 33
(benchmarks/suite.py generates its rosters with it). :meth:`Tables.write` writes CSVs with orgmodel's own
column names, so a scenario reads them with ``{file: members.csv}`` and no column mapping.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pydantic import BaseModel, ConfigDict, Field, model_validator

from orgmodel import zh_numeral

__all__ = ["AgeBand", "PinnedTeam", "Calibration", "CalibrationError", "Tables", "generate", "TEAM_KINDS"]

TEAM_KINDS = ("learning", "culture", "sports", "service")
TEAM_NAMES: dict[str, tuple[str, ...]] = {  # common names of residents' teams, by kind
    "learning": ("读书会", "学习小组", "英语角", "书画社", "时事讲坛", "诗社", "电脑班", "摄影社"),
    "culture": ("歌咏队", "合唱团", "戏曲队", "越剧队", "沪剧队", "舞蹈队", "腰鼓队", "京剧社", "器乐队", "模特队"),
    "sports": ("太极拳队", "健身操队", "鼓操队", "木兰拳队", "乒乓球队", "门球队", "健步走队", "柔力球队", "广场舞队"),
    "service": ("巡逻队", "议事团", "志愿服务队", "调解队", "助老服务队", "环保队", "帮困队", "楼组长队"),
}
SURNAMES = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"))
GIVEN = np.array(list("建国华明英兰秀芳伟军红梅丽平志强玉珍德文海燕桂凤云霞金福荣敏静婷磊洁勇春"))


class CalibrationError(ValueError):
    """The calibration cannot be met (e.g. sizes that cannot add up to the members); one line."""


class AgeBand(BaseModel):
    """A share of members aged ``lo`` to ``hi`` years (inclusive) on ``as_of``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    lo: int = Field(ge=16, le=110)
    hi: int = Field(ge=16, le=110)
    share: float = Field(ge=0, le=1)


class PinnedTeam(BaseModel):
    """A team of a named area given by hand: name, kind and the party members taking part."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    kind: Literal["learning", "culture", "sports", "service"]
    party_members: int = Field(ge=0)


DEFAULT_AGES = (
    AgeBand(lo=20, hi=34, share=0.08), AgeBand(lo=35, hi=49, share=0.12), AgeBand(lo=50, hi=59, share=0.15),
    AgeBand(lo=60, hi=69, share=0.30), AgeBand(lo=70, hi=79, share=0.22), AgeBand(lo=80, hi=95, share=0.13),
)


class Calibration(BaseModel):
    """The aggregates a generated roster must hit. Shares are of all members unless said otherwise.

    Counts derived from shares are ``round(share * base)`` and are hit exactly.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    members: int = Field(ge=1, le=10_000_000, description="members in all")
    as_of: dt.date = Field(dt.date(2024, 6, 30), description="date ages and terms are measured at")
    residential_share: float = Field(1.0, ge=0, le=1, description="share of members in residential-area branches")
    areas: int = Field(ge=1, le=1_000_000, description="residential areas, one branch each")
    area_min: int = Field(20, ge=1, le=99, description="smallest residential branch")
    area_max: int = Field(400, ge=201, description="largest residential branch when `largest` is not given")
    share_over_100: float = Field(0.0, ge=0, le=1, description="share of areas with over 100 members")
    share_over_200: float = Field(0.0, ge=0, le=1, description="share of areas with over 200 members")
    largest: int | None = Field(None, ge=1, description="size of the largest area (the first one)")
    area_names: list[str] = Field(default_factory=list, description="short names of the first areas (鹤北一); the rest are 第N居民区")
    area_suffix: str = Field("居民区", description="added to a short name to name the area host (鹤北一居民区)")
    area_ids: list[str] = Field(default_factory=list, description="ids for the named areas (default ra01…)")
    pinned_sizes: dict[str, int] = Field(default_factory=dict, description="area name -> exact size")
    area_teams: dict[str, list[PinnedTeam]] = Field(default_factory=dict, description="area name -> its teams")
    other_branches: int = Field(0, ge=0, description="branches outside the residential areas")
    other_size: tuple[int, int] = Field((10, 80), description="size range of the other branches")
    other_kinds: tuple[str, ...] = Field(("party.enterprise", "party.social_org"), description="their host kinds, in turn")
    other_names: list[str] = Field(default_factory=list, description="names of the other hosts (default 企业N / 社会组织N)")
    probationary_share: float = Field(0.03, ge=0, le=1)
    age_bands: tuple[AgeBand, ...] = DEFAULT_AGES
    retired_share: float = Field(0.6, ge=0, le=1, description="everyone from 60, then 50-59 at random")
    immobile_share: float = Field(0.05, ge=0, le=1, description="mobility_limited (卧床、行动不便)")
    mobile_share: float = Field(0.03, ge=0, le=1, description="mobile members (流动党员), working ones")
    teams_per_area: float = Field(0.0, ge=0, le=1000)
    team_kind_shares: dict[Literal["learning", "culture", "sports", "service"], float] = Field(
        default_factory=lambda: {"learning": 0.2, "culture": 0.35, "sports": 0.3, "service": 0.15})
    participation_share: float = Field(0.0, ge=0, le=1, description="members taking part in teams regularly")
    two_teams_share: float = Field(0.1, ge=0, le=1, description="share of those taking part in two teams")
    share_teams_any: float = Field(0.865, ge=0, le=1, description="teams with at least one party member")
    share_teams_3plus: float = Field(0.611, ge=0, le=1, description="teams with three or more party members")
    members_per_group: float = Field(30.0, gt=0, description="groups per branch = round(size / this)")
    committee_size: int = Field(5, ge=1, le=9, description="branch committee incl. the secretary (≥7 full members)")
    members_per_building: float = Field(6.0, gt=0, description="buildings per area = round(size / this)")
    households_per_building: tuple[int, int] = Field((24, 120), description="households drawn in this range")
    buildings_per_courtyard: int = Field(0, ge=0, description="courtyards (院落/小区) of this many buildings; 0: none")
    names: bool = Field(False, description="synthetic names (personal data); off for large rosters")
    ties_per_member: float = Field(0.0, ge=0, le=20, description="social ties per member (neighbours, team mates)")
    community_id: str = "community"
    community_name: str = "某路社区"
    committee_id: str = "community-wc"
    committee_name: str = "某路社区党工委"
    id_prefix: str = Field("", description="prefix of member ids")

    @model_validator(mode="after")
    def _consistent(self) -> Calibration:
        def bad(message: str) -> CalibrationError:
            return CalibrationError(message)

        if self.share_over_200 > self.share_over_100:
            raise bad("share_over_200 is larger than share_over_100")
        if self.share_teams_3plus > self.share_teams_any:
            raise bad("share_teams_3plus is larger than share_teams_any")
        if abs(sum(self.team_kind_shares.values()) - 1) > 1e-6:
            raise bad("team_kind_shares must add up to 1")
        if abs(sum(b.share for b in self.age_bands) - 1) > 1e-6:
            raise bad("age_bands shares must add up to 1")
        if any(b.lo > b.hi for b in self.age_bands):
            raise bad("an age band has lo > hi")
        if len(self.area_names) > self.areas or len(set(self.area_names)) != len(self.area_names):
            raise bad("area_names must be unique and at most `areas`")
        if self.area_ids and len(self.area_ids) != len(self.area_names):
            raise bad("area_ids must be as many as area_names")
        for name in [*self.pinned_sizes, *self.area_teams]:
            if name not in self.area_names:
                raise bad(f"{name!r} is pinned but not in area_names")
        if self.largest is not None and self.area_names and self.area_names[0] in self.pinned_sizes:
            raise bad("the first area gets `largest`; do not pin its size too")
        lo, hi = self.other_size
        if not 1 <= lo <= hi:
            raise bad("other_size must be a range lo <= hi, lo >= 1")
        if not 1 <= self.households_per_building[0] <= self.households_per_building[1]:
            raise bad("households_per_building must be a range lo <= hi, lo >= 1")
        return self

    # -- the derived exact counts ---------------------------------------------------------------

    @property
    def residential(self) -> int:
        """Members in residential-area branches."""
        return round(self.residential_share * self.members)

    @property
    def n_teams(self) -> int:
        return round(self.teams_per_area * self.areas)

    def targets(self) -> dict[str, Any]:
        """The exact figures :func:`generate` hits (``None`` where only the distribution is set)."""
        n_teams = self.n_teams
        return {
            "members": self.members,
            "residential": self.residential,
            "areas": self.areas,
            "areas_over_100": round(self.share_over_100 * self.areas),
            "areas_over_200": round(self.share_over_200 * self.areas),
            "largest": self.largest,
            "other_branches": self.other_branches if self.residential < self.members else 0,  # none when unused
            "probationary": round(self.probationary_share * self.members),
            "retired": round(self.retired_share * self.members),
            "mobility_limited": round(self.immobile_share * self.members),
            "mobile": round(self.mobile_share * self.members),
            "teams": n_teams,
            "teams_with_members": round(self.share_teams_any * n_teams),
            "teams_with_3plus": round(self.share_teams_3plus * n_teams),
            "participants": round(self.participation_share * self.members),
            "in_two_teams": round(self.two_teams_share * round(self.participation_share * self.members)),
        }


@dataclass(frozen=True)
class Tables:
    """A generated baseline as pyarrow tables, with orgmodel's column names."""

    units: pa.Table
    members: pa.Table
    participation: pa.Table
    roles: pa.Table
    ties: pa.Table | None = None

    def write(self, folder: str | Path) -> list[Path]:
        """Write ``units.csv``, ``members.csv``, ``participation.csv``, ``roles.csv`` (and ``ties.csv``).

        UTF-8, Unix line ends, quotes only where needed: the same bytes for the same tables.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for name in ("units", "members", "participation", "roles", "ties"):
            table = getattr(self, name)
            if table is None:
                continue
            path = folder / f"{name}.csv"
            sink = pa.BufferOutputStream()
            try:  # no quotes at all when no value needs them (ours never hold commas, quotes or line ends)
                pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="none"))
            except pa.ArrowInvalid:
                sink = pa.BufferOutputStream()
                pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
            header = (",".join(table.column_names) + "\n").encode()
            path.write_bytes(header + sink.getvalue().to_pybytes())
            out.append(path)
        return out

    def summary(self) -> dict[str, Any]:
        """The figures a calibration names, counted from the tables."""
        u = self.units
        kind = u["kind"].to_numpy(zero_copy_only=False)
        ids = u["id"].to_numpy(zero_copy_only=False)
        m = self.members
        branch = m["branch"].to_numpy(zero_copy_only=False)
        area_hosts = ids[kind == "party.residential_area"]
        res_branch = np.array([f"{a}-branch" for a in area_hosts], dtype=object)
        b_ids, b_sizes = np.unique(branch, return_counts=True)
        size_of = dict(zip(b_ids.tolist(), b_sizes.tolist(), strict=True))
        sizes = np.array([size_of.get(b, 0) for b in res_branch], dtype=np.int64)
        teams = ids[kind == "party.team"]
        p_unit = self.participation["unit"].to_numpy(zero_copy_only=False)
        p_member = self.participation["member"].to_numpy(zero_copy_only=False)
        t_ids, t_counts = np.unique(p_unit, return_counts=True)
        per_team = dict(zip(t_ids.tolist(), t_counts.tolist(), strict=True))
        counts = np.array([per_team.get(t, 0) for t in teams], dtype=np.int64)
        _, links_per_member = np.unique(p_member, return_counts=True)
        largest = int(np.argmax(sizes)) if len(sizes) else None
        names = u["name"].to_numpy(zero_copy_only=False)
        name_of = dict(zip(ids.tolist(), names.tolist(), strict=True))
        status = m["status"].to_numpy(zero_copy_only=False)
        return {
            "members": m.num_rows,
            "residential": int(sizes.sum()),
            "areas": len(area_hosts),
            "areas_over_100": int((sizes > 100).sum()),
            "areas_over_200": int((sizes > 200).sum()),
            "largest": int(sizes[largest]) if largest is not None else None,
            "largest_name": name_of[str(area_hosts[largest])] if largest is not None else None,
            "other_branches": int(len(b_ids) - np.isin(b_ids, res_branch).sum()),
            "probationary": int((status == "probationary").sum()),
            "retired": int(m["retired"].to_numpy(zero_copy_only=False).sum()),
            "mobility_limited": int(m["mobility_limited"].to_numpy(zero_copy_only=False).sum()),
            "mobile": int(m["mobile"].to_numpy(zero_copy_only=False).sum()),
            "teams": len(teams),
            "teams_with_members": int((counts >= 1).sum()),
            "teams_with_3plus": int((counts >= 3).sum()),
            "participants": len(links_per_member),
            "in_two_teams": int((links_per_member == 2).sum()),
            "groups": int((kind == "party.group").sum()),
            "buildings": int((kind == "party.building").sum()),
            "backbone": int(m["backbone"].to_numpy(zero_copy_only=False).sum()),
        }


# -- helpers ---------------------------------------------------------------------------------------


def _spread(total: int, lo: np.ndarray, hi: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """Integers ``lo <= x <= hi`` adding up to ``total``, as close to ``start`` as possible.

    The difference to ``start`` is shared in proportion to each entry's room (largest remainder),
    so every entry stays inside its bounds. Raises CalibrationError when the bounds cannot add up.
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    if lo.sum() > total or hi.sum() < total:
        raise CalibrationError(f"cannot make {total} from {len(lo)} parts between {lo.sum()} and {hi.sum()} in all")
    x = np.clip(lo if start is None else np.asarray(start, dtype=np.int64), lo, hi)
    diff = total - int(x.sum())
    if diff == 0:
        return x
    room = (hi - x) if diff > 0 else (x - lo)
    need = abs(diff)
    exact = need * room / room.sum()
    step = np.floor(exact).astype(np.int64)
    rest = need - int(step.sum())
    if rest:
        frac = np.where(step < room, exact - step, -1.0)
        step[np.argsort(-frac, kind="stable")[:rest]] += 1
    return x + step if diff > 0 else x - step


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` split in proportion to ``weights`` (non-negative), exactly."""
    w = np.asarray(weights, dtype=float)
    if total == 0 or w.sum() == 0:
        return np.zeros(len(w), dtype=np.int64)
    exact = total * w / w.sum()
    out = np.floor(exact).astype(np.int64)
    rest = total - int(out.sum())
    out[np.argsort(-(exact - out), kind="stable")[:rest]] += 1
    return out


def _top_k(rng: np.random.Generator, weights: np.ndarray, k: int, *, label: str) -> np.ndarray:
    """A boolean mask of exactly ``k`` entries drawn without replacement, probability ∝ weight."""
    w = np.asarray(weights, dtype=float)
    if k > int((w > 0).sum()):
        raise CalibrationError(f"{label}: {k} wanted but only {int((w > 0).sum())} members qualify")
    keys = np.where(w > 0, np.log(rng.random(len(w))) / np.where(w > 0, w, 1.0), -np.inf)
    mask = np.zeros(len(w), dtype=bool)
    if k:
        mask[np.argpartition(-keys, k - 1)[:k]] = True
    return mask


def _rank_within(groups: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order, rank): ``order`` sorts by group then descending key; ``rank`` is each row's place in its group."""
    order = np.lexsort((-keys, groups))
    g = groups[order]
    start = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    first = np.repeat(start, np.diff(np.r_[start, len(g)]))
    rank = np.empty(len(g), dtype=np.int64)
    rank[order] = np.arange(len(g)) - first
    return order, rank


def _numbered(prefix: pa.Array | str, numbers: np.ndarray, width: int, suffix: str = "") -> pa.Array:
    """``prefix + zero-padded number + suffix`` for every number, as one string array."""
    digits = pc.utf8_lpad(pa.array(np.asarray(numbers, dtype=np.int64)).cast(pa.string()), width=width, padding="0")
    parts: list[Any] = [prefix, digits] + ([suffix] if suffix else [])
    return pc.binary_join_element_wise(*parts, "")


def _take(values: list[str] | np.ndarray | pa.Array, index: np.ndarray) -> pa.Array:
    return pc.take(pa.array(values, type=pa.string()) if not isinstance(values, pa.Array) else values,
                   pa.array(np.asarray(index, dtype=np.int64)))


def _width(n: int) -> int:
    return max(2, len(str(max(n, 1))))


# -- the generator -----------------------------------------------------------------------------------


def _area_sizes(cal: Calibration, rng: np.random.Generator, residential: int) -> np.ndarray:
    """Residential branch sizes hitting the band counts, the largest and the pinned sizes exactly."""
    a = cal.areas
    n200 = round(cal.share_over_200 * a)
    n100 = round(cal.share_over_100 * a)
    cap = (cal.largest - 1) if cal.largest is not None else cal.area_max
    bands = [(cal.area_min, 99), (101, 199), (201, cap)]
    want = np.array([a - n100, n100 - n200, n200])
    fixed = np.full(a, -1, dtype=np.int64)
    if cal.largest is not None:
        fixed[0] = cal.largest
    for name, size in cal.pinned_sizes.items():
        fixed[cal.area_names.index(name)] = size
    band_of_fixed = np.where(fixed > 200, 2, np.where(fixed > 100, 1, 0))
    for b, (lo, hi) in enumerate(bands):
        n_fixed = int(((fixed >= 0) & (band_of_fixed == b)).sum())
        if n_fixed > want[b]:
            raise CalibrationError(f"{n_fixed} fixed sizes fall in {lo}-{hi} but the shares allow only {want[b]} there")
        if want[b] - n_fixed > 0 and lo > hi:
            raise CalibrationError(f"areas over 200 wanted but the largest is {cal.largest}")
    for s in fixed[fixed >= 0]:
        if s in (100, 200) or s < 1:
            raise CalibrationError(f"a fixed size of {s} is ambiguous: use a size other than 100 or 200")
    free = np.flatnonzero(fixed < 0)
    free_bands = np.repeat(np.arange(3), want - np.bincount(band_of_fixed[fixed >= 0], minlength=3))
    free_bands = free_bands[rng.permutation(len(free_bands))]
    lo = np.array([bands[b][0] for b in free_bands], dtype=np.int64)
    hi = np.array([bands[b][1] for b in free_bands], dtype=np.int64)
    start = lo + np.floor((hi - lo + 1) * rng.beta(1.3, 2.2, len(free))).astype(np.int64)
    total = residential - int(fixed[fixed >= 0].sum())
    try:
        sizes = _spread(total, lo, hi, np.minimum(start, hi))
    except CalibrationError:
        raise CalibrationError(
            f"{residential} residential members cannot fill {a} areas with these shares "
            f"(the free areas need between {lo.sum()} and {hi.sum()}, {total} are left)") from None
    fixed[free] = sizes
    return fixed


def _attributes(cal: Calibration, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Age, birth, joined, status and flags for every member, with exact counts."""
    n = cal.members
    as_of = np.datetime64(cal.as_of, "D")
    band_n = _largest_remainder(n, np.array([b.share for b in cal.age_bands]))
    band = rng.permutation(np.repeat(np.arange(len(cal.age_bands)), band_n))
    lo = np.array([b.lo for b in cal.age_bands])[band]
    hi = np.array([b.hi for b in cal.age_bands])[band]
    age_days = ((lo + rng.random(n) * (hi - lo + 1)) * 365.25).astype(np.int64)
    birth = as_of - age_days
    age = age_days / 365.25
    key = np.where(age >= 60, 100 + rng.random(n), np.where(age >= 50, rng.random(n), -1.0))
    n_ret = round(cal.retired_share * n)
    if n_ret > int((key >= 0).sum()):
        raise CalibrationError(f"retired: {n_ret} wanted but only {int((key >= 0).sum())} members are 50 or older")
    retired = np.zeros(n, dtype=bool)
    retired[np.argsort(-key, kind="stable")[:n_ret]] = True
    limited = _top_k(rng, np.where(age >= 60, (age - 58) ** 2, 1e-6), round(cal.immobile_share * n), label="immobile")
    mobile = _top_k(rng, (~retired & ~limited).astype(float), round(cal.mobile_share * n), label="mobile")
    young = np.where(age < 40, 1.0, np.where(age < 60, 0.2, 0.02))
    probationary = _top_k(rng, young, round(cal.probationary_share * n), label="probationary")
    joined_age = 20 + rng.random(n) * 25  # full members joined at 20-45, at least 400 days ago
    joined = np.minimum(birth + (joined_age * 365.25).astype(np.int64), as_of - 400)
    joined = np.maximum(joined, birth + 18 * 366)
    joined = np.where(probationary, as_of - rng.integers(15, 360, n), joined)
    return {"birth": birth, "age": age, "joined": joined, "retired": retired, "limited": limited,
            "mobile": mobile, "probationary": probationary}


def generate(cal: Calibration, seed: int = 0) -> Tables:
    """Build a roster calibrated to ``cal``; the same ``seed`` gives the same tables."""
    rng = np.random.default_rng(seed)
    n = cal.members
    residential = cal.residential
    n_other = n - residential
    if n_other and not cal.other_branches:
        raise CalibrationError(f"residential_share leaves {n_other} members outside the areas: set other_branches")
    if n_other < cal.other_branches * cal.other_size[0] or (cal.other_branches and n_other > cal.other_branches * cal.other_size[1]):
        raise CalibrationError(
            f"{n_other} members outside the residential areas do not fit {cal.other_branches} branches "
            f"of {cal.other_size[0]}-{cal.other_size[1]}")
    n_areas = cal.areas
    sizes = _area_sizes(cal, rng, residential)
    attrs = _attributes(cal, rng)

    # -- who is where: other branches take working, able members; the rest live in areas --------
    n_ob = cal.other_branches if n_other else 0
    if n_ob:
        lo, hi = cal.other_size
        other_sizes = _spread(n_other, np.full(n_ob, lo), np.full(n_ob, hi),
                              lo + np.floor((hi - lo + 1) * rng.random(n_ob)).astype(np.int64))
        w = np.where(attrs["retired"] | attrs["limited"], 1e-6, 1.0)
        outside = _top_k(rng, w, n_other, label="other branches")
    else:
        other_sizes = np.zeros(0, dtype=np.int64)
        outside = np.zeros(n, dtype=bool)
    branch = np.empty(n, dtype=np.int64)  # area index, or n_areas + other index
    inside_idx = np.flatnonzero(~outside)
    branch[inside_idx[rng.permutation(len(inside_idx))]] = np.repeat(np.arange(n_areas), sizes)
    out_idx = np.flatnonzero(outside)
    branch[out_idx[rng.permutation(len(out_idx))]] = n_areas + np.repeat(np.arange(n_ob), other_sizes)

    # -- buildings and the member's building ------------------------------------------------------
    n_bld = np.maximum(1, np.rint(sizes / cal.members_per_building).astype(np.int64))
    bld_area = np.repeat(np.arange(n_areas), n_bld)
    bld_start = np.r_[0, np.cumsum(n_bld)[:-1]]
    bld_no = np.arange(len(bld_area)) - bld_start[bld_area]  # 0-based within the area
    hlo, hhi = cal.households_per_building
    households = rng.integers(hlo, hhi + 1, len(bld_area))
    cum = np.cumsum(households)
    area_hh_start = np.r_[0, cum][bld_start]
    area_hh = np.bincount(bld_area, weights=households, minlength=n_areas)
    building = np.full(n, -1, dtype=np.int64)
    res = ~outside
    target = area_hh_start[branch[res]] + rng.random(int(res.sum())) * area_hh[branch[res]]
    building[res] = np.minimum(np.searchsorted(cum, target, side="right"), bld_start[branch[res]] + n_bld[branch[res]] - 1)

    # -- roster order: branch, building, birth; ids follow it -----------------------------------------
    order = np.lexsort((attrs["birth"], building, branch))
    branch, building = branch[order], building[order]
    attrs = {k: v[order] for k, v in attrs.items()}
    width = len(str(n))
    member_ids = _numbered(cal.id_prefix, np.arange(1, n + 1), width)

    # -- groups by building block -------------------------------------------------------------------
    n_grp = np.minimum(np.rint(sizes / cal.members_per_group).astype(np.int64), n_bld)
    grp_of_bld = (bld_no * n_grp[bld_area]) // n_bld[bld_area]  # 0-based within the area
    has_grp = n_grp[bld_area] > 0
    grp_start = np.r_[0, np.cumsum(n_grp)[:-1]]
    bld_group = np.where(has_grp, grp_start[bld_area] + grp_of_bld, -1)
    group = np.where(building >= 0, bld_group[np.maximum(building, 0)], -1)

    # -- teams ------------------------------------------------------------------------------------------
    team = _teams(cal, rng, sizes, attrs, branch, res_mask=branch < n_areas)

    # -- roles and backbone ------------------------------------------------------------------------------
    status_full = ~attrs["probationary"]
    in_team = np.zeros(n, dtype=bool)
    in_team[team["member"]] = True
    fit = status_full & ~attrs["limited"] & ~attrs["mobile"] & (attrs["age"] < 80)
    weight = np.where(fit, np.where(in_team, 3.0, 1.0), 1e-9)
    keys = np.log(rng.random(n)) / weight
    n_branches = n_areas + n_ob
    full_in = np.bincount(branch, weights=status_full, minlength=n_branches)
    committee_n = np.where(full_in >= 7, cal.committee_size, 1)
    _, rank = _rank_within(branch, keys)
    committee = rank < committee_n[branch]
    secretary = rank == 0
    leader = np.zeros(n, dtype=bool)
    grouped = np.flatnonzero((group >= 0) & ~committee)
    if len(grouped):
        _, g_rank = _rank_within(group[grouped], keys[grouped])
        leader[grouped[g_rank == 0]] = True
    backbone = committee | leader

    # -- tables -------------------------------------------------------------------------------------------
    area_w = _width(n_areas)
    named = len(cal.area_names)
    area_ids = pa.concat_arrays([
        pa.array(cal.area_ids or [f"ra{i + 1:0{area_w}d}" for i in range(named)], type=pa.string()),
        _numbered("ra", np.arange(named + 1, n_areas + 1), area_w)])
    area_names = pa.concat_arrays([  # short names: teams, courtyards and buildings are named after them
        pa.array(cal.area_names, type=pa.string()),
        _numbered("第", np.arange(named + 1, n_areas + 1), 1, "居民区")])
    suffixed = pc.ends_with(area_names, cal.area_suffix) if cal.area_suffix else pa.array(np.ones(n_areas, bool))
    area_full = pc.if_else(suffixed, area_names, pc.binary_join_element_wise(area_names, cal.area_suffix, ""))
    other_w = _width(n_ob)
    other_ids = _numbered("o", np.arange(1, n_ob + 1), other_w)
    other_kind = [cal.other_kinds[i % len(cal.other_kinds)] for i in range(n_ob)]
    default_other = {"party.enterprise": "企业", "party.social_org": "社会组织", "party.agency": "机关",
                     "party.association": "协会", "party.chamber": "商会"}
    other_names = pa.array(cal.other_names[:n_ob] + [
        f"{default_other.get(other_kind[i], '单位')}{i + 1}" for i in range(len(cal.other_names), n_ob)], type=pa.string())
    branch_ids = pa.concat_arrays([
        pc.binary_join_element_wise(area_ids, "-branch", ""), pc.binary_join_element_wise(other_ids, "-branch", "")])
    branch_names = pc.binary_join_element_wise(pa.concat_arrays([area_full, other_names]), "党支部", "")
    bld_w = _width(int(n_bld.max()) if len(n_bld) else 1)
    bld_ids = pc.binary_join_element_wise(_take(area_ids, bld_area), "-bd",
                                         pc.utf8_lpad(pa.array(bld_no + 1).cast(pa.string()), width=bld_w, padding="0"), "")
    bld_names = pc.binary_join_element_wise(_take(area_names, bld_area),
                                           pa.array(bld_no + 1).cast(pa.string()), "号楼", "")
    bld_parent = _take(area_ids, bld_area)
    if cal.buildings_per_courtyard:  # courtyards of consecutive buildings; buildings are part of them
        n_crt = -(-n_bld // cal.buildings_per_courtyard)
        crt_area = np.repeat(np.arange(n_areas), n_crt)
        crt_no = np.arange(len(crt_area)) - np.r_[0, np.cumsum(n_crt)[:-1]][crt_area]
        crt_w = _width(int(n_crt.max()))
        crt_ids = pc.binary_join_element_wise(_take(area_ids, crt_area), "-c",
                                             pc.utf8_lpad(pa.array(crt_no + 1).cast(pa.string()), width=crt_w, padding="0"), "")
        crt_names = pc.binary_join_element_wise(_take(area_names, crt_area), pa.array(crt_no + 1).cast(pa.string()), "号院", "")
        bld_crt = np.r_[0, np.cumsum(n_crt)[:-1]][bld_area] + (bld_no * n_crt[bld_area]) // n_bld[bld_area]
        bld_parent = _take(crt_ids, bld_crt)
    grp_area = np.repeat(np.arange(n_areas), n_grp)
    grp_no = np.arange(len(grp_area)) - grp_start[grp_area]
    grp_ids = pc.binary_join_element_wise(_take(area_ids, grp_area), "-g",
                                         pc.utf8_lpad(pa.array(grp_no + 1).cast(pa.string()), width=2, padding="0"), "")
    grp_names = pc.binary_join_element_wise(
        _take(area_full, grp_area), _take([f"第{zh_numeral(i + 1)}党小组" for i in range(int(n_grp.max(initial=0)))], grp_no), "")
    bld_id_list = bld_ids.to_pylist()
    grp_bounds = np.searchsorted(bld_group[has_grp], np.arange(len(grp_area) + 1)) if len(grp_area) else np.zeros(1, int)
    grp_blds = np.flatnonzero(has_grp)
    grp_built = [";".join(bld_id_list[j] for j in grp_blds[grp_bounds[g]:grp_bounds[g + 1]]) for g in range(len(grp_area))]

    t_area, t_no = team["area"], team["no"]
    team_ids = pc.binary_join_element_wise(_take(area_ids, t_area), "-t",
                                          pc.utf8_lpad(pa.array(t_no + 1).cast(pa.string()), width=2, padding="0"), "")
    team_names = pc.binary_join_element_wise(_take(area_names, t_area), pa.array(team["name"], type=pa.string()), "")
    team_tags = _take([f"team:{k}" for k in TEAM_KINDS], team["kind"])

    # units: community, committee, then per area: area, branch, groups, teams, buildings; then others
    blocks: list[dict[str, Any]] = []

    def block(ids: pa.Array, kind: str | list[str], names: pa.Array, parent: Any, built_on: Any, tags: Any,
              area: np.ndarray, rank: int, hh: Any = None) -> None:
        k = len(ids)
        blocks.append({"id": ids, "kind": pa.array(kind if isinstance(kind, list) else [kind] * k, type=pa.string()),
                       "name": names, "parent": _col(parent, k), "built_on": _col(built_on, k), "tags": _col(tags, k),
                       "households": pa.array(hh if hh is not None else [None] * k, type=pa.int64()),
                       "area": np.asarray(area, dtype=np.int64), "rank": np.full(k, rank)})

    block(pa.array([cal.community_id]), "party.community", pa.array([cal.community_name]), None, None, None, [-2], 0)
    block(pa.array([cal.committee_id]), "party.working_committee", pa.array([cal.committee_name]), None,
          cal.community_id, None, [-1], 0)
    ar = np.arange(n_areas)
    block(area_ids, "party.residential_area", area_full, cal.community_id, None, None, ar, 0)
    block(branch_ids[:n_areas], "party.branch", branch_names[:n_areas], cal.committee_id, area_ids, None, ar, 1)
    block(grp_ids, "party.group", grp_names, _take(branch_ids, grp_area), pa.array(grp_built, type=pa.string()),
          None, grp_area, 2)
    block(team_ids, "party.team", team_names, _take(area_ids, t_area), None, team_tags, t_area, 3)
    if cal.buildings_per_courtyard:
        block(crt_ids, "party.courtyard", crt_names, _take(area_ids, crt_area), None, None, crt_area, 4)
    block(bld_ids, "party.building", bld_names, bld_parent, None, None, bld_area, 5, households)
    if n_ob:
        from .kinds import PARTY_PACK

        allowed = {k.id: k.allowed_parents for k in PARTY_PACK.kinds}
        parents = [cal.community_id if "party.community" in allowed.get(k, ()) else None for k in other_kind]
        oa = n_areas + np.arange(n_ob)
        block(other_ids, other_kind, other_names, pa.array(parents, type=pa.string()), None, None, oa, 0)
        block(branch_ids[n_areas:], "party.branch", branch_names[n_areas:], cal.committee_id, other_ids, None, oa, 1)
    cols = ("id", "kind", "name", "parent", "built_on", "tags", "households")
    area_key = np.concatenate([b["area"] for b in blocks])
    rank_key = np.concatenate([b["rank"] for b in blocks])
    u_order = np.lexsort((np.arange(len(area_key)), rank_key, area_key))
    units = pa.table({c: pa.concat_arrays([b[c] for b in blocks]).take(pa.array(u_order)) for c in cols})

    status = np.where(attrs["probationary"], "probationary", "full")
    member_cols: dict[str, Any] = {"id": member_ids}
    if cal.names:
        member_cols["name"] = _names(rng, n)
    home = pa.concat_arrays([bld_ids, other_ids])
    home_idx = np.where(building >= 0, building, len(bld_ids) + branch - n_areas)
    member_cols.update({
        "branch": _take(branch_ids, branch),
        "group": pc.if_else(pa.array(group >= 0), _take(grp_ids, np.maximum(group, 0)) if len(grp_ids) else
                            pa.nulls(n, pa.string()), pa.nulls(n, pa.string())),
        "status": pa.array(status, type=pa.string()),
        "birth_date": pa.array(attrs["birth"].astype("datetime64[D]")),
        "joined": pa.array(attrs["joined"].astype("datetime64[D]")),
        "retired": pa.array(attrs["retired"]),
        "mobility_limited": pa.array(attrs["limited"]),
        "mobile": pa.array(attrs["mobile"]),
        "backbone": pa.array(backbone),
        "home_host": _take(home, home_idx),
    })
    members = pa.table(member_cols)
    p_order = np.lexsort((team["team"], team["member"]))
    participation = pa.table({"member": _take(member_ids, team["member"][p_order]),
                              "unit": _take(team_ids, team["team"][p_order])})

    # roles: secretary and committee per branch (in rank order), then group leaders
    c_idx = np.flatnonzero(committee)
    c_idx = c_idx[np.lexsort((rank[c_idx], branch[c_idx]))]
    titles = np.where(secretary[c_idx], "secretary", "committee_member")
    l_idx = np.flatnonzero(leader)
    l_idx = l_idx[np.argsort(group[l_idx], kind="stable")]
    since_branch = np.datetime64(cal.as_of, "D") - rng.integers(180, 5 * 365, n_branches)
    roles = pa.table({
        "unit": pa.concat_arrays([_take(branch_ids, branch[c_idx]), _take(grp_ids, group[l_idx]) if len(l_idx) else
                                  pa.array([], pa.string())]),
        "role": pa.array(np.r_[titles, np.full(len(l_idx), "group_leader")].tolist(), type=pa.string()),
        "person": pa.concat_arrays([_take(member_ids, c_idx), _take(member_ids, l_idx)]),
        "since": pa.array(np.r_[since_branch[branch[c_idx]], since_branch[branch[l_idx]] + 45].astype("datetime64[D]")),
    })
    ties = _ties(cal, rng, branch, building, team) if cal.ties_per_member > 0 else None
    if ties is not None:
        ties = pa.table({"a": _take(member_ids, ties[0]), "b": _take(member_ids, ties[1]), "weight": pa.array(ties[2])})
    return Tables(units=units, members=members, participation=participation, roles=roles, ties=ties)


def _col(value: Any, k: int) -> pa.Array:
    if value is None:
        return pa.nulls(k, pa.string())
    if isinstance(value, str):
        return pa.array([value] * k, type=pa.string())
    return value if isinstance(value, pa.Array) else pa.array(value, type=pa.string())


def _names(rng: np.random.Generator, n: int) -> pa.Array:
    """Synthetic names: a common surname and one or two common given-name characters."""
    s = SURNAMES[rng.integers(0, len(SURNAMES), n)]
    g1 = GIVEN[rng.integers(0, len(GIVEN), n)]
    g2 = np.where(rng.random(n) < 0.7, GIVEN[rng.integers(0, len(GIVEN), n)], "")
    return pc.binary_join_element_wise(pa.array(s), pa.array(g1), pa.array(g2), "")


def _teams(cal: Calibration, rng: np.random.Generator, sizes: np.ndarray, attrs: dict[str, np.ndarray],
           branch: np.ndarray, res_mask: np.ndarray) -> dict[str, Any]:
    """Teams (area, number, kind, name) and participation links (member, team) with exact counts."""
    n_areas = cal.areas
    n_teams = cal.n_teams
    pinned = [(cal.area_names.index(a), t) for a, ts in cal.area_teams.items() for t in ts]
    pinned.sort(key=lambda p: p[0])  # stable: keeps each area's listed order
    pinned_areas = np.zeros(n_areas, dtype=bool)
    pinned_areas[[a for a, _ in pinned]] = True
    if len(pinned) > n_teams:
        raise CalibrationError(f"{len(pinned)} pinned teams but only {n_teams} teams in all")
    free_areas = np.flatnonzero(~pinned_areas)
    n_free = n_teams - len(pinned)
    per_area = np.zeros(n_areas, dtype=np.int64)
    per_area[[a for a, _ in pinned]] = np.bincount([a for a, _ in pinned], minlength=n_areas)[[a for a, _ in pinned]]
    if len(free_areas):
        base = np.full(len(free_areas), 1 if n_free >= len(free_areas) else 0)
        per_area[free_areas] = base + _largest_remainder(n_free - int(base.sum()), sizes[free_areas].astype(float))
    elif n_free:
        raise CalibrationError("every area has pinned teams, but more teams are wanted")
    # teams ordered by area; pinned first in their areas (they are the whole list there)
    t_area = np.repeat(np.arange(n_areas), per_area)
    t_start = np.r_[0, np.cumsum(per_area)[:-1]]
    t_no = np.arange(n_teams) - t_start[t_area]
    is_pinned = pinned_areas[t_area]
    kind = np.full(n_teams, -1, dtype=np.int64)
    count = np.full(n_teams, -1, dtype=np.int64)
    names = np.empty(n_teams, dtype=object)
    pin_pos = np.flatnonzero(is_pinned)
    for pos, (_, t) in zip(pin_pos.tolist(), pinned, strict=True):
        kind[pos] = TEAM_KINDS.index(t.kind)
        count[pos] = t.party_members
        names[pos] = t.name
    # kinds of the free teams: the exact shares minus the pinned ones
    want_kind = _largest_remainder(n_teams, np.array([cal.team_kind_shares.get(k, 0.0) for k in TEAM_KINDS]))
    left_kind = np.maximum(want_kind - np.bincount(kind[is_pinned], minlength=4), 0)
    left_kind = _spread(n_free, np.zeros(4, np.int64), np.full(4, n_free), left_kind)
    free_pos = np.flatnonzero(~is_pinned)
    kind[free_pos] = rng.permutation(np.repeat(np.arange(4), left_kind))
    # party members per team: exactly n_any with >= 1 and n3 with >= 3
    tg = cal.targets()
    n_any, n3, n_part = tg["teams_with_members"], tg["teams_with_3plus"], tg["participants"]
    n_double = tg["in_two_teams"]
    links = n_part + n_double
    pc_ = count[is_pinned]
    cat_left = np.array([n_teams - n_any - int((pc_ == 0).sum()), n_any - n3 - int(((pc_ >= 1) & (pc_ <= 2)).sum()),
                         n3 - int((pc_ >= 3).sum())])
    if (cat_left < 0).any():
        raise CalibrationError("the pinned teams alone exceed the shares of teams with members")
    cat = rng.permutation(np.repeat(np.arange(3), cat_left))
    free_count = np.where(cat == 0, 0, np.where(cat == 1, 1 + (rng.random(n_free) < 0.4), 3))
    big = np.flatnonzero(cat == 2)
    extra = links - int(pc_.sum()) - int(free_count.sum())
    if extra < 0 or (extra > 0 and not len(big)):
        raise CalibrationError(f"{links} team places cannot be spread over the teams as the shares say")
    area_of_free = t_area[free_pos]
    cap = np.maximum(3, sizes[area_of_free] // 2)
    if len(big):
        attract = rng.gamma(1.5, 1.0, len(big)) * sizes[area_of_free[big]]
        add = rng.multinomial(extra, attract / attract.sum())
        for _ in range(50):  # move any overflow of a team past half its area to teams with room
            over = np.maximum(free_count[big] + add - cap[big], 0)
            if not over.any():
                break
            add -= over
            room = np.maximum(cap[big] - free_count[big] - add, 0)
            if room.sum() < over.sum():
                raise CalibrationError("too many team places for the residential areas' sizes")
            add += rng.multinomial(int(over.sum()), room / room.sum())
        free_count[big] += add
    count[free_pos] = free_count
    # participants per area: between half its places and all of them, at least its largest team
    area_links = np.bincount(t_area, weights=count, minlength=n_areas).astype(np.int64)
    max_team = np.zeros(n_areas, dtype=np.int64)
    np.maximum.at(max_team, t_area, count)
    lo = np.maximum((area_links + 1) // 2, max_team)
    hi = np.minimum(area_links, sizes)
    if (lo > hi).any():
        a = int(np.flatnonzero(lo > hi)[0])
        raise CalibrationError(f"area {a}: {area_links[a]} team places do not fit its {sizes[a]} members")
    start = np.rint(area_links * (n_part / links if links else 0)).astype(np.int64)
    part_per_area = _spread(n_part, lo, hi, start)
    # who takes part: retired twice as often, immobile and mobile rarely (exact count per area)
    w = np.where(attrs["retired"], 2.0, 1.0) * np.where(attrs["limited"], 0.05, 1.0) * np.where(attrs["mobile"], 0.1, 1.0)
    keys = np.log(rng.random(len(w))) / w
    area = np.where(res_mask, branch, n_areas)
    order, rank = _rank_within(area, keys)
    chosen = res_mask & (rank < np.r_[part_per_area, 0][area])
    sel = order[chosen[order]]  # participants, by area, most eager first
    p_start = np.r_[0, np.cumsum(part_per_area)[:-1]]
    # team places: team t repeated count[t] times (teams sorted by area); place s of an area goes to
    # participant s mod P_a, so the first (places - P_a) participants take two distinct teams
    slot_team = np.repeat(np.arange(n_teams), count)
    slot_area = t_area[slot_team]
    slot_start = np.r_[0, np.cumsum(area_links)[:-1]]
    slot_rank = np.arange(len(slot_team)) - slot_start[slot_area]
    slot_member = sel[p_start[slot_area] + slot_rank % np.maximum(part_per_area[slot_area], 1)]
    # team names: by kind, numbered within the area (二队 after the first of the same name)
    free_names = _team_names(kind[free_pos], area_of_free)
    names[free_pos] = free_names
    return {"area": t_area, "no": t_no, "kind": kind, "name": names.tolist(), "count": count,
            "member": slot_member, "team": slot_team}


def _team_names(kind: np.ndarray, area: np.ndarray) -> list[str]:
    order = np.lexsort((np.arange(len(kind)), kind, area))
    out = [""] * len(kind)
    prev: tuple[int, int] | None = None
    j = 0
    for i in order.tolist():
        key = (int(area[i]), int(kind[i]))
        j = j + 1 if key == prev else 0
        prev = key
        pool = TEAM_NAMES[TEAM_KINDS[key[1]]]
        base = pool[j % len(pool)]
        round_ = j // len(pool)
        out[i] = base if round_ == 0 else base[:-1] + zh_numeral(round_ + 1) + base[-1]
    return out


def _ties(cal: Calibration, rng: np.random.Generator, branch: np.ndarray, building: np.ndarray,
          team: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Social ties: neighbours in the same building (else branch) and team mates; pairs summed."""
    n = len(branch)
    k = round(cal.ties_per_member * n / 2)
    group = np.where(building >= 0, building, -1 - branch)  # members are sorted by branch, building
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    lens = np.diff(np.r_[starts, n])
    g_of = np.repeat(np.arange(len(starts)), lens)
    a = rng.integers(0, n, k)
    size = lens[g_of[a]]
    off = (a - starts[g_of[a]] + 1 + rng.integers(0, np.maximum(size - 1, 1))) % size
    b = starts[g_of[a]] + off
    # team mates: each place links its member to the member of a random other place of the team
    places = len(team["member"])
    t_order = np.argsort(team["team"], kind="stable")
    t_team = team["team"][t_order]
    t_start = np.flatnonzero(np.r_[True, t_team[1:] != t_team[:-1]]) if places else np.zeros(0, int)
    t_len = np.diff(np.r_[t_start, places])
    t_of = np.repeat(np.arange(len(t_start)), t_len)
    pos = np.arange(places) - (t_start[t_of] if places else 0)
    mate = t_start[t_of] + (pos + 1 + rng.integers(0, np.maximum(t_len[t_of] - 1, 1))) % np.maximum(t_len[t_of], 1) if places else pos
    ta, tb = team["member"][t_order], team["member"][t_order][mate] if places else pos
    all_a = np.r_[a, ta]
    all_b = np.r_[b, tb]
    w = np.r_[np.ones(len(a)), np.full(len(ta), 2.0)]  # team mates know each other better
    keep = all_a != all_b
    lo_, hi_ = np.minimum(all_a, all_b)[keep], np.maximum(all_a, all_b)[keep]
    pair, inv = np.unique(lo_ * np.int64(n) + hi_, return_inverse=True)
    weight = np.bincount(inv, weights=w[keep]).astype(np.int64)
    return pair // n, pair % n, weight
