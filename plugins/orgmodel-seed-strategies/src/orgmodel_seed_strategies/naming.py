"""Names of the units the strategies create: ordinal parts (第二党支部) and short lists of names.

Chinese numerals come from the core's :func:`orgmodel.zh_numeral`.
"""

from __future__ import annotations

from collections.abc import Sequence

from orgmodel import zh_numeral

__all__ = ["part_name", "join_names"]


def part_name(name: str, part: int, suffix: str = "党支部") -> str:
    """The name of part ``part`` of a unit called ``name``.

    >>> part_name("歌咏队党支部", 2), part_name("东区综合党支部", 11)
    ('歌咏队第二党支部', '东区综合第十一党支部')
    """
    stem = name[: -len(suffix)] if name.endswith(suffix) else name
    return f"{stem}第{zh_numeral(part)}{suffix}"


def join_names(names: Sequence[str], limit: int = 4) -> str:
    """Names joined with 、, shortened as "A、B、C等5个" past ``limit``.

    >>> join_names(["甲", "乙"]), join_names(["甲", "乙", "丙"], limit=2)
    ('甲、乙', '甲、乙等3个')
    """
    names = list(names)
    if len(names) <= limit:
        return "、".join(names)
    return "、".join(names[:limit]) + f"等{len(names)}个"
