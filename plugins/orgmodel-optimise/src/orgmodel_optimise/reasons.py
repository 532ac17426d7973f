"""Reason codes of the optimise strategy, with their zh/en templates.

Every move names what drove it: a rule its old branch broke (with the rule's title), or the
objective term it improves. Units are named by their names, never their ids. Office reasons
are the party pack's (``orgmodel_party.ROLE_TEMPLATES``).

>>> TEMPLATES["move_rule_max"]["en"].format(n=3, origin="A", dest="B", size=60, limit=50,
...     rule_zh="", rule_en="a branch as a rule has at most 50 members")
'A has 60 members, more than 50 (a branch as a rule has at most 50 members): 3 members move to B'
"""

__all__ = ["TEMPLATES", "FAMILY_LABELS"]

FAMILY_LABELS = {
    "team": ("团队", "a team"),
    "joint_team": ("若干小团队", "several small teams"),
    "territory": ("居住片区", "an area of homes"),
    "category": ("党员类别", "a member category"),
    "joint": ("若干党员不足的单位", "several units with too few full members"),
}

TEMPLATES: dict[str, dict[str, str]] = {
    "move_rule_max": {
        "zh": "{origin}有{size}名党员，超过{limit}人（{rule_zh}）：{n}名党员转入{dest}",
        "en": "{origin} has {size} members, more than {limit} ({rule_en}): {n} members move to {dest}",
    },
    "move_rule_min": {
        "zh": "{origin}正式党员{full}人，不足{limit}人（{rule_zh}）：{n}名党员转入{dest}",
        "en": "{origin} has {full} full members, fewer than {limit} ({rule_en}): {n} members move to {dest}",
    },
    "move_rule_forbidden": {
        "zh": "{origin}不符合规定（{rule_zh}），予以撤销：{n}名党员转入{dest}",
        "en": "{origin} breaks a rule whatever its members ({rule_en}) and is dissolved: {n} members move to {dest}",
    },
    "move_one_relation": {
        "zh": "{n}名党员未编入党支部（{rule_zh}）：转入{dest}",
        "en": "{n} members have no branch ({rule_en}): they move to {dest}",
    },
    "move_team": {
        "zh": "{n}名党员参加{dest}所依托的团队，由{origin}转入后所在支部与团队一致（优化目标：团队契合）",
        "en": "{n} members take part in the team {dest} is built on: moving from {origin} aligns branch and team (objective term: team alignment)",
    },
    "move_objective": {
        "zh": "{n}名党员由{origin}转入{dest}：加权目标更低（骨干分布、支部增撤）",
        "en": "{n} members move from {origin} to {dest}: the weighted objective is lower (backbone spread, units founded and dissolved)",
    },
    "found": {
        "zh": "依托{about}新建{name}，编入{n}名党员（正式党员{full}人），以满足支部设置规定并使加权变动最小",
        "en": "{name} is founded on {about} with {n} members ({full} full), so that every rule holds at the least weighted change",
    },
    "dissolve_empty": {
        "zh": "{name}的党员全部转入其他支部，予以撤销",
        "en": "every member of {name} moves to another branch: it is dissolved",
    },
    "dissolve_group": {
        "zh": "{branch}撤销，其党小组{name}随之撤销",
        "en": "{branch} is dissolved, and with it its party group {name}",
    },
    "role_clear_moved": {
        "zh": "{person}转入其他支部，不再担任{branch}的{role}",
        "en": "{person} moves to another branch and no longer holds {role} in {branch}",
    },
}
