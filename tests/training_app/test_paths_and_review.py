"""Courses, lessons with embedded entries, prerequisites, assignments, certificates and the review queue."""

from __future__ import annotations

from datetime import timedelta

from kbsite import clock
from kbsite.db import utcnow

from .conftest import answers, attempt_row, known_quiz, publish, quiz_meta, start


def test_path_shows_next_step_and_lesson_progress_is_saved(lib, signed_in):
    c = signed_in("newbie")
    page = c.get("/training/").get_data(as_text=True)
    assert "下一步" in page and "/training/lessons/week1-welcome" in page
    assert c.post("/training/lessons/week1-welcome/read", data={"course": "onboarding-week-1"}).status_code == 302
    c.post("/training/lessons/week1-welcome/read", data={})  # idempotent
    page = c.get("/training/").get_data(as_text=True)
    assert "/training/lessons/service-standards-response-times" in page  # resumes at the next step
    course = c.get("/training/courses/onboarding-week-1").get_data(as_text=True)
    assert "✔ 已读" in course and "1/16" in c.get("/training/").get_data(as_text=True)


def test_lesson_embeds_the_current_published_entry(lib, signed_in):
    publish(lib, "embed-target", "faq", {"summary": "旧的简答"}, body="第一版正文", title="嵌入条目")
    publish(lib, "embed-lesson", "lesson", body="导读\n\n[[embed-target]]\n\n另见 [[embed-target|这条说明]]。",
            title="嵌入课")
    c = signed_in("newbie")
    page = c.get("/training/lessons/embed-lesson").get_data(as_text=True)
    assert "第一版正文" in page, page[page.find("<article"):][:1500]
    assert 'href="/items/embed-target"' in page and "这条说明</a>" in page
    publish(lib, "embed-target", "faq", {"summary": "新的简答"}, body="第二版正文", title="嵌入条目")
    page = c.get("/training/lessons/embed-lesson").get_data(as_text=True)
    assert "第二版正文" in page and "第一版正文" not in page


def test_prerequisites_lock_a_course_until_done(lib, signed_in):
    c = signed_in("newbie")
    assert c.get("/training/lessons/phrasing-rewrite-workshop").status_code == 403
    assert c.post("/training/quizzes/quiz-phrasing-rewrite/start").status_code == 403
    assert "本课程需要先完成" in c.get("/training/courses/phrasing-basics").get_data(as_text=True)
    trainer = signed_in("coach", "trainer")
    assert trainer.get("/training/lessons/phrasing-rewrite-workshop").status_code == 200


def test_assignment_to_a_cohort_shows_on_the_path_with_due_date(lib, signed_in):
    trainee = signed_in("newbie", cohort="2024春")
    trainer = signed_in("coach", "trainer")
    resp = trainer.post("/training/manage/assignments",
                        data={"course": "simulation-cabin", "cohort": "2024春", "due_date": "2030-01-31"})
    assert resp.status_code == 302
    assert trainer.post("/training/manage/assignments",
                        data={"course": "simulation-cabin", "username": "nobody"}).status_code == 404
    assert trainer.post("/training/manage/assignments",
                        data={"course": "simulation-cabin", "cohort": "x", "due_date": "明天"}).status_code == 400
    page = trainee.get("/training/").get_data(as_text=True)
    mine = page.split("布置给我的课程")[1].split("全部课程")[0]
    assert "模拟舱" in mine and "截止 2030-01-31" in mine


def test_completed_course_gives_a_printable_certificate(lib, signed_in):
    publish(lib, "mini-lesson", "lesson", body="读一读", title="小课")
    publish(lib, "mini-course", "course", {"steps": [{"lesson": "mini-lesson"}, {"quiz": "known-quiz"}]},
            title="迷你课程")
    c = signed_in("newbie")
    assert c.get("/training/certificates/mini-course").status_code == 409
    c.post("/training/lessons/mini-lesson/read", data={})
    attempt_id = start(c)
    c.post(f"/training/attempts/{attempt_id}/submit", data=answers(known_quiz(), attempt_row(lib, attempt_id).seed))
    page = c.get("/training/certificates/mini-course").get_data(as_text=True)
    assert "结业证书" in page and "newbie" in page and "迷你课程" in page and "100.0" in page
    with lib.app_context():
        assert clock.today().strftime("%Y年%m月%d日") in page  # the team's date, not UTC's
    other = signed_in("mallory")
    assert other.get(f"/training/certificates/mini-course?user={c.user.id}").status_code == 403
    trainer = signed_in("coach", "trainer")
    assert trainer.get(f"/training/certificates/mini-course?user={c.user.id}").status_code == 200
    css = lib.test_client().get("/static/site.css").get_data(as_text=True)
    assert "@media print" in css and ".topbar, .mainnav" in css.split("@media print")[-1]


