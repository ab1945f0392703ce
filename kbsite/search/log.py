"""The search log: each query, how many results it found, which result was opened, and gap reports.

An agent who finds no direct answer reports the search with one click; trainers
see reported searches first in the gap list (``kbsite.insights.gaps``).
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from kbsite.db import Base, UTCDateTime, database, utcnow, write_session

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
    """Record a query for the trainers' content-gap view (blank ones are not); returns the log id.

    Search-as-you-type sends one query per keystroke; the user's latest burst is
    remembered in this process, so a keystroke that extends or trims it costs one
    guarded ``UPDATE`` (no read, no ORM object). The guard keeps the rules of
    :func:`_still_typing` for writes made elsewhere: the row must be the user's
    newest, not opened and not reported, else a full look-up decides.
    """
    text = clean_query(query if isinstance(query, str) else "")
    if not text:
        return None
    user_id = getattr(user, "id", None)
    source = source if source in SOURCES else "web"
    count = max(0, int(result_count))
    now = utcnow()
    if user_id is not None and (row_id := _extend_burst(user_id, source, text, count, now)):
        return row_id
    with write_session() as sess:
        row = _still_typing(sess, user_id, source, text, now)
        if row is None:
            row = SearchLog(user_id=user_id, query=text, result_count=count, source=source, at=now)
            sess.add(row)
        else:
            row.query, row.result_count, row.at = text, count, now
        sess.flush()
        row_id = row.id
    if user_id is not None:
        _remember(user_id, source, _Burst(row_id, text, now))
    return row_id


@dataclass(frozen=True)
class _Burst:
    """A user's latest logged search in this process, as last written."""

    row_id: int
    query: str
    at: datetime


_bursts: dict[tuple[str, int, str], _Burst] = {}  # (database, user id, source) -> latest burst here
_bursts_lock = threading.Lock()
MAX_BURSTS = 10_000


def _typing_on(previous: str, text: str) -> bool:
    return text.startswith(previous) or previous.startswith(text)


def _extend_burst(user_id: int, source: str, text: str, count: int, now: datetime) -> int | None:
    """Update the remembered burst's row if ``text`` continues it; its id, else None."""
    with _bursts_lock:
        burst = _bursts.get(_key(user_id, source))
    if burst is None or now - burst.at > TYPING_WINDOW or not _typing_on(burst.query, text):
        return None
    newer = select(SearchLog.id).where(SearchLog.user_id == user_id, SearchLog.id > burst.row_id)
    stmt = (update(SearchLog)
            .where(SearchLog.id == burst.row_id, SearchLog.user_id == user_id, SearchLog.source == source,
                   SearchLog.opened_slug.is_(None), SearchLog.gap_reported_at.is_(None), ~newer.exists())
            .values(query=text, result_count=count, at=now)
            .execution_options(synchronize_session=False))
    with write_session() as sess:
        done = sess.execute(stmt).rowcount == 1
    if not done:
        _forget(user_id)
        return None
    _remember(user_id, source, _Burst(burst.row_id, text, now))
    return burst.row_id


def _remember(user_id: int, source: str, burst: _Burst) -> None:
    with _bursts_lock:
        if len(_bursts) >= MAX_BURSTS:  # users gone quiet: their bursts are over anyway
            for key in [k for k, b in _bursts.items() if burst.at - b.at > TYPING_WINDOW]:
                del _bursts[key]
            if len(_bursts) >= MAX_BURSTS:
                _bursts.clear()
        _bursts[_key(user_id, source)] = burst


def _key(user_id: int, source: str) -> tuple[str, int, str]:
    return str(database().engine.url), user_id, source  # one process may serve several apps (tests)


def _forget(user_id: int | None) -> None:
    """The user opened or reported a search (or another process wrote one): the next one looks it up."""
    db = str(database().engine.url)
    with _bursts_lock:
        for key in [k for k in _bursts if k[:2] == (db, user_id)]:
            del _bursts[key]


def _still_typing(sess, user_id: int | None, source: str, text: str, now: datetime) -> SearchLog | None:
    """The user's previous, unopened, unreported search of the last moments if ``text`` only extends
    or trims it (the time bound lets the ``at`` index find it without reading old rows)."""
    if user_id is None:
        return None
    last = sess.scalar(select(SearchLog).where(SearchLog.user_id == user_id, SearchLog.at >= now - TYPING_WINDOW)
                       .order_by(SearchLog.id.desc()).limit(1))
    if (last is None or last.source != source or last.opened_slug is not None
            or last.gap_reported_at is not None):
        return None
    return last if _typing_on(last.query, text) else None


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
    _forget(user_id)
    with write_session() as sess:
        row = sess.get(SearchLog, log_id)
        if row is None or row.user_id != user_id:
            return False
        change(row)
        return True
