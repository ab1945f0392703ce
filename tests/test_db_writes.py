"""SQLite write transactions: a waiting writer gets the lock within milliseconds of its release."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from kbsite.db import Database


def _lateness(db: Database, hold: float) -> float:
    """Seconds between one writer committing and a waiting writer's BEGIN IMMEDIATE returning."""
    holding, released = threading.Event(), []

    def holder() -> None:
        with db.write_factory() as sess, sess.begin():
            sess.execute(text("INSERT INTO t (v) VALUES (1)"))
            holding.set()
            time.sleep(hold)
            released.append(time.monotonic())  # commits right after

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(5)
    with db.write_factory() as sess, sess.begin():
        sess.execute(text("INSERT INTO t (v) VALUES (2)"))
        got = time.monotonic()
    thread.join()
    return got - released[0]


def test_a_waiting_writer_is_not_left_sleeping_after_the_lock_is_free(tmp_path):
    # SQLite's own busy handler would try again only after 100 ms here (its 25-100 ms steps).
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v INTEGER)"))
    late = [_lateness(db, hold) for hold in (0.23, 0.27, 0.31, 0.35, 0.39)]
    assert sorted(late)[2] < 0.015  # the median; SQLite's own handler: 10-100 ms each
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 10  # nothing lost


def test_the_busy_timeout_still_applies_after_the_fast_polling(tmp_path, monkeypatch):
    import kbsite.db as dbmod

    monkeypatch.setattr(dbmod, "FAST_BUSY_SECONDS", 0.05)
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v INTEGER)"))
    assert _lateness(db, 0.3) < 0.2  # waited past the polling, in SQLite's own handler
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == dbmod.BUSY_TIMEOUT_MS
