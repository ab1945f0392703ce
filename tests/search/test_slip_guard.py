"""Slip correction never rewrites a correct word, and suggests only sensible, better queries."""

from __future__ import annotations

import pytest

from kbsite.search import SearchDoc

from .conftest import slugs

# Everyday and product words a shop's library may never contain: jieba's general dictionary
# (or the shipped vocabulary) knows them, so they must be searched exactly as typed.
_EVERYDAY_TEXT = """
空调 奶粉 充电宝 起球 缩水 白条 分期 冰箱 洗衣机 电视 手机 耳机 键盘 鼠标 显示器 笔记本 平板 相机
音箱 路由器 插座 台灯 电饭煲 微波炉 烤箱 吸尘器 加湿器 热水器 电风扇 吹风机 剃须刀 牙刷 牙膏
洗发水 沐浴露 面膜 口红 香水 防晒霜 卫生纸 纸巾 纸尿裤 奶瓶 玩具 积木 童装 羽绒服 毛衣 衬衫
牛仔裤 连衣裙 运动鞋 拖鞋 袜子 帽子 围巾 手套 背包 行李箱 雨伞 眼镜 手表 项链 戒指 耳环 床单
被子 枕头 窗帘 沙发 桌子 椅子 衣柜 书架 地毯 水杯 保温杯 菜刀 筷子 大米 食用油 牛奶 咖啡
茶叶 零食 坚果 水果 蔬菜 猫粮 狗粮 掉色 褪色 开线 破洞 快递 物流 支付宝 微信 花呗 信用卡
银行卡 打折 包邮 分期付款 先用后付 极兔 中通 圆通 顺丰 西藏 内蒙古 新疆 澳门 台湾 香港 飞机
火车 地铁 医院 学校 公司 老板 老人 孩子 生日 礼物 周末 晚上 早上 明天 昨天 价格 颜色 尺寸
"""
EVERYDAY_WORDS = _EVERYDAY_TEXT.split()


def test_the_list_is_long_enough():
    assert len(set(EVERYDAY_WORDS)) >= 120


def _correction(engine, word: str) -> str | None:
    general = engine._tk.FREQ.get
    _, _, lexicon = engine._phrasing
    with engine._readers.reading() as view:
        return engine._slip_corrector(view).correct(word, lambda w: general(w, 0), lexicon)


@pytest.mark.parametrize("word", EVERYDAY_WORDS)
def test_dictionary_words_stay_as_typed(corpus_engine, word):
    assert _correction(corpus_engine, word) is None
    results = corpus_engine.search(word)
    assert results.suggestion is None


@pytest.mark.parametrize(
    "query",
    ["白条可以分期吗", "充电宝能带上飞机吗", "空调不制冷", "奶粉过期了吗", "毛衣起球了", "衣服缩水了", "JD京东能到吗"],
)
def test_no_suggestion_for_correctly_written_queries(corpus_engine, query):
    assert corpus_engine.search(query).suggestion is None


def test_unknown_strings_are_still_corrected(corpus_engine):
    assert _correction(corpus_engine, "运废") == "运费"
    assert _correction(corpus_engine, "退宽") == "退款"


def test_a_slip_glued_into_a_longer_segment_is_corrected(corpus_engine):
    results = corpus_engine.search("退货运废了")
    assert results.suggestion == "退货运费了"
    assert "freight-insurance" in slugs(results)[:3]


def test_corrections_are_real_words_never_index_bigrams(corpus_engine):
    # 把条 / 分级 were once offered for 白条 / 分期: neither the word nor the suggestion may change.
    for word in ("白条", "分期", "充电", "飞机"):
        assert _correction(corpus_engine, word) is None


def test_a_true_homophone_wins_over_a_merged_sound(engine):
    # zh/z and sh/s are merged by many speakers (投述 → 投诉), but 正频 is zheng-pin exactly like 正品.
    engine.upsert([
        SearchDoc.make(slug="genuine", type="faq", category="售前", title="是正品吗", tags=["正品"]),
        SearchDoc.make(slug="gift", type="faq", category="售前", title="赠品怎么领", tags=["赠品"]),
        SearchDoc.make(slug="gift-2", type="faq", category="售前", title="赠品没收到", tags=["赠品"]),
        SearchDoc.make(slug="complaint", type="faq", category="投诉", title="怎么投诉", tags=["投诉"]),
    ])
    assert _correction(engine, "正频") == "正品"
    assert _correction(engine, "投述") == "投诉"
    results = engine.search("是正频吗")
    assert results.suggestion == "是正品吗"
    assert slugs(results)[0] == "genuine"


def test_library_words_are_heard_by_their_common_reading(engine):
    # 事 can be read zi and 提 shi, so 自提 and 事实 share the reading "zi shi"; an input method
    # offers 事实 only for shi shi, so the correct word 自提 must not become 事实 (nor 其过 激活).
    engine.upsert([
        SearchDoc.make(slug="facts", type="faq", category="售后", title="按事实处理投诉", tags=["事实"]),
        SearchDoc.make(slug="activate", type="faq", category="售后", title="保修卡怎么激活", tags=["激活"]),
        SearchDoc.make(slug="fee", type="faq", category="售后", title="运费谁出", tags=["运费"]),
    ])
    assert _correction(engine, "自提") != "事实"
    assert _correction(engine, "其过") != "激活"
    assert engine.search("可以到店自提吗").suggestion != "可以到店事实吗"
    assert _correction(engine, "运废") == "运费"  # a slip typed with the common readings still is one


def test_a_rare_reading_and_a_merged_pair_never_make_a_homophone(engine):
    # 提 read chi, then zi/zhi merged, made 自提 sound like 支持: "did you mean 可以到店支持吗".
    engine.upsert([
        SearchDoc.make(slug="support", type="faq", category="售前", title="支持货到付款吗", tags=["支持"]),
        SearchDoc.make(slug="swap", type="faq", category="售后", title="怎么换货", tags=["换货"]),
    ])
    assert _correction(engine, "自提") is None
    assert engine.search("可以到店自提吗").suggestion is None
    assert _correction(engine, "还货") == "换货"  # a rare reading that sounds exactly alike still counts
