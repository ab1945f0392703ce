"""Everything that reaches into Whoosh's internals, and nothing else.

kbsite pins whoosh-reloaded 2.7.5 and, for speed and safety, relies on a few of
its private parts. They live here, behind five functions and two classes, so
that a Whoosh upgrade is checked in one place (tests/search/test_whoosh_seam.py
fails when the version or any internal named in :data:`INTERNALS` changes):

* :func:`read_postings` reads a term's postings a block at a time (the numpy
  scorer; Whoosh's matcher costs ~20 µs a posting);
* :func:`length_bytes` and :func:`column_bytes` read a segment's field-length
  and variable-bytes columns in one slice;
* :class:`BulkWriter` writes a rebuild's postings a term at a time (same file
  format as Whoosh's own writer);
* :func:`open_index` opens a generation for reading **without memory maps**:
  each segment file is read once into memory (cached by file identity, so a
  new searcher after a save reads only the new segment). A segment file that
  is truncated or overwritten under a running server then raises an ordinary
  exception, which the caller repairs, instead of killing the process with
  SIGBUS; and every read is a slice of immutable bytes, safe from any thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from io import BytesIO
from itertools import groupby
from operator import itemgetter
from pathlib import Path

import numpy as np
import whoosh
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool, SegmentWriter

PINNED_VERSION = "2.7.5"
# (object, attribute) pairs this module relies on; the seam test checks each one exists.
INTERNALS: tuple[tuple[str, str], ...] = (
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_read_data"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_next_block"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_write_block"),
    ("whoosh.codec.whoosh3.W3FieldWriter", "start_term"),
    ("whoosh.codec.whoosh3", "_lenfield"),
    ("whoosh.codec.whoosh3", "LENGTHS_COLUMN"),
    ("whoosh.codec.whoosh3.W3PerDocReader", "_cached_reader"),
    ("whoosh.writing.SegmentWriter", "_flush_segment"),
    ("whoosh.writing.SegmentWriter", "per_document_reader"),
    ("whoosh.writing.PostingPool", "save"),
    ("whoosh.filedb.structfile.BufferFile", "get"),
    ("whoosh.filedb.compound.CompoundStorage", "open_file"),
)
_LENGTH_OF_BYTE = [byte_to_length(i) for i in range(256)]
_POSTING_BYTES = 170  # PostingPool's own estimate of one buffered posting


def whoosh_version() -> str:
    """The installed Whoosh version, e.g. ``"2.7.5"``."""
    return whoosh.versionstring()


# ----- reading without memory maps ------------------------------------------------


class _MemoryFile(BufferFile):
    """A BufferFile over a memoryview whose sub-files share memory (Whoosh's copy them)."""

    def __init__(self, buf: memoryview, name: str | None = None, whole: bytes | None = None) -> None:
        self._buf = buf
        self._whole = whole  # the file's own bytes object: a stream over it shares its memory
        self._name = name
        self._file: BytesIO | None = None
        self.onclose = None
        self.is_real = False
        self.is_closed = False

    @property
    def file(self) -> BytesIO:  # only sequential reads (TOC, directories) need a stream
        if self._file is None:
            self._file = BytesIO(self._whole if self._whole is not None else self._buf)
        return self._file

    def subset(self, position: int, length: int, name: str | None = None) -> _MemoryFile:
        return _MemoryFile(self._buf[position : position + length], name=name or self._name)

    def close(self) -> None:
        self.is_closed = True


class SegmentBytes:
    """Index files read into memory once, by (path, inode, size, mtime); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[tuple, bytes] = {}
        self._used: set[tuple] = set()

    def load(self, path: str) -> bytes:
        """The bytes of ``path`` (read now unless this exact file was read before)."""
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            key = (path, st.st_ino, st.st_size, st.st_mtime_ns)
            with self._lock:
                data = self._files.get(key)
            if data is None:
                data = fh.read()
                if len(data) != st.st_size:
                    raise OSError(f"{path}: short read ({len(data)} of {st.st_size} bytes)")
                with self._lock:
                    self._files[key] = data
        with self._lock:
            self._used.add(key)
        return data

    def keep_only_used(self) -> None:
        """Forget the files not read since the last call (readers still open keep theirs)."""
        with self._lock:
            self._files = {k: v for k, v in self._files.items() if k in self._used}
            self._used = set()

    def bytes_held(self) -> int:
        """Bytes cached now."""
        with self._lock:
            return sum(len(v) for v in self._files.values())


class _MemoryStorage(FileStorage):
    """A read-only FileStorage whose files are in-memory copies (no mmap, no shared offsets)."""

    def __init__(self, path: str, cache: SegmentBytes) -> None:
        super().__init__(path, supports_mmap=False, readonly=True)
        self._cache = cache

    def open_file(self, name, **kwargs):
        data = self._cache.load(self._fpath(name))
        return _MemoryFile(memoryview(data), name=name, whole=data)


def open_index(gen_dir: Path, cache: SegmentBytes | None = None):
    """Open a generation's Whoosh index for reading, its files read into memory."""
    storage = _MemoryStorage(str(gen_dir), cache if cache is not None else SegmentBytes())
    return storage.open_index()


# ----- reading postings and columns -------------------------------------------------


def read_postings(leaf, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """All segment-local ids (int64) and weights (float64) of a term, a block at a time.

    Raises ``whoosh.reading.TermNotFound`` when the segment lacks the term.
    """
    m = leaf.postings(fieldname, text)
    m = getattr(m, "child", m)  # unwrap the deleted-docs filter: the caller filters
    if isinstance(m, W3LeafMatcher) and not m._byteids:  # noqa: SLF001
        deltas: list[int] = []
        weights: list[float] = []
        starts: list[int] = []
        while m.is_active():
            if m._data is None:  # noqa: SLF001
                m._read_data()  # noqa: SLF001
            ids, block_weights = m._data[0], m._data[1]  # noqa: SLF001
            count = m._blocklength  # noqa: SLF001
            starts.append(len(deltas))
            deltas.extend(ids)
            if block_weights is None:
                weights.extend([1.0] * count)
            elif isinstance(block_weights, float):
                weights.extend([block_weights] * count)
            else:
                weights.extend(block_weights)
            m._next_block()  # noqa: SLF001
        return delta_decoded(deltas, starts), np.array(weights, dtype=np.float64)
    ids_out: list[int] = []
    weights_out: list[float] = []
    while m.is_active():
        ids_out.append(m.id())
        weights_out.append(m.weight())
        m.next()
    return np.array(ids_out, dtype=np.int64), np.array(weights_out, dtype=np.float64)


def delta_decoded(deltas: list[int], starts: list[int]) -> np.ndarray:
    """Ids from blocks of deltas, each block starting again from 0 (whoosh's ``delta_encode``)."""
    sums = np.cumsum(np.array(deltas, dtype=np.int64))
    if len(starts) > 1:
        # Each block's first delta is absolute: take away the total of the earlier blocks.
        at = np.array(starts, dtype=np.int64)
        before = np.concatenate(([0], sums[at[1:] - 1]))
        sums -= np.repeat(before, np.diff(np.append(at, len(sums))))
    return sums


def _lengths_of(perdoc, fieldname: str, count: int) -> bytes:
    """One length byte per doc of ``fieldname`` from a per-document reader (0 = empty)."""
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN) if perdoc else None  # noqa: SLF001
    if column is None:
        return bytes(count)
    stored = column._count  # noqa: SLF001
    raw = bytes(column._dbfile.get(column._basepos, stored)) if stored else b""  # noqa: SLF001
    return raw + bytes(max(0, count - stored))


def length_bytes(leaf, fieldname: str) -> bytes:
    """One length byte per segment doc for ``fieldname`` (0 = empty field)."""
    return _lengths_of(getattr(leaf, "_perdoc", None), fieldname, leaf.doc_count_all())


def column_bytes(leaf, fieldname: str, count: int) -> list[bytes]:
    """Raw column values of every segment doc, read in one slice when the layout allows."""
    if not count or not leaf.has_column(fieldname):
        return [b""] * count
    column = leaf.column_reader(fieldname, translate=False)
    lengths, offsets = getattr(column, "_lengths", None), getattr(column, "_offsets", None)
    if lengths is None or offsets is None or len(lengths) != count:
        return [bytes(column[i]) for i in range(count)]
    base = column._basepos  # noqa: SLF001 - VarBytesColumn.Reader
    end = max((o + n for o, n in zip(offsets, lengths, strict=True)), default=0)
    data = bytes(column._dbfile.get(base, end)) if end else b""  # noqa: SLF001
    return [data[o : o + n] for o, n in zip(offsets, lengths, strict=True)]


# ----- bulk writing (rebuilds) ------------------------------------------------------
#
# Whoosh's SegmentWriter spends most of a rebuild in per-posting Python: a size
# estimate per buffered posting, then at commit one call chain per posting that
# looks the document's field length up through a column reader. BulkWriter
# keeps Whoosh's file format and classes and replaces those two loops with
# per-term batches.


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
            found = self._bytes[fieldname] = _lengths_of(self._pdr, fieldname, self._pdr.doc_count_all())
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
