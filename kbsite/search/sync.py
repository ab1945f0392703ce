"""Keeps the search index in step with the database (the source of truth).

The index records which database state it reflects: every document stores the
revision id it was built from (``doc_id -> revision id``), and the index folder
records the last *outbox* entry it applied (``outbox.py``, ``follower.py``).
Writes commit an outbox row with their change; the saving process then follows
the outbox at once (:meth:`SearchService.items_changed` wakes this process's
follower thread, or without one writes the index before the response) and
every other process follows it from its follower thread, so a change reaches every index within a second even when
the writer dies right after its commit. Every index write, in every process,
runs under one cross-process *sync lock* and re-reads the database inside it,
so the last writer always writes the newest state. A new index, or one too far
behind, is caught up doc by doc (a missing, corrupt or outdated one is
rebuilt). A write that fails after its database commit never fails the
request: it leaves a *dirty* marker that the follower (or, without one, the
next search) repairs, while searches answer from the database.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from kbsite import files
from kbsite.content.models import Item, Revision
from kbsite.db import Database, utcnow
from kbsite.search import outbox
from kbsite.search.engine import SearchEngine
from kbsite.search.expected import (
    chunks,
    config_ids,
    config_revisions,
    expected_versions,
    load_docs,
    new_engine,
    windows_now,
)
from kbsite.search.fallback import search_database
from kbsite.search.follower import FOLLOW_INTERVAL, Follower, Mark, Position
from kbsite.search.health import describe_problem
from kbsite.search.model import SearchResults
from kbsite.search.store import SearchIndexError, acquire_flock, current_generation

log = logging.getLogger(__name__)

CONFIG_REFRESH_SECONDS = 5.0
SYNC_LOCK_TIMEOUT = 60.0
RECOVERY_PAUSE_SECONDS = 30.0
MESSAGE_UNAVAILABLE = "搜索暂时不可用，请稍后再试。"
MAX_REPLAY = 1000  # outbox entries replayed one by one; more than that: a diff catch-up
PRUNE_EVERY_SECONDS = 3600.0
STATUSES = ("published", "draft")

Progress = Callable[[int, int], None]


class SyncLockTimeout(SearchIndexError):
    """Another process held the index sync lock for too long."""


# ---- the service ------------------------------------------------------------

class SearchService:
    """One per app and process: a lazily opened engine plus what keeps it equal to the database."""

    def __init__(
        self,
        index_dir: Path,
        db: Database,
        *,
        today: Callable[[], date] | None = None,
        config_refresh_seconds: float = CONFIG_REFRESH_SECONDS,
        lock_timeout: float = SYNC_LOCK_TIMEOUT,
    ):
        self.index_dir = Path(index_dir)
        self.db = db
        self.today = today or _app_today  # injectable clock: scheduled policies switch by it
        self.config_refresh_seconds = config_refresh_seconds
        self.lock_timeout = lock_timeout
        self.last_sync: dict = {}
        self._engine: SearchEngine | None = None
        self._lock = threading.RLock()
        self._lock_depth = 0
        self._config: tuple[int | None, int | None] = (None, None)
        self._config_checked = float("-inf")
        self._policy_day: date | None = None
        self._windows: dict[str, bool] = {}  # announcement slug -> inside its window at the last look
        self._synced = False
        self._last_recovery = float("-inf")
        self.position = Position(self.index_dir)
        self.follower: Follower | None = None
        self.problem: str | None = None  # why the last index update failed (None: it worked)
        self._pruned_at = float("-inf")

    @property
    def dirty_marker(self) -> Path:
        """Exists while some committed change may be missing from the index."""
        return self.index_dir.with_name(self.index_dir.name + ".dirty")

    # -- locking and sessions --------------------------------------------------
    @contextlib.contextmanager
    def _sync_lock(self) -> Iterator[None]:
        """The cross-process lock around every index write (re-entrant within this service)."""
        with self._lock:
            if self._lock_depth:
                self._lock_depth += 1
                try:
                    yield
                finally:
                    self._lock_depth -= 1
                return
            path = self.index_dir.with_name(self.index_dir.name + ".sync-lock")
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a+b") as fh:
                if not acquire_flock(fh, self.lock_timeout):
                    raise SyncLockTimeout(f"index sync lock busy for {self.lock_timeout}s")
                self._lock_depth = 1
                try:
                    yield
                finally:
                    self._lock_depth = 0
                    fcntl.flock(fh, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _session(self) -> Iterator[Session]:
        """A fresh read session: it sees every commit made before the sync lock was taken."""
        sess = self.db.read_factory()
        try:
            yield sess
        finally:
            sess.close()

    # -- engine lifecycle --------------------------------------------------------
    def engine(self) -> SearchEngine:
        """The engine, caught up with the database on first use in this process."""
        self._ready()
        assert self._engine is not None
        return self._engine

    def _open_engine(self, sess: Session) -> SearchEngine:
        """The engine, created with the dictionary and synonyms now published if not open yet."""
        if self._engine is None:
            self._engine, self._config = new_engine(self.index_dir, sess)
            self._config_checked = time.monotonic()
        return self._engine

    def _ready(self) -> None:
        if not self._synced:
            with self._lock:
                if not self._synced:
                    self.catch_up()

    def _apply_config(self, sess: Session) -> bool:
        """Load dictionary/synonym edits from any process; True if the analyzer changed."""
        self._config_checked = time.monotonic()
        ids = config_ids(sess)
        if ids == self._config:
            return False
        if ids[0] != self._config[0] or self._engine is None:
            old = self._engine
            self._engine, self._config = new_engine(self.index_dir, sess)
            if old is not None:
                old.close()
            return True
        synonyms = config_revisions(sess)["synonyms"]
        self._engine.set_synonyms(synonyms.meta.get("groups", []) if synonyms else [])
        self._config = ids
        return False

    def _refresh_config(self) -> None:
        """At most every few seconds: pick up a new synonym list, or rebuild for a new dictionary."""
        if time.monotonic() - self._config_checked < self.config_refresh_seconds:
            return
        if not self._lock.acquire(blocking=False):
            return  # another thread is updating the index: searches never wait for it
        try:
            with self._session() as sess:
                changed = self._apply_config(sess)
            if changed:
                self.catch_up()
        finally:
            self._lock.release()

    # -- keeping it current --------------------------------------------------------
    def expected_versions(self) -> dict[str, int]:
        """What the index should hold now, from the database (doc_id -> revision id)."""
        with self._session() as sess:
            return expected_versions(sess, self.today())

    def catch_up(self, progress: Progress | None = None, *, force: bool = False) -> dict:
        """Make the index equal the database: rebuild if unusable (or ``force``), else apply the differences."""
        with self._sync_lock(), self._session() as sess:
            entry_id = outbox.latest_id(sess)  # read first: every later change has a later id
            engine = self._open_engine(sess)
            if self._apply_config(sess):
                engine = self._open_engine(sess)
            today = self.today()
            want = expected_versions(sess, today)
            if force or not engine.ensure_index():
                total = len(want)
                engine.rebuild(
                    load_docs(sess, want),
                    total=total,
                    progress=(lambda done: progress(done, total)) if progress else None,
                )
                stats = {"rebuilt": total, "updated": 0, "deleted": 0}
            else:
                stats = self._apply_differences(sess, engine, want, progress)
            self._mark_position(entry_id)
            self.dirty_marker.unlink(missing_ok=True)
        self._synced, self._policy_day, self.last_sync = True, today, stats
        return stats

    def _apply_differences(
        self, sess: Session, engine: SearchEngine, want: dict[str, int], progress: Progress | None
    ) -> dict:
        have = engine.indexed_versions()
        stale = {k: v for k, v in want.items() if have.get(k) != v}
        gone = [k for k in have if k not in want]
        done = 0
        for chunk in chunks(sorted(stale)):
            engine.upsert(load_docs(sess, {k: stale[k] for k in chunk}))
            done += len(chunk)
            if progress:
                progress(done, len(stale))
        if gone:
            engine.delete(gone)
        if progress and not stale:
            progress(0, 0)
        return {"rebuilt": 0, "updated": len(stale), "deleted": len(gone)}

    def _reindex(self, slugs: list[str]) -> None:
        """Write the current database state of these items (sync lock held)."""
        with self._session() as sess:
            if self._apply_config(sess):
                self.catch_up()  # new analyzer: the whole index was rebuilt, these items included
                return
            engine = self._open_engine(sess)
            for chunk in chunks(sorted(set(slugs))):
                want = expected_versions(sess, self.today(), chunk)
                indexed = set(sess.scalars(select(Item.slug).where(
                    Item.slug.in_(chunk), Item.type.in_(files.KINDS))))
                missing = set(chunk) - set(sess.scalars(select(Item.slug).where(Item.slug.in_(chunk))))
                drop = [f"{s}@{st}" for s in sorted(indexed | missing) for st in STATUSES
                        if f"{s}@{st}" not in want]
                if want:
                    engine.upsert(load_docs(sess, want))
                if drop:
                    engine.delete(drop)

    # -- following the outbox ----------------------------------------------------------
    def _mark_position(self, entry_id: int) -> None:
        gen = current_generation(self.index_dir)
        if gen is not None:
            self.position.write(Mark(gen.name, entry_id))

    def _known_position(self) -> int | None:
        """The outbox id the current index generation reflects (None: unknown, catch up)."""
        mark, gen = self.position.read(), current_generation(self.index_dir)
        return mark.entry_id if mark and gen and mark.generation == gen.name else None

    def follow(self) -> int:
        """Apply the committed changes this index has not seen yet; returns how many entries."""
        with self._session() as sess:
            latest = outbox.latest_id(sess)
        known = self._known_position()
        if known is not None and known >= latest:
            return 0
        with self._sync_lock(), self._session() as sess:
            known = self._known_position()  # another process sharing the index may have done it
            if known is None or known < outbox.oldest_id(sess) - 1:
                self.catch_up()  # new, rebuilt elsewhere, or behind pruned entries
                return 1
            entries = outbox.pending(sess, known, MAX_REPLAY + 1)
            if not entries:
                return 0
            if len(entries) > MAX_REPLAY or any(e.everything for e in entries):
                self.catch_up(force=any(e.everything for e in entries))  # too far behind: diff or rebuild
                return len(entries)
            self._reindex(sorted({slug for e in entries for slug in e.slugs}))
            self._mark_position(entries[-1].id)
            return len(entries)

    def items_changed(self, slugs: list[str]) -> None:
        """Called after each committed save, before the response: get the change indexed.

        The save's outbox row committed with it, so following the outbox indexes it.
        With a follower thread in this process, the request only wakes it: the
        index write (and the segment merge it may start) runs off the request,
        a few milliseconds later, and a save never waits behind another process's
        index write. Without one (tests, tools) the index is updated here. Never
        raises: the database has already committed, so a failed index write is
        logged, repaired at once if possible, else left to the followers.
        """
        follower = self.follower
        if follower is not None and follower.running:
            follower.wake()
            return
        try:
            self._ready()  # the start-up catch-up reads the database, this change included
            self.follow()  # this change and any other committed before it, in one index write
        except SyncLockTimeout:
            log.exception("search index busy; marking it for catch-up")
            self._mark_dirty()
        except Exception as exc:
            self._note_problem(exc)
            log.exception("search index update failed; repairing it")
            self._recover()

    def _check_policies(self) -> None:
        """A policy approved with a future effective date switches in the index when its day comes."""
        today, since = self.today(), self._policy_day
        if since == today:
            return
        if since is None:
            self._policy_day = today
            return
        lo, hi = sorted((since, today))
        with self._session() as sess:
            slugs = list(sess.scalars(
                select(Item.slug).distinct().join(Revision, Revision.item_id == Item.id).where(
                    Item.type == "policy",
                    Revision.published_at.is_not(None),
                    Revision.effective_from > lo.isoformat(),
                    Revision.effective_from <= hi.isoformat(),
                )
            ))
        if slugs:
            with self._sync_lock():
                self._reindex(slugs)
        self._policy_day = today  # only once done: a failed switch is retried on the next round

    def _check_windows(self) -> None:
        """An announcement enters the index when its window opens and leaves when it closes."""
        with self._session() as sess:
            current = windows_now(sess)
        changed = sorted(s for s in current.keys() | self._windows.keys()
                         if current.get(s) != self._windows.get(s))
        self._windows = current
        if changed:  # the first look re-checks them all: a handful of documents, once
            with self._sync_lock():
                self._reindex(changed)

    # -- repair ------------------------------------------------------------------------
    def _mark_dirty(self) -> None:
        with contextlib.suppress(OSError):
            self.dirty_marker.parent.mkdir(parents=True, exist_ok=True)
            self.dirty_marker.touch()

    def _recover(self) -> bool:
        """Catch up (rebuilding if the index is unreadable); at most once per pause. True if done."""
        if self._following():
            self._mark_dirty()  # the follower thread repairs it; requests never wait for a rebuild
            return False
        with self._lock:
            if time.monotonic() - self._last_recovery < RECOVERY_PAUSE_SECONDS:
                self._mark_dirty()
                return False
            self._last_recovery = time.monotonic()
            try:
                self.catch_up()
                return True
            except Exception:
                log.exception("search index repair failed; the next search retries")
                self._mark_dirty()
                return False

    def _maintain(self) -> None:
        """Cheap checks before a query: start-up sync, dirty marker, config edits, policy dates."""
        try:
            self._ready()
            if not self._following():  # else the follower thread does all of this
                if self.dirty_marker.exists():
                    self.catch_up()
                self.follow()
                self.problem = None
                self._check_policies()
                self._check_windows()
            self._refresh_config()
        except Exception as exc:
            self._note_problem(exc)
            log.exception("search index maintenance failed")

    def _following(self) -> bool:
        return self.follower is not None and self.follower.running

    def tick(self) -> None:
        """One round of the follower thread: catch up, follow, config, policy dates, pruning."""
        try:
            self._ready()
            if self.dirty_marker.exists():
                self._repair()
            self.follow()
            self._refresh_config()
            self._check_policies()
            self._check_windows()
            self._warm()
            self._prune()
            self.problem = None
        except Exception as exc:
            if self._note_problem(exc):
                log.exception("search index follower failed; retrying")

    def _warm(self) -> None:
        """Open a changed index (written here or by another process) before a search has to."""
        if self._engine is not None:
            self._engine.warm()

    def _repair(self) -> None:
        """Catch up after a failed read or write; rebuild when even that cannot read the index."""
        try:
            self.catch_up()
        except SyncLockTimeout:
            raise
        except Exception:
            log.exception("search index catch-up failed; rebuilding it")
            self.catch_up(force=True)

    def _note_problem(self, exc: Exception) -> bool:
        """Remember why the index is behind, in words an operator reads; True if it is new."""
        text = describe_problem(exc)
        new, self.problem = text != self.problem, text
        return new

    def _prune(self) -> None:
        if time.monotonic() - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = time.monotonic()
        with self.db.write_factory() as sess, sess.begin():
            outbox.prune(sess)

    def start_following(self, app: Flask, interval: float = FOLLOW_INTERVAL) -> None:
        """Run the follower thread in this process (idempotent; forked children start their own)."""
        with self._lock:
            if self.follower is None:
                def tick() -> None:
                    with app.app_context():
                        self.tick()

                self.follower = Follower(tick, self.db.engine, interval)
            self.follower.start()

    def stop_following(self) -> None:
        """Stop the follower thread (tests, shutdown)."""
        if self.follower is not None:
            self.follower.stop()

    def notice(self) -> str | None:
        """What agents should know when the index is behind the database (None: it is current)."""
        if self.problem:  # the details (paths, causes) are for operators: /readyz and the log
            return "搜索索引暂时没有跟上最新修改，结果可能不是最新的；如持续出现请联系管理员。"
        return None

    def status(self) -> dict:
        """Readiness facts: index present, outbox entries behind, lag in seconds, the problem if any."""
        gen = current_generation(self.index_dir)
        known = self._known_position()
        with self._session() as sess:
            latest = outbox.latest_id(sess)
            since = outbox.first_pending_at(sess, known or 0) if known is None or known < latest else None
        lag = 0.0 if since is None else max(0.0, (utcnow() - since).total_seconds())
        if known is None and not latest:
            lag = None  # never caught up: nothing to measure against, so not ready
        return {"index_present": gen is not None and gen.is_dir(), "position": known,
                "latest": latest, "behind": max(0, latest - (known or 0)),
                "lag_seconds": lag, "problem": self.problem}

    # -- queries -------------------------------------------------------------------------
    def search(self, q: str, **kwargs) -> SearchResults:
        """Search with the current synonyms; see SearchEngine.search for arguments."""
        self._maintain()
        try:
            return self.engine().search(q, **kwargs)
        except Exception:
            log.exception("search failed; repairing the index")
        if self._recover():
            try:
                return self.engine().search(q, **kwargs)
            except Exception:
                log.exception("search failed again after repair")
        try:
            with self._session() as sess:
                return search_database(sess, q, **kwargs)
        except Exception:
            log.exception("search from the database failed too")
        text = q if isinstance(q, str) else ""
        return SearchResults(query=text, total=0, hits=[], message=MESSAGE_UNAVAILABLE)

    def suggest(self, prefix: str, **kwargs) -> list[dict]:
        """Title suggestions as the user types (nothing rather than an error)."""
        self._maintain()
        try:
            return self.engine().suggest(prefix, **kwargs)
        except Exception:
            log.exception("suggest failed")
            self._mark_dirty()
            return []


def _app_today() -> date:
    """The app's today (``TODAY`` config pins it), the same date agents' pages use."""
    from kbsite.content.service import today

    return today()


def init_app(app: Flask) -> None:
    """Attach the service and register the post-save hook."""
    svc = SearchService(
        Path(app.config["SEARCH_INDEX_DIR"]),
        app.extensions["kbsite.db"],
        config_refresh_seconds=float(
            app.config.get("SEARCH_CONFIG_REFRESH_SECONDS", CONFIG_REFRESH_SECONDS)
        ),
        lock_timeout=float(app.config.get("SEARCH_LOCK_TIMEOUT", SYNC_LOCK_TIMEOUT)),
    )
    app.extensions["kbsite.search"] = svc
    app.extensions["kbsite.on_items_changed"] = svc.items_changed
    follow = app.config.get("SEARCH_FOLLOW")
    if (not app.testing) if follow is None else follow:
        interval = float(app.config.get("SEARCH_FOLLOW_INTERVAL", FOLLOW_INTERVAL))

        @app.before_request
        def _follow_outbox() -> None:  # started by the first request: after any fork
            if svc.follower is None or not svc.follower.running:
                svc.start_following(app, interval)


def service() -> SearchService:
    """The current app's search service."""
    return current_app.extensions["kbsite.search"]
