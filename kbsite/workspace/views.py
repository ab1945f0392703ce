"""Workspace pages: the search page (results, filters, template panel, shortlists) and the checker."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from kbsite import search
from kbsite.auth.permissions import can, require
from kbsite.content.models import Item, Revision
from kbsite.files import CHANNELS
from kbsite.workspace import bp, lexicon, replies, usage


@bp.get("/search")
@require("search")
def search_page():
    """Search as you type; templates open beside the results, ready to fill and copy."""
    return render_template("workspace/search.html", q=request.args.get("q", "")[:1000],
                           lists=usage.shortlists(current_user), notice=search.service().notice())


@bp.get("/panel")
@require("search")
def panel():
    """The workspace in a 320–400 px column for a chat tool's side bar or frame (see frame.py)."""
    return render_template("workspace/panel.html", q=request.args.get("q", "")[:1000])


@bp.get("/workspace")
@require("search")
def workspace():
    """The nav's old address for the workspace."""
    return redirect(url_for("workspace.search_page", **request.args))


@bp.route("/check", methods=["GET", "POST"])
@require("read")
def checker():
    """Paste a draft reply; each forbidden or risky phrase is marked with its category and alternative."""
    text = request.form.get("text", "")[: lexicon.MAX_CHECK_CHARS]
    issues = lexicon.check(text) if text else []
    return render_template("workspace/check.html", text=text, issues=issues,
                           segments=lexicon.segments(text, issues), checked=request.method == "POST")


@bp.app_context_processor
def _template_panel():
    """Lets the item page's template panel embed the fill form's data."""

    def template_panel(item: Item, rev: Revision) -> dict:
        tpl = replies.from_revision(item, rev)
        # Trainees may read and copy templates, but their copies are practice: not counted as usage.
        practice = not can(current_user, "copy")
        live = item.published is not None and rev.id == item.published_revision_id and not practice
        return tpl.as_json() | {
            "live": live, "practice": practice, "channels": list(CHANNELS),
            "favourite": live and can(current_user, "copy") and usage.is_favourite(item.id, current_user),
        }

    return {"template_panel": template_panel}
