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
from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.analysis import Analyzer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, NUMERIC, STORED, TEXT, Schema
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool, SegmentWriter

from kbsite.search.analysis import ChineseTokenizer, SplitTokenizer

WRITE_TIMEOUT = 10.0
_LENGTH_OF_BYTE = [byte_to_length(i) for i in range(256)]
_POSTING_BYTES = 170  # PostingPool's own estimate of one buffered posting
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


@contextlib.contextmanager
def write_lock(index_dir: Path, timeout: float = WRITE_TIMEOUT) -> Iterator[None]:
    """Hold the cross-process, cross-thread write lock of ``index_dir``."""
    index_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with open(index_dir / ".write.lock", "a+b") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SearchIndexError(f"index write lock busy for {timeout}s") from None
                time.sleep(0.01)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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
    """Open the Whoosh index of a generation, retrying once for the TOC clean-up race."""
    try:
        return whoosh_index.open_dir(str(gen_dir))
    except FileNotFoundError:
        time.sleep(0.05)
        return whoosh_index.open_dir(str(gen_dir))


# ----- bulk writing (rebuilds) ------------------------------------------------
#
# Whoosh's SegmentWriter spends most of a rebuild in per-posting Python: a size
# estimate per buffered posting, then at commit one call chain per posting that
# looks the document's field length up through a column reader. BulkWriter
# keeps Whoosh's file format and classes (whoosh-reloaded 2.7.5, pinned) and
# replaces those two loops with per-term batches.


class _BulkPool(PostingPool):
    """PostingPool that counts postings instead of estimating each one's bytes."""

    def __init__(self, tempstore, segment, fieldnames: Iterable[str], limitmb: int) -> None:
        super().__init__(tempstore, segment, limitmb=limitmb)
        self.fieldnames = set(fieldnames)
        self.max_items = max(1000, self.limit // _POSTING_BYTES)

    def add(self, item) -> None:
        """Buffer one (field, term bytes, docnum, weight, value) posting."""
        current = self.current
        current.append(item)
        if len(current) >= self.max_items:
            self.save()


class BulkWriter(SegmentWriter):
    """A SegmentWriter for full rebuilds: same segment format, batched posting writes."""

    def __init__(self, ix, limitmb: int = 256, **kwargs) -> None:
        super().__init__(ix, limitmb=limitmb, **kwargs)
        old = self.pool
        self.pool = _BulkPool(old.tempstore, old.segment, self.schema.names(), limitmb)

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        pdr = self.per_document_reader()
        try:
            lengths = _FieldLengths(pdr)
            write_postings(self.fieldwriter, self.schema, lengths, self.pool.iter_postings())
            self.fieldwriter.close()
        finally:
            pdr.close()


class _FieldLengths:
    """Length of every doc's field, one byte per doc read once per field (not per posting)."""

    def __init__(self, pdr) -> None:
        self._pdr = pdr
        self._bytes: dict[str, bytes] = {}

    def of(self, fieldname: str) -> bytes:
        """Length bytes of ``fieldname`` for docnums 0..n-1 (0 = no length)."""
        found = self._bytes.get(fieldname)
        if found is None:
            reader = self._pdr._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)  # noqa: SLF001
            count = self._pdr.doc_count_all()
            if reader is None:
                found = bytes(count)
            else:
                stored = reader._count  # noqa: SLF001
                raw = bytes(reader._dbfile.get(reader._basepos, stored)) if stored else b""  # noqa: SLF001
                found = raw + bytes(max(0, count - stored))
            self._bytes[fieldname] = found
        return found


def write_postings(fieldwriter, schema, lengths: _FieldLengths, items) -> None:
    """Same result as ``FieldWriter.add_postings`` over sorted postings, a term at a time."""
    table = _LENGTH_OF_BYTE
    for fieldname, by_field in groupby(items, key=itemgetter(0)):
        fieldwriter.start_field(fieldname, schema[fieldname])
        field_lengths = lengths.of(fieldname)
        for btext, postings in groupby(by_field, key=itemgetter(1)):
            fieldwriter.start_term(btext)
            _add_term_postings(fieldwriter._postwriter, list(postings), field_lengths, table)  # noqa: SLF001
            fieldwriter.finish_term()
        fieldwriter.finish_field()


def _add_term_postings(postwriter, postings: list, field_lengths: bytes, table: list[int]) -> None:
    """Fill the posting writer's blocks exactly as repeated ``add_posting`` calls would."""
    limit = postwriter._blocklimit  # noqa: SLF001
    for start in range(0, len(postings), limit):
        if start:
            postwriter._write_block()  # noqa: SLF001 - the block is full
        chunk = postings[start : start + limit]
        ids = [p[2] for p in chunk]
        weights = [p[3] for p in chunk]
        postwriter._ids.extend(ids)  # noqa: SLF001
        postwriter._weights.extend(weights)  # noqa: SLF001
        postwriter._values.extend(v for p in chunk if (v := p[4]))  # noqa: SLF001
        postwriter._maxweight = max(postwriter._maxweight, max(weights))  # noqa: SLF001
        found = [n for d in ids if (n := table[field_lengths[d]] if d < len(field_lengths) else 0)]
        if found:
            low = min(found)
            old = postwriter._minlength  # noqa: SLF001
            postwriter._minlength = low if old is None else min(old, low)  # noqa: SLF001
            postwriter._maxlength = max(postwriter._maxlength, max(found))  # noqa: SLF001
