"""Signs that a reply states the wrong policy or refuses more than the model answer does.

The rule a question teaches is written down in its references: the model reply,
the explanation and the knowledge entries it cites. A reply contradicts them when

- it puts a different number on the same thing: a time limit or amount whose
  subject (审核, 退款, 到账, 发货, 回复 …) the references state with other values
  ("3个工作日内退款" where they say "收到退货后24小时内办理退款"; durations are
  compared in hours, so "一天之内" and "24小时" agree);
- it grants a number the model reply turns down ("500元…超出了我的权限" in the
  model, "500元给您办理部分退款" in the reply);
- it makes the other party pay: the references say the shop bears the shipping
  and the reply asks the customer to pay or advance it, or the reverse.

None of these is proof, so each only stops a reply from passing on its own: a
trainer looks, or it fails when the score is below the pass mark anyway. A
reply that refuses two or more times more than the model reply is flagged too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kbsite.numerals import read_number
from kbsite.textnorm import fold_chars

_NUM = r"(?:\d+(?:\.\d+)?|[零一二两三四五六七八九十半]+)"
_UNITS = r"(?:个)?(?:工作日|工作天|小时|钟头|分钟|天|元|块|周|星期|个月)"
_AMOUNT = re.compile(rf"({_NUM})\s*(?:[-~～到至—–]\s*({_NUM})\s*)?({_UNITS})")
_UNIT_NAMES = {"工作天": "工作日", "钟头": "小时", "块": "元", "星期": "周"}
# Hours per unit: durations are one dimension (a working day counts as a day), money another.
_HOURS = {"分钟": 1 / 60, "小时": 1, "天": 24, "工作日": 24, "周": 168, "个月": 720}
_REFUSAL = re.compile(r"不能|没法|无法|不了|不行|不支持|办不到|做不到|不可以|不予|不给|没有办法|不退|不换|不补")
_CLAUSE = re.compile(r"[，,。.!！?？;；\n]+")

# What a number is about: the nearest of these in its clause.
SUBJECTS: dict[str, str] = {
    "audit": r"审核|审批",
    "arrive": r"到账|到帐|入账|入帐",
    "refund": r"退款|退钱|退回|退还|原路",
    "ship": r"发货|发出|寄出|出库|补发|揽收|送达|送到|到货",
    "respond": r"响应|接入",
    "reply": r"回复|答复|回您|回话|联系您|告诉您|通知您|给您消息|发给您|发您|给您结果",
    "escalate": r"升级|上报|主管",
    "compensate": r"补偿|优惠券|券|红包|积分|赔偿|赔付|部分退款",
    "window": r"无理由|售后期|退换|换货|退货|保价|价保|质保|签收",
}
_SUBJECTS = [(name, re.compile(p)) for name, p in SUBJECTS.items()]
# A number the references only state as out of reach.
_LIMIT = re.compile(r"超出|超过[^，。]{0,6}(权限|额度|范围)|权限外|没有?[^，。]{0,2}权限|不在[^，。]{0,4}范围|不能|无法|没法|"
                    r"给不了|做不到|答应不了|不敢|决定不了")
# The agent's own call-back promise: sooner than the model reply's is just as right.
_SOONER_IS_FINE = ("reply", "respond")


def amounts(text: str) -> set[tuple[float, str]]:
    """(number, unit) pairs stated in a text (Chinese numerals read too; a range gives both ends)."""
    return {(v, u) for q in quantities(text) for v, u in ((q.low, q.unit), (q.high, q.unit))}


@dataclass(frozen=True)
class Quantity:
    """A number (or range) with its unit, what it is about, and whether its clause holds it out of reach."""

    text: str
    low: float
    high: float
    unit: str
    subject: str | None
    limited: bool

    @property
    def dimension(self) -> str:
        return "hours" if self.unit in _HOURS else self.unit

    def span(self) -> tuple[float, float]:
        """The value in the dimension's base unit (hours for durations)."""
        k = _HOURS.get(self.unit, 1)
        return self.low * k, self.high * k


def quantities(text: str) -> list[Quantity]:
    """Every number with a unit in a text, clause by clause."""
    out = []
    for clause in _CLAUSE.split(fold_chars(text)):
        for m in _AMOUNT.finditer(clause):
            low = read_number(m.group(1))
            high = read_number(m.group(2)) if m.group(2) else low
            if low is None or high is None:
                continue
            unit = m.group(3).removeprefix("个") if m.group(3) != "个月" else "个月"
            unit = _UNIT_NAMES.get(unit, unit)
            out.append(Quantity(m.group(0), min(low, high), max(low, high), unit, _subject(clause, *m.span()),
                                bool(_LIMIT.search(clause))))
    return out


