"""Issue 12: a pasted message ranks by how much of it an entry answers, with words the library holds."""

from __future__ import annotations

import pytest

from kbsite.search import SearchDoc
from kbsite.search.query import plan_query

from .conftest import slugs

D = SearchDoc.make

HUB = [
    D(slug="contact-channels", type="faq", category="售前/联系我们", title="怎么联系客服？人工客服在哪里？",
      tags=["客服", "人工客服", "在线客服", "转人工", "客服电话"],
      summary="在线客服、人工客服和客服电话都可以联系到我们，转人工请输入“人工”。",
      body="客服在线时间9:00-21:00。人工客服繁忙时可留言，客服会尽快回复。客服电话见店铺首页。"),
    D(slug="service-attitude", type="template", category="投诉处理/安抚", title="顾客投诉服务态度差的安抚话术",
      tags=["投诉", "态度差", "敷衍"], summary="先道歉，承认回复敷衍，说明会反馈改进。",
      body="非常抱歉之前的回复让您觉得敷衍，您反映的态度问题我已经记录并反馈给主管。"),
    D(slug="invoice", type="faq", category="售中/发票", title="可以开发票吗？", tags=["发票", "电子发票"],
      summary="下单后可在订单页申请电子发票。", body="发票抬头可以是个人或公司。"),
]

COMPLAINT = ("你们客服是不是都不看消息的？我发了好几条了没人理，客服回复也特别敷衍，"
             "态度太差了，我要投诉刚才那个客服")


@pytest.fixture
def hub(engine):
    engine.upsert(HUB)
    return engine


def test_a_pasted_message_ranks_the_entry_answering_most_of_it_over_a_hub(hub):
    # contact-channels repeats 客服 and its synonyms in every field; the complaint is about 投诉, 态度, 敷衍.
    assert slugs(hub.search(COMPLAINT))[0] == "service-attitude"


def test_a_pasted_message_still_finds_the_hub_when_it_asks_for_it(hub):
    message = "晚上十点多了，你们人工客服还在吗？机器人回答不了，打电话也没有人接，明天几点能找到人工客服？"
    assert slugs(hub.search(message))[0] == "contact-channels"


def test_key_terms_of_a_long_text_are_words_the_library_holds(engine):
    held = {"客服", "投诉", "态度", "敷衍"}
    plan = plan_query(COMPLAINT, engine._tk, engine._scanner, engine._synonyms,
                      lambda word: word in held)
    terms = {c.text for c in plan.concepts}
    groups = {t: {t, *engine._synonyms.variants(t)} for t in terms}
    assert all(groups[t] & held for t in terms), terms
    assert "投诉" in terms or "投诉" in set().union(*groups.values())
    # A pronoun jieba glues to the next character (我发) never competes as if it were a rare word.
    assert "我发" not in {c.text for c in plan_query(COMPLAINT, engine._tk, engine._scanner, engine._synonyms).concepts}


def test_a_short_query_keeps_words_the_library_does_not_hold(engine):
    plan = plan_query("东西放菜鸟柜一晚上坏了", engine._tk, engine._scanner, engine._synonyms,
                      lambda word: word in {"坏了"})
    assert len(plan.concepts) > 1  # a typed sentence's unknown words still match by their characters
