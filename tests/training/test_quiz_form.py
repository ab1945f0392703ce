"""Reading the quiz editor form: each kind's fields, and Chinese messages naming question and field."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from kbsite.training import quizform
from kbsite.training.quizformat import normalize_quiz


def _read(pairs, known=("refund-policy",), old=None):
    return quizform.meta_from_form(MultiDict(pairs), old, lambda slugs: set(slugs) & set(known))


def _single(p="q1", qid="a", options=(("甲", True), ("乙", False))):
    pairs = [(f"{p}-kind", "single"), (f"{p}-id", qid), (f"{p}-prompt", "问")]
    for m, (text, correct) in enumerate(options, 1):
        pairs.append((f"{p}-opt{m}-text", text))
        if correct:
            pairs.append((f"{p}-opt{m}-correct", "true"))
    return pairs


def test_a_valid_form_gives_front_matter_spelled_like_the_starter_files():
    meta, errors = _read([("quiz-pass_mark", "80"), *_single(), ("q1-cite", "refund-policy"),
                          ("q1-opt2-explain", "不对"), ("q1-points", "2")])
    assert errors == []
    assert meta == {"pass_mark": "80", "questions": [{
        "id": "a", "kind": "single", "prompt": "问",
        "options": [{"text": "甲", "correct": "true"}, {"text": "乙", "explain": "不对"}],
        "cite": "refund-policy", "points": "2"}]}
    assert normalize_quiz(meta).questions[0].weight == 2.0


def test_every_kind_reads_its_fields():
    pairs = [
        *_single(),
        ("q2-kind", "multiple"), ("q2-prompt", "多"), ("q2-opt1-text", "甲"), ("q2-opt1-correct", "true"),
        ("q2-opt2-text", "乙"), ("q2-opt2-correct", "true"), ("q2-opt3-text", ""),
        ("q3-kind", "truefalse"), ("q3-prompt", "对吗"), ("q3-answer", "false"),
        ("q4-kind", "ordering"), ("q4-prompt", "排"), ("q4-item1-text", "一"), ("q4-item2-text", "二"),
        ("q5-kind", "matching"), ("q5-prompt", "配"), ("q5-pair1-left", "P0"), ("q5-pair1-right", "1小时"),
        ("q5-pair2-left", "P1"), ("q5-pair2-right", "2小时"),
        ("q6-kind", "scenario_choice"), ("q6-chat1-from", "customer"), ("q6-chat1-text", "在吗"),
        ("q6-opt1-text", "在的"), ("q6-opt1-correct", "true"), ("q6-opt2-text", "不在"),
        ("q7-kind", "scenario_reply"), ("q7-chat1-from", "customer"), ("q7-chat1-text", "杯子碎了"),
        ("q7-chat2-from", "agent"), ("q7-chat2-text", "您好"),
        ("q7-kp1-name", "致歉"), ("q7-kp1-phrasings", "抱歉\r\n对不起\n"), ("q7-kp2-name", "补发"),
        ("q7-kp2-phrasings", "补发"), ("q7-kp2-explain", "给方案"), ("q7-sample_reply", "抱歉，马上补发"),
        ("q7-sev-forbidden", "on"), ("q7-sev-risky", "on"), ("q7-fail_on_hit", "on"),
    ]
    meta, errors = _read(pairs)
    assert errors == []
    by_kind = {q["kind"]: q for q in meta["questions"]}
    assert [q["id"] for q in meta["questions"]] == ["a", "q1", "q2", "q3", "q4", "q5", "q6"]
    assert len(by_kind["multiple"]["options"]) == 2
    assert by_kind["truefalse"]["answer"] == "false"
    assert by_kind["ordering"]["items"] == ["一", "二"]
    assert by_kind["matching"]["pairs"][1] == {"left": "P1", "right": "2小时"}
    assert by_kind["scenario_choice"]["chat"] == [{"from": "customer", "text": "在吗"}]
    reply = by_kind["scenario_reply"]
    assert reply["key_points"] == [{"name": "致歉", "phrasings": ["抱歉", "对不起"]},
                                   {"name": "补发", "phrasings": ["补发"], "explain": "给方案"}]
    assert reply["penalties"] == {"severities": ["forbidden", "risky"], "fail_on_hit": "true"}
    assert "prompt" not in reply
    quiz = normalize_quiz(meta)
    assert quiz.questions[-1].penalties.fail_on_hit is True


@pytest.mark.parametrize(("ticks", "expected"), [
    (("sev-forbidden",), {}),
    ((), {"forbidden": "false"}),
    (("sev-risky",), {"penalties": {"severities": ["risky"]}}),
])
def test_penalties_default_is_written_as_nothing(ticks, expected):
    pairs = [("q1-kind", "scenario_reply"), ("q1-chat1-from", "customer"), ("q1-chat1-text", "在吗"),
             ("q1-kp1-name", "问候"), ("q1-kp1-phrasings", "您好"), *[(f"q1-{t}", "on") for t in ticks]]
    question = _read(pairs)[0]["questions"][0]
    assert {k: v for k, v in question.items() if k in ("forbidden", "penalties")} == expected


@pytest.mark.parametrize(("pairs", "message"), [
    (_single(options=(("甲", True),)), "第 1 题：至少要有两个选项"),
    (_single(options=(("甲", False), ("乙", False))), "第 1 题：请勾选恰好一个正确选项（现在勾选了 0 个）"),
    ([*_single(), ("q1-opt3-explain", "只有解释")], "第 1 题 选项 3：选项内容不能为空"),
    ([("q1-kind", "multiple"), ("q1-prompt", "多"), ("q1-opt1-text", "甲"), ("q1-opt2-text", "乙")],
     "第 1 题：多选题至少要勾选一个正确选项"),
    ([("q1-kind", "truefalse"), ("q1-prompt", "对吗")], "第 1 题：请选择答案（正确或错误）"),
    ([("q1-kind", "ordering"), ("q1-prompt", "排"), ("q1-item1-text", "一")], "第 1 题：排序题至少要有两项"),
    ([("q1-kind", "ordering"), ("q1-prompt", "排"), ("q1-item1-text", "一"), ("q1-item2-text", "一")],
     "第 1 题：排序项“一”重复"),
    ([("q1-kind", "matching"), ("q1-prompt", "配"), ("q1-pair1-left", "P0"), ("q1-pair2-left", "P1"),
      ("q1-pair2-right", "1小时")], "第 1 题 第 1 对：左右两侧都要填写"),
    ([("q1-kind", "scenario_choice"), ("q1-opt1-text", "甲"), ("q1-opt1-correct", "true"),
      ("q1-opt2-text", "乙")], "第 1 题：情景对话至少要有一条"),
    ([("q1-kind", "scenario_reply"), ("q1-chat1-from", "customer"), ("q1-chat1-text", "在吗"),
      ("q1-kp1-name", "问候")], "第 1 题 要点 1：至少写一种说法（每行一种）"),
    ([("q1-kind", "scenario_reply"), ("q1-chat1-from", "customer"), ("q1-chat1-text", "在吗")],
     "第 1 题：至少要有一个要点"),
    ([("q1-kind", "scenario_reply"), ("q1-chat1-from", "robot"), ("q1-chat1-text", "在吗"),
      ("q1-kp1-name", "问候"), ("q1-kp1-phrasings", "您好")], "第 1 题 对话第 1 条：请选择说话人（顾客或客服）"),
    ([("q1-kind", "single"), ("q1-opt1-text", "甲"), ("q1-opt1-correct", "true"), ("q1-opt2-text", "乙")],
     "第 1 题：题干不能为空"),
    ([("q1-kind", "")], "第 1 题：请选择题型"),
    ([*_single(), ("q1-cite", "no-such-entry")], "第 1 题：引用的知识条目“no-such-entry”不存在"),
    ([*_single(), ("q1-opt1-cite", "gone")], "第 1 题：引用的知识条目“gone”不存在"),
    ([*_single(), ("q1-points", "很多")], "第 1 题：分值（points）应为大于 0 的数字，现为“很多”"),
    ([("quiz-pass_mark", "200"), *_single()], "及格分应为 0–100 的整数，现为“200”"),
    ([*_single(), *_single("q2", "a")], "第 2 题：编号“a”与第 1 题重复"),
    ([("quiz-pass_mark", "80")], "测验至少要有一道题"),
])
def test_bad_input_is_named_by_question_and_field(pairs, message):
    meta, errors = _read(pairs)
    assert any(message in e for e in errors), errors
    assert meta.get("questions") is not None  # what was typed comes back for the form


def test_the_third_question_is_named_by_its_position():
    pairs = [*_single("q1", "a"), *_single("q2", "b"), *_single("q3", "c", options=(("甲", True),))]
    assert _read(pairs)[1] == ["第 3 题：至少要有两个选项"]


def test_questions_follow_their_order_numbers_and_ticked_ones_are_deleted():
    pairs = [*_single("q1", "a"), ("q1-order", "3"), *_single("q2", "b"), ("q2-order", "1"),
             *_single("q3", "c"), ("q3-order", "2"), ("q3-delete", "on")]
    meta, errors = _read(pairs)
    assert errors == [] and [q["id"] for q in meta["questions"]] == ["b", "a"]


def test_an_unchanged_question_keeps_its_stored_spelling():
    stored = {"id": "a", "kind": "single", "prompt": "问",
              "options": [{"text": "甲", "correct": "true"}, {"text": "乙", "correct": "false"}]}
    meta, errors = _read(_single(), old={"pass_mark": "80", "questions": [stored], "extra": "kept"})
    assert errors == [] and meta["questions"] == [stored] and meta["extra"] == "kept"
    meta, _ = _read(_single(options=(("甲", True), ("丙", False))), old={"questions": [stored]})
    assert meta["questions"][0]["options"][1] == {"text": "丙"}


@pytest.mark.parametrize(("meta", "editable"), [
    ({}, True),
    ({"questions": [{"id": "a", "kind": "single", "options": [{"text": "甲"}]}]}, True),
    ({"questions": [{"id": "a", "kind": "essay"}]}, False),
    ({"questions": [{"id": "a", "kind": "single", "options": "甲、乙"}]}, False),
    ({"questions": "q1"}, False),
    ({"questions": [{"id": "a", "kind": "truefalse", "prompt": "两行\n题干", "answer": "true"}]}, True),
    ({"questions": [{"id": "a", "kind": "scenario_choice", "chat": [{"from": "customer", "text": "两\n行"}]}]},
     False),
])
def test_a_quiz_the_form_cannot_show_opens_as_yaml(meta, editable):
    assert quizform.form_editable(meta) is editable
