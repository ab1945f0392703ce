"""Full-text search of knowledge items (Whoosh + jieba + bigrams), Flask-free.

The only package that imports whoosh, jieba or pypinyin. The database is the
source of truth; this index is a cache the caller can always rebuild.
"""

from __future__ import annotations

from kbsite.search.engine import MESSAGE_EMPTY, MESSAGE_JUNK, SearchEngine
from kbsite.search.model import Hit, SearchDoc, SearchResults
from kbsite.search.store import SearchIndexError

__all__ = [
    "MESSAGE_EMPTY",
    "MESSAGE_JUNK",
    "Hit",
    "SearchDoc",
    "SearchEngine",
    "SearchIndexError",
    "SearchResults",
]
