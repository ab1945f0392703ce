"""The search log: each query, how many results it found, which result was opened, and gap reports.

An agent who finds no direct answer reports the search with one click; trainers
see reported searches first in the gap list (``kbsite.insights.gaps``).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from kbsite.db import Base, UTCDateTime, utcnow, write_session

MAX_LOGGED_QUERY = 300
MAX_LOG_ID = 2**31 - 1
SOURCES = ("web", "api")
_DROPPED = {"Cc", "Cs"}  # control characters, lone surrogates
# Search-as-you-type sends "衣", "衣服", "衣服小了"…: a query that extends or trims the same
# user's previous one within this window replaces it, so the log holds what was meant.
TYPING_WINDOW = timedelta(seconds=20)


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
    gap_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


def clean_query(query: str) -> str:
    """The query as logged: control characters dropped, whitespace collapsed, at most 300 chars."""
    text = "".join(ch for ch in query if ch.isspace() or unicodedata.category(ch) not in _DROPPED)
    return " ".join(text.split())[:MAX_LOGGED_QUERY]


def log_search(user, query: str, result_count: int, source: str = "web") -> int | None:
    """Record a query for the trainers' content-gap view (blank ones are not); returns the log id."""
    text = clean_query(query if isinstance(query, str) else "")
    if not text:
        return None
    user_id = getattr(user, "id", None)
    source = source if source in SOURCES else "web"
    count = max(0, int(result_count))
    with write_session() as sess:
        row = _still_typing(sess, user_id, source, text)
        if row is None:
            row = SearchLog(user_id=user_id, query=text, result_count=count, source=source)
            sess.add(row)
        else:
            row.query, row.result_count, row.at = text, count, utcnow()
        sess.flush()
        return row.id


def _still_typing(sess, user_id: int | None, source: str, text: str) -> SearchLog | None:
    """The user's previous, unopened search if ``text`` only extends or trims it."""
    if user_id is None:
        return None
    last = sess.scalar(select(SearchLog).where(SearchLog.user_id == user_id)
                       .order_by(SearchLog.id.desc()).limit(1))
    if (last is None or last.source != source or last.opened_slug is not None
            or utcnow() - last.at > TYPING_WINDOW):
        return None
    return last if text.startswith(last.query) or last.query.startswith(text) else None


def log_open(log_id: int, slug: str, rank: int | None, user) -> bool:
    """Mark which result of a logged search was opened first; False if it is not the user's log."""

    def mark(row: SearchLog) -> None:
        if row.opened_slug is None:
            row.opened_slug, row.opened_rank = slug[:80], rank

    return _update_own(log_id, user, mark)


def report_gap(log_id: int, user) -> bool:
    """Mark the user's own logged search as "no direct answer" for trainers; False if not theirs."""

    def mark(row: SearchLog) -> None:
        if row.gap_reported_at is None:
            row.gap_reported_at = utcnow()

    return _update_own(log_id, user, mark)


def _update_own(log_id: int, user, change) -> bool:
    """Apply ``change`` to the user's own logged search in one write; False if it is not theirs."""
    user_id = getattr(user, "id", None)
    if user_id is None or not 0 < log_id <= MAX_LOG_ID:
        return False
    with write_session() as sess:
        row = sess.get(SearchLog, log_id)
        if row is None or row.user_id != user_id:
            return False
        change(row)
        return True
