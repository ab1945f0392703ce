"""The side panel inside a frame of another local origin, as a chat tool's side bar shows it.

Two origins on loopback: the "chat tool" page on one port holds an <iframe> of kbsite's /panel
on another. What headless Chromium does with the session cookie over plain http:
  * 127.0.0.1:A framing 127.0.0.1:B is cross-origin but same-site: SameSite=Lax cookies work
    (KBSITE_FRAME_COOKIES=same-site);
  * 127.0.0.1:A framing localhost:B is cross-site: Lax cookies are not sent (the login's CSRF
    check fails); SameSite=None; Secure alone is not enough either, because this Chromium (156)
    blocks third-party cookies in Playwright's (incognito) contexts; SameSite=None; Secure;
    Partitioned works (KBSITE_FRAME_COOKIES=cross-site, the default). Chromium accepts Secure
    cookies from http://localhost (a potentially trustworthy origin), not from other http
    hosts: a real deployment needs HTTPS;
  * an origin not in KBSITE_FRAME_ANCESTORS gets no panel at all.
"""

from __future__ import annotations

import re
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from tests_support import PASSWORD, build_app
from werkzeug.serving import make_server


class ChatTool:
    """A second tiny HTTP server on another loopback port: a page with the panel in an iframe."""

    def __init__(self):
        self.src = ""
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                body = (f'<!doctype html><title>chat</title><p>千牛工作台</p>'
                        f'<iframe id="kb" src="{outer.src}" width="380" height="760"></iframe>').encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


class Site:
    """kbsite served from a thread on 127.0.0.1 (reachable as localhost too)."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


@pytest.fixture
def chat_tool():
    tool = ChatTool()
    yield tool
    tool.stop()


@pytest.fixture
def panel_site(tmp_path, library_template, chat_tool):
    """Factory: kbsite allowing ``chat_tool`` to frame the panel, with the given cookie mode."""
    servers = []

    def make(cookies: str, ancestors: str | None = None):
        home = tmp_path / f"instance-{len(servers)}"
        shutil.copytree(library_template, home, symlinks=True)
        app = build_app(home, WTF_CSRF_ENABLED=True, TESTING=False, FRAME_COOKIES=cookies,
                        FRAME_ANCESTORS=ancestors or chat_tool.url)
        with app.app_context():
            from kbsite.auth import service

            service.create_user("agent", "agent", PASSWORD)
        server = Site(app)
        servers.append((server, app))
        return server

    yield make
    for server, app in servers:
        server.stop()
        app.extensions["kbsite.db"].engine.dispose()


def _framed_panel(page, chat_tool, panel_origin: str):
    chat_tool.src = f"{panel_origin}/panel"
    page.goto(chat_tool.url)
    frame = page.frame_locator("#kb")
    frame.locator("input[name=username]").fill("agent")
    frame.locator("input[name=password]").fill(PASSWORD)
    frame.locator("button[type=submit]").click()
    return frame


def _search_fill_copy(page, frame):
    frame.locator("#ws-q").wait_for()
    frame.locator("#ws-q").focus()
    page.keyboard.type("退款多久到账")
    frame.locator(".ws-hit").first.wait_for()
    assert frame.locator(".ws-hit .ws-trust").count() > 0  # trust line on every result
    status = frame.locator("#ws-status").inner_text()
    assert "失败" not in status and not re.search(r"[A-Za-z]{4,}", status), status
    page.keyboard.press("Enter")
    frame.locator("#ws-panel:not(.hidden)").wait_for()


def test_panel_in_same_site_frame_with_lax_cookies(panel_site, chat_tool, context):
    site = panel_site("same-site")
    page = context.new_page()
    frame = _framed_panel(page, chat_tool, site.url)
    _search_fill_copy(page, frame)
    width = frame.locator(".pn-main").evaluate("e => e.getBoundingClientRect().width")
    assert 300 <= width <= 400
    # an FAQ opens in place (the frame stays on the panel), with its trust line
    frame.locator("#ws-q").fill("")
    frame.locator("#ws-q").focus()
    page.keyboard.type("发票怎么开")
    frame.locator(".ws-hit .badge-faq").first.wait_for()
    index = frame.locator(".ws-hit .badge").evaluate_all(
        "els => els.findIndex(e => e.classList.contains('badge-faq'))")
    for _ in range(index):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    frame.locator("#ws-panel .pn-answer").wait_for()
    assert frame.locator("#ws-panel .ws-trust").inner_text()
    assert "/panel" in frame.locator("#ws-q").evaluate("() => location.pathname")
    # the reply checker in the panel
    frame.locator("#pn-check summary").click()
    frame.locator("#pn-check-text").fill("这个不归我们管")
    frame.locator("#pn-check-summary:has-text('发现')").wait_for()


def test_panel_in_cross_site_frame_needs_samesite_none(panel_site, chat_tool, context):
    site = panel_site("cross-site")
    panel_origin = site.url.replace("127.0.0.1", "localhost")
    page = context.new_page()
    frame = _framed_panel(page, chat_tool, panel_origin)
    _search_fill_copy(page, frame)


def test_lax_cookies_are_lost_in_a_cross_site_frame(panel_site, chat_tool, context):
    site = panel_site("same-site")
    page = context.new_page()
    frame = _framed_panel(page, chat_tool, site.url.replace("127.0.0.1", "localhost"))
    # the login POST from the frame carries no session: the CSRF check refuses it
    frame.locator("text=安全令牌").wait_for()
    assert frame.locator("#ws-q").count() == 0


def test_unlisted_origin_gets_no_panel(panel_site, chat_tool, context):
    site = panel_site("same-site", ancestors="https://other.example")
    page = context.new_page()
    chat_tool.src = f"{site.url}/login"
    page.goto(chat_tool.url)
    page.wait_for_timeout(500)
    kb = next(f for f in page.frames if f != page.main_frame)
    assert kb.locator("input[name=username]").count() == 0
