"""Confidence weighs a query's unknown words by kind: a dictionary word no entry holds names
a topic the library may not cover; a fragment jieba does not know is colloquial wording."""

from __future__ import annotations

import pytest

from kbsite.search import SearchDoc
from kbsite.search.ranking import Judgement

D = SearchDoc.make

LIBRARY = [
    D(slug="snack-return", type="policy", category="售后/退换货", title="茶叶、零食支持七天无理由退货吗？",
      tags=["茶叶", "零食", "七天无理由"], summary="未拆封的茶叶和零食支持七天无理由退货。",
      body="已拆封的食品不支持无理由退货，质量问题除外。"),
    D(slug="repair", type="faq", category="售后/维修", title="商品坏了能保修吗？", tags=["保修", "维修"],
      summary="一年内非人为损坏免费保修。", body="寄回检测后维修，约 7 个工作日。"),
    D(slug="address", type="faq", category="售中/订单", title="下单后想改收货地址怎么办？", tags=["改地址"],
      summary="发货前可在订单页修改。", body="发货后请联系快递改派。"),
]


@pytest.fixture
def library(engine):
    engine.upsert(LIBRARY)
    return engine


def _judgement(**kw) -> Judgement:
    base = dict(held=1.0, known=1.0, total=3.0, strong=1, unknown=2, top=2.0)
    return Judgement(**{**base, **kw})


def test_two_unknown_dictionary_words_are_not_high():
    assert _judgement(fragments=0).confidence(short=True) == "low"


def test_unknown_fragments_count_as_half_a_word():
    # 茶叶没拆能退吗 买多了: 拆能 and 买多 are jieba leftovers, not topics.
    assert _judgement(fragments=2).confidence(short=True) == "high"
    # One fragment beside an unknown dictionary word is still more than one word.
    assert _judgement(fragments=1).confidence(short=True) == "low"


def test_a_long_text_may_leave_fewer_words_unknown():
    long = dict(held=4.0, known=4.0, total=6.0, unknown=2)
    assert _judgement(**long).confidence(short=False) == "low"
    assert _judgement(**{**long, "fragments": 2}).confidence(short=False) == "high"


def test_colloquial_fragments_around_a_held_topic_answer_high(library):
    res = library.search("茶叶没拆能退吗 买多了")
    assert res.hits[0].slug == "snack-return"
    assert res.confidence == "high"


def test_unknown_objects_are_not_high(library):
    # 电饭煲 and 微波炉 are dictionary words no entry holds: the 保修 entry answers other objects.
    res = library.search("电饭煲微波炉能保修吗")
    assert res.hits[0].slug == "repair"
    assert res.confidence != "high"
