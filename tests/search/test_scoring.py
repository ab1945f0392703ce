"""The fast evaluator: same scores as Whoosh, restrictions, deletions, facets, cache bounds."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from whoosh import query as wq

from kbsite.search import SearchEngine, scoring, whoosh_seam
from kbsite.search.analysis import fold_key
from kbsite.search.query import strip_speakers
from kbsite.search.scoring import Evaluator, FacetCache, Matches, Unsupported
from kbsite.search.snippets import build_snippet

from .conftest import CORPUS, SYNONYMS, WORDS, D, slugs


@pytest.fixture
def searcher(corpus_engine):
    return corpus_engine._current_searcher()


def _whoosh_scores(searcher, query) -> dict[int, float]:
    return {hit.docnum: hit.score for hit in searcher.search(query, limit=None, optimize=False)}


def _filter_query(types, category, tag, include_drafts) -> wq.Query:
    """The engine's filters as a Whoosh filter query (the oracle the numpy filters must equal)."""
    parts: list[wq.Query] = []
    if not include_drafts:
        parts.append(wq.Term("status", "published"))
    if types:
        parts.append(wq.Or([wq.Term("type", t) for t in types]))
    if category:
        key = fold_key(category).strip("/")
        parts.append(wq.Or([wq.Term("category_key", key), wq.Prefix("category_key", key + "/")]))
    if tag:
        parts.append(wq.Term("tag_key", fold_key(tag)))
    if not parts:
        return wq.Every()
    return parts[0] if len(parts) == 1 else wq.And(parts)


def _ranked(searcher, query, allowed) -> list[tuple[float, int]]:
    reader = searcher.reader()
    results = searcher.search(query, filter=allowed, limit=None)
    return [(score, d) for score, d in results.top_n if not reader.is_deleted(d)]


@pytest.mark.parametrize(
    "query",
    [
        wq.Term("body", "退款"),
        wq.Term("title", "退款", boost=4.0),
        wq.Or([wq.Term("title", "退款"), wq.Term("body", "到账")]),
        wq.And([wq.Term("body", "退款"), wq.Term("summary", "到账")]),
        wq.Or([wq.And([wq.Term("body", "七天"), wq.Term("body", "退货")]), wq.Term("tags", "退货")]),
    ],
)
def test_scores_equal_whoosh_bm25f(searcher, query):
    mine = Evaluator(searcher).scores(query)
    theirs = _whoosh_scores(searcher, query)
    assert mine.keys() == theirs.keys() and mine
    for docnum, score in theirs.items():
        assert mine[docnum] == pytest.approx(score, rel=1e-6)


@pytest.mark.parametrize("terms", [["退款"], ["退款", "到账"]])
def test_or_boost_multiplies_every_score(searcher, terms):
    # Whoosh drops the boost of a one-clause Or (and of some unions); field weights must not.
    clauses = [wq.Term("title", t) for t in terms]
    plain = Evaluator(searcher).scores(wq.Or(clauses))
    boosted = Evaluator(searcher).scores(wq.Or(clauses, boost=4.0))
    assert {d: s * 4 for d, s in plain.items()} == pytest.approx(boosted)


def test_and_restricts_to_the_rarest_part_first(searcher):
    evaluator = Evaluator(searcher)
    common = wq.Or([wq.Term(f, "退款") for f in ("title", "summary", "body")])
    rare = wq.Term("title", "到账")
    both = evaluator.scores(wq.And([common, rare]))
    full = evaluator.scores(common)
    only_rare = evaluator.scores(rare)
    assert set(both) == set(full) & set(only_rare)
    for docnum in both:
        assert both[docnum] == pytest.approx(full[docnum] + only_rare[docnum])


def test_prefix_expands_terms(searcher):
    scores = Evaluator(searcher).scores(wq.Prefix("title", "退"))
    assert scores and set(scores) == set(_whoosh_scores(searcher, wq.Prefix("title", "退")))


def test_unknown_query_node_is_refused(searcher):
    with pytest.raises(Unsupported):
        Evaluator(searcher).scores(wq.Every())


def test_updated_doc_is_scored_once(engine):
    engine.rebuild(CORPUS)
    engine.upsert([D(slug="refund-arrival", type="faq", category="售后/退款", tags=["退款"],
                     title="退款多久到账？（新）", summary="", body="更新后的正文", version=2)])
    results = engine.search("退款多久到账")
    assert slugs(results).count("refund-arrival") == 1
    assert results.hits[0].title == "退款多久到账？（新）"


