"""Each rule of written-reply grading, on the pure grader (kbsite.training.replygrading)."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from kbsite.training import replygrading
from kbsite.training.quizformat import QuizFormatError, normalize_quiz

QUESTION = """
questions:
  - id: r
    kind: scenario_reply
    chat:
      - {from: customer, text: 快递到了，箱子都压扁了，里面的玻璃杯碎了两个！我的手机号13911112222。}
    key_points:
      - {name: 致歉, phrasings: [抱歉, 对不起, 不好意思]}
      - {name: 请客户提供凭证, phrasings: [照片, 拍照, 拍一下, 图片, 视频]}
      - {name: 给出补发或退款方案, phrasings: [补发, 重新发, 退款, 退钱]}
      - {name: 说明费用由我们承担, phrasings: [运费由我们, 我们承担, 无需寄回, 不用寄回]}
    sample_reply: 非常抱歉！麻烦您拍一下碎掉的杯子发给我，我马上为您补发，运费由我们承担，破损的杯子不用寄回。
"""
GOOD = "非常抱歉！麻烦您拍一下碎掉的杯子发给我，我马上为您补发，运费由我们承担，坏的不用寄回。"
SYNONYMS = (("补发", "补寄", "再发一个"),)
LEXICON = {"你自己看": ("冷漠", "我帮您查看一下", "forbidden"), "100%没问题": ("绝对化", "", "risky")}


def question(**extra):
    meta = yaml.load(textwrap.dedent(QUESTION), Loader=yaml.BaseLoader)
    meta["questions"][0].update(extra)
    return normalize_quiz(meta).questions[0]


def check(text: str) -> list[tuple[str, str, str, str]]:
    return [(p, c, s, sev) for p, (c, s, sev) in LEXICON.items() if p in text]


def assess(reply: str, q=None):
    return replygrading.assess(q or question(), reply, check, SYNONYMS)


def met(result) -> list[str]:
    return [p.name for p in result.points if p.level == "met"]


def codes(result) -> set[str]:
    return {f.code for f in result.flags}


def test_a_model_reply_passes_with_evidence_per_point():
    r = assess(GOOD)
    assert (r.score, r.verdict) == (1.0, "pass")
    assert [p.evidence for p in r.points] == ["抱歉", "拍一下", "补发", "运费由我们"]


def test_own_words_meet_points_through_synonyms_and_concepts():
    r = assess("真是过意不去，让您收到一箱碎杯子。您把外箱和碎杯子截个图传给我，我马上给您补寄两只，"
               "这次所有费用都算我们的，碎的直接处理掉就行。")
    assert met(r) == [p.name for p in question().key_points]
    assert r.verdict == "pass"
    assert {p.how for p in r.points} <= {"phrasing", "synonym", "concept"}


@pytest.mark.parametrize("reply", [
    "不好意思，这个不能给您补发，也没法退款，照片就不用拍了，运费我们也不承担。",
    "抱歉哦，破损的话我们这边不补发也不退款，运费我们不承担，您自己跟快递协商吧。",
])
def test_refusing_a_key_phrase_does_not_meet_the_point(reply):
    r = assess(reply)
    missed = {p.name for p in r.points if p.level != "met"}
    assert {"给出补发或退款方案", "说明费用由我们承担"} <= missed
    assert "negated" in codes(r)
    assert r.verdict == "fail"


def test_a_refusal_phrasing_is_not_undone_by_its_own_negator():
    q = question(key_points=[{"name": "礼貌拒绝透露他人信息", "phrasings": ["无法提供", "不能透露"]},
                             {"name": "引导本人联系", "phrasings": ["本人"]}])
    r = assess("非常抱歉，他人的信息我们无法提供，请让机主本人联系我们。", q)
    assert r.verdict == "pass" and met(r) == ["礼貌拒绝透露他人信息", "引导本人联系"]


def test_text_copied_from_the_customer_earns_nothing():
    r = assess("快递到了，箱子都压扁了，里面的玻璃杯碎了两个！")
    assert "copied" in codes(r) and r.score == 0 and r.verdict == "fail"
    q = question(key_points=[{"name": "复述问题", "phrasings": ["压扁了"]},
                             {"name": "致歉", "phrasings": ["抱歉"]}])
    r = assess("您说箱子都压扁了，非常抱歉给您添麻烦。", q)
    assert [p.level for p in r.points] == ["missed", "met"]
    assert r.points[0].rejected == [("压扁了", "copied")]


@pytest.mark.parametrize("reply", ["抱歉 照片 补发 退款 运费我们承担", "抱歉，照片，补发，运费由我们",
                                   "抱歉/拍照/补发/我们承担"])
def test_a_bare_list_of_phrases_is_salad_and_fails(reply):
    r = assess(reply)
    assert "salad" in codes(r) and (r.score, r.verdict) == (0.0, "fail")


def test_a_reply_with_no_real_sentence_fails():
    r = assess("补发。")
    assert codes(r) & {"no_sentence", "salad"} and r.verdict == "fail"


def test_generic_boilerplate_addressing_nothing_fails():
    r = assess("亲，您的问题我已收到，我们会尽快为您处理，祝您生活愉快！")
    assert "generic" in codes(r) and r.verdict == "fail"


@pytest.mark.parametrize("reply, leak", [
    (GOOD + "另外王丽的手机是13812345678。", "手机号"),
    (GOOD + "她的地址是海淀区中关村大街27号。", "地址"),
    (GOOD + "您要找的订单号是202406129999。", "单号"),
    (GOOD + "上周另一位会员张先生也是这样处理的。", "其他顾客"),
    (GOOD + "之前有位客户（尾号5521的订单）也遇到过。", "其他顾客"),
    ("非常抱歉！请把手机收到的验证码发我一下，我马上补发，运费由我们承担。", "验证码"),
    ("非常抱歉！麻烦告诉我您的支付密码，我拍照核实后补发，运费我们承担。", "密码"),
])
def test_a_privacy_leak_always_fails(reply, leak):
    r = assess(reply)
    assert "privacy" in codes(r) and (r.score, r.verdict) == (0.0, "fail")
    assert any(leak in f.message for f in r.flags)


def test_what_the_customer_gave_and_a_warning_are_not_leaks():
    r = assess(GOOD + "您留的手机号13911112222我已备注。请注意不要把验证码告诉任何人。")
    assert "privacy" not in codes(r) and r.verdict == "pass"


def test_other_customers_mentioned_without_identifying_them_are_not_leaks():
    r = assess(GOOD + "很多顾客也遇到过类似情况，都是这样处理的。")
    assert "privacy" not in codes(r)
    r = assess(GOOD + "之前有位客户也遇到过，处理得很顺利。")
    assert "privacy" not in codes(r)


def test_forbidden_phrase_costs_a_share_and_sends_a_full_reply_to_review():
    r = assess(GOOD + "其他的你自己看。")
    assert r.score == 0.75 and r.verdict == "review" and "forbidden" in codes(r)
    r = assess("抱歉，我们给您补发，你自己看吧。")
    assert r.verdict == "fail"


def test_risky_phrases_count_only_where_the_trainer_says_so():
    reply = GOOD + "100%没问题。"
    assert assess(reply).verdict == "pass" and not assess(reply).hits
    q = question(penalties={"severities": ["forbidden", "risky"]})
    r = assess(reply, q)
    assert r.score == 0.75 and "risky" in codes(r) and r.verdict == "review"


def test_fail_on_hit_fails_outright():
    q = question(penalties={"severities": ["risky"], "fail_on_hit": "true"})
    assert (assess(GOOD + "100%没问题。", q).score, assess(GOOD + "100%没问题。", q).verdict) == (0.0, "fail")
    assert assess(GOOD + "你自己看。", q).verdict == "pass"  # forbidden does not count here
    q = question(penalties={"severities": []})
    assert assess(GOOD + "你自己看。", q).verdict == "pass"


def test_a_contradicting_time_limit_is_not_passed_alone():
    q = question(sample_reply="非常抱歉！麻烦拍一下杯子，我们补发，运费由我们承担，48小时内发出。")
    assert assess(GOOD + "48小时内给您发出。", q).verdict == "pass"
    r = assess(GOOD + "72小时内给您发出。", q)
    assert "policy_number" in codes(r) and r.verdict == "review"


def test_half_the_points_is_for_a_trainer_and_fewer_fail():
    assert assess("非常抱歉，我们马上为您补发一个新的杯子。").verdict == "review"
    assert assess("非常抱歉给您添麻烦了，杯子碎了确实让人心疼。").verdict == "fail"


@pytest.mark.parametrize("penalties, message", [
    ({"severities": ["fatal"]}, "未知的严重程度“fatal”"),
    ({"severities": "forbidden"}, "severities 应为列表"),
    ({"fail_on_hit": "maybe"}, "fail_on_hit 应为 true 或 false"),
    ({"weight": "1"}, "未知字段“weight”"),
    ("yes", "应为 {severities, fail_on_hit} 映射"),
])
def test_penalties_are_validated(penalties, message):
    with pytest.raises(QuizFormatError, match=message):
        question(penalties=penalties)


def test_forbidden_and_penalties_cannot_both_be_given():
    with pytest.raises(QuizFormatError, match="forbidden 与 penalties 只能写一个"):
        question(forbidden="true", penalties={"severities": ["risky"]})
    assert question(forbidden="false").penalties.severities == ()
    assert question(penalties={"severities": ["risky", "forbidden"]}).penalties.severities == ("forbidden", "risky")


def test_the_second_signal_only_turns_a_fail_into_review():
    def close(clauses, anchors) -> float:
        return 0.99

    reply = "杯子碎了还让您碰上箱子压扁这种事，我心里也很不是滋味。"
    assert assess(reply).verdict == "fail"
    lifted = replygrading.assess(question(), reply, check, SYNONYMS, close)
    assert lifted.verdict == "review" and {p.how for p in lifted.points} == {"semantic"}
    assert replygrading.assess(question(), GOOD, check, SYNONYMS, close).verdict == "pass"
    for hard in ("抱歉 照片 补发 退款", "亲，您的问题我已收到，我们会尽快为您处理，祝您生活愉快！",
                 GOOD + "王丽的手机是13812345678。"):
        assert replygrading.assess(question(), hard, check, SYNONYMS, close).verdict == "fail"


def test_the_bundled_model_loads_offline_and_ranks_meaning():
    from kbsite.training.replygrading import semantic

    apology = semantic.similarity(["真是对不住，让您收到碎掉的杯子"], ["致歉", "非常抱歉让您收到破损的商品"])
    unrelated = semantic.similarity(["这款面霜建议先在耳后试用"], ["致歉", "非常抱歉让您收到破损的商品"])
    assert apology > unrelated
    assert semantic.similarity([], ["致歉"]) == 0.0
