"""The shared guard: an uncaught script error in any watched page is recorded for the running test."""

from __future__ import annotations


def test_a_throwing_script_is_recorded_in_every_kind_of_page(browser, context, page_errors):
    page = context.new_page()
    page.set_content("<script>setTimeout(() => { throw new Error('boom-context'); }, 0)</script>")
    page.wait_for_timeout(100)
    alone = browser.new_page()
    try:
        alone.set_content("<script>null.missing</script>")
        with page.expect_popup() as popup_info:
            page.evaluate("window.open('about:blank')")
        popup = popup_info.value
        popup.evaluate("setTimeout(() => { throw new Error('boom-popup'); }, 0)")
        popup.wait_for_timeout(100)
    finally:
        alone.context.close()
    text = "\n".join(page_errors)
    assert "boom-context" in text and "boom-popup" in text and "null" in text, page_errors
    page_errors.clear()  # expected here; any left over would fail this test


def test_a_quiet_page_leaves_nothing(context, page_errors):
    page = context.new_page()
    page.set_content("<p>ok</p><script>document.querySelector('p').textContent = 'fine'</script>")
    assert page.inner_text("p") == "fine"
    assert page_errors == []
