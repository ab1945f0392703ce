"""Browser tests: the real site served from a thread, driven by Debian's Chromium via Playwright.

Skipped cleanly when /usr/bin/chromium is missing (CI installs it with apt).
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from tests_support import PASSWORD, build_app, sign_in
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class LiveServer:
    """A real HTTP server on 127.0.0.1 for one app."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_app(tmp_path, library_template):
    """A live server over a private copy of the starter library, CSRF on, with users by role."""
    home = tmp_path / "instance"
    shutil.copytree(library_template, home, symlinks=True)
    app = build_app(home, WTF_CSRF_ENABLED=True, TESTING=False)
    with app.app_context():
        from kbsite.auth import service

        for name, role in (("agent", "agent"), ("trainer", "trainer"), ("reviewer", "trainer"),
                           ("admin", "admin"), ("newhire", "agent")):
            service.create_user(name, role, PASSWORD)
    server = LiveServer(app)
    yield server
    server.stop()
    app.extensions["kbsite.db"].engine.dispose()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture
def signed_in_page(browser, live_app):
    """Factory: a page in a browser context of its own, signed in as ``username``; closed afterwards."""
    contexts = []

    def make(username: str):
        ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        contexts.append(ctx)
        page = ctx.new_page()
        sign_in(page, live_app.url, username)
        return page

    yield make
    for ctx in contexts:
        ctx.close()
