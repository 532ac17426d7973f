"""Words, numbers and label pieces shared by the org chart and the diff chart (zh and en)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from orgmodel.errors import UserError
from orgmodel.model.kinds import KindTable, UnitKind
from orgmodel.render.dot import Html, html
from orgmodel.render.view import CountNode

__all__ = ["WORDS", "check_lang", "num", "kind_label", "wrap", "count_label", "findings_by_unit", "SEVERITY"]

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "people": "{n} 人",
        "full": "正式 {n}",
        "direct_total": "直属 {d} · 共 {t} 人",
        "total": "共 {t} 人",
        "participants": "参与 {n} 人",
        "allies": "联建 {n} 个组织",
        "more": "另有 {items}",
        "within": "其中 {items}",
        "others": "其他 {n} 个",
        "sep": "、",
        "chart": "组织架构图",
        "diff": "调整前后对比",
        "summary": "共 {units} 个组织单位、{members} 人（正式 {full}）",
        "shown": "图中画出 {shown} 个，其余 {hidden} 个折叠为计数框",
        "findings": "规则检查发现",
        "hidden_findings": "折叠部分另有 {n} 条发现",
        "more_findings": "……另有 {n} 条",
        "hosts": "虚线连接所依托的单位",
        "alliance": "联建",
        "created": "新建",
        "dissolved": "撤销",
        "retyped": "升格或改设",
        "resized": "人数变化",
        "moved": "调整隶属",
        "renamed": "原名：{name}",
        "parent_was": "原属：{name}",
        "unchanged": "未变",
        "flow": "人员流向（箭头粗细与人数成正比）",
        "changes": "新建 {created} 个、撤销 {dissolved} 个、升格或改设 {retyped} 个；{moved} 人调整组织关系",
        "flows_hidden": "另有 {n} 人在折叠部分内部调整",
        "flows_cut": "只画出最大的 {shown} 条流向（共 {total} 条）",
        "changed_inside": "含 {n} 处变化",
    },
    "en": {
        "people": "{n} members",
        "full": "{n} full",
        "direct_total": "{d} direct · {t} in all",
        "total": "{t} members in all",
        "participants": "{n} taking part",
        "allies": "{n} allied units",
        "more": "more: {items}",
        "within": "of which {items}",
        "others": "{n} others",
        "sep": ", ",
        "chart": "Organisation chart",
        "diff": "Before and after",
        "summary": "{units} organisation units, {members} members ({full} full)",
        "shown": "{shown} drawn; {hidden} collapsed into count boxes",
        "findings": "Rule findings",
        "hidden_findings": "{n} more findings in collapsed parts",
        "more_findings": "... {n} more",
        "hosts": "dashed lines: the units they are built on",
        "alliance": "alliance",
        "created": "created",
        "dissolved": "dissolved",
        "retyped": "kind changed",
        "resized": "size changed",
        "moved": "moved",
        "renamed": "was: {name}",
        "parent_was": "was under: {name}",
        "unchanged": "unchanged",
        "flow": "member flows (width proportional to members)",
        "changes": "{created} created, {dissolved} dissolved, {retyped} changed kind; {moved} members moved",
        "flows_hidden": "{n} more members moved within collapsed parts",
        "flows_cut": "only the {shown} largest of {total} flows drawn",
        "changed_inside": "{n} changes inside",
    },
}

#: Border colour and width for rule findings, by severity (worst first).
SEVERITY: dict[str, tuple[str, float, int]] = {
    "error": ("#d7191c", 2.8, 0),
    "warning": ("#f08c00", 2.4, 1),
    "approval": ("#2c7bb6", 2.0, 2),
}


def check_lang(lang: str) -> dict[str, str]:
    """The words of a language; a UserError names the choices."""
    if lang not in WORDS:
        raise UserError(f"unknown chart language {lang!r} (use zh or en)")
    return WORDS[lang]


def num(n: int) -> str:
    """A count with thousands separators.

    >>> num(4210)
    '4,210'
    """
    return f"{int(n):,}"


def _plural(word: str) -> str:
    if word.endswith(("s", "sh", "ch", "x")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def kind_label(kind: UnitKind, lang: str, n: int | None = None) -> str:
    """The kind's label; in English plural when ``n`` is not 1."""
    if lang == "zh":
        return kind.label_zh
    return kind.label_en if n is None or n == 1 else _plural(kind.label_en)


