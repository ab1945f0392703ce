"""The question-kind registry: one class per kind, and a new kind added in one place."""

from __future__ import annotations

import pytest
from jinja2 import ChoiceLoader, DictLoader
from werkzeug.datastructures import MultiDict

from kbsite.training import attempts, grading, kinds, quizform, quizformat
from kbsite.training.grading import FeedbackItem, Grade, GradingContext, InvalidResponse
from kbsite.training.kinds import QuestionKind


def test_every_kind_of_the_format_is_registered_once_with_a_chinese_label(app):
    assert set(kinds.REGISTRY) == set(quizformat.KINDS) == set(grading.KINDS)
    for name, kind in kinds.REGISTRY.items():
        assert kind.label and not kind.label.isascii()
        assert kind.grader is grading.KINDS[name]
        source = app.jinja_env.loader.get_source(app.jinja_env, kind.template)[0]
        assert "macro answer(" in source and "macro editor(" in source
    assert kinds.label("no-such-kind") == "题目"


# --- a kind declared only here -------------------------------------------------------------------

TEMPLATE = """
{% macro answer(v, name) %}<input class="fill-blank" name="{{ name }}" placeholder="{{ v.hint }}">{% endmacro %}
{% macro editor(q, p, kind) %}{% for a in q.get('answers') or [] %}
<input name="{{ p }}-ans{{ loop.index }}-text" value="{{ a }}">{% endfor %}{% endmacro %}
"""


class _FillBlankGrader:
    blank = ""

    def parse_response(self, q, raw, seed):
        if not isinstance(raw, str):
            raise InvalidResponse("答案应为文本", q.id)
        return raw.strip()

    def grade(self, q, response, context):
        right = response in q.items
        return Grade(1.0 if right else 0.0, right, (FeedbackItem("correct" if right else "wrong", response, ""),))


class FillBlank(QuestionKind):
    """A blank to fill; any listed answer counts."""

    name, label, keys = "fill_blank", "填空题", frozenset({"answers"})
    grader = _FillBlankGrader()

    def parse(self, raw, where, errors):
        answers = raw.get("answers")
        if not isinstance(answers, list) or not answers:
            errors.append(f"{where}：填空题至少要有一个答案")
            answers = []
        return {"items": tuple(str(a).strip() for a in answers)}

    def public(self, q, seed):
        return {"hint": f"{len(q.items[0])} 个字"}

    def from_form(self, fields, at, errors):
        answers = [row["text"] for row in fields.rows("ans", ("text",))]
        if not answers:
            errors.append(f"{at}：至少写一个答案")
        return {"answers": answers}


@pytest.fixture
def fill_blank(app):
    kinds.register(FillBlank)
    app.jinja_env.loader = ChoiceLoader([DictLoader({"training/kinds/fill_blank.html": TEMPLATE}),
                                         app.jinja_env.loader])
    yield
    kinds.unregister("fill_blank")


META = {"questions": [{"id": "f1", "kind": "fill_blank", "prompt": "七天无理由退货从签收____起算",
                       "answers": ["次日", "第二天"]}]}


def test_a_new_kind_is_parsed_and_graded(fill_blank):
    quiz = quizformat.normalize_quiz(META)
    assert quiz.questions[0].items == ("次日", "第二天")
    posted = attempts.responses_from_form(quiz.questions, MultiDict([("q-f1", "第二天")]))
    assert posted == {"f1": "第二天"}
    result = grading.grade_attempt(quiz, posted, GradingContext(seed=7))
    assert result.score_percent == 100.0 and result.passed
    assert grading.grade_attempt(quiz, {"f1": "当天"}, GradingContext(seed=7)).score_percent == 0.0
    errors = quizformat.validate_quiz_meta({"questions": [{"id": "f1", "kind": "fill_blank", "prompt": "空"}]})
    assert errors == ["题目 f1：填空题至少要有一个答案"]


def test_a_new_kind_is_shown_without_its_answers_and_labelled(app, fill_blank):
    from flask import render_template_string

    view = quizformat.public_question(quizformat.normalize_quiz(META).questions[0], seed=3)
    assert view["hint"] == "2 个字" and "次日" not in str(view)
    view["prompt_html"] = view["prompt"]
    with app.test_request_context():
        html = render_template_string(
            '{% from "training/_questions.html" import question_form %}{{ question_form(v, 1) }}', v=view)
    assert "填空题" in html and 'class="fill-blank" name="q-f1"' in html


def test_a_new_kind_is_edited_through_the_form(app, fill_blank):
    from flask import render_template

    meta, errors = quizform.meta_from_form(MultiDict([
        ("q1-kind", "fill_blank"), ("q1-id", "f1"), ("q1-prompt", "七天无理由退货从签收____起算"),
        ("q1-ans1-text", "次日"), ("q1-ans2-text", "第二天")]), None, set)
    assert errors == [] and meta == META
    _, errors = quizform.meta_from_form(MultiDict([("q1-kind", "fill_blank"), ("q1-prompt", "空")]), None, set)
    assert errors == ["第 1 题：至少写一个答案"]
    assert ("fill_blank", "填空题") in kinds.choices()
    context = {"settings": quizform.settings_values(META), "questions": META["questions"],
               "kinds": kinds.REGISTRY, "entries": []}
    with app.test_request_context():
        html = render_template("training/quiz_editor.html", form_context=context)
    assert "第 <span class=\"q-number\">1</span> 题 · 填空题" in html
    assert 'name="q1-ans2-text" value="第二天"' in html
    assert '<template id="new-question-fill_blank">' in html


def test_an_unregistered_kind_is_gone_again(fill_blank):
    kinds.unregister("fill_blank")
    assert "fill_blank" not in kinds.REGISTRY and "fill_blank" not in grading.KINDS
    assert any("未知题型" in e for e in quizformat.validate_quiz_meta(META))
    kinds.register(FillBlank)
