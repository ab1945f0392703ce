"""An agent finds a template by keyboard alone, fills it, copies it; the checker flags a variant phrase."""

from __future__ import annotations

import re

from tests_support import sign_in

QUERY = "钱啥时候退回来"


def _agent_page(live_app, context):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_app.url)
    page = context.new_page()
    sign_in(page, live_app.url, "agent")
    return page


def _focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.name || ''")


def test_keyboard_only_search_fill_and_copy(live_app, context):
    page = _agent_page(live_app, context)
    page.goto(f"{live_app.url}/search")
    assert _focused(page) == "ws-q"
    page.keyboard.type(QUERY)
    page.wait_for_selector(".ws-hit .badge-template")
    page.wait_for_load_state("networkidle")  # the whole query's results, not a first keystroke's
    kinds = page.eval_on_selector_all(".ws-hit .badge", "els => els.map(e => e.className)")
    position = next(i for i, k in enumerate(kinds) if "badge-template" in k)
    assert page.locator(".ws-hit mark").count() > 0  # highlighted snippets
    for _ in range(position):
        page.keyboard.press("ArrowDown")
    assert page.get_attribute(f"#ws-hit-{position}", "aria-selected") == "true"
    page.keyboard.press("Enter")
    page.wait_for_selector("#ws-panel .fill-fields input")
    names = page.eval_on_selector_all("#ws-panel .fill-fields input", "els => els.map(e => e.name)")
    assert names[0] == "客户称呼" and _focused(page) == "客户称呼"

    values = {name: f"值{n}" for n, name in enumerate(names)}
    values["客户称呼"] = "王女士"
    for name in names[:-1]:
        page.keyboard.type(values[name])
        page.keyboard.press("Tab")
    # one placeholder still empty: Ctrl+Enter warns instead of copying
    page.evaluate("navigator.clipboard.writeText('untouched')")
    page.keyboard.press("Control+Enter")
    warning = page.wait_for_selector("#ws-panel .fill-warn:not(.hidden)")
    assert names[-1] in warning.inner_text()
    assert _focused(page) == names[-1]
    assert page.evaluate("navigator.clipboard.readText()") == "untouched"
    assert "{{" + names[-1] + "}}" in page.inner_text("#ws-panel .fill-preview")

    page.keyboard.type(values[names[-1]])
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#ws-panel .fill-status:has-text('已复制')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("王女士，")
    assert all(v in copied for v in values.values()) and "{{" not in copied
    assert copied.strip() == page.inner_text("#ws-panel .fill-preview").strip()

    # the copy is counted and the template is now in the recent list
    page.keyboard.press("Escape")
    assert _focused(page) == "ws-q"
    page.wait_for_selector("#ws-list-recent a[data-template]")


def test_slash_focuses_and_escape_clears(live_app, context):
    page = _agent_page(live_app, context)
    page.goto(f"{live_app.url}/search?q=运费")
    page.wait_for_selector(".ws-hit")
    page.click("h2 >> nth=0")  # focus away from the box
    page.keyboard.press("/")
    assert _focused(page) == "ws-q"
    page.keyboard.press("Escape")
    assert page.input_value("#ws-q") == ""
    page.wait_for_selector(".ws-hit", state="detached")


def test_facet_filters_and_channel_tabs(live_app, context):
    page = _agent_page(live_app, context)
    page.goto(f"{live_app.url}/search?q=退款")
    page.wait_for_selector(".chip[data-key=type][data-value=template]")
    page.click(".chip[data-key=type][data-value=template]")
    page.wait_for_selector(".chip-on[data-key=type]")
    badges = page.eval_on_selector_all(".ws-hit .badge", "els => els.map(e => e.className)")
    assert badges and all("badge-template" in b for b in badges)
    page.goto(f"{live_app.url}/items/refund-notice-approved")
    page.wait_for_selector("#tpl-panel .fill-tab")
    assert page.eval_on_selector_all("#tpl-panel .fill-tab", "els => els.map(e => e.textContent)") == ["在线", "电话", "邮件"]
    page.click("#tpl-panel .fill-tab:has-text('邮件')")
    assert page.inner_text("#tpl-panel .fill-preview").startswith("尊敬的{{客户称呼}}")
    assert "店铺名称" in page.eval_on_selector_all("#tpl-panel input", "els => els.map(e => e.name)")


def test_enter_right_after_typing_opens_the_top_hit_of_the_whole_query(live_app, context):
    """Enter before the last keystroke's results arrive waits for them: it never opens a prefix's hit."""
    page = _agent_page(live_app, context)
    page.goto(f"{live_app.url}/search")
    page.evaluate("""() => document.addEventListener('ws:open', (ev) => {
      window.__opened = ev.detail.hit.slug; ev.preventDefault(); })""")
    query = "退货运费谁出"
    expected = page.request.get(f"{live_app.url}/api/search?q={query}&log=0").json()["results"][0]["slug"]
    page.keyboard.type(query)
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.__opened !== undefined")
    assert page.evaluate("window.__opened") == expected
    assert page.input_value("#ws-q") == query


def test_faq_answer_copies_from_the_keyboard(live_app, context):
    page = _agent_page(live_app, context)
    page.goto(f"{live_app.url}/items/size-exchange")
    page.focus("[data-copy-target=answer-text]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-copy-target=answer-text]:has-text('已复制')")
    assert page.evaluate("navigator.clipboard.readText()") == page.inner_text("#answer-text")
    assert page.locator(".related .item-row").count() >= 3


def test_checker_flags_traditional_phrase_with_a_space(live_app, context):
    page = _agent_page(live_app, context)
    page.goto(f"{live_app.url}/check")
    assert _focused(page) == "check-text"
    page.keyboard.type("亲，這個不歸 我管，麻烦您理解。")
    mark = page.wait_for_selector("#check-result .check-marked mark")
    assert mark.inner_text() == "這個不歸 我管"
    assert "推诿" in (mark.get_attribute("title") or "")
    issues = page.inner_text("#check-result .check-issues")
    assert "推诿" in issues and re.search("建议：这个问题我来帮您联系", issues)
    assert "1 处" in page.inner_text("#check-summary")
