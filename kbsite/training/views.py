"""Training pages: the trainee's path, lessons, quizzes, review, certificates, and trainers' results.

Views parse → call a training service → render. Before submission a page gets
only ``quizformat.public_question`` views; feedback is read from the graded
attempt stored on the server.
"""

from __future__ import annotations

import math

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from kbsite import charts
from kbsite.auth.models import User
from kbsite.auth.permissions import can, require
from kbsite.content import forms
from kbsite.content import service as content
from kbsite.db import session, utcnow
from kbsite.errors import Forbidden, Invalid, NotFound
from kbsite.training import (
    attempts,
    authoring,
    catalog,
    certificates,
    fromcase,
    gradepreview,
    kinds,
    marking,
    progress,
    reports,
    reviewqueue,
)
from kbsite.training.models import Assignment, Attempt
from kbsite.training.quizformat import SLUG_RE, normalize_quiz, public_question, validate_quiz_meta

bp = Blueprint("training", __name__, url_prefix="/training")
bp.record_once(lambda state: forms.register_editor("quiz", authoring.QUIZ_EDITOR))
bp.add_app_template_global(kinds.label, "kind_label")
bp.add_app_template_global(kinds.get, "question_kind")


def _public(questions, seed: int) -> list[dict]:
    """Browser-safe question views with their prompts rendered."""
    views = []
    for q in questions:
        view = public_question(q, seed=seed)
        view["prompt_html"] = catalog.render_prompt(view["prompt"])
        views.append(view)
    return views


def _cite_titles(results: dict) -> dict[str, str]:
    slugs = {row[3] for entry in results.values() for row in entry.get("feedback", []) if row[3]}
    return catalog.titles(sorted(slugs))


# --- trainee pages ---------------------------------------------------------------------------


@bp.get("/")
@require("train")
def my_path():
    """Assigned courses with due dates, the next step, scores and what to review."""
    attempts.expire_overdue(current_user.id)
    path = progress.my_path(current_user)
    recent = session().scalars(select(Attempt).where(Attempt.user_id == current_user.id,
                                                     Attempt.state != "open")
                               .order_by(Attempt.finished_at.desc()).limit(8)).all()
    return render_template("training/my_path.html", path=path, recent=recent,
                           queue=reviewqueue.queue_summary(current_user.id),
                           titles=catalog.titles([a.quiz_slug for a in recent]))


@bp.get("/courses/<slug>")
@require("train")
def course(slug: str):
    """A course's ordered steps with what is done; locked while prerequisites are missing."""
    pub = catalog.published(slug, "course")
    cp = progress.all_progress(current_user)[slug]
    return render_template("training/course.html", pub=pub, cp=cp,
                           prereq_titles=catalog.titles(list(catalog.course_of(pub).prerequisites)))


@bp.get("/lessons/<slug>")
@require("train")
def lesson(slug: str):
    """A lesson with embedded knowledge entries in their current published text."""
    pub = catalog.published(slug, "lesson")
    progress.check_access(current_user, "lesson", slug)
    read = progress.record_of(current_user.id).read.get(slug)
    return render_template("training/lesson.html", pub=pub, html=catalog.render_lesson(pub.rev.body),
                           read=read, course_slug=request.args.get("course", ""))


@bp.post("/lessons/<slug>/read")
@require("train")
def mark_read(slug: str):
    """Mark a lesson read and go back to its course."""
    progress.mark_read(current_user, slug)
    flash("已标记为读完", "success")
    back = request.form.get("course", "")
    if SLUG_RE.match(back):
        return redirect(url_for("training.course", slug=back))
    return redirect(url_for("training.my_path"))


@bp.get("/quizzes/<slug>")
@require("train")
def quiz(slug: str):
    """A quiz's rules (pass mark, attempts left, time limit) and the trainee's results so far."""
    pub = catalog.published(slug, "quiz")
    quiz_ = catalog.quiz_of(pub.rev)
    mine = session().scalars(select(Attempt).where(Attempt.user_id == current_user.id,
                                                   Attempt.quiz_slug == slug)
                             .order_by(Attempt.started_at.desc())).all()
    used = sum(a.state != "open" for a in mine)
    left = None if not quiz_.max_attempts else max(0, quiz_.max_attempts - used)
    wait = attempts.cooldown_left(session(), current_user.id, slug, quiz_, utcnow())
    return render_template("training/quiz.html", pub=pub, quiz=quiz_, mine=mine, left=left,
                           wait=math.ceil(wait.total_seconds() / 60) if wait else None,
                           open_attempt=next((a for a in mine if a.state == "open"), None),
                           course_slug=request.args.get("course", ""),
                           locked=progress.lock_reason(current_user, "quiz", slug))


