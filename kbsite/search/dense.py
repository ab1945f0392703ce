"""Ranking by meaning beside ranking by words: sentence embeddings of entries, fused with the words.

Customers name things in words no entry uses, and no vocabulary can list them all: on the
tuning sets with the synonym groups removed (a stand-in for wording never seen), the synonym
kind falls from 0.92 to 0.70 hit@5, which is what query sets written by other people show.
Every entry's title, summary and tags are embedded once, when it is indexed (a column of the
index, ``VECTOR_FIELD``), by the multilingual-e5-small model that ships with the package
(``kbsite.embeddings``); a short query is embedded when it is searched, and its nearest
entries join the word ranking by reciprocal-rank fusion. A long pasted message keeps the word
ranking alone: its words are enough (and embedding it costs several times more).

The words still decide the ``confidence``: the entry shown first is judged by which of the
query's words it holds, so an entry found only by meaning is never ``high``.
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np

from kbsite import embeddings
from kbsite.search.model import SearchDoc
from kbsite.search.scoring import Matches, per_segment
from kbsite.search.whoosh_seam import column_bytes

VECTOR_FIELD = "vector"
NEAREST = 10  # entries by meaning that join the word ranking
RRF_K = 10  # reciprocal-rank fusion: 1 / (RRF_K + rank) from each ranking
MEANING_WEIGHT = 1.0  # of the meaning ranking's share beside the words'
BATCH = 64  # entries embedded per call while indexing
MODEL = "multilingual-e5-small/q4/title+summary+tags"  # part of a stored vector's key
STORE_FILE = "vectors.sqlite3"  # in the index folder, beside the generations


def passage_text(doc: SearchDoc) -> str:
    """What an entry is embedded from: what it is about, not its whole body."""
    return "。".join(p for p in (doc.title, doc.summary, " ".join(doc.tags)) if p and p.strip())


def encode(vectors: np.ndarray) -> list[bytes]:
    """Index column values: float16 bytes, one per row."""
    return [row.astype(np.float16).tobytes() for row in vectors]


class VectorStore:
    """Entries' vectors by their text, kept beside the index generations.

    Embedding costs ~10–40 ms an entry (a 10k library: minutes), so a rebuild (an upgrade,
    ``kbsite reindex --full``, a restore) embeds only the texts it has not seen before.
    An SQLite file: several processes may index at once.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=60)
        db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        return db

    def embed(self, docs: list[SearchDoc]) -> list[bytes]:
        """Column values for ``docs``: stored ones reused, the others embedded in batches and kept."""
        keys = [_key(passage_text(d)) for d in docs]
        with closing(self._connect()) as db:
            known: dict[str, bytes] = {}
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                known.update(db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk))
            missing = [(k, d) for k, d in dict(zip(keys, docs, strict=True)).items() if k not in known]
            for start in range(0, len(missing), BATCH):
                batch = missing[start : start + BATCH]
                vectors = encode(embeddings.passages([passage_text(d) for _, d in batch]))
                rows = [(k, v) for (k, _), v in zip(batch, vectors, strict=True)]
                with db:
                    db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
                known.update(rows)
        return [known[k] for k in keys]

    def keep_only(self, docs_keys: set[str]) -> None:
        """Forget the vectors of texts no longer indexed (after a full rebuild)."""
        with closing(self._connect()) as db, db:
            db.execute("CREATE TEMP TABLE kept (key TEXT PRIMARY KEY)")
            db.executemany("INSERT OR IGNORE INTO kept VALUES (?)", ((k,) for k in docs_keys))
            db.execute("DELETE FROM vectors WHERE key NOT IN (SELECT key FROM kept)")


def text_key(doc: SearchDoc) -> str:
    """The store's key of a doc's text."""
    return _key(passage_text(doc))


def _key(text: str) -> str:
    return hashlib.sha1(f"{MODEL}\n{text}".encode()).hexdigest()


class SegmentVectors:
    """The vectors of one immutable segment (zero rows for documents indexed without one)."""

    def __init__(self, leaf) -> None:
        count = leaf.doc_count_all()
        raws = column_bytes(leaf, VECTOR_FIELD, count)
        width = embeddings.DIM * 2
        self.vectors = np.zeros((count, embeddings.DIM), dtype=np.float32)
        for i, raw in enumerate(raws):
            if len(raw) == width:
                self.vectors[i] = np.frombuffer(raw, dtype=np.float16)


class VectorCache:
    """SegmentVectors by segment id, shared across searcher generations (a save reads one segment)."""

    def __init__(self) -> None:
        self._by_segment: dict[str, SegmentVectors] = {}

    def matrix(self, leaves: list[tuple[object, int]]) -> np.ndarray:
        """Every document's vector by global docnum."""
        parts = per_segment(self._by_segment, leaves, SegmentVectors)
        if not parts:
            return np.zeros((0, embeddings.DIM), dtype=np.float32)
        return parts[0].vectors if len(parts) == 1 else np.concatenate([p.vectors for p in parts])


def nearest(matrix: np.ndarray, text: str, allowed: np.ndarray) -> np.ndarray:
    """Docnums of the ``NEAREST`` allowed entries closest in meaning to ``text``, closest first."""
    if not len(matrix) or not allowed.any():
        return np.zeros(0, dtype=np.int64)
    scores = matrix @ embeddings.query(text)
    scores[~allowed] = -np.inf
    scores[~matrix.any(axis=1)] = -np.inf  # indexed without a vector
    count = min(NEAREST, int(np.isfinite(scores).sum()))
    if not count:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(-scores, count - 1)[:count]
    return top[np.argsort(-scores[top], kind="stable")]


def fuse(words: Matches, meaning: np.ndarray) -> Matches:
    """The word ranking and the meaning ranking merged by reciprocal rank (each entry once)."""
    if not len(meaning):
        return words
    order = np.lexsort((words.docs, -words.scores))  # the word ranking, as Matches.best orders it
    scores = np.empty(len(order), dtype=np.float64)
    scores[order] = 1.0 / (RRF_K + np.arange(1, len(order) + 1))
    closeness = MEANING_WEIGHT / (RRF_K + np.arange(1, len(meaning) + 1))
    where = np.searchsorted(words.docs, meaning)
    found = (where < len(words.docs)) & (words.docs[np.minimum(where, len(words.docs) - 1)] == meaning) \
        if len(words.docs) else np.zeros(len(meaning), dtype=bool)
    scores[where[found]] += closeness[found]
    docs = np.concatenate([words.docs, meaning[~found].astype(words.docs.dtype)])
    scores = np.concatenate([scores, closeness[~found]])
    keep = np.argsort(docs, kind="stable")
    return Matches(docs[keep], scores[keep])
