"""The character-level fallback: an unknown word reaches library words sharing a telling character."""

from __future__ import annotations

import pytest

from kbsite.search import SearchDoc
from kbsite.search.related import CharNeighbours, general_char_shares
from kbsite.search.slips import KNOWN_FREQ

from .conftest import slugs

D = SearchDoc.make

# A home-goods shop: 灯 (lamps) is in one word of the library, 电 in many, 子 is a suffix.
# Every body mentions 售后: in a query, that word finds every entry and ranks none first.
SHOP = [
    D(slug="lamp-install", type="faq", category="售后/安装", title="灯具安装收费标准", tags=["灯具", "安装费"],
      summary="吊灯、吸顶灯上门安装按盏收费。", body="师傅上门前会电话确认时间。售后请联系客服。"),
    D(slug="invoice", type="faq", category="售前/发票", title="如何开电子发票", tags=["电子发票"],
      summary="订单完成后可申请电子发票。", body="发票发送到邮箱。售后请联系客服。"),
    D(slug="battery", type="faq", category="售后/商品", title="电池不耐用怎么办", tags=["电池", "充电"],
      summary="电池续航短可申请检测。", body="充电器请用原装。售后请联系客服。"),
    D(slug="phone-contact", type="faq", category="售前/咨询", title="客服电话是多少", tags=["电话", "热线"],
      summary="热线电话工作日九点到晚九点。", body="也可在线留言。售后请联系客服。"),
    D(slug="power-cut", type="faq", category="售后/商品", title="家里停电了电器能退吗", tags=["停电", "电器"],
      summary="停电造成的损坏不属质量问题。", body="电压不稳请加稳压器。售后请联系客服。"),
    D(slug="packing-box", type="faq", category="售后/物流", title="箱子压扁了还能收吗", tags=["箱子", "外包装"],
      summary="外包装压扁但商品完好可以签收。", body="先拍照再签收。售后请联系客服。"),
    D(slug="coupon", type="faq", category="售前/优惠", title="优惠券怎么用", tags=["优惠券", "满减"],
      summary="优惠券在有效期内满足门槛自动抵扣。", body="不可叠加使用。售后请联系客服。"),
]


@pytest.fixture
def shop(engine):
    engine.upsert(SHOP)
    return engine


def test_unknown_word_reaches_the_library_word_sharing_its_telling_character(shop):
    found = shop.search("电灯的售后")  # no entry says 电灯; 灯具 shares 灯, which few library words hold
    assert slugs(found)[0] == "lamp-install"


def test_a_query_of_unknown_words_only_finds_related_entries_but_says_it_has_no_answer(shop):
    # Nothing the library holds: the shared character is all there is, shown as no direct answer.
    found = shop.search("电灯")
    assert slugs(found)[0] == "lamp-install"
    assert found.confidence == "low" and found.suggestion is None


def test_a_common_character_does_not_drag_in_unrelated_entries(shop):
    # 电 is in many of this library's words (电子, 电池, 电话, 停电 …): it tells nothing here.
    top = slugs(shop.search("电灯的售后"))[:2]
    assert not {"invoice", "battery", "phone-contact", "power-cut"} & set(top)



def test_an_answer_found_only_by_a_shared_character_is_never_high(shop):
    found = shop.search("兑换券的售后")  # 券: the coupon entry is the right place, but only by a character
    assert slugs(found)[0] == "coupon"
    assert found.confidence == "low"
    # An unanswerable question stays unanswered with confidence, fallback or not.
    assert shop.search("台灯的售后能用多少年").confidence != "high"


def test_function_and_hub_characters_are_not_informative(shop):
    with shop._readers.reading() as view:
        corrector = shop._slip_corrector(view)
        is_word = lambda w: shop._tk.FREQ.get(w, 0) >= KNOWN_FREQ  # noqa: E731 - as the engine judges
        neighbours = CharNeighbours(corrector.parts, is_word, general_char_shares(shop._tk))
        assert neighbours.informative("灯") > 0
        assert neighbours.informative("的") == 0  # a function character
        assert neighbours.informative("子") == 0  # builds too many general words
        assert neighbours.related("橙子", corrector.frequency) == []  # so 橙子 is not 箱子
        assert neighbours.informative("电") == 0  # in too many of this library's words
        assert neighbours.related("啥时候", corrector.frequency) == []  # made of function words only
        assert len(neighbours.related("电灯泡", corrector.frequency)) <= 3
