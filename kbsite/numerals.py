"""Reading the numbers people write in Chinese chat: 12, 3.5, 三, 十五, 一百二十, 半, 两个半.

Search (how many days since the parcel came) and the reply grader (the refund takes 三到五天)
both read such numbers; they read them here, the same way.
"""

from __future__ import annotations

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def read_number(text: str) -> float | None:
    """The value of a number written in digits or Chinese numerals; None if it is not a plain number."""
    if not text:
        return None
    if text[0].isdigit():
        try:
            return float(text)
        except ValueError:
            return None
    if text == "半":
        return 0.5
    if text.endswith("半"):
        whole = read_number(text[:-1].removesuffix("个"))
        return None if whole is None else whole + 0.5
    total, digit = 0, None
    for ch in text:
        if ch in DIGITS:
            if digit is not None:
                return None  # 一二 is not a number
            digit = DIGITS[ch]
        elif ch == "十":
            total += (1 if digit is None else digit) * 10
            digit = None
        elif ch == "百" and digit is not None:
            total += digit * 100
            digit = None
        else:
            return None
    return float(total + (digit or 0))
