"""Layout a user would notice: whole lines in the 380 px panel, fields not hidden under the top bar."""

from __future__ import annotations

from tests_support import sign_in


def test_panel_snippets_show_whole_lines_at_380_px(browser, live_app):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 380, "height": 800})
    try:
        page = ctx.new_page()
        sign_in(page, live_app.url, "agent")
        page.goto(f"{live_app.url}/panel")
        page.keyboard.type("退货")
        page.wait_for_selector(".ws-hit .ws-snippet")
        assert page.evaluate("document.documentElement.scrollWidth") <= 380  # no sideways scrolling
        boxes = page.eval_on_selector_all(".ws-hit .ws-snippet", """els => els.map(e => {
            const cs = getComputedStyle(e);
            return {h: e.getBoundingClientRect().height, line: parseFloat(cs.lineHeight),
                    full: e.scrollHeight, text: e.textContent.slice(0, 20)};
        })""")
        assert boxes
        for b in boxes:
            lines = b["h"] / b["line"]
            assert abs(lines - round(lines)) < 0.1, b  # a clipped half line reads as garbage
            assert round(lines) <= 2, b
        # the trust line under a snippet is not overlapped by it
        overlap = page.eval_on_selector_all(".ws-hit", """hits => hits.filter(h => {
            const s = h.querySelector('.ws-snippet'), t = h.querySelector('.ws-trust');
            return s && t && s.getBoundingClientRect().bottom > t.getBoundingClientRect().top + 1;
        }).length""")
        assert overlap == 0
    finally:
        ctx.close()


def test_an_invalid_field_is_not_hidden_under_the_sticky_top_bar(live_app, context):
    page = context.new_page()
    sign_in(page, live_app.url, "trainer")
    page.goto(f"{live_app.url}/items/new?type=announcement")
    page.fill("input[name=title]", "双十二排班通知")
    page.fill("input[name=category]", "公告/排班")
    page.fill("textarea[name=summary]", "12月12日全员在岗。")
    page.fill("textarea[name=body]", "请各位确认。")
    page.click("button[name=submit]")  # 生效时间 is empty: the browser scrolls to it and stops
    page.wait_for_timeout(300)
    assert page.url.endswith("/items/new?type=announcement")
    assert page.evaluate("document.activeElement.name") == "valid_from"
    assert page.evaluate("window.scrollY") > 0
    bar = page.eval_on_selector(".topbar", "e => e.getBoundingClientRect().bottom")
    field = page.eval_on_selector("input[name=valid_from]", "e => e.getBoundingClientRect().top")
    assert field >= bar, (field, bar)


def test_the_site_stays_readable_in_a_narrow_window(browser, live_app):
    """At 380 px the top bar wraps by whole labels, nothing scrolls sideways, pages stay usable."""
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 380, "height": 800})
    try:
        page = ctx.new_page()
        sign_in(page, live_app.url, "trainer")
        for path in ("/", "/check", "/browse", "/training/", "/review/"):
            page.goto(f"{live_app.url}{path}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 380, path
            labels = page.eval_on_selector_all(".mainnav a, .brand, .userbox a", """els => els.map(e => {
                const r = e.getBoundingClientRect(), lh = parseFloat(getComputedStyle(e).lineHeight);
                return {text: e.textContent.trim(), lines: Math.round(r.height / lh)};
            })""")
            assert [x for x in labels if x["lines"] > 1] == [], (path, labels)
            bar = page.eval_on_selector(".topbar", "e => e.getBoundingClientRect().height")
            assert bar < 200, (path, bar)  # three short lines at most
    finally:
        ctx.close()
