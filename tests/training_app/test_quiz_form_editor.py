"""The quiz form editor: every starter quiz round-trips exactly, bad input gets Chinese messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from kbsite.content import forms
from kbsite.training import quizform
from tests.training_app.formfields import form_fields

QUIZ_DIR = Path(__file__).resolve().parents[2] / "content" / "training" / "quizzes"
STARTER_QUIZZES = sorted(p.stem for p in QUIZ_DIR.glob("*.md"))


def _all_exist(slugs):
    return set(slugs)


def _latest(app, slug: str):
    from kbsite.content import service

    with app.app_context():
        rev = service.get_item(slug).latest
        return rev.number, dict(rev.meta)


def _editor_fields(app, meta: dict) -> list[tuple[str, str]]:
    """The fields the quiz form shows for ``meta`` (the meta → form direction)."""
    from flask import render_template

    from kbsite.training import authoring

    with app.test_request_context():
        html = render_template("training/quiz_editor.html", form_context=authoring.form_context(meta))
    return form_fields(html, form_id=None)


def test_there_are_twelve_starter_quizzes():
    assert len(STARTER_QUIZZES) == 12


@pytest.mark.parametrize("slug", STARTER_QUIZZES)
def test_starter_quiz_saved_unchanged_through_the_form_makes_no_revision(lib, signed_in, slug):
    trainer = signed_in("coach", "trainer")
    number, stored = _latest(lib, slug)
    page = trainer.get(f"/items/{slug}/edit").get_data(as_text=True)
    assert 'name="structured_mode" value="form"' in page and "高级（YAML）" in page
    fields = form_fields(page)
    # The form alone (no stored spelling to fall back on) writes exactly the stored questions.
    meta, errors = quizform.meta_from_form(MultiDict(fields), None, _all_exist)
    assert errors == []
    assert meta["questions"] == stored["questions"]
    assert {k: v for k, v in meta.items() if k != "questions"} == {
        k: v for k, v in stored.items() if k not in ("questions", "folder")}
    resp = trainer.post(f"/items/{slug}/edit", data=MultiDict([*fields, ("save", "1")]))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    assert "没有改动，未生成新版本" in trainer.get(resp.location).get_data(as_text=True)
    assert _latest(lib, slug)[0] == number


@pytest.mark.parametrize("slug", STARTER_QUIZZES)
def test_form_to_yaml_to_form_gives_the_same_questions(lib, slug):
    _, stored = _latest(lib, slug)
    first = _editor_fields(lib, stored)
    meta, errors = quizform.meta_from_form(MultiDict(first), None, _all_exist)
    assert errors == []
    yaml_text = forms.structured_text(meta)
    again = forms.draft_from_form("quiz", {"structured": yaml_text}).meta
    assert again == meta
    second = _editor_fields(lib, again)
    assert second == first
    assert quizform.meta_from_form(MultiDict(second), None, _all_exist)[0] == meta


def _set(fields: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    assert any(k == name for k, _ in fields), name
    return [(k, value if k == name else v) for k, v in fields]


def test_a_trainer_edits_a_question_through_the_form_and_the_new_revision_holds_it(lib, signed_in):
    trainer = signed_in("coach", "trainer")
    number, stored = _latest(lib, "known-quiz")
    fields = form_fields(trainer.get("/items/known-quiz/edit").get_data(as_text=True))
    fields = _set(fields, "q1-prompt", "在线客服的首次响应标准（改）是？")
    fields = _set(fields, "q1-opt3-text", "30秒内")  # the blank row every list offers without JS
    fields = _set(fields, "q7-kp2-phrasings", "拍照\n发张照片")
    cite = dict(fields)["q1-cite"]
    bad = trainer.post("/items/known-quiz/edit",
                       data=MultiDict([*_set(fields, "q1-cite", "no-such-entry"), ("save", "1")]))
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "第 1 题：引用的知识条目“no-such-entry”不存在" in page
    assert "在线客服的首次响应标准（改）是？" in page and "30秒内" in page  # nothing typed is lost
    assert _latest(lib, "known-quiz")[0] == number
    assert 'value="no-such-entry"' in page
    resp = trainer.post("/items/known-quiz/edit", data=MultiDict([*fields, ("save", "1")]))
    assert resp.status_code == 302
    new_number, meta = _latest(lib, "known-quiz")
    assert new_number == number + 1
    q1 = meta["questions"][0]
    assert q1["prompt"] == "在线客服的首次响应标准（改）是？" and q1["cite"] == cite
    assert q1["options"][-1] == {"text": "30秒内"}
    assert meta["questions"][6]["key_points"][1]["phrasings"] == ["拍照", "发张照片"]
    assert meta["questions"][1:6] == stored["questions"][1:6]


def test_the_yaml_view_is_offered_and_still_saves(lib, signed_in):
    trainer = signed_in("coach", "trainer")
    page = trainer.get("/items/known-quiz/edit?yaml=1").get_data(as_text=True)
    assert 'name="structured"' in page and 'name="structured_mode"' not in page and "表单编辑" in page
    fields = form_fields(page)
    yaml_text = dict(fields)["structured"].replace("在线客服的首次响应标准是？", "首次响应标准？")
    fields = _set(fields, "structured", yaml_text)
    assert trainer.post("/items/known-quiz/edit", data=MultiDict(fields)).status_code == 302
    assert _latest(lib, "known-quiz")[1]["questions"][0]["prompt"] == "首次响应标准？"


def test_a_new_quiz_is_created_through_the_form(lib, signed_in):
    trainer = signed_in("coach", "trainer")
    page = trainer.get("/items/new?type=quiz").get_data(as_text=True)
    assert '<template id="new-question-scenario_reply">' in page and "高级（YAML）" in page
    data = [("type", "quiz"), ("slug", "form-quiz"), ("title", "表单测验"), ("category", "培训/测试"),
            ("structured_mode", "form"), ("quiz-pass_mark", "60"),
            ("q1-kind", "truefalse"), ("q1-prompt", "退款原路返回。"), ("q1-answer", "true"),
            ("q1-cite", "known-quiz")]
    assert trainer.post("/items/new", data=MultiDict(data)).status_code == 302
    assert _latest(lib, "form-quiz")[1]["questions"] == [
        {"id": "q1", "kind": "truefalse", "prompt": "退款原路返回。", "answer": "true", "cite": "known-quiz"}]


def test_a_quiz_the_form_cannot_show_opens_in_the_yaml_view(lib, signed_in):
    from tests.training_app.conftest import publish

    meta = {"questions": [{"id": "q1", "kind": "scenario_choice",
                           "chat": [{"from": "customer", "text": "第一行\n第二行"}],
                           "options": [{"text": "甲", "correct": "true"}, {"text": "乙"}]}]}
    publish(lib, "multiline-quiz", "quiz", meta)
    page = signed_in("coach", "trainer").get("/items/multiline-quiz/edit").get_data(as_text=True)
    assert 'id="form-unavailable"' in page and 'name="structured"' in page
    assert 'name="structured_mode"' not in page
