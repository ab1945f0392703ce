"""Agents report problems on entries; owners and trainers see them and close them with a note."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kbsite.audit import AuditEvent
from kbsite.content import service
from kbsite.content.models import Item
from kbsite.content.service import Draft
from kbsite.db import session, write_session
from kbsite.review.feedback import Feedback


@pytest.fixture
def people(app, as_role):
    return {"alice": as_role("trainer", "alice"), "bob": as_role("trainer", "bob"),
            "amy": as_role("agent", "amy")}


@pytest.fixture
def entries(app, people):
    """Two published FAQ entries: alice owns the first, bob the second."""
    with app.app_context():
        for slug, owner in (("size-exchange", "alice"), ("refund-time", "bob")):
            service.create_item(slug, "faq", Draft(f"标题 {slug}", "售后/退换货", ["换货"], "正文。",
                                                   {"summary": "简答。"}), people["alice"].user, "新建",
                                submit=True)
            service.approve(slug, 1, people["bob"].user)
            with write_session() as sess:
                item = sess.scalar(select(Item).where(Item.slug == slug))
                item.owner_id = people[owner].user.id
    return ["size-exchange", "refund-time"]


def _report(client, slug="size-exchange", kind="outdated", text="运费险现在赔 25 元，这里还写 20 元", revision="1"):
    return client.post(f"/items/{slug}/feedback", data={"kind": kind, "text": text, "revision": revision})


def _rows(app) -> list[Feedback]:
    with app.app_context():
        return list(session().scalars(select(Feedback).order_by(Feedback.id)))


def test_an_agent_reports_a_problem_and_the_owner_sees_it_on_home_and_entry(app, people, entries):
    amy, alice, bob = people["amy"], people["alice"], people["bob"]
    page = amy.get("/items/size-exchange").get_data(as_text=True)
    assert "这条内容有问题？告诉负责人" in page and 'name="revision" value="1"' in page
    resp = _report(amy)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/items/size-exchange")
    assert "反馈已转给这条内容的负责人" in amy.get("/items/size-exchange").get_data(as_text=True)
    (row,) = _rows(app)
    assert (row.kind, row.revision_number, row.user_id, row.resolved_at) == ("outdated", 1, amy.user.id, None)
    home = alice.get("/").get_data(as_text=True)
    assert "客服反馈待处理 <strong>1</strong> 条" in home and "我负责的 1 条" in home
    assert "我负责的" not in re.search(r"客服反馈待处理.*?</li>", bob.get("/").get_data(as_text=True)).group(0)
    entry = alice.get("/items/size-exchange").get_data(as_text=True)
    assert 'id="open-feedback"' in entry and "已过时" in entry and "看的是第 1 版" in entry
    assert 'id="open-feedback"' not in amy.get("/items/size-exchange").get_data(as_text=True)
    listing = alice.get("/review/feedback?mine=1").get_data(as_text=True)
    assert "运费险现在赔 25 元" in listing and "标题 size-exchange" in listing
    assert "运费险现在赔 25 元" not in bob.get("/review/feedback?mine=1").get_data(as_text=True)
    assert "运费险现在赔 25 元" in bob.get("/review/feedback").get_data(as_text=True)


def test_resolving_closes_the_report_once_with_a_note_and_an_audit_trail(app, people, entries):
    amy, alice, bob = people["amy"], people["alice"], people["bob"]
    _report(amy)
    (row,) = _rows(app)
    resp = bob.post(f"/review/feedback/{row.id}/resolve", data={"note": "已按新标准修改", "back": "/items/size-exchange"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/items/size-exchange")
    (row,) = _rows(app)
    assert row.resolved_by_id == bob.user.id and row.resolution == "已按新标准修改" and row.resolved_at
    assert bob.post(f"/review/feedback/{row.id}/resolve").status_code == 409
    listing = alice.get("/review/feedback").get_data(as_text=True)
    assert "没有待处理的反馈" in listing and "已按新标准修改" in listing
    assert "客服反馈待处理 <strong>0</strong> 条" in alice.get("/").get_data(as_text=True)
    with app.app_context():
        actions = [e.action for e in session().scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["item.feedback", "item.feedback_resolve"]
    assert bob.post("/review/feedback/9999/resolve").status_code == 404


@pytest.mark.parametrize(("kind", "text", "message"), [
    ("opinion", "随便写写", "请选择问题类型"),
    ("wrong", "   ", "请写一句哪里有问题"),
    ("wrong", "长" * 1001, "反馈最多 1000 字"),
])
def test_bad_reports_get_a_clear_message_and_store_nothing(app, people, entries, kind, text, message):
    resp = _report(people["amy"], kind=kind, text=text)
    assert resp.status_code == 302
    assert message in people["amy"].get("/items/size-exchange").get_data(as_text=True)
    assert _rows(app) == []


def test_reports_on_missing_entries_are_404_and_agents_cannot_list_or_resolve(app, people, entries):
    amy = people["amy"]
    assert _report(amy, slug="no-such-entry").status_code == 404
    _report(amy)
    (row,) = _rows(app)
    assert amy.get("/review/feedback").status_code == 403
    assert amy.post(f"/review/feedback/{row.id}/resolve").status_code == 403
    assert _rows(app)[0].resolved_at is None


def test_resolve_only_returns_to_local_pages(app, people, entries):
    _report(people["amy"])
    (row,) = _rows(app)
    resp = people["bob"].post(f"/review/feedback/{row.id}/resolve", data={"back": "https://evil.example/"})
    assert resp.headers["Location"].endswith("/review/feedback")
