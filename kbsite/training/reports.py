"""Results for trainers: per trainee, per cohort and per quiz, charts' data and the CSV export."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from kbsite import clock
from kbsite.auth.models import User
from kbsite.db import session
from kbsite.training import catalog, progress
from kbsite.training.models import FINAL_STATES, Attempt

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class TraineeRow:
    """One line of the dashboard's trainee table."""

    user: User
    assigned: int
    completed: int
    attempts: int
    mean_score: float | None
    last: Attempt | None


def closed_attempts(user_ids: Iterable[int] | None = None, quiz_slug: str | None = None) -> list[Attempt]:
    """Attempts with a final grade (graded or expired; not 待批改), oldest first, optionally filtered."""
    query = select(Attempt).where(Attempt.state.in_(FINAL_STATES)).order_by(Attempt.finished_at)
    if user_ids is not None:
        query = query.where(Attempt.user_id.in_(list(user_ids)))
    if quiz_slug:
        query = query.where(Attempt.quiz_slug == quiz_slug)
    return list(session().scalars(query))


def trainees(cohort: str | None = None) -> list[User]:
    """Trainees and agents (and anyone with attempts), optionally of one cohort."""
    with_attempts = select(Attempt.user_id).distinct()
    query = select(User).where(User.role.in_(("trainee", "agent")) | User.id.in_(with_attempts)).order_by(User.username)
    if cohort:
        query = query.where(User.cohort == cohort)
    return list(session().scalars(query))


def cohorts() -> list[str]:
    """Every cohort name in use."""
    return sorted(c for c in session().scalars(select(User.cohort).distinct()) if c)


def trainee_rows(users: list[User]) -> list[TraineeRow]:
    """Assigned/completed courses, attempts, mean score and the latest attempt per trainee."""
    by_user: dict[int, list[Attempt]] = defaultdict(list)
    for a in closed_attempts([u.id for u in users]):
        by_user[a.user_id].append(a)
    rows = []
    for user in users:
        path = progress.my_path(user)
        mine = by_user.get(user.id, [])
        scores = [a.score_percent for a in mine if a.score_percent is not None]
        rows.append(TraineeRow(user, len(path.assigned), sum(cp.complete for cp in path.assigned), len(mine),
                               round(sum(scores) / len(scores), 1) if scores else None,
                               mine[-1] if mine else None))
    return rows


@dataclass
class Retake:
    """A step a trainee completed before an entry it cites changed."""

    user: User
    kind: str
    slug: str
    title: str
    reasons: list[str]


def must_retake(users: list[User]) -> list[Retake]:
    """Who must retake (or re-read) what since a cited policy changed, and why."""
    changes = progress.Changes.load()
    if not changes.by_slug:
        return []
    rows = []
    for user in users:
        rec = progress.record_of(user.id)
        for kind, slug in [("lesson", s) for s in rec.read] + [("quiz", s) for s in rec.passed_at]:
            done = progress.step_completion(kind, slug, rec, changes)
            if done.reopened_by:
                rows.append(Retake(user, kind, slug, slug, done.reasons))
    names = catalog.titles(sorted({r.slug for r in rows}))
    for row in rows:
        row.title = names.get(row.slug, row.slug)
    return rows


def score_series(attempts: list[Attempt]) -> tuple[list[str], dict[str, list[float]]]:
    """Scores over time: the mean score per day, and the mean of the day's best per quiz."""
    days: dict[str, list[float]] = defaultdict(list)
    for a in attempts:
        days[clock.fmt(a.finished_at, "%m-%d")].append(a.score_percent or 0.0)
    labels = sorted(days)
    return labels, {"平均分": [round(sum(days[d]) / len(days[d]), 1) for d in labels]}


@dataclass
class MissStat:
    """How often a question (or one of its options/points) was got wrong."""

    quiz_slug: str
    question_id: str
    prompt: str
    asked: int
    missed: int
    wrong_picks: list[tuple[str, int]]
    number: int | None = None  # 1-based place in the published quiz; None once the question is gone

    @property
    def rate(self) -> float:
        return round(100 * self.missed / self.asked, 1) if self.asked else 0.0


