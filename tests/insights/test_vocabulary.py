"""Accepting suggestions: synonym pairs and dictionary words become draft revisions, then review."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kbsite.errors import Invalid
from kbsite.insights.vocabulary import merge_pair


def test_merge_pair_joins_the_group_of_either_word_or_starts_one():
    groups = [["退款", "退钱"], ["快递", "包裹"]]
    assert merge_pair(groups, "钱退哪了", "退款")[0] == ["退款", "退钱", "钱退哪了"]
    assert merge_pair(groups, "包裹", "物流单")[1] == ["快递", "包裹", "物流单"]
    assert merge_pair(groups, "货到没", "到货")[2] == ["到货", "货到没"]
    assert groups == [["退款", "退钱"], ["快递", "包裹"]]  # input untouched
    with pytest.raises(Invalid, match="同一个同义词组"):
        merge_pair(groups, "退錢", "退款")  # folded comparison
    with pytest.raises(Invalid, match="不同的同义词组"):
        merge_pair(groups, "包裹", "退款")
    with pytest.raises(Invalid):
        merge_pair(groups, "退 款", "退款")


def _synonyms(app):
    from sqlalchemy import select

    from kbsite.content.models import Item, Revision
    from kbsite.db import session

    with app.app_context():
        item = session().scalar(select(Item).where(Item.type == "synonyms"))
        revs = session().scalars(select(Revision).where(Revision.item_id == item.id)
                                 .order_by(Revision.number)).all()
        return item, revs


def test_add_to_synonyms_creates_a_draft_revision_for_review(library_app, library_client):
    trainer = library_client("trainer", "tina")
    item, before = _synonyms(library_app)
    resp = trainer.post("/insights/synonyms", data={"source": "钱退哪了", "target": "退款",
                                                    "back": "/insights/gaps"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/items/{item.slug}/history")
    item, after = _synonyms(library_app)
    new = after[-1]
    assert new.number == before[-1].number + 1 and new.state == "draft"
    assert new.author_id == trainer.user.id and "钱退哪了" in new.message
    refund = next(g for g in new.meta["groups"] if "退款" in g)
    assert refund[-1] == "钱退哪了"
    assert item.published_revision_id == before[-1].id  # agents' search unchanged until approved
    assert "草稿第" in trainer.get(resp.headers["Location"]).get_data(as_text=True)

    again = trainer.post("/insights/synonyms", data={"source": "钱退哪了", "target": "退款",
                                                     "back": "/insights/gaps"})
    assert again.headers["Location"].endswith("/insights/gaps")
    assert len(_synonyms(library_app)[1]) == len(after)
    page = trainer.get("/insights/gaps").get_data(as_text=True)
    assert "已在同一个同义词组中" in page


def test_a_second_trainer_approves_the_synonym_draft(library_app, library_client):
    author, reviewer = library_client("trainer", "tina"), library_client("trainer", "rita")
    item, _ = _synonyms(library_app)
    author.post("/insights/synonyms", data={"source": "钱退哪了", "target": "退款"})
    number = _synonyms(library_app)[1][-1].number
    resp = reviewer.post(f"/items/{item.slug}/rev/{number}/approve", data={"comment": "好"})
    assert resp.status_code == 302
    item, revs = _synonyms(library_app)
    assert item.published_revision_id == revs[-1].id


def test_add_word_to_dictionary(library_app, library_client):
    trainer = library_client("trainer", "tina")
    resp = trainer.post("/insights/dictionary", data={"word": "极速到账"})
    assert resp.status_code == 302
    from sqlalchemy import select

    from kbsite.content.models import Item
    from kbsite.db import session

    with library_app.app_context():
        item = session().scalar(select(Item).where(Item.type == "dictionary"))
        assert item.latest.state == "draft" and item.latest.meta["words"][-1] == "极速到账"
        assert item.latest_revision_id != item.published_revision_id
    dup = trainer.post("/insights/dictionary", data={"word": "极速到账", "back": "/insights/gaps"})
    assert dup.headers["Location"].endswith("/insights/gaps")


def test_suggestions_page_hides_pairs_already_in_the_list(library_app, library_client, seed_log):
    trainer = library_client("trainer", "tina")
    from kbsite.db import utcnow

    now = utcnow() - timedelta(minutes=30)
    seed_log([
        (now, trainer.user.id, "钱退哪了", 0, None),
        (now + timedelta(seconds=40), trainer.user.id, "退款进度查询", 3, "refund-time"),
        (now + timedelta(minutes=10), trainer.user.id, "退钱", 0, None),   # already a synonym of 退款
        (now + timedelta(minutes=10, seconds=20), trainer.user.id, "退款", 9, None),
    ], library_app)
    page = trainer.get("/insights/gaps").get_data(as_text=True)
    assert "钱退哪了" in page and "退款进度查询" in page
    assert "退钱</td><td>→" not in page
    assert 'name="word" value="退款进度查询"' in page  # an unknown found term → dictionary suggestion

