"""Ranking by meaning beside words (dense.py): customers' words no entry and no synonym group holds."""

from __future__ import annotations

import numpy as np
import pytest

from kbsite.search import SearchDoc, SearchEngine, dense
from kbsite.search.scoring import Matches

from .conftest import slugs

D = SearchDoc.make

# No synonym groups and no dictionary: only the words of the entries themselves.
LIBRARY = [
    D(slug="no-power", type="faq", category="售后/故障", title="手机无法开机怎么办？", tags=["开不了机", "故障"],
      summary="先充电半小时再长按电源键，仍不行可申请售后检测。", body="电量耗尽时屏幕不亮属正常。"),
    D(slug="size-swap", type="faq", category="售后/换货", title="尺码不合适可以换吗？", tags=["换货", "尺码"],
      summary="签收7天内吊牌完好可换其他尺码。", body="在订单页申请换货。"),
    D(slug="invoice", type="faq", category="售中/发票", title="怎么申请发票？", tags=["发票"],
      summary="在订单页申请电子发票。", body="抬头可以是个人或公司。"),
    D(slug="late-parcel", type="faq", category="物流/延误", title="快递一直不更新怎么办？", tags=["物流", "延误"],
      summary="超过72小时不更新可催件或登记理赔。", body="先查询物流单号。"),
    D(slug="reply-sorry", type="template", category="话术/致歉补偿", title="致歉：发错商品", tags=["发错", "致歉"],
      summary="为发错商品道歉并安排补发。", body="{{客户称呼}}，非常抱歉给您发错了商品。"),
]

IN_OTHER_WORDS = [
    ("屏幕黑着按了没反应", "no-power"),
    ("裤腰太紧穿不上", "size-swap"),
    ("包裹好几天没动静", "late-parcel"),
    ("报销要的票据", "invoice"),
]


def _engine(tmp_path, semantic: bool) -> SearchEngine:
    engine = SearchEngine(tmp_path / ("meaning" if semantic else "words"), semantic=semantic)
    engine.ensure_index()
    engine.upsert(LIBRARY)
    return engine


@pytest.fixture
def by_meaning(tmp_path) -> SearchEngine:
    return _engine(tmp_path, semantic=True)


@pytest.mark.parametrize(("query", "expected"), IN_OTHER_WORDS)
def test_a_question_in_other_words_finds_its_entry_first(by_meaning, query, expected):
    found = by_meaning.search(query)
    assert slugs(found)[0] == expected
    # Found by meaning, not by its words: shown, but never as a plain answer.
    assert found.confidence != "high" and found.suggestion is None


def test_words_alone_find_nothing_for_some_of_them(tmp_path):
    words_only = _engine(tmp_path, semantic=False)
    for query in ("裤腰太紧穿不上", "包裹好几天没动静"):  # not a word, nor a telling character, in common
        assert words_only.search(query).hits == []


def test_a_confident_answer_by_words_keeps_the_words_order(by_meaning, tmp_path):
    words_only = _engine(tmp_path, semantic=False)
    for query in ("发票怎么申请", "尺码不合适换货"):
        found = by_meaning.search(query)
        assert found.confidence == "high"
        assert slugs(found) == slugs(words_only.search(query))


def test_filters_hold_for_entries_found_by_meaning(by_meaning):
    found = by_meaning.search("屏幕黑着按了没反应", types=["template"])
    assert set(slugs(found)) <= {"reply-sorry"}
    assert set(slugs(by_meaning.search("屏幕黑着按了没反应", category="售中"))) <= {"invoice"}


def test_a_deleted_entry_is_not_found_by_meaning(by_meaning):
    by_meaning.delete(["no-power@published"])
    assert "no-power" not in slugs(by_meaning.search("屏幕黑着按了没反应"))


def test_an_entry_saved_again_is_found_by_its_new_meaning(by_meaning):
    moved = D(slug="no-power", type="faq", category="售后/故障", title="耳机只有一边有声音", tags=["耳机"],
              summary="检查插头是否插到底，蓝牙耳机请重新配对。", body="")
    by_meaning.upsert([moved])
    assert slugs(by_meaning.search("左耳听不到"))[0] == "no-power"


def test_fusion_puts_what_both_rankings_agree_on_first_and_lists_each_entry_once():
    words = Matches(np.array([1, 2, 3], dtype=np.int32), np.array([3.0, 2.0, 1.0]))
    fused = dense.fuse(words, np.array([3, 7]))
    ranked = [doc for _, doc in fused.best()]
    assert ranked[0] == 3  # third by words, first by meaning
    assert sorted(ranked) == [1, 2, 3, 7]
    assert dense.fuse(words, np.array([], dtype=np.int64)) is words


def test_the_index_stores_one_vector_per_entry_and_none_when_meaning_is_off(by_meaning, tmp_path):
    words_only = _engine(tmp_path, semantic=False)
    with by_meaning._readers.reading() as view:
        vectors = by_meaning._vector_cache.matrix(by_meaning._evaluator(view).leaves)
    assert vectors.shape[0] >= len(LIBRARY) and np.count_nonzero(np.abs(vectors).sum(axis=1)) == len(LIBRARY)
    with words_only._readers.reading() as view:
        assert not words_only._vector_cache.matrix(words_only._evaluator(view).leaves).any()


def test_a_rebuild_embeds_only_texts_it_has_not_seen(by_meaning, monkeypatch):
    from kbsite import embeddings

    calls: list[int] = []
    real = embeddings.passages
    monkeypatch.setattr(embeddings, "passages", lambda texts: calls.append(len(texts)) or real(texts))
    by_meaning.rebuild(LIBRARY)  # an upgrade or `kbsite reindex --full`: nothing new to embed
    assert calls == []
    changed = D(slug="invoice", type="faq", category="售中/发票", title="怎么开增值税专用发票？", tags=["发票"],
                summary="企业可在订单页申请专票。", body="")
    by_meaning.rebuild([*LIBRARY[:2], changed, *LIBRARY[3:]])
    assert calls == [1]
    assert slugs(by_meaning.search("报销要的票据"))[0] == "invoice"


def test_the_vector_store_forgets_texts_a_full_rebuild_no_longer_holds(by_meaning):
    import sqlite3

    by_meaning.rebuild(LIBRARY[:2])
    with sqlite3.connect(by_meaning.index_dir / dense.STORE_FILE) as db:
        assert db.execute("SELECT count(*) FROM vectors").fetchone()[0] == 2
