"""Issue 12: regional folding, shipped vocabulary, key terms, script preference, facets, confidence."""

from __future__ import annotations

import pytest

from kbsite.search import SearchDoc
from kbsite.search.analysis import query_words
from kbsite.search.query import FILLER, plan_query
from kbsite.search.regional import fold_regional, script_of

from .conftest import slugs

D = SearchDoc.make

SHOP = [
    D(slug="delivery-area", type="faq", category="售前/物流配送", title="能送到我这里吗？偏远地区发货吗？",
      tags=["配送范围", "偏远地区", "新疆", "西藏", "港澳台", "海外"],
      summary="新疆、西藏等偏远地区可以发货，时效稍长；港澳台和海外暂不支持。",
      body="偏远地区可能需要补运费。港澳台地区暂不配送。"),
    D(slug="specify-courier", type="faq", category="售前/物流配送", title="可以指定快递公司吗？",
      tags=["指定快递", "快递公司", "顺丰", "中通", "邮政"], summary="默认中通，可备注顺丰，需补差价。",
      body="仓库默认发中通快递，偏远地区发邮政。"),
    D(slug="payment-methods", type="faq", category="售前/支付", title="支持哪些付款方式？",
      tags=["支付方式", "微信支付", "支付宝", "信用卡", "花呗"], summary="支持微信支付、支付宝、银行卡和花呗。",
      body="大额订单可以使用花呗分期。"),
    D(slug="promotion-plan", type="policy", category="服务规范/大促保障", title="大促期间服务保障预案",
      tags=["大促", "双11", "618大促"], summary="大促期间客服排班与发货时效。", body="双11和618期间发货时效延长到72小时。"),
    D(slug="account-security", type="faq", category="账户与隐私", title="我的账号被盗了怎么办？",
      tags=["账号被盗", "冻结账号", "改密码"], summary="立即修改密码，联系客服冻结账户。", body="账户异常登录时请先冻结。"),
    D(slug="invoice", type="faq", category="售中/发票", title="可以开发票吗？", tags=["发票", "电子发票"],
      summary="下单后可在订单页申请电子发票。", body="发票抬头可以是个人或公司。"),
    D(slug="size-guide", type="faq", category="售前/商品咨询", title="尺码怎么选？", tags=["尺码", "尺码表"],
      summary="参考尺码表，按身高体重选码。", body="偏大偏小请看评价。"),
    D(slug="gift", type="faq", category="售前/价格与优惠", title="赠品怎么领？", tags=["赠品", "满减"],
      summary="满额自动送赠品。", body="赠品随主商品一起发出，发货后不能再补。发货发货发货。"),
    D(slug="lost", type="faq", category="售后/物流", title="快递丢了怎么办？", tags=["丢件", "包裹丢失"],
      summary="核实后补发或退款。", body="丢件由我们先行赔付。"),
    D(slug="lost-hant", type="faq", category="售后/物流", title="快遞丟了怎麼辦？", tags=["丟件", "包裹丟失"],
      summary="核實後補發或退款。", body="丟件由我們先行賠付。"),
    D(slug="lost-claims", type="policy", category="售后/物流", title="物流理赔规则", tags=["丢件", "理赔"],
      summary="丢件与破损的理赔标准。", body="丢件按订单金额赔付。"),
]


@pytest.fixture
def shop(engine):
    engine.upsert(SHOP)
    return engine


# ---- regional folding -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "folded"),
    [("帳戶", "账户"), ("帳號被盜", "账号被盗"), ("轉帳", "转账"), ("軟體", "软件"), ("滑鼠壞了", "鼠标坏了"),
     ("網路", "网络"), ("帐户", "账户"), ("帳篷", "帐篷"), ("蚊帳", "蚊帐"), ("ＶＩＰ", "vip"), ("退貨", "退货")],
)
def test_regional_wording_folds_to_mainland_terms(text, folded):
    assert fold_regional(text) == folded


def test_script_of_text():
    assert script_of("退貨運費") == "hant"
    assert script_of("退货运费") == "hans"
    assert script_of("退款 VIP") is None


def test_hong_kong_and_taiwan_wording_reaches_mainland_entries(shop):
    assert slugs(shop.search("帳戶被凍結了"))[0] == "account-security"
    assert slugs(shop.search("帳號被盜"))[0] == "account-security"
    assert slugs(shop.search("收唔到貨，快遞係咪丟咗"))[0] in ("lost", "lost-hant")


# ---- shipped vocabulary: abbreviations, couriers, payment, places, promotion days -------

