"""One line on what each metric means, in the report's language, and why a value is missing.

The report states every metric with its unit, the direction that is better and this line, so
that a reader of a printed page needs nothing else. A metric this glossary does not know is
explained from its stored label and direction.

>>> explain("branch_limits.over_50", "zh", label="超过50人的支部", direction="lower")
'党员人数超过50人的党支部个数；支部一般不超过50人。'
>>> better("lower", "en")
'lower is better'
>>> missing_reason("not measured: no election dates (unit attribute elected)", "zh")
'未测量：缺少数据（组织属性 elected）'
"""

from __future__ import annotations

import re

__all__ = ["explain", "better", "missing_reason", "unit_word", "METRIC_NOTES"]

#: metric value name -> (zh, en) one-line explanation
METRIC_NOTES: dict[str, tuple[str, str]] = {
    "backbone.people": ("担任书记、委员、党小组长等骨干职务的人数。", "People holding a secretary, committee or group leader role."),
    "backbone.members_per_backbone": ("平均每名骨干联系的党员人数。", "Members per backbone person."),
    "branch_limits.over_50": ("党员人数超过50人的党支部个数；支部一般不超过50人。", "Branches with more than 50 members (the usual limit)."),
    "branch_limits.over_100": ("党员人数超过100人的党支部个数。", "Branches with more than 100 members."),
    "branch_limits.under_3_full": ("正式党员不足3人、不能单独成立支部的个数。", "Branches with fewer than 3 full members (too few to stand alone)."),
    "branch_size.count": ("现有党支部（含各类支部）总数。", "Live branches of every kind."),
    "branch_size.min": ("党员人数最少的支部的人数。", "Members of the smallest branch."),
    "branch_size.median": ("一半支部不超过这个人数。", "Half the branches have at most this many members."),
    "branch_size.p90": ("九成支部不超过这个人数。", "Nine in ten branches have at most this many members."),
    "branch_size.max": ("党员人数最多的支部的人数。", "Members of the largest branch."),
    "change.members_moved": ("方案中调整组织关系（所在支部改变）的党员人数。", "Members whose branch the variant changes."),
    "change.units_created": ("方案新建的组织个数。", "Units the variant founds."),
    "change.units_dissolved": ("方案撤销的组织个数。", "Units the variant dissolves."),
    "change.units_retyped": ("方案升格或改设（改变类型）的组织个数。", "Units whose kind the variant changes."),
    "coverage.team": ("有党员参加的团队中，建有或覆盖党组织的比例。", "Teams with members that a party unit covers."),
    "coverage.enterprise": ("有党员的企业中，建有或覆盖党组织的比例。", "Enterprises with members that a party unit covers."),
    "cycle.overdue": ("任期已满仍未换届的组织个数。", "Units whose term has ended without an election."),
    "cycle.due": ("一年内任期届满、需要换届的组织个数。", "Units whose term ends within a year."),
    "cycle.meetings": ("上一年按季度召开党员大会的支部所占比例。", "Branches that held the quarterly members' meeting last year."),
    "hierarchy.depth": ("从最上级组织到党小组的层级数。", "Layers from the top unit down to the groups."),
    "hierarchy.span_mean": ("有下级组织的组织平均管理的下级个数。", "Mean number of units under a unit that has any."),
    "hierarchy.span_max": ("一个组织直接管理的下级组织最多的个数。", "Most units directly under one unit."),
    "hourglass.path": ("从最上级组织到党员要经过的最多层级。", "Most layers between the top unit and a member."),
    "hourglass.narrowest": ("组织最少的那一层的组织个数（瓶颈层）。", "Units at the layer with the fewest units (the bottleneck)."),
    "hourglass.load": ("瓶颈层每个组织平均联系的党员人数。", "Members per unit at the bottleneck layer."),
    "lever.reached": ("所在支部或党小组有骨干的党员所占比例。", "Members with a backbone person in their branch or group."),
    "lever.reached_per_backbone": ("平均每名骨干所在支部或小组的党员人数。", "Members reached per backbone person."),
    "lever.teams_per_backbone": ("平均每名骨干在所参加团队中带动的党员人数。", "Team members alongside a backbone person, per backbone person."),
    "meeting.largest": ("人数最多的一次支部党员大会的到会人数上限。", "Members at the largest branch meeting."),
    "meeting.over_capacity": ("党员人数超过活动场地容量的支部个数。", "Branches larger than their meeting room."),
    "placement.members": ("纳入测算的党员总数。", "Members counted."),
    "placement.unplaced": ("未落实到任何支部的党员人数；应当为0。", "Members in no branch; should be 0."),
    "placement.external": ("组织关系在本结构以外（如在外单位）的党员人数。", "Members whose relation is outside this structure."),
    "team_alignment.share": ("所在支部建在本人参加的团队上的党员比例。", "Members whose branch is built on a team they take part in."),
    "team_alignment.share_of_team_members": ("参加团队的党员中，所在支部与团队一致的比例。", "Of members in teams, those whose branch is on their team."),
    "tree.reach": ("建有或覆盖党组织的组织和团队所占比例。", "Organisations and teams a party unit reaches."),
    "tree.rooted": ("依托其建立党组织的组织和团队所占比例。", "Organisations and teams with a party unit built on them."),
    "tree.weakest_area": ("触达率最低的片区的触达率。", "Reach in the area where it is lowest."),
}

_DIRECTION = {"lower": ("越低越好", "lower is better"), "higher": ("越高越好", "higher is better"),
              "neutral": ("无优劣方向", "no better direction")}


#: a metric's unit (stored as the metric gives it, in Chinese) -> its English word
_UNITS_EN = {"人": "people", "个": "count", "层": "layers", "户": "households", "次": "times", "年": "years",
             "月": "months", "天": "days", "名": "people"}


def unit_word(unit: str, lang: str) -> str:
    """A metric's unit in the report's language (a unit it does not know stays as it is).

    >>> unit_word("人", "en"), unit_word("人", "zh"), unit_word("%", "en")
    ('people', '人', '%')
    """
    return unit if lang == "zh" else _UNITS_EN.get(unit, unit)


def better(direction: str, lang: str) -> str:
    """The better direction of a metric in words."""
    zh, en = _DIRECTION.get(direction, _DIRECTION["neutral"])
    return zh if lang == "zh" else en


def explain(name: str, lang: str, *, label: str, direction: str) -> str:
    """One line on what metric value ``name`` means."""
    if name in METRIC_NOTES:
        zh, en = METRIC_NOTES[name]
        return zh if lang == "zh" else en
    if name.startswith("units."):
        return f"{label}（现有个数）。" if lang == "zh" else f"{label} (live units)."
    return f"{label}：{better(direction, lang)}。" if lang == "zh" else f"{label}: {better(direction, lang)}."


def missing_reason(note: str | None, lang: str) -> str:
    """Why a stored value is missing ("—"), from the metric's note."""
    note = (note or "").strip()
    attribute = re.search(r"\((?:unit|member) attribute (\w+)\)", note)
    if note.startswith("not measured"):
        if attribute:
            return (f"未测量：缺少数据（组织属性 {attribute.group(1)}）" if lang == "zh"
                    else f"not measured: no data (attribute {attribute.group(1)})")
        detail = note.split(":", 1)[1].strip() if ":" in note else ""
        return "未测量：缺少所需数据" if lang == "zh" else f"not measured{': ' + detail if detail else ''}"
    if lang == "zh":
        return "未测量：缺少所需数据" if note else "该方案没有这个指标"
    return note or "the variant has no such value"
