"""Demotion (entries past review) applied by the engine to every match before a page is taken."""

from __future__ import annotations

from kbsite.search import Demotion, SearchDoc

from .conftest import slugs


def _docs(n: int) -> list[SearchDoc]:
    """``n`` refund entries; a lower number is a closer match (the query's words more often)."""
    return [SearchDoc.make(slug=f"refund-{i}", type="faq", title=f"退款到账时间说明{i}", category="售后/退款",
                           summary="退款到账时间。" * (n - i), body="退款到账" * (n - i))
            for i in range(n)]


def test_demoted_entries_rank_below_on_every_page(engine):
    engine.rebuild(_docs(6))
    plain = slugs(engine.search("退款到账", limit=6))
    assert plain == [f"refund-{i}" for i in range(6)]
    demote = Demotion(frozenset({"refund-0", "refund-1"}), 0.01)
    whole = engine.search("退款到账", limit=6, demote=demote)
    assert slugs(whole)[-2:] == ["refund-0", "refund-1"]
    paged = [h.slug for n in range(6) for h in engine.search("退款到账", limit=1, offset=n, demote=demote).hits]
    assert paged == slugs(whole)  # one order across pages: no entry twice, none skipped
    assert whole.total == 6 and whole.facets == engine.search("退款到账", limit=6).facets


def test_a_new_set_or_index_is_picked_up(engine):
    engine.rebuild(_docs(3))
    assert slugs(engine.search("退款到账", demote=Demotion(frozenset({"refund-0"}), 0.01)))[-1] == "refund-0"
    assert slugs(engine.search("退款到账", demote=Demotion(frozenset({"refund-1"}), 0.01)))[-1] == "refund-1"
    engine.upsert([SearchDoc.make(slug="refund-new", type="faq", title="退款到账时间说明新", category="售后/退款",
                                  summary="退款到账时间。" * 9, body="退款到账" * 9)])  # a second segment
    demote = Demotion(frozenset({"refund-new"}), 0.01)
    assert slugs(engine.search("退款到账"))[0] == "refund-new"
    assert slugs(engine.search("退款到账", demote=demote))[-1] == "refund-new"
    assert slugs(engine.search("退款到账", demote=Demotion(frozenset(), 0.01)))[0] == "refund-new"
    assert slugs(engine.search("退款到账", include_drafts=True, demote=demote))[-1] == "refund-new"
