"""SearchEngine: the typed, Flask-free facade over the Whoosh index.

One engine per process (thread-safe): it owns one searcher that it refreshes,
serialises its own reads with a lock, writes through the cross-process write
lock with ``writer(timeout=…)`` and always cancels a failed writer.
"""

from __future__ import annotations

import contextlib
import gc
import shutil
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from kbsite.search import pinyin, store
from kbsite.search.analysis import (
    analyzer_version,
    bigrams,
    clean_text,
    fold_key,
    idf_table,
    is_cjk,
    normalise_words,
    segmenter,
    term_cutter,
)
from kbsite.search.model import Hit, SearchDoc, SearchResults
from kbsite.search.query import (
    Concept,
    PhraseScanner,
    QueryPlan,
    SynonymTable,
    combine,
    concept_query,
    plan_query,
    term_forms,
)
from kbsite.search.scoring import Evaluator, FacetCache, Matches, Unsupported
from kbsite.search.slips import SegmentVocabulary, SlipCorrector
from kbsite.search.snippets import build_snippet

MESSAGE_EMPTY = "请输入要搜索的内容。"
MESSAGE_JUNK = "没有可搜索的关键词，请换个说法，例如“退款多久到账”。"
MAX_LIMIT = 100
MAX_OFFSET = 10_000
# Bytes of closed searchers' segment files allowed to stay mapped before a full collection.
CLOSED_BYTES_BEFORE_GC = 256 * 2**20
_TEXT_FIELDS = ("title", "tags", "summary", "body")


