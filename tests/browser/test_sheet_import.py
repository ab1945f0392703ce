"""Playwright: a trainer imports a spreadsheet of templates after seeing its preview."""

from __future__ import annotations

from sheet_support import xlsx
from tests_support import sign_in

ROWS = [["大促", "大促预售说明", "您好【客户称呼】，预售商品将于{发货日期}前发出。", "大促,预售"],
        ["大促", "大促价保说明", "亲，活动期间下单享受价保，差价会原路退回。", "大促"]]


def test_trainer_uploads_previews_confirms_and_finds_the_templates(live_app, context, tmp_path):
    path = tmp_path / "大促话术.xlsx"
    path.write_bytes(xlsx(ROWS))
    page = context.new_page()
    sign_in(page, live_app.url, "trainer")
    page.click("nav.mainnav >> text=导入导出")
    page.set_input_files("#sheet-import input[name=sheet]", str(path))
    page.click("#sheet-import button.primary")

    page.wait_for_selector("#plan")
    assert "新建 2 条" in page.inner_text("#plan-counts")
    rows = page.locator("#plan tbody tr")
    assert rows.count() == 2 and "第 2 行" in rows.nth(0).inner_text()
    assert "【客户称呼】 → {{客户称呼}}" in rows.nth(0).inner_text()

    page.click("#confirm-import")
    page.wait_for_selector("#imported")
    assert "大促预售说明" in page.inner_text("#imported")
    page.click("text=查看全部话术模板")
    page.wait_for_load_state()
    assert "大促预售说明" in page.content() and "大促价保说明" in page.content()
    page.goto(f"{live_app.url}/items/da-cu-yu-shou-shuo-ming")
    body = page.inner_text("body")
    assert "大促预售说明" in body and "发货日期" in body and "待审核" in body  # queued for review
