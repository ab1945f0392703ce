"""Keeps the search index in step with the database (the source of truth).

Saves call :meth:`SearchService.items_changed` before the response returns, so
an edit is searchable at once. At start-up and with ``kbsite reindex`` the
index is compared with the database, doc by doc (``doc_id -> revision id``),
and caught up; a missing, corrupt or outdated index is rebuilt.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kbsite import files, markdown
from kbsite.content.models import Item, Revision
from kbsite.db import session
from kbsite.search import SearchDoc, SearchEngine, SearchResults

CONFIG_REFRESH_SECONDS = 5.0
POLICY_CHECK_SECONDS = 600.0


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


def docs_for(items: Iterable[Item], today: date | None = None) -> list[SearchDoc]:
    """Published (agent-visible) and newer draft docs of knowledge items."""
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


def _config_items() -> dict[str, Revision | None]:
    rows = session().scalars(
        select(Item)
        .where(Item.type.in_(("synonyms", "dictionary")))
        .options(selectinload(Item.published))
    )
    found: dict[str, Revision | None] = {"synonyms": None, "dictionary": None}
    for item in rows:
        found[item.type] = item.published
    return found


class SearchService:
    """One per app: a lazily opened engine plus the bookkeeping that keeps it current."""

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir
        self._engine: SearchEngine | None = None
        self._lock = threading.RLock()
        self._config_ids: tuple[int | None, int | None] = (None, None)
        self._config_checked = 0.0
        self._policies_checked = 0.0
        self._needs_rebuild = False

    # -- engine lifecycle ---------------------------------------------------
    def engine(self) -> SearchEngine:
        """The engine, created with the dictionary and synonyms now published."""
        with self._lock:
            if self._engine is None:
                cfg = _config_items()
                self._engine = SearchEngine(
                    self.index_dir,
                    words=(cfg["dictionary"].meta.get("words", []) if cfg["dictionary"] else []),
                    synonyms=(cfg["synonyms"].meta.get("groups", []) if cfg["synonyms"] else []),
                )
                self._config_ids = tuple(
                    r.id if r else None for r in (cfg["dictionary"], cfg["synonyms"])
                )
                self._config_checked = time.monotonic()
                # A missing, corrupt or outdated index is recreated empty: refill it from the DB.
                self._needs_rebuild = not self._engine.ensure_index()
                if self._needs_rebuild:
                    self.catch_up()
            return self._engine

    def _refresh_config(self) -> None:
        """Pick up dictionary/synonym edits made by any process (cheap, at most every few seconds)."""
        if time.monotonic() - self._config_checked < CONFIG_REFRESH_SECONDS:
            return
        cfg = _config_items()
        ids = tuple(r.id if r else None for r in (cfg["dictionary"], cfg["synonyms"]))
        self._config_checked = time.monotonic()
        if ids == self._config_ids:
            return
        with self._lock:
            if ids[0] != self._config_ids[0]:
                self._engine = None  # new dictionary -> new analyzer
                self.catch_up()
            else:
                self.engine().set_synonyms(
                    cfg["synonyms"].meta.get("groups", []) if cfg["synonyms"] else []
                )
                self._config_ids = ids

    # -- keeping it current ---------------------------------------------------
    def expected(self) -> dict[str, SearchDoc]:
        """What the index should hold, from the database."""
        items = session().scalars(
            select(Item)
            .where(Item.type.in_(files.KINDS))
            .options(selectinload(Item.latest), selectinload(Item.published))
        )
        return {d.doc_id: d for d in docs_for(items)}

    def catch_up(
        self, progress: Callable[[int], None] | None = None, *, force: bool = False
    ) -> dict:
        """Make the index equal the database: rebuild if unusable, else apply the differences."""
        engine = self.engine()
        fresh = self._needs_rebuild or not engine.ensure_index()
        want = self.expected()
        if fresh or force:
            self._needs_rebuild = False
            engine.rebuild(want.values(), total=len(want), progress=progress)
            return {"rebuilt": len(want), "updated": 0, "deleted": 0}
        have = engine.indexed_versions()
        stale = [d for k, d in want.items() if have.get(k) != d.version]
        gone = [k for k in have if k not in want]
        if stale:
            engine.upsert(stale)
        if gone:
            engine.delete(gone)
        self._policies_checked = time.monotonic()
        return {"rebuilt": 0, "updated": len(stale), "deleted": len(gone)}

    def items_changed(self, slugs: list[str]) -> None:
        """Reindex these items now (called after each committed save, before the response)."""
        items = list(
            session().scalars(
                select(Item)
                .where(Item.slug.in_(slugs))
                .options(selectinload(Item.latest), selectinload(Item.published))
            )
        )
        for item in items:
            session().refresh(item)
        if any(i.type in ("dictionary", "synonyms") for i in items):
            self._config_checked = 0.0
            self._refresh_config()
        docs = docs_for(items)
        keep = {d.doc_id for d in docs}
        drop = [
            f"{i.slug}@{s}"
            for i in items
            for s in ("published", "draft")
            if f"{i.slug}@{s}" not in keep
        ]
        engine = self.engine()
        if docs:
            engine.upsert(docs)
        if drop:
            engine.delete(drop)

    def _check_policies(self) -> None:
        """Scheduled policies switch at their date without a write: re-check them now and then."""
        if time.monotonic() - self._policies_checked < POLICY_CHECK_SECONDS:
            return
        self._policies_checked = time.monotonic()
        items = session().scalars(select(Item).where(Item.type == "policy"))
        want = {d.doc_id: d for d in docs_for(items)}
        have = self.engine().indexed_versions()
        stale = [d for k, d in want.items() if have.get(k) != d.version]
        if stale:
            self.engine().upsert(stale)

    # -- queries ----------------------------------------------------------------
    def search(self, q: str, **kwargs) -> SearchResults:
        """Search with the current synonyms; see SearchEngine.search for arguments."""
        self._refresh_config()
        self._check_policies()
        return self.engine().search(q, **kwargs)

    def suggest(self, prefix: str, **kwargs) -> list[dict]:
        """Title suggestions as the user types."""
        return self.engine().suggest(prefix, **kwargs)


def init_app(app: Flask) -> None:
    """Attach the service and register the post-save hook."""
    svc = SearchService(Path(app.config["SEARCH_INDEX_DIR"]))
    app.extensions["kbsite.search"] = svc
    app.extensions["kbsite.on_items_changed"] = svc.items_changed


def service() -> SearchService:
    """The current app's search service."""
    return current_app.extensions["kbsite.search"]
