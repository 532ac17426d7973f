"""Names of the units the strategies create, as an organisation department writes them.

- an ordinal in Chinese numerals, before the word that says what kind of branch it is:
  第一综合党支部, 第二联合党支部 (not 综合第一党支部), 歌咏队第二党支部, 第三网格;
- a short list of names with what they share said once: 鹤北一15、16号楼 (not
  鹤北一15号楼、鹤北一16号楼), and "等5个" past a limit.

Chinese numerals come from the core's :func:`orgmodel.zh_numeral`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from orgmodel import zh_numeral

__all__ = ["QUALIFIERS", "ordinal", "part_name", "join_names"]

#: words naming the sort of a branch, which an ordinal goes before (第一综合党支部, 第二联合党支部)
QUALIFIERS = ("综合", "联合")


def ordinal(n: int) -> str:
    """第 and ``n`` in Chinese numerals.

    >>> ordinal(1), ordinal(12)
    ('第一', '第十二')
    """
    return f"第{zh_numeral(n)}"


def part_name(name: str, part: int, suffix: str = "党支部") -> str:
    """The name of part ``part`` of a unit called ``name``: the ordinal goes before the suffix, or
    before a word of :data:`QUALIFIERS` that ends the stem.

    >>> part_name("歌咏队党支部", 2), part_name("东区综合党支部", 11)
    ('歌咏队第二党支部', '东区第十一综合党支部')
    >>> part_name("文艺团队联合党支部", 1), part_name("东区网格", 3, suffix="网格")
    ('文艺团队第一联合党支部', '东区第三网格')
    """
    stem = name[: -len(suffix)] if name.endswith(suffix) else name
    for word in QUALIFIERS:
        if stem.endswith(word):
            return f"{stem[: -len(word)]}{ordinal(part)}{word}{suffix}"
    return f"{stem}{ordinal(part)}{suffix}"


_NUMBERED = re.compile(r"^(.*?)(\d+)(\D*)$")


def _shared(names: Sequence[str]) -> tuple[str, list[str], str] | None:
    """(prefix, numbers, suffix) when every name is the same prefix, a number and the same suffix."""
    if len(names) < 2:
        return None
    parts = [m for m in map(_NUMBERED.match, names) if m]
    if len(parts) != len(names):
        return None
    head, tail = parts[0].group(1), parts[0].group(3)
    if any(p.group(1) != head or p.group(3) != tail for p in parts):
        return None
    return head, [p.group(2) for p in parts], tail


def join_names(names: Sequence[str], limit: int = 4) -> str:
    """Names joined with 、, shortened as "A、B、C等5个" past ``limit``; numbered names that share
    their words say them once.

    >>> join_names(["甲", "乙"]), join_names(["甲", "乙", "丙"], limit=2)
    ('甲、乙', '甲、乙等3个')
    >>> join_names(["鹤北一15号楼", "鹤北一16号楼"]), join_names(["红一1号楼", "红一2号楼", "红一3号楼"], limit=2)
    ('鹤北一15、16号楼', '红一1、2号楼等3个')
    """
    names = list(names)
    shared = _shared(names)
    if shared:
        head, numbers, tail = shared
        out = head + "、".join(numbers[:limit]) + tail
        return out if len(names) <= limit else out + f"等{len(names)}个"
    if len(names) <= limit:
        return "、".join(names)
    return "、".join(names[:limit]) + f"等{len(names)}个"
