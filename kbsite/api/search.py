"""Search API endpoints; they call the same search service as the pages.

``GET /api/search`` answers ``{"query", "total", "results": [{"slug", "title",
"type", "category", "tags", "snippet", "score", "status"}], "facets",
"suggestion", "message", "confidence", "notice", "log_id"}``, best first; ``notice`` says when
the index is behind the database (else null). ``POST
/api/search/<log_id>/open`` with ``{"slug", "rank"}`` records which result of
a logged search the user opened; ``POST /api/search/<log_id>/gap`` reports it
to trainers as a search with no direct answer.
"""

from __future__ import annotations

from flask import current_app, g, jsonify, request

from kbsite import files
from kbsite.api import bp
from kbsite.auth.access import current_actor
from kbsite.auth.permissions import can, require
from kbsite.content import service as content
from kbsite.content import trust
from kbsite.db import session
from kbsite.errors import Invalid, NotFound
from kbsite.search import Demotion, log_open, log_search, report_gap
from kbsite.search import service as search_service

MAX_LIMIT = 50
MAX_OFFSET = 10_000
MAX_FILTER_CHARS = 200
MAX_RANK = 1000


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    """An integer query argument within [lo, hi]; anything else is a 400 with a JSON error."""
    raw = request.args.get(name, "").strip()
    if raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not lo <= int(raw) <= hi:
        raise Invalid(f"参数 {name} 必须是 {lo} 到 {hi} 之间的整数")
    return int(raw)


def _types() -> list[str] | None:
    types = [t.strip() for raw in request.args.getlist("type") for t in raw.split(",") if t.strip()]
    unknown = [t for t in types if t not in files.KINDS]
    if unknown:
        raise Invalid(f"未知的类型：{unknown[0][:40]}，可选：{'、'.join(files.KINDS)}")
    return types or None


def _filter_arg(name: str) -> str | None:
    return request.args.get(name, "")[:MAX_FILTER_CHARS].strip() or None


def _past_review() -> Demotion:
    """Entries past review, demoted by the engine before paging (the set is cached per process)."""
    stale = current_app.extensions.get("kbsite.stale_slugs")
    if stale is None:
        stale = current_app.extensions.setdefault("kbsite.stale_slugs", trust.StaleSlugs())
    return trust.demotion(stale.get(session(), content.today()))


@bp.get("/search")
@require("search")
def search():
    """Ranked results, best first, with snippets and facet counts."""
    q = request.args.get("q", "")
    types = _types()
    limit = _int_arg("limit", 10, 1, MAX_LIMIT)
    offset = _int_arg("offset", 0, 0, MAX_OFFSET)
    actor = current_actor()
    include_drafts = can(actor, "view_drafts") and request.args.get("drafts") == "1"
    res = search_service().search(
        q, types=types, category=_filter_arg("category"), tag=_filter_arg("tag"),
        include_drafts=include_drafts, limit=limit, offset=offset, demote=_past_review(),
    )
    logged = offset == 0 and request.args.get("log") != "0"
    source = "api" if g.get("api_user") else "web"
    found = 0 if res.nothing_held else res.total  # only shared characters: still a gap for trainers
    log_id = log_search(actor, q, found, source=source) if logged else None
    signals = trust.trust_for([h.slug for h in res.hits], content.today())
    when = current_app.jinja_env.filters["localtime"]
    return jsonify(
        query=res.query, total=res.total, message=res.message, suggestion=res.suggestion,
        confidence=res.confidence, log_id=log_id, facets=res.facets, notice=search_service().notice(),
        results=[{"slug": h.slug, "title": h.title, "type": h.type, "category": h.category,
                  "tags": h.tags, "snippet": h.snippet, "score": round(h.score, 4),
                  "status": h.status, "trust": signals[h.slug].as_json(when) if h.slug in signals else None}
                 for h in res.hits],
    )


@bp.post("/search/<int:log_id>/open")
@require("search")
def search_opened(log_id: int):
    """Record which result of the caller's own logged search was opened (JSON {"slug", "rank"})."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid("请求体必须是 JSON 对象")
    slug, rank = data.get("slug"), data.get("rank")
    if not isinstance(slug, str) or not files.SLUG_RE.fullmatch(slug):
        raise Invalid("slug 无效")
    if rank is not None and (type(rank) is not int or not 1 <= rank <= MAX_RANK):
        raise Invalid(f"rank 必须是 1 到 {MAX_RANK} 之间的整数")
    if not log_open(log_id, slug, rank, current_actor()):
        raise NotFound("找不到该搜索记录")
    return jsonify(ok=True)


@bp.post("/search/<int:log_id>/gap")
@require("search")
def search_gap(log_id: int):
    """Report the caller's own logged search to trainers: the library has no direct answer."""
    if not report_gap(log_id, current_actor()):
        raise NotFound("找不到该搜索记录")
    return jsonify(ok=True)


@bp.get("/suggest")
@require("search")
def suggest():
    """Titles as the user types."""
    q = request.args.get("q", "")[:50]
    return jsonify(suggestions=search_service().suggest(q, include_drafts=can(current_actor(), "view_drafts")))
