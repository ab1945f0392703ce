"""The search page says plainly when there is no direct answer, and one click tells trainers."""

from __future__ import annotations

from tests_support import sign_in


def test_agent_reports_a_missing_answer_and_the_trainer_sees_it(live_app, browser):
    agent = browser.new_context(locale="zh-CN")
    page = agent.new_page()
    sign_in(page, live_app.url, "agent")
    page.goto(f"{live_app.url}/search")
    page.keyboard.type("退款多久到账")
    page.wait_for_selector(".ws-hit")
    assert page.locator("#ws-gap").is_hidden()  # a direct answer: no notice

    page.fill("#ws-q", "")
    page.keyboard.type("世界杯谁夺冠了")
    page.wait_for_selector("#ws-gap:not([hidden])")
    # Every keystroke searches; on a busy machine a later answer may redraw the notice, so
    # click only once the last one is in.
    page.wait_for_load_state("networkidle")
    assert "没有找到直接答案" in page.inner_text("#ws-gap")
    page.click("#ws-gap .ws-gap-report")
    page.wait_for_selector("#ws-gap .ws-gap-done")
    agent.close()

    trainer = browser.new_context(locale="zh-CN")
    page = trainer.new_page()
    sign_in(page, live_app.url, "trainer")
    page.goto(f"{live_app.url}/insights/gaps")
    assert "世界杯谁夺冠了" in page.inner_text("#reported-gaps")
    trainer.close()
