"""The fast evaluator: same scores as Whoosh, restrictions, deletions, facets, cache bounds."""

from __future__ import annotations

import pytest
from whoosh import query as wq

from kbsite.search import scoring
from kbsite.search.query import strip_speakers
from kbsite.search.scoring import Evaluator, FacetCache, Unsupported
from kbsite.search.snippets import build_snippet

from .conftest import CORPUS, D, slugs


@pytest.fixture
def searcher(corpus_engine):
    return corpus_engine._current_searcher()


def _whoosh_scores(searcher, query) -> dict[int, float]:
    return {hit.docnum: hit.score for hit in searcher.search(query, limit=None, optimize=False)}


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


def test_term_cache_is_bounded_by_postings(searcher, monkeypatch):
    monkeypatch.setattr(scoring, "MAX_CACHED_BYTES", 3 * scoring.ENTRY_BYTES)
    evaluator = Evaluator(searcher)
    for term in ("退款", "到账", "发票", "快递", "优惠券"):
        evaluator.scores(wq.Term("body", term))
    assert evaluator._cached_postings <= max(3, max(len(v) for v in evaluator._terms.values()))
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
