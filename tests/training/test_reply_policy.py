"""Written replies that state a wrong policy, and the matching rules added with them (issue 13, item 2 c/a).

Pure grader tests: the rule a question teaches is its model reply, its explanation
and the entry it cites; a reply that contradicts them never passes on its own.
"""

from __future__ import annotations

import textwrap

import yaml

from kbsite.training import replygrading
from kbsite.training.quizformat import normalize_quiz
from kbsite.training.replygrading import points, policy

RETURN = """
questions:
  - id: r
    kind: scenario_reply
    chat:
      - {from: customer, text: 我是钻石会员，上周申请的退货到现在还没人审核！我要求赔偿500块。}
    key_points:
      - {name: 致歉, phrasings: [抱歉, 对不起]}
      - {name: 给出处理结果, phrasings: [审核通过, 上门取件]}
      - {name: 给出退款时间, phrasings: [小时内, 退款]}
      - {name: 说明运费, phrasings: [运费由我们, 我们承担]}
    sample_reply: 非常抱歉！我已经为您加急审核通过，今天上门取件，收到退货后24小时内为您办理退款，来回运费由我们承担。您提出的500元超出了我的权限，我已升级主管，30分钟内给您回复。
    explain: 退换货申请应2小时内响应、24小时内完成审核。
"""


def question(text: str = RETURN, **extra):
    meta = yaml.load(textwrap.dedent(text), Loader=yaml.BaseLoader)
    meta["questions"][0].update(extra)
    return normalize_quiz(meta).questions[0]


def codes(result) -> set[str]:
    return {f.code for f in result.flags}


GOOD = "非常抱歉！已经为您加急审核通过，今天上门取件，收到退货后24小时内办理退款，来回运费由我们承担。"


def test_a_reply_stating_the_rule_passes():
    r = replygrading.assess(question(), GOOD)
    assert r.verdict == "pass" and not codes(r) & {"policy_number", "policy_payer"}


def test_a_different_time_for_the_same_subject_is_a_wrong_policy():
    r = replygrading.assess(question(), GOOD.replace("24小时内办理退款", "3个工作日内办理退款"))
    assert "policy_number" in codes(r) and r.verdict != "pass"
    # The subject decides: "2小时" is stated for responding, not for auditing.
    r = replygrading.assess(question(), "非常抱歉！我们承诺2小时内审核完成，今天上门取件，24小时内退款，运费由我们承担。")
    assert "policy_number" in codes(r) and r.verdict != "pass"


def test_durations_compare_in_hours_and_chinese_numerals_are_read():
    r = replygrading.assess(question(), GOOD.replace("24小时内办理退款", "一天之内办理退款"))
    assert "policy_number" not in codes(r)
    r = replygrading.assess(question(), GOOD.replace("24小时内办理退款", "二十四个钟头以内办理退款"))
    assert "policy_number" not in codes(r)


def test_a_sooner_call_back_is_not_a_wrong_policy_but_a_later_one_is():
    assert policy.conflicting_numbers("二十分钟之内我把结果发给您", ["我30分钟内给您回复结果"]) == []
    assert policy.conflicting_numbers("两小时内给您回复", ["我30分钟内给您回复结果"]) == ["两小时"]


def test_granting_what_the_model_reply_turns_down():
    model = question().sample_reply
    chat = ["我要求赔偿500块"]
    assert policy.conflicting_numbers("没问题，500元我现在就给您办理部分退款", [model], chat, model) == ["500元"]
    # Saying the customer's number back while declining it is right.
    assert policy.conflicting_numbers("您提的500元超出了我的权限，我已上报主管", [model], chat, model) == []
    assert policy.conflicting_numbers("500元我没有权限直接答应", [model], chat, model) == []


def test_the_customer_paying_where_the_shop_pays_is_a_wrong_policy():
    r = replygrading.assess(question(), GOOD.replace("来回运费由我们承担", "寄回运费需要您先垫付"))
    assert "policy_payer" in codes(r) and r.verdict != "pass"
    assert policy.payer("寄回的运费需要您承担，有运费险可以理赔") == {"customer"}
    assert policy.payer("来回的快递费全部算在店里，一分钱都不用您掏") == {"shop"}
    assert policy.payer_conflict("换码的来回运费都由我们承担", ["寄回运费由客户承担"]) == "shop"
    assert policy.payer_conflict("换码的来回运费都由我们承担", ["寄回的运费需要您承担"]) == "shop"
    # A reference that says both (quality: shop; size: customer) decides nothing.
    assert policy.payer_conflict("运费您出", ["质量问题运费由我们承担", "尺码不合适的寄回运费由客户承担"]) is None


def test_the_cited_entry_states_the_rule_too():
    q = question(cite="shipping-time")
    reply = "非常抱歉！已经为您加急审核通过，今天上门取件，收到后24小时内退款，运费由我们承担，现货付款后2小时内发货。"
    assert "policy_number" not in codes(replygrading.assess(q, reply))
    cited = "现货商品付款后48小时内发货，预售商品按页面标注的时间发货。"
    r = replygrading.assess(q, reply, cited=cited)
    assert "policy_number" in codes(r) and r.verdict != "pass"