def test_facets_follow_new_segments(engine):
    engine.rebuild(CORPUS)
    before = engine.search("退款").facets["type"]
    engine.upsert([D(slug="refund-case-new", type="case", category="售后/退款", tags=["退款新例"],
                     title="退款案例", summary="", body="退款")])
    after = engine.search("退款").facets
    assert after["type"].get("case", 0) == before.get("case", 0) + 1
    assert after["tag"]["退款新例"] == 1


def test_facet_cache_forgets_dead_segments(engine):
    engine.rebuild(CORPUS)
    cache = FacetCache()
    searcher = engine._current_searcher()
    first = cache.columns(list(searcher.reader().leaf_readers()))
    assert len(first.type) == searcher.doc_count_all()
    engine.rebuild(CORPUS[:3])
    searcher = engine._current_searcher()
    cache.columns(list(searcher.reader().leaf_readers()))
    assert len(cache._by_segment) == len(list(searcher.reader().leaf_readers()))


def test_term_cache_is_bounded_by_bytes(searcher, monkeypatch):
    monkeypatch.setattr(scoring, "MAX_CACHED_BYTES", 3 * (scoring.TERM_BYTES + scoring.ENTRY_BYTES))
    evaluator = Evaluator(searcher)
    for term in ("退款", "到账", "发票", "快递", "优惠券"):
        evaluator.scores(wq.Term("body", term))
    largest = max(scoring._cost(v) for v in evaluator._terms.values())
    assert evaluator._cached_bytes <= max(scoring.MAX_CACHED_BYTES, largest)
    assert evaluator._cached_bytes == sum(scoring._cost(v) for v in evaluator._terms.values())
    assert len(evaluator._terms) < 5


def test_transcript_speaker_labels_are_dropped():
    text = "顾客：在吗\n顾客：电饭煲坏了\n客服：您好"
    assert "顾客" not in strip_speakers(text) and "电饭煲坏了" in strip_speakers(text)
    assert strip_speakers("9:00-21:00 客服电话") == "9:00-21:00 客服电话"
    assert strip_speakers("注意：退款原路返回") == "注意：退款原路返回"


def test_pasted_transcript_finds_its_topic(corpus_engine):
    text = "顾客：在吗\n顾客：我要开电子发票\n客服：您好\n顾客：公司报销要用，怎么开？"
    assert slugs(corpus_engine.search(text))[0] == "invoice-request"


def test_snippet_marks_traditional_text_beyond_the_window_start():
    text = "前言" * 80 + "運費險理賠說明"
    snippet = build_snippet(text, ["运费险"])
    assert "<mark>運費險</mark>" in snippet and snippet.startswith("…")


# ----- several segments, deletions, postings over many blocks -------------------------------

BULK = 330  # > 2 posting blocks of 128 for the common words
_TYPES = ("faq", "policy", "case")
_CATEGORIES = ("售后/退款", "售后/物流", "售前/发票", "投诉/差评")
_TAGS = ("退款", "到账", "发票", "快递", "差评")


def _bulk_doc(i: int, *, version: int = 1, status: str = "published") -> D:
    base = CORPUS[i % len(CORPUS)]
    extra = "退款到账" * (1 + i % 4) if i % 5 else "快递发票"
    return D(
        slug=f"bulk-{i}",
        status=status,
        type=_TYPES[i % 3],
        category=_CATEGORIES[i % 4],
        tags=[_TAGS[i % 5], _TAGS[(i * 7) % 5]],
        title=f"{base.title}{i}" if i % 2 else base.title,
        summary=base.summary[: 10 + i % 40],
        body=f"{base.body}{extra}" * (1 + i % 3),
        version=version,
    )


@pytest.fixture(scope="module")
def segmented(tmp_path_factory) -> SearchEngine:
    """Index of several segments with deleted docs; tests must not write to it."""
    engine = SearchEngine(tmp_path_factory.mktemp("seg"), words=WORDS, synonyms=SYNONYMS)
    engine.ensure_index()
    engine.rebuild([*CORPUS, *(_bulk_doc(i) for i in range(BULK))])
    engine.upsert([_bulk_doc(i, version=2) for i in range(0, BULK, 7)])  # replaces: deletions
    engine.delete([f"bulk-{i}@published" for i in range(3, BULK, 11)])
    engine.upsert([_bulk_doc(i) for i in range(BULK, BULK + 40)])
    engine.upsert([_bulk_doc(i, status="draft") for i in range(0, 60, 3)])
    return engine


