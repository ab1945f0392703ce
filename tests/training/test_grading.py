"""Server-side grading of every question kind, partial credit, tampering and whole attempts."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import pytest
import yaml

from kbsite.training import quizformat
from kbsite.training.grading import (
    KINDS,
    GradingContext,
    InvalidResponse,
    grade_attempt,
    grade_question,
    parse_response,
)
from kbsite.training.quizformat import normalize_quiz, public_question

SEED = 424242

QUIZ = """
questions:
  - id: single
    kind: single
    prompt: 在线客服的首次响应标准是？
    cite: response-time-standards
    explain: 在线渠道要求1分钟内首次响应。
    options:
      - {text: 1分钟内, correct: true, explain: 这是标准}
      - {text: 10分钟内, explain: 太慢了，顾客会流失, cite: lost-customers}
      - {text: 30分钟内}
  - id: multiple
    kind: multiple
    prompt: 哪些属于七天无理由退货的条件？
    points: "2"
    options:
      - {text: 签收后7天内, correct: true}
      - {text: 商品完好, correct: true}
      - {text: 不影响二次销售, correct: true}
      - {text: 必须有运费险}
  - id: tf
    kind: truefalse
    prompt: 定制商品支持七天无理由退货。
    answer: "false"
  - id: order
    kind: ordering
    prompt: 把投诉处理步骤排好顺序
    items: [倾听, 致歉, 核实, 给方案]
  - id: match
    kind: matching
    prompt: 投诉等级与响应时限
    pairs:
      - {left: P0, right: 立即}
      - {left: P1, right: 1小时}
      - {left: P2, right: 24小时}
      - {left: P3, right: 24小时}
  - id: choice
    kind: scenario_choice
    chat:
      - {from: customer, text: 我的快递三天没动了，快点！}
    options:
      - {text: 非常理解您着急，我马上联系快递核实, correct: true}
      - {text: 这不归我们管, explain: 推诿}
  - id: reply
    kind: scenario_reply
    cite: damaged-parcel
    chat:
      - {from: customer, text: 快递到了箱子都压扁了，里面的杯子碎了！}
    key_points:
      - {name: 致歉, phrasings: [抱歉, 不好意思, 对不起], explain: 先安抚情绪。}
      - {name: 要照片, phrasings: [照片, 拍照, 图片, 视频]}
      - {name: 给方案, phrasings: [补发, 退款, 重新发]}
      - {name: 会员, phrasings: [VIP]}
    sample_reply: 非常抱歉给您带来不便，麻烦拍张照片，我们马上为您补发。
"""

LEXICON = {"这不归我们管": ("推诿", "我来帮您联系相关同事处理"), "你自己看": ("冷漠", "我帮您查看一下"),
           "不可能": ("绝对化", "")}


def check_forbidden(text: str) -> list[tuple[str, str, str]]:
    """A stand-in for the reply checker: one hit per occurrence, like a real scanner."""
    return [(p, c, s) for p, (c, s) in LEXICON.items() for _ in range(text.count(p))]


CTX = GradingContext(seed=SEED, check_forbidden=check_forbidden)
QUESTIONS = {q.id: q for q in normalize_quiz(yaml.load(textwrap.dedent(QUIZ), Loader=yaml.BaseLoader)).questions}
QUIZ_OBJ = normalize_quiz(yaml.load(textwrap.dedent(QUIZ), Loader=yaml.BaseLoader))


def ids(qid: str, key: str = "options", seed: int = SEED) -> dict[str, str]:
    """Text → opaque id, as the trainee's page sees them."""
    return {c["text"]: c["id"] for c in public_question(QUESTIONS[qid], seed=seed)[key]}


def grade(qid: str, raw: object):
    return grade_question(QUESTIONS[qid], raw, CTX)


def statuses(g) -> list[tuple[str, str]]:
    return [(f.status, f.subject) for f in g.feedback]


def test_registry_covers_every_kind():
    assert set(KINDS) == set(quizformat.KINDS)


# --- single / scenario_choice ---


def test_single_right():
    g = grade("single", ids("single")["1分钟内"])
    assert (g.score, g.correct) == (1.0, True)
    assert statuses(g)[:3] == [("correct", "1分钟内"), ("info", "10分钟内"), ("info", "30分钟内")]
    assert g.feedback[0].message == "选对了。这是标准"
    assert g.feedback[-1].subject == "解析" and g.feedback[-1].cite == "response-time-standards"


def test_single_wrong_explains_and_cites_the_option():
    g = grade("single", ids("single")["10分钟内"])
    assert (g.score, g.correct) == (0.0, False)
    chosen = g.feedback[1]
    assert (chosen.status, chosen.cite) == ("wrong", "lost-customers")
    assert "太慢了" in chosen.message
    assert g.feedback[0].status == "missed" and g.feedback[0].cite == "response-time-standards"


