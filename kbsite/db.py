"""Database engine and sessions.

SQLite by default (WAL, busy timeout, ``BEGIN IMMEDIATE`` for writes so that
concurrent writers neither fail nor lose updates); any SQLAlchemy URL works,
PostgreSQL included. Reads use a request-scoped session; every write goes
through :func:`write_session`, one short transaction.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from kbsite.clock import utcnow  # noqa: F401 - models and services import it from here

BUSY_TIMEOUT_MS = 30_000  # SQLite: how long a statement waits for a lock before failing
FAST_BUSY_SECONDS = 5.0  # a writer polls for the write lock itself this long first


class Base(DeclarativeBase):
    """Declarative base of every model."""


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and immediate write transactions."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get("sqlite_immediate"):
            _begin_immediate(conn)
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def _begin_immediate(conn) -> None:
    """``BEGIN IMMEDIATE``, retried every few milliseconds while another writer holds the lock.

    SQLite's own busy handler sleeps 25–100 ms between tries once a wait passes a few
    milliseconds, so with many short write transactions (a search-log update per keystroke,
    saves, copies) a writer keeps sleeping long after the lock was released: under load,
    13 % of the workers' samples were threads in ``BEGIN IMMEDIATE``. For the first
    seconds this polls at 0.5–4 ms instead; past them SQLite's busy timeout takes over (and
    its error is the one raised).
    """
    raw = conn.connection.dbapi_connection
    raw.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + FAST_BUSY_SECONDS
        pause = 0.0005
        while time.monotonic() < deadline:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.004)
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """Holds the engine and session factories of one app."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.read_factory = sessionmaker(self.engine, expire_on_commit=False)
        write_engine = self.engine.execution_options(sqlite_immediate=True)
        self.write_factory = sessionmaker(write_engine, expire_on_commit=False)

    def create_all(self) -> None:
        """Create every table (tests and ``init-db`` on a blank database)."""
        Base.metadata.create_all(self.engine)


def init_app(app: Flask) -> None:
    """Attach a :class:`Database` to the app and close sessions after each request."""
    app.extensions["kbsite.db"] = Database(app.config["SQLALCHEMY_URL"])

    @app.teardown_appcontext
    def _close(_exc):
        sess = g.pop("db_session", None)
        if sess is not None:
            sess.close()


def database() -> Database:
    """The current app's database."""
    return current_app.extensions["kbsite.db"]


def session() -> Session:
    """The session of the current app context, for reads."""
    if "db_session" not in g:
        g.db_session = database().read_factory()
    return g.db_session


@contextmanager
def write_session() -> Iterator[Session]:
    """One short write transaction; commits on success, rolls back on error."""
    read = g.get("db_session")
    if read is not None:
        read.rollback()  # end the read snapshot so that later reads see this write
    sess = database().write_factory()
    try:
        yield sess
        sess.commit()
    except BaseException:
        sess.rollback()
        raise
    finally:
        sess.close()