@pytest.fixture(scope="module")
def seg_searcher(segmented):
    searcher = segmented._current_searcher()
    leaves = list(searcher.reader().leaf_readers())
    assert len(leaves) > 1 and any(leaf.has_deletions() for leaf, _ in leaves)
    return searcher


def _live_ids(searcher, fieldname: str, text: str) -> list[int]:
    reader = searcher.reader()
    return sorted(d for d in reader.postings(fieldname, text).all_ids() if not reader.is_deleted(d))


@pytest.mark.parametrize(
    "query",
    [
        wq.Term("body", "退款"),
        wq.Term("title", "退款", boost=2.5),
        wq.Or([wq.Term("title", "退款"), wq.Term("body", "到账"), wq.Term("tags", "发票")]),
        wq.And([wq.Term("body", "退款"), wq.Term("body", "到账"), wq.Term("summary", "退款")]),
        wq.And(
            [
                wq.Or([wq.Term("title", "退款", boost=2.5), wq.Term("body", "退款")], boost=0.8),
                wq.Or([wq.Term("body", "到账"), wq.And([wq.Term("body", "快递"), wq.Term("body", "发票")])]),
            ]
        ),
        wq.Or(
            [
                wq.And([wq.Term("body", "退款"), wq.Or([wq.Term("title", "到账"), wq.Term("tags", "到账")])]),
                wq.Term("title", "发票", boost=2.0),
            ],
            boost=0.7,
        ),
        wq.And([wq.Term("body", "退款"), wq.Term("body", "没有这个词")]),
    ],
)
def test_segmented_index_scores_equal_whoosh(seg_searcher, query):
    mine = Evaluator(seg_searcher).scores(query)
    theirs = _whoosh_scores(seg_searcher, query)
    assert mine.keys() == theirs.keys()
    for docnum, score in theirs.items():
        assert mine[docnum] == pytest.approx(score, rel=1e-6)


@pytest.mark.parametrize(("fieldname", "text"), [("body", "退款"), ("body", "快递"), ("tags", "发票")])
def test_postings_over_many_blocks_and_segments(seg_searcher, fieldname, text):
    evaluator = Evaluator(seg_searcher)
    docs, scores = evaluator._term(fieldname, text)
    expected = _live_ids(seg_searcher, fieldname, text)
    assert docs.tolist() == expected and len(scores) == len(docs)
    assert evaluator.docs(fieldname, text).tolist() == expected
    if fieldname == "body" and text == "退款":
        assert len(expected) > 2 * 128


def test_deleted_and_replaced_docs_never_match(segmented, seg_searcher):
    scores = Evaluator(seg_searcher).scores(wq.Term("body", "退款"))
    reader = seg_searcher.reader()
    assert not any(reader.is_deleted(d) for d in scores)
    ids = [reader.stored_fields(d)["doc_id"] for d in scores]
    assert len(ids) == len(set(ids))
    assert "bulk-3@published" not in ids and "bulk-14@published" not in ids
    assert ids.count("bulk-7@published") <= 1


@pytest.mark.parametrize(
    "filters",
    [
        (None, None, None, False),
        (None, None, None, True),
        (["faq"], None, None, False),
        (["faq", "case"], "售后", None, False),
        (None, "售后/退款", "退款", True),
        (None, None, "发票", False),
        (["policy"], "投诉", "差评", False),
    ],
)
def test_filters_equal_whoosh_filter_queries(segmented, seg_searcher, filters):
    query = wq.Or([wq.Term("body", "退款"), wq.Term("title", "发票"), wq.Term("body", "快递")])
    mine = segmented._matches(Evaluator(seg_searcher), query, filters)
    theirs = {d: s for s, d in _ranked(seg_searcher, query, _filter_query(*filters))}
    assert mine.as_dict().keys() == theirs.keys()
    assert mine.as_dict() == pytest.approx(theirs, rel=1e-6)