def test_scenario_choice_is_all_or_nothing():
    assert grade("choice", ids("choice")["非常理解您着急，我马上联系快递核实"]).score == 1.0
    g = grade("choice", ids("choice")["这不归我们管"])
    assert g.score == 0.0 and "推诿" in g.feedback[1].message


@pytest.mark.parametrize("raw", ["", "nope", 0, ["x"], {"id": "x"}, True])
def test_single_rejects_what_was_not_offered(raw):
    with pytest.raises(InvalidResponse) as info:
        grade("single", raw)
    assert info.value.question_id == "single"


def test_option_id_from_another_question_or_attempt_is_rejected():
    with pytest.raises(InvalidResponse):
        grade("single", ids("choice")["这不归我们管"])
    with pytest.raises(InvalidResponse):
        grade("single", ids("single", seed=SEED + 1)["1分钟内"])


def test_parse_response_normalizes_to_indices():
    assert parse_response(QUESTIONS["single"], ids("single")["30分钟内"], seed=SEED) == 2
    assert parse_response(QUESTIONS["tf"], "TRUE", seed=SEED) is True


# --- multiple ---


def pick(*texts: str) -> list[str]:
    table = ids("multiple")
    return [table[t] for t in texts]


@pytest.mark.parametrize(
    ("texts", "score"),
    [
        (("签收后7天内", "商品完好", "不影响二次销售"), 1.0),
        (("签收后7天内", "商品完好"), 2 / 3),
        (("签收后7天内",), 1 / 3),
        (("签收后7天内", "商品完好", "必须有运费险"), 1 / 3),
        (("签收后7天内", "必须有运费险"), 0.0),
        (("必须有运费险",), 0.0),
        (("签收后7天内", "商品完好", "不影响二次销售", "必须有运费险"), 2 / 3),
        ((), 0.0),
    ],
)
def test_multiple_partial_credit(texts, score):
    g = grade("multiple", pick(*texts))
    assert g.score == pytest.approx(score)
    assert g.correct is (score == 1.0)


def test_multiple_feedback_per_option():
    g = grade("multiple", pick("签收后7天内", "必须有运费险"))
    assert statuses(g) == [("correct", "签收后7天内"), ("missed", "商品完好"),
                           ("missed", "不影响二次销售"), ("wrong", "必须有运费险")]


@pytest.mark.parametrize("raw", ["abc", "", [1], {"a": 1}, ("x", "y")])
def test_multiple_rejects_bad_shapes(raw):
    with pytest.raises(InvalidResponse):
        grade("multiple", raw)


def test_multiple_rejects_duplicate_ids():
    with pytest.raises(InvalidResponse, match="重复"):
        grade("multiple", pick("签收后7天内", "签收后7天内"))


# --- truefalse ---


@pytest.mark.parametrize(("raw", "score"), [("false", 1.0), (False, 1.0), ("true", 0.0), (True, 0.0)])
def test_truefalse(raw, score):
    g = grade("tf", raw)
    assert g.score == score
    assert g.feedback[0].status == ("correct" if score else "wrong")
    assert "错误" in g.feedback[0].subject + g.feedback[0].message


@pytest.mark.parametrize("raw", ["yes", "", 1, 0, ["false"]])
def test_truefalse_rejects_other_values(raw):
    with pytest.raises(InvalidResponse):
        grade("tf", raw)


# --- ordering ---


def order(*texts: str) -> list[str]:
    table = ids("order", "items")
    return [table[t] for t in texts]


@pytest.mark.parametrize(
    ("texts", "score"),
    [
        (("倾听", "致歉", "核实", "给方案"), 1.0),
        (("致歉", "倾听", "核实", "给方案"), 0.5),
        (("倾听", "核实", "给方案", "致歉"), 0.25),
        (("给方案", "倾听", "致歉", "核实"), 0.0),
        (("给方案", "核实", "致歉", "倾听"), 0.0),
    ],
)
def test_ordering_share_in_right_position(texts, score):
    g = grade("order", order(*texts))
    assert g.score == score and g.correct is (score == 1.0)


def test_ordering_feedback_names_the_right_item():
    g = grade("order", order("致歉", "倾听", "核实", "给方案"))
    assert statuses(g) == [("wrong", "倾听"), ("wrong", "致歉"), ("correct", "核实"), ("correct", "给方案")]
    assert g.feedback[0].message == "第 1 位应为“倾听”，你放的是“致歉”。"


@pytest.mark.parametrize(
    "texts",
    [("倾听", "致歉", "核实"), ("倾听", "致歉", "核实", "给方案", "倾听"), ("倾听", "倾听", "核实", "给方案")],
)
def test_ordering_must_be_a_permutation(texts):
    with pytest.raises(InvalidResponse):
        grade("order", order(*texts))


