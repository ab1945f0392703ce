"""Search API endpoints; they call the same search service as the pages."""

from __future__ import annotations

from flask import jsonify, request

from kbsite.api import bp
from kbsite.auth.access import current_actor
from kbsite.auth.permissions import can, require
from kbsite.errors import Invalid
from kbsite.search.log import log_search
from kbsite.search.sync import service as search_service

MAX_LIMIT = 50


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise Invalid(f"参数 {name} 必须是整数")
    return max(lo, min(hi, int(raw)))


@bp.get("/search")
@require("search")
def search():
    """Ranked results, best first, with snippets and facet counts."""
    q = request.args.get("q", "")
    types = [t for t in request.args.getlist("type") for t in t.split(",") if t] or None
    limit = _int_arg("limit", 10, 1, MAX_LIMIT)
    offset = _int_arg("offset", 0, 0, 10_000)
    actor = current_actor()
    include_drafts = can(actor, "view_drafts") and request.args.get("drafts") == "1"
    res = search_service().search(
        q, types=types, category=request.args.get("category") or None,
        tag=request.args.get("tag") or None, include_drafts=include_drafts, limit=limit, offset=offset,
    )
    log_id = log_search(actor, q, res.total, source=request.args.get("source", "api")) if offset == 0 else None
    return jsonify(
        query=res.query, total=res.total, message=res.message, suggestion=res.suggestion,
        log_id=log_id, facets=res.facets,
        results=[{"slug": h.slug, "title": h.title, "type": h.type, "category": h.category,
                  "tags": h.tags, "snippet": h.snippet, "score": round(h.score, 4),
                  "status": h.status} for h in res.hits],
    )


@bp.get("/suggest")
@require("search")
def suggest():
    """Titles as the user types."""
    q = request.args.get("q", "")[:50]
    return jsonify(suggestions=search_service().suggest(q, include_drafts=can(current_actor(), "view_drafts")))
