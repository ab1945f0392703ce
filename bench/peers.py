"""The search back-ends the speed benchmark compares, behind one small interface.

``kbsite`` is the project's engine (Whoosh) used exactly as the app uses it
(search() with facets and snippets, limit 10). SQLite FTS5 with the trigram
tokenizer and tantivy (jieba pre-tokenised) are reference points: they rank
with BM25 over title/tags/body and return the top 10 only, with no facets,
synonyms or slip correction.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

import jieba

from kbsite.search import SearchDoc, SearchEngine
from kbsite.search.analysis import STOP_WORDS
from kbsite.textnorm import fold

jieba.setLogLevel(logging.WARNING)
TOP = 10


def dir_size(path: Path) -> int:
    """Bytes of every file under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def query_terms(text: str) -> list[str]:
    """Folded jieba search-mode words of a query, stop words and single Latin letters dropped."""
    words = (w.strip().lower() for w in jieba.cut_for_search(fold(text)))
    return list(dict.fromkeys(w for w in words if w and w not in STOP_WORDS and w.isalnum()
                              and (len(w) > 1 or not w.isascii())))


class KbsitePeer:
    """kbsite.search.SearchEngine with the library's dictionary and synonyms."""

    name = "kbsite"

    def __init__(self, directory: Path, words: list[str], groups: list[list[str]]) -> None:
        self.directory = directory
        self.engine = SearchEngine(directory, words=words, synonyms=groups)

    def ready(self, size: int) -> bool:
        """True when a cached index of ``size`` docs is usable as is."""
        if not self.engine.ensure_index():
            return False
        return len(self.engine.indexed_versions()) == size

    def build(self, docs: Iterable[SearchDoc], total: int) -> None:
        """Full rebuild, as ``kbsite reindex`` does."""
        self.engine.rebuild(docs, total=total)

    def size_bytes(self) -> int:
        """Size of the current generation."""
        return dir_size(self.directory)

    def search(self, text: str) -> list[str]:
        """Slugs of the first page."""
        return [h.slug for h in self.engine.search(text, limit=TOP).hits]

    def save_and_find(self, doc: SearchDoc, probe: str) -> float:
        """Seconds from upsert to the doc being the top hit for ``probe``."""
        started = time.perf_counter()
        self.engine.upsert([doc])
        found = doc.slug in self.search(probe)
        elapsed = time.perf_counter() - started
        self.engine.delete([doc.doc_id])
        if not found:
            raise AssertionError(f"kbsite: saved doc not found by {probe!r}")
        return elapsed


class Fts5Peer:
    """SQLite FTS5, trigram tokenizer over folded text; 2-character terms fall back to LIKE."""

    name = "fts5"

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.path = directory / "fts.sqlite"
        self.db = sqlite3.connect(self.path)

    def ready(self, size: int) -> bool:
        """True when a cached table of ``size`` rows exists."""
        try:
            (count,) = self.db.execute("select count(*) from docs").fetchone()
        except sqlite3.Error:
            return False
        return count == size

    def build(self, docs: Iterable[SearchDoc], total: int) -> None:
        """Create the table and insert every doc in one transaction."""
        self.db.execute("drop table if exists docs")
        self.db.execute("create virtual table docs using fts5("
                        "slug unindexed, title, tags, body, tokenize='trigram')")
        with self.db:
            self.db.executemany("insert into docs values (?, ?, ?, ?)", (_fts_row(d) for d in docs))
        self.db.execute("insert into docs(docs) values ('optimize')")
        self.db.commit()

    def size_bytes(self) -> int:
        """Size of the database file."""
        return dir_size(self.directory)

    def search(self, text: str) -> list[str]:
        """BM25 over trigram matches of 3+-character terms, else unranked LIKE."""
        terms = query_terms(text)
        long = [t for t in terms if len(t) >= 3]
        if long:
            match = " OR ".join('"' + t.replace('"', '""') + '"' for t in long[:64])
            rows = self.db.execute(
                "select slug from docs where docs match ? order by bm25(docs, 0, 4, 3, 1) "
                "limit ?", (match, TOP))
            return [r[0] for r in rows]
        if not terms:
            return []
        where = " or ".join("title like ? or tags like ? or body like ?" for _ in terms)
        args = [f"%{t}%" for t in terms for _ in range(3)]
        rows = self.db.execute(f"select slug from docs where {where} limit {TOP}", args)
        return [r[0] for r in rows]

    def save_and_find(self, doc: SearchDoc, probe: str) -> float:
        """Seconds from insert+commit to the doc being found."""
        started = time.perf_counter()
        with self.db:
            self.db.execute("insert into docs values (?, ?, ?, ?)", _fts_row(doc))
        found = doc.slug in self.search(probe)
        elapsed = time.perf_counter() - started
        with self.db:
            self.db.execute("delete from docs where slug = ?", (doc.slug,))
        if not found:
            raise AssertionError(f"fts5: saved doc not found by {probe!r}")
        return elapsed