@pytest.mark.parametrize(
    ("query", "expected"),
    [("JD京东能到吗", "specify-courier"), ("能发极兔吗", "specify-courier"), ("EMS能寄吗", "specify-courier"),
     ("西藏能发吗", "delivery-area"), ("内蒙古能送到吗", "delivery-area"), ("澳门可以寄吗", "delivery-area"),
     ("台湾能发货吗", "delivery-area"), ("白条可以分期吗", "payment-methods"), ("先用后付支持吗", "payment-methods"),
     ("双十二有活动吗", "promotion-plan"), ("双十一发货慢吗", "promotion-plan")],
)
def test_abbreviation_courier_payment_and_place_synonyms(shop, query, expected):
    assert expected in slugs(shop.search(query))[:2]


def test_one_customer_word_belongs_to_several_concepts(engine):
    table, _, _ = engine._phrasing
    assert "破损" in table.variants("坏了") and "维修" in table.variants("坏了")
    assert "质量问题" in table.variants("起球") and "质量问题" in table.variants("缩水")


# ---- long and short queries --------------------------------------------------------------

def test_a_pasted_message_keeps_domain_terms_and_drops_filler(engine):
    message = ("你好，我想问下这个衣服的尺码是不是偏小？另外我上次买的时候说好有赠品的，"
               "结果没收到，还有发票也一直没开，麻烦帮我看看这个订单，谢谢你们。")
    plan = plan_query(message, engine._tk, engine._scanner, engine._synonyms)
    terms = [c.text for c in plan.concepts]
    assert not plan.short
    for domain in ("尺码", "赠品", "发票"):
        assert domain in terms or any(domain in engine._phrasing[0].variants(t) for t in terms), terms
    for filler in ("我想问下", "这个", "你好", "问下", "麻烦"):
        assert filler not in terms


def test_fillers_are_known():
    assert {"我想问下", "你好", "在吗", "怎么办"} <= FILLER


def test_a_short_query_does_not_require_a_generic_word(shop):
    # 问题 and 东西 match most entries and are not the topic: they rank, never filter.
    assert slugs(shop.search("赠品的问题"))[0] == "gift"
    assert slugs(shop.search("发票东西"))[0] == "invoice"


def test_a_single_character_never_outweighs_a_rare_word(shop):
    # The gift entry repeats 发 many times; the place name decides.
    assert slugs(shop.search("西藏能发吗"))[0] == "delivery-area"


def test_latin_and_chinese_are_separate_words(engine):
    words = query_words(engine._tk, "jd京东能到吗")
    assert words[:2] == ["jd", "京东"]
    assert list(engine._tk.cut("jd京东能到吗"))[:4] == ["jd", "京东", "能", "到"]


# ---- script preference and facets --------------------------------------------------------

def test_the_entry_in_the_query_script_ranks_first(shop):
    assert slugs(shop.search("快遞丟了"))[0] == "lost-hant"
    assert slugs(shop.search("快递丢了"))[0] == "lost"


def test_facet_chips_fold_one_concept_and_are_ordered_by_count(shop):
    facets = shop.search("丢件").facets
    tags = facets["tag"]
    assert "丢件" in tags and "丟件" not in tags
    assert tags["丢件"] == 3
    counts = list(tags.values())
    assert counts == sorted(counts, reverse=True)
    assert list(facets["category"].values()) == sorted(facets["category"].values(), reverse=True)


# ---- confidence --------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["发票", "怎么开发票", "尺码怎么选", "快递丢了怎么办", "西藏能发吗"])
def test_answerable_queries_are_high(shop, query):
    assert shop.search(query).confidence == "high"


@pytest.mark.parametrize(
    "query", ["红烧肉怎么做", "你们招聘客服吗，工资多少", "比特币现在什么价格", "高铁票怎么退", "世界杯谁夺冠了"],
)
def test_unanswerable_queries_are_not_high(shop, query):
    results = shop.search(query)
    assert results.confidence in ("low", "none")
    assert results.suggestion is None


def test_nothing_found_is_none(shop):
    assert shop.search("猫咪不吃饭").confidence == "none"
    assert shop.search("").confidence == "none"


def test_promotion_and_size_notation_read_as_their_concepts(engine):
    plan = plan_query("满199减20怎么算", engine._tk, engine._scanner, engine._synonyms)
    assert "满减" in [c.text for c in plan.concepts]
    plan = plan_query("收到的是M码我拍的L码", engine._tk, engine._scanner, engine._synonyms)
    assert "尺码" in [c.text for c in plan.concepts]
