"""Playwright: two trainers edit one entry; the second must choose how to merge every conflict.

A save without a choice is refused and every input comes back; choosing resolves; the reviewer
sees the change against what is published and what the merge did to the colleague's version.
"""

from __future__ import annotations

SLUG = "size-exchange"


def test_a_merge_needs_a_choice_per_conflict_and_the_reviewer_sees_both_diffs(live_app, signed_in_page):
    first, second = signed_in_page("trainer"), signed_in_page("reviewer")
    for page in (first, second):  # both open the editor on the same revision
        page.goto(f"{live_app.url}/items/{SLUG}/edit")
    original = first.input_value("textarea[name=body]").rstrip("\n")

    first.fill("textarea[name=body]", original + "\n甲补充：换货寄回请附上订单号。")
    first.fill("textarea[name=summary]", "甲的简答：7天内可换。")
    first.fill("input[name=message]", "甲的修改")
    first.click("button[name=save]")
    first.wait_for_selector(".flash-success")

    second.fill("textarea[name=body]", "乙在开头补充：换货免费。\n" + original + "\n乙补充：吊牌未拆才能换。")
    second.fill("textarea[name=summary]", "乙的简答：签收7天内可换一次。")
    second.fill("input[name=message]", "乙的修改")
    second.click("button[name=submit]")
    second.wait_for_selector("#merge-form")
    assert "乙在开头补充" in second.inner_text("#merge-auto")  # one-sided change merged and listed
    parts = second.locator("fieldset.merge-part")
    assert parts.count() == 2
    assert second.locator("input[type=radio]:checked").count() == 0  # nothing pre-chosen
    body_part = second.locator("fieldset.merge-part", has_text="正文")
    assert body_part.locator("del, ins").count() > 0

    # copying a side into the edit box starts from it and selects "手动编辑"
    body_part.locator("text=把同事的内容复制到编辑框").click()
    assert body_part.locator("input[value=edit]").is_checked()
    assert "甲补充" in body_part.locator("textarea").input_value()
    body_part.locator("input[value=mine]").check()
    # choose only the body; typing in its edit box selects "手动编辑"
    body_part.locator("textarea").fill("乙补充：吊牌未拆才能换。\n甲补充：换货寄回请附上订单号。")
    assert body_part.locator("input[value=edit]").is_checked()
    second.fill("input[name=message]", "合并甲乙")
    second.click("button[name=submit]")
    second.wait_for_selector(".flash-error")
    assert "还有 1 处冲突没有选择如何合并：简答" in second.inner_text(".flash-error")
    body_part = second.locator("fieldset.merge-part", has_text="正文")
    assert body_part.locator("input[value=edit]").is_checked()  # nothing lost
    assert "甲补充：换货寄回请附上订单号。" in body_part.locator("textarea").input_value()
    assert second.input_value("input[name=message]") == "合并甲乙"
    summary_part = second.locator("fieldset.merge-part", has_text="简答")
    assert "merge-missing" in (summary_part.get_attribute("class") or "")

    summary_part.locator("input[value=both]").check()
    second.click("button[name=submit]")
    second.wait_for_selector(".flash-success")
    second.goto(f"{live_app.url}/items/{SLUG}/history")
    assert "合并了第 2 版" in second.inner_text("table.history")

    admin = signed_in_page("admin")
    admin.goto(f"{live_app.url}/review/")
    card = admin.locator(f"section.review-item[data-slug={SLUG}]")
    assert card.locator("table.diff").count() == 2  # against published, and against the colleague
    text = card.inner_text()
    assert "这是一次合并" in text and "同事的修改都保留在合并结果中" in text
    card.locator("button[name=approve]").click()
    admin.wait_for_selector(".flash-success")
    admin.goto(f"{live_app.url}/items/{SLUG}")
    article = admin.inner_text("article")
    assert "甲补充" in article and "乙补充" in article and "乙在开头补充" in article
