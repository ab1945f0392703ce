"""Issue 12, second round: confidence on a topic the library never names, homophones of real
words, and the wider customer vocabulary (products, customs, wholesale, price drops, accounts)."""

from __future__ import annotations

import pytest

from kbsite.search import SearchDoc
from kbsite.search.query import FILLER, plan_query
from kbsite.search.ranking import Judgement

from .conftest import slugs

D = SearchDoc.make

LIBRARY = [
    D(slug="diaper-size", type="faq", category="商品/母婴", title="纸尿裤尺码怎么选？", tags=["纸尿裤", "尺码"],
      summary="按宝宝体重选纸尿裤尺码。", body="NB、S、M、L 各码对应的体重见包装。"),
    D(slug="cross-border-tax", type="faq", category="售前/跨境", title="跨境商品的税费谁承担？", tags=["跨境", "税费"],
      summary="跨境商品的进口税费由平台代缴。", body="下单价格已含税费，无需另付。"),
    D(slug="bulk", type="faq", category="售前/价格与优惠", title="批量采购有优惠吗？", tags=["批量采购", "企业采购"],
      summary="一次买 50 件以上可申请批量价。", body="企业采购请联系客服报价。"),
    D(slug="price-protect", type="policy", category="售后/价格", title="价格保护规则", tags=["价保", "退差价"],
      summary="签收后 7 天内降价可申请退差价。", body="同一商品降价后，差价原路退回。"),
    D(slug="account-bind", type="faq", category="账户与隐私", title="手机号被人改绑怎么办？", tags=["账号被盗", "改绑"],
      summary="立即冻结账号并找回。", body="核实身份后恢复原手机号绑定。"),
    D(slug="custom-made", type="policy", category="售后/退换货", title="定制商品不支持七天无理由",
      tags=["定制", "不支持退货"], summary="按要求定制的商品不支持无理由退货。", body="质量问题除外。"),
    D(slug="odor", type="faq", category="售后/质量", title="新商品有异味怎么办？", tags=["异味"],
      summary="新品有轻微异味属正常，通风几天即可。", body="异味严重可申请退换。"),
    D(slug="invoice", type="faq", category="售中/发票", title="怎么申请发票？", tags=["发票", "电子发票"],
      summary="在订单页申请电子发票。", body="发票抬头可以是个人或公司。"),
    D(slug="attitude", type="template", category="话术/投诉安抚", title="客户投诉客服态度差",
      tags=["态度差", "投诉"], summary="先道歉，再说明改进。", body="{{客户称呼}}，非常抱歉让您不愉快。"),
]


@pytest.fixture
def library(engine):
    engine.upsert(LIBRARY)
    return engine


# ---- confidence: the query's most telling word is unknown to the library -----------------------

def _judgement(**kw) -> Judgement:
    base = dict(held=1.0, known=1.0, total=2.0, strong=1, unknown=1, top=20.0)
    return Judgement(**{**base, **kw})


def test_an_unknown_word_more_telling_than_what_the_result_holds_is_not_high():
    # 宽带怎么办理: 办理 (IDF 6.6) is held, 宽带 (9.6) is a real word no entry holds.
    assert _judgement(held_idf=6.6, unknown_idf=9.6).confidence(short=True) == "low"
    # 健身房会员卡怎么退: 健身房 (10.6) is about as telling as the held 会员卡 (11.0), within IDF noise.
    assert _judgement(held_idf=11.0, unknown_idf=10.6).confidence(short=True) == "low"
    # 鞋子挤脚 style: the held word is the telling one; an unknown generic word does not matter.
    assert _judgement(held_idf=12.0, unknown_idf=7.0).confidence(short=True) == "high"
    # Unknown strings that are no dictionary word (Latin, jieba leftovers) leave it as it was.
    assert _judgement(held_idf=6.6, unknown_idf=0.0).confidence(short=True) == "high"


@pytest.mark.parametrize("query", ["宽带发票怎么开", "医保卡发票怎么报销", "健身房发票怎么开"])
def test_a_question_about_a_topic_the_library_never_names_is_not_high(library, query):
    results = library.search(query)
    assert results.confidence != "high"
    assert results.suggestion is None


@pytest.mark.parametrize("query", ["发票怎么开", "电子发票怎么申请", "定制的能退吗"])
def test_questions_the_library_answers_stay_high(library, query):
    results = library.search(query)
    assert results.confidence == "high"


# ---- a slip into another real word: kept as typed, its library homophones looked for -------------

@pytest.mark.parametrize(("query", "expected"), [("有异位", "odor"), ("衣服有点异位", "odor")])
def test_a_correct_word_is_kept_but_its_library_homophone_is_found(library, query, expected):
    plan = plan_query(query, library._tk, library._scanner, library._synonyms)
    typed = [c.text for c in plan.concepts]
    results = library.search(query)
    assert expected in slugs(results)[:3]
    assert results.suggestion is None  # never shown as "did you mean": the word may be right
    assert results.confidence != "high"
    assert "异位" in typed


@pytest.mark.parametrize("word", ["几桶", "两箱", "三罐", "半盒"])
def test_a_count_and_its_measure_word_is_never_corrected(library, word):
    general = library._tk.FREQ.get
    _, _, lexicon = library._phrasing
    with library._readers.reading() as view:
        assert library._slip_corrector(view).correct(word, lambda w: general(w, 0), lexicon) is None


def test_a_word_without_library_homophones_finds_nothing_extra(library):
    assert library.search("空调").confidence == "none"