class SearchEngine:
    """Index and search knowledge items; knows nothing of Flask or the database."""

    def __init__(
        self,
        index_dir: Path,
        *,
        words: Iterable[str] = (),
        synonyms: Iterable[Sequence[str]] = (),
    ) -> None:
        self.index_dir = Path(index_dir)
        self.words = normalise_words(words)
        self.analyzer_version = analyzer_version(self.words) + pinyin.KEYS_VERSION
        self._tk = segmenter(self.words)  # loads jieba's dictionary now, not on the first query
        self._cutter = term_cutter(self.words)
        idf_table()
        self._schema = store.make_schema(self.words)
        self._lock = threading.RLock()
        self._searcher: Searcher | None = None
        self._searcher_gen: Path | None = None
        self._corrector: tuple[Searcher, SlipCorrector] | None = None
        self._vocabularies: dict[str, SegmentVocabulary] = {}  # by segment id, across searchers
        self._evaluator: Evaluator | None = None
        self._facet_cache = FacetCache()
        self._closed_bytes = 0  # segment bytes of searchers closed since the last gc.collect()
        self.set_synonyms(synonyms)

    # ----- index lifecycle -------------------------------------------------

    def ensure_index(self) -> bool:
        """Open the index; recreate it empty (return False) if missing, broken or outdated."""
        with self._lock:
            self._close_searcher()
            if self._usable(store.current_generation(self.index_dir)):
                return True
            with store.write_lock(self.index_dir):
                if self._usable(store.current_generation(self.index_dir)):
                    return True
                gen = store.new_generation(self.index_dir, self._schema, self.analyzer_version)
                store.make_current(self.index_dir, gen)
            return False

    def _usable(self, gen: Path | None) -> bool:
        if gen is None or not gen.is_dir():
            return False
        if store.read_meta(gen).get("analyzer_version") != self.analyzer_version:
            return False
        try:
            ix = store.open_generation(gen)
            if sorted(ix.schema.names()) != sorted(self._schema.names()):
                return False
            with ix.searcher() as searcher:
                _probe(searcher)
        except Exception:  # any failure to read means: recreate and rebuild
            return False
        return True

    def rebuild(
        self,
        docs: Iterable[SearchDoc],
        total: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Build a complete index in a new generation, then swap it in atomically."""
        gen = store.new_generation(self.index_dir, self._schema, self.analyzer_version)
        step = max(1, (total or 0) // 100) if total else 100
        try:
            writer = store.BulkWriter(store.open_generation(gen), limitmb=128)
            try:
                seen: set[str] = set()
                for count, doc in enumerate(docs, 1):
                    add = writer.update_document if doc.doc_id in seen else writer.add_document
                    add(**self._fields(doc))
                    seen.add(doc.doc_id)
                    if progress and count % step == 0:
                        progress(count)
                writer.commit()
            except BaseException:
                with contextlib.suppress(Exception):
                    writer.cancel()
                raise
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)
            raise
        if progress:
            progress(len(seen))
        with store.write_lock(self.index_dir):
            store.make_current(self.index_dir, gen)
        with self._lock:
            self._close_searcher()

    def upsert(self, docs: Iterable[SearchDoc]) -> None:
        """Add or replace documents by doc_id in one commit."""
        self._write(lambda w: [w.update_document(**self._fields(d)) for d in docs])

    def delete(self, doc_ids: Iterable[str]) -> None:
        """Remove documents by doc_id in one commit (unknown ids are ignored)."""
        self._write(lambda w: [w.delete_by_term("doc_id", i) for i in doc_ids])

    def _write(self, work: Callable) -> None:
        with store.write_lock(self.index_dir):
            gen = store.current_generation(self.index_dir)
            if gen is None:
                raise store.SearchIndexError("no index: call ensure_index() first")
            writer = store.BulkWriter(store.open_generation(gen), timeout=store.WRITE_TIMEOUT)
            try:
                work(writer)
                writer.commit()
            except BaseException:
                with contextlib.suppress(Exception):
                    writer.cancel()
                raise

    def _fields(self, doc: SearchDoc) -> dict:
        """Whoosh field values; text fields are analysed here, once, as term counts."""
        tags = [t for t in doc.tags if t and t.strip()]
        counts = self._cutter.counts
        return {
            "doc_id": doc.doc_id,
            "slug": doc.slug,
            "type": doc.type,
            "status": doc.status,
            "version": int(doc.version),
            "title": counts(clean_text(doc.title)),
            "_stored_title": doc.title,
            "tags": counts(clean_text(" ".join(tags))),
            "category": counts(clean_text(doc.category.replace("/", " "))),
            "summary": counts(clean_text(doc.summary)),
            "_stored_summary": doc.summary,
            "body": counts(clean_text(doc.body)),
            "_stored_body": doc.body,
            "initials": "\x1f".join(pinyin.index_keys(self._tk, doc.title, tags)),
            "tag_key": "\x1f".join(fold_key(t) for t in tags),
            "category_key": fold_key(doc.category),
            "category_path": doc.category,
            "tags_col": "\x1f".join(tags).encode("utf-8"),
            "tag_list": tags,
        }

    def indexed_versions(self) -> dict[str, int]:
        """doc_id → indexed version, to reconcile the index with the database."""
        with self._lock:
            searcher = self._current_searcher()
            return {f["doc_id"]: int(f["version"]) for f in searcher.all_stored_fields()}

    def set_synonyms(self, groups: Iterable[Sequence[str]]) -> None:
        """Replace the synonym groups; they apply at query time, no reindex needed."""
        table = SynonymTable(groups)
        scanner = PhraseScanner([*self.words, *table.member_group])
        with self._lock:
            self._synonyms, self._scanner = table, scanner

    # ----- reading ---------------------------------------------------------

    def _current_searcher(self) -> Searcher:
        gen = store.current_generation(self.index_dir)
        if gen is None:
            raise store.SearchIndexError("no index: call ensure_index() first")
        try:
            return self._open_or_refresh(gen)
        except Exception:
            self._close_searcher()
            try:
                return self._open_or_refresh(gen)
            except Exception as exc:
                raise store.SearchIndexError(f"index unreadable: {exc}") from exc

    def _open_or_refresh(self, gen: Path) -> Searcher:
        # Not Searcher.refresh(): whoosh 2.7.x reuses segment readers by segment id and
        # so keeps their stale deletion lists (an updated doc shows twice).
        searcher = self._searcher
        if searcher is None or gen != self._searcher_gen or not searcher.up_to_date():
            if searcher is not None and self._searcher_gen is not None:
                self._closed_bytes += _files_bytes(self._searcher_gen)
            self._close_searcher()
            if self._closed_bytes >= CLOSED_BYTES_BEFORE_GC:
                # Whoosh's readers form reference cycles that keep a closed searcher's segment
                # files mapped (close() cannot unmap while they export buffers) until a full
                # collection, which numpy scoring allocates too few objects to trigger soon.
                gc.collect()  # ~0.1 s: at most once per this many bytes of closed segments
                self._closed_bytes = 0
            self._searcher = store.open_generation(gen).searcher()
            self._searcher_gen = gen
        return self._searcher

    def _close_searcher(self) -> None:
        if self._searcher is not None:
            with contextlib.suppress(Exception):
                self._searcher.close()
        self._searcher = None
        self._searcher_gen = None
        self._corrector = None
        self._evaluator = None

    def close(self) -> None:
        """Release the open searcher (files, mmaps)."""
        with self._lock:
            self._close_searcher()

    def search(
        self,
        q: str,
        *,
        types: Iterable[str] | None = None,
        category: str | None = None,
        tag: str | None = None,
        include_drafts: bool = False,
        limit: int = 10,
        offset: int = 0,
    ) -> SearchResults:
        """Ranked, filtered, faceted results for whatever the user typed or pasted."""
        text = q if isinstance(q, str) else ""
        limit = max(1, min(int(limit), MAX_LIMIT))
        offset = max(0, min(int(offset), MAX_OFFSET))
        with self._lock:
            plan = plan_query(text, self._tk, self._scanner, self._synonyms)
            searcher = self._current_searcher() if plan.concepts else None
            suggestion = self._correct_slips(searcher, plan) if searcher else None
            clauses = [c for c in (concept_query(self._tk, x) for x in plan.concepts) if c]
            if searcher is None or not clauses:
                message = MESSAGE_JUNK if text.strip() else MESSAGE_EMPTY
                return SearchResults(
                    query=text, total=0, hits=[], facets=_empty_facets(), message=message
                )
            filters = (types, category, tag, include_drafts)
            matches = self._matches(searcher, combine(clauses, require_all=plan.short), filters)
            if not matches and plan.short and len(clauses) > 1:
                matches = self._matches(searcher, combine(clauses, require_all=False), filters)
            if include_drafts:
                ranked = _dedupe(searcher, matches.best())
                total, page, docs = len(ranked), ranked[offset : offset + limit], [d for _, d in ranked]
            else:
                total, docs = len(matches), matches.docs
                page = matches.best(offset + limit)[offset:]
            marks = _mark_terms(plan.concepts)
            return SearchResults(
                query=text,
                total=total,
                hits=[_hit(searcher.stored_fields(d), score, marks) for score, d in page],
                facets=self._facets(searcher, docs),
                suggestion=suggestion,
            )

    def _evaluator_for(self, searcher: Searcher) -> Evaluator:
        if self._evaluator is None or self._evaluator.searcher is not searcher:
            self._evaluator = Evaluator(searcher)
        return self._evaluator

    def _matches(self, searcher: Searcher, query: wq.Query, filters: tuple) -> Matches:
        """Every allowed matching docnum with its score (Whoosh only as a fallback)."""
        try:
            evaluator = self._evaluator_for(searcher)
            matches = evaluator.matches(query)
        except Unsupported:
            ranked = _ranked(searcher, query, _filter_query(*filters))
            return Matches.from_pairs((d, score) for score, d in ranked)
        allowed = _allowed(evaluator, *filters)
        return matches if allowed is None else matches.allowed(allowed)

    def _facets(self, searcher: Searcher, docs) -> dict[str, dict[str, int]]:
        evaluator = self._evaluator_for(searcher)
        if evaluator.facets is None:
            evaluator.facets = self._facet_cache.columns(evaluator.leaves)
        return evaluator.facets.count(docs)

    def _correct_slips(self, searcher: Searcher, plan: QueryPlan) -> str | None:
        corrected = False
        for concept in plan.concepts:
            if not is_cjk(concept.text) or _known(self._evaluator_for(searcher), self._tk, concept):
                continue
            fix = self._slip_corrector(searcher).correct(concept.text)
            if fix:
                concept.corrected_from, concept.text = concept.text, fix
                concept.variants = self._synonyms.variants(fix)
                corrected = True
            elif len(concept.text) == 2:
                concept.by_char = True  # two characters jieba left single, e.g. 能退/换吗
        if not corrected or len(plan.folded) > 60:
            return None
        suggestion = plan.folded
        for concept in plan.concepts:
            if concept.corrected_from:
                suggestion = suggestion.replace(concept.corrected_from, concept.text)
        return suggestion

    def _slip_corrector(self, searcher: Searcher) -> SlipCorrector:
        if self._corrector is None or self._corrector[0] is not searcher:
            self._corrector = (searcher, SlipCorrector(searcher.reader(), self._vocabularies))
        return self._corrector[1]

    def suggest(self, prefix: str, *, include_drafts: bool = False, limit: int = 8) -> list[dict]:
        """Title suggestions while typing: earlier words must match, the last one is a prefix."""
        text = prefix if isinstance(prefix, str) else ""
        limit = max(1, min(int(limit), 20))
        with self._lock:
            plan = plan_query(text[:100], self._tk, self._scanner, self._synonyms)
            words = [c.text for c in plan.concepts if term_forms(self._tk, c.text)]
            if not words:
                return []
            clauses = [_title_clause(self._tk, w) for w in words[:-1]]
            clauses.append(_title_prefix_clause(words[-1]))
            query = wq.And(clauses) if len(clauses) > 1 else clauses[0]
            searcher = self._current_searcher()
            matches = self._matches(searcher, query, (None, None, None, include_drafts))
            ranked = matches.best(None if include_drafts else limit)
            if include_drafts:
                ranked = _dedupe(searcher, ranked)
            fields = [searcher.stored_fields(d) for _, d in ranked[:limit]]
            return [{"slug": f["slug"], "title": f["title"], "type": f["type"]} for f in fields]


def _files_bytes(directory: Path) -> int:
    """Total size of the files of an index generation (0 if it is gone)."""
    with contextlib.suppress(OSError):
        return sum(p.stat().st_size for p in directory.iterdir() if p.is_file())
    return 0


def _probe(searcher: Searcher) -> None:
    """Touch every part of the index cheaply so that truncated files raise now."""
    reader = searcher.reader()
    count = reader.doc_count_all()
    if count:
        reader.stored_fields(0)
        reader.stored_fields(count - 1)
    for fieldname in ("doc_id", "title", "body"):
        for n, (term, _info) in enumerate(reader.iter_field(fieldname)):
            list(reader.postings(fieldname, term).all_ids())
            if n >= 2:
                break
    if count:
        reader.column_reader("slug")[count - 1]


def _known(evaluator: Evaluator, tk, concept: Concept) -> bool:
    for word in [concept.text, *concept.variants]:
        for terms in term_forms(tk, word):
            for fieldname in _TEXT_FIELDS:
                if all(evaluator.doc_frequency(fieldname, t) for t in terms):
                    return True
    return False


def _filter_query(
    types: Iterable[str] | None, category: str | None, tag: str | None, include_drafts: bool
) -> wq.Query:
    parts: list[wq.Query] = []
    if not include_drafts:
        parts.append(wq.Term("status", "published"))
    type_list = [t for t in (types or []) if isinstance(t, str) and t]
    if type_list:
        parts.append(wq.Or([wq.Term("type", t) for t in type_list]))
    if isinstance(category, str) and fold_key(category).strip("/"):
        key = fold_key(category).strip("/")
        parts.append(wq.Or([wq.Term("category_key", key), wq.Prefix("category_key", key + "/")]))
    if isinstance(tag, str) and fold_key(tag):
        parts.append(wq.Term("tag_key", fold_key(tag)))
    if not parts:
        return wq.Every()
    return parts[0] if len(parts) == 1 else wq.And(parts)


def _allowed(
    evaluator: Evaluator,
    types: Iterable[str] | None,
    category: str | None,
    tag: str | None,
    include_drafts: bool,
) -> np.ndarray | None:
    """Boolean array by docnum of the docs the filters allow (None: all), from cached term docs."""
    mask: np.ndarray | None = None

    def keep_only(docs: list[np.ndarray]) -> None:
        nonlocal mask
        wanted = evaluator.mask(docs)
        mask = wanted if mask is None else mask & wanted

    if not include_drafts:
        others = [s for s in _lexicon(evaluator.reader, "status") if s != "published"]
        if others:
            mask = ~evaluator.mask(evaluator.docs("status", s) for s in others)
    type_list = [t for t in (types or []) if isinstance(t, str) and t]
    if type_list:
        keep_only([evaluator.docs("type", t) for t in type_list])
    if isinstance(category, str) and fold_key(category).strip("/"):
        key = fold_key(category).strip("/")
        below = [c for c in evaluator.reader.expand_prefix("category_key", key + "/")]
        names = [key, *(c.decode("utf-8") if isinstance(c, bytes) else c for c in below)]
        keep_only([evaluator.docs("category_key", c) for c in names])
    if isinstance(tag, str) and fold_key(tag):
        keep_only([evaluator.docs("tag_key", fold_key(tag))])
    return mask


def _lexicon(reader, fieldname: str) -> list[str]:
    return [t.decode("utf-8") if isinstance(t, bytes) else t for t in reader.lexicon(fieldname)]


def _ranked(searcher: Searcher, query: wq.Query, allowed: wq.Query) -> list[tuple[float, int]]:
    """Every matching (score, docnum), best first: one scoring pass gives page, total and facets."""
    reader = searcher.reader()
    results = searcher.search(query, filter=allowed, limit=None)
    return [(score, d) for score, d in results.top_n if not reader.is_deleted(d)]


def _dedupe(searcher: Searcher, ranked: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """One doc per slug, the draft when both versions match, at the better rank."""
    reader = searcher.reader()
    slugs, statuses = reader.column_reader("slug"), reader.column_reader("status")
    chosen: dict[str, tuple[int, tuple[float, int]]] = {}
    for rank, (score, docnum) in enumerate(ranked):
        slug = slugs[docnum]
        if slug not in chosen:
            chosen[slug] = (rank, (score, docnum))
        elif statuses[docnum] == "draft":
            chosen[slug] = (chosen[slug][0], (max(score, chosen[slug][1][0]), docnum))
    return [item for _, item in sorted(chosen.values(), key=lambda c: c[0])]


def _empty_facets() -> dict[str, dict[str, int]]:
    return {"type": {}, "category": {}, "tag": {}}


def _mark_terms(concepts: list[Concept]) -> list[str]:
    terms: list[str] = []
    for concept in concepts:
        terms += [concept.text, *concept.variants]
        if is_cjk(concept.text) and len(concept.text) > 2:
            terms.extend(bigrams(concept.text))
    return terms


def _hit(hit: dict, score: float, marks: list[str]) -> Hit:
    summary, body = hit.get("summary", ""), hit.get("body", "")
    snippet = build_snippet(summary, marks) if summary else ""
    if "<mark>" not in snippet and body:
        in_body = build_snippet(body, marks)
        snippet = in_body if "<mark>" in in_body or not snippet else snippet
    return Hit(
        slug=hit["slug"],
        title=hit["title"],
        type=hit["type"],
        category=hit["category_path"],
        tags=list(hit.get("tag_list") or []),
        snippet=snippet,
        score=float(score),
        status=hit["status"],
        doc_id=hit["doc_id"],
        title_html=build_snippet(hit["title"], marks, width=len(hit["title"]) + 1),
    )


def _title_clause(tk, word: str) -> wq.Query:
    forms = term_forms(tk, word) or [[word]]
    alternatives = [wq.And([wq.Term("title", t) for t in terms]) for terms in forms]
    return wq.Or([*alternatives, wq.Term("initials", word)])


def _title_prefix_clause(word: str) -> wq.Query:
    parts: list[wq.Query] = [wq.Prefix("title", word)]
    if is_cjk(word) and len(word) > 2:
        parts.append(
            wq.And(
                [wq.Term("title", b) for b in bigrams(word)[:-1]] + [wq.Prefix("title", word[-2:])]
            )
        )
    if word.isascii() and word.isalpha():
        parts.append(wq.Prefix("initials", word))
    return wq.Or(parts)
