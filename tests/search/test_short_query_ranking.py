"""Issue 12: a short question ranks by how much of it an entry answers, not by one concept's sum."""

from __future__ import annotations

import pytest

from kbsite.search import SearchDoc
from kbsite.search.query import plan_query

from .conftest import slugs

D = SearchDoc.make

HUB = D(slug="contact-channels", type="faq", category="售前/联系我们", title="怎么联系客服？人工客服在哪里？",
        tags=["客服", "人工客服", "在线客服", "转人工", "客服电话"],
        summary="在线客服、人工客服和客服电话都可以联系到我们，转人工请输入“人工”。",
        body="客服在线时间9:00-21:00。人工客服繁忙时可留言，客服会尽快回复。客服电话见店铺首页。")
REFUND_INVOICE = D(slug="refund-invoice", type="faq", category="售后/退款", title="退款后发票怎么处理？",
                   tags=["退款", "发票"], summary="退款完成后原发票作废，部分退款可重开发票。",
                   body="全额退款的订单，电子发票会自动红冲。")
REFUND = D(slug="refund-time", type="faq", category="售后/退款", title="退款多久到账？", tags=["退款"],
           summary="原路退回，一般1-3个工作日到账。", body="退款到账时间以银行为准。")
INVOICE = D(slug="invoice", type="faq", category="售中/发票", title="可以开发票吗？", tags=["发票", "电子发票"],
            summary="下单后可在订单页申请电子发票。", body="发票抬头可以是个人或公司。")


@pytest.fixture
def library(engine):
    engine.upsert([HUB, REFUND_INVOICE, REFUND, INVOICE])
    return engine


def test_an_entry_answering_two_concepts_outranks_a_hub_repeating_one(library):
    # No entry holds all three concepts: the one holding 退款 and 发票 answers more of the
    # question than contact-channels, which repeats 客服 in every field.
    assert slugs(library.search("客服退款发票"))[0] == "refund-invoice"


def test_a_hub_still_answers_a_question_about_it(library):
    assert slugs(library.search("人工客服电话"))[0] == "contact-channels"


def test_of_entries_holding_one_concept_each_the_stronger_match_comes_first(library):
    # 退款 and 发票 are each held by two entries; the entry naming 退款 in title, tags, summary
    # and body matches it more strongly than the one naming it in passing.
    found = slugs(library.search("退款到账"))
    assert found[0] == "refund-time"


@pytest.mark.parametrize(("query", "glued"), [("帮我查一下订单", "我查"), ("我下了两个订单", "我下"), ("我要开发票", "我要")])
def test_a_pronoun_glued_to_the_next_character_is_no_word_of_its_own(engine, query, glued):
    # jieba reads 我查 / 我下 / 我要 as one rare word, which then counted as a key concept held by
    # any case whose dialogue says it; the pronoun is dropped as a modal verb is (能修 → 修).
    concepts = {c.text for c in plan_query(query, engine._tk, engine._scanner, engine._synonyms).concepts}
    assert glued not in concepts
    assert not concepts & {"我", "们"}


def test_a_plural_pronoun_is_not_cut_into_a_stray_character(engine):
    concepts = {c.text for c in plan_query("你们的客服电话", engine._tk, engine._scanner, engine._synonyms).concepts}
    assert "们" not in concepts
