"""Answers agents can trust: verified (when, by whom), owner, policy dates, staleness, open reports;
imports do not verify; default owners per category."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from tests_support import build_app, login, publish

from kbsite import clock
from kbsite.errors import Invalid


@pytest.fixture
def site(tmp_path):
    app = build_app(tmp_path / "instance", CATEGORY_OWNERS=json.dumps({"售后": "owner1", "售后/退款": "owner2"}))
    with app.app_context():
        from kbsite.auth import service

        for name, role in (("owner1", "trainer"), ("owner2", "trainer"), ("agent", "agent")):
            service.create_user(name, role, "correct-horse-battery")
    yield app
    app.extensions["kbsite.db"].engine.dispose()


def _agent(app):
    client = app.test_client()
    assert login(client, "agent").status_code == 302
    return client


def _item(app, slug):
    with app.app_context():
        from kbsite.content import service

        item = service.get_item(slug)
        return item.verified_at, item.owner.username if item.owner else None


def test_import_does_not_verify_and_sets_default_owners(site):
    publish(site, "zz-a", "faq", "退款多久到账", "正文", category="售后/退款/到账", summary="1-3天。")
    publish(site, "zz-b", "faq", "换货流程", "正文", category="售后/换货", summary="先申请。")
    publish(site, "zz-c", "faq", "发票怎么开", "正文", category="发票", summary="订单页申请。")
    assert _item(site, "zz-a") == (None, "owner2")  # the longest prefix wins
    assert _item(site, "zz-b") == (None, "owner1")
    assert _item(site, "zz-c") == (None, None)


def test_owner_in_the_file_wins(site):
    from kbsite import files
    from kbsite.content import service

    with site.app_context():
        service.import_items([files.ItemData(slug="zz-d", type="faq", title="t", category="售后", body="b",
                                             meta={"summary": "s"}, owner="owner2", source="zz-d.md")])
    assert _item(site, "zz-d")[1] == "owner2"


def test_bad_owner_setting_is_a_clear_error(tmp_path):
    from kbsite.content import health

    with pytest.raises(Invalid, match="CATEGORY_OWNERS"):
        health.category_owners("{not json")
    with pytest.raises(Invalid, match="CATEGORY_OWNERS"):
        health.category_owners('["售后"]')
    assert health.default_owner("售后服务", {"售后": "x"}) is None  # a prefix of the name is not a parent
    with pytest.raises(ValueError, match="KBSITE_CATEGORY_OWNERS"):  # checked once, at start-up
        build_app(tmp_path / "bad", CATEGORY_OWNERS="{not json")


def test_the_browser_and_command_line_imports_apply_default_owners(site, tmp_path):
    from kbsite.cli import import_paths

    md = "---\ntitle: {title}\ntype: faq\ncategory: {category}\nsummary: s\n---\n正文\n"
    with site.app_context():
        from kbsite.auth import service

        service.create_user("boss", "admin", "correct-horse-battery")
    admin = site.test_client()
    assert login(admin, "boss").status_code == 302
    upload = [(io.BytesIO(md.format(title="退款到账", category="售后/退款").encode()), "zz-web.md")]
    assert admin.post("/library/import", data={"files": upload}, content_type="multipart/form-data").status_code == 200
    (tmp_path / "zz-cli.md").write_text(md.format(title="换货运费", category="售后/换货"), encoding="utf-8")
    with site.app_context():
        import_paths([tmp_path / "zz-cli.md"])
    assert _item(site, "zz-web") == (None, "owner2") and _item(site, "zz-cli") == (None, "owner1")


def _imported_days_ago(app, slug: str, days: int) -> None:
    """Move an entry's creation back, as if it had been imported ``days`` ago."""
    with app.app_context():
        from kbsite.content.models import Item
        from kbsite.db import utcnow, write_session

        with write_session() as sess:
            sess.query(Item).filter_by(slug=slug).one().created_at = utcnow() - timedelta(days=days)


def test_a_fresh_import_is_not_yet_verified_but_not_past_review(site):
    publish(site, "zz-new", "faq", "七天无理由退货怎么算", "正文", category="售后/退货", summary="签收次日起算。")
    hit = _agent(site).get("/api/search?q=七天无理由退货").get_json()["results"][0]
    assert hit["slug"] == "zz-new"
    trust = hit["trust"]
    assert trust["verified_at"] is None and trust["stale"] is False
    with site.app_context():
        due = clock.today() + timedelta(days=90)  # the team's date, not the host's
    assert trust["review_due"] == due.isoformat()  # faq: 90 days from import
    assert trust["label"].startswith("尚未复核 · 负责人：owner1") and "已过复核期" not in trust["label"]
    page = _agent(site).get("/items/zz-new").get_data(as_text=True)
    assert "尚未复核" in page and "已过复核期" not in page and "trust-stale" not in page

    _imported_days_ago(site, "zz-new", 91)
    trust = _agent(site).get("/api/search?q=七天无理由退货").get_json()["results"][0]["trust"]
    assert trust["stale"] is True and "尚未复核" in trust["label"] and "已过复核期" in trust["label"]
    assert "trust-stale" in _agent(site).get("/items/zz-new").get_data(as_text=True)


