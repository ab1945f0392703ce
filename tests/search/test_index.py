"""Index lifecycle: upsert/delete, reconcile versions, rebuild swap, damage, concurrency."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path

import pytest

from kbsite.search import SearchDoc, SearchEngine, SearchIndexError
from kbsite.search.store import current_generation

from .conftest import CORPUS, SYNONYMS, WORDS, slugs


def _doc(n: int, version: int = 1, status: str = "published") -> SearchDoc:
    return SearchDoc.make(
        slug=f"item-{n}",
        status=status,
        type="faq",
        category="售后/退款",
        tags=["退款"],
        title=f"退款问题{n}",
        summary="退款说明",
        body="正文",
        version=version,
    )


def test_new_index_is_created_and_reported(tmp_path):
    engine = SearchEngine(tmp_path / "ix", words=WORDS)
    assert engine.ensure_index() is False
    assert engine.ensure_index() is True
    assert engine.indexed_versions() == {}


def test_upsert_delete_and_versions(engine):
    engine.upsert([_doc(1), _doc(2), _doc(2, status="draft", version=5)])
    assert engine.indexed_versions() == {
        "item-1@published": 1,
        "item-2@published": 1,
        "item-2@draft": 5,
    }
    engine.upsert([_doc(1, version=3)])
    assert engine.indexed_versions()["item-1@published"] == 3
    assert engine.search("退款").total == 2
    engine.delete(["item-1@published", "no-such@published"])
    assert set(engine.indexed_versions()) == {"item-2@published", "item-2@draft"}
    assert slugs(engine.search("退款")) == ["item-2"]


def test_search_sees_writes_from_another_engine(engine):
    other = SearchEngine(engine.index_dir, words=WORDS)
    assert engine.search("退款").total == 0
    other.upsert([_doc(7)])
    assert slugs(engine.search("退款")) == ["item-7"]


def test_failed_upsert_is_cancelled_and_releases_the_lock(engine):
    def broken():
        yield _doc(1)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        engine.upsert(broken())
    engine.upsert([_doc(2)])  # the lock was released
    assert set(engine.indexed_versions()) == {"item-2@published"}


def test_rebuild_swaps_atomically(engine):
    engine.upsert([_doc(1)])
    old_gen = current_generation(engine.index_dir)
    assert engine.search("退款").total == 1
    seen: list[int] = []
    engine.rebuild(CORPUS, total=len(CORPUS), progress=seen.append)
    assert current_generation(engine.index_dir) != old_gen
    assert seen and seen[-1] == len(CORPUS)
    assert "item-1@published" not in engine.indexed_versions()
    assert slugs(engine.search("七天无理由"))[0] == "seven-day-return"


def test_failed_rebuild_keeps_the_old_index(engine):
    engine.upsert([_doc(1)])

    def broken():
        yield _doc(2)
        raise RuntimeError("db went away")

    with pytest.raises(RuntimeError):
        engine.rebuild(broken())
    assert set(engine.indexed_versions()) == {"item-1@published"}
    assert len(list(engine.index_dir.glob("gen-*"))) == 1


def test_deleted_index_directory_is_detected(engine):
    engine.upsert([_doc(1)])
    shutil.rmtree(engine.index_dir)
    with pytest.raises(SearchIndexError):
        engine.search("退款")
    assert engine.ensure_index() is False
    assert engine.indexed_versions() == {}


def test_truncated_segment_is_detected(engine):
    engine.upsert([_doc(n) for n in range(30)])
    engine.close()
    gen = current_generation(engine.index_dir)
    segment = max(gen.glob("*.seg"), key=lambda p: p.stat().st_size)
    with open(segment, "r+b") as fh:
        fh.truncate(segment.stat().st_size // 2)
    assert engine.ensure_index() is False
    assert engine.indexed_versions() == {}


def test_missing_toc_is_detected(engine):
    engine.upsert([_doc(1)])
    for toc in current_generation(engine.index_dir).glob("*.toc"):
        toc.unlink()
    assert engine.ensure_index() is False


def test_changed_dictionary_requires_rebuild(engine):
    engine.upsert([_doc(1)])
    other = SearchEngine(engine.index_dir, words=[*WORDS, "新词语"])
    assert other.analyzer_version != engine.analyzer_version
    assert other.ensure_index() is False


def _writer_process(index_dir: str, start: int, count: int) -> None:
    engine = SearchEngine(Path(index_dir), words=WORDS, synonyms=SYNONYMS)
    for n in range(start, start + count):
        engine.upsert([_doc(n)])


def test_two_processes_upserting_lose_nothing(engine):
    engine.upsert([_doc(0)])
    ctx = multiprocessing.get_context("fork")
    procs = [
        ctx.Process(target=_writer_process, args=(str(engine.index_dir), s, 25))
        for s in (1000, 2000)
    ]
    for proc in procs:
        proc.start()
    for _ in range(20):  # read while they write
        engine.search("退款")
    for proc in procs:
        proc.join(60)
    assert [proc.exitcode for proc in procs] == [0, 0]
    versions = engine.indexed_versions()
    expected = {f"item-{n}@published" for s in (1000, 2000) for n in range(s, s + 25)}
    assert expected | {"item-0@published"} == set(versions)


def test_threads_share_one_engine(engine):
    from concurrent.futures import ThreadPoolExecutor

    engine.upsert([_doc(n) for n in range(5)])

    def work(n: int) -> int:
        if n % 5 == 0:
            engine.upsert([_doc(100 + n)])
        return engine.search("退款").total

    with ThreadPoolExecutor(8) as pool:
        totals = list(pool.map(work, range(40)))
    assert min(totals) >= 5
    assert engine.search("退款").total == 13
    assert os.path.isdir(engine.index_dir)


def _segment_ids(engine) -> list[str]:
    from kbsite.search.store import open_generation

    return [s.segment_id() for s in open_generation(current_generation(engine.index_dir))._segments()]


def test_single_document_commits_merge_by_tier_and_leave_the_big_segment_alone(engine):
    from kbsite.search.store import MERGE_FACTOR

    engine.rebuild([_doc(n) for n in range(200)], total=200)
    big = _segment_ids(engine)
    assert len(big) == 1
    counts = []
    for n in range(60):  # saves of single entries: each commit adds one small segment
        engine.upsert([_doc(n % 30, version=n + 2)])
        segments = _segment_ids(engine)
        counts.append(len(segments))
        assert big[0] in segments  # never rewritten by a small commit (Whoosh's default did, ~1 s)
    # at most MERGE_FACTOR - 1 segments per tier below the big one (tiers 0..2 here), plus it
    assert max(counts) <= 1 + 3 * (MERGE_FACTOR - 1)
    assert counts[MERGE_FACTOR] < counts[MERGE_FACTOR - 1]  # the full tier was merged into one
    versions = engine.indexed_versions()
    assert len(versions) == 200
    for n in range(200):  # every entry once, at its newest version
        assert versions[f"item-{n}@published"] == (n + 32 if n < 30 else 1)
    found = engine.search("退款", limit=100)
    assert found.total == 200
    assert len({h.slug for h in found.hits}) == 100  # no entry shows twice


def test_a_segment_whose_documents_are_all_deleted_is_dropped(engine):
    engine.upsert([_doc(1)])
    engine.upsert([_doc(2)])
    before = len(_segment_ids(engine))
    engine.delete(["item-1@published"])
    engine.upsert([_doc(3)])  # the next commit drops the empty segment
    assert len(_segment_ids(engine)) == before
    assert sorted(engine.indexed_versions()) == ["item-2@published", "item-3@published"]