def _subject(clause: str, start: int, end: int) -> str | None:
    """What the number is about: the subject word right after it ("2小时内审核", "24小时内为您办理退款"),
    else the nearest one before it ("退款……15个工作日内"), within its part of an enumeration (、)."""
    left = clause.rfind("、", 0, start) + 1
    right = clause.find("、", end)
    part_end = len(clause) if right < 0 else right
    after, before = None, None
    for name, rx in _SUBJECTS:
        for m in rx.finditer(clause, left, part_end):
            if m.start() >= end and m.start() - end <= _AFTER_REACH and (after is None or m.start() < after[0]):
                after = (m.start(), name)
            elif m.end() <= start and (before is None or m.end() > before[0]):
                before = (m.end(), name)
    return after[1] if after else before[1] if before else None


_AFTER_REACH = 8


def conflicting_numbers(reply: str, references: Sequence[str], echoes: Sequence[str] = (),
                        model: str = "", entries: Sequence[str] = ()) -> list[str]:
    """Numbers of the reply that disagree with what the references state about the same subject.

    ``echoes`` (the customer's messages) may be repeated freely, except a number
    the ``model`` reply only states as out of reach. ``entries`` (the cited
    knowledge) count only for numbers with a subject; a number with no subject is
    read the older way: its unit is stated in the references, but never with it.
    """
    near = [q for r in references for q in quantities(r)]
    known = near + [q for r in entries for q in quantities(r)]
    turned_down = [q for q in quantities(model) if q.limited]
    granted = {(q.dimension, q.span()) for q in quantities(model) if not q.limited}
    said = {(q.dimension, q.span()) for e in echoes for q in quantities(e)}
    said_values = {float(n) for e in echoes for n in re.findall(r"\d+(?:\.\d+)?", fold_chars(e))}
    found = []
    for q in quantities(reply):
        alike = any(k.dimension == q.dimension and k.span() == q.span() for k in turned_down)
        if not q.limited and alike and (q.dimension, q.span()) not in granted:
            found.append(q.text)  # granted what the model reply turns down
            continue
        if (q.dimension, q.span()) in said or (q.low == q.high and q.low in said_values):
            continue  # the customer's own number said back
        if q.subject is None:
            same = [k for k in near if k.unit == q.unit]
            if same and not any(q.low in (k.low, k.high) or q.high in (k.low, k.high) for k in same):
                found.append(q.text)
            continue
        stated = [k for k in known if k.dimension == q.dimension and k.subject == q.subject and not k.limited]
        low, high = q.span()
        if q.subject in _SOONER_IS_FINE:
            agrees = any(high <= k.span()[1] for k in stated)
        else:
            agrees = any(k.span()[0] <= high and low <= k.span()[1] for k in stated)
        if stated and not agrees:
            found.append(q.text)
    return sorted(set(found))


_COST = re.compile(r"运费|邮费|快递费|寄回的?费用|来回的?费用|费用")
_CUSTOMER_PAYS = re.compile(
    r"(?:需要|要|得|请|由)?(?:您|客户|顾客|买家)(?:自己|先|这边)?(?:先)?(?:承担|垫付|垫|出|自付|支付|付|自理|掏)|"
    r"(?:运费|邮费|快递费|费用)(?:需要|要|得|就)?(?:由)?(?:您|客户|顾客|买家)(?:自己|先)?(?:来)?(?:出|付|承担|垫)|"
    r"自费|到付|自理")
_SHOP_PAYS = re.compile(
    r"(?:由)?(?:我们|我方|店铺|店里|商家|卖家)(?:这边|来)?(?:承担|出|负责|包|全包|报销|补偿|返还)|"
    r"算(?:在)?(?:我们|店里|店铺)|(?:不用|无需|不需要|不必)您?(?:再)?(?:掏|出|承担|付|花|垫)|"
    r"免费|包邮|免运费|一分钱都不用|不用出一分钱")


def payer(text: str) -> set[str]:
    """Who a text says bears the shipping or return costs: shop, customer or both (empty when silent)."""
    out = set()
    for clause in _CLAUSE.split(fold_chars(text)):
        if not _COST.search(clause):
            continue
        if _SHOP_PAYS.search(clause):
            out.add("shop")
        elif _CUSTOMER_PAYS.search(clause):
            out.add("customer")
    return out


def payer_conflict(reply: str, references: Sequence[str]) -> str | None:
    """"shop" or "customer" when the reply puts the costs on that party and the references on the other."""
    says = payer(reply)
    rule = set().union(*(payer(r) for r in references)) if references else set()
    if len(says) == 1 and len(rule) == 1 and says != rule:
        return next(iter(says))
    return None


def refusals(text: str) -> int:
    """How many refusing words a text holds."""
    return len(_REFUSAL.findall(fold_chars(text)))
