"""A trainer opens the dashboard (charts visible, screenshot for the README), then turns a gap
into a prefilled draft and a rewording into a synonym draft."""

from __future__ import annotations

import os
import random
from datetime import timedelta

from tests_support import sign_in

from kbsite.config import PROJECT_ROOT

# The README's screenshot is refreshed only on request, so a test run never edits tracked files.
README_SCREENSHOT = PROJECT_ROOT / "docs" / "screenshots" / "dashboard.png"
QUERIES = [("退款多久到账", 6), ("运费险", 4), ("七天无理由", 8), ("催发货", 5), ("发票", 3),
           ("钱啥时候退回来", 0), ("包裹丢了咋赔", 0), ("会员积分", 2)]


def _seed(app) -> None:
    """Eight weeks of searches, a reworded search, a pending change, template copies, older entries."""
    from sqlalchemy import select, update

    from kbsite.auth.models import User
    from kbsite.content import service
    from kbsite.content.models import Item, Revision
    from kbsite.db import utcnow, write_session
    from kbsite.search.log import SearchLog
    from kbsite.workspace.models import TemplateCopy

    rng = random.Random(5)
    now = utcnow()
    with app.app_context():
        with write_session() as sess:
            users = {u.username: u for u in sess.scalars(select(User))}
            agents = [users["agent"].id, users["newhire"].id]
            for week in range(8):
                for _ in range(12 + 4 * (8 - week) + rng.randrange(6)):
                    query, found = rng.choice(QUERIES)
                    at = now - timedelta(weeks=week, hours=rng.randrange(1, 150))
                    sess.add(SearchLog(at=at, user_id=rng.choice(agents), query=query, result_count=found,
                                       opened_slug="refund-time" if found and rng.random() < .6 else None))
            at = now - timedelta(hours=1)
            sess.add(SearchLog(at=at, user_id=agents[0], query="钱退哪了", result_count=0))
            sess.add(SearchLog(at=at + timedelta(seconds=30), user_id=agents[0], query="退款",
                               result_count=9, opened_slug="refund-time", opened_rank=1))
            templates = list(sess.scalars(select(Item).where(Item.type == "template").order_by(Item.slug)))
            for n, item in enumerate(templates[:6]):
                sess.add(TemplateCopy(item_id=item.id, user_id=agents[0], day=now.date(), count=30 - 4 * n))
            old = list(sess.scalars(select(Item).where(Item.type == "faq").order_by(Item.slug)))[:12]
            for n, item in enumerate(old):  # entries imported long ago, last verified n weeks later
                item.created_at = now - timedelta(weeks=20)
                item.verified_at = now - timedelta(weeks=18 - n // 2)
                sess.execute(update(Revision).where(Revision.item_id == item.id, Revision.number == 1)
                             .values(published_at=item.created_at))
        item = service.get_item("size-exchange")
        draft = service.draft_of(item.latest)
        draft.body += "\n\n补充：换货运费由商家承担。"
        service.save_revision("size-exchange", draft, item.latest.number, users["reviewer"],
                              "补充运费说明", submit=True)


def test_trainer_sees_charts_and_acts_on_gaps(live_app, context, tmp_path):
    _seed(live_app.app)
    page = context.new_page()
    sign_in(page, live_app.url, "trainer")
    page.click("nav.mainnav >> text=看板")
    page.wait_for_url(f"{live_app.url}/insights")
    charts = page.locator("svg.chart")
    assert charts.count() >= 7
    for i in range(charts.count()):
        assert charts.nth(i).is_visible()
        assert charts.nth(i).bounding_box()["height"] > 50
    assert page.locator("svg.chart polyline").count() >= 3  # volume, zero rate, stale lines drawn
    assert "最常复制的话术模板" in page.inner_text("#chart-copies")
    shot = README_SCREENSHOT if os.environ.get("KBSITE_SCREENSHOTS") == "1" else tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000

    page.click("text=查看全部搜索缺口与同义词建议")
    row = page.locator("#zero-results tr", has_text="包裹丢了咋赔")
    row.locator("text=新建草稿").click()
    assert page.input_value("input[name=title]") == "包裹丢了咋赔"

    page.go_back()
    pair = page.locator("#synonym-suggestions tr", has_text="钱退哪了")
    pair.locator("button", has_text="加入同义词").click()
    page.wait_for_selector(".flash-success")
    assert "同义词表草稿" in page.inner_text(".flash-success")
    assert "钱退哪了" in page.inner_text("main")  # the history lists the new revision's message
