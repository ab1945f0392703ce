"""Course progress, prerequisites, assignments and the trainee's path.

Progress is derived, never stored twice: a lesson step is done when the
trainee marked it read, a quiz step when any attempt of that quiz passed. A
course is complete when every step is done; its prerequisites are other
courses, which must be complete before its lessons and quizzes open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from kbsite import audit, clock
from kbsite.auth.models import User
from kbsite.auth.permissions import can
from kbsite.db import session, utcnow, write_session
from kbsite.errors import Conflict, Forbidden, Invalid, NotFound
from kbsite.training import catalog
from kbsite.training.models import Assignment, Attempt, LessonRead

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class StepStatus:
    """One course step for one trainee."""

    kind: str
    slug: str
    title: str
    done: bool = False
    done_at: datetime | None = None
    best: float | None = None
    attempts: int = 0


@dataclass
class CourseProgress:
    """Where a trainee stands in a course."""

    slug: str
    title: str
    steps: list[StepStatus]
    missing_prereqs: list[str] = field(default_factory=list)
    due_date: str | None = None

    @property
    def done(self) -> int:
        return sum(s.done for s in self.steps)

    @property
    def complete(self) -> bool:
        return bool(self.steps) and all(s.done for s in self.steps)

    @property
    def percent(self) -> int:
        return round(100 * self.done / len(self.steps)) if self.steps else 0

    @property
    def completed_at(self) -> datetime | None:
        return max((s.done_at for s in self.steps if s.done_at), default=None) if self.complete else None

    @property
    def score(self) -> float | None:
        """The mean of the best scores of the course's quizzes."""
        scores = [s.best for s in self.steps if s.kind == "quiz" and s.best is not None]
        return round(sum(scores) / len(scores), 1) if scores else None

    @property
    def next_step(self) -> StepStatus | None:
        return next((s for s in self.steps if not s.done), None)

    @property
    def locked(self) -> bool:
        return bool(self.missing_prereqs)

    @property
    def overdue(self) -> bool:
        return bool(self.due_date and not self.complete and self.due_date < clock.today().isoformat())


@dataclass
class Record:
    """What one trainee has done: lessons read and quiz results by slug."""

    read: dict[str, datetime]
    best: dict[str, float]
    passed_at: dict[str, datetime]
    attempts: dict[str, int]


def record_of(user_id: int) -> Record:
    """Everything progress is computed from, in two queries."""
    reads = {r.lesson_slug: r.read_at for r in session().scalars(
        select(LessonRead).where(LessonRead.user_id == user_id))}
    best: dict[str, float] = {}
    passed_at: dict[str, datetime] = {}
    attempts: dict[str, int] = {}
    for a in session().scalars(select(Attempt).where(Attempt.user_id == user_id, Attempt.state != "open")
                               .order_by(Attempt.finished_at)):
        attempts[a.quiz_slug] = attempts.get(a.quiz_slug, 0) + 1
        best[a.quiz_slug] = max(best.get(a.quiz_slug, 0.0), a.score_percent or 0.0)
        if a.passed and a.quiz_slug not in passed_at:
            passed_at[a.quiz_slug] = a.finished_at
    return Record(reads, best, passed_at, attempts)


def progress(pub: catalog.Published, rec: Record, completed: set[str] | None = None) -> CourseProgress:
    """A course's steps marked from the record; ``completed`` is the set of complete course slugs."""
    course = catalog.course_of(pub)
    names = catalog.titles([s.slug for s in course.steps])
    steps = []
    for s in course.steps:
        st = StepStatus(s.kind, s.slug, names.get(s.slug, s.slug))
        if s.kind == "lesson":
            st.done_at = rec.read.get(s.slug)
        else:
            st.done_at = rec.passed_at.get(s.slug)
            st.best = rec.best.get(s.slug)
            st.attempts = rec.attempts.get(s.slug, 0)
        st.done = st.done_at is not None
        steps.append(st)
    missing = [p for p in course.prerequisites if completed is not None and p not in completed]
    return CourseProgress(pub.slug, pub.title, steps, missing)


def all_progress(user: User) -> dict[str, CourseProgress]:
    """Progress in every published course, with prerequisites resolved."""
    rec = record_of(user.id)
    first = {p.slug: progress(p, rec) for p in catalog.all_published("course")}
    completed = {slug for slug, cp in first.items() if cp.complete}
    return {p.slug: progress(p, rec, completed) for p in catalog.all_published("course")}


