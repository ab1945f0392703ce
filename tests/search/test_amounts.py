"""Amounts (两份, 三十块, 半个月) and pointers (这瓶, 那张) are not topics: they rank, never decide."""

from __future__ import annotations

from kbsite.search.query import plan_query

from .conftest import slugs


def _concepts(engine, text: str) -> dict[str, bool]:
    plan = plan_query(text, engine._tk, engine._scanner, engine._synonyms)
    return {c.text: c.soft for c in plan.concepts}


def test_amounts_and_pointers_are_soft(corpus_engine):
    concepts = _concepts(corpus_engine, "买了两份这瓶能退吗")
    assert concepts["两份"] is True and concepts["这瓶"] is True
    assert _concepts(corpus_engine, "便宜了三十块能退差价吗")["三十块"] is True


def test_the_unit_of_an_amount_stays_with_it(corpus_engine):
    concepts = _concepts(corpus_engine, "等了半个月了还能退不")
    assert "月" not in concepts and concepts.get("半个月") is True
    assert concepts["退"] is False  # the only word that names something is required


def test_a_question_about_how_long_is_a_topic(corpus_engine):
    assert _concepts(corpus_engine, "发货要几天")["几天"] is False


def test_an_amount_no_entry_holds_does_not_make_a_plain_question_uncertain(corpus_engine):
    results = corpus_engine.search("退款等了三十多天还没到账")
    assert slugs(results)[0] == "refund-arrival"
    assert results.confidence == "high"
