"""Answers from the database while the index cannot answer (damaged, being rebuilt).

Plain substring matching on titles, summaries and bodies of what agents may see:
no ranking, synonyms or slips, and said so in the message, but agents keep
finding entries by their words while the index rebuilds in the background.
"""

from __future__ import annotations

from markupsafe import escape
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kbsite.content import types as content_types
from kbsite.content import validity
from kbsite.content.models import Item, Revision
from kbsite.files import KINDS
from kbsite.search.model import Hit, SearchResults
from kbsite.textnorm import fold

MESSAGE_DEGRADED = "搜索索引正在修复，以下是直接从数据库按关键词找到的结果，未排序，可能不完整。"
MAX_WORDS = 5
MAX_WORD_CHARS = 50


def search_database(sess: Session, q: str, *, include_drafts: bool = False, limit: int = 10,
                    offset: int = 0, types=None, **_filters) -> SearchResults:
    """Entries whose title, summary or body contains any of the query's words."""
    text = q if isinstance(q, str) else ""
    words = list(dict.fromkeys(w[:MAX_WORD_CHARS] for raw in text.split()[:MAX_WORDS]
                               for w in (raw, fold(raw)) if w))
    if not words:
        return SearchResults(query=text, total=0, hits=[], message=MESSAGE_DEGRADED)
    shown = Item.latest_revision_id if include_drafts else Item.published_revision_id
    kinds = [t for t in (types or KINDS) if t in KINDS]
    match = or_(*[column.contains(w, autoescape=True) for w in words
                  for column in (Revision.title, Revision.body)])
    query = (select(Item.slug, Item.type, Item.published_revision_id, Revision)
             .join(Revision, Revision.id == shown)
             .where(Item.type.in_(kinds), match)
             .order_by(Item.slug))
    rows = sess.execute(query.limit(min(limit, 50)).offset(offset)).all()
    rows = [r for r in rows if r[1] not in content_types.windowed() or validity.is_current(r[3].meta or {})]
    hits = [_hit(slug, type_, rev, "published" if rev.id == published else "draft")
            for slug, type_, published, rev in rows]
    return SearchResults(query=text, total=offset + len(hits), hits=hits, message=MESSAGE_DEGRADED)


def _hit(slug: str, type_: str, rev: Revision, status: str) -> Hit:
    summary = str(rev.meta.get("summary", "")) if isinstance(rev.meta, dict) else ""
    return Hit(slug=slug, title=rev.title, type=type_, category=rev.category, tags=list(rev.tags),
               snippet=str(escape(summary)), score=0.0, status=status, doc_id=f"{slug}@{status}",
               title_html=str(escape(rev.title)))
