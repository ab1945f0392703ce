"""SearchEngine: the typed, Flask-free facade over the Whoosh index.

One engine per process, shared by every thread. Searches run in parallel: each
takes the current view of the index (``readers.py``) without waiting for other
readers. Writes go through the cross-process write
lock with ``writer(timeout=…)`` and always cancel a failed writer.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
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
from kbsite.search.model import Demotion, Hit, SearchDoc, SearchResults
from kbsite.search.query import (
    Concept,
    PhraseScanner,
    QueryPlan,
    SynonymTable,
    concept_query,
    plan_query,
    term_forms,
)
from kbsite.search.ranking import (
    SCRIPT_WINDOW,
    Judgement,
    best_reading,
    prefer_script,
    title_script,
)
from kbsite.search.readers import Readers, View
from kbsite.search.regional import script_of
from kbsite.search.related import CharNeighbours, general_char_shares, relate_plan
from kbsite.search.scoring import Evaluator, FacetCache, Matches
from kbsite.search.slips import KNOWN_FREQ, SegmentVocabulary, SlipCorrector, correct_plan
from kbsite.search.snippets import build_snippet
from kbsite.search.whoosh_seam import SegmentBytes

MESSAGE_EMPTY = "请输入要搜索的内容。"
MESSAGE_JUNK = "没有可搜索的关键词，请换个说法，例如“退款多久到账”。"
MAX_LIMIT = 100
MAX_OFFSET = 10_000
MEMO_MAX_CHARS = 200  # longer queries are not remembered
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
        general_char_shares(self._tk)
        self._schema = store.make_schema(self.words)
        self._build = threading.Lock()  # per-view caches built once, not once per thread
        self._segments = SegmentBytes()  # index files read into memory, shared across views
        self._readers = Readers(self.index_dir, self._segments)
        self._vocabularies: dict[str, SegmentVocabulary] = {}  # by segment id, across searchers
        self._facet_cache = FacetCache()
        # Per view: the slugs of the last Demotion seen and the docnums they cover.
        self._demoted: weakref.WeakKeyDictionary[Evaluator, tuple[frozenset[str], np.ndarray]] = (
            weakref.WeakKeyDictionary())
        self.set_synonyms(synonyms)

    # ----- index lifecycle -------------------------------------------------

    def ensure_index(self) -> bool:
        """Open the index; recreate it empty (return False) if missing, broken or outdated."""
        with self._readers.exclusive():
            self._readers.drop()
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
            ix = store.open_for_reading(gen, self._segments)
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
        with self._readers.exclusive():
            self._readers.drop()

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
                writer.commit(mergetype=store.merge_tiers)
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
        with self._readers.reading() as view:
            return {f["doc_id"]: int(f["version"]) for f in view.searcher.all_stored_fields()}

    def set_synonyms(self, groups: Iterable[Sequence[str]]) -> None:
        """Replace the synonym groups; they apply at query time, no reindex needed."""
        table = SynonymTable(groups)
        scanner = PhraseScanner([*self.words, *table.member_group])
        lexicon = frozenset(self.words) | frozenset(table.member_groups)
        # One reference: a search sees all three of one generation or none of them.
        self._phrasing = (table, scanner, lexicon)
        self._synonyms, self._scanner, self._lexicon = table, scanner, lexicon  # for tools and tests

    # ----- reading ---------------------------------------------------------

    def warm(self) -> None:
        """Open the newest index state and build its caches now (the follower thread calls
        this after each change), so that the first search after a save does not pay for it."""
        with self._readers.reading() as view:
            self._facet_columns(self._evaluator(view))

    def _current_searcher(self) -> Searcher:
        """The current searcher, opened if needed (for tests and tools; searches hold a view)."""
        with self._readers.reading() as view:
            return view.searcher

    def close(self) -> None:
        """Release the open searcher (closed once no search uses it)."""
        with self._readers.exclusive():
            self._readers.drop()

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
        demote: Demotion | None = None,
    ) -> SearchResults:
        """Ranked, filtered, faceted results for whatever the user typed or pasted.

        Answers are remembered per index state (the view), synonym set and demotion:
        agents typing the same prefixes ("退", "退款"…) cost one analysis, not one each.
        ``demote`` scales the scores of some entries (those past review) before any page is taken.
        """
        text = q if isinstance(q, str) else ""
        limit = max(1, min(int(limit), MAX_LIMIT))
        offset = max(0, min(int(offset), MAX_OFFSET))
        type_key = tuple(t for t in types if isinstance(t, str)) if types is not None else None
        category = category if isinstance(category, str) else None
        tag = tag if isinstance(tag, str) else None
        phrasing = self._phrasing
        if not text.strip():
            return _no_results(text)

        def compute() -> SearchResults:
            return self._search(view, phrasing, text, types=type_key, category=category, tag=tag,
                                include_drafts=include_drafts, limit=limit, offset=offset, demote=demote)

        with self._readers.reading() as view:
            if len(text) > MEMO_MAX_CHARS:  # pasted chats rarely come twice
                return compute()
            key = (text, type_key, category, tag, bool(include_drafts), limit, offset, phrasing, demote)
            return _copy(view.memo.get(key, compute))  # callers may reorder or edit their copy

    def _search(
        self, view: View, phrasing: tuple, text: str, *, types: tuple[str, ...] | None,
        category: str | None, tag: str | None, include_drafts: bool, limit: int, offset: int,
        demote: Demotion | None = None,
    ) -> SearchResults:
        synonyms, scanner, _ = phrasing
        searcher, evaluator = view.searcher, self._evaluator(view)
        plan = plan_query(text, self._tk, scanner, synonyms, lambda w: _present(evaluator, self._tk, w))
        if not any(concept_query(self._tk, c) for c in plan.concepts):
            return _no_results(text)
        filters = (types, category, tag, include_drafts)
        plan, matches, judgement, suggestion = self._best_reading(view, plan, filters)
        matches = self._demoted_matches(evaluator, matches, demote)
        if include_drafts:
            ranked = _dedupe(searcher, matches.best())
            docs = [d for _, d in ranked]
        else:
            ranked, docs = matches.best(offset + limit + SCRIPT_WINDOW), matches.docs
        stored = _memo(searcher.stored_fields)  # script preference and hits read the same docs
        ranked = prefer_script(ranked, script_of(text), title_script(stored))
        page = ranked[offset : offset + limit]
        marks = _mark_terms(plan.concepts)
        return SearchResults(
            query=text,
            total=len(docs),
            hits=[_hit(stored(d), score, marks) for score, d in page],
            facets=self._facets(evaluator, docs),
            suggestion=suggestion,
            confidence=judgement.confidence(plan.short) if len(docs) else "none",
            nothing_held=not judgement.known,
        )

    def _best_reading(
        self, view: View, plan: QueryPlan, filters: tuple
    ) -> tuple[QueryPlan, Matches, Judgement, str | None]:
        """The plan as typed, or with its slips corrected when that finds clearly better results."""
        evaluator = self._evaluator(view)
        for concept in plan.concepts:
            concept.unknown = not _known(evaluator, self._tk, concept)
        return best_reading(
            plan, evaluator, self._tk,
            match=lambda q: self._matches(evaluator, q, filters),
            correct=lambda p: self._correct_slips(view, p),
            relate=lambda p: self._relate(view, p),
        )

    def _evaluator(self, view: View) -> Evaluator:
        if view.evaluator is None:
            with self._build:
                if view.evaluator is None:
                    view.evaluator = Evaluator(view.searcher)
        return view.evaluator

    @staticmethod
    def _matches(evaluator: Evaluator, query: wq.Query, filters: tuple) -> Matches:
        """Every allowed matching docnum with its score."""
        matches = evaluator.matches(query)
        allowed = _allowed(evaluator, *filters)
        return matches if allowed is None else matches.allowed(allowed)

    def _demoted_matches(self, evaluator: Evaluator, matches: Matches, demote: Demotion | None) -> Matches:
        """``matches`` with the demoted entries' scores scaled by the demotion's factor."""
        if demote is None or not demote.slugs or demote.factor == 1.0 or not len(matches):
            return matches
        cached = self._demoted.get(evaluator)
        if cached is None or (cached[0] is not demote.slugs and cached[0] != demote.slugs):
            with self._build:
                slugs = evaluator.reader.column_reader("slug")
                mask = np.fromiter((s in demote.slugs for s in slugs), dtype=bool, count=evaluator.doc_count)
                cached = self._demoted[evaluator] = (demote.slugs, mask)
        hit = cached[1][matches.docs]
        if not hit.any():
            return matches
        scores = matches.scores.copy()
        scores[hit] *= demote.factor
        return Matches(matches.docs, scores)

    def _facets(self, evaluator: Evaluator, docs) -> dict[str, dict[str, int]]:
        return self._facet_columns(evaluator).count(docs)

    def _facet_columns(self, evaluator: Evaluator):
        if evaluator.facets is None:
            with self._build:  # the facet cache is shared across views
                if evaluator.facets is None:
                    evaluator.facets = self._facet_cache.columns(evaluator.leaves)
        return evaluator.facets

    def _correct_slips(self, view: View, plan: QueryPlan) -> str | None:
        synonyms, _, lexicon = self._phrasing
        general = self._tk.FREQ.get
        return correct_plan(plan, self._slip_corrector(view), lambda w: general(w, 0), lexicon, synonyms)

    def _relate(self, view: View, plan: QueryPlan) -> None:
        """Give the plan's unknown words the library words sharing a telling character with them."""
        if not any(c.unknown for c in plan.concepts):
            return
        corrector = self._slip_corrector(view)
        if view.neighbours is None:
            with self._build:
                if view.neighbours is None:
                    general = self._tk.FREQ.get  # jieba's dictionary and this library's own words
                    view.neighbours = CharNeighbours(corrector.parts, lambda w: general(w, 0) >= KNOWN_FREQ,
                                                     general_char_shares(self._tk))
        relate_plan(plan, view.neighbours, corrector.frequency)

    def _slip_corrector(self, view: View) -> SlipCorrector:
        if view.corrector is None:
            with self._build:  # the vocabularies are shared across views
                if view.corrector is None:
                    view.corrector = SlipCorrector(view.searcher.reader(), self._vocabularies)
        return view.corrector

    def suggest(self, prefix: str, *, include_drafts: bool = False, limit: int = 8) -> list[dict]:
        """Title suggestions while typing: earlier words must match, the last one is a prefix."""
        text = prefix if isinstance(prefix, str) else ""
        limit = max(1, min(int(limit), 20))
        synonyms, scanner, _ = self._phrasing
        plan = plan_query(text[:100], self._tk, scanner, synonyms)
        words = [c.text for c in plan.concepts if term_forms(self._tk, c.text)]
        if not words:
            return []
        clauses = [_title_clause(self._tk, w) for w in words[:-1]]
        clauses.append(_title_prefix_clause(words[-1]))
        query = wq.And(clauses) if len(clauses) > 1 else clauses[0]
        with self._readers.reading() as view:
            searcher = view.searcher
            matches = self._matches(self._evaluator(view), query, (None, None, None, include_drafts))
            ranked = matches.best(None if include_drafts else limit)
            if include_drafts:
                ranked = _dedupe(searcher, ranked)
            fields = [searcher.stored_fields(d) for _, d in ranked[:limit]]
            return [{"slug": f["slug"], "title": f["title"], "type": f["type"]} for f in fields]


