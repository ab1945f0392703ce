"""What a customer's message says without the library's word for it.

A customer rarely writes 发错 or 少件; they write 收到的是黑色，我拍的是白色 or 买了三样只有两样.
Each pattern here recognises one such way of putting a common case and names the phrase the
library (and its synonym groups) uses for it, so the query plan can add that phrase as a concept.
Plain functions over folded text: no index, no vocabulary.
"""

from __future__ import annotations

import re

from kbsite.numerals import read_number

_PROMOTION = re.compile(r"满\s*\d+\s*(?:元|块)?\s*[减送返]\s*\d+")
_SIZE_WORD = r"(?:x{0,3}[sml]|\d{2,3})\s*码"  # M码, XL码, 38码
# 黑色 or, as customers say it, 红的 (a colour word before 的 names the item's colour)
_COLOUR_WORD = r"([黑白灰红蓝绿黄紫粉棕咖米橙金银])(?:色|的)"
_SIZE = re.compile(rf"(?<![a-z]){_SIZE_WORD}")
# 鞋子小了, 裤子有点紧, 衣裳大咗: something worn that does not fit (尺码不合适), said of the thing itself
_WORN = (r"衣服|衣裳|裤子|裙子|鞋子|鞋|靴子|外套|上衣|衬衫|毛衣|卫衣|t恤|袜子|帽子|内衣|文胸|手套|戒指|手镯|"
         r"手链|表带|腰带|皮带|泳衣|睡衣|羽绒服|大衣|夹克|棉服|马甲|背心|裤|裙")
_NOT_FITTING = re.compile(rf"(?:{_WORN})[^，。！？,.!?]{{0,3}}?(?:有点|有些|太|偏|稍微)?(?:小|大|紧|松|肥|窄)(?:了|咗|啦)")
# 第四次找你们, 问了三次: contacting again and again
_REPEATED = re.compile(r"第[二三四五六七八九十几\d]+次(?:来)?(?:找|联系|问|咨询|打|催|留言|反映)"
                       r"|(?:找|联系|问|咨询|打|催|留言|反映)了?(?:[二三四五六七八九十\d]+|好几|无数)[次回遍]")
# 买了三样，箱子里只有两样 / 一套三个只来了俩: fewer came than were bought
_BOUGHT_SOME = re.compile(r"(?:买|拍|订|下单|一共|一套|总共)了?[两二三四五六七八九十\d]+[个件样瓶双套盒包支本台]")
_ONLY_SOME = re.compile(r"只(?:有|到了?|收到了?|来了?|寄了?|发了?)(?:[一两二三四五六七八九\d]+[个件样瓶双套盒包支本台]?|俩|仨)")
# 签收十天了还能退吗: a return asked for past the seven days of 七天无理由
_SINCE = re.compile(r"(?:签收|收到|收货|到货|到手|买|拿到|过了)[^，。！？,.!?]{0,4}?(?:了|有)?(?:快|都|已经)?"
                    r"([一二两三四五六七八九十\d]+|半)(?:多|来)?(?:个)?(?:多|来)?(天|周|星期|礼拜|月)(?![内以之])")
_RETURN_VERB = re.compile(r"退|换")
_UNIT_DAYS = {"天": 1, "周": 7, "星期": 7, "礼拜": 7, "月": 30}
# Got one thing, ordered another: a receiving verb, an ordering verb and two different colours or
# sizes (not counting the one wanted next: 换成黑色), or "not what I ordered" said outright.
_RECEIVED = re.compile(r"收到|到手|拿到|(?:寄|送|发)(?:了[^，。！？,.!?]{0,4})?(?:来|过来)|给我(?:寄|发|送)")
_ORDERED = re.compile(r"下单|拍的|订的|买的|选的|点的|要的")
_COLOUR = re.compile(_COLOUR_WORD)
_WANTED = re.compile(rf"换(?:成|个|一个|一件|一双)?(?:{_COLOUR_WORD}|{_SIZE_WORD})")
_NOT_AS_ORDERED = re.compile(
    r"(?:跟|和|与|同)(?:我|我们)?(?:订|下单|拍|买|选|要)的[^，。！？,.!?]{0,4}(?:不一样|不同|不符|不对)")


def implied_phrases(text: str) -> list[str]:
    """The library's phrases for the cases a folded message describes in its own words."""
    found: list[str] = []
    if _PROMOTION.search(text):  # 满199减20, 每满300减30
        found.append("满减")
    if _SIZE.search(text):
        found.append("尺码")
    if _NOT_FITTING.search(text):
        found.append("尺码不合适")
    if _REPEATED.search(text):
        found.append("反复联系")
    if _BOUGHT_SOME.search(text) and _ONLY_SOME.search(text):
        found.append("少件")
    if past_seven_days(text):
        found.append("过了七天")
    if not_as_ordered(text):
        found.append("发错")
    return found


def past_seven_days(text: str) -> bool:
    """Whether a return or exchange is asked for more than seven days after the parcel came."""
    if not _RETURN_VERB.search(text):
        return False
    for number, unit in _SINCE.findall(text):
        amount = read_number(number)
        if amount is not None and amount * _UNIT_DAYS[unit] > 7:
            return True
    return False


def not_as_ordered(text: str) -> bool:
    """Whether the customer says the item received differs from the one ordered."""
    if _NOT_AS_ORDERED.search(text):
        return True
    if not (_RECEIVED.search(text) and _ORDERED.search(text)):
        return False
    text = _WANTED.sub(" ", text)
    sizes = {m.group().replace(" ", "") for m in _SIZE.finditer(text)}
    return len(set(_COLOUR.findall(text))) >= 2 or len(sizes) >= 2
