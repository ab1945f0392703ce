"""Third, blind round of the shipped vocabulary (content/search/synonyms.md): product nicknames,
parts and faults per category, regional forms (Cantonese, Taiwan, Wu, Sichuan, Northeastern)
of everyday service situations, and words that must not be cut by the new members."""

from __future__ import annotations

import pytest

from kbsite.search import SearchDoc
from kbsite.search.query import plan_query

from .conftest import slugs

D = SearchDoc.make

# Entries written in the library's own terms; the queries below use customers' words.
LIBRARY = [
    D(slug="restart", type="faq", category="售后/数码", title="手机反复自动重启怎么办？", tags=["自动重启", "故障"],
      summary="先备份数据，再恢复出厂设置。", body="仍然自动重启请申请售后检测。"),
    D(slug="washer-spin", type="faq", category="售后/家电", title="洗衣机不脱水怎么处理？", tags=["洗衣机", "不脱水"],
      summary="检查衣物是否偏到一边、排水管是否弯折。", body="仍不脱水请预约上门维修。"),
    D(slug="stove-ignition", type="faq", category="售后/家电", title="燃气灶点不着火", tags=["点不着火"],
      summary="先检查电池和燃气阀门。", body="点火针潮湿时擦干后再试。"),
    D(slug="damp-snack", type="faq", category="售后/食品", title="零食受潮了能退吗？", tags=["受潮"],
      summary="未拆封受潮可申请退换。", body="请拍下包装和生产日期。"),
    D(slug="shoe-rub", type="faq", category="售后/鞋靴", title="新鞋磨脚怎么办？", tags=["磨脚"],
      summary="可用鞋撑撑开，或在七天内换码。", body="磨脚严重可申请换货。"),
    D(slug="leather-peel", type="faq", category="售后/箱包", title="皮包表面掉皮是质量问题吗？", tags=["掉皮"],
      summary="一年内掉皮属质量问题，可申请维修。", body="请拍下掉皮部位。"),
    D(slug="data-leak", type="policy", category="账户与隐私", title="顾客反映信息泄露的处理", tags=["信息泄露", "隐私"],
      summary="先致歉，再登记并升级信息安全组。", body="不得索要验证码。"),
    D(slug="subsidy", type="faq", category="售前/补贴", title="国家补贴未到账怎么办？", tags=["补贴未到账", "国家补贴"],
      summary="补贴在结算时直接抵扣，未抵扣可补登记。", body="请提供订单号。"),
    D(slug="runs-small", type="faq", category="售前/尺码", title="这款尺码偏小吗？", tags=["偏小", "尺码"],
      summary="这款偏小一码，建议拍大一码。", body="按尺码表对照胸围。"),
    D(slug="misdelivery", type="faq", category="售后/物流", title="快递误投到别人家怎么办？", tags=["误投"],
      summary="联系快递核实误投并取回。", body="找不回按丢件处理。"),
    D(slug="going-public", type="template", category="话术/投诉安抚", title="顾客说要曝光时的安抚",
      tags=["曝光"], summary="先共情，再给出处理时限。", body="{{客户称呼}}，非常理解您的心情。"),
    D(slug="sticky-pot", type="faq", category="售后/厨具", title="锅粘锅是什么原因？", tags=["粘锅"],
      summary="开锅养锅后再用，火不要太大。", body="涂层脱落的可申请换新。"),
    D(slug="stripped-screw", type="faq", category="售后/家具", title="螺丝滑丝拧不紧怎么办？", tags=["滑丝"],
      summary="换用配件包里的备用螺丝。", body="缺少配件可申请补发。"),
]


@pytest.fixture
def library(engine):
    engine.upsert(LIBRARY)
    return engine


@pytest.mark.parametrize(
    ("query", "expected", "term"),
    [("手机一直重启咋整", "restart", "自动重启"), ("洗衫机甩不干", "washer-spin", "不脱水"),
     ("煤气炉打唔着火", "stove-ignition", "点不着火"), ("饼干回潮了", "damp-snack", "受潮"),
     ("新鞋好咬脚", "shoe-rub", "磨脚"), ("包包甩皮", "leather-peel", "掉皮"), ("我的个资外泄了", "data-leak", "信息泄露"),
     ("国补没减", "subsidy", "补贴未到账"), ("码数偏小吗", "runs-small", "偏小"), ("快递派错地址了", "misdelivery", "误投"),
     ("再不处理我就找记者", "going-public", "曝光"), ("锅黐底", "sticky-pot", "粘锅"),
     ("螺丝秃噜扣了", "stripped-screw", "滑丝")],
)
def test_customer_words_of_the_third_round_reach_the_library_terms(library, query, expected, term):
    plan = plan_query(query, library._tk, library._scanner, library._synonyms)
    assert any(term == c.text or term in c.variants for c in plan.concepts)  # by the vocabulary, not by chance
    assert slugs(library.search(query))[:1] == [expected]


@pytest.mark.parametrize("word", ["医保卡", "社保卡", "滋补品", "人工费", "拳打脚踢", "电灯泡"])
def test_common_longer_words_stay_whole(library, word):
    plan = plan_query(word, library._tk, library._scanner, library._synonyms)
    assert [c.text for c in plan.concepts] == [word]


@pytest.mark.parametrize(
    ("query", "kept", "not_cut"),
    [("怎么量尺码", "尺码", "量尺"), ("想换奶瓶", "奶瓶", "换奶"), ("码数大小怎么选", "码数", "码数大"),
     ("蓝牙连键盘", "键盘", "连键"), ("指示灯闪烁", "指示灯", "灯闪")],
)
def test_new_members_do_not_cut_the_word_next_to_them(library, query, kept, not_cut):
    texts = [c.text for c in plan_query(query, library._tk, library._scanner, library._synonyms).concepts]
    assert kept in texts
    assert not_cut not in texts
