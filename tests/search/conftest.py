"""Shared corpus and engine for the search tests (no Flask, no database)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kbsite.search import SearchDoc, SearchEngine

CONTENT = Path(__file__).resolve().parents[2] / "content" / "search"


def front_matter(name: str) -> dict:
    """Front matter of a content file, loaded as plain strings like the importer does."""
    text = (CONTENT / name).read_text(encoding="utf-8")
    return yaml.load(text.split("---\n")[1], Loader=yaml.BaseLoader)


WORDS = front_matter("dictionary.md")["words"]
SYNONYMS = front_matter("synonyms.md")["groups"]

D = SearchDoc.make

CORPUS = [
    D(
        slug="seven-day-return",
        type="faq",
        category="售后/退换货",
        tags=["退货", "七天无理由", "退换货"],
        title="七天无理由退货怎么申请？",
        summary="签收后7天内、商品完好不影响二次销售，可在订单页申请无理由退货，运费由买家承担。",
        body="顾客签收后七天内可在订单详情页点击申请售后，选择无理由退货。吊牌、包装需完好。",
    ),
    D(
        slug="refund-arrival",
        type="faq",
        category="售后/退款",
        tags=["退款", "到账"],
        title="退款多久到账？",
        summary="退款审核通过后原路退回，银行卡一般1-3个工作日到账，余额即时到账。",
        body="如果顾客反映迟迟没有到账，先核对退款状态，再提供银行受理单号，请顾客联系发卡行查询。",
    ),
    D(
        slug="freight-insurance",
        type="policy",
        category="售后/运费",
        tags=["運費險"],
        title="運費險理賠說明",
        summary="買家退貨時運費險自動理賠，賠付金額按首重計算。",
        body="退貨物流顯示簽收後，保險公司在72小時內將賠付打到買家的支付寶帳戶。",
    ),
    D(
        slug="damaged-parcel",
        type="faq",
        category="售后/物流",
        tags=["破损", "开箱视频", "补发"],
        title="收到商品破损怎么处理？",
        summary="请顾客提供外包装和商品破损照片或开箱视频，核实后补发或退款。",
        body="物流运输中压坏、摔碎的商品，先安抚顾客情绪，收集照片，登记后补发新品，无需寄回。",
    ),
    D(
        slug="logistics-stalled",
        type="faq",
        category="售中/物流",
        tags=["物流停滞", "催单"],
        title="快递物流三天不更新怎么办？",
        summary="物流超过48小时未更新，联系快递公司核实，必要时申请拦截并补发。",
        body="顾客催单时，先查询快递轨迹，告知预计送达时间，并在工单中登记跟进。",
    ),
    D(
        slug="invoice-request",
        type="faq",
        category="售前/发票",
        tags=["发票", "电子发票"],
        title="如何开具电子发票？",
        summary="订单完成后可在订单详情页申请电子发票，需填写发票抬头和税号。",
        body="增值税专用发票需要提供公司名称、税号、开户行和账号，开票后三个工作日内发送到邮箱。",
    ),
    D(
        slug="coupon-rules",
        type="faq",
        category="售前/优惠",
        tags=["优惠券", "满减"],
        title="优惠券使用规则",
        summary="优惠券需在有效期内使用，满足门槛金额后自动抵扣，不可叠加使用。",
        body="顾客说领取的券用不了，先核对券的使用范围和有效期，过期的券无法恢复。",
    ),
    D(
        slug="size-guide",
        type="faq",
        category="售前/商品",
        tags=["尺码"],
        title="衣服尺码怎么选？",
        summary="参考详情页尺码表，按身高体重选择，偏瘦选小一码。",
        body="顾客拿不准尺码时，询问身高、体重和平时穿着习惯，推荐合适的码数。",
    ),
    D(
        slug="complaint-levels",
        type="policy",
        category="投诉/分级",
        tags=["投诉", "P0"],
        title="投诉分级与响应时效",
        summary="P0级群体投诉1小时内响应，P1级平台投诉2小时内响应，P2级普通投诉4小时内响应。",
        body="投诉按影响范围分级，P0需要立即上报主管，执行首问负责制，处理结果24小时内回访。",
    ),
    D(
        slug="negative-review",
        type="case",
        category="投诉/差评",
        tags=["差评", "DSR"],
        title="顾客因发货慢给差评的处理案例",
        summary="主动致歉并说明原因，给予补偿后顾客追评改善，DSR评分回升。",
        body="顾客因延迟发货打了一星差评，客服当天电话回访，送出无门槛优惠券，顾客修改了评价。",
    ),
    D(
        slug="vip-service",
        type="policy",
        category="会员/权益",
        tags=["VIP", "会员"],
        title="VIP会员专属服务",
        summary="VIP会员享受优先发货、专属客服和极速退款。",
        body="VIP顾客申请退款时系统自动审核，极速退款在提交后即时到账。",
    ),
    D(
        slug="greeting-template",
        type="template",
        category="话术/问候",
        tags=["问候"],
        title="首次接待问候语",
        summary="",
        body="您好，欢迎光临{{店铺名}}，我是客服{{客服名}}，请问有什么可以帮您？",
    ),
    D(
        slug="apology-template",
        type="template",
        category="话术/致歉补偿",
        tags=["致歉", "补偿"],
        title="物流延迟致歉话术",
        summary="",
        body="非常抱歉让您久等了，您的包裹因天气原因延误，我们已经为您催促快递，并补偿一张优惠券。",
    ),
    D(
        slug="price-protection",
        type="policy",
        category="售后/价保",
        tags=["价保", "退差价"],
        title="价格保护规则",
        summary="购买后7天内降价，可申请价保退差价。",
        body="价保期内商品降价，顾客提交申请后系统自动计算差额并原路退回。",
    ),
    D(
        slug="exchange-process",
        type="faq",
        category="售后/退换货",
        tags=["换货", "退换货"],
        title="换货流程说明",
        summary="签收后15天内质量问题可申请换货，寄回后仓库验收再发出新商品。",
        body="顾客想换一个颜色或尺码时，在订单页提交换货申请，运费险可抵扣寄回运费。",
    ),
    D(
        slug="human-agent",
        type="faq",
        category="售前/咨询",
        tags=["人工客服", "转人工"],
        title="如何转人工客服？",
        summary="在对话中发送“转人工”即可接入人工客服，工作时间9:00-21:00。",
        body="非工作时间留言，人工客服上班后按顺序回复。",
    ),
]

DRAFT = D(
    slug="refund-arrival",
    status="draft",
    type="faq",
    category="售后/退款",
    tags=["退款", "到账"],
    title="退款多久到账？（修订中）",
    summary="退款审核通过后原路退回，银行卡一般1-5个工作日到账。",
    body="新规：节假日顺延。",
    version=2,
)
ONLY_DRAFT = D(
    slug="new-policy-draft",
    status="draft",
    type="policy",
    category="售后/退款",
    tags=["退款"],
    title="大促期间退款时效（草稿）",
    summary="大促期间退款审核延长到48小时。",
    body="草稿内容。",
    version=1,
)


@pytest.fixture(scope="session")
def corpus_engine(tmp_path_factory) -> SearchEngine:
    """An engine over the shared corpus plus two drafts; tests must not write to it."""
    engine = SearchEngine(tmp_path_factory.mktemp("ix"), words=WORDS, synonyms=SYNONYMS)
    engine.ensure_index()
    engine.rebuild([*CORPUS, DRAFT, ONLY_DRAFT])
    return engine


@pytest.fixture
def engine(tmp_path) -> SearchEngine:
    """A fresh, empty engine of its own."""
    engine = SearchEngine(tmp_path / "ix", words=WORDS, synonyms=SYNONYMS)
    engine.ensure_index()
    return engine


def slugs(results) -> list[str]:
    """Slugs of the hits, in rank order."""
    return [h.slug for h in results.hits]