def test_ordering_rejects_strings_and_foreign_ids():
    with pytest.raises(InvalidResponse):
        grade("order", "倾听,致歉,核实,给方案")
    with pytest.raises(InvalidResponse):
        grade("order", [*order("倾听", "致歉", "核实"), ids("single")["1分钟内"]])


# --- matching ---


def match(**pairs: str) -> dict[str, str]:
    lefts, rights = ids("match", "lefts"), ids("match", "rights")
    return {lefts[left]: rights[right] for left, right in pairs.items()}


def test_matching_all_right_including_a_shared_right():
    g = grade("match", match(P0="立即", P1="1小时", P2="24小时", P3="24小时"))
    assert (g.score, g.correct) == (1.0, True)


def test_matching_partial_and_missing_pair():
    g = grade("match", match(P0="立即", P1="24小时", P2="24小时"))
    assert g.score == 0.5
    assert [f.status for f in g.feedback] == ["correct", "wrong", "correct", "missed"]
    assert g.feedback[1].message == "你配的是“24小时”，应为“1小时”。"


def test_matching_blank_values_count_as_unanswered():
    raw = match(P0="立即")
    raw.update({ids("match", "lefts")["P1"]: "", ids("match", "lefts")["P2"]: None})
    assert grade("match", raw).score == 0.25
    assert grade("match", {}).score == 0.0


def test_matching_rejects_unknown_ids_and_shapes():
    with pytest.raises(InvalidResponse):
        grade("match", {"P0": ids("match", "rights")["立即"]})
    with pytest.raises(InvalidResponse):
        grade("match", {ids("match", "lefts")["P0"]: "立即"})
    with pytest.raises(InvalidResponse):
        grade("match", [ids("match", "rights")["立即"]])


# --- scenario_reply (the rules themselves: tests/training/test_reply_grading.py) ---

GOOD_REPLY = "非常抱歉！麻烦您拍个照片给我，我们马上为您补发，VIP 会员优先处理。"


def test_reply_meeting_every_point():
    g = grade("reply", GOOD_REPLY)
    assert (g.score, g.correct, g.verdict) == (1.0, True, "pass")
    assert statuses(g)[:4] == [("correct", "致歉"), ("correct", "要照片"), ("correct", "给方案"),
                               ("correct", "会员")]
    assert g.feedback[0].message == "已做到（你写了“抱歉”）。"
    assert g.feedback[-2].subject == "参考回复"
    assert g.feedback[-1].cite == "damaged-parcel"
    assert [p["met"] for p in g.detail["points"]] == [True] * 4


def test_reply_in_traditional_script_and_full_width():
    g = grade("reply", "非常對不起，麻煩您拍張圖片給我，我們馬上為您重新發貨。ＶＩＰ會員優先。")
    assert g.score == 1.0 and g.verdict == "pass"


def test_reply_missing_points_names_them_and_shows_the_model_reply_not_the_phrasings():
    g = grade("reply", "不好意思，我们给您退款，VIP 会员优先处理。")
    assert g.score == 0.75
    missing = g.feedback[1]
    assert (missing.status, missing.subject) == ("missed", "要照片")
    assert "拍照" not in missing.message and "视频" not in missing.message
    assert g.feedback[-2].subject == "参考回复" and "拍张照片" in g.feedback[-2].message
    g = grade("reply", "麻烦您拍照发给我看看。")
    assert g.feedback[0].message.startswith("缺少这一点。先安抚情绪。")


def test_forbidden_phrase_costs_one_points_share_and_cannot_pass_alone():
    g = grade("reply", "抱歉，请您拍照发给我，我们给您补发。这不归我们管，VIP 会员优先。")
    assert g.score == 0.75 and not g.correct and g.verdict == "review"
    hit = [f for f in g.feedback if f.status == "wrong"]
    assert len(hit) == 1
    assert hit[0].subject == "这不归我们管"
    assert hit[0].suggestion == "我来帮您联系相关同事处理"
    assert "推诿" in hit[0].message and "我来帮您联系相关同事处理" in hit[0].message


def test_each_distinct_forbidden_phrase_counts_once():
    g = grade("reply", "抱歉，我们会补发的。这不归我们管，这不归我们管，你自己看吧，不可能的")
    assert g.score == 0.0 and g.verdict == "fail"  # 2 points met − 3 distinct phrases, floored
    wrong = [f for f in g.feedback if f.status == "wrong" and f.subject in LEXICON]
    assert [f.subject for f in wrong] == ["这不归我们管", "你自己看", "不可能"]
    assert wrong[2].suggestion is None


def test_reply_score_floors_at_zero():
    g = grade("reply", "你自己看，不可能")
    assert g.score == 0.0 and g.correct is False and g.verdict == "fail"