def _fts_row(doc: SearchDoc) -> tuple[str, str, str, str]:
    return (doc.slug, fold(doc.title), fold(" ".join(doc.tags)),
            fold(f"{doc.summary}\n{doc.body}"))


class TantivyPeer:
    """tantivy over jieba search-mode words of folded text (whitespace tokenizer)."""

    name = "tantivy"
    BOOSTS = {"title": 4.0, "tags": 3.0, "body": 1.0}

    def __init__(self, directory: Path) -> None:
        import tantivy

        self.tantivy = tantivy
        self.directory = directory
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("slug", stored=True, tokenizer_name="raw")
        for field in self.BOOSTS:
            builder.add_text_field(field, tokenizer_name="whitespace")
        self.schema = builder.build()
        self.index = None

    def ready(self, size: int) -> bool:
        """True when a cached index of ``size`` docs opens."""
        if not (self.directory / "meta.json").exists():
            return False
        self.index = self.tantivy.Index(self.schema, path=str(self.directory), reuse=True)
        return self.index.searcher().num_docs == size

    def build(self, docs: Iterable[SearchDoc], total: int) -> None:
        """Tokenise with jieba and add every doc with one writer."""
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        self.index = self.tantivy.Index(self.schema, path=str(self.directory), reuse=False)
        writer = self.index.writer(heap_size=200_000_000, num_threads=2)
        for doc in docs:
            writer.add_document(self._doc(doc))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()

    def _doc(self, doc: SearchDoc):
        return self.tantivy.Document(
            slug=doc.slug, title=_words(doc.title), tags=_words(" ".join(doc.tags)),
            body=_words(f"{doc.summary}\n{doc.body}"))

    def size_bytes(self) -> int:
        """Size of the index directory."""
        return dir_size(self.directory)

    def search(self, text: str) -> list[str]:
        """BM25, OR of the query's words over the boosted fields."""
        terms = query_terms(text)
        if not terms:
            return []
        q = self.tantivy.Query
        occur = self.tantivy.Occur.Should
        parts = [(occur, q.boost_query(q.term_query(self.schema, f, t), b))
                 for f, b in self.BOOSTS.items() for t in terms]
        searcher = self.index.searcher()
        hits = searcher.search(q.boolean_query(parts), TOP).hits
        return [searcher.doc(addr)["slug"][0] for _score, addr in hits]

    def save_and_find(self, doc: SearchDoc, probe: str) -> float:
        """Seconds from add+commit+reload to the doc being found."""
        started = time.perf_counter()
        writer = self.index.writer(heap_size=50_000_000, num_threads=1)
        writer.add_document(self._doc(doc))
        writer.commit()
        self.index.reload()
        found = doc.slug in self.search(probe)
        elapsed = time.perf_counter() - started
        writer.delete_documents("slug", doc.slug)
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        if not found:
            raise AssertionError(f"tantivy: saved doc not found by {probe!r}")
        return elapsed


def _words(text: str) -> str:
    return " ".join(w.strip().lower() for w in jieba.cut_for_search(fold(text)) if w.strip())
