"""Tests for kbsite.phrasing.checker and the shipped lexicon."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from kbsite.phrasing.checker import (
    CATEGORIES,
    LexiconEntry,
    check_text,
    load_lexicon_file,
    parse_lexicon,
)

ROOT = Path(__file__).resolve().parents[2]
LEXICON_PATH = ROOT / "scripts_lib" / "forbidden-phrases.md"
LEXICON = load_lexicon_file(LEXICON_PATH)


def _hits(text: str) -> list[tuple[str, str, str]]:
    return [(text[i.start : i.end], i.phrase, i.category) for i in check_text(text, LEXICON)]


# --- the shipped lexicon ------------------------------------------------------------


def test_lexicon_size_and_categories() -> None:
    counts = Counter(e.category for e in LEXICON)
    assert len(LEXICON) >= 60
    for category in (
        "推诿",
        "冷漠",
        "指责",
        "讽刺",
        "催促",
        "否定",
        "绝对化",
        "模糊",
        "不耐烦",
        "泄露隐私",
    ):
        assert counts[category] >= 3, category
    assert all(e.suggestion and e.severity in ("forbidden", "risky") for e in LEXICON)


@pytest.mark.parametrize(
    "text,phrase,category",
    [
        ("亲，这个不归我管。", "这个不归我管", "推诿"),
        ("这个我也没办法。", "我也没办法", "冷漠"),
        ("明明是你自己弄错的", "是你自己弄错的", "指责"),
        ("这您都不懂吗？", "这您都不懂", "讽刺"),
        ("你到底买不买？", "你到底买不买", "催促"),
        ("不行。", "不行", "否定"),
        ("这个绝对保证质量", "绝对保证", "绝对化"),
        ("可能吧，您再等等", "可能吧", "模糊"),
        ("我已经说过了，退款要等", "我已经说过了", "不耐烦"),
        ("您加我微信，我私下处理", "加我微信", "泄露隐私"),
        ("好评返现5元哦", "好评返现", "违规承诺"),
    ],
)
def test_each_category_is_caught(text: str, phrase: str, category: str) -> None:
    assert (phrase, category) in [(p, c) for _, p, c in _hits(text)]


@pytest.mark.parametrize(
    "text,matched",
    [
        ("这个不归 我管", "这个不归 我管"),
        ("不归，我管", "不归，我管"),
        ("這個不歸我管", "這個不歸我管"),
        ("这个不归\u200b我管", "这个不归\u200b我管"),
        ("保证１００％没问题", "１００％没问题"),
        ("你到底买 不 买", "你到底买 不 买"),
        ("您ＡＤＤ我微信", None),
    ],
)
def test_variants_are_caught_with_offsets_into_original(text: str, matched: str | None) -> None:
    hits = check_text(text, LEXICON)
    if matched is None:
        assert hits == []
        return
    assert hits, text
    first = hits[0]
    assert text[first.start : first.end] == matched


def test_offsets_after_emoji_and_astral_characters() -> None:
    text = "😀🎉𠮷👍🏻 您好！這個不歸我管😀"
    [issue] = check_text(text, LEXICON)
    assert text[issue.start : issue.end] == "這個不歸我管"
    assert issue.start == text.index("這")
    assert issue.severity == "forbidden" and issue.suggestion


def test_full_width_and_traditional_privacy_phrase() -> None:
    text = "麻煩把驗證碼發給我"
    [issue] = check_text(text, LEXICON)
    assert (issue.phrase, text[issue.start : issue.end]) == ("把验证码发给我", "把驗證碼發給我")


@pytest.mark.parametrize(
    "text",
    [
        "请输入这个数的绝对值。",
        "您不知道怎么操作的话，我来一步步教您。",
        "如果您不知道订单号，我可以用手机号帮您查。",
        "不行的话我们换一个方案。",
        "有没有其他颜色呢？我帮您看看。",
        "客服这边不单独改价，还请您谅解。",
        "请不要在聊天中发送完整的银行卡号、支付密码或短信验证码。",
        "我们的客服任何时候都不会向您索要验证码。",
        "没办法及时回复您，非常抱歉，我现在马上处理。",
        "好的哦，我马上为您查询。",
        "我不知道的地方会先核实再答复您。",
        "第一时间为您处理。",
        "麻烦您拍一下问题部位的照片。",
    ],
)
def test_ordinary_sentences_are_not_flagged(text: str) -> None:
    assert _hits(text) == []


def test_context_rules_still_flag_the_cold_form() -> None:
    assert [p for _, p, _ in _hits("这个我也不知道。")] == ["我也不知道"]
    assert [p for _, p, _ in _hits("我不知道")] == ["我不知道"]
    assert [p for _, p, _ in _hits("没有。")] == ["没有"]
    assert [p for _, p, _ in _hits("真没办法啊！")] == ["真没办法"]
    assert [p for _, p, _ in _hits("这个我给您改价吧")] == ["给您改价"]


def test_longest_match_wins_and_results_are_in_order() -> None:
    text = "你去找别人吧，这个不归我管，我也没办法。"
    assert [p for _, p, _ in _hits(text)] == ["你去找别人", "这个不归我管", "我也没办法"]


# --- validation ---------------------------------------------------------------------------

GOOD = {"phrase": "不归我管", "category": "推诿", "suggestion": "我来帮您", "severity": "forbidden"}


@pytest.mark.parametrize(
    "bad,message",
    [
        ({"category": "推诿", "suggestion": "x", "severity": "forbidden"}, "缺少 phrase"),
        ({**GOOD, "category": "骂人"}, "类别「骂人」"),
        ({**GOOD, "severity": "high"}, "severity"),
        ({**GOOD, "suggestion": ""}, "suggestion"),
        ({**GOOD, "variants": "不归我们管"}, "variants"),
        ({**GOOD, "variants": ["，。"]}, "只有标点"),
        ({**GOOD, "position": "start"}, "position"),
        ({**GOOD, "unless_follow_by": ["的话"]}, "不认识的键"),
        ("不归我管", "映射"),
    ],
)
def test_invalid_entry_is_reported_by_number(bad: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_lexicon({"entries": [GOOD | {"phrase": "别的"}, bad]})
    assert "第 2 条" in str(info.value) and message in str(info.value)


def test_duplicate_wordings_across_entries_are_rejected() -> None:
    other = {**GOOD, "phrase": "不歸 我管"}
    with pytest.raises(ValueError, match="重复"):
        parse_lexicon({"entries": [GOOD, other]})


def test_missing_entries_list_is_rejected() -> None:
    with pytest.raises(ValueError, match="entries"):
        parse_lexicon({"title": "x"})


def test_parse_builds_entries() -> None:
    [entry] = parse_lexicon({"entries": [{**GOOD, "variants": ["不关我事"], "note": "n"}]})
    assert entry == LexiconEntry("不归我管", "推诿", "我来帮您", "forbidden", ("不关我事",), "n")
    assert set(CATEGORIES) >= {e.category for e in LEXICON}


def test_load_lexicon_file_rejects_missing_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("没有前置元数据", encoding="utf-8")
    with pytest.raises(ValueError, match="---"):
        load_lexicon_file(path)


# --- zero false positives on the template library -------------------------------------


def _template_texts() -> list[tuple[str, str]]:
    texts = []
    for path in sorted((ROOT / "scripts_lib").glob("*/*.md")):
        raw = path.read_text(encoding="utf-8-sig")
        end = raw.find("\n---\n", 4)
        meta = yaml.safe_load(raw[4:end]) or {}
        rel = str(path.relative_to(ROOT))
        texts.append((rel, raw[end + 5 :]))
        for channel, variant in (meta.get("variants") or {}).items():
            texts.append((f"{rel}#{channel}", str(variant)))
    return texts


TEMPLATES = _template_texts()


def test_template_library_is_present() -> None:
    assert len(TEMPLATES) >= 50


@pytest.mark.parametrize("where,text", TEMPLATES, ids=[w for w, _ in TEMPLATES])
def test_templates_have_no_issues(where: str, text: str) -> None:
    assert _hits(text) == []


# --- issue 13: lexicon additions and removals -------------------------------------------


@pytest.mark.parametrize(
    "text,phrase,severity",
    [
        ("这个我真不知道。", "我真不知道", "forbidden"),
        ("快递的事我们管不了", "我们管不了", "forbidden"),
        ("好评送积分哦", "好评送积分", "forbidden"),
        ("五星好评送20积分", "五星好评送", "forbidden"),
        ("好評返現5元", "好评返现", "forbidden"),
        ("这是全网最低价", "全网最低价", "forbidden"),
        ("顶级面料，放心买", "顶级", "forbidden"),
        ("国家级品质", "国家级", "forbidden"),
        ("这款效果最佳", "最佳", "forbidden"),
        ("我们家销量第一", "销量第一", "forbidden"),
    ],
)
def test_issue13_additions_are_caught(text: str, phrase: str, severity: str) -> None:
    assert [(i.phrase, i.severity) for i in check_text(text, LEXICON)] == [(phrase, severity)]


@pytest.mark.parametrize(
    "text",
    [
        "给您便宜点，用这张券下单更划算。",
        "大概率明天就能送到，我会帮您盯着物流。",
        "第一时间为您处理。",
        "请问您是第一次在我们店购买吗？",
        "第一步，打开订单详情页。",
        "这款零食的最佳赏味期是开封后7天。",
    ],
)
def test_issue13_no_longer_flagged(text: str) -> None:
    assert _hits(text) == []
