"""The daily review: due Leitner cards asked again under a fresh seed, graded on the server.

A round freezes which cards it shows and the published quiz revision of each,
so the page and the grading agree; like an attempt it is graded once, by its
owner, inside one locked write transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from kbsite import audit, clock
from kbsite.auth.models import User
from kbsite.content.models import Revision
from kbsite.db import session, utcnow, write_session
from kbsite.errors import Conflict, Forbidden, Invalid, NotFound
from kbsite.training import catalog
from kbsite.training.attempts import new_seed, renamed, responses_from_form
from kbsite.training.grading import InvalidResponse, grade_attempt
from kbsite.training.models import ReviewCard, ReviewRound
from kbsite.training.quizformat import Question, Quiz
from kbsite.training.schedule import CardState, review

ROUND_SIZE = 10
ROUND_MAX_AGE = timedelta(hours=12)


@dataclass(frozen=True)
class RoundQuestion:
    """One card of a round: its question under the round's id, and where it came from."""

    card_id: int
    quiz_slug: str
    quiz_title: str
    question: Question


def due_cards(user_id: int, now: datetime | None = None) -> list[ReviewCard]:
    """The user's cards due now, oldest due first."""
    now = now or utcnow()
    return list(session().scalars(
        select(ReviewCard).where(ReviewCard.user_id == user_id, ReviewCard.mastered.is_(False),
                                 ReviewCard.due_at <= now).order_by(ReviewCard.due_at)))


def queue_summary(user_id: int, now: datetime | None = None) -> dict:
    """Counts for the path page: due now, waiting, mastered, and the next due time."""
    now = now or utcnow()
    cards = list(session().scalars(select(ReviewCard).where(ReviewCard.user_id == user_id)))
    waiting = [c for c in cards if not c.mastered and c.due_at is not None and c.due_at > now]
    return {
        "due": sum(1 for c in cards if not c.mastered and c.due_at is not None and c.due_at <= now),
        "waiting": len(waiting), "mastered": sum(c.mastered for c in cards),
        "next_due": min((c.due_at for c in waiting), default=None),
    }


def _entries(sess, cards: list[ReviewCard]) -> list[dict]:
    entries = []
    for card in cards:
        try:
            pub = catalog.published(card.quiz_slug, "quiz", sess)
            catalog.quiz_of(pub.rev).question(card.question_id)
        except (NotFound, Invalid, KeyError):
            card.mastered, card.due_at = True, None  # the question is gone: nothing left to review
            continue
        entries.append({"card": card.id, "quiz": card.quiz_slug, "question": card.question_id,
                        "revision": pub.rev.id})
        if len(entries) >= ROUND_SIZE:
            break
    return entries


def open_round(user: User, now: datetime | None = None) -> ReviewRound | None:
    """The user's open round (resumed), or a new one over the due cards; None when nothing is due."""
    now = now or utcnow()
    with write_session() as sess:
        current = sess.scalar(select(ReviewRound).where(
            ReviewRound.user_id == user.id, ReviewRound.finished_at.is_(None)).with_for_update())
        if current is not None and now - current.started_at < ROUND_MAX_AGE:
            return current
        if current is not None:
            current.finished_at, current.result = now, {"abandoned": True}
        cards = list(sess.scalars(select(ReviewCard).where(
            ReviewCard.user_id == user.id, ReviewCard.mastered.is_(False), ReviewCard.due_at <= now)
            .order_by(ReviewCard.due_at)))
        entries = _entries(sess, cards)
        if not entries:
            return None
        rnd = ReviewRound(user_id=user.id, seed=new_seed(), cards=entries, started_at=now)
        sess.add(rnd)
        sess.flush()
        return rnd


def get_round(round_id: int, user: User) -> ReviewRound:
    """A round of this user; 404/403 otherwise."""
    rnd = session().get(ReviewRound, round_id)
    if rnd is None:
        raise NotFound("找不到这轮复习")
    if rnd.user_id != user.id:
        raise Forbidden("这不是您的复习")
    return rnd


def round_questions(rnd: ReviewRound, sess=None) -> list[RoundQuestion]:
    """The round's questions, renamed r1-, r2- … so that ids from different quizzes never collide."""
    sess = sess or session()
    out = []
    for n, entry in enumerate(rnd.cards, 1):
        rev = sess.get(Revision, entry["revision"])
        question = catalog.quiz_of(rev).question(entry["question"])
        out.append(RoundQuestion(entry["card"], entry["quiz"], rev.title, renamed(question, f"r{n}-")))
    return out


def submit_round(user: User, round_id: int, form, now: datetime | None = None) -> ReviewRound:
    """Grade a round once and move each card in its Leitner box."""
    now = now or utcnow()
    with write_session() as sess:
        rnd = sess.scalar(select(ReviewRound).where(ReviewRound.id == round_id).with_for_update())
        if rnd is None:
            raise NotFound("找不到这轮复习")
        if rnd.user_id != user.id:
            raise Forbidden("这不是您的复习")
        if rnd.finished_at is not None:
            raise Conflict("这轮复习已经提交过了")
        items = round_questions(rnd, sess)
        quiz = Quiz(100, 0, None, tuple(i.question for i in items))
        responses = responses_from_form(quiz.questions, form)
        try:
            result = grade_attempt(quiz, responses, catalog.grading_context(rnd.seed, sess))
        except InvalidResponse as exc:
            raise Invalid(str(exc)) from exc
        stored = {}
        for item in items:
            grade = result.per_question[item.question.id]
            card = sess.get(ReviewCard, item.card_id)
            # Practice has no trainer to mark an unsure reply: its card stays where it is.
            if card is not None and grade.verdict != "review":
                new = review(CardState(card.box, card.due_at, card.mastered, card.reviews, card.lapses),
                             grade.correct, now, clock.zone())
                card.box, card.due_at, card.mastered = new.box, new.due_at, new.mastered
                card.reviews, card.lapses, card.updated_at = new.reviews, new.lapses, now
            stored[item.question.id] = {
                "score": grade.score, "correct": grade.correct,
                "box": card.box if card else None, "mastered": bool(card and card.mastered),
                "feedback": [[f.status, f.subject, f.message, f.cite, f.suggestion] for f in grade.feedback],
                "reply": responses.get(item.question.id) if item.question.kind == "scenario_reply" else None,
            }
        rnd.finished_at, rnd.result = now, stored
        audit.record(sess, user, "training.review_submit", f"review:{rnd.id}",
                     right=sum(g.correct for g in result.per_question.values()), total=len(items))
        return rnd
