"""Fast evaluation of the engine's queries: cached BM25F posting arrays and numpy algebra.

Whoosh scores every matching document through a tree of Python matcher
objects (about 20 µs a posting: 46 ms for a two-word query over 2k entries,
seconds for a pasted message at 10k). The engine's queries are small trees of
Term / And / Or / Prefix, so this module evaluates them itself:

* each (field, term) is read once per searcher, a block at a time, into two
  arrays: sorted docnums (int32) and their BM25F scores (float64), computed
  with Whoosh's own formula and statistics in the same order of operations, so
  scores equal Whoosh's; an LRU cache bounded by bytes keeps them (12 bytes a
  posting, so the 100k benchmark's whole working set fits the cap);
* Or adds into a dense accumulator of ``doc_count`` floats (a term's docnums
  are unique, so ``acc[docs] += scores * factor`` is exact); And intersects
  sorted arrays, rarest part first; boosts multiply as before;
* facet columns (type, category, tags) are integer-coded per segment, which
  never changes once written, so a save only loads the new small segment;
  counting over the matching docs is ``np.bincount``.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

import numpy as np
from whoosh import query as wq
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from kbsite.search.analysis import fold_key
from kbsite.search.whoosh_seam import column_bytes, length_bytes, read_postings

K1, B = 1.2, 0.75
# Cap on the cached posting arrays of one searcher, in bytes (docnums + scores
# + a fixed cost per term). bench/README.md ("Memory") has query latency and RSS.
MAX_CACHED_BYTES = 128 * 2**20
ENTRY_BYTES = 12  # int32 docnum + float64 score
TERM_BYTES = 400  # arrays' headers, the key, the OrderedDict slot
MAX_PREFIX_TERMS = 64
MAX_CACHED_FREQUENCIES = 200_000  # (field, term) → doc frequency; ~200 bytes each
_LENGTH_OF_BYTE = np.array([byte_to_length(i) for i in range(256)], dtype=np.float64)
_NO_DOCS = np.zeros(0, dtype=np.int32)
_NO_SCORES = np.zeros(0, dtype=np.float64)
Scores = dict[int, float]


class Unsupported(Exception):
    """The query holds a node this evaluator does not know; fall back to Whoosh."""


class Matches:
    """Matching docnums (sorted, unique) with their scores; immutable by convention."""

    __slots__ = ("docs", "scores")

    def __init__(self, docs: np.ndarray, scores: np.ndarray) -> None:
        self.docs = docs
        self.scores = scores

    @classmethod
    def empty(cls) -> Matches:
        return cls(_NO_DOCS, _NO_SCORES)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int, float]]) -> Matches:
        """From (docnum, score) pairs in any order (docnums unique)."""
        items = sorted(pairs)
        docs = np.fromiter((d for d, _ in items), dtype=np.int32, count=len(items))
        scores = np.fromiter((s for _, s in items), dtype=np.float64, count=len(items))
        return cls(docs, scores)

    def __len__(self) -> int:
        return len(self.docs)

    def as_dict(self) -> Scores:
        return dict(zip(self.docs.tolist(), self.scores.tolist(), strict=True))

    def where(self, keep: np.ndarray) -> Matches:
        """Only the matches whose entry in the boolean array ``keep`` (by position) is set."""
        return Matches(self.docs[keep], self.scores[keep])

    def allowed(self, mask: np.ndarray) -> Matches:
        """Only the docs set in ``mask`` (a boolean array indexed by docnum)."""
        return self.where(mask[self.docs])

    def plus(self, other: Matches) -> Matches:
        """These matches, with ``other``'s scores added where it matches the same docs."""
        mine, theirs = _intersect(self.docs, other.docs)
        if not len(mine):
            return self
        scores = self.scores.copy()
        scores[mine] += other.scores[theirs]
        return Matches(self.docs, scores)

    def then(self, other: Matches) -> Matches:
        """These matches, followed by ``other``'s other docs scaled to rank below all of them."""
        extra = ~np.isin(other.docs, self.docs)
        if not extra.any():
            return self
        docs, scores = other.docs[extra], other.scores[extra]
        if len(self.docs):
            floor = float(self.scores.min())
            top = float(scores.max()) or 1.0
            scores = scores * (0.99 * floor / top)
        merged = np.concatenate([self.docs, docs])
        order = np.argsort(merged, kind="stable")
        return Matches(merged[order], np.concatenate([self.scores, scores])[order])

    def best(self, n: int | None = None) -> list[tuple[float, int]]:
        """(score, docnum) best first, ties by lower docnum (Whoosh's order); the top ``n`` only."""
        docs, scores = self.docs, self.scores
        if n is not None and n < len(docs):
            if n <= 0:
                return []
            # Everything scoring at least the n-th best score (ties included), then sort those.
            threshold = np.partition(scores, len(scores) - n)[len(scores) - n]
            keep = scores >= threshold
            docs, scores = docs[keep], scores[keep]
        order = np.lexsort((docs, -scores))
        if n is not None:
            order = order[:n]
        return list(zip(scores[order].tolist(), docs[order].tolist(), strict=True))


