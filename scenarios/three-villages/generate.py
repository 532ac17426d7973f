"""Generate the three-villages scenario (seed 003): one strong village, two weak ones, an enterprise on their land.

李庄镇 (a township) with the three villages of seed 003 (高桥村 strong, 安石村 and 双桥村 weak), two
more villages, a large enterprise that uses land of the three, a melon-growers' association
(金竹瓜产业协会) whose growers live in several villages, and a community service centre that is
to serve the villages around it. Every organisation sits under the township committee. Members
carry an occupation and a skill, which functional groups (功能党小组) and the industry branch
choose by. Writes units.csv, members.csv (Chinese headers, as a township's roster has them),
participation.csv, roles.csv, adjacency.csv and scenario.yaml from one numpy Generator seeded with
SEED: running this twice writes identical files. The figures are assumptions (the seed gives none);
README.md explains them.

    .venv/bin/python scenarios/three-villages/generate.py [--out DIR]     # default: this folder
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from string import Template

import numpy as np

SEED = 3  # seed text 003
AS_OF = np.datetime64("2024-06-30")
TOWNSHIP, TOWNSHIP_ZH = "lizhuang", "李庄镇"
COMMITTEE = "lizhuang-committee"
TOWNSHIP_SECRETARY = "李庄镇党委书记"  # outside the roster
# host id, kind, name, branch members, probationary, share under 60, occupations (weights), groups
ORGS = [
    ("gaoqiao", "party.village", "高桥村", 46, 2, 0.60, {"瓜农": 3, "种植户": 4, "养殖户": 2, "个体户": 2, "外出务工": 2, "村干部": 1}, 3),
    ("anshi", "party.village", "安石村", 11, 0, 0.20, {"瓜农": 2, "种植户": 5, "养殖户": 1, "外出务工": 2, "村干部": 1}, 0),
    ("shuangqiao", "party.village", "双桥村", 8, 1, 0.15, {"瓜农": 2, "种植户": 5, "外出务工": 2, "村干部": 1}, 0),
    ("longhua", "party.village", "龙华村", 24, 1, 0.45, {"瓜农": 4, "种植户": 3, "养殖户": 1, "外出务工": 1, "村干部": 1}, 2),
    ("shiniu", "party.village", "石牛村", 17, 0, 0.35, {"瓜农": 3, "种植户": 4, "养殖户": 1, "外出务工": 1, "村干部": 1}, 0),
    ("xincai", "party.enterprise", "某新材料有限公司", 34, 2, 0.90, {"企业职工": 1}, 2),
    ("lizhuang-fwzx", "party.service_centre", "李庄社区服务中心", 9, 0, 0.80, {"社区工作者": 1}, 0),
]
SKILLS = {  # occupation -> skills it may bring (the first is the most common)
    "瓜农": ["种植技术", "电商", "农机"], "种植户": ["种植技术", "农机", ""], "养殖户": ["养殖技术", ""],
    "个体户": ["电商", "财会", ""], "外出务工": ["建筑", "", "电商"], "村干部": ["财会", "法律", "种植技术"],
    "企业职工": ["机械", "财会", "电商", "建筑"], "社区工作者": ["法律", "财会", "文艺"],
}
MELON = "melon"  # the association: growers (瓜农) of every village take part, and a few others
NEIGHBOURS = [("gaoqiao", "anshi"), ("gaoqiao", "shuangqiao"), ("anshi", "shuangqiao"), ("xincai", "gaoqiao"),
              ("xincai", "anshi"), ("xincai", "shuangqiao"), ("shuangqiao", "longhua"), ("longhua", "shiniu"),
              ("lizhuang-sq", "gaoqiao"), ("lizhuang-sq", "longhua")]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗宋曾谢罗"
GIVEN = "建国华明英兰秀芳伟军红梅丽平志强玉珍德文海燕桂凤云霞金福荣贵发成"
YES_NO = ("否", "是")


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    """UTF-8 with Unix line ends: the same bytes on every platform."""
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def draw(rng: np.random.Generator) -> tuple[list[list], list[list], list[list]]:
    """Members, participation and roles."""
    members, participation, roles = [], [], []
    names: set[str] = set()
    serial = 0
    for host, kind, zh, n, n_prob, young_share, occupations, n_groups in ORGS:
        branch = f"{host}-branch"
        young = rng.permutation(n) < round(young_share * n)
        age = np.where(young, rng.integers(24, 60, n), rng.integers(60, 86, n))
        birth = AS_OF - (age * 365.25 + rng.integers(0, 365, n)).astype(int)
        order = np.argsort(birth, kind="stable")
        birth, age, young = birth[order], age[order], young[order]
        prob = np.zeros(n, bool)
        if n_prob:
            prob[rng.choice(np.flatnonzero(age < 45) if (age < 45).sum() >= n_prob else np.arange(n), n_prob, replace=False)] = True
        occ_names = list(occupations)
        weights = np.array([occupations[o] for o in occ_names], float)
        occ = rng.choice(occ_names, n, p=weights / weights.sum())
        occ = np.where((age >= 60) & (occ == "外出务工"), "种植户", occ)  # the old stay home
        if kind == "party.village":
            occ[rng.choice(np.flatnonzero(~prob), 1)] = "村干部"
        skill = np.array([SKILLS[o][int(rng.integers(0, len(SKILLS[o])))] if rng.random() < 0.8 else "" for o in occ])
        retired = (kind != "party.village") & (age >= 60)
        mobile = occ == "外出务工"
        limited = (age >= 78) & (rng.random(n) < 0.5)
        joined = np.minimum(birth + (rng.integers(20, 40, n) * 365.25).astype(int) + rng.integers(0, 365, n), AS_OF - 400)
        joined = np.where(prob, AS_OF - rng.integers(30, 330, n), joined)
        full = ~prob
        fit = full & ~mobile & ~limited & (age < 75)
        fit_idx = np.flatnonzero(fit)
        weight = np.where(occ[fit_idx] == "村干部", 6.0, 1.0) * np.where(age[fit_idx] < 60, 2.0, 1.0)
        n_committee = 5 if full.sum() >= 7 and n >= 20 else (3 if full.sum() >= 7 else 1)
        pick = rng.choice(fit_idx, min(n_committee + n_groups, len(fit_idx)), replace=False, p=weight / weight.sum())
        committee, leaders = pick[:n_committee], pick[n_committee:]
        group = (np.arange(n) * n_groups // n + 1) if n_groups else np.zeros(n, int)  # by 村民小组 / workshop
        rng.shuffle(group)
        for g, i in enumerate(leaders, start=1):  # leader g swaps places with a member of group g
            if group[i] != g:
                j = int(np.flatnonzero((group == g) & ~np.isin(np.arange(n), leaders))[0])
                group[i], group[j] = group[j], group[i]
        since = str(AS_OF - int(rng.integers(200, 1500)))
        ids = []
        for i in range(n):
            serial += 1
            while True:
                name = SURNAMES[rng.integers(len(SURNAMES))] + "".join(rng.choice(list(GIVEN), rng.integers(1, 3)))
                if name not in names:
                    names.add(name)
                    break
            ids.append(f"LZ{serial:03d}")
            members.append([ids[-1], name, branch, f"{host}-g{group[i]}" if group[i] else "",
                            "预备党员" if prob[i] else "正式党员", str(birth[i]), str(joined[i]), occ[i], skill[i],
                            YES_NO[int(retired[i])], YES_NO[int(limited[i])], YES_NO[int(mobile[i])],
                            YES_NO[int(i in committee or i in leaders)], host])
            if occ[i] == "瓜农" or (occ[i] in ("村干部", "个体户") and skill[i] == "电商"):
                participation.append([ids[-1], "金竹瓜产业协会"])
        titles = ["书记", "副书记", "组织委员", "宣传委员", "纪检委员"] if n_committee == 5 else ["书记", "组织委员", "宣传委员"][:n_committee]
        roles += [[branch, t, ids[i], since] for t, i in zip(titles, committee, strict=True)]
        roles += [[f"{host}-g{g}", "党小组长", ids[i], since] for g, i in enumerate(leaders, start=1)]
    return members, participation, roles


def main(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    members, participation, roles = draw(rng)
    out.mkdir(parents=True, exist_ok=True)
    units = [[TOWNSHIP, "party.township", TOWNSHIP_ZH, "", "", ""],
             [COMMITTEE, "party.committee", "李庄镇党委", "", TOWNSHIP, ""],
             ["lizhuang-sq", "party.community", "李庄社区", TOWNSHIP, "", ""]]
    for host, kind, zh, _, _, _, _, n_groups in ORGS:
        parent = "lizhuang-sq" if kind == "party.service_centre" else TOWNSHIP
        units.append([host, kind, zh, parent, "", ""])
        units.append([f"{host}-branch", "party.branch", f"{zh}党支部", COMMITTEE, host, ""])
        units += [[f"{host}-g{g}", "party.group", f"{zh}第{'一二三四'[g - 1]}党小组", f"{host}-branch", "", ""]
                  for g in range(1, n_groups + 1)]
    units.append([MELON, "party.association", "金竹瓜产业协会", TOWNSHIP, "", ""])
    write_csv(out / "units.csv", ["id", "kind", "name", "parent", "built_on", "tags"], units)
    write_csv(out / "members.csv", ["编号", "姓名", "所在支部", "党小组", "党员类别", "出生日期", "入党日期", "职业", "技能",
                                    "是否退休", "行动不便", "流动党员", "骨干", "所在单位"], members)
    write_csv(out / "participation.csv", ["党员编号", "参加组织"], participation)
    roles.insert(0, [COMMITTEE, "书记", TOWNSHIP_SECRETARY, "2021-09-01"])
    write_csv(out / "roles.csv", ["组织", "职务", "人员", "任职日期"], roles)
    write_csv(out / "adjacency.csv", ["a", "b"], [list(p) for p in NEIGHBOURS])
    template = Template(Path(__file__).with_name("scenario.template.yaml").read_text(encoding="utf-8"))
    text = template.substitute(seed=SEED, as_of=AS_OF, members=len(members), growers=len(participation),
                               titles=json.dumps({"书记": "secretary", "副书记": "deputy_secretary", "组织委员": "committee_member",
                                                  "宣传委员": "committee_member", "纪检委员": "committee_member",
                                                  "党小组长": "group_leader"}, ensure_ascii=False))
    (out / "scenario.yaml").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="folder to write to")
    main(parser.parse_args().out)
