"""Names of the units the strategies create: ordinal parts (第二党支部) and short lists of names.

Chinese numerals are written here once for the whole package.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["ordinal_zh", "part_name", "join_names"]

_ZH_DIGITS = "零一二三四五六七八九"


def ordinal_zh(i: int) -> str:
    """Chinese numeral for 1..99 (一, 十二, 二十), digits above.

    >>> [ordinal_zh(i) for i in (1, 10, 12, 20, 35, 100)]
    ['一', '十', '十二', '二十', '三十五', '100']
    """
    if i < 10:
        return _ZH_DIGITS[i]
    if i < 20:
        return "十" + (_ZH_DIGITS[i - 10] if i > 10 else "")
    if i < 100:
        tens, ones = divmod(i, 10)
        return _ZH_DIGITS[tens] + "十" + (_ZH_DIGITS[ones] if ones else "")
    return str(i)


def part_name(name: str, part: int, suffix: str = "党支部") -> str:
    """The name of part ``part`` of a unit called ``name``.

    >>> part_name("歌咏队党支部", 2), part_name("东区综合党支部", 11)
    ('歌咏队第二党支部', '东区综合第十一党支部')
    """
    stem = name[: -len(suffix)] if name.endswith(suffix) else name
    return f"{stem}第{ordinal_zh(part)}{suffix}"


def join_names(names: Sequence[str], limit: int = 4) -> str:
    """Names joined with 、, shortened as "A、B、C等5个" past ``limit``.

    >>> join_names(["甲", "乙"]), join_names(["甲", "乙", "丙"], limit=2)
    ('甲、乙', '甲、乙等3个')
    """
    names = list(names)
    if len(names) <= limit:
        return "、".join(names)
    return "、".join(names[:limit]) + f"等{len(names)}个"
