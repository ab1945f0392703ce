"""Fast evaluation of the engine's queries: cached BM25F posting maps and dict algebra.

Whoosh scores every matching document through a tree of Python matcher
objects (about 20 µs a posting: 46 ms for a two-word query over 2k entries,
seconds for a pasted message at 10k). The engine's queries are small trees of
Term / And / Or / Prefix, so this module evaluates them itself:

* each (field, term) is read once per searcher, block by block, into a
  ``{docnum: bm25f}`` map (Whoosh's own BM25F formula and statistics, so
  scores equal Whoosh's), kept in an LRU cache bounded by estimated bytes;
* Or adds maps, And intersects them (smallest first), boosts multiply;
* facet columns (type, category, tags) are loaded per segment, which never
  changes once written, so a save only loads the new small segment.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from collections.abc import Collection, Iterable
from itertools import chain

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.util.numeric import byte_to_length

K1, B = 1.2, 0.75
# Cap on the cached {docnum: score} maps of one searcher, in estimated bytes:
# a dict entry with its int key and float value takes ~170 bytes (tracemalloc).
# bench/README.md ("Memory") has query latency and RSS for several caps.
MAX_CACHED_BYTES = 128 * 2**20
ENTRY_BYTES = 170
MAX_PREFIX_TERMS = 64
_LENGTH_OF_BYTE = [byte_to_length(i) for i in range(256)]
Scores = dict[int, float]
Within = Collection[int] | None


class Unsupported(Exception):
    """The query holds a node this evaluator does not know; fall back to Whoosh."""


class SegmentFacets:
    """Facet values of one immutable segment, by segment-local docnum."""

    def __init__(self, leaf) -> None:
        count = leaf.doc_count_all()
        self.type = _decoded(_column_bytes(leaf, "type", count), _text)
        self.category = _decoded(_column_bytes(leaf, "category_path", count), _text)
        self.tags = _decoded(_column_bytes(leaf, "tags_col", count), _tag_set)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8")


def _tag_set(raw: bytes) -> tuple[str, ...]:
    return tuple(dict.fromkeys(raw.decode("utf-8").split("\x1f"))) if raw else ()


def _decoded(raws: list[bytes], parse) -> list:
    """Parse each value once; equal values share one object (few distinct facet values)."""
    memo: dict[bytes, object] = {}
    return [memo[r] if r in memo else memo.setdefault(r, parse(r)) for r in raws]


def _column_bytes(leaf, fieldname: str, count: int) -> list[bytes]:
    """Raw column values of every segment doc, read in one slice when the layout allows."""
    if not count or not leaf.has_column(fieldname):
        return [b""] * count
    column = leaf.column_reader(fieldname, translate=False)
    lengths, offsets = getattr(column, "_lengths", None), getattr(column, "_offsets", None)
    if lengths is None or offsets is None or len(lengths) != count:
        return [bytes(column[i]) for i in range(count)]
    base = column._basepos  # noqa: SLF001 - whoosh-reloaded 2.7.5 VarBytesColumn, pinned
    end = max((o + n for o, n in zip(offsets, lengths, strict=True)), default=0)
    data = bytes(column._dbfile.get(base, end)) if end else b""  # noqa: SLF001
    return [data[o : o + n] for o, n in zip(offsets, lengths, strict=True)]


class FacetCache:
    """SegmentFacets by segment id, shared across searcher generations."""

    def __init__(self) -> None:
        self._by_segment: dict[str, SegmentFacets] = {}

    def columns(self, leaves: list[tuple[object, int]]) -> FacetColumns:
        """Facet columns of a whole searcher, by global docnum; forget dead segments."""
        live: dict[str, SegmentFacets] = {}
        parts = []
        for leaf, _offset in leaves:
            key = _segment_key(leaf)
            facets = self._by_segment.get(key) or SegmentFacets(leaf)
            live[key] = facets
            parts.append(facets)
        self._by_segment = live
        return FacetColumns(parts)


def _segment_key(leaf) -> str:
    segment = leaf.segment() if hasattr(leaf, "segment") else None
    return segment.segment_id() if segment is not None else f"obj-{id(leaf)}"


class FacetColumns:
    """Facet values of every doc of a searcher, indexed by global docnum."""

    def __init__(self, segments: list[SegmentFacets]) -> None:
        self.type = [v for s in segments for v in s.type]
        self.category = [v for s in segments for v in s.category]
        self.tags = [v for s in segments for v in s.tags]

    def count(self, docs: Iterable[int]) -> dict[str, dict[str, int]]:
        """Counts per type, category and tag over ``docs`` (C-speed map/Counter)."""
        docs = list(docs)
        counts = {
            "type": Counter(map(self.type.__getitem__, docs)),
            "category": Counter(map(self.category.__getitem__, docs)),
            "tag": Counter(chain.from_iterable(map(self.tags.__getitem__, docs))),
        }
        return {name: dict(c.most_common()) for name, c in counts.items()}


class Evaluator:
    """Scores queries over one searcher; lives exactly as long as that searcher."""

    def __init__(self, searcher) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.leaves = list(self.reader.leaf_readers())
        self.doc_count = searcher.doc_count_all()
        self._terms: OrderedDict[tuple[str, str], Scores] = OrderedDict()
        self._cached_postings = 0
        self._lengths: dict[tuple[int, str], bytes] = {}
        self._sets: dict[tuple[str, str], frozenset[int]] = {}
        self.facets: FacetColumns | None = None

    # ----- public -----------------------------------------------------------

    def scores(self, query: wq.Query) -> Scores:
        """``{docnum: score}`` of every live document matching ``query``."""
        return self._eval(query, 1.0)

    def docs(self, fieldname: str, text: str) -> frozenset[int]:
        """Live docnums holding an exact (ID/keyword) term, cached."""
        key = (fieldname, text)
        found = self._sets.get(key)
        if found is None:
            found = frozenset(self._postings(fieldname, text, scored=False))
            self._sets[key] = found
        return found

    # ----- evaluation -------------------------------------------------------

    def _eval(self, q: wq.Query, factor: float, within: Within = None) -> Scores:
        """Scores of ``q`` × ``factor`` (only docs in ``within`` when given); never mutate it.

        And evaluates its most selective part first and the others only on the
        documents still in the running, so a rare word makes the common ones cheap.
        """
        if isinstance(q, (wq.Or, wq.Prefix)):
            acc: Scores = {}
            self._add(acc, q, factor, within)  # applies q.boost itself
            return acc
        factor *= q.boost
        if isinstance(q, wq.Term):
            return _restricted(self._term(q.fieldname, q.text), factor, within)
        if isinstance(q, wq.And):
            result: Scores | None = None
            for sub in sorted(q.subqueries, key=self._estimate):
                part = self._eval(sub, factor, within if result is None else result)
                result = part if result is None else {d: result[d] + s for d, s in part.items()}
                if not result:
                    return {}
            return result or {}
        raise Unsupported(type(q).__name__)

    def _estimate(self, q: wq.Query) -> int:
        try:
            return q.estimate_size(self.reader)
        except Exception:  # estimates are an optimisation only
            return self.doc_count

    def _add(self, acc: Scores, q: wq.Query, factor: float, within: Within) -> None:
        """Add the scores of ``q`` (boost × factor) into ``acc`` without temporary maps."""
        if isinstance(q, wq.Or):
            factor *= q.boost
            for sub in q.subqueries:
                self._add(acc, sub, factor, within)
        elif isinstance(q, wq.Term):
            _add_into(acc, self._term(q.fieldname, q.text), factor * q.boost, within)
        elif isinstance(q, wq.Prefix):
            for term in self._expand(q.fieldname, q.text):
                _add_into(acc, self._term(q.fieldname, term), factor * q.boost, within)
        else:
            _add_into(acc, self._eval(q, factor, within), 1.0, None)

    def _expand(self, fieldname: str, prefix: str) -> list[str]:
        out = []
        for term in self.reader.expand_prefix(fieldname, prefix):
            out.append(term.decode("utf-8") if isinstance(term, bytes) else term)
            if len(out) >= MAX_PREFIX_TERMS:
                break
        return out

    def _term(self, fieldname: str, text: str) -> Scores:
        key = (fieldname, text)
        cached = self._terms.get(key)
        if cached is not None:
            self._terms.move_to_end(key)
            return cached
        scores = dict(self._postings(fieldname, text, scored=True))
        self._terms[key] = scores
        self._cached_postings += len(scores)
        limit = MAX_CACHED_BYTES // ENTRY_BYTES
        while self._cached_postings > limit and len(self._terms) > 1:
            _key, dropped = self._terms.popitem(last=False)
            self._cached_postings -= len(dropped)
        return scores

    def _postings(self, fieldname: str, text: str, *, scored: bool):
        """(docnum, bm25f) pairs, or docnums when not ``scored``, of live docs."""
        schema_field = self.reader.schema[fieldname]
        df = self.reader.doc_frequency(fieldname, text)
        if not df:
            return
        scorable = scored and schema_field.scorable
        if scorable:
            idf = math.log(self.doc_count / (df + 1)) + 1
            avg = self.searcher.avg_field_length(fieldname) or 1
            k = K1 * (1 - B)
            per_len = K1 * B / avg
        for index, (leaf, offset) in enumerate(self.leaves):
            if (fieldname, text) not in leaf:
                continue
            ids, weights = _read_postings(leaf, fieldname, text)
            deleted = leaf.deleted_docs_set if leaf.has_deletions() else ()
            if not scored:
                yield from (offset + d for d in ids if d not in deleted)
                continue
            if not scorable:
                yield from ((offset + d, w) for d, w in zip(ids, weights, strict=True) if d not in deleted)
                continue
            lengths = self._segment_lengths(index, leaf, fieldname)
            table = _LENGTH_OF_BYTE
            for d, w in zip(ids, weights, strict=True):
                if d not in deleted:
                    length = table[lengths[d]] if d < len(lengths) else 1
                    yield offset + d, idf * (w * (K1 + 1)) / (w + k + per_len * length)

    def _segment_lengths(self, index: int, leaf, fieldname: str) -> bytes:
        key = (index, fieldname)
        lengths = self._lengths.get(key)
        if lengths is None:
            lengths = _length_bytes(leaf, fieldname)
            self._lengths[key] = lengths
        return lengths


def _read_postings(leaf, fieldname: str, text: str) -> tuple[list[int], list[float]]:
    """All ids and weights of a term in one segment, read a block at a time."""
    m = leaf.postings(fieldname, text)
    m = getattr(m, "child", m)  # unwrap the deleted-docs filter: the caller filters
    ids: list[int] = []
    weights: list[float] = []
    if isinstance(m, W3LeafMatcher):
        while m.is_active():
            m._read_ids()  # noqa: SLF001 - whoosh-reloaded 2.7.5 block API, pinned
            m._read_weights()  # noqa: SLF001
            ids.extend(m._ids)  # noqa: SLF001
            weights.extend(m._weights)  # noqa: SLF001
            m._next_block()  # noqa: SLF001
        return ids, weights
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return ids, weights


def _length_bytes(leaf, fieldname: str) -> bytes:
    """One length byte per segment doc for ``fieldname`` (0 = empty field)."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    perdoc = getattr(leaf, "_perdoc", None)
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN) if perdoc else None  # noqa: SLF001
    count = leaf.doc_count_all()
    if column is None:
        return bytes(count)
    stored = column._count  # noqa: SLF001
    raw = column._dbfile.get(column._basepos, stored)  # noqa: SLF001
    return bytes(raw) + bytes(max(0, count - stored))


def _restricted(scores: Scores, factor: float, within: Within) -> Scores:
    if within is None:
        return scores if factor == 1.0 else {d: s * factor for d, s in scores.items()}
    if len(within) < len(scores):
        get = scores.get
        return {d: s * factor for d in within if (s := get(d)) is not None}
    return {d: s * factor for d, s in scores.items() if d in within}


def _add_into(acc: Scores, scores: Scores, factor: float, within: Within) -> None:
    if within is not None:
        scores = _restricted(scores, factor, within)
        factor = 1.0
    if not acc:
        acc.update(scores if factor == 1.0 else {d: s * factor for d, s in scores.items()})
        return
    get = acc.get
    if factor == 1.0:
        for d, s in scores.items():
            acc[d] = get(d, 0.0) + s
    else:
        for d, s in scores.items():
            acc[d] = get(d, 0.0) + s * factor