def _question(quiz_slug: str, qid: str, cache: dict) -> tuple[int | None, str]:
    """(1-based place, short prompt) of a question in the published quiz; (None, notice) when gone."""
    if quiz_slug not in cache:
        try:
            cache[quiz_slug] = catalog.quiz_of(catalog.published(quiz_slug, "quiz").rev)
        except Exception:  # noqa: BLE001 - an unpublished or broken quiz still has statistics
            cache[quiz_slug] = None
    quiz = cache[quiz_slug]
    found = [(n, q) for n, q in enumerate(quiz.questions if quiz else (), 1) if q.id == qid]
    if not found:
        return None, "（这道题已不在当前发布的测验中）"
    number, q = found[0]
    text = q.prompt or (q.chat[-1].text if q.chat else "")
    return number, text if len(text) <= 40 else text[:39] + "…"


def most_missed(attempts: list[Attempt], limit: int = 10) -> list[MissStat]:
    """Questions by miss rate, each with the options, positions or points most often got wrong."""
    asked: Counter = Counter()
    missed: Counter = Counter()
    picks: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for a in attempts:
        for qid, entry in (a.result or {}).items():
            key = (a.quiz_slug, qid)
            asked[key] += 1
            if not entry.get("correct"):
                missed[key] += 1
            for status, subject, *_ in entry.get("feedback", []):
                if status == "wrong" or (status == "missed" and subject != "未作答"):
                    picks[key][subject] += 1
    cache: dict = {}
    stats = []
    for k in asked:
        if missed[k]:
            number, prompt = _question(k[0], k[1], cache)
            stats.append(MissStat(k[0], k[1], prompt, asked[k], missed[k], picks[k].most_common(3), number))
    stats.sort(key=lambda s: (-s.rate, -s.missed, s.quiz_slug, s.number or 0, s.question_id))
    return stats[:limit]


def too_fast(attempts: list[Attempt]) -> set[int]:
    """Ids of graded attempts finished faster than their quiz makes plausible (``Quiz.fast_seconds``)."""
    quizzes: dict[int, int | None] = {}
    out = set()
    for a in attempts:
        if a.state != "graded" or a.seconds_taken is None:
            continue
        if a.revision_id not in quizzes:
            try:
                quizzes[a.revision_id] = catalog.quiz_of(a.revision).drawn(a.seed).fast_seconds
            except Exception:  # noqa: BLE001 - a revision that no longer validates has no threshold
                quizzes[a.revision_id] = None
        limit = quizzes[a.revision_id]
        if limit is not None and a.seconds_taken < limit:
            out.add(a.id)
    return out


def mean_seconds(attempts: list[Attempt]) -> float | None:
    """Average time taken by graded attempts."""
    taken = [a.seconds_taken for a in attempts if a.seconds_taken is not None and a.state == "graded"]
    return round(sum(taken) / len(taken), 1) if taken else None


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def attempts_csv(attempts: list[Attempt]) -> str:
    """Attempts as CSV with a UTF-8 BOM (Excel opens Chinese text correctly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["用户名", "姓名", "小组", "测验", "版本ID", "第几次", f"开始时间（{clock.zone_label()}）", f"完成时间（{clock.zone_label()}）",
                     "用时（秒）", "得分", "通过", "状态", "超时"])
    for a in attempts:
        writer.writerow([_cell(v) for v in (
            a.user.username, a.user.name, a.user.cohort or "", a.quiz_slug, a.revision_id, a.number,
            clock.fmt(a.started_at, "%Y-%m-%d %H:%M:%S"), clock.fmt(a.finished_at, "%Y-%m-%d %H:%M:%S"),
            round(a.seconds_taken) if a.seconds_taken is not None else "",
            a.score_percent, "是" if a.passed else "否", {"graded": "已评分", "expired": "超时作废"}.get(a.state,
                                                                                                  a.state),
            "是" if a.late else "否",
        )])
    return "\ufeff" + out.getvalue()
