"""A trainer logs in, opens an entry, edits it with live preview and sees the diff."""

from __future__ import annotations

from tests_support import sign_in


def test_trainer_edits_an_entry_and_sees_the_diff(live_app, context):
    page = context.new_page()
    sign_in(page, live_app.url, "trainer")
    page.goto(f"{live_app.url}/items/size-exchange")
    assert "衣服小了" in page.inner_text("h1")
    page.click("text=编辑")
    page.fill("textarea[name=body]", "签收后**七天**内可以免费换一次尺码。")
    page.wait_for_selector("#preview strong")  # live preview through the sanitiser
    page.fill("input[name=message]", "简化换货说明")
    page.click("button[name=save]")
    page.wait_for_selector(".flash-success")
    page.goto(f"{live_app.url}/items/size-exchange/history")
    page.click("text=比较所选版本")
    diff = page.inner_text("#diff")
    assert "七天" in diff
    assert page.locator("#diff ins").count() > 0 and page.locator("#diff del").count() > 0