def _cell_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def wrap(text: str, width: int = 22) -> list[str]:
    """Break ``text`` into lines of at most ``width`` columns (a CJK character takes two),
    at spaces where there are any.

    >>> wrap("汽三居民区第一党小组议事团戏曲队党支部")
    ['汽三居民区第一党小组议', '事团戏曲队党支部']
    >>> wrap("Residential area branch of Qisan", 16)
    ['Residential area', 'branch of Qisan']
    """
    lines: list[str] = []
    for para in text.split("\n"):
        line, w = "", 0
        for word in _words(para):
            ww = sum(_cell_width(c) for c in word)
            if line and w + ww > width:
                lines.append(line.rstrip())
                line, w = word.lstrip(), sum(_cell_width(c) for c in word.lstrip())
            else:
                line, w = line + word, w + ww
            while w > width:  # one word longer than a line
                cut, acc = 0, 0
                while cut < len(line) and acc + _cell_width(line[cut]) <= width:
                    acc += _cell_width(line[cut])
                    cut += 1
                lines.append(line[:cut])
                line = line[cut:]
                w = sum(_cell_width(c) for c in line)
        lines.append(line.rstrip())
    return lines


def _words(text: str) -> Iterable[str]:
    """Words with their leading space; each CJK character is a word of its own."""
    word = ""
    for ch in text:
        if ch == " " and word.strip():
            yield word
            word = ch
        elif _cell_width(ch) == 2:
            if word:
                yield word
            yield ch
            word = ""
        else:
            word += ch
    if word:
        yield word


def name_html(name: str, *, size: int = 12, bold: bool = True, width: int = 22, colour: str | None = None) -> str:
    """A unit's name as HTML-label text, wrapped."""
    lines = [html(line) for line in wrap(name, width)]
    body = '<BR ALIGN="CENTER"/>'.join(lines) or " "
    if bold:
        body = f"<B>{body}</B>"
    attrs = f' POINT-SIZE="{size}"' + (f' COLOR="{colour}"' if colour else "")
    return f"<FONT{attrs}>{body}</FONT>"


