"""A three-piece reply with two shared placeholders, composed and copied in the side panel.

Keystrokes are counted from the moment the results are shown; typed placeholder values are
text, not commands, and are counted apart.
"""

from __future__ import annotations

import io

from PIL import Image as PILImage
from tests_support import publish, sign_in

MAX_KEYS = 6


def _pieces(app):
    from kbsite.content import images

    buf = io.BytesIO()
    PILImage.new("RGB", (60, 40), (220, 40, 40)).save(buf, "JPEG")
    with app.app_context():
        card = images.store(buf.getvalue(), "退货地址卡.jpg")
    publish(app, "zz-greet", "template", "zzcompose 问候", "{{客户称呼}}您好，订单{{订单号}}我这边查到了。",
            placeholders=["客户称呼", "订单号"])
    publish(app, "zz-refund-answer", "faq", "zzcompose 退款答案", "详细说明……",
            summary="退款会在1-3个工作日原路退回。", images=[card])
    publish(app, "zz-register", "template", "zzcompose 登记", "{{客户称呼}}，订单{{订单号}}已为您登记。",
            placeholders=["客户称呼", "订单号"])


def test_three_piece_reply_in_six_keystrokes(live_app, context):
    _pieces(live_app.app)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_app.url)
    page = context.new_page()
    sign_in(page, live_app.url, "agent")
    page.goto(f"{live_app.url}/panel")
    page.keyboard.type("zzcompose")
    page.wait_for_selector("#ws-hit-2")
    assert page.locator(".ws-hit").count() == 3
    titles = page.eval_on_selector_all(".ws-hit-title", "els => els.map(e => e.textContent)")

    keys = 0

    def press(key):
        nonlocal keys
        keys += 1
        page.keyboard.press(key)

    for _ in range(3):
        press("Shift+Enter")
    page.wait_for_selector("#compose .compose-piece:nth-child(3)")
    assert page.eval_on_selector_all("#compose .compose-piece span", "els => els.map(e => e.textContent)") == titles
    fields = page.eval_on_selector_all("#compose .compose-fields input", "els => els.map(e => e.name)")
    assert fields == ["客户称呼", "订单号"]  # each shared name is one field
    assert "2 段共用" in page.inner_text("#compose .compose-fields")

    page.evaluate("navigator.clipboard.writeText('untouched')")
    press("Tab")
    page.keyboard.type("王女士")
    press("Control+Enter")  # one placeholder still empty: blocked, focus goes to it
    page.wait_for_selector("#compose .compose-warn:not(.hidden)")
    assert page.evaluate("document.activeElement.name") == "订单号"
    assert page.evaluate("navigator.clipboard.readText()") == "untouched"
    page.keyboard.type("A123")
    press("Control+Enter")
    page.wait_for_selector("#compose .compose-status:has-text('已复制整段回复')")
    assert keys <= MAX_KEYS, keys
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "王女士您好，订单A123我这边查到了。" in copied and "王女士，订单A123已为您登记。" in copied
    assert "退款会在1-3个工作日原路退回。" in copied and "{{" not in copied
    assert copied == page.inner_text("#compose .compose-preview")
    page.wait_for_selector("#compose .compose-check:has-text('没有发现禁用语')")

    # the answer's image sits next to the text: copied as a picture (PNG) or as a link
    page.wait_for_selector("#compose .img-card img")
    assert page.eval_on_selector("#compose .img-card img", "i => i.naturalWidth") == 60
    page.click("#compose .img-link")
    page.wait_for_selector("#compose .img-card :text('已复制链接')")
    link = page.evaluate("navigator.clipboard.readText()")
    assert link.startswith(live_app.url + "/images/") and link.endswith(".jpg")
    page.click("#compose .img-copy")
    page.wait_for_selector("#compose .img-card :text('已复制图片')")
    kinds = page.evaluate("navigator.clipboard.read().then(items => items.flatMap(i => i.types))")
    assert "image/png" in kinds

    # the composition comes back after clearing, from the server
    page.click("#compose button:has-text('清空')")
    page.wait_for_selector("#compose .compose-recent button")
    page.click("#compose .compose-recent button")
    page.wait_for_selector("#compose .compose-piece:nth-child(3)")


def test_initials_search_in_the_panel(live_app, context):
    page = context.new_page()
    sign_in(page, live_app.url, "agent")
    page.goto(f"{live_app.url}/panel")
    page.keyboard.type("qtwly")
    page.wait_for_selector("#ws-hit-0")
    assert "七天无理由" in page.inner_text("#ws-hit-0 .ws-hit-title")
    page.fill("#ws-q", "")
    page.keyboard.type("tk")
    page.wait_for_selector("#ws-hit-0 .ws-hit-title:has-text('退款')")
