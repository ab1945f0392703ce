"""Review before publish: states, permissions, the queue, my drafts, history and scheduled policies."""

from __future__ import annotations

from datetime import date

import pytest

from kbsite.content import service
from kbsite.content.service import Draft


def faq(body="签收后7天内可以申请换货。", title="衣服小了能换吗"):
    return Draft(title, "售后/退换货", ["换货"], body, {"summary": "可以换。"})


def policy(body, effective_from):
    return Draft("七天无理由退货", "售后/政策", ["退货"], body,
                 {"summary": "签收7天内可退。", "effective_from": effective_from})


@pytest.fixture
def people(app, as_role):
    """Two trainers, an admin and an agent, each with a signed-in client."""
    return {"alice": as_role("trainer", "alice"), "bob": as_role("trainer", "bob"),
            "boss": as_role("admin", "boss"), "amy": as_role("agent", "amy")}


def _create(app, user, slug="size-exchange", draft=None, type_="faq", submit=True):
    with app.app_context():
        return service.create_item(slug, type_, draft or faq(), user, "新建", submit=submit)


def _rev(app, slug, number):
    """A revision's review fields, read while the session is open."""
    with app.app_context():
        rev = service.get_revision(service.get_item(slug), number)
        return {"state": rev.state, "reviewer": rev.reviewer.username if rev.reviewer else None,
                "comment": rev.review_comment}


def test_agent_can_never_see_a_draft(app, people):
    alice, amy = people["alice"], people["amy"]
    _create(app, alice.user)
    for url in ("/items/size-exchange", "/items/size-exchange/rev/1", "/items/size-exchange/history",
                "/items/size-exchange/diff?a=1&b=1", "/review/", "/review/mine", "/review/stale",
                "/review/bulk"):
        assert amy.get(url).status_code in (403, 404), url
    assert "衣服小了" in alice.get("/items/size-exchange").get_data(as_text=True)
    for api in ("/api/search?q=衣服小了&drafts=1", "/api/suggest?q=衣服"):
        assert "size-exchange" not in amy.get(api).get_data(as_text=True) and "衣服小了" not in \
            amy.get(api).get_data(as_text=True), api
    assert "size-exchange" in alice.get("/api/search?q=衣服小了&drafts=1").get_data(as_text=True)
    assert people["bob"].post("/review/size-exchange/1/approve").status_code == 302
    assert "7天内" in amy.get("/items/size-exchange").get_data(as_text=True)
    # a newer draft stays invisible to agents: they keep reading the published revision
    with app.app_context():
        service.save_revision("size-exchange", faq("草稿：30天内可换"), 1, alice.user, "延长", submit=True)
    page = amy.get("/items/size-exchange").get_data(as_text=True)
    assert "7天内" in page and "30天内" not in page
    for url in ("/items/size-exchange/rev/2", "/items/size-exchange/history",
                "/items/size-exchange/diff?a=1&b=2"):
        assert amy.get(url).status_code == 403, url
    assert amy.post("/review/size-exchange/2/approve").status_code == 403
    assert amy.post("/review/size-exchange/2/reject", data={"comment": "x"}).status_code == 403
    assert _rev(app, "size-exchange", 2)["state"] == "pending"


def test_a_trainer_cannot_approve_their_own_change_but_an_admin_can(app, people):
    alice, bob, boss = people["alice"], people["bob"], people["boss"]
    _create(app, alice.user)
    queue = alice.get("/review/").get_data(as_text=True)
    assert "需由其他培训师或管理员审核" in queue and "批准发布" not in queue
    assert alice.post("/review/size-exchange/1/approve").status_code == 403
    assert _rev(app, "size-exchange", 1)["state"] == "pending"
    assert "批准发布" in bob.get("/review/").get_data(as_text=True)
    assert bob.post("/review/size-exchange/1/approve", data={"comment": "好"}).status_code == 302
    assert _rev(app, "size-exchange", 1) == {"state": "published", "reviewer": "bob", "comment": "好"}
    # an admin may not approve their own change either, and is told why instead of offered a button
    _create(app, boss.user, "gift-wrap", faq("可以礼品包装。", "能礼品包装吗"))
    page = boss.get("/review/").get_data(as_text=True)
    assert "管理员也不能批准自己的修改" in page and 'action="/review/gift-wrap/1/approve"' not in page
    history = boss.get("/items/gift-wrap/history").get_data(as_text=True)
    assert "自己的修改需由他人审核" in history and 'form="approve-1"' not in history
    assert boss.post("/review/gift-wrap/1/approve").status_code == 403
    assert boss.post("/items/gift-wrap/rev/1/approve").status_code == 403
    assert _rev(app, "gift-wrap", 1)["state"] == "pending"
    assert bob.post("/review/gift-wrap/1/approve").status_code == 302


def test_send_back_with_comment_reaches_my_drafts_and_can_be_resubmitted(app, people):
    alice, bob = people["alice"], people["bob"]
    _create(app, alice.user)
    assert bob.post("/review/size-exchange/1/reject", data={"comment": ""}).status_code == 400
    assert bob.post("/review/size-exchange/1/reject", data={"comment": "请写明运费谁出"}).status_code == 302
    assert _rev(app, "size-exchange", 1)["state"] == "rejected"
    mine = alice.get("/review/mine").get_data(as_text=True)
    assert "请写明运费谁出" in mine and "已退回" in mine and "bob" in mine
    assert "请写明运费谁出" not in bob.get("/review/mine").get_data(as_text=True)
    assert alice.post("/review/size-exchange/1/submit").status_code == 302
    assert _rev(app, "size-exchange", 1)["state"] == "pending"
    assert "衣服小了能换吗" in bob.get("/review/").get_data(as_text=True)


