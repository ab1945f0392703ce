"""When a request fails, agents read a Chinese message, never the script's own error text."""

from __future__ import annotations

import re

from tests_support import publish, sign_in

DEVELOPER = re.compile(r"fetch|Failed|TypeError|Unexpected token|JSON|null|undefined|NetworkError", re.I)


def _html_502(route):
    route.fulfill(status=502, content_type="text/html", body="<!doctype html><h1>502 Bad Gateway</h1>")


def _each_failure_explained(page, api: str, button: str, status_selector: str) -> None:
    """Click ``button`` while ``api`` is offline, then while a proxy answers with its own page: the
    status line says it failed, in words an agent reads."""
    for name, handler in (("offline", lambda route: route.abort()), ("proxy page", _html_502)):
        page.route(api, handler)
        page.click(button)
        page.wait_for_function(
            "(sel) => /失败/.test(document.querySelector(sel)?.textContent)", arg=status_selector)
        status = page.inner_text(status_selector)
        assert not DEVELOPER.search(status), (name, status)
        page.unroute(api)
        page.eval_on_selector(status_selector, "el => { el.textContent = ''; }")


def test_the_checker_says_what_happened_when_the_network_or_proxy_fails(live_app, context):
    page = context.new_page()
    sign_in(page, live_app.url, "agent")
    page.goto(f"{live_app.url}/check")
    for name, handler in (("offline", lambda route: route.abort()), ("proxy page", _html_502)):
        page.route("**/api/check", handler)
        page.fill("#check-text", f"你自己看说明书 {name}")
        page.wait_for_function("() => /失败/.test(document.getElementById('check-summary').textContent)")
        summary = page.inner_text("#check-summary")
        assert "检查失败" in summary and not DEVELOPER.search(summary), (name, summary)
        page.unroute("**/api/check")
        page.fill("#check-text", "")
        page.wait_for_function("() => !document.getElementById('check-summary').textContent")


def test_a_failed_copy_in_the_composer_is_explained_in_chinese(live_app, context):
    publish(live_app.app, "zz-err-greet", "template", "zzerrcase 问候", "您好，请稍等。")
    page = context.new_page()
    sign_in(page, live_app.url, "agent")
    page.goto(f"{live_app.url}/panel")
    page.keyboard.type("zzerrcase")
    page.wait_for_selector("#ws-hit-0")
    page.keyboard.press("Shift+Enter")
    page.wait_for_selector("#compose .compose-piece")
    _each_failure_explained(page, "**/api/compose/copy", "#compose .compose-copy", "#compose .compose-status")


def test_a_failed_template_copy_is_explained_in_chinese(live_app, context):
    publish(live_app.app, "zz-err-tpl", "template", "zzerrtpl 稍等", "您好，请稍等，我马上为您查询。")
    page = context.new_page()
    sign_in(page, live_app.url, "agent")
    page.goto(f"{live_app.url}/items/zz-err-tpl")
    _each_failure_explained(page, "**/api/templates/*/copy", ".fill-copy", ".fill-status")


def test_opening_a_result_while_offline_says_so_instead_of_doing_nothing(live_app, context):
    """Before: an unhandled rejection (the page-error guard fails on it) and no reaction at all."""
    publish(live_app.app, "zz-err-open", "template", "zzerropen 稍等", "您好，请稍等。")
    publish(live_app.app, "zz-err-faq", "faq", "zzerropen 退款多久", "详见正文。", summary="1-3 个工作日。")
    page = context.new_page()
    sign_in(page, live_app.url, "agent")
    for url, api in ((f"{live_app.url}/search", "**/api/templates/*"), (f"{live_app.url}/panel", "**/api/items/*")):
        page.goto(url)
        page.route(api, lambda route: route.abort())
        page.fill("#ws-q", "zzerropen")
        page.wait_for_selector("#ws-hit-1")
        hits = page.eval_on_selector_all(".ws-hit", "els => els.map(e => e.textContent)")
        want = "稍等" if "templates" in api else "退款多久"
        for _ in range(hits.index(next(h for h in hits if want in h))):
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        page.wait_for_function("() => /失败/.test(document.getElementById('ws-status').textContent)")
        status = page.inner_text("#ws-status")
        assert "网络" in status and not DEVELOPER.search(status), (url, status)
        page.unroute(api)
