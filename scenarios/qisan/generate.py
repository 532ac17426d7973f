"""Generate the built-in scenario: the 汽三 residential area (seed 004) before team-based restructuring.

Writes units.csv, members.csv (Chinese headers, as a real roster has), participation.csv,
roles.csv and scenario.yaml, whose manual-upgrade variant is computed from the same draws, so the
rosters and the hand-written operations always agree. Every random draw comes from one numpy
Generator seeded with SEED: running this twice writes identical files. The figures are
assumptions (the seed gives none for 汽三); README.md explains them.

    .venv/bin/python scenarios/qisan/generate.py [--out DIR]     # default: this folder
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path
from string import Template

import numpy as np

SEED = 4  # seed text 004
AS_OF = np.datetime64("2024-06-30")
N_MEMBERS, N_PROBATIONARY, N_LIMITED, N_MOBILE = 150, 8, 9, 4
N_BUILDINGS, N_GROUPS = 12, 6  # party groups by building block: two buildings each
N_NO_TEAM, N_TWO_TEAMS = 48, 15  # members in no team, members in two teams
TEAMS = [  # key, name, tag, party members taking part (a mature team)
    ("yishituan", "议事团", "team:service", 25),
    ("geyongdui", "歌咏队", "team:culture", 38),
    ("xiqudui", "戏曲队", "team:culture", 24),
    ("gucaodui", "鼓操队", "team:sports", 30),
]
assert sum(t[3] for t in TEAMS) == N_MEMBERS - N_NO_TEAM + N_TWO_TEAMS
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗"
GIVEN = "建国华明英兰秀芳伟军红梅丽平志强玉珍德文海燕桂凤云霞金福荣"
NUMERALS = "一二三四五六七八"
BRANCH, BRANCH_NAME, AREA = "qisan-branch", "汽三居民区党支部", "qisan"
GROUP_NAMES = {f"第{NUMERALS[g]}党小组": f"qisan-g{g + 1}" for g in range(N_GROUPS)}
TEAM_IDS = {name: f"qisan-{key}" for key, name, _, _ in TEAMS}
TITLES = {"书记": "secretary", "组织委员": "committee_member", "宣传委员": "committee_member",
          "纪检委员": "committee_member", "委员": "committee_member", "党小组长": "group_leader"}
YES_NO = np.array(["否", "是"])


def draw_members(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Member attributes, sorted by building and birth date as a residents' roster is."""
    n = N_MEMBERS
    old = rng.permutation(n) < round(0.7 * n)  # exactly 70 % born 1940-1962, the rest 1963-1995
    lo = np.where(old, np.datetime64("1940-01-01"), np.datetime64("1963-01-01"))
    hi = np.where(old, np.datetime64("1962-12-31"), np.datetime64("1995-12-31"))
    birth = lo + rng.integers(0, (hi - lo).astype(int) + 1)
    building = rng.integers(1, N_BUILDINGS + 1, n)
    order = np.lexsort((birth, building))
    birth, building = birth[order], building[order]
    year = birth.astype("datetime64[Y]").astype(int) + 1970
    # retired: everyone born up to 1964; half of those born 1965-1974 (women retire at 50 or 55)
    retired = (year <= 1964) | ((year <= 1974) & (rng.random(n) < 0.5))
    limited = np.zeros(n, bool)
    limited[rng.choice(np.flatnonzero(year <= 1950), N_LIMITED, replace=False)] = True
    probationary = np.zeros(n, bool)
    probationary[rng.choice(np.flatnonzero((year >= 1975) & ~retired), N_PROBATIONARY, replace=False)] = True
    mobile = np.zeros(n, bool)
    mobile[rng.choice(np.flatnonzero(~retired & ~probationary), N_MOBILE, replace=False)] = True
    # joined at 20-45, at least a year before AS_OF; probationary members within the last year
    joined = np.minimum(birth + rng.integers(20 * 365, 46 * 365, n), AS_OF - 400)
    joined = np.where(probationary, AS_OF - rng.integers(15, 360, n), joined)
    names: list[str] = []
    while len(names) < n:  # synthetic: a common surname and one or two common characters
        given = "".join(rng.choice(list(GIVEN), rng.integers(1, 3)))
        name = SURNAMES[rng.integers(len(SURNAMES))] + given
        if name not in names:
            names.append(name)
    return {"id": np.array([f"QS{i + 1:03d}" for i in range(n)]), "name": np.array(names), "birth": birth,
            "joined": joined, "building": building, "group": (building + 1) // 2, "retired": retired,
            "limited": limited, "mobile": mobile, "probationary": probationary}


