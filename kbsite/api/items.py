"""``GET /api/items/<slug>``: a published entry for chat tools and the side panel."""

from __future__ import annotations

from flask import current_app, jsonify

from kbsite.api import bp
from kbsite.auth.permissions import require
from kbsite.content import published


@bp.get("/items/<slug>")
@require("read")
def get_item(slug: str):
    """Title, summary, Markdown and safe HTML, images, revision, verified and policy dates."""
    item, rev = published.published_entry(slug)
    return jsonify(published.entry_json(item, rev, current_app.jinja_env.filters["localtime"]))
