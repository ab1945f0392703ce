"""Insights pages: permissions, charts as valid SVG, gap lists and the one-click new draft."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote
from xml.etree import ElementTree

import pytest

SVG = re.compile(r"<svg .*?</svg>", re.S)


@pytest.mark.parametrize("method, url", [
    ("get", "/insights"), ("get", "/insights/gaps"),
    ("post", "/insights/synonyms"), ("post", "/insights/dictionary"),
])
def test_agents_are_refused_and_anonymous_users_sent_to_login(app, as_role, method, url):
    agent = as_role("agent")
    assert getattr(agent, method)(url).status_code == 403
    assert getattr(app.test_client(), method)(url).status_code in (302, 401)


def test_trainer_and_admin_see_the_dashboard_link(as_role):
    for role in ("trainer", "admin"):
        page = as_role(role).get("/insights")
        assert page.status_code == 200
        assert 'href="/insights"' in page.get_data(as_text=True)
    assert 'href="/insights"' not in as_role("agent").get("/").get_data(as_text=True)


def _charts(html: str) -> list[ElementTree.Element]:
    return [ElementTree.fromstring(svg) for svg in SVG.findall(html)]


def test_dashboard_renders_valid_svg_charts_in_chinese(library_app, library_client, seed_log):
    from kbsite.db import utcnow

    trainer = library_client("trainer", "tina")
    now = utcnow()
    seed_log([(now - timedelta(days=d, minutes=m), trainer.user.id, q, n, None)
              for d in (0, 7, 14) for m, (q, n) in enumerate([("退款", 5), ("钱去哪了", 0)])],
             library_app)
    html = trainer.get("/insights").get_data(as_text=True)
    charts = _charts(html)
    titles = [c.get("aria-label") for c in charts]
    assert {"内容按类型", "内容按一级分类", "待审核修改（按等待时长）"} <= set(titles)
    assert any("搜索量" in t for t in titles) and any("零结果率" in t for t in titles)
    assert any("过期条目" in t for t in titles)
    assert all(c.get("role") == "img" for c in charts)
    assert "最常复制的话术模板" in titles  # the workspace's copy table exists in this app
    kinds = next(c for c in charts if c.get("aria-label") == "内容按类型")
    assert "常见问题" in ElementTree.tostring(kinds, encoding="unicode")
    assert "钱去哪了" in html and "本周搜索" in html
    assert "50.0%" in html  # this week's zero-result rate: 1 of 2


def test_gaps_page_lists_gaps_with_a_prefilled_new_draft(library_client, library_app, seed_log):
    from kbsite.db import utcnow

    trainer = library_client("trainer", "tina")
    now = utcnow() - timedelta(minutes=5)
    seed_log([(now, trainer.user.id, "钱啥时候退回来", 0, None),
              (now, trainer.user.id, "运费险理赔", 3, None),
              (now, trainer.user.id, "退款", 9, "refund-time")], library_app)
    html = trainer.get("/insights/gaps").get_data(as_text=True)
    zero = html[html.index('id="zero-results"'):html.index('id="unopened"')]
    unopened = html[html.index('id="unopened"'):html.index('id="synonym-suggestions"')]
    assert "钱啥时候退回来" in zero and "运费险理赔" not in zero
    assert "运费险理赔" in unopened and "退款" not in unopened
    link = f"/items/new?type=faq&amp;title={quote('钱啥时候退回来')}"
    assert link in zero
    editor = trainer.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert 'name="title" required maxlength="200" value="钱啥时候退回来"' in editor


def test_gaps_page_navigates_weeks_and_rejects_bad_weeks(as_role):
    trainer = as_role("trainer")
    page = trainer.get("/insights/gaps?week=2026-W02&span=4").get_data(as_text=True)
    assert "2025年第51周" in page and "2026年第2周" in page and "week=2026-W01" in page
    assert trainer.get("/insights/gaps?week=W99").status_code == 400


def test_dashboard_links_to_the_stale_list_and_review_queue(as_role):
    from flask import url_for

    trainer = as_role("trainer")
    html = trainer.get("/insights").get_data(as_text=True)
    with trainer.application.test_request_context():
        assert f'href="{url_for("review.stale")}"' in html
        assert f'href="{url_for("review.queue")}"' in html


def test_the_dashboard_answers_with_and_without_a_trailing_slash(app, as_role):
    trainer = as_role("trainer")
    assert trainer.get("/insights").status_code == trainer.get("/insights/").status_code == 200
