"""Playwright: review before publish (trainer → reviewer → agent) and agents' problem reports."""

from __future__ import annotations

from tests_support import sign_in

SLUG = "size-exchange"


def _page_for(browser, live_app, username):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    sign_in(page, live_app.url, username)
    return ctx, page


def test_trainer_submits_a_reviewer_approves_and_the_agent_sees_it(live_app, browser):
    contexts = []
    try:
        ctx, trainer = _page_for(browser, live_app, "trainer")
        contexts.append(ctx)
        trainer.goto(f"{live_app.url}/items/{SLUG}/edit")
        trainer.fill("textarea[name=body]", "签收后七天内可以免费换一次尺码，运费由店铺承担。")
        trainer.fill("input[name=message]", "写明运费")
        trainer.click("button[name=submit]")
        trainer.wait_for_selector(".flash-success")

        ctx, agent = _page_for(browser, live_app, "agent")
        contexts.append(ctx)
        agent.goto(f"{live_app.url}/items/{SLUG}")
        assert "运费由店铺承担" not in agent.inner_text("article")

        # the author cannot approve their own change
        trainer.goto(f"{live_app.url}/review/")
        own = trainer.locator(f"section.review-item[data-slug={SLUG}]")
        assert "需由其他培训师或管理员审核" in own.inner_text()

        ctx, reviewer = _page_for(browser, live_app, "reviewer")
        contexts.append(ctx)
        reviewer.click("nav.mainnav >> text=审核")
        card = reviewer.locator(f"section.review-item[data-slug={SLUG}]")
        assert card.locator("ins").count() > 0  # the diff against what is published
        card.locator("button[name=approve]").click()
        reviewer.wait_for_selector(".flash-success")
        assert "客服现在看到的是新版本" in reviewer.inner_text(".flash-success")

        agent.reload()
        assert "运费由店铺承担" in agent.inner_text("article")
        trainer.goto(f"{live_app.url}/items/{SLUG}/history")
        events = trainer.inner_text("ul.events")
        assert "保存修改" in events and "批准发布" in events and "reviewer" in events
    finally:
        for ctx in contexts:
            ctx.close()


def test_an_agent_reports_a_problem_and_a_trainer_closes_it_from_home(live_app, browser):
    contexts = []
    try:
        ctx, agent = _page_for(browser, live_app, "agent")
        contexts.append(ctx)
        agent.goto(f"{live_app.url}/items/{SLUG}")
        agent.click("text=这条内容有问题？告诉负责人")
        agent.check("input[name=kind][value=outdated]")
        agent.fill("textarea[name=text]", "换货运费现在由店铺承担，这里还写顾客承担")
        agent.click("text=提交反馈")
        assert "反馈已转给这条内容的负责人" in agent.inner_text(".flash-success")

        ctx, trainer = _page_for(browser, live_app, "trainer")
        contexts.append(ctx)
        trainer.click("#trainer-box >> text=客服反馈待处理")
        row = trainer.locator("#open-reports tr.report", has_text="换货运费现在由店铺承担")
        assert "已过时" in row.inner_text()
        row.locator("input[name=note]").fill("已改为店铺承担")
        row.locator("text=标记为已处理").click()
        trainer.wait_for_selector(".flash-success")
        assert "没有待处理的反馈" in trainer.content()
        assert "已改为店铺承担" in trainer.inner_text("#resolved-reports")
    finally:
        for ctx in contexts:
            ctx.close()
