"""Error pages and JSON errors speak Chinese for every HTTP status, never Werkzeug's English text."""

from __future__ import annotations

import re

import pytest
from flask import abort
from tests_support import build_app, login
from werkzeug.exceptions import default_exceptions

CODES = sorted(code for code in default_exceptions if code >= 400)


@pytest.fixture(scope="module")
def boom_app(tmp_path_factory):
    app = build_app(tmp_path_factory.mktemp("boom"), TESTING=False, PROPAGATE_EXCEPTIONS=False)
    app.add_url_rule("/boom/<int:code>", "boom", lambda code: abort(code))

    def crash():
        raise RuntimeError("database exploded: KeyError 'x'")

    app.add_url_rule("/crash", "crash", crash)
    with app.app_context():
        from kbsite.auth import service

        service.create_user("walker", "agent", "correct-horse-battery")
    yield app
    app.extensions["kbsite.db"].engine.dispose()


@pytest.fixture(scope="module")
def c(boom_app):
    """One signed-in client for the module (signing in hashes a password: slow on purpose)."""
    client = boom_app.test_client()
    login(client, "walker")
    return client


def _english(text: str) -> list[str]:
    """Runs of three or more English words: developer text leaking into the page."""
    return re.findall(r"[A-Za-z]+(?:[ ,.'-]+[A-Za-z]+){2,}", text)


def _main(html: str) -> str:
    body = html.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"<[^>]+>", " ", body)


@pytest.mark.parametrize("code", CODES)
def test_every_status_has_a_chinese_page_with_a_words_heading(c, code):
    resp = c.get(f"/boom/{code}")
    assert resp.status_code == code
    html = resp.get_data(as_text=True)
    assert default_exceptions[code].description not in html
    h1 = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).strip()
    assert not h1.isdigit() and re.search(r"[\u4e00-\u9fff]", h1), h1
    assert _english(_main(html)) == []
    assert f"错误代码 {code}" in html  # still there for whoever helps the user


@pytest.mark.parametrize("code", CODES)
def test_every_status_has_a_chinese_json_error(c, code):
    resp = c.get(f"/boom/{code}", headers={"Accept": "application/json"})
    assert resp.status_code == code
    message = resp.get_json()["error"]
    assert re.search(r"[\u4e00-\u9fff]", message) and _english(message) == [], message


def test_an_unexpected_exception_is_a_chinese_500_without_the_exception_text(c):
    resp = c.get("/crash")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 500
    assert "服务器出错了" in html
    assert "exploded" not in html and "KeyError" not in html and "Internal Server Error" not in html


def test_the_error_page_offers_the_way_back(c):
    html = c.get("/items/nope", headers={"Referer": "http://localhost/browse"}).get_data(as_text=True)
    assert 'href="http://localhost/browse"' in html and "返回上一页" in html
    foreign = c.get("/items/nope", headers={"Referer": "https://evil.example/x"}).get_data(as_text=True)
    assert "evil.example" not in foreign and "返回首页" in foreign
