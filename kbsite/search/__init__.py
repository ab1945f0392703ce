"""Search: the one declared interface the rest of the app uses.

Full-text search of knowledge items (Whoosh + jieba + bigrams). The engine
(``SearchEngine`` and its data classes) is Flask-free; ``service()`` is the
app's engine kept in step with the database; ``record_change`` is called
inside write transactions (the outbox every process follows); the search log
records what agents searched. Only this package imports whoosh, jieba or
pypinyin, and only ``whoosh_seam`` touches Whoosh's internals. The database is
the source of truth; the index is a cache that can always be rebuilt.
"""

from __future__ import annotations

from kbsite.search.engine import MESSAGE_EMPTY, MESSAGE_JUNK, SearchEngine
from kbsite.search.health import check_index_folder
from kbsite.search.log import SearchLog, log_open, log_search, report_gap
from kbsite.search.model import Demotion, Hit, SearchDoc, SearchResults
from kbsite.search.outbox import record as record_change
from kbsite.search.outbox import record_everything as record_all_changed
from kbsite.search.store import SearchIndexError
from kbsite.search.sync import (  # last: uses the above
    MESSAGE_UNAVAILABLE,
    SearchService,
    init_app,
    service,
)

__all__ = [
    "MESSAGE_EMPTY",
    "MESSAGE_JUNK",
    "MESSAGE_UNAVAILABLE",
    "Demotion",
    "Hit",
    "SearchDoc",
    "SearchEngine",
    "SearchIndexError",
    "SearchLog",
    "SearchResults",
    "SearchService",
    "check_index_folder",
    "init_app",
    "log_open",
    "log_search",
    "record_all_changed",
    "record_change",
    "report_gap",
    "service",
]