@bp.post("/quizzes/<slug>/start")
@require("train")
def start(slug: str):
    """Open (or resume) an attempt and show it."""
    progress.check_access(current_user, "quiz", slug)
    attempt = attempts.start_attempt(current_user, slug)
    return redirect(url_for("training.attempt", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>")
@require("train")
def attempt(attempt_id: int):
    """An open attempt's form (public views only), or a closed attempt's feedback."""
    found = attempts.get_attempt(attempt_id, current_user, may_view_others=can(current_user, "manage_training"))
    if found.state == "open" and found.user_id == current_user.id:
        attempts.expire_overdue(current_user.id)
        found = attempts.get_attempt(attempt_id, current_user)
        session().refresh(found)
    quiz_ = attempts.quiz_for(found)
    title = found.revision.title
    if found.state == "open":
        if found.user_id != current_user.id:
            return render_template("training/attempt_open_other.html", attempt=found, title=title)
        return render_template("training/attempt.html", attempt=found, title=title, quiz=quiz_,
                               questions=_public(quiz_.questions, found.seed),
                               remaining=attempts.remaining_seconds(found))
    return render_template("training/result.html", attempt=found, title=title, quiz=quiz_,
                           questions=quiz_.questions, results=found.result or {},
                           markings=marking.of_attempt(found.id),
                           cites=_cite_titles(found.result or {}), owner=found.user,
                           prompts={q.id: catalog.render_prompt(q.prompt) for q in quiz_.questions})


@bp.post("/attempts/<int:attempt_id>/submit")
@require("train")
def submit(attempt_id: int):
    """Grade on the server; a second, late, foreign or forged submit is refused."""
    attempts.submit_attempt(current_user, attempt_id, request.form)
    return redirect(url_for("training.attempt", attempt_id=attempt_id))


@bp.get("/review")
@require("train")
def review():
    """Today's review: due questions under a fresh seed."""
    rnd = reviewqueue.open_round(current_user)
    if rnd is None:
        return render_template("training/review.html", rnd=None, items=[],
                               queue=reviewqueue.queue_summary(current_user.id))
    items = reviewqueue.round_questions(rnd)
    views = _public([i.question for i in items], rnd.seed)
    return render_template("training/review.html", rnd=rnd, items=list(zip(items, views, strict=True)),
                           queue=reviewqueue.queue_summary(current_user.id))


@bp.post("/review/<int:round_id>/submit")
@require("train")
def review_submit(round_id: int):
    """Grade a review round once; cards move between Leitner boxes."""
    reviewqueue.submit_round(current_user, round_id, request.form)
    return redirect(url_for("training.review_result", round_id=round_id))


@bp.get("/review/<int:round_id>")
@require("train")
def review_result(round_id: int):
    """A finished round's feedback."""
    rnd = reviewqueue.get_round(round_id, current_user)
    if rnd.finished_at is None:
        return redirect(url_for("training.review"))
    items = reviewqueue.round_questions(rnd) if not rnd.result.get("abandoned") else []
    right = sum(1 for v in rnd.result.values() if isinstance(v, dict) and v.get("correct"))
    return render_template("training/review_result.html", rnd=rnd, items=items, results=rnd.result, right=right,
                           cites=_cite_titles({k: v for k, v in rnd.result.items() if isinstance(v, dict)}),
                           prompts={i.question.id: catalog.render_prompt(i.question.prompt) for i in items})


@bp.get("/certificates/<slug>")
@require("train")
def certificate(slug: str):
    """A printable certificate of a completed course (trainers may open anyone's with ?user=id)."""
    user = current_user
    other = request.args.get("user", type=int)
    if other and other != current_user.id:
        if not can(current_user, "manage_training"):
            raise Forbidden("只能查看自己的证书")
        user = session().get(User, other)
        if user is None:
            raise NotFound("找不到该用户")
    cp = progress.certificate(user, slug)
    cert = certificates.issue(user, cp)
    return render_template("training/certificate.html", cp=cp, user=user, cert=cert,
                           cited=certificates.cited_titles(cert))


# --- trainers ----------------------------------------------------------------------------------


@bp.get("/manage")
@require("manage_training")
def manage():
    """Every trainee and cohort: completion, scores, recent attempts, most-missed questions."""
    attempts.expire_overdue()
    cohort = request.args.get("cohort") or None
    users = reports.trainees(cohort)
    closed = reports.closed_attempts([u.id for u in users])
    labels, series = reports.score_series(closed)
    return render_template(
        "training/manage.html", rows=reports.trainee_rows(users), cohorts=reports.cohorts(), cohort=cohort,
        retakes=reports.must_retake(users),
        recent=list(reversed(closed[-15:])), titles=catalog.titles(sorted({a.quiz_slug for a in closed})),
        missed=reports.most_missed(closed), chart=charts.line_chart(labels, series, "每日平均得分", unit="分"),
        fast=reports.too_fast(closed[-15:]), to_mark=marking.pending_count(),
        courses=catalog.all_published("course"), quizzes=catalog.all_published("quiz"),
        assignments=session().scalars(select(Assignment).order_by(Assignment.created_at.desc())).all(),
        mean_seconds=reports.mean_seconds(closed))


@bp.post("/manage/assignments")
@require("manage_training")
def assign():
    """Assign a course to a user or a cohort."""
    progress.assign(current_user, request.form.get("course", ""), username=request.form.get("username", ""),
                    cohort=request.form.get("cohort", ""), due_date=request.form.get("due_date", ""))
    flash("已布置课程", "success")
    return redirect(url_for("training.manage"))


@bp.post("/manage/assignments/<int:assignment_id>/delete")
@require("manage_training")
def unassign(assignment_id: int):
    """Withdraw an assignment."""
    progress.unassign(current_user, assignment_id)
    flash("已撤销布置", "info")
    return redirect(url_for("training.manage"))


@bp.get("/manage/users/<int:user_id>")
@require("manage_training")
def trainee(user_id: int):
    """One trainee: path, attempts with time taken, scores over time, most-missed questions."""
    user = session().get(User, user_id)
    if user is None:
        raise NotFound("找不到该用户")
    closed = reports.closed_attempts([user.id])
    labels = [f"{a.finished_at:%m-%d} #{i + 1}" for i, a in enumerate(closed)]
    chart = charts.line_chart(labels, {"得分": [a.score_percent or 0 for a in closed]}, "历次得分", unit="分")
    return render_template("training/trainee.html", user=user, path=progress.my_path(user),
                           retakes=reports.must_retake([user]),
                           attempts=list(reversed(closed)), chart=chart, missed=reports.most_missed(closed),
                           fast=reports.too_fast(closed),
                           titles=catalog.titles(sorted({a.quiz_slug for a in closed})),
                           queue=reviewqueue.queue_summary(user.id))


@bp.get("/manage/cohorts/<name>")
@require("manage_training")
def cohort(name: str):
    """One cohort: each member's completion, the cohort's scores over time, most-missed questions."""
    users = reports.trainees(name)
    closed = reports.closed_attempts([u.id for u in users])
    labels, series = reports.score_series(closed)
    return render_template("training/cohort.html", name=name, rows=reports.trainee_rows(users),
                           chart=charts.line_chart(labels, series, f"{name} 每日平均得分", unit="分"),
                           missed=reports.most_missed(closed), mean_seconds=reports.mean_seconds(closed))


@bp.get("/manage/quizzes/<slug>")
@require("manage_training")
def quiz_stats(slug: str):
    """One quiz: attempts, pass rate, time taken, most-missed questions and options."""
    pub = catalog.published(slug, "quiz")
    closed = reports.closed_attempts(quiz_slug=slug)
    missed = reports.most_missed(closed, limit=20)
    chart = charts.bar_chart([(f"{m.question_id} {m.prompt}", m.rate) for m in missed[:10]],
                             "错误率最高的题目", unit="%")
    return render_template("training/quiz_stats.html", pub=pub, attempts=list(reversed(closed)),
                           fast=reports.too_fast(closed),
                           missed=missed, chart=chart, mean_seconds=reports.mean_seconds(closed),
                           pass_rate=round(100 * sum(a.passed for a in closed) / len(closed), 1) if closed else None)


@bp.get("/manage/export.csv")
@require("manage_training")
def export_csv():
    """Every closed attempt (optionally of one cohort) as CSV."""
    users = reports.trainees(request.args.get("cohort") or None)
    body = reports.attempts_csv(reports.closed_attempts([u.id for u in users]))
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=training-attempts.csv"})


@bp.route("/manage/quizzes/<slug>/preview", methods=["GET", "POST"])
@require("manage_training")
def preview(slug: str):
    """预览测验: the newest revision (or posted YAML) as a trainee would see it, with every error."""
    item = content.get_item(slug)
    if item.type != "quiz":
        raise NotFound("该条目不是测验")
    if request.method == "POST":
        yaml_text = request.form.get("structured", "")
        try:
            meta = forms.draft_from_form("quiz", {"structured": yaml_text, "title": ""}).meta
        except Invalid as exc:
            meta, errors = None, [exc.message]
    else:
        meta = dict(item.latest.meta)
        yaml_text = forms.structured_text(meta)
    if meta is not None:
        errors = validate_quiz_meta(meta)
    questions: list[dict] = []
    tried: dict[str, list] = {}
    if not errors:
        quiz_ = normalize_quiz(meta)
        questions = _public(quiz_.questions, attempts.new_seed())
        tried = _try_samples(quiz_, request.form) if request.method == "POST" else {}
    return render_template("training/preview.html", item=item, rev=item.latest, yaml_text=yaml_text,
                           errors=errors, questions=questions, now=utcnow(), tried=tried,
                           samples=request.form if request.method == "POST" else {})


def _try_samples(quiz_, form) -> dict[str, list]:
    """Sample replies pasted per written question, graded exactly as an attempt would grade them."""
    out = {}
    for q in quiz_.questions:
        text = form.get(f"samples-{q.id}", "")
        if q.kind == "scenario_reply" and text.strip():
            out[q.id] = [(reply, gradepreview.grade(q, reply)) for reply in gradepreview.samples(text)]
    return out


# --- the 待批改 queue ------------------------------------------------------------------------------


@bp.get("/manage/marking")
@require("manage_training")
def marking_queue():
    """Written replies the grader was unsure of, oldest first, and the latest decisions."""
    queue, done = marking.pending(), marking.recently_marked()
    return render_template("training/marking_list.html", queue=queue, done=done,
                           places={m.id: marking.question_place(m) for m in [*queue, *done]},
                           titles=catalog.titles(sorted({m.attempt.quiz_slug for m in [*queue, *done]})))


@bp.get("/manage/marking/<int:marking_id>")
@require("manage_training")
def marking_item(marking_id: int):
    """One reply to mark: the chat, the reply, the evidence per key point and the flags."""
    found = marking.get(marking_id)
    quiz_ = attempts.quiz_for(found.attempt)
    return render_template("training/marking_item.html", m=found, q=quiz_.question(found.question_id),
                           place=marking.question_place(found),
                           entry=(found.attempt.result or {}).get(found.question_id, {}),
                           title=found.attempt.revision.title)


@bp.post("/manage/marking/<int:marking_id>")
@require("manage_training")
def mark(marking_id: int):
    """Confirm the grader's score, or override it with a comment."""
    marking.decide(current_user, marking_id, action=request.form.get("action", ""),
                   score=request.form.get("score"), comment=request.form.get("comment", ""))
    flash("已批改，学员现在可以看到最终成绩", "success")
    return redirect(url_for("training.marking_queue"))


@bp.post("/cases/<slug>/drill")
@require("manage_training")
def drill_from_case(slug: str):
    """One click on a case page: a draft scenario drill, then the quiz editor to refine it."""
    try:
        quiz_slug, created = fromcase.create_drill(slug, current_user)
    except Invalid as exc:
        flash(exc.message, "error")
        return redirect(url_for("content.view_item", slug=slug))
    flash("已根据案例生成情景演练草稿：请检查对话、要点和说法，预览后提交审核。" if created
          else "这个案例已经生成过情景演练，已为您打开。", "success" if created else "info")
    return redirect(url_for("content.edit_item", slug=quiz_slug))
