"""Keeps the search index in step with the database (the source of truth).

The index records which database state it reflects: every document stores the
revision id it was built from (``doc_id -> revision id``). Saves call
:meth:`SearchService.items_changed` after their commit and before the response,
so an edit is searchable at once. Every index write, in every process, runs
under one cross-process *sync lock* and re-reads the database inside it, so the
last writer always writes the newest state: concurrent saves never lose an
update and never meet Whoosh's write lock. At start-up (first use in a process,
``kbsite run``) and with ``kbsite reindex`` the index is compared with the
database doc by doc and caught up; a missing, corrupt or outdated index (new
dictionary = new analyzer) is rebuilt. A write that fails after its database
commit never fails the request: it leaves a *dirty* marker that the next search
in any process repairs.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kbsite import files, markdown
from kbsite.content.models import Item, Revision
from kbsite.db import Database
from kbsite.search import SearchDoc, SearchEngine, SearchIndexError, SearchResults

log = logging.getLogger(__name__)

CONFIG_REFRESH_SECONDS = 5.0
SYNC_LOCK_TIMEOUT = 60.0
RECOVERY_PAUSE_SECONDS = 30.0
MESSAGE_UNAVAILABLE = "搜索暂时不可用，请稍后再试。"
STATUSES = ("published", "draft")
CONFIG_TYPES = ("dictionary", "synonyms")
_BATCH = 500

Progress = Callable[[int, int], None]


class SyncLockTimeout(SearchIndexError):
    """Another process held the index sync lock for too long."""


# ---- what the index should hold ---------------------------------------------

def doc_for(item: Item, rev: Revision, status: str) -> SearchDoc:
    """The indexable form of one revision."""
    body = rev.body if item.type == "template" else markdown.to_plain_text(rev.body)
    return SearchDoc(
        doc_id=f"{item.slug}@{status}",
        slug=item.slug,
        type=item.type,
        status=status,
        title=rev.title,
        category=rev.category,
        tags=list(rev.tags),
        summary=str(rev.meta.get("summary", "")),
        body=body,
        version=rev.id,
    )


def _chunks(values: list, size: int = _BATCH) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _policies_in_force(sess: Session, today: date, slugs: list[str] | None) -> dict[int, int]:
    """item id -> revision in force today, for every policy (bulk form of content.service.in_force)."""
    query = (
        select(Revision.item_id, Revision.id, Revision.effective_from, Revision.number)
        .join(Item, Item.id == Revision.item_id)
        .where(
            Item.type == "policy",
            Revision.published_at.is_not(None),
            Revision.effective_from <= today.isoformat(),
        )
    )
    if slugs is not None:
        query = query.where(Item.slug.in_(slugs))
    best: dict[int, tuple[tuple[str, int], int]] = {}
    for item_id, rev_id, effective, number in sess.execute(query):
        key = (effective, number)
        if item_id not in best or key > best[item_id][0]:
            best[item_id] = (key, rev_id)
    return {item_id: rev_id for item_id, (_key, rev_id) in best.items()}


def expected_versions(
    sess: Session, today: date, slugs: list[str] | None = None
) -> dict[str, int]:
    """doc_id -> revision id the index must hold: what agents see, plus any newer draft."""
    query = select(
        Item.id, Item.slug, Item.type, Item.published_revision_id, Item.latest_revision_id
    ).where(Item.type.in_(files.KINDS))
    if slugs is not None:
        query = query.where(Item.slug.in_(slugs))
    rows = sess.execute(query).all()
    in_force = _policies_in_force(sess, today, slugs) if any(r.type == "policy" for r in rows) else {}
    out: dict[str, int] = {}
    for row in rows:
        pub = row.published_revision_id
        if row.type == "policy" and pub is not None:
            pub = in_force.get(row.id, pub)  # as agent_revision: in force today, else published
        if pub is not None:
            out[f"{row.slug}@published"] = pub
        if row.latest_revision_id is not None and row.latest_revision_id != pub:
            out[f"{row.slug}@draft"] = row.latest_revision_id
    return out


def load_docs(sess: Session, wanted: dict[str, int]) -> Iterator[SearchDoc]:
    """Build the docs for ``doc_id -> revision id``, a batch of revisions at a time."""
    by_rev: dict[int, list[str]] = {}
    for doc_id, rev_id in wanted.items():
        by_rev.setdefault(rev_id, []).append(doc_id)
    for chunk in _chunks(sorted(by_rev)):
        revs = sess.scalars(
            select(Revision).where(Revision.id.in_(chunk)).options(selectinload(Revision.item))
        )
        for rev in revs:
            for doc_id in by_rev[rev.id]:
                yield doc_for(rev.item, rev, doc_id.rsplit("@", 1)[1])
        sess.expunge_all()


def _config_revisions(sess: Session) -> dict[str, Revision | None]:
    rows = sess.scalars(
        select(Item).where(Item.type.in_(CONFIG_TYPES)).options(selectinload(Item.published))
    )
    found: dict[str, Revision | None] = dict.fromkeys(CONFIG_TYPES)
    for item in rows:
        found[item.type] = item.published
    return found


def _config_ids(sess: Session) -> tuple[int | None, int | None]:
    query = select(Item.type, Item.published_revision_id).where(Item.type.in_(CONFIG_TYPES))
    rows = {type_: rev_id for type_, rev_id in sess.execute(query)}
    return (rows.get("dictionary"), rows.get("synonyms"))


def _new_engine(index_dir: Path, sess: Session) -> tuple[SearchEngine, tuple[int | None, int | None]]:
    """An engine with the published dictionary and synonyms, and their revision ids."""
    cfg = _config_revisions(sess)
    dictionary, synonyms = cfg["dictionary"], cfg["synonyms"]
    engine = SearchEngine(
        index_dir,
        words=dictionary.meta.get("words", []) if dictionary else [],
        synonyms=synonyms.meta.get("groups", []) if synonyms else [],
    )
    return engine, (dictionary.id if dictionary else None, synonyms.id if synonyms else None)


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
        self._synced = False
        self._last_recovery = float("-inf")

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
                _flock(fh, self.lock_timeout)
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
            self._engine, self._config = _new_engine(self.index_dir, sess)
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
        ids = _config_ids(sess)
        if ids == self._config:
            return False
        if ids[0] != self._config[0] or self._engine is None:
            old = self._engine
            self._engine, self._config = _new_engine(self.index_dir, sess)
            if old is not None:
                old.close()
            return True
        synonyms = _config_revisions(sess)["synonyms"]
        self._engine.set_synonyms(synonyms.meta.get("groups", []) if synonyms else [])
        self._config = ids
        return False

    def _refresh_config(self) -> None:
        """At most every few seconds: pick up a new synonym list, or rebuild for a new dictionary."""
        if time.monotonic() - self._config_checked < self.config_refresh_seconds:
            return
        with self._lock:
            with self._session() as sess:
                changed = self._apply_config(sess)
            if changed:
                self.catch_up()

    # -- keeping it current --------------------------------------------------------
    def expected_versions(self) -> dict[str, int]:
        """What the index should hold now, from the database (doc_id -> revision id)."""
        with self._session() as sess:
            return expected_versions(sess, self.today())

    def catch_up(self, progress: Progress | None = None, *, force: bool = False) -> dict:
        """Make the index equal the database: rebuild if unusable (or ``force``), else apply the differences."""
        with self._sync_lock(), self._session() as sess:
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
        for chunk in _chunks(sorted(stale)):
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
            for chunk in _chunks(sorted(set(slugs))):
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

    def items_changed(self, slugs: list[str]) -> None:
        """Reindex these items now (called after each committed save, before the response).

        Never raises: the database has already committed, so a failed index write
        is logged, repaired at once if possible, else left to the next search.
        """
        try:
            self._ready()  # the start-up catch-up reads the database, this change included
            with self._sync_lock():
                self._reindex(list(slugs))
        except SyncLockTimeout:
            log.exception("search index busy; marking it for catch-up")
            self._mark_dirty()
        except Exception:
            log.exception("search index update failed; repairing it")
            self._recover()

    def _check_policies(self) -> None:
        """A policy approved with a future effective date switches in the index when its day comes."""
        today = self.today()
        if self._policy_day == today:
            return
        since, self._policy_day = self._policy_day, today
        if since is None:
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
            self.items_changed(slugs)

    # -- repair ------------------------------------------------------------------------
    def _mark_dirty(self) -> None:
        with contextlib.suppress(OSError):
            self.dirty_marker.parent.mkdir(parents=True, exist_ok=True)
            self.dirty_marker.touch()

    def _recover(self) -> bool:
        """Catch up (rebuilding if the index is unreadable); at most once per pause. True if done."""
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
            if self.dirty_marker.exists():
                self.catch_up()
            self._refresh_config()
            self._check_policies()
        except Exception:
            log.exception("search index maintenance failed")

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


def _flock(fh, timeout: float) -> None:
    """Take an exclusive flock on ``fh`` within ``timeout`` seconds (it dies with the process)."""
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise SyncLockTimeout(f"index sync lock busy for {timeout}s") from None
            time.sleep(pause)
            pause = min(pause * 2, 0.02)


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


def service() -> SearchService:
    """The current app's search service."""
    return current_app.extensions["kbsite.search"]


def docs_for(items: Iterable[Item], today: date | None = None) -> list[SearchDoc]:
    """Published (agent-visible) and newer draft docs of loaded items (for tools and tests)."""
    from kbsite.content.service import agent_revision

    docs = []
    for item in items:
        if item.type not in files.KINDS:
            continue
        pub = agent_revision(item, today)
        if pub is not None:
            docs.append(doc_for(item, pub, "published"))
        if item.latest is not None and (pub is None or item.latest.id != pub.id):
            docs.append(doc_for(item, item.latest, "draft"))
    return docs
