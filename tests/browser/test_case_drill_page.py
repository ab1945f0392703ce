"""Playwright: a trainer turns a case into a draft drill with one click and lands in the quiz editor."""

from __future__ import annotations


def test_one_click_on_a_case_opens_the_new_drill_in_the_editor(live_app, signed_in_page):
    trainer = signed_in_page("trainer")
    trainer.goto(f"{live_app.url}/items/case-lost-parcel")
    assert "本案例发生于 2025-07-14" in trainer.inner_text("#case-policies")
    trainer.click("#make-drill button")
    trainer.wait_for_url(f"{live_app.url}/items/drill-lost-parcel/edit")
    assert "已根据案例生成情景演练草稿" in trainer.inner_text(".flash-success")
    question = trainer.locator("#quiz-questions > li.q-edit").first
    assert "情景回复题" in question.inner_text()
    assert trainer.input_value("input[name=q1-kind]") == "scenario_reply"
    assert "我的鞋五天沒動靜了" in trainer.input_value("input[name=q1-chat1-text]")
    assert trainer.input_value("input[name=q1-cite]") == "case-lost-parcel"
    assert trainer.input_value("input[name=title]").startswith("案例演练：")
