"""The search outbox: every committed change that affects search, in commit order.

A write that changes what search must show (save, approval, revert, import,
bulk edit, restore) calls :func:`record` inside its own transaction, so the
row commits with the change or not at all. Every process follows the table
(see ``follower.py``) and brings its index up to date, so a change reaches
every index even when the process that made it dies right after its commit.

Rows carry item slugs, not content: replaying a row re-reads the items' current
state, so replay is idempotent and order-independent. Ids follow commit order
(SQLite serialises writers; on PostgreSQL the insert takes a transaction-level
advisory lock, held to the commit), so "everything after id N" never skips a
change committed late with a lower id. ``pg_notify`` wakes listening followers
when the transaction commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import JSON, Boolean, Connection, delete, func, insert, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from kbsite.db import Base, UTCDateTime, utcnow

CHANNEL = "kbsite_search"
LOCK_KEY = 0x6B6273_6F7574  # "kbs" "out": the advisory lock that orders outbox ids
RETENTION = timedelta(days=2)


class OutboxEntry(Base):
    """One committed change: these slugs (or, with ``everything``, the whole library) changed."""

    __tablename__ = "search_outbox"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused after pruning

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    slugs: Mapped[list] = mapped_column(JSON, default=list)
    everything: Mapped[bool] = mapped_column(Boolean, default=False)


def record(sess: Session, slugs: list[str]) -> None:
    """Note, inside the caller's write transaction, that these items changed."""
    wanted = sorted(set(slugs))
    if wanted:
        _append(sess.connection(), wanted, everything=False)


def record_everything(conn: Connection) -> None:
    """Note, inside the caller's transaction, that the whole library changed (restore)."""
    _append(conn, [], everything=True)


def _append(conn: Connection, slugs: list[str], *, everything: bool) -> None:
    if conn.dialect.name == "postgresql":
        # Held until commit: the next writer's id is drawn after this one is visible.
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
    conn.execute(insert(OutboxEntry).values(at=utcnow(), slugs=slugs, everything=everything))


def latest_id(sess: Session) -> int:
    """The newest entry's id (0 when the outbox is empty)."""
    return sess.scalar(select(func.max(OutboxEntry.id))) or 0


def oldest_id(sess: Session) -> int:
    """The oldest entry still kept (0 when empty): a follower behind it missed pruned rows."""
    return sess.scalar(select(func.min(OutboxEntry.id))) or 0


def pending(sess: Session, after: int, limit: int) -> list[OutboxEntry]:
    """Entries with id > ``after``, oldest first, at most ``limit``."""
    query = select(OutboxEntry).where(OutboxEntry.id > after).order_by(OutboxEntry.id).limit(limit)
    return list(sess.scalars(query))


def first_pending_at(sess: Session, after: int) -> datetime | None:
    """When the oldest entry after ``after`` was committed (None: nothing pending)."""
    return sess.scalar(select(func.min(OutboxEntry.at)).where(OutboxEntry.id > after))


def prune(sess: Session, now: datetime | None = None) -> int:
    """Delete entries older than the retention (followers that far behind rebuild); returns count."""
    cutoff = (now or utcnow()) - RETENTION
    keep = latest_id(sess)  # always keep the newest row: ids must stay monotonic everywhere
    result = sess.execute(delete(OutboxEntry).where(OutboxEntry.at < cutoff, OutboxEntry.id < keep))
    return result.rowcount or 0
