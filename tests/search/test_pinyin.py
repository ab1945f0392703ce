"""Pinyin and initials: titles, tags and template names found by either, below a direct match."""

from __future__ import annotations

import pytest

from kbsite.search import SearchDoc, SearchEngine
from kbsite.search.analysis import segmenter
from kbsite.search.pinyin import index_keys, query_clause

DOCS = [
    SearchDoc.make(slug="seven-day", type="policy", title="七天无理由退货规则", category="售后/退换货",
                   summary="签收后7天内可申请无理由退货。"),
    SearchDoc.make(slug="refund-time", type="faq", title="退款多久到账", category="售后/退款",
                   summary="原路退回，1-3个工作日到账。"),
    SearchDoc.make(slug="tk-series", type="faq", title="TK 系列耳机说明", category="商品/耳机",
                   summary="TK 系列支持蓝牙 5.3。"),
    SearchDoc.make(slug="after-sales-card", type="template", title="售后说明卡片", category="话术/售后",
                   tags=["退款", "地址"], body="{{客户称呼}}您好，退货地址见卡片。"),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> SearchEngine:
    engine = SearchEngine(tmp_path_factory.mktemp("pinyin"), words=("七天无理由",), synonyms=())
    engine.ensure_index()
    engine.rebuild(DOCS)
    yield engine
    engine.close()


def _slugs(engine, q: str) -> list[str]:
    return [h.slug for h in engine.search(q, limit=10).hits]


def test_keys_of_a_title_and_its_tags():
    keys = index_keys(segmenter(("七天无理由",)), "七天无理由退货规则", ["退款"])
    assert {"qtwly", "qtwlyth", "qitianwuliyou", "tk", "tuikuan", "th", "tuihuo", "qtwlythgz"} <= set(keys)
    assert all(k.isascii() and k.isalpha() for k in keys)


def test_query_clause_only_for_letters():
    assert query_clause("qtwly") is not None and query_clause("TK") is not None
    assert query_clause("退款") is None and query_clause("7天") is None and query_clause("x") is None


@pytest.mark.parametrize("q,slug", [("qtwly", "seven-day"), ("qitianwuliyou", "seven-day"),
                                    ("tkdjdz", "refund-time"), ("tuikuan", "refund-time"),
                                    ("shsmkp", "after-sales-card")])
def test_found_by_initials_and_full_pinyin(engine, q, slug):
    assert _slugs(engine, q)[0] == slug


def test_tags_and_template_names_are_found(engine):
    assert "after-sales-card" in _slugs(engine, "tk")  # by its tag 退款
    assert "after-sales-card" in _slugs(engine, "shuoming")  # the template's name, full pinyin


def test_a_direct_match_ranks_above_pinyin(engine):
    found = _slugs(engine, "tk")
    assert found[0] == "tk-series"  # the letters typed appear in its title
    assert found.index("tk-series") < found.index("refund-time")
    assert _slugs(engine, "退款")[0] == "refund-time"
