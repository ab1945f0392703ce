"""Fast rebuilds: cached run analysis, the bulk writer, and the per-process tokenizer cache."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from kbsite.search import SearchDoc, SearchEngine, store
from kbsite.search.analysis import (
    TermCutter,
    clean_text,
    index_terms,
    normalise_words,
    segmenter,
    term_cutter,
)

from .conftest import CORPUS, WORDS

TEXTS = [
    "七天无理由退货怎么申请？签收后7天内可以申请。",
    "運費險理賠說明：買家退貨時運費險自動理賠",
    "VIP客户P0工单，DSR评分低于4.8要升级；iPhone 15 Pro保修30天",
    "亲～在吗？？我的包裹🙂三天了还没到！！！ 快递单号SF1234567890",
    "退款\u200b多久\t到账\n顾客：钱呢\r\n客服：稍等",
    "",
    "a-b_c.d+e#f&g%h 100% 满300减50",
]


def _docs(count: int) -> list[SearchDoc]:
    """The shared corpus plus generated docs whose common terms span several posting blocks."""
    extra = [
        SearchDoc.make(
            slug=f"gen-{n}",
            type="faq" if n % 3 else "policy",
            category="售后/退款" if n % 2 else "物流/配送",
            tags=["退款", f"标签{n % 7}"],
            title=f"退款问题第{n}条：极速退款多久到账",
            summary="退款审核通过后原路退回。" if n % 4 else "",
            body="顾客申请退款后，客服核对订单状态。" * (1 + n % 5) + f"编号{n}，运费险{n % 9}元。",
            version=n,
        )
        for n in range(count)
    ]
    return [*CORPUS, *extra]


def _dump(gen_dir) -> dict:
    """Everything a reader can see of an index: terms, postings, term stats, lengths, stored."""
    ix = store.open_generation(gen_dir)
    out: dict = {}
    with ix.reader() as reader:
        for fieldname in sorted(ix.schema.names()):
            if not ix.schema[fieldname].indexed or fieldname == "version":
                continue
            for term, info in reader.iter_field(fieldname):
                matcher = reader.postings(fieldname, term)
                postings = []
                while matcher.is_active():
                    postings.append((matcher.id(), matcher.weight(), matcher.value()))
                    matcher.next()
                stats = (info.doc_frequency(), info.weight(), info.min_length(),
                         info.max_length(), info.max_weight())
                out[(fieldname, term)] = (stats, postings)
            if ix.schema[fieldname].scorable:
                out[("length", fieldname)] = [reader.doc_field_length(d, fieldname)
                                              for d in range(reader.doc_count_all())]
        out["stored"] = list(reader.all_stored_fields())
    return out


def test_run_cache_gives_exactly_the_uncached_terms():
    tk = segmenter(normalise_words(WORDS))
    cached, uncached = TermCutter(tk), TermCutter(tk, cache_size=0)
    for text in TEXTS * 2:
        folded = clean_text(text)
        expected = Counter(index_terms(tk, folded))
        assert cached.counts(folded) == expected, text
        assert uncached.counts(folded) == expected, text


def test_bulk_writer_writes_the_same_index_as_whoosh(tmp_path):
    engine = SearchEngine(tmp_path / "a", words=WORDS)
    docs = _docs(160)
    schema = store.make_schema(engine.words)
    plain = store.new_generation(tmp_path / "b", schema, engine.analyzer_version)
    bulk = store.new_generation(tmp_path / "c", schema, engine.analyzer_version)
    writer = store.open_generation(plain).writer()
    for doc in docs:
        writer.add_document(**engine._fields(doc))
    writer.commit()
    writer = store.BulkWriter(store.open_generation(bulk), limitmb=0)  # spills runs to disk
    for doc in docs:
        writer.add_document(**engine._fields(doc))
    writer.commit()
    expected, got = _dump(plain), _dump(bulk)
    assert len(expected[("body", "退款".encode())][1]) > 128  # several posting blocks
    assert got == expected


def test_rebuilt_index_finds_what_upserts_find(tmp_path):
    rebuilt = SearchEngine(tmp_path / "r", words=WORDS)
    rebuilt.rebuild(_docs(50))
    upserted = SearchEngine(tmp_path / "u", words=WORDS)
    upserted.ensure_index()
    upserted.upsert(_docs(50))
    for q in ["极速退款", "運費險", "七天无理由", "编号17", "退宽"]:
        a, b = rebuilt.search(q, limit=20), upserted.search(q, limit=20)
        assert [(h.slug, round(h.score, 6)) for h in a.hits] == [
            (h.slug, round(h.score, 6)) for h in b.hits
        ], q
        assert a.total == b.total > 0


def test_second_engine_with_the_same_words_reuses_the_tokenizer(tmp_path):
    words = [*WORDS, "缓存测试专用词"]
    first = SearchEngine(tmp_path / "one", words=words)
    started = time.perf_counter()
    second = SearchEngine(tmp_path / "two", words=list(reversed(words)) + [words[0]])
    assert time.perf_counter() - started < 0.5
    assert second._tk is first._tk
    assert term_cutter(second.words) is term_cutter(first.words)
    assert SearchEngine(tmp_path / "three", words=WORDS)._tk is not first._tk


def test_tokenizer_cache_is_shared_across_threads():
    words = normalise_words([*WORDS, "线程共享词"])
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(lambda _n: (segmenter(words), term_cutter(words)), range(8)))
    assert len({id(tk) for tk, _c in found}) == 1
    assert len({id(c) for _tk, c in found}) == 1
    assert "线程共享词" in list(found[0][0].cut("这是线程共享词吗"))
