"""The trainers' 待批改 queue: written replies the grader was unsure of, confirmed or overridden.

A trainer sees the chat, the reply, the evidence per key point and the flags,
then confirms the grader's score or sets another with a comment (required when
overriding). When the last reply of an attempt is marked, the attempt gets its
final score: it is graded, passed or not, and its Leitner cards move. Every
decision goes into the audit log.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from kbsite import audit
from kbsite.auth.models import User
from kbsite.db import session, utcnow, write_session
from kbsite.errors import Conflict, Invalid, NotFound
from kbsite.training.attempts import quiz_for, update_cards
from kbsite.training.grading import weighted_percent
from kbsite.training.models import Attempt, ReplyMarking
from kbsite.training.replygrading import PASS_AT

COMMENT_MAX_CHARS = 2000


def pending(limit: int = 200) -> list[ReplyMarking]:
    """Replies waiting for a trainer, oldest first."""
    return list(session().scalars(select(ReplyMarking).where(ReplyMarking.marked_at.is_(None))
                                  .order_by(ReplyMarking.created_at, ReplyMarking.id).limit(limit)))


def pending_count() -> int:
    """How many replies wait for a trainer (for the dashboard's link)."""
    return session().scalar(select(func.count()).select_from(ReplyMarking)
                            .where(ReplyMarking.marked_at.is_(None))) or 0


def recently_marked(limit: int = 20) -> list[ReplyMarking]:
    """The latest decisions, newest first."""
    return list(session().scalars(select(ReplyMarking).where(ReplyMarking.marked_at.is_not(None))
                                  .order_by(ReplyMarking.marked_at.desc()).limit(limit)))


def get(marking_id: int) -> ReplyMarking:
    """One queue entry; NotFound otherwise."""
    found = session().get(ReplyMarking, marking_id)
    if found is None:
        raise NotFound("找不到这条待批改的回复")
    return found


def question_place(found: ReplyMarking) -> tuple[int | None, str]:
    """Where the reply's question sat in the trainee's attempt (1-based) and its prompt, for people.

    Question ids such as ``d3`` are file keys; trainers read "第 3 题" and the question itself.
    """
    try:
        questions = quiz_for(found.attempt).questions
    except Exception:  # noqa: BLE001 - a quiz revision that no longer parses still lists its replies
        return None, ""
    for number, q in enumerate(questions, 1):
        if q.id == found.question_id:
            return number, q.prompt or (q.chat[-1].text if q.chat else "")
    return None, ""


def of_attempt(attempt_id: int) -> dict[str, ReplyMarking]:
    """An attempt's queue entries by question id."""
    rows = session().scalars(select(ReplyMarking).where(ReplyMarking.attempt_id == attempt_id))
    return {m.question_id: m for m in rows}


def _final_score(action: str, raw_score: object, auto: float, comment: str) -> float:
    if action == "confirm":
        return auto
    if action != "override":
        raise Invalid("请选择“确认评分”或“改分”")
    try:
        score = float(str(raw_score).strip())
    except ValueError:
        raise Invalid("分数应为 0–100 的数字") from None
    if not 0 <= score <= 100:
        raise Invalid("分数应为 0–100 的数字")
    if not comment:
        raise Invalid("改分时请写明理由（评语），学员会看到")
    return round(score, 1)


def decide(actor: User, marking_id: int, *, action: str, score: object = None, comment: str = "",
           now: datetime | None = None) -> ReplyMarking:
    """Confirm or override one reply's score; finalize the attempt when nothing else waits."""
    now = now or utcnow()
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_CHARS:
        raise Invalid(f"评语不能超过 {COMMENT_MAX_CHARS} 字")
    with write_session() as sess:
        marking = sess.scalar(select(ReplyMarking).where(ReplyMarking.id == marking_id).with_for_update())
        if marking is None:
            raise NotFound("找不到这条待批改的回复")
        if marking.marked_at is not None:
            raise Conflict("这条回复已经批改过了")
        final = _final_score(action, score, marking.auto_score, comment)
        marking.final_score, marking.comment = final, comment
        marking.marked_by_id, marking.marked_at = actor.id, now
        attempt = sess.scalar(select(Attempt).where(Attempt.id == marking.attempt_id).with_for_update())
        _apply(attempt, marking)
        audit.record(sess, actor, "training.reply_marked", f"attempt:{attempt.id}", question=marking.question_id,
                     auto=marking.auto_score, final=final, override=action == "override", comment=comment or None)
        sess.flush()
        waiting = sess.scalar(select(func.count()).select_from(ReplyMarking).where(
            ReplyMarking.attempt_id == attempt.id, ReplyMarking.marked_at.is_(None)))
        if not waiting and attempt.state == "pending":
            _finalize(sess, actor, attempt, now)
        return marking


def _apply(attempt: Attempt, marking: ReplyMarking) -> None:
    """Write the trainer's score and comment into the stored result (JSON: replaced, not mutated)."""
    result = dict(attempt.result or {})
    entry = dict(result.get(marking.question_id, {}))
    entry["score"] = marking.final_score / 100
    entry["correct"] = marking.final_score / 100 >= PASS_AT
    entry["marking"] = {"final": marking.final_score, "auto": marking.auto_score, "comment": marking.comment,
                        "override": marking.final_score != marking.auto_score}
    result[marking.question_id] = entry
    attempt.result = result


def _finalize(sess, actor: User, attempt: Attempt, now: datetime) -> None:
    quiz = quiz_for(attempt, sess)
    scores = {qid: float(entry.get("score") or 0.0) for qid, entry in attempt.result.items()}
    attempt.score_percent = weighted_percent(quiz, scores)
    attempt.passed = attempt.score_percent >= quiz.pass_mark
    attempt.state = "graded"
    marked = set(of_attempt_ids(sess, attempt.id))
    update_cards(sess, attempt.user_id, attempt.quiz_slug,
                 {qid: bool(e.get("correct")) for qid, e in attempt.result.items() if qid in marked}, now)
    audit.record(sess, actor, "training.attempt_marked", f"attempt:{attempt.id}", quiz=attempt.quiz_slug,
                 score=attempt.score_percent, passed=attempt.passed)


def of_attempt_ids(sess, attempt_id: int) -> list[str]:
    """Question ids of an attempt that went through the queue."""
    return list(sess.scalars(select(ReplyMarking.question_id).where(ReplyMarking.attempt_id == attempt_id)))
