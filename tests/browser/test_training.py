"""A new hire takes a drill with a written reply; the trainer's dashboard then shows the attempt."""

from __future__ import annotations

from tests_support import sign_in


def test_new_hire_takes_a_written_drill_and_the_trainer_sees_it(live_app, browser, context):
    page = context.new_page()
    sign_in(page, live_app.url, "newhire")
    page.goto(f"{live_app.url}/training/")
    assert "下一步" in page.inner_text("#next-step")
    page.goto(f"{live_app.url}/training/quizzes/quiz-week1-drills")
    page.click("#start-quiz")
    page.wait_for_selector("#quiz-form")
    source = page.content()
    assert "快递到了，箱子都压扁了" in source  # the situation is shown …
    for secret in ("只能提供给下单人本人", "深表歉意", "不方便透露", "correct", "sample_reply", "explain"):
        assert secret not in source, secret  # … the model reply, key phrasings and flags are not
    page.locator("#question-d1 textarea").fill("非常抱歉！麻烦您拍张照片发给我，我们马上为您补发。")
    page.click("#submit-quiz")
    page.wait_for_selector("#score")
    assert "分" in page.inner_text("#score")
    d1 = page.inner_text("#result-d1")
    assert "已做到" in d1 and "缺少这一点" in d1 and "参考回复" in d1  # feedback per key point
    assert page.locator("#result-d2 .fb-missed").count() > 0  # unanswered points are explained
    assert page.locator("#result-d1 a.cite").count() > 0  # feedback cites the knowledge base

    trainer_ctx = browser.new_context(locale="zh-CN")
    try:
        coach = trainer_ctx.new_page()
        sign_in(coach, live_app.url, "trainer")
        coach.goto(f"{live_app.url}/training/manage")
        recent = coach.inner_text("#recent-attempts")
        assert "newhire" in recent and "情景演练：第一周综合" in recent
        coach.click("#recent-attempts a >> text=情景演练：第一周综合")
        coach.wait_for_selector("#score")
        assert "newhire" in coach.inner_text("#score")
    finally:
        trainer_ctx.close()


def test_ordering_question_reorders_by_keyboard_buttons(live_app, context):
    page = context.new_page()
    sign_in(page, live_app.url, "newhire")
    page.goto(f"{live_app.url}/training/quizzes/quiz-complaints")
    page.click("#start-quiz")
    page.wait_for_selector("ol.ordering")
    items = page.locator("ol.ordering").first.locator("li.order-item")
    first, second = items.nth(0).inner_text(), items.nth(1).inner_text()
    items.nth(1).locator("button.move-up").focus()
    page.keyboard.press("Enter")
    assert items.nth(0).inner_text() == second and items.nth(1).inner_text() == first
    items.nth(0).focus()
    page.keyboard.press("Alt+ArrowDown")
    assert items.nth(0).inner_text() == first
