"""Trainer workflow pages: review queue, my drafts, stale entries, verify/owner actions, bulk edits."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from kbsite.auth.permissions import can, require
from kbsite.content import bulk, health, listing, service
from kbsite.content.models import Item
from kbsite.db import session
from kbsite.errors import Invalid
from kbsite.review import feedback, queue

bp = Blueprint("review", __name__, url_prefix="/review")


def _back(default: str) -> str:
    """Return to a local page the form came from (only our own paths)."""
    target = request.form.get("back", "")
    return target if target.startswith(("/items/", "/review/")) and "//" not in target else default


@bp.get("/", endpoint="queue")
@require("review")
def queue_page():
    """Pending changes, each diffed against what agents read now, with approve / send back."""
    today = service.today()
    return render_template("review/queue.html", changes=queue.pending_changes(), today=today,
                           scheduled=queue.scheduled_policies(today))


@bp.post("/<slug>/<int:number>/approve")
@require("review")
def approve(slug: str, number: int):
    """Publish a pending revision (never one's own, unless admin)."""
    rev = service.approve(slug, number, current_user, request.form.get("comment", ""))
    if rev.effective_from and rev.effective_from > service.today().isoformat():
        flash(f"第 {number} 版已批准，将于 {rev.effective_from} 生效；在此之前客服仍看到现行版本", "success")
    else:
        flash(f"第 {number} 版已发布，客服现在看到的是新版本", "success")
    return redirect(_back(url_for("review.queue")))


@bp.post("/<slug>/<int:number>/reject")
@require("review")
def reject(slug: str, number: int):
    """Send a pending revision back to its author with a comment."""
    service.reject(slug, number, current_user, request.form.get("comment", ""))
    flash(f"第 {number} 版已退回给作者", "info")
    return redirect(_back(url_for("review.queue")))


@bp.post("/<slug>/<int:number>/submit")
@require("author")
def submit(slug: str, number: int):
    """Put one of my drafts (or a sent-back revision) into the review queue."""
    service.submit_for_review(slug, number, current_user)
    flash(f"第 {number} 版已提交审核", "success")
    return redirect(_back(url_for("review.mine")))


@bp.get("/mine")
@require("author")
def mine():
    """我的草稿: my unpublished revisions, with the reviewer's comment when sent back."""
    return render_template("review/mine.html", revisions=queue.my_drafts(current_user))


@bp.get("/stale")
@require("view_drafts")
def stale():
    """Entries due for re-verification, grouped by owner."""
    today = service.today()
    entries = health.stale_entries(today)
    only_mine = request.args.get("mine") == "1"
    if only_mine:
        entries = [e for e in entries if e.item.owner_id == current_user.id]
    return render_template("review/stale.html", groups=health.by_owner(entries), total=len(entries),
                           today=today, only_mine=only_mine)


@bp.post("/items/<slug>/verify")
@require("author")
def verify(slug: str):
    """标记为已核实: the entry was checked and is still right."""
    health.verify(slug, current_user)
    flash("已标记为已核实", "success")
    return redirect(_back(url_for("content.view_item", slug=slug)))


@bp.post("/items/<slug>/owner")
@require("author")
def set_owner(slug: str):
    """Set the owner and review interval of an entry."""
    item = service.get_item(slug)
    owner = request.form.get("owner", "")
    if owner != (item.owner.username if item.owner else ""):
        health.set_owner(slug, owner, current_user)
    days = request.form.get("interval", type=int)
    if days is None:
        raise Invalid("复核周期必须是整数天")
    if days != item.review_interval_days:
        health.set_interval(slug, days, current_user)
    flash("负责人与复核周期已更新", "success")
    return redirect(_back(url_for("content.view_item", slug=slug)))


def _bulk_candidates(kind: str | None, category: str, tag: str | None, q: str) -> list[Item]:
    """The newest revisions matching the filters, asked of the database (tags checked on the rows)."""
    rows = listing.browse(session(), True, service.today(), kind, category, text=q)
    return [item for item, rev in rows if not tag or tag in rev.tags]


@bp.route("/bulk", methods=["GET", "POST"])
@require("author")
def bulk_edit():
    """Select entries by filter, then re-tag or move them; each change is an ordinary revision."""
    args = request.values
    kind, category, tag, q = (args.get("type") or None, args.get("category", "").strip(),
                              args.get("tag") or None, args.get("q", "").strip())
    report = None
    if request.method == "POST":
        slugs = request.form.getlist("slug")
        bases = {s: request.form.get(f"base-{s}", type=int) for s in slugs}
        try:
            report = bulk.bulk_edit(bases, request.form.get("op", ""), request.form.get("value", ""),
                                    current_user, request.form.get("message", ""),
                                    submit=request.form.get("submit") == "1")
        except Invalid as exc:
            flash(exc.message, "error")
    return render_template("review/bulk.html", items=_bulk_candidates(kind, category, tag, q),
                           kind=kind, category=category, tag=tag, q=q, report=report,
                           operations=bulk.OPERATIONS, selected=set(request.form.getlist("slug")))


@bp.get("/feedback")
@require("author")
def feedback_list():
    """Open reports from agents (all, or on entries I own), and what was done about recent ones."""
    mine = request.args.get("mine") == "1"
    return render_template("review/feedback.html", mine=mine,
                           reports=feedback.open_feedback(owner=current_user if mine else None),
                           resolved=feedback.recently_resolved())


@bp.post("/feedback/<int:feedback_id>/resolve")
@require("author")
def resolve_feedback(feedback_id: int):
    """Close a report once the entry is fixed (or the report was mistaken), with a note."""
    feedback.resolve(feedback_id, current_user, request.form.get("note", ""))
    flash("反馈已标记为已处理", "success")
    return redirect(_back(url_for("review.feedback_list")))


@bp.app_template_global()
def trainer_summary() -> dict:
    """Counts for the trainer's home: stale entries (all and mine), pending reviews, my drafts."""
    if not can(current_user, "view_drafts"):
        return {}
    stale = health.stale_entries(service.today())
    reports = feedback.open_counts(current_user)
    return {
        "feedback": reports.total,
        "feedback_mine": reports.mine,
        "stale": len(stale),
        "stale_mine": sum(1 for e in stale if e.item.owner_id == current_user.id),
        "pending": queue.pending_count(),
        "drafts": len(queue.my_drafts(current_user)),
    }
