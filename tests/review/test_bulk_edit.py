"""Bulk re-tag and move: each entry gets an ordinary revision; a conflict on one loses no others."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kbsite.audit import AuditEvent
from kbsite.content import bulk, service
from kbsite.content.service import Draft
from kbsite.db import session
from kbsite.errors import Invalid


def _faq(title, tags=("退款",), category="售后/退款"):
    return Draft(title, category, list(tags), f"{title}的正文", {"summary": "简答"})


@pytest.fixture
def seeded(app, make_user):
    alice = make_user("trainer", "alice")
    boss = make_user("admin", "boss")
    with app.app_context():
        for slug, title in (("one", "退款一"), ("two", "退款二"), ("three", "退款三")):
            service.create_item(slug, "faq", _faq(title), alice)
            service.approve(slug, 1, boss)
    return alice


def test_apply_operation_is_pure():
    d = _faq("x", tags=("退款", "运费"))
    assert bulk.apply_operation(d, "add_tag", "售后").tags == ["退款", "运费", "售后"]
    assert bulk.apply_operation(d, "add_tag", "退款").tags == ["退款", "运费"]
    assert bulk.apply_operation(d, "remove_tag", "运费").tags == ["退款"]
    assert bulk.apply_operation(d, "move", "售后/退换货/").category == "售后/退换货"
    assert d.tags == ["退款", "运费"] and d.category == "售后/退款"
    with pytest.raises(Invalid):
        bulk.apply_operation(d, "delete", "x")


def test_bulk_retag_makes_one_pending_revision_each_and_agents_keep_the_published(app, seeded):
    with app.app_context():
        report = bulk.bulk_edit({"one": 1, "two": 1}, "add_tag", "加急", seeded)
        assert sorted(report.saved) == [("one", 2), ("two", 2)] and not report.conflicts
        for slug in ("one", "two"):
            item = service.get_item(slug)
            assert item.latest.tags == ["退款", "加急"] and item.latest.state == "pending"
            assert item.latest.message == "批量添加标签：加急" and item.latest.author.username == "alice"
            assert service.agent_revision(item).number == 1
        assert service.get_item("three").latest.number == 1
        saves = session().scalars(select(AuditEvent).where(AuditEvent.action == "item.save")).all()
        assert sorted(e.target for e in saves) == ["item:one", "item:two"]


def test_a_conflict_on_one_entry_is_reported_and_the_others_are_saved(app, seeded, make_user):
    bob = make_user("trainer", "bob")
    with app.app_context():
        service.save_revision("two", _faq("退款二（bob 改）"), 1, bob, "bob 的修改")
        report = bulk.bulk_edit({"one": 1, "two": 1, "three": 1}, "move", "售后/退换货", seeded,
                                "归入退换货", submit=False)
        assert report.conflicts == [("two", 2)]
        assert sorted(s for s, _ in report.saved) == ["one", "three"]
        assert service.get_item("two").latest.title == "退款二（bob 改）"  # bob's change is intact
        assert service.get_item("two").latest.category == "售后/退款"
        one = service.get_item("one").latest
        assert one.category == "售后/退换货" and one.state == "draft" and one.message == "归入退换货"


def test_unchanged_entries_make_no_revision(app, seeded):
    with app.app_context():
        report = bulk.bulk_edit({"one": 1}, "remove_tag", "不存在的标签", seeded)
        assert report.unchanged == ["one"] and not report.saved
        assert service.get_item("one").latest.number == 1


def test_bulk_page_selects_by_filter_and_reports(app, seeded, as_role):
    trainer = as_role("trainer", "tina")
    page = trainer.get("/review/bulk?category=售后/退款").get_data(as_text=True)
    assert "退款一" in page and 'name="base-one" value="1"' in page
    resp = trainer.post("/review/bulk", data={"slug": ["one", "three"], "base-one": "1", "base-three": "0",
                                             "op": "add_tag", "value": "新标签", "submit": "1"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "已保存 1 条" in page and "冲突 1 条" in page
    assert "three" in page.split("bulk-conflict")[1]
    with app.app_context():
        assert service.get_item("one").latest.tags == ["退款", "新标签"]
    assert trainer.post("/review/bulk", data={"op": "add_tag", "value": "x"}).status_code == 200
    assert as_role("agent").post("/review/bulk", data={"slug": ["one"], "base-one": "1", "op": "add_tag",
                                                         "value": "x"}).status_code == 403
