"""Course progress, prerequisites, assignments and the trainee's path.

Progress is derived, never stored twice: a lesson step is done when the
trainee marked it read, a quiz step when any attempt of that quiz passed —
unless an entry the step cites changed afterwards (see recertify.py). A
course is complete when every step is done; its prerequisites are other
courses, which must be complete before its steps open, and a drill step opens
once every earlier step of its course is done. A locked step says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from kbsite import audit, clock
from kbsite.auth.models import User
from kbsite.auth.permissions import can
from kbsite.db import session, utcnow, write_session
from kbsite.errors import Conflict, Forbidden, Invalid, NotFound
from kbsite.training import catalog, recertify
from kbsite.training.models import Assignment, Attempt, LessonRead, ReplyMarking

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
    drill: bool = False
    time_limit: int | None = None
    locked_reason: str | None = None  # e.g. 完成「…」后解锁
    reopened: list[str] = field(default_factory=list)  # e.g. 政策已更新：…


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
    last_passed: dict[str, datetime] = field(default_factory=dict)


def record_of(user_id: int) -> Record:
    """Everything progress is computed from, in two queries.

    A quiz counts as passed when its grade became final: at submission for an
    attempt graded at once, at the trainer's last decision for one that waited
    in the 待批改 queue (so course completion and certificate dates follow it).
    """
    reads = {r.lesson_slug: r.read_at for r in session().scalars(
        select(LessonRead).where(LessonRead.user_id == user_id))}
    best: dict[str, float] = {}
    passed_at: dict[str, datetime] = {}
    attempts: dict[str, int] = {}
    last_passed: dict[str, datetime] = {}
    decided = (select(ReplyMarking.attempt_id, func.max(ReplyMarking.marked_at).label("at"))
               .group_by(ReplyMarking.attempt_id).subquery())
    rows = session().execute(select(Attempt, decided.c.at).outerjoin(decided, decided.c.attempt_id == Attempt.id)
                             .where(Attempt.user_id == user_id, Attempt.state != "open")).all()
    timed = [(a, final_at(a, decision)) for a, decision in rows]
    timed.sort(key=lambda row: (row[1] is None, row[1] or row[0].started_at))  # in the order grades became final
    for a, at in timed:
        attempts[a.quiz_slug] = attempts.get(a.quiz_slug, 0) + 1
        if a.score_percent is not None:  # a reply still 待批改 has no final score yet
            best[a.quiz_slug] = max(best.get(a.quiz_slug, 0.0), a.score_percent)
        if a.passed and a.quiz_slug not in passed_at:
            passed_at[a.quiz_slug] = at
        if a.passed:
            last_passed[a.quiz_slug] = at
    return Record(reads, best, passed_at, attempts, last_passed)


def final_at(attempt: Attempt, last_decision: datetime | None) -> datetime | None:
    """When the attempt's grade became final: the trainer's last decision if it waited for one."""
    if last_decision is not None and attempt.state == "graded":
        return max(last_decision, attempt.finished_at) if attempt.finished_at else last_decision
    return attempt.finished_at


@dataclass
class Changes:
    """What steps cite and how the cited entries changed (see recertify.py), read once per request."""

    cites: dict[tuple[str, str], frozenset[str]]
    by_slug: dict[str, list]

    @classmethod
    def load(cls) -> Changes:
        recertify.record_policies_in_force()
        cites = recertify.citations()
        return cls(cites, recertify.changes_by_slug())


def step_completion(kind: str, slug: str, rec: Record, changes: Changes) -> recertify.Completion:
    """When a lesson or quiz step counts as done for this record, or why it reopened."""
    if kind == "lesson":
        first = last = rec.read.get(slug)
    else:
        first, last = rec.passed_at.get(slug), rec.last_passed.get(slug)
    return recertify.completion(first, last, changes.cites.get((kind, slug), frozenset()), changes.by_slug)


def progress(pub: catalog.Published, rec: Record, completed: set[str] | None = None,
             changes: Changes | None = None) -> CourseProgress:
    """A course's steps marked from the record; ``completed`` is the set of complete course slugs."""
    course = catalog.course_of(pub)
    changes = changes or Changes.load()
    names = catalog.titles([s.slug for s in course.steps] + list(course.prerequisites))
    limits = catalog.time_limits([s.slug for s in course.steps if s.drill])
    steps = []
    for s in course.steps:
        st = StepStatus(s.kind, s.slug, names.get(s.slug, s.slug), drill=s.drill, time_limit=limits.get(s.slug))
        if s.kind == "quiz":
            st.best = rec.best.get(s.slug)
            st.attempts = rec.attempts.get(s.slug, 0)
        done = step_completion(s.kind, s.slug, rec, changes)
        st.done_at, st.reopened = done.done_at, done.reasons
        st.done = st.done_at is not None
        steps.append(st)
    missing = [p for p in course.prerequisites if completed is not None and p not in completed]
    _lock(steps, [names.get(p, p) for p in missing])
    return CourseProgress(pub.slug, pub.title, steps, missing)


def _lock(steps: list[StepStatus], missing_titles: list[str]) -> None:
    """Say why each closed step is closed: missing prerequisite courses, or earlier steps before a drill."""
    if missing_titles:
        reason = "完成" + "、".join(f"「{t}」" for t in missing_titles) + "后解锁"
        for st in steps:
            st.locked_reason = None if st.done else reason
        return
    for i, st in enumerate(steps):
        before = next((p for p in steps[:i] if not p.done), None)
        if st.drill and not st.done and before is not None:
            st.locked_reason = f"完成「{before.title}」后解锁"


def all_progress(user: User) -> dict[str, CourseProgress]:
    """Progress in every published course, with prerequisites resolved."""
    rec = record_of(user.id)
    changes = Changes.load()
    courses = catalog.all_published("course")
    first = {p.slug: progress(p, rec, changes=changes) for p in courses}
    completed = {slug for slug, cp in first.items() if cp.complete}
    return {p.slug: progress(p, rec, completed, changes) for p in courses}


def lock_reason(user: User, kind: str, slug: str) -> str | None:
    """Why this lesson or quiz is closed to the user (None when some course opens it, and for trainers)."""
    if can(user, "manage_training"):
        return None
    holding = [s for cp in all_progress(user).values() for s in cp.steps if s.kind == kind and s.slug == slug]
    if holding and all(s.locked_reason for s in holding):
        return holding[0].locked_reason
    return None


def check_access(user: User, kind: str, slug: str) -> None:
    """A lesson or quiz opens when some course holding it opens the step (trainers: always)."""
    reason = lock_reason(user, kind, slug)
    if reason:
        raise Forbidden(reason)


def mark_read(user: User, lesson_slug: str) -> None:
    """Record a lesson as read (idempotent; reading it again after a policy change re-completes it)."""
    catalog.published(lesson_slug, "lesson")
    check_access(user, "lesson", lesson_slug)
    reopened = bool(step_completion("lesson", lesson_slug, record_of(user.id), Changes.load()).reopened_by)
    try:
        with write_session() as sess:
            exists = sess.scalar(select(LessonRead).where(LessonRead.user_id == user.id,
                                                          LessonRead.lesson_slug == lesson_slug))
            if exists is None:
                sess.add(LessonRead(user_id=user.id, lesson_slug=lesson_slug, read_at=utcnow()))
            elif reopened:
                exists.read_at = utcnow()
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