def test_facet_counts_equal_a_plain_count(segmented, seg_searcher):
    results = segmented.search("退款", limit=10)
    matches = segmented._matches(Evaluator(seg_searcher), _query_of(segmented, "退款"),
                                 (None, None, None, False))
    fields = [seg_searcher.stored_fields(d) for d in matches.docs.tolist()]
    assert results.total == len(fields) > 128
    assert results.facets["type"] == dict(Counter(f["type"] for f in fields))
    assert results.facets["category"] == dict(Counter(f["category_path"] for f in fields))
    assert results.facets["tag"] == dict(Counter(t for f in fields for t in dict.fromkeys(f["tag_list"])))
    counts = list(results.facets["tag"].items())
    assert counts == sorted(counts, key=lambda item: (-item[1], item[0]))


def _query_of(engine, text: str) -> wq.Query:
    from kbsite.search.query import concept_query, plan_query

    synonyms, scanner, _ = engine._phrasing
    plan = plan_query(text, engine._tk, scanner, synonyms)
    clauses = [c for c in (concept_query(engine._tk, x) for x in plan.concepts) if c]
    if len(clauses) == 1:
        return clauses[0]
    return wq.And(clauses) if plan.short else wq.Or(clauses)


@pytest.mark.parametrize(("fieldname", "prefix"), [("body", "退"), ("title", "退"), ("tags", "发")])
def test_prefix_is_the_sum_of_its_terms_on_segments(seg_searcher, fieldname, prefix):
    # Whoosh scores Prefix as a constant 1.0; the engine adds the expanded terms' BM25F scores.
    evaluator = Evaluator(seg_searcher)
    terms = evaluator._expand(fieldname, prefix)
    assert terms
    mine = evaluator.scores(wq.Prefix(fieldname, prefix, boost=1.5))
    spelled = evaluator.scores(wq.Or([wq.Term(fieldname, t) for t in terms], boost=1.5))
    assert mine.keys() == _whoosh_scores(seg_searcher, wq.Prefix(fieldname, prefix)).keys()
    assert mine == pytest.approx(spelled, rel=1e-12)


@pytest.mark.parametrize("n", [None, 0, 1, 3, 5, 8, 20])
def test_best_orders_by_score_then_docnum(n):
    rng = np.random.default_rng(7)
    docs = np.sort(rng.choice(1000, size=12, replace=False)).astype(np.int32)
    scores = rng.choice([0.5, 1.25, 2.0, 3.5], size=12)  # many ties
    expected = sorted(((s, d) for d, s in zip(docs.tolist(), scores.tolist(), strict=True)),
                      key=lambda item: (-item[0], item[1]))
    assert Matches(docs, scores).best(n) == (expected if n is None else expected[:n])


def test_matches_from_pairs_sorts_by_docnum():
    matches = Matches.from_pairs([(9, 1.0), (2, 3.0), (5, 2.0)])
    assert matches.docs.tolist() == [2, 5, 9] and matches.scores.tolist() == [3.0, 2.0, 1.0]
    assert matches.as_dict() == {2: 3.0, 5: 2.0, 9: 1.0}
    assert not Matches.from_pairs([]) and Matches.empty().best() == []


def test_delta_decoding_restarts_each_block():
    blocks = [[3, 4, 7, 20], [21, 22, 40], [41], [50, 51]]
    deltas, starts = [], []
    for block in blocks:
        starts.append(len(deltas))
        deltas.extend(b - a for a, b in zip([0, *block], block, strict=False))
    decoded = whoosh_seam.delta_decoded(deltas, starts)
    assert decoded.tolist() == [d for block in blocks for d in block]


def test_replaced_searchers_are_collected_per_bytes_closed(engine, monkeypatch):
    from kbsite.search import readers as readers_module

    calls = []
    monkeypatch.setattr(readers_module.gc, "collect", lambda *a: calls.append(a) or 0)
    engine.rebuild(CORPUS)
    engine.search("退款")
    monkeypatch.setattr(readers_module, "CLOSED_BYTES_BEFORE_GC", 10**12)
    engine.upsert([D(slug="gc-a", type="faq", category="售后", title="退款甲")])
    assert "gc-a" in slugs(engine.search("退款甲")) and not calls
    monkeypatch.setattr(readers_module, "CLOSED_BYTES_BEFORE_GC", 1)
    engine.upsert([D(slug="gc-b", type="faq", category="售后", title="退款乙")])
    assert "gc-b" in slugs(engine.search("退款乙")) and len(calls) == 1
    assert engine._readers.closed_bytes == 0
