"""Owners, review intervals, stale detection, verifying, and the stale list by owner."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from kbsite import clock
from kbsite.audit import AuditEvent
from kbsite.content import health, service
from kbsite.content.models import Item
from kbsite.content.service import Draft
from kbsite.db import session, write_session


def _at(day: date | None) -> datetime | None:
    return datetime.combine(day, datetime.min.time(), UTC) if day else None


def _item(verified: date | None, interval: int, created: date | None = date(2025, 6, 1)) -> Item:
    return Item(slug="x", type="faq", review_interval_days=interval, verified_at=_at(verified),
                created_at=_at(created))


@pytest.mark.parametrize(("verified", "created", "interval", "today", "stale"), [
    (None, date(2026, 1, 1), 90, date(2026, 3, 31), False),      # never verified: due 90 days after creation
    (None, date(2026, 1, 1), 90, date(2026, 4, 1), False),       # ... due today: not yet stale
    (None, date(2026, 1, 1), 90, date(2026, 4, 2), True),        # ... one day past due
    (date(2026, 1, 1), date(2025, 1, 1), 90, date(2026, 3, 31), False),  # due on 2026-04-01
    (date(2026, 1, 1), date(2025, 1, 1), 90, date(2026, 4, 1), False),   # due today: not yet stale
    (date(2026, 1, 1), date(2025, 1, 1), 90, date(2026, 4, 2), True),    # one day past due
    (date(2026, 1, 1), date(2025, 1, 1), 1, date(2026, 1, 3), True),
    (None, None, 90, date(2030, 1, 1), False),                    # not saved yet: no date to be past
])
def test_stale_once_the_interval_since_verification_or_creation_passed(verified, created, interval, today, stale):
    assert health.is_stale(_item(verified, interval, created), today) is stale


def test_due_date_is_verified_or_created_plus_interval():
    assert health.due_date(_item(date(2026, 1, 1), 30)) == date(2026, 1, 31)
    assert health.due_date(_item(None, 30, created=date(2026, 2, 1))) == date(2026, 3, 3)
    assert health.due_date(_item(None, 30, created=None)) is None


def test_ranking_set_follows_the_same_rule_at_local_midnight(app):
    """stale_slugs (database cut-offs) agrees with is_stale, also an instant either side of local midnight."""
    shanghai_midnight = datetime(2026, 1, 1, 16, 0, tzinfo=UTC)  # 2026-01-02 00:00 Asia/Shanghai
    cases = {
        "before-midnight": dict(created_at=shanghai_midnight - timedelta(minutes=1), interval=30),
        "after-midnight": dict(created_at=shanghai_midnight + timedelta(minutes=1), interval=30),
        "verified-late": dict(created_at=datetime(2025, 1, 1, tzinfo=UTC), interval=30,
                              verified_at=shanghai_midnight + timedelta(minutes=1)),
        "verified-early": dict(created_at=datetime(2025, 1, 1, tzinfo=UTC), interval=7,
                               verified_at=shanghai_midnight - timedelta(minutes=1)),
        "long-interval": dict(created_at=datetime(2025, 1, 1, tzinfo=UTC), interval=3650),
    }
    with app.app_context():
        with write_session() as sess:
            for slug, c in cases.items():
                sess.add(Item(slug=slug, type="faq", created_at=c["created_at"], verified_at=c.get("verified_at"),
                              review_interval_days=c["interval"]))
            sess.add(Item(slug="synonyms", type="synonyms", created_at=datetime(2020, 1, 1, tzinfo=UTC)))
        items = list(session().scalars(select(Item).where(Item.type == "faq")))
        for today in (date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 2)):
            expected = {i.slug for i in items if health.is_stale(i, today)}
            assert health.stale_slugs(session(), today) == expected, today
        # created 23:59 local on 1 Jan: due 31 Jan, stale on 1 Feb; a minute later it is a 2 Jan entry
        assert {"before-midnight", "verified-early"} <= health.stale_slugs(session(), date(2026, 2, 1))
        assert "after-midnight" not in health.stale_slugs(session(), date(2026, 2, 1))
        assert "synonyms" not in health.stale_slugs(session(), date(2030, 1, 1))  # config is not content


def _seed(app, alice, bob):
    """Five entries imported long ago: alice owns a stale and a fresh one, bob a stale one, one has no
    owner and was never verified; one entry alice created recently is unverified but not due yet."""
    with app.app_context():
        for slug in ("a-stale", "a-fresh", "b-stale", "nobody", "a-new"):
            service.create_item(slug, "faq", Draft(f"条目{slug}", "售后", [], "正文", {"summary": "简答"}), alice)
        now = datetime(2026, 6, 1, tzinfo=UTC)
        with write_session() as sess:
            items = {i.slug: i for i in sess.scalars(select(Item))}
            for slug, owner in (("a-stale", alice), ("a-fresh", alice), ("b-stale", bob), ("nobody", None)):
                items[slug].owner_id = owner.id if owner else None
                items[slug].created_at = now - timedelta(days=400)
            items["a-new"].created_at = now - timedelta(days=30)
            items["a-stale"].verified_at = now - timedelta(days=200)
            items["a-fresh"].verified_at = now - timedelta(days=10)
            items["b-stale"].verified_at = now - timedelta(days=91)


def test_stale_entries_grouped_by_owner(app, make_user):
    alice, bob = make_user("trainer", "alice"), make_user("trainer", "bob")
    _seed(app, alice, bob)
    with app.app_context():
        entries = health.stale_entries(date(2026, 6, 1))
        assert sorted(e.item.slug for e in entries) == ["a-stale", "b-stale", "nobody"]
        groups = [(o.username if o else None, [e.item.slug for e in es]) for o, es in health.by_owner(entries)]
        assert groups == [("alice", ["a-stale"]), ("bob", ["b-stale"]), (None, ["nobody"])]
        assert [e.item.slug for e in entries] == ["nobody", "a-stale", "b-stale"]  # most overdue first
        assert entries[0].due == date(2026, 6, 1) - timedelta(days=400 - 90)


def test_stale_page_one_click_from_home_and_verify_clears_it(app, as_role):
    alice = as_role("trainer", "alice")
    bob = as_role("trainer", "bob")
    _seed(app, alice.user, bob.user)
    app.config["TODAY"] = "2026-06-01"
    home = alice.get("/").get_data(as_text=True)
    assert "待复核条目 <strong>3</strong> 条" in home and "我负责的 1 条" in home
    page = alice.get("/review/stale").get_data(as_text=True)
    assert "条目a-stale" in page and "条目b-stale" in page and "未指定负责人" in page
    assert "条目a-fresh" not in page and "条目a-new" not in page and "从未核实" in page
    mine = alice.get("/review/stale?mine=1").get_data(as_text=True)
    assert "条目a-stale" in mine and "条目b-stale" not in mine
    resp = alice.post("/review/items/a-stale/verify", data={"back": "/review/stale"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/review/stale"
    app.config["TODAY"] = None
    assert "条目a-stale" not in alice.get("/review/stale").get_data(as_text=True)
    with app.app_context():
        item = service.get_item("a-stale")
        assert item.verified_by.username == "alice"
        ev = session().scalar(select(AuditEvent).where(AuditEvent.action == "item.verify"))
        assert ev.target == "item:a-stale" and ev.actor.username == "alice"


def test_agents_see_who_verified_and_cannot_verify(app, as_role):
    alice, amy = as_role("trainer", "alice"), as_role("agent", "amy")
    with app.app_context():
        service.create_item("gift", "faq", Draft("能包装吗", "售前", [], "可以", {"summary": "可以"}), alice.user)
        service.approve("gift", 1, as_role("admin", "boss").user)
    assert "核实" not in amy.get("/items/gift").get_data(as_text=True).split("entry-head")[1].split("</header>")[0]
    assert amy.post("/review/items/gift/verify").status_code == 403
    alice.post("/review/items/gift/verify")
    page = amy.get("/items/gift").get_data(as_text=True)
    with app.app_context():
        today = clock.today().isoformat()  # the team's date, not the host's UTC date
    assert f"✔ 由 alice 于 {today} 核实" in page
    assert "标记为已核实" not in page and 'id="health"' not in page and "复核周期" not in page


def test_owner_and_interval_are_editable_and_audited(app, as_role):
    alice, bob = as_role("trainer", "alice"), as_role("trainer", "bob")
    amy = as_role("agent", "amy")
    with app.app_context():
        service.create_item("gift", "faq", Draft("能包装吗", "售前", [], "可以", {"summary": "可以"}), alice.user)
        assert service.get_item("gift").review_interval_days == 90  # faq default
    page = bob.get("/items/gift").get_data(as_text=True)
    assert "负责人：<strong>alice</strong>" in page and "标记为已核实" in page and "从未核实" in page
    assert bob.post("/review/items/gift/owner", data={"owner": "bob", "interval": "30"}).status_code == 302
    assert bob.post("/review/items/gift/owner", data={"owner": "amy", "interval": "30"}).status_code == 400
    assert bob.post("/review/items/gift/owner", data={"owner": "bob", "interval": "0"}).status_code == 400
    assert amy.post("/review/items/gift/owner", data={"owner": "amy", "interval": "5"}).status_code == 403
    with app.app_context():
        item = service.get_item("gift")
        assert item.owner.username == "bob" and item.review_interval_days == 30
        actions = [e.action for e in session().scalars(select(AuditEvent).where(AuditEvent.target == "item:gift"))]
        assert "item.owner" in actions and "item.interval" in actions
    history = bob.get("/items/gift/history").get_data(as_text=True)
    assert "更换负责人" in history and "修改复核周期" in history