def draw_teams(rng: np.random.Generator, m: dict[str, np.ndarray]) -> dict[int, list[int]]:
    """Team(s) of each member (index into TEAMS); mobile and most immobile members take no part."""
    limited = np.flatnonzero(m["limited"])
    forced = limited[:1]  # one immobile member still sits on the deliberation group
    pool = np.flatnonzero(~m["mobile"] & ~m["limited"])
    weight = np.where(m["retired"][pool], 2.0, 1.0)  # retired members have time for teams
    chosen = rng.choice(pool, N_MEMBERS - N_NO_TEAM - 1, replace=False, p=weight / weight.sum())
    in_team = np.sort(np.concatenate([forced, chosen]))
    left = np.array([t[3] for t in TEAMS])
    teams: dict[int, list[int]] = {int(forced[0]): [0]}
    left[0] -= 1
    for i in rng.choice(chosen, N_TWO_TEAMS, replace=False):
        pair = rng.choice(len(TEAMS), 2, replace=False, p=left / left.sum())
        left[pair] -= 1
        teams[int(i)] = sorted(pair.tolist())
    slots = rng.permutation(np.repeat(np.arange(len(TEAMS)), left))
    for i, t in zip([i for i in in_team.tolist() if i not in teams], slots.tolist(), strict=True):
        teams[i] = [t]
    return dict(sorted(teams.items()))


def draw_roles(rng: np.random.Generator, m: dict[str, np.ndarray], teams: dict) -> list[tuple]:
    """Secretary, four committee members and six group leaders: distinct, settled full members."""
    fit = ~m["probationary"] & ~m["limited"] & ~m["mobile"] & (m["joined"] < np.datetime64("2015-01-01"))
    weight = np.array([3.0 if i in teams else 1.0 for i in range(N_MEMBERS)])  # backbone is active in teams
    taken: set[int] = set()

    def pick(mask: np.ndarray) -> int:
        pool = np.flatnonzero(mask & fit & ~np.isin(np.arange(N_MEMBERS), list(taken)))
        i = int(rng.choice(pool, p=weight[pool] / weight[pool].sum()))
        taken.add(i)
        return i

    anyone = np.ones(N_MEMBERS, bool)
    roles = [(BRANCH_NAME, "书记", pick(m["retired"]), "2021-11-20")]  # (unit, title, member, since)
    roles += [(BRANCH_NAME, t, pick(anyone), "2021-11-20") for t in ("组织委员", "宣传委员", "纪检委员", "委员")]
    roles += [(g, "党小组长", pick(m["group"] == k + 1), "2022-01-15") for k, g in enumerate(GROUP_NAMES)]
    return roles


def upgrade_operations(m: dict[str, np.ndarray], teams: dict, roles: list) -> list[dict]:
    """The manual-upgrade step: general branch, four team branches, a comprehensive branch."""
    size = [t[3] for t in TEAMS]
    dest = {i: min(teams[i], key=lambda t: size[t]) if i in teams else len(TEAMS) for i in range(N_MEMBERS)}
    keys = [t[0] for t in TEAMS] + ["zonghe"]
    ops: list[dict] = [
        {"op": "retype", "unit": BRANCH, "kind": "party.general_branch", "name": "汽三居民区党总支",
         "reason": f"汽三居民区党支部有党员{N_MEMBERS}名，团队发育成熟，升格为居民区党总支"}]
    def new_branch(key: str, name: str, host: str, tag: str, reason: str) -> dict:
        return {"op": "create_unit", "key": key, "kind": "party.branch", "name": name, "parent": BRANCH,
                "built_on": [host], "tags": [tag], "reason": reason}

    for key, name, _, n in TEAMS:
        ops.append(new_branch(key, f"{name}党支部", TEAM_IDS[name], "team",
                              f"{name}团队发育成熟，有党员{n}名，以团队为基础建立团队党支部"))
    ops.append(new_branch("zonghe", "综合党支部", AREA, "comprehensive",
                          "为不参加团队活动和卧床不起、行动不便的党员建立综合党支部，不丢下一个党员"))
    backbone = [r[2] for r in roles[1:]]  # committee members first, then group leaders
    chosen: set[int] = set()
    for b, key in enumerate(keys):
        here = [i for i in range(N_MEMBERS) if dest[i] == b]
        able = [i for i in here if m["birth"][i] >= np.datetime64("1950-01-01")
                and not (m["probationary"][i] or m["limited"][i] or m["mobile"][i])]
        pool = [i for i in backbone if i in here and i not in chosen]
        why = "由党员骨干担任支部书记" if pool else "支部内没有原骨干，由党龄最长、能正常参加活动的党员担任支部书记"
        person = (pool or sorted(able, key=lambda i: m["joined"][i]))[0]
        chosen.add(person)
        ops.append({"op": "set_role", "unit": f"new:{key}", "role": "secretary", "person": str(m["id"][person]),
                    "since": str(AS_OF), "reason": why})
    for b, key in enumerate(keys):
        ids = [str(m["id"][i]) for i in range(N_MEMBERS) if dest[i] == b]
        if b < len(TEAMS):
            why = (f"{TEAMS[b][1]}的党员按兴趣爱好参加{TEAMS[b][1]}党支部（{len(ids)}名；"
                   "同时参加两支团队的党员划入人数较少的那支团队的支部）")
        else:
            n_lim = sum(bool(m["limited"][i]) for i in range(N_MEMBERS) if dest[i] == b)
            why = f"不参加团队活动的党员{len(ids)}名（其中行动不便{n_lim}名）划入综合党支部"
        ops.append({"op": "move_members", "to": f"new:{key}", "members": ids, "reason": why})
    for g in GROUP_NAMES.values():
        ops.append({"op": "dissolve", "unit": g,
                    "reason": "原按楼栋划分的党小组随支部升格撤销，党员已转入新支部"})
    return ops


