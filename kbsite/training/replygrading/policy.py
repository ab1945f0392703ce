"""Signs that a reply states the wrong policy or refuses more than the model answer does.

Neither is proof, so both only stop a reply from passing on its own: a trainer
looks. A number with a unit (3个工作日) whose unit the question's references
use with other numbers (5–10个工作日) is suspicious; so is a reply that
refuses two or more times more than the model reply.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kbsite.textnorm import fold_chars

_CN = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?|[零一二两三四五六七八九十]+)\s*(?:个)?(工作日|工作天|小时|钟头|分钟|天|元|块|周|个月)")
_UNIT_NAMES = {"工作天": "工作日", "钟头": "小时", "块": "元"}
_REFUSAL = re.compile(r"不能|没法|无法|不了|不行|不支持|办不到|做不到|不可以|不予|不给|没有办法|不退|不换|不补")


def _number(text: str) -> float | None:
    if text[0].isdigit():
        return float(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return float(_CN.get(tens, 1) * 10 + _CN.get(ones, 0) if ones else _CN.get(tens, 1) * 10)
    return float(_CN[text]) if text in _CN else None


def amounts(text: str) -> set[tuple[float, str]]:
    """(number, unit) pairs stated in a text (Chinese numerals read too)."""
    out = set()
    for m in _AMOUNT.finditer(fold_chars(text)):
        value = _number(m.group(1))
        if value is not None:
            out.add((value, _UNIT_NAMES.get(m.group(2), m.group(2))))
    return out


def conflicting_numbers(reply: str, references: Sequence[str]) -> list[str]:
    """Numbers of the reply whose unit the references state, but never with that number."""
    known = set().union(*(amounts(r) for r in references)) if references else set()
    units = {u for _, u in known}
    return sorted({f"{v:g}{u}" for v, u in amounts(reply) if u in units and (v, u) not in known})


def refusals(text: str) -> int:
    """How many refusing words a text holds."""
    return len(_REFUSAL.findall(fold_chars(text)))
