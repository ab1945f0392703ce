"""Training records: course assignments, lessons read, quiz attempts, review cards and rounds.

Quizzes, lessons and courses themselves are ordinary content items (type quiz,
lesson, course); these tables only hold what people did with them. An attempt
is pinned to one quiz revision and carries the secret seed behind its option
ids; the seed never leaves the server.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kbsite.auth.models import User
from kbsite.content.models import Revision
from kbsite.db import Base, UTCDateTime, utcnow

# pending: a written reply awaits a trainer (待批改); the score is final only once graded.
ATTEMPT_STATES = ("open", "pending", "graded", "expired")
FINAL_STATES = ("graded", "expired")


class Assignment(Base):
    """A course a trainer assigned to one user or to a whole cohort, with a due date."""

    __tablename__ = "training_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_slug: Mapped[str] = mapped_column(String(80), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), default=None,
                                                index=True)
    cohort: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    due_date: Mapped[str | None] = mapped_column(String(10), default=None)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class LessonRead(Base):
    """A lesson a trainee marked as read (progress is per lesson, shared by every course using it)."""

    __tablename__ = "training_lesson_reads"
    __table_args__ = (UniqueConstraint("user_id", "lesson_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_slug: Mapped[str] = mapped_column(String(80))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attempt(Base):
    """One try at one quiz revision by one user: open → graded (or pending → graded, or expired)."""

    __tablename__ = "training_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_slug: Mapped[str] = mapped_column(String(80), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    number: Mapped[int] = mapped_column(Integer, default=1)
    seed: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(10), default="open", index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    score_percent: Mapped[float | None] = mapped_column(Float, default=None)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Per question: {"score", "correct", "feedback": [[status, subject, message, cite, suggestion]], "answer"}
    result: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User] = relationship()
    revision: Mapped[Revision] = relationship()

    @property
    def seconds_taken(self) -> float | None:
        """Wall time from start to finish, as the server saw it."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class ReplyMarking(Base):
    """A written reply the grader was unsure of, in the trainers' 待批改 queue until decided.

    ``auto_score`` is the grader's score (0–100); ``final_score`` the trainer's, who
    either confirms it or overrides it with a comment.
    """

    __tablename__ = "training_reply_markings"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("training_attempts.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(64))
    auto_score: Mapped[float] = mapped_column(Float)
    final_score: Mapped[float | None] = mapped_column(Float, default=None)
    comment: Mapped[str] = mapped_column(Text, default="")
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)

    attempt: Mapped[Attempt] = relationship()
    marked_by: Mapped[User | None] = relationship(foreign_keys=[marked_by_id])


class ReviewCard(Base):
    """One missed question in one trainee's Leitner queue (see training/schedule.py)."""

    __tablename__ = "training_review_cards"
    __table_args__ = (UniqueConstraint("user_id", "quiz_slug", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_slug: Mapped[str] = mapped_column(String(80))
    question_id: Mapped[str] = mapped_column(String(64))
    box: Mapped[int] = mapped_column(Integer, default=1)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    mastered: Mapped[bool] = mapped_column(Boolean, default=False)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewRound(Base):
    """A daily review sitting: the due cards shown, under a fresh secret seed, graded once."""

    __tablename__ = "training_review_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    # [{"card": id, "quiz": slug, "question": id, "revision": revision id}]
    cards: Mapped[list] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    result: Mapped[dict] = mapped_column(JSON, default=dict)


class PolicyChange(Base):
    """A cited knowledge entry changed: a new revision was published, or a scheduled one came into force.

    Steps that cite the entry and were completed before ``occurred_at`` count as
    not done again (see training/recertify.py); nothing per trainee is stored.
    """

    __tablename__ = "training_policy_changes"
    __table_args__ = (UniqueConstraint("revision_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_slug: Mapped[str] = mapped_column(String(80), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id", ondelete="CASCADE"))
    revision_number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    cause: Mapped[str] = mapped_column(String(16))  # "published" | "in_force"
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Certificate(Base):
    """A course certificate: a public serial and the revisions of the entries the course cites."""

    __tablename__ = "training_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_slug: Mapped[str] = mapped_column(String(80))
    course_title: Mapped[str] = mapped_column(String(200))
    score: Mapped[float | None] = mapped_column(Float, default=None)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # {slug: {"number": revision number, "title": title}} of every cited entry at issue time
    versions: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User] = relationship()