def _copy(res: SearchResults) -> SearchResults:
    """A copy of remembered results that its caller may change freely."""
    return replace(
        res,
        hits=[replace(h, tags=list(h.tags)) for h in res.hits],
        facets={name: dict(counts) for name, counts in res.facets.items()},
    )


def _memo(read: Callable[[int], dict]) -> Callable[[int], dict]:
    """``read`` remembered per docnum, for the span of one search."""
    seen: dict[int, dict] = {}

    def get(docnum: int) -> dict:
        if docnum not in seen:
            seen[docnum] = read(docnum)
        return seen[docnum]

    return get


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
    """Whether some entry holds the concept's word or one of its synonyms.

    Drops the synonyms no entry holds on the way: they cannot match, and a shipped synonym
    list is much wider than any one library, so building their queries was most of the work.
    """
    kept = [v for v in concept.variants if len(v) == 1 or _present(evaluator, tk, v)]
    concept.absent = [v for v in concept.variants if v not in kept]
    concept.variants = kept
    return bool(concept.variants) or _present(evaluator, tk, concept.text)


def _present(evaluator: Evaluator, tk, word: str) -> bool:
    """Whether some entry holds ``word`` (as a term, or all of its bigrams) in a text field."""
    for terms in term_forms(tk, word):
        for fieldname in _TEXT_FIELDS:
            if all(evaluator.doc_frequency(fieldname, t) for t in terms):
                return True
    return False


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


def _no_results(text: str) -> SearchResults:
    message = MESSAGE_JUNK if text.strip() else MESSAGE_EMPTY
    return SearchResults(query=text, total=0, hits=[], facets=_empty_facets(), message=message,
                         confidence="none")


def _mark_terms(concepts: list[Concept]) -> list[str]:
    terms: list[str] = []
    for concept in concepts:
        terms += [concept.text, *concept.variants, *concept.absent]
        if is_cjk(concept.text) and len(concept.text) > 2:
            terms.extend(bigrams(concept.text))
    # Snippets fold character by character (帳 → 帐), terms at phrase level (账): mark both.
    return terms + [t.replace("账", "帐") for t in terms if "账" in t]


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
