"""Pages of announcements: acknowledge ("已读") and, for trainers, who has and has not read one."""

from __future__ import annotations

from flask import jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from kbsite.announcements import bp, service
from kbsite.auth.access import wants_json
from kbsite.auth.permissions import can, require
from kbsite.content import validity


def pinned_for_current_user() -> list[service.Pinned]:
    """The template global behind the pinned list on home and in the panel."""
    if not getattr(current_user, "is_authenticated", False) or not can(current_user, "read"):
        return []
    return service.pinned_for(current_user)


def window_of(meta: dict) -> dict:
    """The validity window as shown on an announcement's page, and whether it has closed."""
    return {"text": service.window_text(meta), "ended": validity.has_ended(meta)}


@bp.post("/announcements/<slug>/read")
@require("read")
def acknowledge(slug: str):
    """The reader confirms they have read the announcement."""
    service.acknowledge(current_user, slug)
    if wants_json():
        return jsonify(ok=True, slug=slug)
    back = request.form.get("next", "")
    return redirect(back if back.startswith("/") and not back.startswith("//") else url_for("content.home"))


@bp.get("/announcements/<slug>/readers")
@require("author")
def readers(slug: str):
    """Who in the audience has read it (and when), and who has not yet."""
    item, rev, who = service.readership(slug)
    return render_template("announcements/readers.html", item=item, rev=rev, who=who,
                           window=service.window_text(rev.meta))
