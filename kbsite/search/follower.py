"""Following the outbox: one thread per process keeps that process's index caught up.

Each index folder records the last outbox entry it reflects (``Position``,
beside the folder, tied to the index generation). A follower thread wakes on
PostgreSQL ``NOTIFY`` — or every ``interval`` seconds regardless (SQLite, or
when the notification connection is lost), or at once when this process has
just committed a change (``wake``) — and asks the service to apply whatever is
newer. Processes sharing one index folder share its position, so
one of them does the work and the others see it done.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from kbsite.search.outbox import CHANNEL

log = logging.getLogger(__name__)

FOLLOW_INTERVAL = 0.2  # seconds between polls: changes from dead writers land well within 1 s
RELISTEN_SECONDS = 30.0


@dataclass(frozen=True)
class Mark:
    """The outbox entry an index generation reflects."""

    generation: str
    entry_id: int


class Position:
    """The index folder's outbox position, in a small JSON file replaced atomically."""

    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir.with_name(index_dir.name + ".outbox.json")

    def read(self) -> Mark | None:
        """The recorded mark, or None when missing or unreadable."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return Mark(str(raw["generation"]), int(raw["entry_id"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self, mark: Mark) -> None:
        """Record ``mark`` (never lowering the id recorded for the same generation)."""
        old = self.read()
        if old is not None and old.generation == mark.generation and old.entry_id > mark.entry_id:
            return
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps({"generation": mark.generation, "entry_id": mark.entry_id}), "utf-8")
        os.replace(tmp, self.path)


class _Listener:
    """A PostgreSQL connection that LISTENs on the outbox channel (None-safe: polling otherwise)."""

    def __init__(self, engine: Engine) -> None:
        self._dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._conn = None

    def open(self) -> bool:
        """Connect and LISTEN; False (and polling) when that fails."""
        try:
            import psycopg

            self._conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=3)
            self._conn.execute(f"LISTEN {CHANNEL}")
            return True
        except Exception as exc:  # any failure: fall back to polling
            log.warning("search outbox: LISTEN unavailable, polling instead (%s)", exc)
            self.close()
            return False

    def wait(self, timeout: float) -> None:
        """Return at the next notification or after ``timeout`` seconds."""
        assert self._conn is not None
        for _note in self._conn.notifies(timeout=timeout, stop_after=1):
            pass

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn = None


class Follower:
    """The thread that calls ``tick`` on every notification or poll, until stopped."""

    def __init__(self, tick: Callable[[], None], engine: Engine, interval: float = FOLLOW_INTERVAL) -> None:
        self._tick = tick
        self._engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start following (once per process; a forked child starts its own)."""
        if not self.running:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="kbsite-search-follower", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Run the next round now (this process just committed a change) instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        listener = _Listener(self._engine) if self._engine.dialect.name == "postgresql" else None
        listening = listener.open() if listener else False
        since_listen = 0.0
        try:
            while not self._stop.is_set():
                self._wake.clear()  # a wake-up from here on runs another round
                self._tick()
                if listening:  # this process's own commits NOTIFY too
                    try:
                        listener.wait(self.interval)
                        continue
                    except Exception as exc:
                        log.warning("search outbox: LISTEN connection lost, polling (%s)", exc)
                        listener.close()
                        listening = False
                self._wake.wait(self.interval)
                since_listen += self.interval
                if listener and since_listen >= RELISTEN_SECONDS:
                    since_listen, listening = 0.0, listener.open()
        finally:
            if listener:
                listener.close()
