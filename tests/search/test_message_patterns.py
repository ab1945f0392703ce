"""What a message says without the library's word: a wrong item (发错), contacting again and again (反复联系)."""

from __future__ import annotations

import pytest

from kbsite.search import SearchDoc
from kbsite.search.query import plan_query

from .conftest import slugs

D = SearchDoc.make

SHOP = [
    D(slug="wrong-item", type="faq", category="售后/发错货", title="收到的商品发错了怎么办？",
      tags=["发错货", "错发"], summary="核实后免费补发正确商品，错发的商品由我们安排上门取回。",
      body="请顾客拍下收到的商品和吊牌，客服核对订单后补发。"),
    D(slug="size-exchange", type="faq", category="售后/换货", title="尺码不合适可以换吗？",
      tags=["换货", "换尺码"], summary="签收后7天内吊牌完好可以换其他尺码，来回运费按政策承担。",
      body="在订单页申请换货，选择想要的尺码。"),
]


def _says(engine, text: str, phrase: str) -> bool:
    plan = plan_query(text, engine._tk, engine._scanner, engine._synonyms)
    return any(c.text == phrase or phrase in c.variants for c in plan.concepts)


def _says_wrong_item(engine, text: str) -> bool:
    return _says(engine, text, "发错")


@pytest.mark.parametrize("text", [
    "你好，我收到的是黑色，我下单的明明是白色，能赶紧给我换吗",
    "收到的是M码我拍的L码",
    "我买的是黑色L码的卫衣，结果收到的是灰色M码，吊牌都没拆",
    "收到的款式跟我订的不一样",
    "我要的蓝色给我寄了个红的来",  # 红的 for 红色; 寄了个…来 for 收到
])
def test_another_colour_or_size_than_ordered_is_a_wrong_item(corpus_engine, text):
    assert _says_wrong_item(corpus_engine, text)


@pytest.mark.parametrize("text", [
    "买的M码收到了有点小，能换L码吗",  # the second size is the one wanted next
    "收到的白色有点透，我想换个黑色",
    "我买的衣服收到了，怎么退",
])
def test_an_exchange_request_is_not_a_wrong_item(corpus_engine, text):
    assert not _says_wrong_item(corpus_engine, text)


def test_the_wrong_item_entry_comes_first(engine):
    engine.upsert(SHOP)
    assert slugs(engine.search("你好 刚拿到货 打开一看是黑色的 我下单选的明明是白色 现在怎么弄"))[0] == "wrong-item"
    assert slugs(engine.search("买的M码收到了有点小，能换L码吗"))[0] == "size-exchange"


@pytest.mark.parametrize("text, repeated", [
    ("我已经第四次找你们了！！每次都说帮我查，一个礼拜了什么结果都没有", True),
    ("这都是我第三次联系你们了，每次都说会有人跟进", True),
    ("问了好几次都没人回", True),
    ("第二次购买了，这次能便宜点吗", False),  # a second purchase, not a second complaint
    ("我想问一下退货怎么寄", False),
])
def test_contacting_again_and_again(corpus_engine, text, repeated):
    assert _says(corpus_engine, text, "反复联系") is repeated


@pytest.mark.parametrize("text, fewer", [
    ("在吗？我一共买了三样，箱子里只有两样，收纳盒没见着", True),
    ("一套三个只来了俩", True),
    ("拍了两件只收到一件", True),
    ("买了两件衣服，只有这件有点小", False),  # only this one is small: no count of what came
    ("只有这个颜色吗", False),
])
def test_fewer_came_than_were_bought(corpus_engine, text, fewer):
    assert _says(corpus_engine, text, "少件") is fewer


@pytest.mark.parametrize("text, past", [
    ("你好我想退货，不过已经签收十天了，之前出差刚回来才拆开看", True),
    ("都过了半个月了还能退不", True),
    ("买了两周了能换吗", True),
    ("都过了一个多月了还能退不", True),  # 一个多月 as well as 一多个月
    ("签收三天了能退吗", False),  # inside the seven days
    ("收货15天内质量问题能退吗", False),  # a rule asked about, not a date
    ("收到十天了还没用过", False),  # no return or exchange asked for
])
def test_a_return_asked_for_after_seven_days(corpus_engine, text, past):
    assert _says(corpus_engine, text, "过了七天") is past


@pytest.mark.parametrize("text, fits", [
    ("衣裳小了换得到伐", False),
    ("鞋子有点小了能换吗", False),
    ("裤子太紧了想换大一码", False),
    ("手机屏幕小了点", True),  # not something worn
    ("衣服收到了很喜欢", True),
])
def test_something_worn_that_does_not_fit(corpus_engine, text, fits):
    assert _says(corpus_engine, text, "尺码不合适") is not fits
