"""Trainers' results (dashboard, charts, most-missed, CSV) and quiz authoring with validation."""

from __future__ import annotations

import csv
import io

import pytest

from kbsite.training.quizformat import normalize_quiz

from .conftest import answers, attempt_row, known_quiz, start


def test_dashboard_trainee_and_quiz_pages_show_attempts_and_most_missed(lib, signed_in):
    c = signed_in("newbie", cohort="A组")
    attempt_id = start(c)
    c.post(f"/training/attempts/{attempt_id}/submit",
           data=answers(known_quiz(), attempt_row(lib, attempt_id).seed, right=False))
    trainer = signed_in("coach", "trainer")
    page = trainer.get("/training/manage").get_data(as_text=True)
    assert f"/training/attempts/{attempt_id}" in page and "已知测验" in page
    assert "<svg" in page and "每日平均得分" in page
    assert "10分钟内 ×1" in page  # the wrong option picked is named
    user_page = trainer.get(f"/training/manage/users/{c.user.id}").get_data(as_text=True)
    assert "历次得分" in user_page and "<polyline" in user_page and "秒" in user_page
    cohort = trainer.get("/training/manage/cohorts/A组").get_data(as_text=True)
    assert "newbie" in cohort
    stats = trainer.get("/training/manage/quizzes/known-quiz").get_data(as_text=True)
    assert "错误率最高的题目" in stats and "通过率 0.0%" in stats
    result = trainer.get(f"/training/attempts/{attempt_id}")
    assert result.status_code == 200 and "newbie" in result.get_data(as_text=True)
    assert trainer.post(f"/training/attempts/{attempt_id}/submit", data={}).status_code == 403


def test_csv_export_has_bom_and_guards_formulas(lib, signed_in, make_user_lib):
    c = signed_in("=cmd|calc", cohort="+A")
    attempt_id = start(c)
    c.post(f"/training/attempts/{attempt_id}/submit", data={})
    trainer = signed_in("coach", "trainer")
    resp = trainer.get("/training/manage/export.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    raw = resp.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "用户名"
    row = next(r for r in rows if "known-quiz" in r)
    assert row[0] == "'=cmd|calc" and row[2] == "'+A" and row[10] == "否"


def _quiz_form(structured: str) -> dict:
    return {"slug": "bad-quiz", "type": "quiz", "title": "坏测验", "category": "培训/测试", "tags": "",
            "body": "", "structured": structured}


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("questions:\n  - {id: q1, kind: single, prompt: 问, options: [{text: 甲}, {text: 乙}]}\n",
     "必须恰好有一个正确选项"),
    ("questions:\n  - {id: q1, kind: ordering, prompt: 排, items: [只有一项]}\n", "排序题至少需要 2 项"),
    ("questions:\n  - id: q1\n    kind: scenario_reply\n    chat: [{from: customer, text: 你好}]\n"
     "    key_points: [{name: 致歉, phrasings: []}]\n", "要点没有任何说法"),
])
def test_saving_an_invalid_quiz_is_refused_with_the_message(lib, signed_in, yaml_text, message):
    trainer = signed_in("coach", "trainer")
    resp = trainer.post("/items/new?type=quiz", data=_quiz_form(yaml_text))
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert trainer.get("/items/bad-quiz").status_code == 404


def test_preview_shows_validation_errors_and_the_trainee_view(lib, signed_in):
    trainer = signed_in("coach", "trainer")
    page = trainer.get("/training/manage/quizzes/known-quiz/preview").get_data(as_text=True)
    assert "格式正确" in page and "1分钟内" in page and "k-sample-reply" not in page.split("</textarea>")[1]
    bad = "questions:\n  - {id: q1, kind: ordering, prompt: 排, items: [一]}\n"
    page = trainer.post("/training/manage/quizzes/known-quiz/preview", data={"structured": bad}).get_data(as_text=True)
    assert "排序题至少需要 2 项" in page and 'id="quiz-errors"' in page


def test_starter_sample_replies_meet_every_key_point_with_the_real_lexicon(lib):
    from kbsite.content.models import Item
    from kbsite.db import session
    from kbsite.training import catalog
    from kbsite.training.grading import GradingContext, grade_question

    with lib.app_context():
        check = catalog.forbidden_checker()
        assert check("这不归我们管")  # the published lexicon is in use
        quizzes = session().query(Item).filter_by(type="quiz").all()
        short = []
        for item in quizzes:
            for q in normalize_quiz(item.published.meta).questions:
                if q.kind == "scenario_reply" and q.sample_reply:
                    grade = grade_question(q, q.sample_reply, GradingContext(1, check))
                    if not grade.correct:
                        short.append((item.slug, q.id, grade.score))
    assert short == []