# ---- the wider customer vocabulary --------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "expected"),
    [("尿不湿选多大的", "diaper-size"), ("海淘关税谁付", "cross-border-tax"), ("100件起批有折扣吗", "bulk"),
     ("刚买就掉价了补钱吗", "price-protect"), ("手机号被人换绑了", "account-bind"), ("这个是定做的能退吗", "custom-made"),
     ("能开个票报账吗", "invoice"), ("你们客服说话太冲了", "attitude"), ("单位名称写错了", "invoice")],
)
def test_customer_words_reach_the_library_terms(library, query, expected):
    assert expected in slugs(library.search(query))[:2]


def test_cantonese_openers_are_filler():
    assert {"点算", "点样", "点办"} <= FILLER


# ---- synonyms no entry holds are not searched, but still highlighted ---------------------------

def test_synonyms_no_entry_holds_are_dropped_from_the_query_but_kept_for_marks(library):
    from kbsite.search.engine import _known, _mark_terms

    plan = plan_query("尿不湿", library._tk, library._scanner, library._synonyms)
    concept = plan.concepts[0]
    every = {concept.text, *concept.variants}
    with library._readers.reading() as view:
        assert _known(library._evaluator(view), library._tk, concept)
    assert "纸尿裤" in concept.variants  # the member this library uses
    assert {"尿片", "拉拉裤"} <= set(concept.absent)  # members no entry holds
    assert set(concept.variants) | set(concept.absent) == every - {concept.text}
    assert every <= set(_mark_terms([concept]))


# ---- general shop vocabulary: money, delivery, after-sales, accounts and electronics ----------

SHOP_WORDS = [
    D(slug="refund-route", type="faq", category="售后/退款", title="退款退到哪里？", tags=["原路退回", "退款"],
      summary="退款按原支付方式原路退回。", body="银行卡支付的退回原银行卡。"),
    D(slug="cod", type="faq", category="售前/支付", title="支持货到付款吗？", tags=["货到付款", "到付"],
      summary="部分地区支持货到付款。", body="结算页可选择货到付款。"),
    D(slug="double-charge", type="faq", category="售中/支付", title="重复扣款怎么办？", tags=["重复扣款", "扣款"],
      summary="重复扣款的款项会原路退回。", body="请提供扣款截图。"),
    D(slug="installment", type="faq", category="售前/支付", title="能分期付款吗？", tags=["分期", "免息"],
      summary="满 1000 元可选 3 期免息。", body="分期手续费以页面为准。"),
    D(slug="buck-passing", type="case", category="案例/投诉", title="推诿引发的投诉", tags=["推诿", "首问负责"],
      summary="接待客服要接下问题并跟进。", body="不要说这个不归我管。"),
    D(slug="anti-fraud", type="faq", category="账户与隐私", title="接到自称客服的电话怎么办？",
      tags=["诈骗电话", "隐私"], summary="客服不会让您转账或索要验证码。", body="请挂断并联系官方客服。"),
    D(slug="return-freight", type="policy", category="售后/运费", title="退货运费谁承担？", tags=["运费承担", "退货运费"],
      summary="质量问题由店铺承担运费，个人原因由买家承担。", body="运费险可抵扣退货运费。"),
    D(slug="serial", type="faq", category="商品/数码", title="怎么查序列号？", tags=["序列号", "imei"],
      summary="在设置-关于本机查看序列号。", body="包装盒侧面也印有序列号。"),
    D(slug="repair-time", type="policy", category="售后/维修", title="维修要多久？", tags=["维修周期", "维修"],
      summary="维修周期一般为 7 个工作日。", body="寄回后我们告知维修进度。"),
    D(slug="order-status", type="faq", category="售中/订单", title="怎么查订单状态？", tags=["订单状态", "查物流"],
      summary="在我的订单里查看状态和物流。", body="也可以把订单号发给客服。"),
    D(slug="wrong-info", type="template", category="话术/致歉", title="答复错误致歉", tags=["答复错误", "致歉"],
      summary="先承认说错，再给出正确信息。", body="{{客户称呼}}，刚才的信息有误，非常抱歉。"),
    D(slug="swelling", type="faq", category="售后/安全", title="电池鼓包了怎么办？", tags=["鼓包", "电池"],
      summary="立即停止使用，联系客服换新。", body="鼓包的电池请勿充电。"),
    D(slug="invoice-title", type="faq", category="售中/发票", title="发票抬头开错了能重开吗？", tags=["开错发票", "发票抬头"],
      summary="可以换开一次。", body="请提供正确的抬头和税号。"),
]


@pytest.fixture
def shop_words(engine):
    engine.upsert(SHOP_WORDS)
    return engine


@pytest.mark.parametrize(
    ("query", "expected"),
    [("钱打回哪张卡", "refund-route"), ("能不能收到货再给钱", "cod"), ("被扣了两回钱", "double-charge"),
     ("能按月供吗", "installment"), ("可以分期零利率嗎", "installment"), ("客服踢皮球", "buck-passing"),
     ("有人说是你们客服让我转账", "anti-fraud"), ("退貨運費由誰負擔", "return-freight"),
     ("串号在哪看", "serial"), ("坏了能返厂吗", "repair-time"), ("修多久能好", "repair-time"),
     ("怎么查件", "order-status"), ("答错了给客户道歉", "wrong-info"),
     ("充电宝肿了", "swelling"), ("开票抬头写岔了", "invoice-title")],
)
def test_general_shop_vocabulary_reaches_the_library_terms(shop_words, query, expected):
    assert slugs(shop_words.search(query))[:1] == [expected]
