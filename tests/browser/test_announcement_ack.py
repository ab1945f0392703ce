"""Playwright: an agent sees a pinned announcement on home, clicks 已读, and the trainer's page counts it."""

from __future__ import annotations

from datetime import timedelta

from tests_support import publish

from kbsite import clock


def _local(minutes: int) -> str:
    return (clock.utcnow() + timedelta(minutes=minutes)).astimezone(clock.load_zone("Asia/Shanghai")) \
        .strftime("%Y-%m-%d %H:%M")


def test_agent_acknowledges_a_pinned_announcement(live_app, signed_in_page):
    publish(live_app.app, "notice-outage", "announcement", "订单系统故障公告", "故障期间请手工登记订单。",
            category="通知/系统", summary="订单系统 14:00–15:00 维护，请手工登记。", valid_from=_local(-30),
            valid_until=_local(120), audience=["客服"], priority="紧急")
    agent = signed_in_page("agent")
    agent.goto(f"{live_app.url}/")
    pinned = agent.locator("#pinned-announcements li[data-slug=notice-outage]")
    assert "订单系统故障公告" in pinned.inner_text() and "紧急" in pinned.inner_text()
    pinned.get_by_role("button", name="已读").click()
    agent.wait_for_selector("#pinned-announcements li[data-slug=notice-outage] .announce-done")
    assert "已读" in agent.locator("#pinned-announcements li[data-slug=notice-outage]").inner_text()
    assert agent.locator("#pinned-announcements li[data-slug=notice-outage] button").count() == 0

    trainer = signed_in_page("trainer")
    trainer.goto(f"{live_app.url}/announcements/notice-outage/readers")
    assert trainer.inner_text("#read-count") == "1"
    assert "agent" in trainer.inner_text("#read-list")
    assert "newhire" in trainer.inner_text("#unread-list") and "agent" not in trainer.inner_text("#unread-list")