class SegmentFacets:
    """Facet values of one immutable segment, integer-coded by segment-local docnum."""

    def __init__(self, leaf) -> None:
        count = leaf.doc_count_all()
        self.type_names, self.type = _coded(column_bytes(leaf, "type", count))
        self.category_names, self.category = _coded(column_bytes(leaf, "category_path", count))
        self.tag_names, self.tag_starts, self.tags = _coded_lists(
            column_bytes(leaf, "tags_col", count)
        )


def _coded(raws: list[bytes]) -> tuple[list[str], np.ndarray]:
    """(distinct values, code of each doc's value)."""
    codes: dict[bytes, int] = {}
    out = np.fromiter((codes.setdefault(r, len(codes)) for r in raws), dtype=np.int32, count=len(raws))
    return [r.decode("utf-8") for r in codes], out


def _coded_lists(raws: list[bytes]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(distinct tags, start of each doc's run in the codes + end, codes) — tags deduped per doc."""
    codes: dict[str, int] = {}
    memo: dict[bytes, list[int]] = {}
    flat: list[int] = []
    starts = np.zeros(len(raws) + 1, dtype=np.int64)
    for i, raw in enumerate(raws):
        found = memo.get(raw)
        if found is None:
            tags = dict.fromkeys(raw.decode("utf-8").split("\x1f")) if raw else {}
            found = memo[raw] = [codes.setdefault(t, len(codes)) for t in tags]
        flat.extend(found)
        starts[i + 1] = len(flat)
    return list(codes), starts, np.array(flat, dtype=np.int32)


class FacetCache:
    """SegmentFacets by segment id, shared across searcher generations."""

    def __init__(self) -> None:
        self._by_segment: dict[str, SegmentFacets] = {}

    def columns(self, leaves: list[tuple[object, int]]) -> FacetColumns:
        """Facet columns of a whole searcher, by global docnum; forget dead segments."""
        return FacetColumns(per_segment(self._by_segment, leaves, SegmentFacets))


def segment_key(leaf) -> str:
    """A segment's id: segments never change once written, so caches can key on it."""
    segment = leaf.segment() if hasattr(leaf, "segment") else None
    return segment.segment_id() if segment is not None else f"obj-{id(leaf)}"


def per_segment(cache: dict, leaves: Iterable[tuple[object, int]], build: Callable) -> list:
    """``build(leaf)`` for each leaf in order, reusing the values of segments already in ``cache``.

    A save adds one small segment, so a new searcher builds only that; ``cache``
    is updated in place to hold exactly the live segments.
    """
    live = {}
    for leaf, _offset in leaves:
        key = segment_key(leaf)
        live[key] = cache.get(key) or build(leaf)
    cache.clear()
    cache.update(live)
    return list(live.values())


class FacetColumns:
    """Integer-coded facet values of every doc of a searcher, indexed by global docnum."""

    def __init__(self, segments: list[SegmentFacets]) -> None:
        self.type_names, self.type = _merge_codes([(s.type_names, s.type) for s in segments])
        self.category_names, self.category = _merge_codes(
            [(s.category_names, s.category) for s in segments]
        )
        self.tag_names, self.tags = _merge_codes([(s.tag_names, s.tags) for s in segments])
        # One code per concept: 丟件 counts as 丢件 (a searcher's names are fixed, so this is done once).
        self.category = _canonical(self.category_names)[self.category]
        self.tags = _canonical(self.tag_names)[self.tags]
        starts = [np.zeros(1, dtype=np.int64)]
        base = 0
        for s in segments:
            starts.append(s.tag_starts[1:] + base)
            base += int(s.tag_starts[-1])
        self.tag_starts = np.concatenate(starts)
        self._ranks = {
            "type": _name_ranks(self.type_names),
            "category": _name_ranks(self.category_names),
            "tag": _name_ranks(self.tag_names),
        }

    def count(self, docs: Iterable[int] | np.ndarray) -> dict[str, dict[str, int]]:
        """Counts per type, category and tag over ``docs``, most frequent first (ties by name)."""
        docs = np.asarray(docs if isinstance(docs, np.ndarray) else list(docs), dtype=np.intp)
        starts, ends = self.tag_starts[docs], self.tag_starts[docs + 1]
        ranks = self._ranks
        return {
            "type": _counts(self.type_names, ranks["type"], self.type[docs]),
            "category": _counts(self.category_names, ranks["category"], self.category[docs]),
            "tag": _counts(self.tag_names, ranks["tag"], self.tags[_ranges(starts, ends)]),
        }


def _canonical(names: list[str]) -> np.ndarray:
    """Code → code of the spelling shown for its concept: the folded spelling if present, else the first."""
    chosen: dict[str, int] = {}
    for code, name in enumerate(names):
        key = fold_key(name)
        if key not in chosen or name == key:
            chosen[key] = code
    out = np.fromiter((chosen[fold_key(n)] for n in names), dtype=np.int32, count=len(names))
    return out if len(names) else np.zeros(0, dtype=np.int32)


def _merge_codes(parts: list[tuple[list[str], np.ndarray]]) -> tuple[list[str], np.ndarray]:
    """One vocabulary for several segments' codes, and their codes translated into it."""
    names: dict[str, int] = {}
    out = []
    for seg_names, codes in parts:
        remap = np.array([names.setdefault(n, len(names)) for n in seg_names], dtype=np.int32)
        out.append(remap[codes] if len(codes) else codes.astype(np.int32))
    return list(names), np.concatenate(out) if out else np.zeros(0, dtype=np.int32)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenation of ``range(s, e)`` for every pair, vectorised."""
    lengths = ends - starts
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return np.arange(total, dtype=np.int64) + shift


def _name_ranks(names: list[str]) -> np.ndarray:
    """Position of each name in sorted order (ties of counts are listed by name)."""
    ranks = np.empty(len(names), dtype=np.int64)
    ranks[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
    return ranks


def _counts(names: list[str], ranks: np.ndarray, codes: np.ndarray) -> dict[str, int]:
    """{name: count} of the codes, most frequent first, ties by name."""
    if not len(codes):
        return {}
    tally = np.bincount(codes, minlength=len(names))
    present = np.flatnonzero(tally)
    present = present[np.lexsort((ranks[present], -tally[present]))]
    return dict(zip([names[i] for i in present], tally[present].tolist(), strict=True))


class Evaluator:
    """Scores queries over one searcher; lives exactly as long as that searcher.

    Shared by concurrent searches: segments are immutable, so its caches only
    ever gain entries that any thread would compute the same way; the LRU of
    posting arrays is the one structure guarded (by a lock around dict operations).
    """

    def __init__(self, searcher) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.leaves = list(self.reader.leaf_readers())
        self.doc_count = searcher.doc_count_all()
        self._terms: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._terms_lock = threading.Lock()
        self._cached_bytes = 0
        self._lengths: dict[tuple[int, str], np.ndarray] = {}
        self._deleted: dict[int, np.ndarray | None] = {}
        self._sets: dict[tuple[str, str], np.ndarray] = {}
        self._frequencies: dict[tuple[str, ...], int] = {}
        self._prefixes: dict[tuple[str, str], list[str]] = {}
        self._live_count = self.reader.doc_count()
        self.facets: FacetColumns | None = None

    # ----- public -----------------------------------------------------------

    def scores(self, query: wq.Query) -> Scores:
        """``{docnum: score}`` of every live document matching ``query``."""
        return self.matches(query).as_dict()

    def matches(self, query: wq.Query) -> Matches:
        """Every live document matching ``query``, with its score."""
        return self._eval(query, 1.0)

    def matches_within(self, query: wq.Query, docs: np.ndarray) -> Matches:
        """Matches of ``query`` among the sorted docnums ``docs`` only."""
        return self._eval(query, 1.0, docs)

    def contains(self, query: wq.Query, doc: int) -> bool:
        """Whether ``doc`` matches ``query``: a walk that stops at the first proof (no scoring)."""
        if isinstance(query, wq.Term):
            docs = self._term(query.fieldname, query.text)[0]
            at = int(np.searchsorted(docs, doc))
            return at < len(docs) and int(docs[at]) == doc
        if isinstance(query, wq.Or):
            return any(self.contains(sub, doc) for sub in query.subqueries)
        if isinstance(query, wq.And):
            return all(self.contains(sub, doc) for sub in query.subqueries)
        if isinstance(query, wq.Prefix):
            return any(self.contains(wq.Term(query.fieldname, t), doc) for t in self._expand(query.fieldname, query.text))
        return bool(len(self.matches_within(query, np.array([doc], dtype=np.int32))))

    def docs(self, fieldname: str, text: str) -> np.ndarray:
        """Sorted live docnums holding an exact (ID/keyword) term, cached."""
        key = (fieldname, text)
        found = self._sets.get(key)
        if found is None:
            found = self._read(fieldname, text, scored=False)[0]
            self._sets[key] = found
        return found

    def mask(self, docs: Iterable[np.ndarray]) -> np.ndarray:
        """Boolean array by docnum, set for every doc in any of ``docs``."""
        out = np.zeros(self.doc_count, dtype=bool)
        for part in docs:
            out[part] = True
        return out

    # ----- evaluation -------------------------------------------------------

    def _eval(self, q: wq.Query, factor: float, within: np.ndarray | None = None) -> Matches:
        """Matches of ``q`` × ``factor`` (only docs in the sorted array ``within`` when given).

        And evaluates its most selective part first and the others only on the
        documents still in the running, so a rare word makes the common ones cheap.
        """
        if isinstance(q, (wq.Or, wq.Prefix)):
            acc = _Accumulator(self.doc_count)
            self._add(acc, q, factor)  # applies q.boost itself
            return acc.matches(within)
        factor *= q.boost
        if isinstance(q, wq.Term):
            docs, scores = self._term(q.fieldname, q.text)
            if within is not None:
                mine, _theirs = _intersect(docs, within)
                docs, scores = docs[mine], scores[mine]
            return Matches(docs, scores if factor == 1.0 else scores * factor)
        if isinstance(q, wq.And):
            result: Matches | None = None
            for sub in sorted(q.subqueries, key=self._estimate):
                part = self._eval(sub, factor, within if result is None else result.docs)
                if result is not None:  # part's docs are (a subset of) result's
                    mine, theirs = _intersect(part.docs, result.docs)
                    part = Matches(part.docs[mine], result.scores[theirs] + part.scores[mine])
                result = part
                if not len(result):
                    return Matches.empty()
            return result or Matches.empty()
        raise Unsupported(type(q).__name__)

    def _estimate(self, q: wq.Query) -> int:
        """Whoosh's ``estimate_size`` (same figures, so the same order), with cached frequencies."""
        try:
            if isinstance(q, wq.Term):
                return self.doc_frequency(q.fieldname, q.text)
            if isinstance(q, wq.Or):
                return min(sum(self._estimate(sub) for sub in q.subqueries), self._live_count)
            if isinstance(q, wq.And):
                return min(self._estimate(sub) for sub in q.subqueries)
            if isinstance(q, wq.Prefix):  # Whoosh sums every expansion, not only the first 64
                key = ("\x00prefix", q.fieldname, q.text)
                return self._counted(key, lambda: q.estimate_size(self.reader))
            return q.estimate_size(self.reader)
        except Exception:  # estimates are an optimisation only
            return self.doc_count

    def _add(self, acc: _Accumulator, q: wq.Query, factor: float) -> None:
        """Add the scores of ``q`` (boost × factor) into ``acc`` without temporary arrays."""
        if isinstance(q, wq.Or):
            factor *= q.boost
            for sub in q.subqueries:
                self._add(acc, sub, factor)
        elif isinstance(q, wq.Term):
            acc.add(*self._term(q.fieldname, q.text), factor * q.boost)
        elif isinstance(q, wq.Prefix):
            for term in self._expand(q.fieldname, q.text):
                acc.add(*self._term(q.fieldname, term), factor * q.boost)
        else:
            part = self._eval(q, factor)
            acc.add(part.docs, part.scores, 1.0)

    def doc_frequency(self, fieldname: str, text: str) -> int:
        """The reader's doc frequency (deleted docs included, as Whoosh counts), cached."""
        return self._counted((fieldname, text), lambda: self.reader.doc_frequency(fieldname, text))

    def _counted(self, key: tuple[str, ...], count) -> int:
        found = self._frequencies.get(key)
        if found is None:
            if len(self._frequencies) >= MAX_CACHED_FREQUENCIES:
                self._frequencies.clear()
            found = self._frequencies[key] = count()
        return found

    def _expand(self, fieldname: str, prefix: str) -> list[str]:
        key = (fieldname, prefix)
        out = self._prefixes.get(key)
        if out is not None:
            return out
        out = []
        for term in self.reader.expand_prefix(fieldname, prefix):
            out.append(term.decode("utf-8") if isinstance(term, bytes) else term)
            if len(out) >= MAX_PREFIX_TERMS:
                break
        if len(self._prefixes) >= MAX_CACHED_FREQUENCIES:
            self._prefixes.clear()
        self._prefixes[key] = out
        return out

    def _term(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        key = (fieldname, text)
        with self._terms_lock:  # held for dict operations only, never while reading postings
            cached = self._terms.get(key)
            if cached is not None:
                self._terms.move_to_end(key)
                return cached
        found = self._read(fieldname, text, scored=True)
        with self._terms_lock:
            if key not in self._terms:
                self._terms[key] = found
                self._cached_bytes += _cost(found)
            while self._cached_bytes > MAX_CACHED_BYTES and len(self._terms) > 1:
                _key, dropped = self._terms.popitem(last=False)
                self._cached_bytes -= _cost(dropped)
        return found

    def _read(self, fieldname: str, text: str, *, scored: bool) -> tuple[np.ndarray, np.ndarray]:
        """Sorted live docnums and their BM25F scores (weights if not scorable; empty if not ``scored``)."""
        schema_field = self.reader.schema[fieldname]
        df = self.doc_frequency(fieldname, text)
        if not df:
            return _NO_DOCS, _NO_SCORES
        scorable = scored and schema_field.scorable
        if scorable:
            idf = math.log(self.doc_count / (df + 1)) + 1
            avg = self.searcher.avg_field_length(fieldname) or 1
            k = K1 * (1 - B)
            per_len = K1 * B / avg
        doc_parts, score_parts = [], []
        for index, (leaf, offset) in enumerate(self.leaves):
            try:  # one term lookup per segment (not a `in` test and then another)
                ids, weights = read_postings(leaf, fieldname, text)
            except TermNotFound:
                continue
            deleted = self._deleted_mask(index, leaf)
            if deleted is not None:
                live = ~deleted[ids]
                ids, weights = ids[live], weights[live]
            if scorable:
                lengths = self._segment_lengths(index, leaf, fieldname)
                length = _field_lengths(lengths, ids)
                # The same operations in the same order as Whoosh's BM25F (bit-equal scores).
                weights = idf * (weights * (K1 + 1)) / (weights + k + per_len * length)
            doc_parts.append((ids + offset).astype(np.int32))
            score_parts.append(weights)
        if not doc_parts:
            return _NO_DOCS, _NO_SCORES
        docs = doc_parts[0] if len(doc_parts) == 1 else np.concatenate(doc_parts)
        if not scored:
            return docs, _NO_SCORES
        return docs, score_parts[0] if len(score_parts) == 1 else np.concatenate(score_parts)

    def _deleted_mask(self, index: int, leaf) -> np.ndarray | None:
        if index not in self._deleted:
            mask = None
            if leaf.has_deletions():
                mask = np.zeros(leaf.doc_count_all(), dtype=bool)
                dead = np.fromiter(leaf.deleted_docs_set, dtype=np.int64)
                mask[dead[dead < len(mask)]] = True
            self._deleted[index] = mask
        return self._deleted[index]

    def _segment_lengths(self, index: int, leaf, fieldname: str) -> np.ndarray:
        key = (index, fieldname)
        lengths = self._lengths.get(key)
        if lengths is None:
            lengths = np.frombuffer(length_bytes(leaf, fieldname), dtype=np.uint8)
            self._lengths[key] = lengths
        return lengths


class _Accumulator:
    """Dense per-docnum sums of an Or: ``acc[docs] += scores * factor`` per part."""

    __slots__ = ("sums", "hit", "parts")

    def __init__(self, doc_count: int) -> None:
        self.sums = np.zeros(doc_count, dtype=np.float64)
        self.hit = np.zeros(doc_count, dtype=bool)
        self.parts = 0

    def add(self, docs: np.ndarray, scores: np.ndarray, factor: float) -> None:
        if not len(docs):
            return
        # Docnums are unique within a part, so buffered fancy-index addition is exact.
        self.sums[docs] += scores if factor == 1.0 else scores * factor
        self.hit[docs] = True
        self.parts += 1

    def matches(self, within: np.ndarray | None) -> Matches:
        if not self.parts:
            return Matches.empty()
        if within is None:
            docs = np.flatnonzero(self.hit).astype(np.int32)
        else:
            docs = within[self.hit[within]]
        return Matches(docs, self.sums[docs])


def _intersect(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``a`` and in ``b`` of the docnums both sorted unique arrays hold."""
    if len(a) > len(b):
        theirs, mine = _intersect(b, a)
        return mine, theirs
    if not len(a):
        return _NO_DOCS, _NO_DOCS
    at = np.searchsorted(b, a)
    at[at == len(b)] = 0
    found = b[at] == a
    return np.flatnonzero(found), at[found]


def _cost(entry: tuple[np.ndarray, np.ndarray]) -> int:
    return entry[0].nbytes + entry[1].nbytes + TERM_BYTES


def _field_lengths(lengths: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Decoded field length of each doc in ``ids`` (1 past the end of the length column)."""
    if len(ids) and int(ids[-1]) < len(lengths):  # ids are sorted: the usual case
        return _LENGTH_OF_BYTE[lengths[ids]]
    inside = ids < len(lengths)
    out = np.ones(len(ids), dtype=np.float64)
    out[inside] = _LENGTH_OF_BYTE[lengths[ids[inside]]]
    return out
