"""Generate the large-community scenario: 某路社区 (seed 004) before team-based party building.

Calls the party pack's population generator (orgmodel_party.population) with the seed's aggregates:
about 6,500 members, 5,900 of them in 39 residential-area branches (25 over 100 members, 11 over
200, the largest, 鹤北一, 329), 185 interest teams of the four kinds, 1,100 members taking part in
teams, 160 teams (86.5 %) with a party member and 113 (61.1 %) with three or more. The figures the
seed does not give are assumptions, listed below and in README.md. Running this twice writes
identical files.

    .venv/bin/python scenarios/large-community/generate.py [--out DIR]     # default: this folder
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
from collections import Counter
from pathlib import Path
from string import Template

from orgmodel_party.population import AgeBand, Calibration, PinnedTeam, generate

SEED = 4  # seed text 004
AS_OF = dt.date(2024, 6, 30)
MEMBERS, RESIDENTIAL = 6_500, 5_900  # 65**多名; 居民区党员将近59**名 (90 %)
AREAS, OVER_100, OVER_200, LARGEST = 39, 25, 11, 329
TEAMS, WITH_MEMBERS, WITH_3PLUS, PARTICIPANTS = 185, 160, 113, 1_100
# the 39 residential areas (居民区): the eight the seed names first (鹤北一 is the largest), then
# invented names in the same style
AREAS_ZH = [
    ("鹤北一", "hebeiyi"), ("汽三", "qisan"), ("瑞丽", "ruili"), ("昆阳", "kunyang"), ("华二", "huaer"),
    ("安宁一", "anningyi"), ("红六", "hongliu"), ("红四", "hongsi"),
    ("鹤北二", "hebeier"), ("鹤北三", "hebeisan"), ("鹤北四", "hebeisi"), ("汽一", "qiyi"), ("汽二", "qier"),
    ("汽四", "qisi"), ("红一", "hongyi"), ("红二", "honger"), ("红三", "hongsan"), ("红五", "hongwu"),
    ("华一", "huayi"), ("华三", "huasan"), ("华四", "huasi"), ("安宁二", "anninger"), ("安宁三", "anningsan"),
    ("东风一", "dongfengyi"), ("东风二", "dongfenger"), ("电机一", "dianjiyi"), ("电机二", "dianjier"),
    ("电机三", "dianjisan"), ("永德", "yongde"), ("江川一", "jiangchuanyi"), ("江川二", "jiangchuaner"),
    ("碧江", "bijiang"), ("兰坪", "lanping"), ("金平", "jinping"), ("新港", "xingang"), ("樱花", "yinghua"),
    ("枫桥", "fengqiao"), ("银杏", "yinxing"), ("东川", "dongchuan"),
]
assert len(AREAS_ZH) == AREAS
# 汽三, 瑞丽, 昆阳 as in scenarios/qisan, ruili, kunyang (昆阳's 182 is the seed's); the other named
# areas got a general branch or a team branch in the seed's first year, so they are given sizes that
# warrant a general branch (over 50 members: 支部工作条例 第四条)
PINNED_SIZES = {"汽三": 150, "瑞丽": 136, "昆阳": 182, "华二": 118, "安宁一": 104, "红六": 88, "红四": 212}
T = PinnedTeam
PINNED_TEAMS = {
    "汽三": [T(name="议事团", kind="service", party_members=25), T(name="歌咏队", kind="culture", party_members=38),
             T(name="戏曲队", kind="culture", party_members=24), T(name="鼓操队", kind="sports", party_members=30)],
    "红六": [T(name="越剧队", kind="culture", party_members=6), T(name="合唱团", kind="culture", party_members=5),
             T(name="英语角", kind="learning", party_members=3)],  # 3 featured teams before (7 after)
    "红四": [T(name="巡逻队", kind="service", party_members=18), T(name="合唱团", kind="culture", party_members=5),
             T(name="太极拳队", kind="sports", party_members=4), T(name="读书会", kind="learning", party_members=2)],
    "安宁一": [T(name="健身操队", kind="sports", party_members=20), T(name="志愿服务队", kind="service", party_members=6),
              T(name="读书会", kind="learning", party_members=4)],  # 安宁一团队党支部 recruits from its team
}


def _scenario_module(folder: str):  # noqa: ANN202
    """The generate.py of a sibling scenario folder, loaded as a module."""
    spec = importlib.util.spec_from_file_location(f"{folder}_generate", Path(__file__).resolve().parents[1] / folder / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


for _module in map(_scenario_module, ("ruili", "kunyang")):  # the same teams as their own scenarios
    assert PINNED_SIZES[_module.AREA_ZH] == _module.MEMBERS
    PINNED_TEAMS[_module.AREA_ZH] = _module.TEAMS
KIND_COUNTS = {"learning": 30, "culture": 70, "sports": 55, "service": 30}  # assumed split of the 185
OTHERS = [  # the members outside the residential areas (about 600): assumed hosts
    ("party.enterprise", "某机电设备有限公司"), ("party.enterprise", "某物业管理有限公司"),
    ("party.enterprise", "某汽车销售服务有限公司"), ("party.enterprise", "某商贸有限公司"),
    ("party.enterprise", "某电子科技有限公司"), ("party.enterprise", "某物流有限公司"),
    ("party.social_org", "某养老服务社"), ("party.social_org", "某社会工作服务社"),
    ("party.service_centre", "某路社区事务受理服务中心"), ("party.service_centre", "某路社区文化活动中心"),
]

OTHERS_IDS = [(name, f"o{i:02d}") for i, (_, name) in enumerate(OTHERS, start=1)]  # the generator's ids

CALIBRATION = Calibration(
    members=MEMBERS,
    as_of=AS_OF,
    residential_share=RESIDENTIAL / MEMBERS,
    areas=AREAS,
    area_min=40,
    share_over_100=OVER_100 / AREAS,
    share_over_200=OVER_200 / AREAS,
    largest=LARGEST,
    area_names=[zh for zh, _ in AREAS_ZH],
    area_ids=[key for _, key in AREAS_ZH],
    pinned_sizes=PINNED_SIZES,
    area_teams=PINNED_TEAMS,
    other_branches=len(OTHERS),
    other_size=(35, 85),
    other_kinds=tuple(kind for kind, _ in OTHERS),
    other_names=[name for _, name in OTHERS],
    probationary_share=0.02,
    age_bands=(AgeBand(lo=22, hi=34, share=0.07), AgeBand(lo=35, hi=49, share=0.12), AgeBand(lo=50, hi=59, share=0.16),
               AgeBand(lo=60, hi=69, share=0.30), AgeBand(lo=70, hi=79, share=0.22), AgeBand(lo=80, hi=95, share=0.13)),
    retired_share=0.68,
    immobile_share=0.05,
    mobile_share=0.03,
    teams_per_area=TEAMS / AREAS,
    team_kind_shares={k: v / TEAMS for k, v in KIND_COUNTS.items()},
    participation_share=PARTICIPANTS / MEMBERS,
    two_teams_share=0.1,
    share_teams_any=WITH_MEMBERS / TEAMS,
    share_teams_3plus=WITH_3PLUS / TEAMS,
    members_per_group=30,
    committee_size=5,
    members_per_building=6,
    households_per_building=(24, 120),
    buildings_per_courtyard=8,
    names=True,
    ties_per_member=1.0,
    community_id="moulu",
    community_name="某路社区",
    committee_id="moulu-wc",
    committee_name="某路社区党工委",
)


NAMED = 8  # the areas the seed names: all got a general branch or a team branch in its first year
ROLLOUT = 18  # 已经完成了18个居民区党总支的组织设置调整工作


def rollout(tables) -> list[str]:  # noqa: ANN001
    """The 18 areas of the seed's first year: the eight it names, then the other areas that warrant a
    general branch (over 50 members) where teams are most developed (the highest share of members
    taking part in teams; the larger area first on a tie)."""
    members, part = tables.members, tables.participation
    branch_of = dict(zip(members["id"].to_pylist(), members["branch"].to_pylist(), strict=True))
    size = Counter(branch_of.values())
    taking_part = Counter(branch_of[m] for m in set(part["member"].to_pylist()))
    named = [key for _, key in AREAS_ZH[:NAMED]]
    others = [key for _, key in AREAS_ZH[NAMED:] if size[f"{key}-branch"] > 50]
    others.sort(key=lambda a: (-taking_part[f"{a}-branch"] / size[f"{a}-branch"], -size[f"{a}-branch"], a))
    chosen = named + others[: ROLLOUT - NAMED]
    assert all(size[f"{a}-branch"] > 50 for a in chosen)
    return chosen


def main(out: Path) -> None:
    tables = generate(CALIBRATION, seed=SEED)
    areas = rollout(tables)
    size = Counter(tables.members["branch"].to_pylist())
    out.mkdir(parents=True, exist_ok=True)
    tables.write(out)
    got = tables.summary()
    template = Template(Path(__file__).with_name("scenario.template.yaml").read_text(encoding="utf-8"))
    text = template.substitute(seed=SEED, as_of=AS_OF, members=got["members"], residential=got["residential"],
                               areas=got["areas"], teams=got["teams"], participants=got["participants"],
                               qisan=areas[1], rollout=", ".join(a for a in areas if a != "qisan"),
                               others=", ".join(f"{key}-branch" for _, key in OTHERS_IDS if size[f"{key}-branch"] > 50))
    (out / "scenario.yaml").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="folder to write to")
    main(parser.parse_args().out)
