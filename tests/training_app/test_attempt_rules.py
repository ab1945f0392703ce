"""The attempt rules: server-side grading, no answer key in the page, once-only, owner-only, on time."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

from kbsite.db import utcnow

from .conftest import answers, attempt_row, known_quiz, publish, quiz_meta, start


def _set(app, attempt_id: int, **values) -> None:
    from kbsite.db import write_session
    from kbsite.training.models import Attempt

    with app.app_context(), write_session() as sess:
        row = sess.get(Attempt, attempt_id)
        for key, value in values.items():
            setattr(row, key, value)


def test_all_right_scores_100_with_feedback_citing_the_knowledge_base(lib, signed_in):
    c = signed_in("newbie")
    attempt_id = start(c)
    seed = attempt_row(lib, attempt_id).seed
    resp = c.post(f"/training/attempts/{attempt_id}/submit", data=answers(known_quiz(), seed))
    assert resp.status_code == 302
    row = attempt_row(lib, attempt_id)
    assert (row.state, row.score_percent, row.passed) == ("graded", 100.0, True)
    assert row.finished_at is not None and row.user_id == c.user.id
    page = c.get(f"/training/attempts/{attempt_id}").get_data(as_text=True)
    assert "100.0 分" in page and "通过" in page
    assert "k-question-explain-乙" in page and "k-option-explain-甲" in page  # why, after submission
    assert 'href="/items/response-time-standards"' in page  # the cited entry is linked
    assert "k-sample-reply" in page  # the model answer is shown after submission


def test_all_wrong_gives_feedback_per_option_and_point(lib, signed_in):
    c = signed_in("newbie")
    attempt_id = start(c)
    seed = attempt_row(lib, attempt_id).seed
    c.post(f"/training/attempts/{attempt_id}/submit", data=answers(known_quiz(), seed, right=False))
    row = attempt_row(lib, attempt_id)
    assert row.score_percent == 0.0 and not row.passed
    reply = row.result["r1"]
    statuses = {subject: status for status, subject, *_ in reply["feedback"]}
    assert statuses["致歉"] == "missed" and statuses["要照片"] == "missed"
    assert any(s == "wrong" and "禁用语" in m for s, _, m, *_ in reply["feedback"])  # lexicon hit explained
    page = c.get(f"/training/attempts/{attempt_id}").get_data(as_text=True)
    assert "缺少这一点" in page and "这不归我们管" in page


def test_page_before_submission_holds_no_answer_key(lib, signed_in):
    c = signed_in("newbie")
    attempt_id = start(c)
    row = attempt_row(lib, attempt_id)
    html = c.get(f"/training/attempts/{attempt_id}").get_data(as_text=True)
    assert "1分钟内" in html and "快递到了箱子都压扁了" in html  # the questions are there …
    for secret in ("k-option-explain-甲", "k-question-explain-乙", "k-sample-reply", "k照片甲", "太慢了",
                   "correct", "explain", "sample_reply", "key_points", str(row.seed)):
        assert secret not in html, secret  # … but no flag, explanation, key phrasing, model reply or seed
    shown = re.findall(r'<span class="order-text">([^<]+)</span>', html)
    assert sorted(shown) == sorted(["倾听", "致歉", "核实", "给方案"])
    assert shown != ["倾听", "致歉", "核实", "给方案"]  # never shown in the correct order


def test_double_submit_and_replay_are_refused(lib, signed_in):
    c = signed_in("newbie")
    attempt_id = start(c)
    form = answers(known_quiz(), attempt_row(lib, attempt_id).seed)
    assert c.post(f"/training/attempts/{attempt_id}/submit", data=form).status_code == 302
    replay = c.post(f"/training/attempts/{attempt_id}/submit", data=answers(known_quiz(), 1, right=False))
    assert replay.status_code == 409
    assert attempt_row(lib, attempt_id).score_percent == 100.0  # unchanged by the replay


def test_concurrent_submits_grade_exactly_once(lib, signed_in):
    c = signed_in("newbie")
    attempt_id = start(c)
    form = answers(known_quiz(), attempt_row(lib, attempt_id).seed)
    clients = [lib.test_client() for _ in range(4)]
    for other in clients:
        other.post("/login", data={"username": "newbie", "password": "correct-horse-battery"})
    barrier = threading.Barrier(len(clients))
    codes: list[int] = []

    def go(client):
        barrier.wait()
        codes.append(client.post(f"/training/attempts/{attempt_id}/submit", data=form).status_code)

    threads = [threading.Thread(target=go, args=(cl,)) for cl in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [302, 409, 409, 409]
    from kbsite.audit import AuditEvent
    from kbsite.db import session

    with lib.app_context():
        graded = session().query(AuditEvent).filter_by(action="training.attempt_submit",
                                                       target=f"attempt:{attempt_id}").count()
    assert graded == 1


def test_another_users_attempt_is_forbidden(lib, signed_in):
    owner, intruder = signed_in("newbie"), signed_in("mallory")
    attempt_id = start(owner)
    form = answers(known_quiz(), attempt_row(lib, attempt_id).seed)
    assert intruder.get(f"/training/attempts/{attempt_id}").status_code == 403
    assert intruder.post(f"/training/attempts/{attempt_id}/submit", data=form).status_code == 403
    assert intruder.post("/training/attempts/999999/submit", data=form).status_code == 404
    assert attempt_row(lib, attempt_id).state == "open"


def test_forged_responses_are_refused_and_leave_the_attempt_open(lib, signed_in):
    c = signed_in("newbie")
    attempt_id = start(c)
    good = answers(known_quiz(), attempt_row(lib, attempt_id).seed)
    forged = [
        {**good, "q-s1": "deadbeef0000"},              # option id not offered
        {**good, "score": "100"},                      # extra field
        {**good, "correct": "true"},
        {**good, "time_left": "9999"},
        {**good, "q-zz": "x"},                         # question not in the quiz
        {**good, "q-o1": good["q-o1"][:2]},            # ordering missing items
        {**good, "q-m1": [good["q-m1"][0]] * 2},       # duplicate picks
        {**good, "q-t1": "maybe"},
        {**good, "q-r1": "长" * 2001},                 # over the reply limit
    ]
    for data in forged:
        assert c.post(f"/training/attempts/{attempt_id}/submit", data=data).status_code == 400, data
    assert attempt_row(lib, attempt_id).state == "open"
    other_seed = answers(known_quiz(), attempt_row(lib, attempt_id).seed + 1)
    assert c.post(f"/training/attempts/{attempt_id}/submit", data=other_seed).status_code == 400


def test_late_submission_is_refused_and_closed_at_the_deadline(lib, signed_in):
    publish(lib, "timed-quiz", "quiz", quiz_meta(time_limit_seconds=60), title="限时")
    c = signed_in("newbie")
    attempt_id = start(c, "timed-quiz")
    row = attempt_row(lib, attempt_id)
    assert row.deadline is not None
    assert 59 <= (row.deadline - row.started_at).total_seconds() <= 60  # stored at start, server time
    deadline = utcnow() - timedelta(seconds=30)
    _set(lib, attempt_id, started_at=deadline - timedelta(seconds=60), deadline=deadline)
    resp = c.post(f"/training/attempts/{attempt_id}/submit", data=answers(known_quiz(), row.seed))
    assert resp.status_code == 409
    row = attempt_row(lib, attempt_id)
    assert (row.state, row.score_percent, row.passed, row.late) == ("expired", 0.0, False, True)
    assert abs((row.finished_at - deadline).total_seconds()) < 1  # finish time = the deadline


def test_submission_within_grace_is_graded_and_marked_late(lib, signed_in):
    publish(lib, "timed-quiz", "quiz", quiz_meta(time_limit_seconds=60), title="限时")
    c = signed_in("newbie")
    attempt_id = start(c, "timed-quiz")
    deadline = utcnow() - timedelta(seconds=2)
    _set(lib, attempt_id, deadline=deadline)
    seed = attempt_row(lib, attempt_id).seed
    assert c.post(f"/training/attempts/{attempt_id}/submit", data=answers(known_quiz(), seed)).status_code == 302
    row = attempt_row(lib, attempt_id)
    assert (row.state, row.score_percent, row.late) == ("graded", 100.0, True)
    assert abs((row.finished_at - deadline).total_seconds()) < 1


def test_abandoned_timed_attempt_is_closed_when_seen(lib, signed_in):
    publish(lib, "timed-quiz", "quiz", quiz_meta(time_limit_seconds=60), title="限时")
    c = signed_in("newbie")
    attempt_id = start(c, "timed-quiz")
    _set(lib, attempt_id, deadline=utcnow() - timedelta(minutes=10))
    page = c.get(f"/training/attempts/{attempt_id}").get_data(as_text=True)
    assert "超时作废" in page
    assert attempt_row(lib, attempt_id).state == "expired"


def test_max_attempts_and_resume(lib, signed_in):
    publish(lib, "two-tries", "quiz", quiz_meta(max_attempts=2), title="两次")
    c = signed_in("newbie")
    first = start(c, "two-tries")
    assert start(c, "two-tries") == first  # an open attempt is resumed, not duplicated
    c.post(f"/training/attempts/{first}/submit", data={})
    second = start(c, "two-tries")
    assert second != first and attempt_row(lib, second).number == 2
    c.post(f"/training/attempts/{second}/submit", data={})
    assert c.post("/training/quizzes/two-tries/start").status_code == 409
    assert "作答次数已用完" in c.get("/training/quizzes/two-tries").get_data(as_text=True)


def test_pass_mark_is_per_quiz(lib, signed_in):
    publish(lib, "easy-quiz", "quiz", quiz_meta(pass_mark=10), title="易")
    c = signed_in("newbie")
    attempt_id = start(c, "easy-quiz")
    form = answers(known_quiz(), attempt_row(lib, attempt_id).seed)
    c.post(f"/training/attempts/{attempt_id}/submit", data={"q-s1": form["q-s1"]})
    row = attempt_row(lib, attempt_id)
    assert 10 <= row.score_percent < 80 and row.passed


def test_attempt_is_graded_against_its_own_revision(lib, signed_in):
    c = signed_in("newbie")
    attempt_id = start(c)
    seed = attempt_row(lib, attempt_id).seed
    changed = quiz_meta()
    changed["questions"][0]["options"] = [{"text": "1分钟内"}, {"text": "10分钟内", "correct": "true"}]
    publish(lib, "known-quiz", "quiz", changed, title="已知测验")
    c.post(f"/training/attempts/{attempt_id}/submit", data=answers(known_quiz(), seed))
    row = attempt_row(lib, attempt_id)
    assert row.score_percent == 100.0  # the key of the revision it started on
    assert start(c) != attempt_id and attempt_row(lib, start(c)).revision_id != row.revision_id


def test_agents_cannot_reach_trainer_pages(lib, signed_in):
    c = signed_in("newbie")
    for url in ("/training/manage", "/training/manage/export.csv", "/training/manage/quizzes/known-quiz/preview"):
        assert c.get(url).status_code == 403
    assert c.post("/training/manage/assignments", data={"course": "phrasing-basics",
                                                        "username": "newbie"}).status_code == 403
