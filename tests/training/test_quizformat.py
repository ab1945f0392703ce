"""Quiz/course front matter validation, normalization and the browser-safe question view."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from kbsite.training.quizformat import (
    KINDS,
    Course,
    QuizFormatError,
    Step,
    choice_ids,
    normalize_course,
    normalize_quiz,
    public_question,
    validate_course_meta,
    validate_quiz_meta,
)

QUIZ = """
pass_mark: "90"
max_attempts: "3"
time_limit_seconds: "120"
questions:
  - id: q1
    kind: single
    prompt: 在线客服的首次响应标准是？
    options:
      - {text: 1分钟内, correct: true, explain: 标准要求, cite: response-time-standards}
      - {text: 10分钟内, explain: 太慢了，顾客会流失}
      - {text: 30分钟内}
    explain: 在线渠道要求1分钟内首次响应。
    cite: response-time-standards
  - id: q2
    kind: multiple
    points: "2"
    prompt: 哪些属于七天无理由退货的条件？
    options:
      - {text: 签收后7天内, correct: true}
      - {text: 商品完好, correct: true}
      - {text: 必须有运费险}
  - id: q3
    kind: truefalse
    prompt: 定制商品支持七天无理由退货。
    answer: "false"
  - id: q4
    kind: ordering
    prompt: 把投诉处理步骤排好顺序
    items: [倾听, 致歉, 核实, 给方案, 跟进]
  - id: q5
    kind: matching
    prompt: 投诉等级与响应时限
    pairs:
      - {left: P0, right: 立即}
      - {left: P1, right: 1小时}
      - {left: P2, right: 24小时}
      - {left: P3, right: 24小时}
  - id: q6
    kind: scenario_choice
    prompt: 最合适的回复是？
    chat:
      - {from: customer, text: 我的快递三天没动了}
      - {from: agent, text: 您好，我帮您查一下}
      - {from: customer, text: 快点！}
    options:
      - {text: 非常理解您着急，我马上联系快递核实, correct: true}
      - {text: 这不归我们管}
  - id: q7
    kind: scenario_reply
    chat:
      - {from: customer, text: 快递到了箱子都压扁了，里面的杯子碎了！}
    key_points:
      - {name: 致歉, phrasings: [抱歉, 不好意思, 对不起], explain: 先安抚情绪}
      - {name: 要照片, phrasings: [照片, 拍照, 图片, 视频]}
      - {name: 给方案, phrasings: [补发, 退款, 重新发]}
    sample_reply: 非常抱歉给您带来不便，麻烦拍张照片，我们马上为您补发。
