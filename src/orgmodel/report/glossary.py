"""One line on what each metric means, in the report's language, and why a value is missing.

The report states every metric with its unit, the direction that is better and this line, so
that a reader of a printed page needs nothing else. The line comes from the domain pack's words
(``metric.<name>``, stored with the pack in the results folder), else from the core's neutral note
of its own metrics, else from the metric's stored label and direction.

>>> explain("branch_size.max", "zh", label="最大支部", direction="lower")
'人数最多的支部的人数。'
>>> explain("size.over", "en", label="over 9", direction="lower", words={"metric.size.over": ("超过9人", "More than 9.")})
'More than 9.'
>>> better("lower", "en")
'lower is better'
>>> missing_reason("not measured: no election dates (unit attribute elected)", "zh")
'未测量：缺少数据（组织属性 elected）'
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["explain", "better", "missing_reason", "unit_word", "METRIC_NOTES"]

#: metric value name -> (zh, en) one-line explanation of the core's own metrics, in neutral words;
#: a domain pack's ``metric.<name>`` words (``DomainPack.words``) come first
METRIC_NOTES: dict[str, tuple[str, str]] = {
    "branch_size.count": ("现有支部（含各类支部）总数。", "Live branches of every kind."),
    "branch_size.min": ("人数最少的支部的人数。", "Members of the smallest branch."),
    "branch_size.median": ("一半支部不超过这个人数。", "Half the branches have at most this many members."),
    "branch_size.p90": ("九成支部不超过这个人数。", "Nine in ten branches have at most this many members."),
    "branch_size.max": ("人数最多的支部的人数。", "Members of the largest branch."),
    "change.members_moved": ("方案中所在支部改变的人数。", "Members whose branch the variant changes."),
    "change.units_created": ("方案新建的组织个数。", "Units the variant founds."),
    "change.units_dissolved": ("方案撤销的组织个数。", "Units the variant dissolves."),
    "change.units_retyped": ("方案升格或改设（改变类型）的组织个数。", "Units whose kind the variant changes."),
    "hierarchy.depth": ("从最上级组织到最下级组织的层级数。", "Layers from the top unit down to the lowest."),
    "hierarchy.span_mean": ("有下级组织的组织平均管理的下级个数。", "Mean number of units under a unit that has any."),
    "hierarchy.span_max": ("一个组织直接管理的下级组织最多的个数。", "Most units directly under one unit."),
    "hourglass.path": ("从最上级组织到成员要经过的最多层级。", "Most layers between the top unit and a member."),
    "hourglass.narrowest": ("组织最少的那一层的组织个数（瓶颈层）。", "Units at the layer with the fewest units (the bottleneck)."),
    "hourglass.load": ("瓶颈层每个组织平均联系的人数。", "Members per unit at the bottleneck layer."),
    "meeting.largest": ("人数最多的一次支部全体会议的到会人数上限。", "Members at the largest branch meeting."),
    "meeting.over_capacity": ("人数超过活动场地容量的支部个数。", "Branches larger than their meeting room."),
    "placement.members": ("纳入测算的总人数。", "Members counted."),
    "placement.unplaced": ("未落实到任何支部的人数；应当为0。", "Members in no branch; should be 0."),
    "placement.external": ("所在支部在本结构以外（如在外单位）的人数。", "Members whose relation is outside this structure."),
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


def explain(name: str, lang: str, *, label: str, direction: str, words: Mapping[str, tuple[str, str]] | None = None) -> str:
    """One line on what metric value ``name`` means: the domain pack's ``metric.<name>`` word
    (``words``, the pack's :attr:`~orgmodel.model.kinds.DomainPack.words`), else the core's note."""
    pair = (words or {}).get(f"metric.{name}")
    if pair:
        return pair[0] if lang == "zh" else pair[1]
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
