"""orgmodel.zh_numeral: the one Chinese-numeral helper, checked against numerals written out by hand."""

from __future__ import annotations

import pytest

import orgmodel
from orgmodel import zh_numeral

DIGITS = "零一二三四五六七八九"


def test_it_is_public():
    assert "zh_numeral" in orgmodel.__all__


@pytest.mark.parametrize("n", range(1, 100))
def test_one_to_ninety_nine_as_unit_names_write_them(n):
    tens, ones = divmod(n, 10)
    expected = ("" if tens < 2 else DIGITS[tens]) + ("十" if tens else "") + (DIGITS[ones] if ones else "")
    assert zh_numeral(n) == expected


@pytest.mark.parametrize(("n", "text"), [
    (0, "零"), (100, "一百"), (105, "一百零五"), (110, "一百一十"), (999, "九百九十九"),
    (1000, "一千"), (1001, "一千零一"), (1020, "一千零二十"), (2300, "二千三百"),
    (10000, "一万"), (10001, "一万零一"), (10010, "一万零一十"), (10100, "一万零一百"),
    (11000, "一万一千"), (100000, "十万"), (123456, "十二万三千四百五十六"), (99_999_999, "九千九百九十九万九千九百九十九"),
])
def test_hundreds_thousands_and_ten_thousands(n, text):
    assert zh_numeral(n) == text


@pytest.mark.parametrize("bad", [-1, 100_000_000, 1.0, True, "3"])
def test_out_of_range_or_not_an_integer_is_refused(bad):
    with pytest.raises(ValueError, match="zh_numeral takes 0 to 99,999,999"):
        zh_numeral(bad)
