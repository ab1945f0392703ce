"""Numbers as chat writes them, read once for search and the reply grader."""

from __future__ import annotations

import pytest

from kbsite.numerals import read_number


@pytest.mark.parametrize("text, value", [
    ("12", 12), ("3.5", 3.5), ("三", 3), ("两", 2), ("十", 10), ("十五", 15), ("二十", 20), ("二十三", 23),
    ("一百二十", 120), ("两百", 200), ("半", 0.5), ("三半", 3.5), ("两个半", 2.5), ("零", 0),
])
def test_plain_numbers_are_read(text, value):
    assert read_number(text) == value


@pytest.mark.parametrize("text", ["", "一二", "三四", "百", "十天", "1.2.3", "几"])
def test_what_is_not_one_plain_number_reads_as_none(text):
    assert read_number(text) is None
