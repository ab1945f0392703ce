"""Searches in one process run at the same time; a refresh swaps the searcher atomically.

Not timing-based: a barrier inside query evaluation only opens when two searches are
evaluating at once, so a lock around evaluation makes these tests fail, never flake.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from kbsite.search import scoring

from .conftest import CORPUS, D, slugs

BARRIER_TIMEOUT = 10


@pytest.fixture
def built(engine):
    engine.rebuild(CORPUS)
    return engine


def _gate(monkeypatch, parties: int) -> threading.Barrier:
    """Make each thread's first query evaluation wait until ``parties`` are inside at once.

    Only the first: a search may evaluate more than one reading of its query.
    """
    barrier = threading.Barrier(parties, timeout=BARRIER_TIMEOUT)
    original = scoring.Evaluator.matches
    seen = threading.local()

    def matches(self, query):
        if not getattr(seen, "gated", False):
            seen.gated = True
            barrier.wait()
        return original(self, query)

    monkeypatch.setattr(scoring.Evaluator, "matches", matches)
    return barrier


def test_two_searches_evaluate_at_the_same_time(built, monkeypatch):
    expected = {q: slugs(built.search(q)) for q in ("退款", "发票")}
    _gate(monkeypatch, 2)
    with ThreadPoolExecutor(2) as pool:
        results = dict(zip(expected, pool.map(lambda q: slugs(built.search(q)), expected), strict=True))
    assert results == expected and all(results.values())


def test_eight_threads_search_together_and_agree_with_one(built, monkeypatch):
    queries = ["退款多久到账", "发票", "运费险", "破损", "七天无理由", "退货运费", "开箱视频", "到账"]
    expected = [slugs(built.search(q)) for q in queries]
    _gate(monkeypatch, len(queries))
    with ThreadPoolExecutor(len(queries)) as pool:
        assert list(pool.map(lambda q: slugs(built.search(q)), queries)) == expected


def test_a_refresh_swaps_the_view_while_a_search_still_reads_the_old_one(built, monkeypatch):
    inside, release = threading.Event(), threading.Event()
    original = scoring.Evaluator.matches

    def slow(self, query):
        if threading.current_thread().name == "reader":
            inside.set()
            assert release.wait(BARRIER_TIMEOUT)
        return original(self, query)

    monkeypatch.setattr(scoring.Evaluator, "matches", slow)
    old_view = None
    result: list = []
    reader = threading.Thread(target=lambda: result.append(built.search("退款新品")), name="reader")
    reader.start()
    assert inside.wait(BARRIER_TIMEOUT)
    old_view = built._readers.current
    built.upsert([D(slug="refund-new", type="faq", category="售后/退款", title="退款新品说明")])
    assert "refund-new" in slugs(built.search("退款新品"))  # a new view, opened beside the old
    assert built._readers.current is not old_view and old_view.retired and old_view.users == 1
    release.set()
    reader.join(BARRIER_TIMEOUT)
    assert old_view.users == 0 and "refund-new" not in slugs(result[0])  # read its own snapshot