"""


def load(text: str) -> dict:
    return yaml.load(textwrap.dedent(text), Loader=yaml.BaseLoader)


def quiz_with(question_yaml: str, extra: str = "") -> dict:
    body = textwrap.indent(textwrap.dedent(question_yaml).strip(), "  ")
    return load(f"{textwrap.dedent(extra)}\nquestions:\n{body}\n")


def errors_for(question_yaml: str, extra: str = "") -> list[str]:
    return validate_quiz_meta(quiz_with(question_yaml, extra))


# --- the valid quiz ---


def test_full_quiz_is_valid_and_typed():
    meta = load(QUIZ)
    assert validate_quiz_meta(meta) == []
    quiz = normalize_quiz(meta)
    assert (quiz.pass_mark, quiz.max_attempts, quiz.time_limit_seconds) == (90, 3, 120)
    assert [q.kind for q in quiz.questions] == list(KINDS)
    q1, q2, q3, q4, q5, q6, q7 = quiz.questions
    assert [o.correct for o in q1.options] == [True, False, False]
    assert q1.options[0].cite == "response-time-standards"
    assert q1.options[1].explain == "太慢了，顾客会流失"
    assert q2.weight == 2.0 and q1.weight == 1.0
    assert q3.answer is False
    assert q4.items[0] == "倾听"
    assert q5.pairs[3].right == "24小时"
    assert [line.speaker for line in q6.chat] == ["customer", "agent", "customer"]
    assert q7.key_points[0].phrasings == ("抱歉", "不好意思", "对不起")
    assert q7.forbidden is True and q7.prompt == ""
    assert quiz.question("q4") is q4


def test_defaults():
    quiz = normalize_quiz(quiz_with("- {id: a, kind: truefalse, prompt: 对吗, answer: 'true'}"))
    assert (quiz.pass_mark, quiz.max_attempts, quiz.time_limit_seconds) == (80, 0, None)
    assert quiz.questions[0].answer is True


def test_native_types_are_accepted():
    meta = {
        "pass_mark": 60,
        "questions": [{"id": "a", "kind": "truefalse", "prompt": "对吗", "answer": True, "points": 3}],
    }
    quiz = normalize_quiz(meta)
    assert quiz.pass_mark == 60 and quiz.questions[0].weight == 3.0


def test_format_md_example_is_valid():
    doc = Path(__file__).resolve().parents[2] / "docs" / "FORMAT.md"
    example = doc.read_text(encoding="utf-8").split("```yaml", 1)[1].split("```", 1)[0]
    assert validate_quiz_meta(load(example)) == []


def test_forbidden_can_be_switched_off():
    meta = quiz_with("""
        - id: r
          kind: scenario_reply
          prompt: 回复
          chat: [{from: customer, text: 在吗}]
          key_points: [{name: 问候, phrasings: [您好]}]
          forbidden: "false"
    """)
    assert normalize_quiz(meta).questions[0].forbidden is False


# --- malformed questions: one case per problem ---


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("- {id: q1, kind: single, prompt: 选, options: [{text: a}, {text: b}]}",
         "题目 q1：必须恰好有一个正确选项，现有 0 个"),
        ("- {id: q1, kind: single, prompt: 选, options: [{text: a, correct: true}, {text: b, correct: true}]}",
         "题目 q1：必须恰好有一个正确选项，现有 2 个"),
        ("- {id: q1, kind: multiple, prompt: 选, options: [{text: a}, {text: b}]}",
         "题目 q1：多选题至少需要一个正确选项"),
        ("- {id: q1, kind: single, prompt: 选, options: [{text: a, correct: true}]}",
         "题目 q1：至少需要 2 个选项，现有 1 个"),
        ("- {id: q1, kind: single, prompt: 选, options: [{text: a, correct: true}, {text: a}]}",
         "题目 q1：选项“a”重复"),
        ("- {id: q1, kind: single, prompt: 选, options: [{text: a, correct: yes}, {text: b}]}",
         "题目 q1 选项 1：correct 应为 true 或 false，现为“yes”"),
        ("- {id: q1, kind: single, prompt: 选, options: [{text: a, correct: true}, {correct: false}]}",
         "题目 q1 选项 2：缺少 text"),
        ("- {id: q1, kind: single, prompt: 选, options: [{text: a, correct: true, why: x}, {text: b}]}",
         "题目 q1 选项 1：未知字段“why”"),
        ("- {id: q1, kind: single, prompt: 选}",
         "题目 q1：缺少 options 列表"),
        ("- {id: q1, kind: truefalse, prompt: 对吗}",
         "题目 q1：判断题缺少 answer（true 或 false）"),
        ("- {id: q1, kind: truefalse, prompt: 对吗, answer: 对}",
         "题目 q1：answer 应为 true 或 false，现为“对”"),
        ("- {id: q1, kind: ordering, prompt: 排序, items: [只有一项]}",
         "题目 q1：排序题至少需要 2 项，现有 1 项"),
        ("- {id: q1, kind: ordering, prompt: 排序, items: [a, b, a]}",
         "题目 q1：排序项“a”重复"),
        ("- {id: q1, kind: matching, prompt: 配对, pairs: [{left: P0, right: 立即}]}",
         "题目 q1：配对题至少需要 2 对，现有 1 对"),
        ("- {id: q1, kind: matching, prompt: 配对, pairs: [{left: P0, right: 立即}, {left: P0, right: 1小时}]}",
         "题目 q1：配对左侧“P0”重复"),
        ("- {id: q1, kind: matching, prompt: 配对, pairs: [{left: P0}, {left: P1, right: 1小时}]}",
         "题目 q1 第 1 对：缺少 right"),
        ("- {id: q1, kind: scenario_reply, chat: [{from: customer, text: 在吗}], key_points: [{name: 问候, phrasings: []}]}",
         "题目 q1 要点 1（问候）：要点没有任何说法（phrasings）"),
        ("- {id: q1, kind: scenario_reply, chat: [{from: customer, text: 在吗}], key_points: [{name: 问候}]}",
         "题目 q1 要点 1（问候）：缺少 phrasings 列表"),
        ("- {id: q1, kind: scenario_reply, chat: [{from: customer, text: 在吗}], key_points: []}",
         "题目 q1：写回复题至少需要一个要点（key_points）"),
        ("- {id: q1, kind: scenario_reply, chat: [{from: customer, text: 在吗}], key_points: [{name: a, phrasings: [x]}, {name: a, phrasings: [y]}]}",
         "题目 q1：要点“a”重复"),
        ("- {id: q1, kind: scenario_reply, chat: [], key_points: [{name: a, phrasings: [x]}]}",
         "题目 q1：情景题的对话（chat）不能为空"),
        ("- {id: q1, kind: scenario_choice, chat: [{from: boss, text: 在吗}], options: [{text: a, correct: true}, {text: b}]}",
         "题目 q1 对话第 1 条：from 应为 customer 或 agent，现为“boss”"),
        ("- {id: q1, kind: essay, prompt: 写}",
         "题目 q1：未知题型“essay”，可用：single、multiple、truefalse、ordering、matching、scenario_choice、scenario_reply"),
        ("- {id: q1, kind: truefalse, answer: 'true'}",
         "题目 q1：缺少 prompt"),
        ("- {id: q1, kind: truefalse, prompt: '  ', answer: 'true'}",
         "题目 q1：prompt 不能为空"),
        ("- {kind: truefalse, prompt: 对吗, answer: 'true'}",
         "第 1 题：缺少 id"),
        ("- {id: q1, prompt: 对吗, answer: 'true'}",
         "题目 q1：缺少 kind"),
        ("- {id: q1, kind: truefalse, prompt: 对吗, answer: 'true', options: []}",
         "题目 q1：未知字段“options”"),
        ("- {id: q1, kind: truefalse, prompt: 对吗, answer: 'true', points: '0'}",
         "题目 q1：分值（points）应为大于 0 的数字，现为“0”"),
        ("- {id: q1, kind: truefalse, prompt: 对吗, answer: 'true', cite: 不是slug}",
         "题目 q1：cite “不是slug” 不是有效的条目 slug"),
        ("- {id: 'q 1', kind: truefalse, prompt: 对吗, answer: 'true'}",
         "第 1 题：id “q 1” 不能含空白且不超过 64 个字符"),
        ("- just a string",
         "第 1 题：应为映射（id、kind、prompt……）"),
    ],
)
def test_malformed_question_is_reported(question, expected):
    errors = errors_for(question)
    assert expected in errors, errors
    with pytest.raises(QuizFormatError) as info:
        normalize_quiz(quiz_with(question))
    assert expected in info.value.errors
    assert isinstance(info.value, ValueError)


def test_duplicate_ids():
    errors = errors_for("""
        - {id: q1, kind: truefalse, prompt: 对吗, answer: 'true'}
        - {id: q1, kind: truefalse, prompt: 对吗, answer: 'false'}
    """)
    assert errors == ["题目 id “q1” 重复"]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("pass_mark: '120'", "pass_mark 应为 0–100 的整数，现为“120”"),
        ("pass_mark: '-1'", "pass_mark 应为 0–100 的整数，现为“-1”"),
        ("pass_mark: '80%'", "pass_mark 应为 0–100 的整数，现为“80%”"),
        ("max_attempts: '-1'", "max_attempts 应为 0–1000 的整数，现为“-1”"),
        ("time_limit_seconds: '0'", "time_limit_seconds 应为 1–86400 的整数，现为“0”"),
        ("time_limit_seconds: '1.5'", "time_limit_seconds 应为 1–86400 的整数，现为“1.5”"),
        ("time_limit_seconds: 一分钟", "time_limit_seconds 应为 1–86400 的整数，现为“一分钟”"),
    ],
)
def test_bad_quiz_settings(extra, expected):
    assert errors_for("- {id: q1, kind: truefalse, prompt: 对吗, answer: 'true'}", extra) == [expected]


def test_pass_mark_bounds_are_inclusive():
    for mark in ("0", "100"):
        meta = quiz_with("- {id: q1, kind: truefalse, prompt: 对吗, answer: 'true'}", f"pass_mark: '{mark}'")
        assert normalize_quiz(meta).pass_mark == int(mark)


def test_quiz_without_questions():
    assert validate_quiz_meta(load("pass_mark: '80'")) == ["questions 应为非空的题目列表"]
    assert validate_quiz_meta(load("questions: []")) == ["questions 应为非空的题目列表"]
    assert validate_quiz_meta(["not", "a", "mapping"]) == ["测验的 front matter 应为映射"]
    with pytest.raises(QuizFormatError):
        normalize_quiz("questions")


def test_every_problem_is_reported_at_once():
    errors = errors_for("""
        - {id: q1, kind: single, prompt: 选, options: [{text: a}, {text: b}]}
        - {id: q2, kind: ordering, prompt: 排, items: [a]}
    """, "pass_mark: '101'")
    assert len(errors) == 3


# --- courses ---


def test_valid_course():
    meta = load("""
        title: 新人第一周
        type: course
        steps:
          - {lesson: service-standards}
          - {quiz: response-time-quiz}
        prerequisites: [orientation]
        audience: 新入职客服
    """)
    assert validate_course_meta(meta, "week-one") == []
    assert normalize_course(meta) == Course(
        (Step("lesson", "service-standards"), Step("quiz", "response-time-quiz")),
        ("orientation",),
        "新入职客服",
    )


def test_course_prerequisites_default_to_none():
    course = normalize_course(load("steps: [{lesson: ab}]"))
    assert course.prerequisites == () and course.audience == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("steps: []", "steps 应为非空的步骤列表"),
        ("audience: x", "steps 应为非空的步骤列表"),
        ("steps: [{video: intro}]", "课程第 1 步：应为 {lesson: slug}、{quiz: slug} 或 {drill: slug}"),
        ("steps: [{lesson: ab, quiz: cd}]", "课程第 1 步：应为 {lesson: slug}、{quiz: slug} 或 {drill: slug}"),
        ("steps: [{lesson: Bad_Slug}]", "课程第 1 步：lesson “Bad_Slug” 不是有效的 slug"),
        ("steps: [{lesson: ab}, {lesson: ab}]", "课程步骤“lesson: ab”重复"),
        ("steps: [{lesson: ab}]\nprerequisites: ab", "prerequisites 应为课程 slug 列表"),
        ("steps: [{lesson: ab}]\nprerequisites: [x]", "先修课程“x”不是有效的 slug"),
        ("steps: [{lesson: ab}]\nprerequisites: [cd, cd]", "先修课程“cd”重复"),
        ("steps: [{lesson: ab}]\nprerequisites: [week-one]", "课程不能把自己列为先修课程"),
    ],
)
def test_malformed_course(text, expected):
    errors = validate_course_meta(load(text), "week-one")
    assert expected in errors, errors
    with pytest.raises(QuizFormatError):
        normalize_course(load(text), "week-one")


# --- the browser-safe view ---


def public_views(seed: int) -> tuple:
    quiz = normalize_quiz(load(QUIZ))
    return quiz, [public_question(q, seed=seed) for q in quiz.questions]


@pytest.mark.parametrize("seed", [0, 1, 7, 12345, 2**62])
def test_public_view_hides_every_answer(seed):
    quiz, views = public_views(seed)
    dumped = json.dumps(views, ensure_ascii=False)
    for word in ("correct", "explain", "answer", "cite", "key_points", "phrasings",
                 "sample_reply", "forbidden", "right\": \"", "pairs"):
        assert word not in dumped
    secrets = ["标准要求", "太慢了", "在线渠道要求", "response-time-standards",
               "先安抚情绪", "抱歉", "拍照", "补发", "要照片", "非常抱歉给您带来不便", ": false", ": true"]
    for secret in secrets:
        assert secret not in dumped
    for view in views:
        assert set(view) <= {"id", "kind", "prompt", "points", "chat", "options", "items",
                             "lefts", "rights", "max_chars"}


def test_public_view_keeps_what_the_trainee_needs():
    quiz, views = public_views(3)
    q1, q2, q3, q4, q5, q6, q7 = views
    assert sorted(o["text"] for o in q1["options"]) == sorted(o.text for o in quiz.questions[0].options)
    assert set(q3) == {"id", "kind", "prompt", "points"}
    assert sorted(i["text"] for i in q4["items"]) == sorted(quiz.questions[3].items)
    assert [left["text"] for left in q5["lefts"]] == ["P0", "P1", "P2", "P3"]
    assert sorted(r["text"] for r in q5["rights"]) == ["1小时", "24小时", "立即"]  # shared right once
    assert q6["chat"][2] == {"from": "customer", "text": "快点！"}
    assert q7["chat"][0]["from"] == "customer" and q7["max_chars"] == 2000
    assert q2["points"] == 2.0


def test_option_ids_are_opaque_and_per_question():
    _, views = public_views(99)
    ids = [o["id"] for v in views for key in ("options", "items", "lefts", "rights")
           for o in v.get(key, [])]
    assert len(ids) == len(set(ids))
    for cid in ids:
        assert len(cid) == 12 and not cid.isdigit()
    assert choice_ids(99, "q1", "option", 3) != choice_ids(100, "q1", "option", 3)
    assert choice_ids(99, "q1", "option", 3) != choice_ids(99, "q2", "option", 3)


def test_view_is_deterministic_per_seed_and_shuffles_across_seeds():
    assert public_views(5)[1] == public_views(5)[1]
    quiz = normalize_quiz(load(QUIZ))
    orders = {tuple(o["text"] for o in public_question(quiz.questions[0], seed=s)["options"])
              for s in range(30)}
    assert len(orders) > 1
    assert any(order[0] != "1分钟内" for order in orders)


def test_ordering_is_never_shown_in_the_correct_order():
    quiz = normalize_quiz(load(QUIZ))
    ordering = quiz.questions[3]
    shown = {tuple(i["text"] for i in public_question(ordering, seed=s)["items"]) for s in range(500)}
    assert ordering.items not in shown
    assert len(shown) > 20
    pair = normalize_quiz(quiz_with("- {id: o, kind: ordering, prompt: 排, items: [先, 后]}")).questions[0]
    for seed in range(50):
        assert [i["text"] for i in public_question(pair, seed=seed)["items"]] == ["后", "先"]