def yaml_ops(ops: list[dict]) -> str:
    """Operations as block YAML: plain ids, JSON-quoted text and dates, member lists ten ids a line."""
    out = []
    for op in ops:
        lead = "          - "
        for k, v in op.items():
            if k == "members":
                rows = [", ".join(v[i:i + 10]) for i in range(0, len(v), 10)]
                v_text = "[" + (",\n" + " " * 15).join(rows) + "]"
            elif isinstance(v, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9_.:/-]*", v):
                v_text = v  # ids, kinds and new:KEY refs need no quotes
            else:
                v_text = json.dumps(v, ensure_ascii=False)
            out.append(f"{lead}{k}: {v_text}")
            lead = "            "
    return "\n".join(out)


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    """UTF-8 with Unix line ends: the same bytes on every platform."""
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    m = draw_members(rng)
    teams = draw_teams(rng, m)
    roles = draw_roles(rng, m, teams)
    backbone = {r[2] for r in roles}
    out.mkdir(parents=True, exist_ok=True)
    units = [["moulu-wc", "party.working_committee", "某路社区党工委", "", "moulu", ""],
             ["moulu", "party.community", "某路社区", "", "", ""],
             [AREA, "party.residential_area", "汽三居民区", "moulu", "", ""],
             [BRANCH, "party.branch", BRANCH_NAME, "moulu-wc", AREA, ""]]
    units += [[gid, "party.group", f"汽三居民区{g}", BRANCH, f"qisan-b{2 * k + 1:02d};qisan-b{2 * k + 2:02d}", ""]
              for k, (g, gid) in enumerate(GROUP_NAMES.items())]  # group k: buildings 2k+1 and 2k+2
    units += [[TEAM_IDS[name], "party.team", name, AREA, "", tag] for _, name, tag, _ in TEAMS]
    units += [[f"qisan-b{b:02d}", "party.building", f"汽三{b}号楼", AREA, "", ""]
              for b in range(1, N_BUILDINGS + 1)]
    write_csv(out / "units.csv", ["id", "kind", "name", "parent", "built_on", "tags"], units)
    group_name = list(GROUP_NAMES)
    header = ["编号", "姓名", "所在支部", "党小组", "党员类别", "出生日期", "入党日期",
              "是否退休", "行动不便", "流动党员", "骨干", "楼栋", "居住楼栋"]
    rows = [[m["id"][i], m["name"][i], BRANCH_NAME, group_name[m["group"][i] - 1],
             "预备党员" if m["probationary"][i] else "正式党员", str(m["birth"][i]), str(m["joined"][i]),
             YES_NO[int(m["retired"][i])], YES_NO[int(m["limited"][i])], YES_NO[int(m["mobile"][i])],
             YES_NO[int(i in backbone)], f"{m['building'][i]}号楼", f"qisan-b{m['building'][i]:02d}"]
            for i in range(N_MEMBERS)]
    write_csv(out / "members.csv", header, rows)
    write_csv(out / "participation.csv", ["党员编号", "团队"],
              [[m["id"][i], TEAMS[t][1]] for i, ts in teams.items() for t in ts])
    write_csv(out / "roles.csv", ["组织", "职务", "党员编号", "任职日期"],
              [[unit, title, m["id"][i], since] for unit, title, i, since in roles])

    def flow(mapping: dict) -> str:  # a JSON object is a YAML flow mapping
        return json.dumps(mapping, ensure_ascii=False)

    template = Template(Path(__file__).with_name("scenario.template.yaml").read_text(encoding="utf-8"))
    text = template.substitute(
        seed=SEED, as_of=AS_OF, members=N_MEMBERS, branches=flow({BRANCH_NAME: BRANCH}), groups=flow(GROUP_NAMES),
        units=flow({BRANCH_NAME: BRANCH, **GROUP_NAMES}), teams=flow(TEAM_IDS), titles=flow(TITLES),
        operations=yaml_ops(upgrade_operations(m, teams, roles)))
    (out / "scenario.yaml").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="folder to write to")
    main(parser.parse_args().out)
