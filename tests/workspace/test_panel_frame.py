"""The side panel: who may frame it, the cookie flags a cross-site frame needs, and its weight."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests_support import build_app, login

from kbsite.frame import parse_origins

STATIC = Path(__file__).resolve().parents[2] / "kbsite" / "static"
ORIGINS = "https://chat.example.com, http://localhost:9000"


def _app(tmp_path, **cfg):
    app = build_app(tmp_path / "instance", **cfg)
    with app.app_context():
        from kbsite.auth import service

        service.create_user("agent", "agent", "correct-horse-battery")
    return app


def _signed_in(app):
    client = app.test_client()
    resp = login(client, "agent")
    assert resp.status_code == 302
    return client, resp


def test_default_panel_is_same_origin_only(tmp_path):
    client, resp = _signed_in(_app(tmp_path))
    page = client.get("/panel")
    assert page.status_code == 200
    assert "frame-ancestors 'self';" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    cookie = resp.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "Secure" not in cookie


def test_configured_origins_may_frame_the_panel_only(tmp_path):
    client, resp = _signed_in(_app(tmp_path, FRAME_ANCESTORS=ORIGINS))
    page = client.get("/panel")
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://chat.example.com http://localhost:9000;" in csp
    assert "X-Frame-Options" not in page.headers
    for path in ("/login", "/check"):
        assert "X-Frame-Options" not in client.get(path).headers
    other = client.get("/browse")  # not a panel page: never in someone else's frame
    assert "frame-ancestors 'self';" in other.headers["Content-Security-Policy"]
    assert other.headers["X-Frame-Options"] == "SAMEORIGIN"
    cookies = resp.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    assert "SameSite=None" in session and "Secure" in session and "HttpOnly" in session
    assert "Partitioned" in session


def test_remember_cookie_gets_the_same_flags(tmp_path):
    app = _app(tmp_path, FRAME_ANCESTORS=ORIGINS)
    client = app.test_client()
    resp = client.post("/login", data={"username": "agent", "password": "correct-horse-battery",
                                       "remember": "1"})
    remember = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "SameSite=None" in remember and "Secure" in remember and "Partitioned" in remember


def test_same_site_mode_keeps_lax_cookies(tmp_path):
    client, resp = _signed_in(_app(tmp_path, FRAME_ANCESTORS=ORIGINS, FRAME_COOKIES="same-site"))
    assert "SameSite=Lax" in resp.headers["Set-Cookie"] and "Partitioned" not in resp.headers["Set-Cookie"]
    assert "frame-ancestors 'self' https://chat.example.com" in client.get("/panel").headers["Content-Security-Policy"]


@pytest.mark.parametrize("raw", ["chat.example.com", "https://a.example/path", "javascript:alert(1)",
                                 "https://*.example.com", "'unsafe-inline'", "https://a.example;script-src *"])
def test_bad_origins_stop_start_up(tmp_path, raw):
    with pytest.raises(ValueError, match="KBSITE_FRAME_ANCESTORS"):
        build_app(tmp_path / "instance", FRAME_ANCESTORS=raw)


def test_origin_list_forms():
    assert parse_origins("https://A.example/ http://127.0.0.1:8080,https://a.example") == (
        "https://a.example", "http://127.0.0.1:8080")
    assert parse_origins(["https://x.example"]) == ("https://x.example",)
    assert parse_origins("") == ()


def test_bad_cookie_mode_stops_start_up(tmp_path):
    with pytest.raises(ValueError, match="KBSITE_FRAME_COOKIES"):
        build_app(tmp_path / "instance", FRAME_ANCESTORS=ORIGINS, FRAME_COOKIES="lax")


def test_panel_needs_login_and_is_small(tmp_path):
    app = _app(tmp_path)
    assert app.test_client().get("/panel").status_code == 302
    client, _ = _signed_in(app)
    html = client.get("/panel").get_data(as_text=True)
    for needed in ('id="ws-q"', 'id="ws-results"', 'id="ws-panel"', 'id="compose"', 'id="pn-check-text"'):
        assert needed in html
    assert "<script>" not in html and "style=" not in html  # strict CSP: no inline code
    own = len(html.encode()) + sum((STATIC / f).stat().st_size for f in (
        "site.css", "panel.js", "workspace.js", "fill.js", "copy.js", "compose.js", "checker.js", "images.js"))
    assert own < 100 * 1024
