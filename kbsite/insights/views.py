"""Insights pages: the trainers' dashboard, what agents could not find, and accepting suggestions."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from kbsite import clock
from kbsite.auth.permissions import require
from kbsite.db import session, utcnow
from kbsite.errors import Invalid
from kbsite.insights import gaps, panels, vocabulary

bp = Blueprint("insights", __name__, url_prefix="/insights")
SPANS = {1: "本周", 4: "近4周", 8: "近8周"}


@bp.app_template_filter("shanghai_time")
def shanghai_time(at: datetime | None) -> str:
    """A UTC timestamp in the team's time zone, month to minute."""
    return clock.fmt(at, "%m-%d %H:%M")


def _today() -> date:
    """The team's date (the ``TODAY`` config key pins it for tests)."""
    return clock.today()


@bp.get("/")  # a typed trailing slash works too
@bp.get("")
@require("insights")
def dashboard():
    """Charts of the library and of searching, with this week's biggest gaps."""
    board = panels.build(session(), _today(), utcnow())
    links = {name: url_for(endpoint) for name, endpoint in (("stale", "review.stale"), ("queue", "review.queue"))
             if endpoint in current_app.view_functions}
    return render_template("insights/dashboard.html", board=board, links=links)


def _week_arg(today: date) -> gaps.Week:
    try:
        return gaps.Week.parse(request.args["week"]) if request.args.get("week") else gaps.Week.of(today)
    except ValueError:
        raise Invalid("周的格式应为 2026-W05") from None


@bp.get("/gaps")
@require("insights")
def gap_report():
    """Queries with no results, with unopened results, the top queries, and rewording suggestions."""
    week = _week_arg(_today())
    span = request.args.get("span", 1, type=int)
    span = span if span in SPANS else 1
    weeks = gaps.recent_weeks(span, week)
    rows = gaps.load(session(), *gaps.span_bounds(weeks))
    groups = gaps.group_queries(rows)
    suggestions = vocabulary.open_suggestions(session(), gaps.reformulations(rows))
    return render_template(
        "insights/gaps.html", week=week, weeks=weeks, span=span, spans=SPANS,
        this_week=gaps.Week.of(_today()), searches=len(rows),
        reported=gaps.reported_queries(groups),
        zero=gaps.zero_result_queries(groups), unopened=gaps.unopened_queries(groups),
        top=gaps.top_queries(groups), suggestions=suggestions,
    )


def _back():
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/insights") else url_for("insights.gap_report"))


@bp.post("/synonyms")
@require("insights")
def add_synonym():
    """Add a suggested "A → B" pair to the synonym list as a draft revision (then reviewed)."""
    try:
        rev = vocabulary.add_synonym(request.form.get("source", ""), request.form.get("target", ""),
                                     current_user, session())
    except Invalid as exc:
        flash(exc.message, "error")
        return _back()
    flash(f"已生成同义词表草稿第 {rev.number} 版，请检查后提交审核", "success")
    return redirect(url_for("content.history", slug=vocabulary.config_item(session(), "synonyms").slug))


@bp.post("/dictionary")
@require("insights")
def add_word():
    """Add a suggested word to the segmenter dictionary as a draft revision (then reviewed)."""
    try:
        rev = vocabulary.add_dictionary_word(request.form.get("word", ""), current_user, session())
    except Invalid as exc:
        flash(exc.message, "error")
        return _back()
    flash(f"已生成分词词典草稿第 {rev.number} 版，请检查后提交审核", "success")
    return redirect(url_for("content.history", slug=vocabulary.config_item(session(), "dictionary").slug))
