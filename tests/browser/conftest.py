"""Browser tests: the real site served from a thread, driven by Debian's Chromium via Playwright.

Skipped cleanly when /usr/bin/chromium is missing (CI installs it with apt).

Every page opened through the shared ``browser`` (any context, any page, popups too) is watched:
an uncaught script error ("pageerror") fails the test that was running, so a broken script can
never hide behind an assertion that happens to pass. A test that provokes one on purpose reads
and clears the ``page_errors`` list.
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

# Uncaught script errors of the running test, as "url: message" (see pytest_runtest_call below).
PAGE_ERRORS: list[str] = []


def _watch_page(page) -> None:
    page.on("pageerror", lambda exc: PAGE_ERRORS.append(f"{page.url}: {exc}"))


def _watch_context(ctx):
    ctx.on("page", _watch_page)  # fires for new_page() and for popups alike
    return ctx


def _watched(browser):
    """The browser with new_context/new_page wrapped so that every page is watched."""
    new_context, new_page = browser.new_context, browser.new_page

    def watched_context(*args, **kwargs):
        return _watch_context(new_context(*args, **kwargs))

    def watched_page(*args, **kwargs):
        page = new_page(*args, **kwargs)  # its own context, created before we could listen
        _watch_page(page)
        _watch_context(page.context)  # later popups
        return page

    browser.new_context, browser.new_page = watched_context, watched_page
    return browser


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail the test when any watched page had an uncaught script error while it ran."""
    PAGE_ERRORS.clear()
    result = yield
    errors, PAGE_ERRORS[:] = list(PAGE_ERRORS), []
    if errors:
        raise AssertionError("uncaught script error(s) in the page:\n" + "\n".join(errors))
    return result


@pytest.fixture
def page_errors() -> list[str]:
    """The running test's uncaught page errors; clear it after asserting on an expected one."""
    return PAGE_ERRORS


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield _watched(b)
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
