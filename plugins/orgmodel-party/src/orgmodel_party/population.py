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
* optionally (``townships``) townships ``twT`` (``party.township``, 第T镇) with a committee
  ``twT-committee`` (党委), a community ``twT-sq`` and its service centre ``twT-fwzx`` with a branch
  of ``service_centre_members``, a comprehensive branch ``twT-zonghe`` (tagged ``comprehensive``, the
  township's catch-all), ``villages_per_township`` villages ``twT-vNN`` (``party.village``) each with
  its branch ``twT-vNN-branch`` (sizes in ``village_size``, ``village_share`` of the members living in
  them), ``associations_per_township`` industry associations ``twT-aN`` (``party.association`` tagged
  ``trade:X``, 第T镇瓜果种植产业协会) in which ``association_share`` of the township's village members
  take part, and ``firms_per_township`` small firms ``twT-fNN`` (``party.enterprise`` tagged with an
  association's trade; every ``social_org_every``-th a ``party.social_org``) of ``firm_size`` members
  (``firm_share`` in all) with no party organisation of their own: a firm's members sit in the
  comprehensive branch, or (``firm_unplaced_share``, ``firm_external_share`` of the firms, about) in
  ``unplaced`` (``core.unplaced``) or ``external`` (``core.external``, a talent-exchange centre); an
  ``adjacency`` table links the villages of a township in a chain and the community to its first
  three villages;
* optionally (``agencies``) government agencies ``agG`` (``party.agency``) with a committee
  ``agG-committee``, bureaus ``agG-bNN`` (``party.bureau`` tagged ``leader:X``, one leader per three
  bureaus) of ``divisions_per_bureau`` divisions ``agG-bNN-dNN`` (``party.division`` tagged
  ``function:X``) of ``division_size`` members (``agency_share`` in all), and the agency's present
  branches ``agG-brNN`` of about ``agency_branch_size`` members built on divisions in a random order,
  so that they cut across bureaus (as branches set by office floor do);
* members (ids zero-padded numbers, ``0001``…), participation in teams (and associations), roles
  (secretary, committee members, group leaders; none in ``unplaced`` and ``external``) and optionally
  social ties.

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
* **sectors**: ``round(village_share * members)`` village members, ``round(firm_share * members)``
  firm members, ``round(agency_share * members)`` agency members and ``service_centre_members`` per
  township exactly (``targets()`` names them); agencies, firms and service centres draw working, able
  members, villages anyone; the residential areas and ``other_branches`` take the rest. Village,
  firm and division sizes are drawn in their ranges and shifted to add up exactly.
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
RURAL_TRADES = ("瓜果种植", "畜禽养殖", "茶叶", "农产品电商", "乡村旅游", "餐饮", "零售", "物流")
DIVISION_FUNCTIONS = ("综合", "政策规划", "审批服务", "监督执法")
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
    townships: int = Field(0, ge=0, le=100_000, description="townships (乡镇), each with a committee, a community with"
                           " a service-centre branch and a catch-all comprehensive branch (综合党支部); 0: none")
    villages_per_township: int = Field(12, ge=1, le=500, description="villages of each township, each with its branch")
    village_share: float = Field(0.0, ge=0, le=1, description="share of members in village branches")
    village_size: tuple[int, int] = Field((8, 120), description="size range of a village branch")
    service_centre_members: int = Field(8, ge=0, description="members of each township's service-centre branch")
    associations_per_township: int = Field(0, ge=0, le=len(RURAL_TRADES), description="industry associations"
                                           " (产业协会) of each township, one per trade of RURAL_TRADES in turn")
    association_share: float = Field(0.1, ge=0, le=1, description="share of village members taking part in an"
                                     " association of their township")
    firms_per_township: int = Field(0, ge=0, le=10_000, description="small firms and social organisations of each"
                                    " township with no party organisation of their own")
    firm_share: float = Field(0.0, ge=0, le=1, description="share of members working in those firms")
    firm_size: tuple[int, int] = Field((1, 6), description="members of one such firm")
    social_org_every: int = Field(5, ge=1, description="every n-th of them is a social organisation (no trade), the"
                                  " rest enterprises tagged trade:X")
    firm_unplaced_share: float = Field(0.2, ge=0, le=1, description="firms whose members' relation is not placed"
                                       " (core.unplaced), about")
    firm_external_share: float = Field(0.2, ge=0, le=1, description="firms whose members' relation is held by a"
                                       " talent-exchange centre (core.external), about; the rest in the comprehensive branch")
    agencies: int = Field(0, ge=0, le=1000, description="government agencies (机关), each with a committee, bureaus"
                          " and divisions")
    agency_share: float = Field(0.0, ge=0, le=1, description="share of members working in the agencies")
    division_size: tuple[int, int] = Field((5, 40), description="members of one division (处室)")
    divisions_per_bureau: int = Field(6, ge=1, description="divisions of one bureau (局)")
    agency_branch_size: int = Field(50, ge=3, description="the agencies' present branches hold about this many"
                                    " members each, on divisions cutting across bureaus (as by office floor)")
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
        for field in ("village_size", "firm_size", "division_size"):
            lo, hi = getattr(self, field)
            if not 1 <= lo <= hi:
                raise bad(f"{field} must be a range lo <= hi, lo >= 1")
        if self.firm_unplaced_share + self.firm_external_share > 1:
            raise bad("firm_unplaced_share + firm_external_share is larger than 1")
        if self.residential + sum(self.sector_members().values()) > self.members:
            raise bad("residential_share, village_share, firm_share, agency_share and the service centres"
                      " add up to more than the members")
        return self

    # -- the derived exact counts ---------------------------------------------------------------

    @property
    def residential(self) -> int:
        """Members in residential-area branches."""
        return round(self.residential_share * self.members)

    def sector_members(self) -> dict[str, int]:
        """Members of villages, service centres, small firms and agencies (0 where not generated)."""
        towns = self.townships > 0
        return {
            "village_members": round(self.village_share * self.members) if towns else 0,
            "service_centre_members": self.townships * self.service_centre_members,
            "firm_members": round(self.firm_share * self.members) if towns and self.firms_per_township else 0,
            "agency_members": round(self.agency_share * self.members) if self.agencies else 0,
        }

    @property
    def n_other(self) -> int:
        """Members of the other branches (``other_branches``): everyone not in an area or a sector."""
        return self.members - self.residential - sum(self.sector_members().values())

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
            "other_branches": self.other_branches if self.n_other > 0 else 0,  # none when unused
            "probationary": round(self.probationary_share * self.members),
            "retired": round(self.retired_share * self.members),
            "mobility_limited": round(self.immobile_share * self.members),
            "mobile": round(self.mobile_share * self.members),
            "teams": n_teams,
            "teams_with_members": round(self.share_teams_any * n_teams),
            "teams_with_3plus": round(self.share_teams_3plus * n_teams),
            "participants": round(self.participation_share * self.members),
            "in_two_teams": round(self.two_teams_share * round(self.participation_share * self.members)),
            **({"townships": self.townships, "villages": self.townships * self.villages_per_township,
                "associations": self.townships * self.associations_per_township,
                "association_participants": round(self.association_share * self.sector_members()["village_members"]),
                "firms": self.townships * self.firms_per_township if self.sector_members()["firm_members"] else 0}
               if self.townships else {}),
            **({"agencies": self.agencies} if self.agencies else {}),
            **{k: v for k, v in self.sector_members().items() if v},
        }


@dataclass(frozen=True)
class Tables:
    """A generated baseline as pyarrow tables, with orgmodel's column names."""

    units: pa.Table
    members: pa.Table
    participation: pa.Table
    roles: pa.Table
    ties: pa.Table | None = None
    adjacency: pa.Table | None = None

    def write(self, folder: str | Path) -> list[Path]:
        """Write ``units.csv``, ``members.csv``, ``participation.csv``, ``roles.csv`` (and ``ties.csv``,
        ``adjacency.csv`` when generated).

        UTF-8, Unix line ends, quotes only where needed: the same bytes for the same tables.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for name in ("units", "members", "participation", "roles", "ties", "adjacency"):
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
        associations = ids[kind == "party.association"]
        in_association = np.isin(p_unit, associations)
        a_members = p_member[in_association]
        p_unit, p_member = p_unit[~in_association], p_member[~in_association]
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
            "other_branches": int(pc.sum(pc.match_substring_regex(pa.array(b_ids, pa.string()), r"^o\d+-branch$")).as_py() or 0),
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
            **self._sectors(kind, branch, a_members),
        }

    def _sectors(self, kind: np.ndarray, branch: np.ndarray, a_members: np.ndarray) -> dict[str, int]:
        """The counts of townships, villages, firms and agencies (only those generated)."""
        home = self.members["home_host"].to_numpy(zero_copy_only=False)
        ids = self.units["id"].to_numpy(zero_copy_only=False)
        host_kind = dict(zip(ids.tolist(), kind.tolist(), strict=True))
        homes, inverse = np.unique(home, return_inverse=True)
        member_kind = np.array([host_kind.get(h, "") for h in homes.tolist()], dtype=object)[inverse]
        out: dict[str, int] = {}
        if (kind == "party.township").any():
            out.update(townships=int((kind == "party.township").sum()), villages=int((kind == "party.village").sum()),
                       associations=int((kind == "party.association").sum()),
                       association_participants=len(np.unique(a_members)),
                       firms=int(np.isin(kind, ("party.enterprise", "party.social_org")).sum()
                                 - (pc.sum(pc.match_substring_regex(pa.array(ids, pa.string()), r"^o\d+$")).as_py() or 0)))
        if (kind == "party.agency").any():
            out["agencies"] = int((kind == "party.agency").sum())
        counts = {"village_members": "party.village", "service_centre_members": "party.service_centre",
                  "agency_members": "party.division"}
        for key, k in counts.items():
            if (member_kind == k).any():
                out[key] = int((member_kind == k).sum())
        firm_members = int(np.isin(member_kind, ("party.enterprise", "party.social_org")).sum()
                           - (pc.sum(pc.match_substring_regex(pa.array(branch, pa.string()), r"^o\d+-branch$")).as_py() or 0))
        if firm_members:
            out["firm_members"] = firm_members
        return out


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
    n_other = cal.n_other
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
    towns = _towns(cal, rng, attrs, outside) if any(cal.sector_members().values()) or cal.townships else None
    taken = towns.taken if towns is not None else np.zeros(n, dtype=bool)
    branch = np.empty(n, dtype=np.int64)  # area index, or n_areas + other index, or n_areas + n_ob + sector branch
    inside_idx = np.flatnonzero(~outside & ~taken)
    branch[inside_idx[rng.permutation(len(inside_idx))]] = np.repeat(np.arange(n_areas), sizes)
    out_idx = np.flatnonzero(outside)
    branch[out_idx[rng.permutation(len(out_idx))]] = n_areas + np.repeat(np.arange(n_ob), other_sizes)
    if towns is not None:
        branch[taken] = n_areas + n_ob + towns.branch[taken]

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
    res = ~outside & ~taken
    target = area_hh_start[branch[res]] + rng.random(int(res.sum())) * area_hh[branch[res]]
    building[res] = np.minimum(np.searchsorted(cum, target, side="right"), bld_start[branch[res]] + n_bld[branch[res]] - 1)

    # -- roster order: branch, building, birth; ids follow it -----------------------------------------
    order = np.lexsort((attrs["birth"], building, branch))
    branch, building = branch[order], building[order]
    attrs = {k: v[order] for k, v in attrs.items()}
    if towns is not None:
        towns = towns.reordered(order)
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
    n_branches = n_areas + n_ob + (towns.n_branches if towns is not None else 0)
    full_in = np.bincount(branch, weights=status_full, minlength=n_branches)
    committee_n = np.where(full_in >= 7, cal.committee_size, 1)
    if towns is not None:  # no roles in the units that merely hold relations (unplaced, external)
        committee_n[n_areas + n_ob:][towns.holds_only] = 0
    _, rank = _rank_within(branch, keys)
    committee = rank < committee_n[branch]
    secretary = (rank == 0) & committee
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
        pc.binary_join_element_wise(area_ids, "-branch", ""), pc.binary_join_element_wise(other_ids, "-branch", "")]
        + ([towns.branch_ids] if towns is not None else []))
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
    if towns is not None:
        units = pa.concat_tables([units, towns.units.select(list(cols))])

    status = np.where(attrs["probationary"], "probationary", "full")
    member_cols: dict[str, Any] = {"id": member_ids}
    if cal.names:
        member_cols["name"] = _names(rng, n)
    home = pa.concat_arrays([bld_ids, other_ids] + ([towns.host_ids] if towns is not None else []))
    home_idx = np.where(building >= 0, building, len(bld_ids) + branch - n_areas)
    if towns is not None:
        home_idx = np.where(towns.home >= 0, len(bld_ids) + len(other_ids) + towns.home, home_idx)
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
    if towns is not None and len(towns.assoc_member):
        participation = pa.concat_tables([participation, pa.table({
            "member": _take(member_ids, towns.assoc_member), "unit": _take(towns.assoc_ids, towns.assoc_unit)})])

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
    return Tables(units=units, members=members, participation=participation, roles=roles, ties=ties,
                  adjacency=towns.adjacency if towns is not None else None)


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


# -- townships, villages, firms and agencies -------------------------------------------------------------


@dataclass(frozen=True)
class _Towns:
    """What :func:`_towns` adds: per member (index = roster row) the sector branch and home host
    (-1 outside the sectors), the sector branches and hosts, their units, association links and adjacency."""

    taken: np.ndarray
    branch: np.ndarray
    home: np.ndarray
    branch_ids: pa.Array
    holds_only: np.ndarray  # per sector branch: a unit that only holds relations (no roles)
    host_ids: pa.Array
    units: pa.Table
    assoc_member: np.ndarray
    assoc_unit: np.ndarray
    assoc_ids: pa.Array
    adjacency: pa.Table | None

    @property
    def n_branches(self) -> int:
        return len(self.branch_ids)

    def reordered(self, order: np.ndarray) -> _Towns:
        """The same with members in roster ``order`` (``order[new] = old``)."""
        new_of_old = np.empty(len(order), dtype=np.int64)
        new_of_old[order] = np.arange(len(order))
        member = new_of_old[self.assoc_member]
        o = np.lexsort((self.assoc_unit, member))
        return _Towns(self.taken[order], self.branch[order], self.home[order], self.branch_ids, self.holds_only,
                      self.host_ids, self.units, member[o], self.assoc_unit[o], self.assoc_ids, self.adjacency)


def _sizes(total: int, k: int, size: tuple[int, int], rng: np.random.Generator, what: str) -> np.ndarray:
    """``k`` sizes in ``size`` adding up to ``total`` (skewed towards the small end, as villages and firms are)."""
    lo, hi = size
    if k == 0:
        if total:
            raise CalibrationError(f"{total} {what} members but no {what}")
        return np.zeros(0, dtype=np.int64)
    if not k * lo <= total <= k * hi:
        raise CalibrationError(f"{total} {what} members do not fit {k} {what} of {lo}-{hi} members")
    start = lo + np.floor((hi - lo + 1) * rng.beta(1.2, 2.5, k)).astype(np.int64)
    return _spread(total, np.full(k, lo), np.full(k, hi), np.minimum(start, hi))


def _towns(cal: Calibration, rng: np.random.Generator, attrs: dict[str, np.ndarray], outside: np.ndarray) -> _Towns:
    """Townships with villages, a community and service centre, associations and small firms; agencies with
    bureaus, divisions and their present branches. Members are drawn from those not in ``outside``:
    working, able members for agencies, firms and service centres, anyone for villages."""
    n = cal.members
    want = cal.sector_members()
    n_vm, n_sm, n_fm, n_am = (want[k] for k in ("village_members", "service_centre_members", "firm_members",
                                                "agency_members"))
    n_t, vpt, apt = cal.townships, cal.villages_per_township, cal.associations_per_township
    fpt = cal.firms_per_township if n_fm else 0
    n_v, n_a, n_f = n_t * vpt, n_t * apt, n_t * fpt
    w = np.where(outside, 0.0, np.where(attrs["retired"] | attrs["limited"], 1e-6, 1.0))
    working = np.flatnonzero(_top_k(rng, w, n_am + n_fm + n_sm, label="agencies, firms and service centres"))
    working = working[rng.permutation(len(working))]
    rural = np.flatnonzero(_top_k(rng, np.where(outside, 0.0, 1.0) * ~np.isin(np.arange(n), working), n_vm,
                                  label="villages"))
    rural = rural[rng.permutation(len(rural))]
    agency_m, firm_m, service_m = working[:n_am], working[n_am:n_am + n_fm], working[n_am + n_fm:]

    # sizes and the member's unit in each sector
    v_size = _sizes(n_vm, n_v, cal.village_size, rng, "village")
    f_size = _sizes(n_fm, n_f, cal.firm_size, rng, "firm")
    lo, hi = cal.division_size
    n_d = min(max(round(n_am / ((lo + hi) / 2)), -(-n_am // hi), cal.agencies), n_am // lo) if n_am else 0
    d_size = _sizes(n_am, n_d, cal.division_size, rng, "division")
    member_village = np.repeat(np.arange(n_v), v_size)
    member_firm = np.repeat(np.arange(n_f), f_size)
    member_division = np.repeat(np.arange(n_d), d_size)

    # agencies: divisions in bureaus; the present branches gather divisions across bureaus
    n_g = cal.agencies if n_am else 0
    d_agency = np.arange(n_d) * max(n_g, 1) // max(n_d, 1)
    d_start = np.searchsorted(d_agency, np.arange(n_g))
    d_local = np.arange(n_d) - d_start[d_agency] if n_d else np.zeros(0, np.int64)
    b_per_agency = -(-np.bincount(d_agency, minlength=n_g) // cal.divisions_per_bureau)
    b_start = np.r_[0, np.cumsum(b_per_agency)[:-1]].astype(np.int64)
    n_b = int(b_per_agency.sum())
    d_bureau = b_start[d_agency] + d_local // cal.divisions_per_bureau if n_d else np.zeros(0, np.int64)
    b_agency = np.repeat(np.arange(n_g), b_per_agency)
    b_local = np.arange(n_b) - b_start[b_agency]
    shuffled = np.lexsort((rng.random(n_d), d_agency))  # each agency's divisions in a random order
    g_members = np.bincount(d_agency, weights=d_size, minlength=n_g)
    k_old = np.maximum(1, np.rint(g_members / cal.agency_branch_size)).astype(np.int64) if n_g else np.zeros(0, np.int64)
    old_start = np.r_[0, np.cumsum(k_old)[:-1]].astype(np.int64)
    cum = np.zeros(n_d)
    if n_d:
        sd = d_size[shuffled].astype(float)
        ga = d_agency[shuffled]
        run = np.cumsum(sd)
        before = run - sd - np.r_[0, np.cumsum(g_members)[:-1]][ga]
        cum[shuffled] = before + sd / 2
    d_old = (old_start[d_agency] + np.minimum(np.floor(cum * k_old[d_agency] / np.maximum(g_members[d_agency], 1)),
                                               k_old[d_agency] - 1)).astype(np.int64) if n_d else np.zeros(0, np.int64)
    n_old = int(k_old.sum())

    # firms: trade, kind and the catch-all their members' relations sit in
    f_town = np.arange(n_f) // max(fpt, 1)
    f_local = np.arange(n_f) - f_town * fpt
    f_social = f_local % cal.social_org_every == cal.social_org_every - 1
    f_trade = rng.integers(0, apt or len(RURAL_TRADES), n_f)  # the trades of the associations (产业协会), if any
    f_where = rng.choice(3, n_f, p=[1 - cal.firm_unplaced_share - cal.firm_external_share, cal.firm_unplaced_share,
                                   cal.firm_external_share]) if n_f else np.zeros(0, np.int64)
    has_core = n_f > 0

    # sector branches: villages, service centres, comprehensive, agencies' present branches, unplaced, external
    o_service, o_comp = n_v, n_v + n_t
    o_old = n_v + 2 * n_t
    o_core = o_old + n_old
    n_br = o_core + (2 if has_core else 0)
    branch = np.full(n, -1, dtype=np.int64)
    home = np.full(n, -1, dtype=np.int64)  # villages, service centres, firms, divisions
    branch[rural] = member_village
    home[rural] = member_village
    branch[service_m] = o_service + np.repeat(np.arange(n_t), cal.service_centre_members)
    home[service_m] = n_v + np.repeat(np.arange(n_t), cal.service_centre_members)
    fw = f_where[member_firm]
    branch[firm_m] = np.where(fw == 0, o_comp + f_town[member_firm], o_core + fw - 1)
    home[firm_m] = n_v + n_t + member_firm
    branch[agency_m] = o_old + d_old[member_division]
    home[agency_m] = n_v + n_t + n_f + member_division
    taken = branch >= 0

    # association links: village members of a township take part in one of its associations
    k = round(cal.association_share * n_vm) if n_a else 0
    chosen = np.sort(rng.choice(rural, k, replace=False)) if k else np.zeros(0, np.int64)
    assoc_unit = (branch[chosen] // vpt) * apt + rng.integers(0, max(apt, 1), k) if k else np.zeros(0, np.int64)

    # ids and names
    tw = _width(n_t)
    t_no = np.arange(1, n_t + 1)
    t_ids = _numbered("tw", t_no, tw)
    t_names = _numbered("第", t_no, 1, "镇")

    def sub(parent_ids: pa.Array, of: np.ndarray, infix: str, numbers: np.ndarray, width: int) -> pa.Array:
        return pc.binary_join_element_wise(_take(parent_ids, of), _numbered(infix, numbers, width), "")

    def named(parent_names: pa.Array, of: np.ndarray, middle: Any, suffix: str = "") -> pa.Array:
        parts = [_take(parent_names, of), middle] + ([suffix] if suffix else [])
        return pc.binary_join_element_wise(*parts, "")

    def suffixed(values: pa.Array, suffix: str) -> pa.Array:
        return pc.binary_join_element_wise(values, suffix, "")

    v_town = np.arange(n_v) // vpt
    v_no = np.arange(n_v) - v_town * vpt + 1
    v_ids = sub(t_ids, v_town, "-v", v_no, _width(vpt))
    v_names = named(t_names, v_town, _numbered("", v_no, 1, "村"))
    a_town = np.arange(n_a) // max(apt, 1)
    a_local = np.arange(n_a) - a_town * apt
    a_ids = sub(t_ids, a_town, "-a", a_local + 1, 1 if apt < 10 else 2)
    a_trade = _take(list(RURAL_TRADES), a_local)
    a_names = named(t_names, a_town, a_trade, "产业协会")
    f_ids = sub(t_ids, f_town, "-f", f_local + 1, _width(fpt))
    f_names = named(t_names, f_town, pc.if_else(pa.array(f_social), _numbered("社会组织", f_local + 1, 1),
                                                _numbered("企业", f_local + 1, 1)))
    g_no = np.arange(1, n_g + 1)
    g_ids = _numbered("ag", g_no, _width(n_g))
    g_names = pa.array(["某市人民政府机关"] if n_g == 1 else [f"第{i}机关" for i in g_no.tolist()], pa.string())
    b_ids = sub(g_ids, b_agency, "-b", b_local + 1, _width(int(b_per_agency.max(initial=1))))
    b_names = named(g_names, b_agency, _numbered("第", b_local + 1, 1, "局"))
    d_bno = d_local - (d_local // cal.divisions_per_bureau) * cal.divisions_per_bureau + 1 if n_d else d_local
    d_ids = sub(b_ids, d_bureau, "-d", d_bno, _width(cal.divisions_per_bureau))
    d_names = named(b_names, d_bureau, _numbered("第", d_bno, 1, "处"))
    old_agency = np.repeat(np.arange(n_g), k_old)
    old_local = np.arange(n_old) - old_start[old_agency]
    old_ids = sub(g_ids, old_agency, "-br", old_local + 1, _width(int(k_old.max(initial=1))))
    old_names = named(g_names, old_agency, _numbered("第", old_local + 1, 1, "党支部"))
    comm_ids = suffixed(t_ids, "-committee")
    sq_ids, sc_ids = suffixed(t_ids, "-sq"), suffixed(t_ids, "-fwzx")
    sc_names = suffixed(t_names, "社区服务中心")
    core_ids = pa.array(["unplaced", "external"] if has_core else [], pa.string())
    core_names = pa.array(["组织关系未落实", "人才交流中心（档案托管）"] if has_core else [], pa.string())
    branch_ids = pa.concat_arrays([suffixed(v_ids, "-branch"), suffixed(sc_ids, "-branch"), suffixed(t_ids, "-zonghe"),
                                   old_ids, core_ids])
    holds_only = np.zeros(n_br, dtype=bool)
    holds_only[o_core:] = True
    host_ids = pa.concat_arrays([v_ids, sc_ids, f_ids, d_ids])

    # the units, in order: per township its units, then unplaced and external, then per agency its units
    rows: list[dict[str, Any]] = []

    def add(ids: pa.Array, kind: Any, names: pa.Array, parent: Any, built_on: Any, tags: Any,
            major: np.ndarray, minor: np.ndarray, rank: int) -> None:
        k_ = len(ids)
        rows.append({"id": ids, "kind": pa.array(kind if isinstance(kind, list) else [kind] * k_, pa.string()),
                     "name": names, "parent": _col(parent, k_), "built_on": _col(built_on, k_), "tags": _col(tags, k_),
                     "households": pa.nulls(k_, pa.int64()), "major": np.asarray(major, np.int64) + np.zeros(k_, np.int64),
                     "minor": np.asarray(minor, np.int64) + np.zeros(k_, np.int64), "rank": np.full(k_, rank)})

    tt = np.arange(n_t)
    add(t_ids, "party.township", t_names, None, None, None, tt, 0, 0)
    add(comm_ids, "party.committee", suffixed(t_names, "党委"), None, t_ids, None, tt, 1, 0)
    add(sq_ids, "party.community", suffixed(t_names, "社区"), t_ids, None, None, tt, 2, 0)
    add(sc_ids, "party.service_centre", sc_names, sq_ids, None, None, tt, 3, 0)
    add(branch_ids[o_service:o_comp], "party.branch", suffixed(sc_names, "党支部"), comm_ids, sc_ids, None, tt, 4, 0)
    add(branch_ids[o_comp:o_old], "party.branch", suffixed(t_names, "非公经济组织综合党支部"), comm_ids, t_ids,
        "comprehensive", tt, 5, 0)
    add(v_ids, "party.village", v_names, _take(t_ids, v_town), None, None, v_town, 10 + v_no, 0)
    add(branch_ids[:n_v], "party.branch", suffixed(v_names, "党支部"), _take(comm_ids, v_town), v_ids, None,
        v_town, 10 + v_no, 1)
    add(a_ids, "party.association", a_names, _take(t_ids, a_town), None,
        pc.binary_join_element_wise("trade:", a_trade, ""), a_town, 10 + vpt + 1 + a_local, 0)
    f_tags = pc.if_else(pa.array(f_social), pa.nulls(n_f, pa.string()),
                        pc.binary_join_element_wise("trade:", _take(list(RURAL_TRADES), f_trade), ""))
    add(f_ids, ["party.social_org" if x else "party.enterprise" for x in f_social.tolist()], f_names,
        _take(t_ids, f_town), None, f_tags, f_town, 10 + vpt + apt + 1 + f_local, 0)
    add(core_ids, ["core.unplaced", "core.external"][:len(core_ids)], core_names, None, None, None, n_t,
        np.arange(len(core_ids)), 0)
    ga = n_t + 1 + np.arange(n_g)
    add(g_ids, "party.agency", g_names, None, None, None, ga, 0, 0)
    add(suffixed(g_ids, "-committee"), "party.committee", suffixed(g_names, "党委"), None, g_ids, None, ga, 1, 0)
    leader = pc.binary_join_element_wise("leader:", _numbered("分管副市长", b_local // 3 + 1, 1), "")
    b_minor = 2 + b_local * (cal.divisions_per_bureau + 1)
    add(b_ids, "party.bureau", b_names, _take(g_ids, b_agency), None, leader, n_t + 1 + b_agency, b_minor, 0)
    func = pc.binary_join_element_wise("function:", _take(list(DIVISION_FUNCTIONS), d_bno % len(DIVISION_FUNCTIONS)), "")
    add(d_ids, "party.division", d_names, _take(b_ids, d_bureau), None, func, n_t + 1 + d_agency,
        b_minor[d_bureau] + d_bno if n_d else d_bno, 0)
    d_id_list = d_ids.to_pylist()
    by_old = np.argsort(d_old, kind="stable")
    bounds = np.searchsorted(d_old[by_old], np.arange(n_old + 1))
    old_built = pa.array([";".join(d_id_list[j] for j in sorted(by_old[bounds[i]:bounds[i + 1]].tolist()))
                          for i in range(n_old)], pa.string())
    add(old_ids, "party.branch", old_names, _take(suffixed(g_ids, "-committee"), old_agency), old_built, None,
        n_t + 1 + old_agency, 10**9 + old_local, 0)
    cols = ("id", "kind", "name", "parent", "built_on", "tags", "households")
    u_order = np.lexsort(tuple(np.concatenate([r[key] for r in rows]) for key in ("rank", "minor", "major")))
    units = pa.table({c: pa.concat_arrays([r[c] for r in rows]).take(pa.array(u_order)) for c in cols})

    # adjacency: the villages of a township in a chain; its community next to its first three villages
    chain = np.flatnonzero(v_no[:-1] < vpt) if n_v else np.zeros(0, np.int64)
    near = np.flatnonzero(v_no <= 3)
    adjacency = pa.table({"a": pa.concat_arrays([_take(v_ids, chain), _take(sq_ids, v_town[near])]),
                          "b": pa.concat_arrays([_take(v_ids, chain + 1), _take(v_ids, near)])}) if n_v else None
    return _Towns(taken=taken, branch=branch, home=home, branch_ids=branch_ids, holds_only=holds_only,
                  host_ids=host_ids, units=units, assoc_member=chosen, assoc_unit=assoc_unit, assoc_ids=a_ids,
                  adjacency=adjacency)