def _due_now(app, user_id: int) -> None:
    from kbsite.db import write_session
    from kbsite.training.models import ReviewCard

    with app.app_context(), write_session() as sess:
        for card in sess.query(ReviewCard).filter_by(user_id=user_id):
            card.due_at = utcnow() - timedelta(minutes=1)


def _cards(app, user_id: int) -> dict:
    from kbsite.db import session
    from kbsite.training.models import ReviewCard

    with app.app_context():
        return {c.question_id: c for c in session().query(ReviewCard).filter_by(user_id=user_id)}


def test_missed_questions_come_back_until_mastered(lib, signed_in):
    c = signed_in("newbie")
    attempt_id = start(c)
    seed = attempt_row(lib, attempt_id).seed
    form = answers(known_quiz(), seed)
    del form["q-t1"]  # miss one question
    c.post(f"/training/attempts/{attempt_id}/submit", data=form)
    cards = _cards(lib, c.user.id)
    assert set(cards) == {"t1"} and cards["t1"].box == 1
    with lib.app_context():  # from the start of tomorrow in the team's zone (Beijing), not in 24 h
        tomorrow = clock.day_start(clock.today() + timedelta(days=1))
    assert cards["t1"].due_at == tomorrow > utcnow()
    assert "今天没有到期的题目" in c.get("/training/review").get_data(as_text=True)
    for box in range(2, 7):
        _due_now(lib, c.user.id)
        page = c.get("/training/review").get_data(as_text=True)
        assert "七天无理由退货从签收次日起算" in page and "answer" not in page
        from kbsite.db import session
        from kbsite.training.models import ReviewRound

        with lib.app_context():
            rnd = session().query(ReviewRound).filter_by(user_id=c.user.id, finished_at=None).one()
            assert rnd.seed != seed
            rid = rnd.id
        assert c.post(f"/training/review/{rid}/submit", data={"q-r1-t1": "true"}).status_code == 302
        assert c.post(f"/training/review/{rid}/submit", data={"q-r1-t1": "true"}).status_code == 409
        card = _cards(lib, c.user.id)["t1"]
        assert card.box == min(box, 5) and card.mastered == (box == 6)
    assert "已掌握" in c.get(f"/training/review/{rid}").get_data(as_text=True)


def test_review_round_is_owner_only_and_a_miss_goes_back_to_box_one(lib, signed_in):
    c, other = signed_in("newbie"), signed_in("mallory")
    attempt_id = start(c)
    c.post(f"/training/attempts/{attempt_id}/submit", data={})
    _due_now(lib, c.user.id)
    assert c.get("/training/review").status_code == 200
    from kbsite.db import session
    from kbsite.training.models import ReviewRound

    with lib.app_context():
        rid = session().query(ReviewRound).filter_by(user_id=c.user.id).one().id
    assert other.post(f"/training/review/{rid}/submit", data={}).status_code == 403
    assert other.get(f"/training/review/{rid}").status_code == 403
    assert c.post(f"/training/review/{rid}/submit", data={"q-r1-s1": "forged"}).status_code == 400
    assert c.post(f"/training/review/{rid}/submit", data={}).status_code == 302
    cards = _cards(lib, c.user.id)
    assert all(card.box == 1 and card.lapses == 2 for card in cards.values())


def test_quiz_meta_fixture_is_valid():
    from kbsite.training.quizformat import validate_quiz_meta

    assert validate_quiz_meta(quiz_meta()) == []
