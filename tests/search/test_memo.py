"""Search answers remembered per index state: repeated as-you-type prefixes cost one analysis,
and nothing remembered outlives the index state or synonym set it was computed on."""

from __future__ import annotations

import threading

import pytest

from kbsite.search import SearchDoc, SearchEngine

from .conftest import CORPUS, SYNONYMS, WORDS, slugs


@pytest.fixture
def engine(tmp_path) -> SearchEngine:
    """An engine of its own over the shared corpus (these tests write to it)."""
    engine = SearchEngine(tmp_path / "ix", words=WORDS, synonyms=SYNONYMS)
    engine.ensure_index()
    engine.rebuild(CORPUS)
    return engine


def _memo(engine):
    return engine._readers.current.memo  # the current view's


def test_the_same_search_is_answered_once_per_index_state(engine):
    first = engine.search("退款多久到账", limit=5)
    memo = _memo(engine)
    hits, misses = memo.hits, memo.misses
    again = engine.search("退款多久到账", limit=5)
    assert (memo.hits, memo.misses) == (hits + 1, misses)
    assert again == first
    engine.search("退款多久到账", limit=3)  # another page size is another answer
    engine.search("退款多久到账", limit=5, types=["policy"])  # and other filters
    assert memo.misses == misses + 2


def test_a_caller_changing_its_results_never_changes_the_next_answer(engine):
    res = engine.search("退款")
    expected = engine.search("退款")
    res.hits.reverse()
    res.hits[-1].tags.append("改过")
    res.hits[-1].title = "改过"
    res.facets["type"]["faq"] = 999
    assert engine.search("退款") == expected


def test_a_write_is_seen_by_the_next_search(engine):
    assert "rain-boots" not in slugs(engine.search("雨靴"))
    engine.upsert([SearchDoc.make(slug="rain-boots", type="faq", category="商品/鞋", tags=["雨靴"],
                                  title="雨靴尺码怎么选", summary="雨靴偏大半码。", body="雨靴尺码说明。")])
    assert slugs(engine.search("雨靴"))[0] == "rain-boots"
    engine.delete(["rain-boots@published"])
    assert "rain-boots" not in slugs(engine.search("雨靴"))


def test_new_synonyms_are_not_answered_from_the_old_ones(engine):
    assert slugs(engine.search("雪糕")) == []
    engine.set_synonyms([*SYNONYMS, ["雪糕", "退款"]])
    assert "refund-arrival" in slugs(engine.search("雪糕"))


def test_the_memo_is_bounded_and_shared_by_threads(engine):
    from kbsite.search.readers import Memo

    memo = Memo(size=3)
    for n in range(5):
        assert memo.get(n, lambda n=n: n * 10) == n * 10
    assert memo.get(4, lambda: "again") == 40 and memo.get(0, lambda: "again") == "again"
    assert len(memo._items) == 3

    answers = []
    barrier = threading.Barrier(8)

    def search() -> None:
        barrier.wait()
        answers.append(slugs(engine.search("运费险怎么赔")))

    threads = [threading.Thread(target=search) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 8 and all(a == answers[0] for a in answers) and answers[0]


def test_long_pasted_text_is_not_remembered(engine):
    engine.search("退款")
    memo = _memo(engine)
    size = len(memo._items)
    pasted = "顾客：你好，我的退款怎么还没到账？" * 20
    engine.search(pasted)
    assert len(memo._items) == size
