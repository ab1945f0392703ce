"""Saving, no-op saves, stale saves, races, revert, review states and policy dates."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from kbsite.content import service
from kbsite.content.service import Draft
from kbsite.errors import Conflict, Forbidden, Invalid, NotFound


def faq(title="衣服小了能换吗", body="可以，签收后7天内申请换货。", **meta):
    return Draft(title, "售后/退换货", ["换货", "尺码"], body, {"summary": "可以换。", **meta})


@pytest.fixture
def trainer(make_user):
    return make_user("trainer", "alice")


def test_every_save_is_a_numbered_revision_and_noop_saves_add_nothing(app, trainer):
    with app.app_context():
        r1 = service.create_item("size-exchange", "faq", faq(), trainer, "新建")
        r2 = service.save_revision("size-exchange", faq(body="可以换，运费我们承担。"), 1, trainer, "改运费")
        assert (r1.number, r2.number) == (1, 2)
        assert service.save_revision("size-exchange", faq(body="可以换，运费我们承担。"), 2, trainer) is None
        item = service.get_item("size-exchange")
        assert [r.number for r in service.revisions(item)] == [2, 1]
        assert service.get_revision(item, 1).body == "可以，签收后7天内申请换货。\n"
        assert service.get_revision(item, 2).message == "改运费"
        assert service.get_revision(item, 2).author.username == "alice"


def test_stale_base_is_refused_with_both_versions_kept(app, trainer, make_user):
    bob = make_user("trainer", "bob")
    with app.app_context():
        service.create_item("size-exchange", "faq", faq(), trainer)
        service.save_revision("size-exchange", faq(body="Alice 的修改"), 1, trainer)
        with pytest.raises(Conflict) as err:
            service.save_revision("size-exchange", faq(body="Bob 的修改"), 1, bob)
        assert err.value.details["current"] == 2
        assert err.value.details["draft"].body == "Bob 的修改\n"
        item = service.get_item("size-exchange")
        assert item.latest.body == "Alice 的修改\n"


def test_two_concurrent_saves_from_one_base_one_wins_one_conflicts(app, trainer, make_user):
    bob = make_user("trainer", "bob")
    with app.app_context():
        service.create_item("race", "faq", faq(), trainer)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def save(user, text):
        with app.app_context():
            barrier.wait()
            try:
                service.save_revision("race", faq(body=text), 1, user)
                results.append("saved")
            except Conflict:
                results.append("conflict")

    threads = [threading.Thread(target=save, args=(u, t)) for u, t in ((trainer, "甲"), (bob, "乙"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "saved"]
    with app.app_context():
        item = service.get_item("race")
        assert [r.number for r in service.revisions(item)] == [2, 1]
        assert item.latest.body in ("甲\n", "乙\n")


def test_revert_makes_a_new_revision_with_old_content(app, trainer):
    with app.app_context():
        service.create_item("size-exchange", "faq", faq(), trainer)
        service.save_revision("size-exchange", faq(body="改坏了"), 1, trainer)
        rev = service.revert("size-exchange", 1, 2, trainer)
        assert rev.number == 3 and rev.body == "可以，签收后7天内申请换货。\n"
        assert "恢复" in rev.message


def test_revision_of_another_item_is_not_found(app, trainer):
    with app.app_context():
        service.create_item("a-item", "faq", faq(), trainer)
        service.create_item("b-item", "faq", faq(), trainer)
        service.save_revision("b-item", faq(body="b2"), 1, trainer)
        with pytest.raises(NotFound):
            service.revert("a-item", 2, 1, trainer)


def test_review_workflow_and_own_approval_rule(app, trainer, make_user):
    reviewer = make_user("trainer", "reviewer")
    admin = make_user("admin", "root")
    with app.app_context():
        service.create_item("size-exchange", "faq", faq(), trainer, submit=True)
        with pytest.raises(Forbidden):
            service.approve("size-exchange", 1, trainer)
        service.approve("size-exchange", 1, reviewer, "好")
        item = service.get_item("size-exchange")
        assert item.published.number == 1 and item.published.state == "published"
        service.save_revision("size-exchange", faq(body="新草稿"), 1, trainer, submit=True)
        with pytest.raises(Invalid):
            service.reject("size-exchange", 2, reviewer, "  ")
        service.reject("size-exchange", 2, reviewer, "请补充运费说明")
        assert service.get_revision(service.get_item("size-exchange"), 2).state == "rejected"
        service.save_revision("size-exchange", faq(body="补充了运费"), 2, trainer, submit=True)
        service.approve("size-exchange", 3, admin)  # admins may approve anyone else's change
        assert service.get_item("size-exchange").published.number == 3


def test_policy_read_as_in_force_on_a_date(app, trainer, make_user):
    reviewer = make_user("trainer", "reviewer")

    def policy(body, eff):
        return Draft("七天无理由退货", "售后/退换货", [], body, {"summary": body, "effective_from": eff})

    with app.app_context():
        service.create_item("seven-day", "policy", policy("旧规则", "2024-01-01"), trainer, submit=True)
        service.approve("seven-day", 1, reviewer)
        service.save_revision("seven-day", policy("新规则", "2025-06-01"), 1, trainer, submit=True)
        service.approve("seven-day", 2, reviewer)
        service.save_revision("seven-day", policy("未来规则", "2999-01-01"), 2, trainer, submit=True)
        service.approve("seven-day", 3, reviewer)
        item = service.get_item("seven-day")
        assert service.in_force(item, date(2024, 12, 31)).body.strip() == "旧规则"
        assert service.in_force(item, date(2025, 6, 1)).body.strip() == "新规则"
        assert service.in_force(item, date(2023, 1, 1)) is None
        assert service.agent_revision(item).body.strip() == "新规则"  # scheduled one not yet in force
        assert service.agent_revision(item, date(2999, 1, 2)).body.strip() == "未来规则"


def test_invalid_editor_input_is_refused_with_a_clear_message(app, trainer):
    with app.app_context():
        with pytest.raises(Invalid):
            service.create_item("bad", "faq", Draft("", "售后", [], "x", {}), trainer)
        with pytest.raises(Invalid):
            service.create_item("Bad Slug!", "faq", faq(), trainer)
        with pytest.raises(Conflict):
            service.create_item("dup-slug", "faq", faq(), trainer)
            service.create_item("dup-slug", "faq", faq(), trainer)


def test_html_from_an_older_renderer_is_regenerated(app, trainer):
    from kbsite.content.models import Revision
    from kbsite.db import session, write_session

    with app.app_context():
        service.create_item("size-exchange", "faq", faq(body="**粗体**"), trainer)
        with write_session() as sess:
            rev = sess.query(Revision).one()
            rev.html, rev.renderer_version = "<p>old</p>", 0
        assert service.rerender_outdated() == 1
        rev = session().query(Revision).one()
        assert "<strong>粗体</strong>" in rev.html
        assert service.rerender_outdated() == 0
