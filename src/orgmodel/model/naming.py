"""Chinese numerals for the names of new units (第三党支部, 第十二党小组), written once for everyone.

>>> [zh_numeral(n) for n in (1, 10, 12, 20, 23, 101, 110, 1010, 10010)]
['一', '十', '十二', '二十', '二十三', '一百零一', '一百一十', '一千零一十', '一万零一十']
>>> f"第{zh_numeral(3)}党支部"
'第三党支部'
"""

from __future__ import annotations

__all__ = ["zh_numeral"]

_DIGITS = "零一二三四五六七八九"
_POWERS = ((3, "千"), (2, "百"), (1, "十"), (0, ""))


def zh_numeral(n: int) -> str:
    """``n`` (0 to 99,999,999) in Chinese numerals, as in unit names; 十 alone for 10 to 19.

    >>> zh_numeral(0), zh_numeral(19), zh_numeral(100), zh_numeral(120000)
    ('零', '十九', '一百', '十二万')
    >>> zh_numeral(-1)
    Traceback (most recent call last):
    ...
    ValueError: zh_numeral takes 0 to 99,999,999, got -1
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < 100_000_000:
        raise ValueError(f"zh_numeral takes 0 to 99,999,999, got {n!r}")
    if n == 0:
        return _DIGITS[0]
    high, low = divmod(n, 10_000)
    out = _below_ten_thousand(high, leading=True) + "万" if high else ""
    if low:
        if high and low < 1000:
            out += _DIGITS[0]
        out += _below_ten_thousand(low, leading=not high)
    return out


def _below_ten_thousand(n: int, *, leading: bool) -> str:
    """1..9999; ``leading``: the number starts here, so 10..19 drop the 一 before 十."""
    out = ""
    gap = False
    for power, unit in _POWERS:
        digit = n // 10**power % 10
        if digit == 0:
            gap = bool(out)
            continue
        if gap:
            out += _DIGITS[0]
            gap = False
        if not (digit == 1 and power == 1 and leading and not out):
            out += _DIGITS[digit]
        out += unit
    return out