def check_access(user: User, kind: str, slug: str) -> None:
    """A lesson or quiz opens when some course holding it has its prerequisites met (trainers: always)."""
    if can(user, "manage_training"):
        return
    courses = [cp for cp in all_progress(user).values() if any(s.kind == kind and s.slug == slug
                                                               for s in cp.steps)]
    if courses and all(cp.locked for cp in courses):
        names = catalog.titles(sorted({p for cp in courses for p in cp.missing_prereqs}))
        raise Forbidden("请先完成先修课程：" + "、".join(names.values() or ["（未知课程）"]))


def mark_read(user: User, lesson_slug: str) -> None:
    """Record a lesson as read (idempotent)."""
    catalog.published(lesson_slug, "lesson")
    check_access(user, "lesson", lesson_slug)
    try:
        with write_session() as sess:
            exists = sess.scalar(select(LessonRead).where(LessonRead.user_id == user.id,
                                                          LessonRead.lesson_slug == lesson_slug))
            if exists is None:
                sess.add(LessonRead(user_id=user.id, lesson_slug=lesson_slug, read_at=utcnow()))
    except IntegrityError:
        pass  # marked read by a concurrent request


# --- assignments ---------------------------------------------------------------------------


def assignments_for(user: User) -> list[Assignment]:
    """Assignments to this user directly or to their cohort."""
    cond = Assignment.user_id == user.id
    if user.cohort:
        cond = or_(cond, Assignment.cohort == user.cohort)
    return list(session().scalars(select(Assignment).where(cond).order_by(Assignment.due_date)))


def assign(actor: User, course_slug: str, *, username: str = "", cohort: str = "",
           due_date: str = "") -> Assignment:
    """Assign a published course to one user or a cohort, with an optional due date (YYYY-MM-DD)."""
    catalog.published(course_slug, "course")
    username, cohort, due_date = username.strip(), cohort.strip(), due_date.strip()
    if bool(username) == bool(cohort):
        raise Invalid("请填写用户名或小组（二选一）")
    if due_date:
        try:
            date.fromisoformat(due_date)
        except ValueError:
            raise Invalid("截止日期格式应为 YYYY-MM-DD") from None
        if not _DATE_RE.match(due_date):
            raise Invalid("截止日期格式应为 YYYY-MM-DD")
    with write_session() as sess:
        user = None
        if username:
            user = sess.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFound(f"找不到用户 {username}")
        dup = sess.scalar(select(Assignment).where(
            Assignment.course_slug == course_slug,
            Assignment.user_id == user.id if user else Assignment.cohort == cohort))
        if dup is not None:
            raise Conflict("已经布置过这门课程；如需修改截止日期请先撤销")
        row = Assignment(course_slug=course_slug, user_id=user.id if user else None,
                         cohort=cohort or None, due_date=due_date or None, assigned_by_id=actor.id)
        sess.add(row)
        sess.flush()
        audit.record(sess, actor, "training.assign", f"course:{course_slug}",
                     user=username or None, cohort=cohort or None, due=due_date or None)
        return row


def unassign(actor: User, assignment_id: int) -> None:
    """Withdraw an assignment."""
    with write_session() as sess:
        row = sess.get(Assignment, assignment_id)
        if row is None:
            raise NotFound("找不到该布置")
        audit.record(sess, actor, "training.unassign", f"course:{row.course_slug}", id=assignment_id)
        sess.delete(row)


@dataclass
class Path:
    """The trainee's path: assigned courses first, then the rest, and the single next step."""

    assigned: list[CourseProgress]
    others: list[CourseProgress]

    @property
    def next(self) -> tuple[CourseProgress, StepStatus] | None:
        """Assigned courses first, then courses already begun, then any open course."""
        started = [cp for cp in self.others if cp.done]
        for cp in [*self.assigned, *started, *self.others]:
            if not cp.locked and cp.next_step is not None:
                return cp, cp.next_step
        return None


def my_path(user: User) -> Path:
    """Assigned courses by due date (earliest due wins when assigned twice), then the others."""
    courses = all_progress(user)
    due: dict[str, str | None] = {}
    for a in assignments_for(user):
        if a.course_slug not in courses:
            continue
        if a.course_slug not in due or (a.due_date or "9999") < (due[a.course_slug] or "9999"):
            due[a.course_slug] = a.due_date
    assigned = []
    for slug, d in sorted(due.items(), key=lambda kv: kv[1] or "9999"):
        courses[slug].due_date = d
        assigned.append(courses[slug])
    others = [cp for slug, cp in courses.items() if slug not in due]
    return Path(assigned, others)


def certificate(user: User, course_slug: str) -> CourseProgress:
    """A complete course's progress (for the certificate); Conflict when not complete yet."""
    cp = all_progress(user).get(course_slug)
    if cp is None:
        raise NotFound("找不到该课程")
    if not cp.complete:
        raise Conflict("完成课程的全部步骤后才能查看结业证书")
    return cp
