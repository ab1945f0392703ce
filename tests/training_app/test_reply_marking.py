"""The 待批改 queue end to end: an unsure reply waits, a trainer decides, final grades count."""

from __future__ import annotations

from sqlalchemy import select

from .conftest import answers, attempt_row, known_quiz, publish, start

UNSURE = "非常抱歉，我们马上为您补发一个新的杯子。"  # 2 of 3 points: the grader is unsure


def _submit(app, client, reply: str) -> int:
    attempt_id = start(client)
    form = answers(known_quiz(), attempt_row(app, attempt_id).seed)
    form["q-r1"] = reply
    assert client.post(f"/training/attempts/{attempt_id}/submit", data=form).status_code == 302
    return attempt_id


def _marking(app, attempt_id: int):
    from kbsite.db import session
    from kbsite.training.models import ReplyMarking

    with app.app_context():
        return session().scalar(select(ReplyMarking).where(ReplyMarking.attempt_id == attempt_id))


def _audit(app, action: str) -> list:
    from kbsite.audit import AuditEvent
    from kbsite.db import session

    with app.app_context():
        return list(session().scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _passed(app, user) -> set[str]:
    from kbsite.training import progress

    with app.app_context():
        return set(progress.record_of(user.id).passed_at)


def test_unsure_reply_waits_then_the_trainer_override_is_the_final_grade(lib, signed_in):
    publish(lib, "one-course", "course", {"steps": [{"quiz": "known-quiz"}]}, title="一门课")
    c = signed_in("newbie")
    trainer = signed_in("coach", "trainer")
    attempt_id = _submit(lib, c, UNSURE)
    row = attempt_row(lib, attempt_id)
    assert (row.state, row.score_percent, row.passed) == ("pending", None, False)
    page = c.get(f"/training/attempts/{attempt_id}").get_data(as_text=True)
    assert 'id="pending-mark"' in page and "待批改" in page and "去批改" not in page
    assert "known-quiz" not in _passed(lib, c.user)
    assert "待批改" in c.get("/training/").get_data(as_text=True)

    assert c.get("/training/manage/marking").status_code == 403
    queue = trainer.get("/training/manage/marking").get_data(as_text=True)
    marking = _marking(lib, attempt_id)
    assert f"/training/manage/marking/{marking.id}" in queue and "newbie" in queue
    item = trainer.get(f"/training/manage/marking/{marking.id}").get_data(as_text=True)
    assert UNSURE in item and "快递到了箱子都压扁了" in item  # the chat and the reply
    assert "✔ 做到" in item and "✘ 未做到" in item and "评分不确定" in item  # evidence and flags

    refused = trainer.post(f"/training/manage/marking/{marking.id}",
                           data={"action": "override", "score": "100", "comment": "  "})
    assert refused.status_code == 400 and "改分时请写明理由" in refused.get_data(as_text=True)
    assert attempt_row(lib, attempt_id).state == "pending"
    bad = trainer.post(f"/training/manage/marking/{marking.id}",
                       data={"action": "override", "score": "120", "comment": "x"})
    assert bad.status_code == 400 and "0–100" in bad.get_data(as_text=True)

    done = trainer.post(f"/training/manage/marking/{marking.id}",
                        data={"action": "override", "score": "100", "comment": "k-评语 要照片这一点用“看一下”也算到位"})
    assert done.status_code == 302
    row = attempt_row(lib, attempt_id)
    assert (row.state, row.score_percent, row.passed) == ("graded", 100.0, True)
    page = c.get(f"/training/attempts/{attempt_id}").get_data(as_text=True)
    assert "培训师批改：100.0 分" in page and "k-评语" in page and 'id="pending-mark"' not in page
    assert "known-quiz" in _passed(lib, c.user)
    assert c.get("/training/certificates/one-course").status_code == 200
    events = _audit(lib, "training.reply_marked")
    assert len(events) == 1 and events[0].detail["override"] is True
    assert (events[0].detail["auto"], events[0].detail["final"]) == (marking.auto_score, 100.0)
    again = trainer.post(f"/training/manage/marking/{marking.id}", data={"action": "confirm"})
    assert again.status_code == 409
    assert "没有待批改的回复" in trainer.get("/training/manage/marking").get_data(as_text=True)


def test_confirmed_score_counts_and_the_reply_enters_the_leitner_queue(lib, signed_in):
    from kbsite.db import session
    from kbsite.training.models import ReviewCard

    c = signed_in("newbie")
    trainer = signed_in("coach", "trainer")
    attempt_id = _submit(lib, c, UNSURE)
    with lib.app_context():
        assert not session().scalars(select(ReviewCard).where(ReviewCard.question_id == "r1")).all()
    marking = _marking(lib, attempt_id)
    assert trainer.post(f"/training/manage/marking/{marking.id}", data={"action": "confirm"}).status_code == 302
    row = attempt_row(lib, attempt_id)
    assert row.state == "graded" and row.score_percent == round(100 * (6 + marking.auto_score / 100) / 7, 2)
    with lib.app_context():
        assert session().scalars(select(ReviewCard).where(ReviewCard.question_id == "r1")).all()
    assert _audit(lib, "training.attempt_marked")[0].detail["score"] == row.score_percent


def test_sure_replies_never_reach_the_queue(lib, signed_in):
    c = signed_in("newbie")
    passed = _submit(lib, c, "非常抱歉，麻烦您拍照发给我，我们马上为您补发。")
    assert attempt_row(lib, passed).state == "graded" and _marking(lib, passed) is None


def test_a_reviewed_step_is_done_when_the_trainer_decides_not_when_submitted(lib, signed_in):
    """Completion and certificate dates follow the trainer's decision (the grade is final only then)."""
    from datetime import timedelta

    from kbsite.auth.models import User
    from kbsite.db import session
    from kbsite.training import marking, progress
    from kbsite.training.models import Certificate

    publish(lib, "one-course", "course", {"steps": [{"quiz": "known-quiz"}]}, title="一门课")
    c = signed_in("newbie")
    signed_in("coach", "trainer")
    attempt_id = _submit(lib, c, UNSURE)
    submitted = attempt_row(lib, attempt_id).finished_at
    decided = submitted + timedelta(days=3, hours=5)
    with lib.app_context():
        coach = session().scalar(select(User).where(User.username == "coach"))
        marking.decide(coach, _marking(lib, attempt_id).id, action="override", score=100, comment="要点都到了",
                       now=decided)
    with lib.app_context():
        assert progress.record_of(c.user.id).passed_at["known-quiz"] == decided
        course = progress.all_progress(session().get(User, c.user.id))["one-course"]
        assert course.complete and course.completed_at == decided
    assert c.get("/training/certificates/one-course").status_code == 200
    with lib.app_context():
        cert = session().scalar(select(Certificate).where(Certificate.course_slug == "one-course"))
        assert cert.completed_at == decided != submitted


def test_the_queue_names_questions_by_place_and_prompt_never_by_file_id(lib, signed_in):
    quiz = known_quiz()
    number = [q.id for q in quiz.questions].index("r1") + 1
    prompt = quiz.question("r1").prompt
    c = signed_in("newbie")
    trainer = signed_in("coach", "trainer")
    attempt_id = _submit(lib, c, UNSURE)
    marking = _marking(lib, attempt_id)
    queue = trainer.get("/training/manage/marking").get_data(as_text=True)
    item = trainer.get(f"/training/manage/marking/{marking.id}").get_data(as_text=True)
    for page in (queue, item):
        assert f"第 {number} 题" in page and prompt[:20] in page
        assert "· r1" not in page and ">r1<" not in page
    trainer.post(f"/training/manage/marking/{marking.id}", data={"action": "confirm"})
    done = trainer.get("/training/manage/marking").get_data(as_text=True)
    assert "最近批改" in done and f"第 {number} 题" in done and ">r1<" not in done


def test_most_missed_questions_are_named_by_place_not_by_file_id(lib, signed_in):
    quiz = known_quiz()
    c = signed_in("newbie")
    trainer = signed_in("coach", "trainer")
    attempt_id = start(c)
    form = answers(quiz, attempt_row(lib, attempt_id).seed, right=False)
    assert c.post(f"/training/attempts/{attempt_id}/submit", data=form).status_code == 302
    page = trainer.get("/training/manage").get_data(as_text=True)
    missed = page.split('class="history missed"', 1)[1].split("</table>", 1)[0]
    assert "第 1 题" in missed and quiz.questions[0].prompt[:10] in missed
    for q in quiz.questions:
        assert f"· {q.id}<" not in missed and f"· {q.id}\n" not in missed


def test_the_preview_rubric_names_written_questions_by_place_and_prompt(lib, signed_in):
    quiz = known_quiz()
    number = [q.id for q in quiz.questions].index("r1") + 1
    trainer = signed_in("coach", "trainer")
    page = trainer.get("/training/manage/quizzes/known-quiz/preview").get_data(as_text=True)
    rubric = page.split('id="try-rubric"', 1)[1]
    heading = rubric.split("<h3>", 1)[1].split("</h3>", 1)[0]
    assert f"第 {number} 题" in heading and "r1" not in heading
