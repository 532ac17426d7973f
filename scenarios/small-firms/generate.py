"""Generate the small-firms scenario (seed 003): a street of small private firms before two-new coverage.

某街道 (a street) with 36 small private firms and 4 social organisations (两新组织), a chamber of
commerce (某街道商会) and a catering trade association. Most firms have one or two party members,
whose relation sits in the street's catch-all branch (非公经济组织综合党支部), in the district
talent-exchange centre (档案托管: core.external) or nowhere (关系未落实: core.unplaced); two larger firms
have a branch of their own. Firms carry a trade tag (trade:餐饮 …). Writes units.csv,
members.csv (Chinese headers), roles.csv and scenario.yaml from one numpy Generator seeded with
SEED: running this twice writes identical files. The figures are assumptions; README.md explains them.

    .venv/bin/python scenarios/small-firms/generate.py [--out DIR]     # default: this folder
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
STREET, STREET_ZH, WC = "jiedao", "某街道", "jiedao-wc"
CATCH_ALL, UNPLACED, EXTERNAL = "jiedao-zonghe", "unplaced", "rencai"
TRADES = {  # trade (the tag trade:餐饮 …) -> firm name stems
    "餐饮": ["饭店", "面馆", "餐饮管理有限公司", "火锅店", "茶餐厅", "快餐店", "烘焙坊"],
    "零售": ["超市", "便利店", "五金店", "服装店", "文具店", "药房"],
    "物流": ["快递服务部", "物流有限公司", "搬家服务部", "货运代理有限公司"],
    "信息技术": ["网络科技有限公司", "软件开发工作室", "电子商务有限公司", "信息咨询有限公司"],
    "维修": ["汽车修理厂", "家电维修部", "装饰工程有限公司", "水电安装部"],
    "设计": ["广告设计工作室", "印务有限公司", "摄影工作室"],
}
FIRM_PREFIX = "金银华鑫顺达兴隆恒泰安康宏福祥瑞佳美新丰永嘉利和盛源"
N_SMALL = 34          # firms with 1 or 2 members
BIG = [("xinda", "鑫达物流有限公司", "物流", 6, True), ("hengtai", "恒泰餐饮管理有限公司", "餐饮", 5, True),
       ("jiamei", "佳美超市", "零售", 4, False), ("ruixiang", "瑞祥网络科技有限公司", "信息技术", 3, False)]
SOCIAL = [("zyzfw", "某街道志愿者服务社"), ("ylfw", "某街道养老服务中心"), ("sgfw", "某社会工作服务站"), ("tyxh", "某街道体育健身协会")]
WHERE = [(CATCH_ALL, 0.6), (EXTERNAL, 0.25), (UNPLACED, 0.15)]  # where a small firm's members' relations are
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁"
GIVEN = "建国华明英兰秀芳伟军红梅丽平志强玉珍德文海燕桂凤云霞金福荣敏静婷磊洁勇春涛鹏浩宇"
POSTS = ["业主", "经理", "职员", "职员", "技术员", "会计", "店员"]
YES_NO = ("否", "是")


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    """UTF-8 with Unix line ends: the same bytes on every platform."""
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    trades = list(TRADES)
    firms = []  # (id, kind, name, trade or None, members, own branch, where the relations are)
    used: set[str] = set()
    for k in range(N_SMALL):
        trade = trades[int(rng.choice(len(trades), p=[0.3, 0.25, 0.15, 0.12, 0.12, 0.06]))]
        while True:
            nm = "".join(rng.choice(list(FIRM_PREFIX), 2)) + str(rng.choice(TRADES[trade]))
            if nm not in used:
                used.add(nm)
                break
        where = WHERE[int(rng.choice(len(WHERE), p=[w for _, w in WHERE]))][0]
        firms.append((f"f{k + 1:02d}", "party.enterprise", nm, trade, 1 + int(rng.random() < 0.35), False, where))
    firms += [(f, "party.enterprise", nm, trade, n, own, f"{f}-branch" if own else CATCH_ALL) for f, nm, trade, n, own in BIG]
    for f, nm in SOCIAL:
        firms.append((f, "party.social_org", nm, None, 1 + int(rng.random() < 0.3), False,
                      CATCH_ALL if rng.random() < 0.7 else UNPLACED))
    units = [[STREET, "party.street", STREET_ZH, "", "", ""],
             [WC, "party.working_committee", "某街道党工委", "", STREET, ""],
             [CATCH_ALL, "party.branch", "某街道非公经济组织综合党支部", WC, STREET, "comprehensive"],
             [UNPLACED, "core.unplaced", "组织关系未落实", "", "", ""],
             [EXTERNAL, "core.external", "区人才交流中心（档案托管）", "", "", ""],
             ["shanghui", "party.chamber", "某街道商会", STREET, "", ""],
             ["canyin-xh", "party.association", "某街道餐饮行业协会", STREET, "", "trade:餐饮"]]
    for f, kind, nm, trade, _, own, _ in firms:
        units.append([f, kind, nm, STREET, "", f"trade:{trade}" if trade else ""])
        if own:
            units.append([f"{f}-branch", "party.branch", f"{nm}党支部", WC, f, ""])
    write_csv(out / "units.csv", ["id", "kind", "name", "parent", "built_on", "tags"], units)
    names: set[str] = set()
    members = []
    for f, kind, _, _, n, own, where in firms:
        for i in range(n):
            while True:
                nm = SURNAMES[rng.integers(len(SURNAMES))] + "".join(rng.choice(list(GIVEN), rng.integers(1, 3)))
                if nm not in names:
                    names.add(nm)
                    break
            age = int(rng.integers(24, 58))
            birth = AS_OF - int(age * 365.25 + rng.integers(0, 365))
            prob = rng.random() < 0.06 and age < 40
            joined = (AS_OF - int(rng.integers(30, 330))) if prob else min(
                birth + int(rng.integers(19, 30) * 365.25 + rng.integers(0, 365)), AS_OF - 400)
            post = "业主" if i == 0 and kind == "party.enterprise" and n <= 2 else str(rng.choice(POSTS[1:]))
            mobile = where != CATCH_ALL and not own and rng.random() < 0.5  # relation elsewhere, working here
            members.append([f"FG{len(members) + 1:03d}", nm, where, "预备党员" if prob else "正式党员", str(birth),
                            str(joined), post, YES_NO[int(mobile)], f])
    roles = []
    for branch in [CATCH_ALL] + [f"{f}-branch" for f, *_, own, _ in firms if own]:
        rows = [m for m in members if m[2] == branch and m[3] == "正式党员"]
        titles = ["书记", "组织委员", "宣传委员"] if len(rows) >= 7 else ["书记"]
        chosen = rng.choice(len(rows), len(titles), replace=False)
        roles += [[branch, t, rows[int(i)][0], "2023-04-10"] for t, i in zip(titles, chosen, strict=True)]
    people = {r[2] for r in roles}
    for m in members:
        m.insert(8, YES_NO[int(m[0] in people)])
    write_csv(out / "members.csv", ["编号", "姓名", "组织关系所在", "党员类别", "出生日期", "入党日期", "岗位", "流动党员",
                                    "骨干", "工作单位"], members)
    write_csv(out / "roles.csv", ["组织", "职务", "党员编号", "任职日期"], roles)
    small = sum(1 for f in firms if f[4] < 3)
    template = Template(Path(__file__).with_name("scenario.template.yaml").read_text(encoding="utf-8"))
    text = template.substitute(
        seed=SEED, as_of=AS_OF, members=len(members), firms=len(firms), small=small,
        titles=json.dumps({"书记": "secretary", "组织委员": "committee_member", "宣传委员": "committee_member"}, ensure_ascii=False))
    (out / "scenario.yaml").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="folder to write to")
    main(parser.parse_args().out)