def test_my_drafts_lists_drafts_until_published(app, people):
    alice, bob = people["alice"], people["bob"]
    _create(app, alice.user, submit=False)
    assert "衣服小了能换吗" in alice.get("/review/mine").get_data(as_text=True)
    with app.app_context():  # a draft carried forward by someone else's newer revision leaves the list
        service.create_item("gift", "faq", faq("可以包装。", "能礼品包装吗"), alice.user)
        service.save_revision("gift", faq("可以包装，免费。", "能礼品包装吗"), 1, bob.user)
    assert "能礼品包装吗" not in alice.get("/review/mine").get_data(as_text=True)
    assert "能礼品包装吗" in bob.get("/review/mine").get_data(as_text=True)
    alice.post("/review/size-exchange/1/submit")
    bob.post("/review/size-exchange/1/approve")
    assert "衣服小了能换吗" not in alice.get("/review/mine").get_data(as_text=True)


def test_queue_diffs_against_what_is_published(app, people):
    alice, bob = people["alice"], people["bob"]
    _create(app, alice.user)
    bob.post("/review/size-exchange/1/approve")
    with app.app_context():
        service.save_revision("size-exchange", faq("签收后15天内可以申请换货。"), 1, alice.user, "延长期限", submit=True)
    page = bob.get("/review/").get_data(as_text=True)
    assert "已发布（第 1 版）" in page and "待审核（第 2 版）" in page
    assert "<del>7</del>" in page and "<ins>15</ins>" in page
    assert "延长期限" in page


def test_every_step_is_in_the_history(app, people):
    alice, bob = people["alice"], people["bob"]
    _create(app, alice.user)
    bob.post("/review/size-exchange/1/reject", data={"comment": "补充说明"})
    alice.post("/review/size-exchange/1/submit")
    bob.post("/review/size-exchange/1/approve", data={"comment": "可以"})
    page = alice.get("/items/size-exchange/history").get_data(as_text=True)
    for label in ("新建条目", "退回修改", "提交审核", "批准发布", "补充说明", "当前发布"):
        assert label in page, label


def test_scheduled_policy_switches_on_its_date(app, people):
    alice, bob, amy = people["alice"], people["bob"], people["amy"]
    app.config["TODAY"] = "2030-01-10"
    _create(app, alice.user, "seven-day", policy("旧规则：签收后7天。", "2025-01-01"), "policy")
    bob.post("/review/seven-day/1/approve")
    with app.app_context():
        service.save_revision("seven-day", policy("新规则：签收后15天。", "2030-02-01"), 1, alice.user,
                              "延长", submit=True)
    queue = bob.get("/review/").get_data(as_text=True)
    assert "批准后将于 2030-02-01 生效" in queue
    resp = bob.post("/review/seven-day/2/approve", follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "将于 2030-02-01 生效" in page and "已批准、待生效的政策" in page
    agent_page = amy.get("/items/seven-day").get_data(as_text=True)
    assert "旧规则" in agent_page and "新规则" not in agent_page
    assert "将于 2030-02-01 生效" in agent_page
    assert "新规则" in amy.get("/items/seven-day?on=2030-02-01").get_data(as_text=True)
    app.config["TODAY"] = "2030-01-31"
    assert "旧规则" in amy.get("/items/seven-day").get_data(as_text=True)
    app.config["TODAY"] = date(2030, 2, 1)
    agent_page = amy.get("/items/seven-day").get_data(as_text=True)
    assert "新规则" in agent_page and "旧规则" not in agent_page and "将于" not in agent_page
    assert "将于 2030-02-01 生效" not in bob.get("/review/").get_data(as_text=True)


def test_agent_revision_follows_the_pinned_today(app, people):
    alice = people["alice"]
    _create(app, alice.user, "seven-day", policy("旧", "2025-01-01"), "policy")
    with app.app_context():
        service.approve("seven-day", 1, people["bob"].user)
        service.save_revision("seven-day", policy("新", "2030-02-01"), 1, alice.user, submit=True)
        service.approve("seven-day", 2, people["bob"].user)
        item = service.get_item("seven-day")
        app.config["TODAY"] = "2030-01-31"
        assert service.today() == date(2030, 1, 31)
        assert service.agent_revision(item).number == 1
        app.config["TODAY"] = "2030-02-01"
        assert service.agent_revision(item).number == 2


def test_a_first_policy_version_not_yet_in_force_says_so(app, people):
    """With nothing in force yet, agents read the approved text under a clear "not yet" notice."""
    alice, bob, amy = people["alice"], people["bob"], people["amy"]
    app.config["TODAY"] = "2030-01-10"
    _create(app, alice.user, "new-policy", policy("新规则：签收后15天。", "2030-02-01"), "policy")
    bob.post("/review/new-policy/1/approve")
    page = amy.get("/items/new-policy").get_data(as_text=True)
    assert "新规则" in page and "本政策将于 2030-02-01 起生效，目前尚未生效" in page
    assert "尚未生效" not in amy.get("/items/new-policy?on=2030-02-01").get_data(as_text=True)
    app.config["TODAY"] = "2030-02-01"
    assert "目前尚未生效" not in amy.get("/items/new-policy").get_data(as_text=True)
