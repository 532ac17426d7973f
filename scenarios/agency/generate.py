"""Generate the agency scenario (seed 001): a city government agency whose branches do not follow its bureaus.

某市人民政府机关 (an agency) with four bureaus (局) of four divisions (处室) each and two divisions of
its own; each division is tagged with its function (function:综合 / 政策规划 / 审批服务 / 监督执法) and
each bureau with the leader in charge (leader:…). Before alignment the agency committee's branches
were set by office building and floor, so that they cut across bureaus and one is over 50 members;
the retired cadres have a branch of their own. Staff have their division as home_host. Writes
units.csv, members.csv (Chinese headers, as a personnel roster has them), roles.csv and
scenario.yaml from one numpy Generator seeded with SEED: running this twice writes identical files.
The figures are assumptions (the seed gives none); README.md explains them.

    .venv/bin/python scenarios/agency/generate.py [--out DIR]     # default: this folder
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from string import Template

import numpy as np

SEED = 1  # seed text 001
AS_OF = np.datetime64("2024-06-30")
AGENCY, AGENCY_ZH, COMMITTEE = "agency", "某市人民政府机关", "agency-committee"
BUREAUS = [  # id, name, leader in charge (分管领导), divisions: (id, name, function, staff members)
    ("fgj", "发展和改革局", "常务副市长", [("bgs", "办公室", "综合", 9), ("ghc", "发展规划处", "政策规划", 8),
                                        ("jgc", "价格监督检查处", "监督执法", 7), ("xmc", "投资项目审批处", "审批服务", 10)]),
    ("czj", "财政局", "常务副市长", [("bgs", "办公室", "综合", 8), ("ysc", "预算处", "政策规划", 11),
                                  ("gkc", "国库支付处", "审批服务", 7), ("jdc", "财政监督检查处", "监督执法", 6)]),
    ("zrj", "自然资源和规划局", "分管城建副市长", [("bgs", "办公室", "综合", 10), ("kjc", "国土空间规划处", "政策规划", 12),
                                          ("ydc", "用地审批处", "审批服务", 9), ("zfd", "执法监察支队", "监督执法", 14)]),
    ("sthj", "生态环境局", "分管城建副市长", [("bgs", "办公室", "综合", 6), ("fgc", "政策法规处", "政策规划", 5),
                                        ("hpc", "环评审批处", "审批服务", 7), ("zfc", "执法监测处", "监督执法", 11)]),
]
OWN_DIVISIONS = [("jgdw", "机关党委办公室", "综合", 5), ("rsc", "人事处", "综合", 6)]  # directly under the agency
RETIRED = 22  # 离退休干部党支部
# the historical branches: by office building and floor (division ids), cutting across bureaus
OLD_BRANCHES = [
    ("b1", "机关第一党支部", "主楼一至三层", ["fgj-bgs", "fgj-ghc", "czj-bgs", "czj-ysc", "rsc", "jgdw"]),
    ("b2", "机关第二党支部", "主楼四至六层", ["fgj-jgc", "fgj-xmc", "czj-gkc", "czj-jdc", "sthj-bgs", "sthj-fgc"]),
    ("b3", "机关第三党支部", "副楼", ["zrj-bgs", "zrj-kjc", "zrj-ydc", "zrj-zfd", "sthj-hpc", "sthj-zfc"]),
]
POSTS = ["科员", "科员", "科员", "一级主任科员", "四级调研员", "副处长", "处长"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁"
GIVEN = "建国华明英兰秀芳伟军红梅丽平志强玉珍德文海燕桂凤云霞金福荣敏静婷磊洁勇春涛鹏"
YES_NO = ("否", "是")


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    """UTF-8 with Unix line ends: the same bytes on every platform."""
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def divisions() -> list[tuple[str, str, str, str, int]]:
    """(division id, parent host, full name, function, staff) in roster order."""
    out = [(d, AGENCY, name, fn, n) for d, name, fn, n in OWN_DIVISIONS]
    for b, bname, _, divs in BUREAUS:
        out += [(f"{b}-{d}", b, f"{bname}{name}", fn, n) for d, name, fn, n in divs]
    return out


def main(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    divs = divisions()
    branch_of_div = {d: b for b, _, _, ds in OLD_BRANCHES for d in ds}
    units = [[AGENCY, "party.agency", AGENCY_ZH, "", "", ""],
             [COMMITTEE, "party.committee", "某市人民政府机关党委", "", AGENCY, ""]]
    units += [[b, "party.bureau", name, AGENCY, "", f"leader:{leader}"] for b, name, leader, _ in BUREAUS]
    units += [[d, "party.division", name, parent, "", f"function:{fn}"] for d, parent, name, fn, _ in divs]
    for b, name, where, ds in OLD_BRANCHES:
        units.append([f"{AGENCY}-{b}", "party.branch", name, COMMITTEE, ";".join(ds), ""])
        units += [[f"{AGENCY}-{b}-g{k + 1}", "party.group", f"{name}第{'一二三'[k]}党小组", f"{AGENCY}-{b}",
                   ";".join(ds[2 * k:2 * k + 2]), ""] for k in range(3)]  # a group per two divisions (a floor)
    units.append([f"{AGENCY}-retired", "party.branch", "离退休干部党支部", COMMITTEE, AGENCY, "category:retired"])
    write_csv(out / "units.csv", ["id", "kind", "name", "parent", "built_on", "tags"], units)

    names: set[str] = set()

    def name() -> str:
        while True:
            nm = SURNAMES[rng.integers(len(SURNAMES))] + "".join(rng.choice(list(GIVEN), rng.integers(1, 3)))
            if nm not in names:
                names.add(nm)
                return nm

    members, serial = [], 0
    backbone: dict[str, list[int]] = {}
    for d, _, dname, _, n in divs:
        b = branch_of_div[d]
        ds = next(x[3] for x in OLD_BRANCHES if x[0] == b)
        group = f"{AGENCY}-{b}-g{ds.index(d) // 2 + 1}"
        age = rng.integers(24, 60, n)
        age[0] = rng.integers(45, 58)  # the division head
        posts = ["处长"] + [POSTS[int(rng.integers(0, len(POSTS) - 1))] for _ in range(n - 1)]
        prob = np.zeros(n, bool)
        if rng.random() < 0.35:
            prob[int(rng.integers(1, n))] = True  # one probationary member in about a third of divisions
        for i in range(n):
            serial += 1
            birth = AS_OF - int(age[i] * 365.25 + rng.integers(0, 365))
            joined = (AS_OF - int(rng.integers(30, 330))) if prob[i] else min(
                birth + int(rng.integers(20, 30) * 365.25 + rng.integers(0, 365)), AS_OF - 400)
            members.append([f"JG{serial:03d}", name(), f"{AGENCY}-{b}", group, "预备党员" if prob[i] else "正式党员",
                            str(birth), str(joined), posts[i], dname, "否", "否", "否", d])
            backbone.setdefault(b, []).append(len(members) - 1)
    for _ in range(RETIRED):
        serial += 1
        birth = AS_OF - int(rng.integers(62, 90) * 365.25 + rng.integers(0, 365))
        joined = birth + int(rng.integers(20, 35) * 365.25 + rng.integers(0, 365))
        members.append([f"JG{serial:03d}", name(), f"{AGENCY}-retired", "", "正式党员", str(birth), str(joined),
                        "退休干部", "", "是", YES_NO[int(rng.random() < 0.2)], "否", ""])
    # roles: agency committee (secretary from the committee office), branch committees, group leaders
    roles, chosen = [], set()

    def pick(rows: list[int]) -> int:
        pool = [i for i in rows if members[i][4] == "正式党员" and members[i][10] == "否" and i not in chosen]
        i = pool[int(rng.integers(len(pool)))]
        chosen.add(i)
        return i

    office = [i for i, m in enumerate(members) if m[12] == "jgdw"]
    roles.append([COMMITTEE, "书记", members[pick(office)][0], "2022-03-15"])
    roles += [[COMMITTEE, "委员", members[pick(backbone[b])][0], "2022-03-15"] for b, _, _, _ in OLD_BRANCHES]
    for b, _, _, _ in OLD_BRANCHES:
        rows = backbone[b]
        roles += [[f"{AGENCY}-{b}", t, members[pick(rows)][0], "2022-05-20"] for t in ("书记", "组织委员", "宣传委员", "纪检委员", "委员")]
        for k in range(3):
            g = f"{AGENCY}-{b}-g{k + 1}"
            roles.append([g, "党小组长", members[pick([i for i in rows if members[i][3] == g])][0], "2022-06-01"])
    retired_rows = [i for i, m in enumerate(members) if m[2] == f"{AGENCY}-retired"]
    roles += [[f"{AGENCY}-retired", t, members[pick(retired_rows)][0], "2022-05-20"] for t in ("书记", "组织委员", "宣传委员")]
    people = {r[2] for r in roles}
    for m in members:
        m.insert(11, YES_NO[int(m[0] in people)])
    write_csv(out / "members.csv", ["编号", "姓名", "所在支部", "党小组", "党员类别", "出生日期", "入党日期", "职务",
                                    "所在处室", "是否退休", "行动不便", "骨干", "流动党员", "处室编码"], members)
    write_csv(out / "roles.csv", ["组织", "职务", "党员编号", "任职日期"], roles)
    template = Template(Path(__file__).with_name("scenario.template.yaml").read_text(encoding="utf-8"))
    staff = sum(d[4] for d in divs)
    text = template.substitute(seed=SEED, as_of=AS_OF, members=len(members), staff=staff, retired=RETIRED,
                               titles=json.dumps({"书记": "secretary", "组织委员": "committee_member", "宣传委员": "committee_member",
                                                  "纪检委员": "committee_member", "委员": "committee_member",
                                                  "党小组长": "group_leader"}, ensure_ascii=False))
    (out / "scenario.yaml").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="folder to write to")
    main(parser.parse_args().out)