def test_a_modal_refusal_negates_the_whole_verb_phrase():
    text = points.Reply("预售延迟没有补偿，也不能取消退款哦")
    at = text.folded.find("退款")
    assert points.is_negated(text, at, at + 2, "退款")
    fine = points.Reply("可以给您退款，不用担心退款的事")
    assert not points.is_negated(fine, fine.folded.find("退款"), fine.folded.find("退款") + 2, "退款")


def negated(reply: str, phrase: str) -> bool:
    """Whether the first occurrence of ``phrase`` in ``reply`` is negated."""
    text = points.Reply(reply)
    at = text.folded.find(phrase)
    return points.is_negated(text, at, at + len(phrase), phrase)


def test_a_refusal_a_few_words_before_the_phrase_still_governs_it():
    assert negated("称重记录显示有货，所以这单没法按空包给您退款", "退款")
    assert negated("这个我们无法按七天无理由帮您换货", "换货")
    assert not negated("这单没法加急但会优先给您退款", "退款")  # turned around within the clause
    assert not negated("暂时无法发货的话可以先给您退款", "退款")


def test_an_admission_completed_by_a_negative_predicate_is_still_an_admission():
    text = points.Reply("这确实是我们没把好关，马上给您换新。")
    at = text.folded.find("确实是我们")
    assert not points.is_negated(text, at, at + 5, "确实是我们")
    text = points.Reply("运费我们也不承担")
    assert points.is_negated(text, 2, 4, "我们")  # a subject whose predicate denies the point


def test_a_thing_declared_not_needed_is_not_asked_for():
    assert negated("以仓库记录为准，开箱视频也不用再发了", "开箱视频")
    assert negated("照片就不需要提供了，我们直接处理", "照片")
    assert not negated("麻烦您发一下开箱视频，运费不用您出", "开箱视频")
    assert not negated("运费不用您出，我们承担", "运费")  # not needed to PAY is the shop paying


def test_numbers_match_however_they_are_spelled():
    q = question(key_points=[{"name": "时效", "phrasings": ["5-10个工作日"]}, {"name": "数量", "phrasings": ["补发2个"]}])
    r = replygrading.assess(q, "信用卡一般五到十个工作日到账，我马上给您补发两个。", synonyms=(("工作日", "工作天"),))
    assert [p.level for p in r.points] == ["met", "met"]
    assert r.points[0].evidence == "五到十个工作日"
    assert points.normal("一到兩週、二十四小时、两百元、一起") == "1-2周、24小时、200元、一起"


def test_one_topic_word_cannot_meet_two_points():
    q = question(key_points=[{"name": "理解", "phrasings": ["理解"]}, {"name": "核实价保", "phrasings": ["价保"]},
                             {"name": "差价退回", "phrasings": ["差价"]}],
                 sample_reply="理解您！我核实了价保，差价会原路退回。")
    groups = (("价保", "降价", "差价"),)
    r = replygrading.assess(q, "理解您的心情，买完就降价确实让人不舒服。", synonyms=groups)
    assert [p.level for p in r.points] == ["met", "weak", "weak"] and r.verdict != "pass"


def test_starter_written_replies_count_risky_promises_and_the_rewrite_drill_fails_on_them():
    """The trainer's penalty settings on the starter quizzes (issue 13 item 2 b)."""
    from kbsite import files
    from kbsite.config import PROJECT_ROOT

    quizzes = [i for i in files.collect([PROJECT_ROOT / "content"]) if i.type == "quiz"]
    written = [(i.slug, q) for i in quizzes for q in normalize_quiz(i.meta).questions if q.kind == "scenario_reply"]
    assert len(written) >= 20
    assert all(set(q.penalties.severities) == {"forbidden", "risky"} for _, q in written)
    fail_on_hit = {(slug, q.id) for slug, q in written if q.penalties.fail_on_hit}
    assert fail_on_hit == {("quiz-phrasing-rewrite", "r2")}


def test_promising_someone_else_s_details_is_a_privacy_leak():
    from kbsite.training.replygrading import privacy
    from kbsite.training.replygrading.text import Reply

    chat = ["我是你们客户王丽的同事，她手机没电了，你把她订单的收货地址和电话发我一下。"]
    assert privacy.leaks(Reply("您先报一下王丽的手机号，对得上我就把地址发给您。"), chat)
    assert not privacy.leaks(Reply("订单地址和电话只对下单的顾客开放，我这里没法转给您。"), chat)
    assert not privacy.leaks(Reply("收货地址和电话只能提供给下单人本人。"), chat)
    # Sending the customer their own details is fine.
    assert not privacy.leaks(Reply("我把物流单号和地址信息发给您核对一下。"), ["我的快递到哪了？"])
    q = question(chat=[{"from": "customer", "text": chat[0]}])
    r = replygrading.assess(q, "非常抱歉！已经为您加急审核通过，今天上门取件，您稍等我把地址和电话发给您。")
    assert (r.verdict, r.score) == ("fail", 0.0) and "privacy" in codes(r)
