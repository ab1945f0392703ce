"""Quiz attempts: start, submit, expire — the rules that make grading impossible to game.

Rules:

- an attempt belongs to one user and one quiz revision, and carries a secret
  seed (the option ids are keyed hashes of it; it never reaches the browser);
- only its owner may submit it, once: the row is locked inside one write
  transaction, so a double or concurrent submit grades exactly once and the
  second gets a Conflict (409), as does a replayed old form;
- responses may only name questions and options that the page offered; any
  other form field (``score``, ``correct``, ``time_left`` …) is refused (400);
- timed quizzes store the deadline at start; a submit up to ``GRACE_SECONDS``
  after it is graded and marked late; a later one is refused (409) and the
  attempt is closed as expired with score 0 and finish time = deadline;
  abandoned open attempts are closed the same way the next time they are seen;
- ``max_attempts`` (0 = unlimited) counts every closed attempt of the quiz, over
  all its revisions; an open attempt is resumed rather than a second one opened;
- ``cooldown_minutes`` must pass after an attempt closes before the next opens
  (unlimited quizzes default to ``quizformat.DEFAULT_COOLDOWN_MINUTES``);
- a quiz with ``draw`` gives each attempt that many questions of its pool, chosen by the seed;
- a written reply the grader is unsure of puts the attempt in ``pending`` (待批改):
  no score and not passed until a trainer marks it (``marking.decide``).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kbsite import audit, clock
from kbsite.auth.models import User
from kbsite.content.models import Revision
from kbsite.db import session, utcnow, write_session
from kbsite.errors import Conflict, Forbidden, Invalid, NotFound
from kbsite.training import catalog, kinds
from kbsite.training.grading import AttemptResult, InvalidResponse, grade_attempt
from kbsite.training.models import Attempt, ReplyMarking, ReviewCard
from kbsite.training.quizformat import Question, Quiz
from kbsite.training.schedule import CardState, review

GRACE_SECONDS = 5
FIELD_PREFIX = "q-"
ALLOWED_FIELDS = frozenset({"csrf_token"})


def new_seed() -> int:
    """A fresh secret seed for one attempt or review round."""
    return secrets.randbits(62)


# --- reading ---------------------------------------------------------------------------------


def get_attempt(attempt_id: int, user: User, *, may_view_others: bool = False) -> Attempt:
    """An attempt its owner (or, read-only, a trainer) may see; 404/403 otherwise."""
    attempt = session().get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound("找不到这次作答")
    if attempt.user_id != user.id and not may_view_others:
        raise Forbidden("这不是您的作答")
    return attempt


def quiz_for(attempt: Attempt, sess: Session | None = None) -> Quiz:
    """The quiz exactly as it was when the attempt started, with the questions it drew."""
    rev = (sess or session()).get(Revision, attempt.revision_id)
    return catalog.quiz_of(rev).drawn(attempt.seed)


def closed_count(user_id: int, quiz_slug: str, sess: Session | None = None) -> int:
    """Attempts of this quiz the user has used up (graded or expired)."""
    return (sess or session()).scalar(
        select(func.count()).select_from(Attempt).where(
            Attempt.user_id == user_id, Attempt.quiz_slug == quiz_slug, Attempt.state != "open")
    ) or 0


def remaining_seconds(attempt: Attempt, now: datetime | None = None) -> int | None:
    """Seconds left before the server deadline (None when untimed)."""
    if attempt.deadline is None:
        return None
    return max(0, int((attempt.deadline - (now or utcnow())).total_seconds()))


# --- the state machine ------------------------------------------------------------------------


def _overdue(attempt: Attempt, now: datetime) -> bool:
    return (attempt.state == "open" and attempt.deadline is not None
            and now > attempt.deadline + timedelta(seconds=GRACE_SECONDS))


def _expire(sess: Session, attempt: Attempt) -> None:
    attempt.state = "expired"
    attempt.finished_at = attempt.deadline
    attempt.late = True
    attempt.score_percent = 0.0
    attempt.passed = False
    audit.record(sess, None, "training.attempt_expired", f"attempt:{attempt.id}", quiz=attempt.quiz_slug)


def expire_overdue(user_id: int | None = None, now: datetime | None = None) -> int:
    """Close open attempts past deadline + grace (the overdue sweep); returns how many."""
    now = now or utcnow()
    with write_session() as sess:
        query = select(Attempt).where(Attempt.state == "open", Attempt.deadline.is_not(None))
        if user_id is not None:
            query = query.where(Attempt.user_id == user_id)
        stale = [a for a in sess.scalars(query) if _overdue(a, now)]
        for attempt in stale:
            _expire(sess, attempt)
    return len(stale)


def start_attempt(user: User, quiz_slug: str, now: datetime | None = None) -> Attempt:
    """Open an attempt on the published revision, or resume the open one; enforces max_attempts."""
    now = now or utcnow()
    pub = catalog.published(quiz_slug, "quiz")
    quiz = catalog.quiz_of(pub.rev)
    expire_overdue(user.id, now)
    with write_session() as sess:
        sess.scalar(select(User).where(User.id == user.id).with_for_update())  # one start at a time
        current = sess.scalar(select(Attempt).where(
            Attempt.user_id == user.id, Attempt.quiz_slug == quiz_slug, Attempt.state == "open"))
        if current is not None:
            return current
        used = closed_count(user.id, quiz_slug, sess)
        if quiz.max_attempts and used >= quiz.max_attempts:
            raise Conflict(f"本测验最多可作答 {quiz.max_attempts} 次，您已用完")
        wait = cooldown_left(sess, user.id, quiz_slug, quiz, now)
        if wait:
            raise Conflict(f"两次作答之间需间隔 {quiz.cooldown_minutes} 分钟，请 {_minutes(wait)} 后再试")
        deadline = now + timedelta(seconds=quiz.time_limit_seconds) if quiz.time_limit_seconds else None
        attempt = Attempt(user_id=user.id, quiz_slug=quiz_slug, revision_id=pub.rev.id, number=used + 1,
                          seed=new_seed(), state="open", started_at=now, deadline=deadline)
        sess.add(attempt)
        sess.flush()
        audit.record(sess, user, "training.attempt_start", f"attempt:{attempt.id}", quiz=quiz_slug)
        return attempt


def cooldown_left(sess: Session, user_id: int, quiz_slug: str, quiz: Quiz, now: datetime) -> timedelta | None:
    """How long until the next attempt may start (None when it may start now)."""
    if not quiz.cooldown_minutes:
        return None
    last = sess.scalar(select(func.max(Attempt.finished_at)).where(
        Attempt.user_id == user_id, Attempt.quiz_slug == quiz_slug, Attempt.state != "open"))
    if last is None:
        return None
    left = last + timedelta(minutes=quiz.cooldown_minutes) - now
    return left if left.total_seconds() > 0 else None


def _minutes(delta: timedelta) -> str:
    return f"{max(1, math.ceil(delta.total_seconds() / 60))} 分钟"


def responses_from_form(questions: tuple[Question, ...], form) -> dict[str, object]:
    """Raw responses keyed by question id from posted fields; unknown fields are refused."""
    consumed = set(ALLOWED_FIELDS)
    out: dict[str, object] = {}
    for q in questions:
        key, kind = FIELD_PREFIX + q.id, kinds.get(q.kind)
        if kind.answer == "map":
            prefix = key + "."
            picks = {k[len(prefix):]: form.get(k) for k in form if k.startswith(prefix)}
            consumed.update(prefix + left for left in picks)
            if picks:
                out[q.id] = picks
        elif key in form:
            consumed.add(key)
            values = form.getlist(key)
            if kind.answer == "list":
                out[q.id] = values
            elif len(values) != 1:
                raise Invalid(f"题目 {q.id}：只能提交一个答案")
            elif values[0] != "" or kind.keeps_empty_answer:
                out[q.id] = values[0]
    extra = sorted(k for k in form if k not in consumed)
    if extra:
        raise Invalid(f"提交中含有页面未提供的字段：{'、'.join(extra[:5])}")
    return out


def _stored(result: AttemptResult, responses: Mapping[str, object], quiz: Quiz) -> dict:
    """The per-question grades as JSON (feedback rows; the reply text for written answers)."""
    out = {}
    for q in quiz.questions:
        grade = result.per_question[q.id]
        entry = {
            "score": grade.score, "correct": grade.correct,
            "feedback": [[f.status, f.subject, f.message, f.cite, f.suggestion] for f in grade.feedback],
        }
        if q.kind == "scenario_reply" and isinstance(responses.get(q.id), str):
            entry["reply"] = responses[q.id]
        if grade.verdict:
            entry["verdict"], entry["detail"] = grade.verdict, grade.detail
        out[q.id] = entry
    return out


def update_cards(sess: Session, user_id: int, quiz_slug: str, correct: Mapping[str, bool],
                 now: datetime) -> None:
    """Missed questions enter (or fall back in) the Leitner queue; known cards move on."""
    cards = {c.question_id: c for c in sess.scalars(select(ReviewCard).where(
        ReviewCard.user_id == user_id, ReviewCard.quiz_slug == quiz_slug))}
    for qid, ok in correct.items():
        card = cards.get(qid)
        if card is None and ok:
            continue
        state = None if card is None else CardState(card.box, card.due_at, card.mastered, card.reviews,
                                                    card.lapses)
        new = review(state, ok, now, clock.zone())
        if card is None:
            card = ReviewCard(user_id=user_id, quiz_slug=quiz_slug, question_id=qid)
            sess.add(card)
        card.box, card.due_at, card.mastered = new.box, new.due_at, new.mastered
        card.reviews, card.lapses, card.updated_at = new.reviews, new.lapses, now


def submit_attempt(user: User, attempt_id: int, form, now: datetime | None = None) -> Attempt:
    """Grade an open attempt exactly once, on the server, from the stored revision and seed."""
    now = now or utcnow()
    expired = False
    with write_session() as sess:
        attempt = sess.scalar(select(Attempt).where(Attempt.id == attempt_id).with_for_update())
        if attempt is None:
            raise NotFound("找不到这次作答")
        if attempt.user_id != user.id:
            raise Forbidden("这不是您的作答，不能提交")
        if attempt.state != "open":
            raise Conflict("这次作答已经提交过，不能重复提交；如需再练请重新开始")
        if _overdue(attempt, now):
            _expire(sess, attempt)
            expired = True
        else:
            _grade(sess, user, attempt, form, now)
    if expired:
        raise Conflict(f"已超过时限（宽限 {GRACE_SECONDS} 秒），本次作答按超时处理，不计分")
    return attempt


def _grade(sess: Session, user: User, attempt: Attempt, form, now: datetime) -> None:
    quiz = quiz_for(attempt, sess)
    responses = responses_from_form(quiz.questions, form)
    context = catalog.grading_context(attempt.seed, sess)
    try:
        result = grade_attempt(quiz, responses, context)
    except InvalidResponse as exc:
        raise Invalid(str(exc)) from exc
    unsure = result.under_review
    attempt.state = "pending" if unsure else "graded"
    attempt.late = attempt.deadline is not None and now > attempt.deadline
    attempt.finished_at = min(now, attempt.deadline) if attempt.deadline else now
    attempt.score_percent = None if unsure else result.score_percent
    attempt.passed = result.passed and not unsure
    attempt.result = _stored(result, responses, quiz)
    for qid in unsure:
        sess.add(ReplyMarking(attempt_id=attempt.id, question_id=qid,
                              auto_score=round(100 * result.per_question[qid].score, 1), created_at=now))
    update_cards(sess, user.id, attempt.quiz_slug,
                 {qid: g.correct for qid, g in result.per_question.items() if qid not in unsure}, now)
    audit.record(sess, user, "training.attempt_submit", f"attempt:{attempt.id}", quiz=attempt.quiz_slug,
                 score=attempt.score_percent, passed=attempt.passed, to_mark=len(unsure))


def renamed(q: Question, prefix: str) -> Question:
    """A copy of a question under another id (review rounds mix quizzes whose ids may collide)."""
    return replace(q, id=f"{prefix}{q.id}")