def test_results_and_pages_carry_trust_signals(site):
    publish(site, "zz-fresh", "faq", "运费险怎么理赔说明", "正文", category="售后/运费", summary="自动理赔。")
    publish(site, "zz-stale", "faq", "运费险怎么理赔", "正文", category="售后/运费",
            summary="运费险怎么理赔：旧答案。")  # the closer match: first while both are current
    _imported_days_ago(site, "zz-stale", 120)
    with site.app_context():
        from kbsite.auth.models import User
        from kbsite.content import health
        from kbsite.db import session
        from kbsite.review import feedback

        owner = session().query(User).filter_by(username="owner1").one()
        health.verify("zz-fresh", owner)
        agent = session().query(User).filter_by(username="agent").one()
        feedback.submit(agent, "zz-stale", "outdated", "赔付金额已经改了", None)
    client = _agent(site)
    hits = client.get("/api/search?q=运费险怎么理赔").get_json()["results"]
    by_slug = {h["slug"]: h["trust"] for h in hits}
    assert [h["slug"] for h in hits][:2] == ["zz-fresh", "zz-stale"]  # past review ranks below
    assert by_slug["zz-fresh"]["verified_by"] and by_slug["zz-fresh"]["stale"] is False
    assert by_slug["zz-stale"]["stale"] is True and by_slug["zz-stale"]["open_reports"] == 1
    assert "已过复核期" in by_slug["zz-stale"]["label"] and "1 条客服反馈待处理" in by_slug["zz-stale"]["label"]
    assert "核实" in by_slug["zz-fresh"]["label"] and "负责人：" in by_slug["zz-fresh"]["label"]

    page = client.get("/items/zz-stale").get_data(as_text=True)
    assert 'id="trust"' in page and "已过复核期" in page and "1 条客服反馈待处理" in page and "尚未复核" in page
    page = client.get("/items/zz-fresh").get_data(as_text=True)
    assert 'id="verified"' in page and "负责人：" in page


def test_stale_entries_are_demoted_before_paging(site):
    """One page at a time, the current answer still comes first; a change of review state shows at once."""
    publish(site, "zz-fresh", "faq", "运费险怎么理赔说明", "正文", category="售后/运费", summary="自动理赔。")
    publish(site, "zz-stale", "faq", "运费险怎么理赔", "正文", category="售后/运费",
            summary="运费险怎么理赔：旧答案。")  # the closer match: first while both are current
    client = _agent(site)

    def pages() -> list[str]:
        return [client.get(f"/api/search?q=运费险怎么理赔&limit=1&offset={n}").get_json()["results"][0]["slug"]
                for n in (0, 1)]

    with site.app_context():
        from kbsite.auth.models import User
        from kbsite.content import health
        from kbsite.db import session

        owner = session().query(User).filter_by(username="owner1").one()
        health.set_interval("zz-fresh", 365, owner)
    assert pages() == ["zz-stale", "zz-fresh"]  # both current: the closer match first
    site.config["TODAY"] = (date.today() + timedelta(days=100)).isoformat()  # zz-stale's 90 days are over
    assert pages() == ["zz-fresh", "zz-stale"]  # past review: below the current one, on every page
    whole = client.get("/api/search?q=运费险怎么理赔&limit=2").get_json()["results"]
    assert [h["slug"] for h in whole] == pages() and whole[0]["score"] > whole[1]["score"]
    assert [h["trust"]["stale"] for h in whole] == [False, True]
    with site.app_context():
        health.set_interval("zz-stale", 365, owner)  # a trainer's change reaches ranking at once
    assert pages() == ["zz-stale", "zz-fresh"]


def test_trust_of_a_page_costs_the_same_few_queries_whatever_its_length(site):
    from sqlalchemy import event

    for n in range(12):
        kind = "policy" if n % 3 == 0 else "faq"
        publish(site, f"zz-{n}", kind, f"退货运费规则第{n}条", f"规则{n}", category="售后/运费",
                summary="买家承担。", effective_from="2026-01-01")
    with site.app_context():
        from kbsite.content import service, trust
        from kbsite.db import database

        statements: list[str] = []
        engine = database().engine
        listener = lambda *args, **kw: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            signals = trust.trust_for([f"zz-{n}" for n in range(12)], service.today())
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert len(signals) == 12 and len([s for s in statements if s.startswith("SELECT")]) == 2
        for n in (0, 1, 3):  # the same signals as the entry page's, one entry at a time
            item = service.get_item(f"zz-{n}")
            assert signals[f"zz-{n}"] == trust.trust_of(item, service.agent_revision(item), service.today())


def test_policy_dates_in_force(site):
    publish(site, "zz-policy", "policy", "退货运费规则", "旧规则", category="售后/运费",
            summary="买家承担。", effective_from="2026-01-01")
    publish(site, "zz-policy", "policy", "退货运费规则", "新规则", category="售后/运费",
            summary="卖家承担。", effective_from="2099-01-01")
    data = _agent(site).get("/api/items/zz-policy").get_json()
    assert data["effective_from"] == "2026-01-01" and data["effective_until"] == "2099-01-01"
    assert data["summary"] == "买家承担。"
    assert "2026-01-01 起生效，2099-01-01 起由新版本替代" in _agent(site).get("/items/zz-policy").get_data(as_text=True)


def test_item_api_shows_published_entries_only(site):
    with site.app_context():
        from kbsite.auth.models import User
        from kbsite.content import service
        from kbsite.content.service import Draft
        from kbsite.db import session

        owner = session().query(User).filter_by(username="owner1").one()
        service.create_item("zz-draft", "faq", Draft("草稿条目", "售后", [], "正文", {"summary": "s"}), owner)
    client = _agent(site)
    assert client.get("/api/items/zz-draft").status_code == 404
    assert site.test_client().get("/api/items/zz-draft").status_code == 401