def box(rows: Sequence[str]) -> Html:
    """An HTML label: one table row per piece (better line spacing than ``<BR/>``)."""
    body = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
    return Html(f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>')


def small(text: str, *, size: int = 10, colour: str = "#333333") -> str:
    """A smaller, grey line of HTML-label text."""
    return f'<FONT POINT-SIZE="{size}" COLOR="{colour}">{html(text)}</FONT>'


def _item_list(node: CountNode, kinds: KindTable, lang: str, limit: int = 2) -> list[str]:
    words = WORDS[lang]
    each = " 个" if lang == "zh" else " "
    items = [f"{num(n)}{each}{kind_label(kinds[k], lang, n)}" for k, n in node.kinds[:limit]]
    rest = sum(n for _, n in node.kinds[limit:])
    if rest:
        items.append(words["others"].format(n=num(rest)))
    return items


def count_items(node: CountNode, kinds: KindTable, lang: str, *, limit: int = 2) -> str:
    """"37 个党支部、12 个党小组" for a count node."""
    return WORDS[lang]["sep"].join(_item_list(node, kinds, lang, limit))


#: widest line of a count box's head, in columns (a CJK character takes two); longer heads break
#: between their items, so the box is no wider than its other lines
COUNT_HEAD_COLUMNS = 18


def count_label(node: CountNode, kinds: KindTable, lang: str, *, extra: Sequence[str] = ()) -> Html:
    """The label of a count node: "其中 37 个党支部 / 4,210 人" under a unit (its members are
    among the unit's, so a reader does not add them), "另有 37 个党支部" for hidden top units."""
    words = WORDS[lang]
    template = words["within" if node.parent >= 0 else "more"]
    sep = words["sep"]
    lines: list[str] = []
    for item in _item_list(node, kinds, lang):
        if not lines:
            lines.append(template.format(items=item))
        elif sum(_cell_width(c) for c in lines[-1] + sep + item) <= COUNT_HEAD_COLUMNS:
            lines[-1] += sep + item
        else:
            lines[-1] += sep.rstrip()
            lines.append(item)
    people = words["people"].format(n=num(node.members))
    if node.members:
        people += f"（{words['full'].format(n=num(node.full))}）" if lang == "zh" else f" ({words['full'].format(n=num(node.full))})"
    parts = [f'<FONT POINT-SIZE="11"><B>{html(line)}</B></FONT>' for line in lines] + [small(people)]
    parts += [small(e, colour="#7a4b00") for e in extra]
    return box(parts)


def findings_by_unit(findings: Iterable[Any], lang: str = "zh") -> dict[str, list[tuple[str, str]]]:
    """Rule findings as the mapping the charts take: unit id → [(severity, text)].

    Stored findings (mappings with ``unit``, ``severity``, ``status`` and ``text_zh``/``text_en``,
    as ``StoredVariant.findings`` gives them) or objects with ``text(lang)``. Findings that name
    no unit, or that were approved or not checked, are left out.

    The text is the rule's title in ``lang`` with the unit's value and the threshold (the rule id
    stays in the findings table); without a title, the stored text.

    >>> findings_by_unit([{"unit": "b1", "severity": "error", "status": "violated", "text_zh": "太大"}])
    {'b1': [('error', '太大')]}
    >>> findings_by_unit([{"unit": "b1", "severity": "warning", "status": "violated", "rule": "branch.max_size",
    ...                    "value": 150, "threshold": "≤ 50", "title_zh": "党支部党员人数一般不超过50人"}])
    {'b1': [('warning', '党支部党员人数一般不超过50人（现为 150，应 ≤ 50）')]}
    """
    out: dict[str, list[tuple[str, str]]] = {}
    for f in findings:
        if isinstance(f, Mapping):
            unit, status, severity = f.get("unit"), f.get("status", "violated"), f.get("severity", "warning")
            text = _finding_text(dict(f), lang) or str(f.get(f"text_{lang}") or f.get("text_zh") or f.get("rule", ""))
        else:
            unit, status = getattr(f, "unit", None), getattr(f, "status", "violated")
            severity = getattr(f, "severity", "warning")
            fields = {k: getattr(f, k, None) for k in ("title_zh", "title_en", "value", "threshold")}
            text = _finding_text(fields, lang) or (f.text(lang) if callable(getattr(f, "text", None)) else str(f))
        if unit is None or status != "violated":
            continue
        out.setdefault(str(unit), []).append((str(severity), text))
    return out


def _finding_text(f: Mapping[str, Any], lang: str) -> str:
    """A finding in words: the rule's title, then the value and the threshold ('' without a title)."""
    title = str(f.get(f"title_{lang}") or (f.get("title_zh") if lang == "zh" else "") or "")
    if not title:
        return ""
    value, threshold = f.get("value"), str(f.get("threshold") or "")
    if value is None or value == "":
        return title
    try:
        shown = f"{float(value):g}"
    except (TypeError, ValueError):
        shown = str(value)
    if lang == "zh":
        return f"{title}（现为 {shown}" + (f"，应 {threshold}" if threshold else "") + "）"
    return f"{title} (now {shown}" + (f", should be {threshold}" if threshold else "") + ")"


def worst(severities: Iterable[str]) -> str:
    """The most severe of some severities (unknown ones rank as warnings)."""
    return min(severities, key=lambda s: SEVERITY.get(s, SEVERITY["warning"])[2])
