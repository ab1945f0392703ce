"""Announcements: file rules, validity window in the team's zone, audience, pinning, receipts, search, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kbsite import clock, files
from kbsite.content import validity

BASE = """---
title: 双十一大促规则
type: announcement
category: 通知/大促
summary: 大促期间退款审核延长至48小时。
valid_from: {start}
{until}audience: {audience}
priority: {priority}
---
大促期间**退款审核**延长。
"""


def text(start="2026-11-01 00:00", until="2026-11-12", audience="[客服]", priority="紧急") -> bytes:
    return BASE.format(start=start, until=f"valid_until: {until}\n" if until else "", audience=audience,
                       priority=priority).encode()


def local(minutes: int) -> str:
    """A local (team zone) time ``minutes`` from now, as written in files."""
    return (clock.utcnow() + timedelta(minutes=minutes)).astimezone(clock.load_zone("Asia/Shanghai")) \
        .strftime("%Y-%m-%d %H:%M")


def test_front_matter_is_validated_with_clear_messages():
    item = files.parse_item(text(), "double-eleven.md")
    assert item.meta == {"summary": "大促期间退款审核延长至48小时。", "valid_from": "2026-11-01 00:00",
                         "valid_until": "2026-11-12", "audience": ["客服"], "priority": "紧急"}
    assert files.parse_item(text(audience="[全员]", until=None), "x-all.md").meta["audience"] == []
    cases = {"valid_from 必须是有效时间": text(start="明天"),
             "必须晚于 valid_from": text(start="2026-11-12 08:00", until="2026-11-01"),
             "audience 中的“老板”未知": text(audience="[老板]"),
             "priority 只能是": text(priority="特急")}
    for message, data in cases.items():
        with pytest.raises(files.FileError, match=message):
            files.parse_item(data, "bad-notice.md")
    with pytest.raises(files.FileError, match="缺少必填字段 valid_from"):
        files.parse_item(text().replace(b"valid_from: 2026-11-01 00:00\n", b""), "bad-notice.md")


def test_export_round_trips():
    item = files.parse_item(text(), "double-eleven.md")
    again = files.parse_item(files.dump_item(item).encode(), "double-eleven.md")
    assert again.meta == item.meta and str(files.export_relpath(item)) == "content/announcements/double-eleven.md"


def test_window_is_local_time_and_a_bare_end_date_includes_that_day():
    meta = {"valid_from": "2026-11-01 09:00", "valid_until": "2026-11-11"}
    start, end = validity.window(meta)
    assert start == datetime(2026, 11, 1, 1, 0, tzinfo=UTC)  # 09:00 北京时间
    assert end == datetime(2026, 11, 11, 16, 0, tzinfo=UTC)  # midnight after 11-11, local
    assert not validity.is_current(meta, datetime(2026, 11, 1, 0, 59, tzinfo=UTC))
    assert validity.is_current(meta, datetime(2026, 11, 11, 15, 59, tzinfo=UTC))
    assert validity.has_ended(meta, datetime(2026, 11, 11, 16, 0, tzinfo=UTC))


def _publish(app, slug, **kw):
    from tests_support import publish

    meta = {"summary": kw.pop("summary", f"{slug} 的要点"), "valid_from": kw.pop("start", local(-60)),
            "audience": kw.pop("audience", []), "priority": kw.pop("priority", "普通")}
    until = kw.pop("until", local(60))
    if until:
        meta["valid_until"] = until
    publish(app, slug, "announcement", kw.pop("title", slug), kw.pop("body", "正文"), category="通知", **meta)


def test_pinned_for_the_audience_by_priority_and_only_while_valid(app, as_role):
    _publish(app, "notice-normal", title="系统维护通知")
    _publish(app, "notice-urgent", title="紧急：快递停发", priority="紧急")
    _publish(app, "notice-trainers", title="培训师例会", audience=["培训师"])
    _publish(app, "notice-old", title="上周的公告", start=local(-600), until=local(-300))
    _publish(app, "notice-later", title="明天的公告", start=local(300), until=None)
    home = as_role("agent").get("/").get_data(as_text=True)
    pinned = home[home.index('id="pinned-announcements"'):home.index('class="kinds"')]
    assert pinned.index("紧急：快递停发") < pinned.index("系统维护通知")
    for absent in ("培训师例会", "上周的公告", "明天的公告"):
        assert absent not in pinned
    trainer_home = as_role("trainer").get("/").get_data(as_text=True)
    assert "培训师例会" in trainer_home
    panel = as_role("agent").get("/panel").get_data(as_text=True)
    assert "紧急：快递停发" in panel and "上周的公告" not in panel


def test_acknowledge_is_stored_per_user_and_trainers_see_who_has_not_read(app, as_role, make_user):
    _publish(app, "notice-stock", title="库存盘点通知", audience=["客服"])
    amy, bob = as_role("agent", "amy"), as_role("agent", "bob")
    make_user("trainee", "tim")  # not in the audience
    resp = amy.post("/announcements/notice-stock/read", data={"next": "/"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert amy.post("/announcements/notice-stock/read").status_code == 302  # twice: still one receipt
    assert "已读 ·" in amy.get("/").get_data(as_text=True)
    assert 'action="/announcements/notice-stock/read"' in bob.get("/").get_data(as_text=True)
    trainer = as_role("trainer", "tina")
    page = trainer.get("/announcements/notice-stock/readers").get_data(as_text=True)
    assert 'id="read-count">1<' in page and 'id="unread-count">1<' in page
    read, unread = page[page.index('id="read-list"'):page.index('id="unread-list"')], page[page.index('id="unread-list"'):]
    assert "amy" in read and "bob" in unread and "tim" not in page
    assert amy.get("/announcements/notice-stock/readers").status_code == 403
    assert amy.post("/announcements/no-such/read").status_code == 404


def test_found_by_search_while_valid_and_gone_when_expired_but_kept_in_history(app, as_role, monkeypatch):
    _publish(app, "notice-freight", title="运费险暂停公告", summary="运费险今日暂停", until=local(30))
    agent = as_role("agent")

    def found() -> bool:
        hits = agent.get("/api/search?q=运费险暂停").get_json()["results"]
        return any(h["slug"] == "notice-freight" for h in hits)

    assert found()
    later = clock.utcnow() + timedelta(minutes=45)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    assert not found()
    home = agent.get("/").get_data(as_text=True)
    assert "运费险暂停公告" not in home[:home.index('class="kinds"')]
    page = agent.get("/items/notice-freight").get_data(as_text=True)
    assert "已过期" in page and "运费险今日暂停" in page
    assert "运费险暂停公告" in agent.get("/browse?type=announcement").get_data(as_text=True)


def test_trainer_writes_an_announcement_in_the_editor(app, as_role):
    from kbsite.content import service

    trainer = as_role("trainer")
    form = trainer.get("/items/new?type=announcement").get_data(as_text=True)
    assert 'name="valid_from"' in form and 'value="新人学员"' in form and "新建公告" in form
    resp = trainer.post("/items/new", data={
        "type": "announcement", "title": "春节发货安排", "category": "通知", "summary": "除夕至初六停发。",
        "valid_from": "2027-02-05T09:00", "valid_until": "2027-02-13", "audience": ["客服", "新人学员"],
        "priority": "重要", "body": "详见正文。", "slug": "spring-festival"})
    assert resp.status_code == 302
    with app.app_context():
        meta = service.get_item("spring-festival").latest.meta
    assert meta["valid_from"] == "2027-02-05 09:00" and meta["audience"] == ["客服", "新人学员"]
    bad = trainer.post("/items/new", data={"type": "announcement", "title": "坏公告", "category": "通知",
                                           "summary": "x", "valid_from": "2027-02-05T09:00",
                                           "valid_until": "2027-02-01T09:00", "body": "x", "slug": "bad-notice"})
    assert bad.status_code == 400 and "必须晚于「生效时间」" in bad.get_data(as_text=True)
    assert "valid_from" not in bad.get_data(as_text=True).split('class="flash', 1)[1].split("</div>", 1)[0]
