"""Segmentation, folding and pinyin helpers."""

from __future__ import annotations

from kbsite.search.analysis import (
    ChineseTokenizer,
    analyzer_version,
    normalise_words,
    pinyin_keys,
    query_words,
    segmenter,
    title_initials,
)

from .conftest import WORDS


def _tokens(text: str, words=WORDS) -> list[str]:
    return [t.text for t in ChineseTokenizer(normalise_words(words))(text)]


def test_dictionary_words_stay_whole():
    tk = segmenter(normalise_words(WORDS))
    for word in [
        "七天无理由",
        "运费险",
        "极速退款",
        "首问负责制",
        "仅退款",
        "开箱视频",
        "退货运费",
    ]:
        assert word in list(tk.cut(f"关于{word}的问题")), word


def test_without_dictionary_jieba_splits_them():
    tk = segmenter(())
    assert "运费险" not in list(tk.cut("运费险怎么赔"))
    assert "七天无理由" not in list(tk.cut("七天无理由退货"))


def test_tokens_combine_words_and_bigrams():
    tokens = _tokens("退货运费谁出")
    assert "退货运费" in tokens
    assert "退货" in tokens  # bigram: recall does not depend on segmentation
    assert "货运" in tokens


def test_traditional_full_width_and_case_fold():
    assert "运费险" in _tokens("運費險")
    assert "vip" in _tokens("ＶＩＰ会员")
    assert "dsr" in _tokens("DSR评分")
    assert "p0" in _tokens("P0投诉")
    assert "7天" in _tokens("7天无理由")


def test_control_characters_and_punctuation_never_become_tokens():
    tokens = _tokens("退款\x00\x07！！？？…… 「」")
    assert set(tokens) == {"退款"}


def test_query_words_drop_stop_words_and_rejoin_single_characters():
    tk = segmenter(normalise_words(WORDS))
    assert query_words(tk, "我的退款怎么还没到") == ["退款", "没到"]
    assert query_words(tk, "退宽") == ["退宽"]


def test_analyzer_version_tracks_dictionary():
    assert analyzer_version(normalise_words(["退货"])) != analyzer_version(
        normalise_words(["补发"])
    )
    assert analyzer_version(normalise_words(["退货", "補發"])) == analyzer_version(
        normalise_words(["补发", "退货"])
    )


def test_pinyin_helpers():
    assert "yun fei" in pinyin_keys("运废")
    assert "thk" in title_initials(segmenter(()), "退货款到账")
