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
