"""The on-disk index: schema, generation directories, the write lock, atomic swaps.

Layout of ``index_dir``::

    current -> gen-000003      symlink, replaced atomically by a rebuild
    gen-000003/                a Whoosh index plus meta.json (analyzer version)
    .write.lock                flock held by whoosh writers and swaps

The index is a cache of the database: anything unreadable is recreated
empty and the caller rebuilds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.analysis import Analyzer
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, NUMERIC, STORED, TEXT, Schema
from whoosh.reading import SegmentReader
from whoosh.system import pack_uint

from kbsite.search.analysis import ChineseTokenizer, SplitTokenizer
from kbsite.search.whoosh_seam import BulkWriter, SegmentBytes, open_index

__all__ = ["BulkWriter", "SearchIndexError", "merge_tiers", "open_for_reading", "open_generation"]

WRITE_TIMEOUT = 10.0
MERGE_FACTOR = 5  # segments of one size tier (live docs within a factor of 5) merged together
_CURRENT = "current"
_META = "meta.json"


class SearchIndexError(RuntimeError):
    """The index could not be read or written; call ensure_index() and rebuild."""


class CountedText(TEXT):
    """A TEXT field (term frequencies, no positions) that also takes pre-counted terms.

    The engine analyses each text once (``TermCutter.counts``) and passes the
    Counter; Whoosh's own path re-tokenises and counts in Python per token.
    """

    def index(self, value, **kwargs):
        """(term bytes, frequency, weight, encoded frequency) per distinct term."""
        if isinstance(value, dict):
            boost = self.format.field_boost
            return [(t.encode("utf-8"), n, n * boost, pack_uint(n)) for t, n in value.items()]
        return super().index(value, **kwargs)


def make_schema(words: tuple[str, ...]) -> Schema:
    """The index schema; text fields share the Chinese analyzer."""
    text: Analyzer = ChineseTokenizer(words)
    exact: Analyzer = SplitTokenizer()
    return Schema(
        doc_id=ID(stored=True, unique=True),
        slug=ID(stored=True, sortable=True),
        type=ID(stored=True, sortable=True),
        status=ID(stored=True, sortable=True),
        version=NUMERIC(stored=True, bits=64),
        title=CountedText(analyzer=text, phrase=False, stored=True),
        tags=CountedText(analyzer=text, phrase=False),
        category=CountedText(analyzer=text, phrase=False),
        summary=CountedText(analyzer=text, phrase=False, stored=True),
        body=CountedText(analyzer=text, phrase=False, stored=True),
        initials=TEXT(analyzer=exact, phrase=False),
        tag_key=TEXT(analyzer=exact, phrase=False),
        category_key=ID(),
        category_path=ID(stored=True, sortable=True),
        tags_col=COLUMN(VarBytesColumn()),
        tag_list=STORED(),
    )


def merge_tiers(writer, segments: list) -> list:
    """Whoosh merge policy for small commits: merge only segments of about the same size.

    Whoosh's default (``MERGE_SMALL``) on a library of a few hundred entries
    rewrites most of the index every few commits (0.2–1.3 s per save, measured),
    posting by posting in Python. Here a segment's tier is ``log5`` of its live
    documents; when one tier holds ``MERGE_FACTOR`` segments, those (and only
    those) are merged, so a document is rewritten about once per tier — a
    handful of times in its life — and the big segment of a rebuild is left
    alone until enough updates have grown a tier as big as it. Segments whose
    documents are all deleted are dropped at once.
    """
    tiers: dict[int, list] = {}
    keep, drop = [], []
    for seg in segments:
        live = seg.doc_count()
        if live <= 0:
            drop.append(seg)
        else:
            tiers.setdefault(_tier(live), []).append(seg)
    full = [segs for _tier, segs in sorted(tiers.items()) if len(segs) >= MERGE_FACTOR]
    merge = full[0] if full else []
    for seg in segments:
        if seg in merge:
            reader = SegmentReader(writer.storage, writer.schema, seg)
            try:
                writer.add_reader(reader)
            finally:
                reader.close()
        elif seg not in drop:
            keep.append(seg)
    return keep


def _tier(live: int) -> int:
    """The size tier of a segment with ``live`` documents: 1–4 → 0, 5–24 → 1, 25–124 → 2…"""
    tier = 0
    while live >= MERGE_FACTOR:
        live //= MERGE_FACTOR
        tier += 1
    return tier


@contextlib.contextmanager
def write_lock(index_dir: Path, timeout: float = WRITE_TIMEOUT) -> Iterator[None]:
    """Hold the cross-process, cross-thread write lock of ``index_dir``."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".write.lock", "a+b") as fh:
        if not acquire_flock(fh, timeout):
            raise SearchIndexError(f"index write lock busy for {timeout}s")
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def acquire_flock(fh, timeout: float) -> bool:
    """Take an exclusive flock on ``fh`` within ``timeout`` seconds (it dies with the process)."""
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.02)


def current_generation(index_dir: Path) -> Path | None:
    """The generation directory the ``current`` link points at, if any."""
    link = index_dir / _CURRENT
    try:
        target = os.readlink(link)
    except OSError:
        return None
    return index_dir / target


def read_meta(gen_dir: Path) -> dict:
    """Metadata written beside a generation (analyzer version)."""
    try:
        return json.loads((gen_dir / _META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def new_generation(index_dir: Path, schema: Schema, analyzer_version: str) -> Path:
    """Create an empty Whoosh index in a fresh ``gen-N`` directory (not yet current)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name[4:]) for p in index_dir.glob("gen-*") if p.name[4:].isdigit()]
    number = max(numbers, default=0) + 1
    while True:
        gen_dir = index_dir / f"gen-{number:06d}"
        try:
            gen_dir.mkdir()
            break
        except FileExistsError:
            number += 1
    whoosh_index.create_in(str(gen_dir), schema)
    (gen_dir / _META).write_text(json.dumps({"analyzer_version": analyzer_version}), "utf-8")
    return gen_dir


def make_current(index_dir: Path, gen_dir: Path) -> None:
    """Atomically point ``current`` at ``gen_dir``; keep one older generation for readers."""
    tmp = index_dir / f".current-{os.getpid()}-{time.monotonic_ns()}"
    os.symlink(gen_dir.name, tmp)
    os.replace(tmp, index_dir / _CURRENT)
    _remove_old_generations(index_dir, keep={gen_dir.name})


def _remove_old_generations(index_dir: Path, keep: set[str]) -> None:
    gens = sorted(p for p in index_dir.glob("gen-*") if p.is_dir() and p.name not in keep)
    # The newest previous generation may still be open in another process's searcher.
    for old in gens[:-1]:
        shutil.rmtree(old, ignore_errors=True)


def open_generation(gen_dir: Path):
    """Open the Whoosh index of a generation for writing, retrying once for the TOC clean-up race."""
    try:
        return whoosh_index.open_dir(str(gen_dir))
    except FileNotFoundError:
        time.sleep(0.05)
        return whoosh_index.open_dir(str(gen_dir))


def open_for_reading(gen_dir: Path, cache: SegmentBytes | None = None):
    """Open a generation for searching, its files read into memory (never memory-mapped)."""
    try:
        return open_index(gen_dir, cache)
    except FileNotFoundError:
        time.sleep(0.05)
        return open_index(gen_dir, cache)
