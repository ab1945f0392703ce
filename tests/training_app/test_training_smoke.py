"""Every training page renders for the people who may see it."""

from __future__ import annotations

from .conftest import answers, known_quiz, start


def test_pages_render_for_trainee_and_trainer(signed_in):
    trainee = signed_in("newbie")
    for url in ("/training/", "/training/courses/onboarding-week-1", "/training/lessons/week1-welcome",
                "/training/quizzes/known-quiz", "/training/review"):
        resp = trainee.get(url)
        assert resp.status_code == 200, (url, resp.data[:300])
    attempt_id = start(trainee)
    page = trainee.get(f"/training/attempts/{attempt_id}")
    assert page.status_code == 200
    from kbsite.db import session  # noqa: F401

    trainer = signed_in("coach", "trainer")
    for url in ("/training/manage", f"/training/manage/users/{trainee.user.id}", "/training/manage/cohorts/A",
                "/training/manage/quizzes/known-quiz", "/training/manage/quizzes/known-quiz/preview",
                "/training/manage/export.csv"):
        resp = trainer.get(url)
        assert resp.status_code == 200, (url, resp.data[:300])
    assert known_quiz() and answers
