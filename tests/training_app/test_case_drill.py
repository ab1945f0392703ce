"""A case page: one click makes a draft drill and opens the quiz editor; policy changes since the case."""

from __future__ import annotations

from datetime import date

from kbsite import files
from kbsite.content import cases, service
from kbsite.training import quizformat

CASE = "case-broken-parcel"
POLICY = "logistics-claims-policy"


def _new_policy_revision(app, effective_from: str, text: str) -> None:
    with app.test_request_context():
        old = service.get_item(POLICY).published
        service.import_items([files.ItemData(
            slug=POLICY, type="policy", title=old.title, category=old.category, tags=list(old.tags),
            body=old.body + "\n\n" + text, meta=dict(old.meta, effective_from=effective_from),
            source=f"{POLICY}.md")])


def test_one_click_makes_a_draft_drill_and_lands_in_the_quiz_editor(lib, signed_in):
    trainer = signed_in("trainer1", "trainer")
    page = trainer.get(f"/items/{CASE}").get_data(as_text=True)
    assert "生成情景演练（草稿）" in page
    resp = trainer.post(f"/training/cases/{CASE}/drill")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/items/drill-broken-parcel/edit")
    editor = trainer.get("/items/drill-broken-parcel/edit").get_data(as_text=True)
    assert "已根据案例生成情景演练草稿" in editor
    assert 'name="q1-kind" value="scenario_reply"' in editor and "快递到了箱子都压扁了" in editor
    assert f'name="q1-cite" list="kb-entries" value="{CASE}"' in editor
    with lib.app_context():
        item = service.get_item("drill-broken-parcel")
        assert item.type == "quiz" and item.published is None and item.latest.state == "draft"
        assert quizformat.validate_quiz_meta(item.latest.meta) == []
        assert item.latest.meta["questions"][0]["cite"] == CASE
    preview = trainer.get("/training/manage/quizzes/drill-broken-parcel/preview").get_data(as_text=True)
    assert 'id="quiz-valid"' in preview
    # a second click opens the same draft instead of making another
    again = trainer.post(f"/training/cases/{CASE}/drill", follow_redirects=True).get_data(as_text=True)
    assert "已经生成过情景演练" in again
    with lib.app_context():
        assert service.get_item("drill-broken-parcel").latest.number == 1


def test_agents_get_no_button_and_only_cases_make_drills(lib, signed_in):
    agent = signed_in("agent1")
    assert "生成情景演练" not in agent.get(f"/items/{CASE}").get_data(as_text=True)
    assert agent.post(f"/training/cases/{CASE}/drill").status_code == 403
    trainer = signed_in("trainer2", "trainer")
    page = trainer.post("/training/cases/seven-day-return/drill", follow_redirects=True).get_data(as_text=True)
    assert "只有案例可以生成情景演练" in page


def test_the_case_page_names_the_policy_in_force_then_and_says_when_it_changed(lib, signed_in):
    agent = signed_in("agent2")
    page = agent.get(f"/items/{CASE}").get_data(as_text=True)
    assert "本案例发生于 2025-05-06" in page and "《物流异常与破损理赔规则》第 1 版" in page
    assert "已更新" not in page
    _new_policy_revision(lib, "2099-01-01", "将来的条款。")  # approved but not in force yet: no change
    assert "已更新" not in agent.get(f"/items/{CASE}").get_data(as_text=True)
    _new_policy_revision(lib, "2025-09-01", "破损理赔上限提高到 200 元。")
    page = agent.get(f"/items/{CASE}").get_data(as_text=True)
    assert "本案例发生后，《物流异常与破损理赔规则》已更新（现行第 3 版，自 2025-09-01 起施行）" in page
    assert f"/items/{POLICY}/diff?a=1&amp;b=3" in page


def test_policy_changes_use_the_in_force_rule_on_the_day_it_happened(lib):
    _new_policy_revision(lib, "2025-09-01", "新条款。")
    with lib.test_request_context():
        rev = service.get_item(CASE).published
        (before,) = cases.policy_changes(rev, today=date(2025, 8, 31))
        (after,) = cases.policy_changes(rev, today=date(2025, 9, 1))
        assert (before.then.number, before.now.number, before.changed) == (1, 1, False)
        assert (after.then.number, after.now.number, after.changed) == (1, 2, True)
        rev.meta = dict(rev.meta, happened_on="2025-10-01")  # a case after the change: nothing to report
        (later,) = cases.policy_changes(rev, today=date(2025, 10, 2))
        assert later.then.number == 2 and not later.changed
        rev.meta = {k: v for k, v in rev.meta.items() if k != "happened_on"}
        assert cases.policy_changes(rev) == []
