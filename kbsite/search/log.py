"""The search log: each query, how many results it found, and which result was opened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kbsite.db import Base, UTCDateTime, utcnow, write_session

MAX_LOGGED_QUERY = 300


class SearchLog(Base):
    """One search; ``opened_slug`` is filled when the user opens a result."""

    __tablename__ = "search_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    query: Mapped[str] = mapped_column(String(MAX_LOGGED_QUERY))
    result_count: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(20), default="web")
    opened_slug: Mapped[str | None] = mapped_column(String(80), default=None)
    opened_rank: Mapped[int | None] = mapped_column(Integer, default=None)


def log_search(user, query: str, result_count: int, source: str = "web") -> int | None:
    """Record a query (blank queries are not worth logging); returns the log id."""
    text = " ".join(query.split())[:MAX_LOGGED_QUERY]
    if not text:
        return None
    with write_session() as sess:
        row = SearchLog(
            user_id=getattr(user, "id", None),
            query=text,
            result_count=result_count,
            source=source[:20],
        )
        sess.add(row)
        sess.flush()
        return row.id


def log_open(log_id: int, slug: str, rank: int | None, user) -> None:
    """Mark which result of a logged search was opened (only the searcher's own log)."""
    with write_session() as sess:
        row = sess.get(SearchLog, log_id)
        if row is not None and row.user_id == getattr(user, "id", None) and row.opened_slug is None:
            row.opened_slug = slug[:80]
            row.opened_rank = rank
