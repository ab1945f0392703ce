"""A written reply the grader is unsure of: 待批改 for the trainee, marked by a trainer, then final."""

from __future__ import annotations

from tests_support import sign_in

UNSURE = "非常抱歉，我们马上为您补发两个新的杯子。"  # 2 of 4 key points: a trainer decides


def test_unsure_reply_goes_to_review_and_the_trainer_override_reaches_the_trainee(live_app, browser, context):
    page = context.new_page()
    sign_in(page, live_app.url, "newhire")
    page.goto(f"{live_app.url}/training/quizzes/quiz-week1-drills")
    page.click("#start-quiz")
    page.wait_for_selector("#quiz-form")
    page.locator("#question-d1 textarea").fill(UNSURE)
    page.click("#submit-quiz")
    page.wait_for_selector("#score")
    assert "待批改" in page.inner_text("#score")
    assert "已交给培训师批改" in page.inner_text("#result-d1")
    attempt_url = page.url

    trainer_ctx = browser.new_context(locale="zh-CN")
    try:
        coach = trainer_ctx.new_page()
        sign_in(coach, live_app.url, "trainer")
        coach.goto(f"{live_app.url}/training/manage")
        assert "1 条" in coach.inner_text("#marking-link")
        coach.click("#marking-link a")
        coach.wait_for_selector("#marking-queue")
        assert "newhire" in coach.inner_text("#marking-queue")
        coach.click("#marking-queue a.button")
        coach.wait_for_selector("#marking-form")
        assert UNSURE in coach.inner_text("#marked-reply")
        assert "✔ 做到" in coach.content() and "✘ 未做到" in coach.content()
        coach.fill("#marking-form input[name=score]", "90")
        coach.fill("#marking-form textarea[name=comment]", "要照片一点没写，但方案清楚，酌情给分。")
        coach.click("#override-score")
        coach.wait_for_selector("#marking-queue")
        assert "没有待批改的回复" in coach.inner_text("#marking-queue")
    finally:
        trainer_ctx.close()

    page.goto(attempt_url)
    assert "待批改" not in page.inner_text("#score")
    d1 = page.inner_text("#result-d1")
    assert "培训师批改：90.0 分" in d1 and "酌情给分" in d1
    assert "分" in page.inner_text("#score") and "未通过" in page.inner_text("#score")
