"""A trainer adds a written-reply question with two key points through the quiz form, in Chromium."""

from __future__ import annotations

from tests_support import sign_in


def test_trainer_adds_a_scenario_reply_question_through_the_form(live_app, context):
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    sign_in(page, live_app.url, "trainer")
    page.goto(f"{live_app.url}/items/quiz-complaints/edit")
    page.wait_for_selector("#quiz-editor.js-ready")
    before = page.locator("#quiz-questions > li.q-edit").count()
    page.select_option("#new-question-kind", "scenario_reply")
    page.click("#add-question")
    questions = page.locator("#quiz-questions > li.q-edit")
    assert questions.count() == before + 1
    added = questions.last
    assert "情景回复题" in added.inner_text() and added.locator(".q-number").inner_text() == str(before + 1)
    added.locator('.rows[data-group="chat"] .row-edit').first.locator('input[name$="-text"]').fill(
        "我买的杯子到了是碎的，怎么办？")
    points = added.locator('.rows[data-group="kp"]')
    points.locator(":scope > button.add-row").click()
    rows = points.locator(".row-edit")
    assert rows.count() == 2
    for row, (name, phrasings) in zip([rows.nth(0), rows.nth(1)],
                                      [("致歉", "抱歉\n对不起"), ("给方案", "补发\n退款")], strict=True):
        row.locator('input[name$="-name"]').fill(name)
        row.locator('textarea[name$="-phrasings"]').fill(phrasings)
    added.locator('textarea[name$="-sample_reply"]').fill("非常抱歉，我们马上为您补发。")
    added.locator("button.q-up").click()  # moved above the last starter question
    assert questions.nth(before - 1).locator(".q-number").inner_text() == str(before)
    page.fill('input[name="message"]', "加一道写回复题")
    page.click('button[name="save"]')
    page.wait_for_url(f"{live_app.url}/items/quiz-complaints")
    assert "已保存第" in page.content()
    assert problems == []

    with live_app.app.app_context():
        from kbsite.content import service

        questions_meta = service.get_item("quiz-complaints").latest.meta["questions"]
    new = questions_meta[before - 1]
    assert new["kind"] == "scenario_reply" and new["chat"] == [
        {"from": "customer", "text": "我买的杯子到了是碎的，怎么办？"}]
    assert new["key_points"] == [{"name": "致歉", "phrasings": ["抱歉", "对不起"]},
                                 {"name": "给方案", "phrasings": ["补发", "退款"]}]
    assert new["sample_reply"] == "非常抱歉，我们马上为您补发。" and len(questions_meta) == before + 1