def test_empty_reply_scores_zero_without_calling_the_checker():
    def explode(text: str) -> list:
        raise AssertionError("checker called for an empty reply")

    ctx = GradingContext(SEED, explode)
    g = grade_question(QUESTIONS["reply"], "   ", ctx)
    assert g.score == 0.0 and g.verdict == "fail"
    assert [f.status for f in g.feedback[:4]] == ["missed"] * 4


def test_forbidden_false_skips_the_checker():
    q = normalize_quiz(yaml.load(textwrap.dedent("""
        questions:
          - id: r
            kind: scenario_reply
            chat: [{from: customer, text: 在吗}]
            key_points: [{name: 问候, phrasings: [您好]}]
            forbidden: "false"
    """), Loader=yaml.BaseLoader)).questions[0]
    g = grade_question(q, "您好，请问有什么可以帮您，这不归我们管", GradingContext(SEED))
    assert g.score == 1.0 and g.verdict == "pass"


def test_forbidden_check_needs_a_checker():
    with pytest.raises(RuntimeError):
        grade_question(QUESTIONS["reply"], "抱歉", GradingContext(SEED))


@pytest.mark.parametrize("raw", [["抱歉"], 5, "抱" * 2001])
def test_reply_rejects_bad_shapes(raw):
    with pytest.raises(InvalidResponse):
        grade("reply", raw)


# --- missing answers and whole attempts ---


@pytest.mark.parametrize("qid", list(QUESTIONS))
def test_missing_answer_scores_zero_and_shows_the_right_answer(qid):
    g = grade(qid, None)
    assert (g.score, g.correct) == (0.0, False)
    assert g.feedback[0].subject == "未作答"
    assert any(f.status in ("missed", "wrong") for f in g.feedback[1:])


def perfect_responses() -> dict:
    return {
        "single": ids("single")["1分钟内"],
        "multiple": pick("签收后7天内", "商品完好", "不影响二次销售"),
        "tf": "false",
        "order": order("倾听", "致歉", "核实", "给方案"),
        "match": match(P0="立即", P1="1小时", P2="24小时", P3="24小时"),
        "choice": ids("choice")["非常理解您着急，我马上联系快递核实"],
        "reply": GOOD_REPLY,
    }


def test_perfect_attempt():
    result = grade_attempt(QUIZ_OBJ, perfect_responses(), CTX)
    assert (result.score_percent, result.passed) == (100.0, True)
    assert list(result.per_question) == list(QUESTIONS)


def test_weighted_attempt_with_missing_answers():
    responses = perfect_responses()
    del responses["multiple"]  # weight 2 of a total 8
    result = grade_attempt(QUIZ_OBJ, responses, CTX)
    assert result.score_percent == 75.0 and result.passed is False
    assert result.per_question["multiple"].score == 0.0


def test_pass_mark_boundary_is_inclusive():
    responses = perfect_responses()
    del responses["multiple"]
    assert grade_attempt(replace(QUIZ_OBJ, pass_mark=75), responses, CTX).passed is True
    assert grade_attempt(replace(QUIZ_OBJ, pass_mark=76), responses, CTX).passed is False
    assert grade_attempt(replace(QUIZ_OBJ, pass_mark=0), {}, CTX).passed is True


def test_partial_scores_add_up():
    responses = perfect_responses()
    responses["order"] = order("倾听", "核实", "给方案", "致歉")  # 0.25 of weight 1
    responses["match"] = match(P0="立即", P1="1小时", P2="24小时")  # 0.75 of weight 1
    assert grade_attempt(QUIZ_OBJ, responses, CTX).score_percent == 87.5


def test_empty_attempt_fails():
    result = grade_attempt(QUIZ_OBJ, {}, CTX)
    assert (result.score_percent, result.passed) == (0.0, False)


def test_attempt_rejects_unknown_question_ids():
    with pytest.raises(InvalidResponse, match="q99"):
        grade_attempt(QUIZ_OBJ, {"q99": "x"}, CTX)


def test_attempt_rejects_tampered_answers():
    responses = perfect_responses()
    responses["single"] = "0"
    with pytest.raises(InvalidResponse):
        grade_attempt(QUIZ_OBJ, responses, CTX)


def test_float_weights_do_not_drift_below_the_pass_mark():
    meta = {"pass_mark": "80", "questions": [
        {"id": f"q{i}", "kind": "truefalse", "prompt": "对吗", "answer": "true", "points": "0.1"}
        for i in range(10)]}
    quiz = normalize_quiz(meta)
    responses = {f"q{i}": "true" for i in range(8)}
    result = grade_attempt(quiz, responses, CTX)
    assert (result.score_percent, result.passed) == (80.0, True)
