"""Attempts that measure learning: cool-down, questions drawn from a pool, too-fast attempts flagged."""

from __future__ import annotations

from datetime import timedelta

from kbsite.db import utcnow

from .conftest import answers, attempt_row, known_quiz, publish, quiz_meta, start


def _finish(app, client, attempt_id: int) -> None:
    form = answers(known_quiz(), attempt_row(app, attempt_id).seed)
    assert client.post(f"/training/attempts/{attempt_id}/submit", data=form).status_code == 302


def test_unlimited_quizzes_wait_a_default_cool_down(lib, signed_in):
    meta = quiz_meta()
    del meta["cooldown_minutes"]
    publish(lib, "cool-quiz", "quiz", meta, title="冷却")
    c = signed_in("newbie")
    first = start(c, "cool-quiz")
    _finish(lib, c, first)
    page = c.get("/training/quizzes/cool-quiz").get_data(as_text=True)
    assert 'id="cooldown"' in page and "10 分钟后" in page and 'id="start-quiz"' not in page
    assert "两次作答之间需间隔 10 分钟" in page
    refused = c.post("/training/quizzes/cool-quiz/start")
    assert refused.status_code == 409 and "请 10 分钟 后再试" in refused.get_data(as_text=True)
    _finish_shift(lib, first, 11)
    assert start(c, "cool-quiz") != first


def _finish_shift(app, attempt_id: int, minutes: float) -> None:
    from kbsite.db import write_session
    from kbsite.training.models import Attempt

    with app.app_context(), write_session() as sess:
        row = sess.get(Attempt, attempt_id)
        row.finished_at = utcnow() - timedelta(minutes=minutes)


def test_a_set_cool_down_and_a_limit_apply_together(lib, signed_in):
    publish(lib, "two-tries", "quiz", quiz_meta(max_attempts=2, cooldown_minutes=30), title="两次")
    c = signed_in("newbie")
    first = start(c, "two-tries")
    _finish(lib, c, first)
    assert "请 30 分钟 后再试" in c.post("/training/quizzes/two-tries/start").get_data(as_text=True)
    _finish_shift(lib, first, 31)
    second = start(c, "two-tries")
    _finish(lib, c, second)
    _finish_shift(lib, second, 31)
    assert "最多可作答 2 次" in c.post("/training/quizzes/two-tries/start").get_data(as_text=True)


def test_each_attempt_draws_its_questions_from_the_pool(lib, signed_in):
    publish(lib, "pool-quiz", "quiz", quiz_meta(draw=3), title="题库")
    c = signed_in("newbie")
    seen = []
    for _ in range(4):
        attempt_id = start(c, "pool-quiz")
        page = c.get(f"/training/attempts/{attempt_id}").get_data(as_text=True)
        shown = [qid for qid in ("s1", "m1", "t1", "o1", "p1", "c1", "r1") if f'name="q-{qid}"' in page
                 or f'name="q-{qid}.' in page]
        assert len(shown) == 3
        seen.append(tuple(shown))
        with lib.app_context():
            from kbsite.training.attempts import quiz_for

            drawn = quiz_for(attempt_row(lib, attempt_id))
        assert [q.id for q in drawn.questions] == list(shown)
        form = answers(drawn, attempt_row(lib, attempt_id).seed)
        assert c.post(f"/training/attempts/{attempt_id}/submit", data=form).status_code == 302
        assert attempt_row(lib, attempt_id).score_percent == 100.0  # graded on the drawn three only
        assert set(attempt_row(lib, attempt_id).result) == set(shown)
    assert len(set(seen)) > 1
    assert "每次从 7 道题的题库中抽取 3 题" in c.get("/training/quizzes/pool-quiz").get_data(as_text=True)


def test_draw_is_validated():
    from kbsite.training.quizformat import validate_quiz_meta

    assert any("draw" in e for e in validate_quiz_meta(quiz_meta(draw=9)))
    assert any("cooldown_minutes" in e for e in validate_quiz_meta(quiz_meta(cooldown_minutes=-1)))


def test_trainers_see_attempts_finished_implausibly_fast(lib, signed_in):
    c = signed_in("newbie")
    trainer = signed_in("coach", "trainer")
    fast = start(c)
    _finish(lib, c, fast)  # seconds: far below 3 s per question + 20 s per written reply
    slow = start(c)
    with lib.app_context():
        from kbsite.db import write_session
        from kbsite.training.models import Attempt

        with write_session() as sess:
            sess.get(Attempt, slow).started_at = utcnow() - timedelta(minutes=5)
    _finish(lib, c, slow)
    page = trainer.get(f"/training/manage/users/{c.user.id}").get_data(as_text=True)
    assert page.count("用时过短") == 1
    assert "用时过短" in trainer.get("/training/manage/quizzes/known-quiz").get_data(as_text=True)
    assert "用时过短" in trainer.get("/training/manage").get_data(as_text=True)
    assert "用时过短" not in c.get(f"/training/attempts/{fast}").get_data(as_text=True)
