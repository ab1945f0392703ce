"""Sign-in, safe redirects, revocation on logout, CSRF, and role checks on every route."""

from __future__ import annotations

import pytest
from tests_support import login

from kbsite.auth.access import is_safe_next
from kbsite.auth.permissions import can


@pytest.mark.parametrize("target", [
    "//evil.com", "/\\evil.com", "\\\\evil.com", "///evil.com", "https:evil.com",
    "javascript:alert(1)", "/%09/evil.com".replace("%09", "\t"), "http://evil.com/", "", None,
])
def test_unsafe_next_targets_are_refused(target):
    assert not is_safe_next(target)


@pytest.mark.parametrize("target", ["/", "/items/x", "/browse?type=faq&tag=%E9%80%80"])
def test_local_next_targets_are_kept(target):
    assert is_safe_next(target)


def test_login_redirects_only_to_local_next(client, make_user):
    user = make_user("agent")
    resp = login(client, user.username, next="//evil.com")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    client.post("/logout")
    make_user("agent", "bob")
    resp = login(client, "bob", next="/browse")
    assert resp.headers["Location"] == "/browse"


def test_wrong_password_is_refused_without_saying_which_part(client, make_user):
    user = make_user("agent")
    bad_pw = login(client, user.username, "wrong-password")
    bad_user = login(client, "nobody", "wrong-password")
    assert bad_pw.status_code == bad_user.status_code == 401
    assert "用户名或密码不正确" in bad_pw.get_data(as_text=True)


def test_passwords_are_argon2_hashed(app, make_user):
    user = make_user("agent")
    assert user.password_hash.startswith("$argon2id$")


def test_logout_revokes_a_captured_session_cookie(app, as_role):
    c = as_role("agent")
    assert c.get("/").status_code == 200
    cookie = c.get_cookie("session").value
    c.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    resp = replay.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_anonymous_pages_redirect_to_login_and_api_says_401(client):
    assert client.get("/").status_code == 302
    assert client.get("/api/search?q=退款").status_code == 401


def test_role_permissions():
    class U:
        is_authenticated = True
        is_active = True

        def __init__(self, role):
            self.role = role

    assert can(U("agent"), "search") and not can(U("agent"), "author")
    assert can(U("trainer"), "review") and not can(U("admin"), "approve_own")
    assert can(U("admin"), "admin_users")
    assert not can(None, "read")


def test_agent_cannot_reach_trainer_pages(as_role):
    c = as_role("agent")
    assert c.get("/items/new?type=faq").status_code == 403
    assert c.post("/preview", data={"body": "x"}).status_code == 403


def test_every_route_declares_its_permission(app):
    """A new route without @require or @public fails here."""
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        if not hasattr(view, "required_permission"):
            missing.append(rule.rule)
    assert missing == []


def test_csrf_is_required_on_forms(tmp_path, make_user):
    from tests_support import build_app

    app = build_app(tmp_path / "csrf", WTF_CSRF_ENABLED=True)
    with app.app_context():
        from kbsite.auth import service

        service.create_user("carol", "trainer", "correct-horse-battery")
    c = app.test_client()
    assert c.post("/login", data={"username": "carol", "password": "correct-horse-battery"}).status_code == 400
    page = c.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    resp = c.post("/login", data={"username": "carol", "password": "correct-horse-battery", "csrf_token": token})
    assert resp.status_code == 302
    assert c.post("/preview", data={"body": "x"}).status_code == 400
    home = c.get("/").get_data(as_text=True)  # login starts a fresh session, so a fresh token
    token = home.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    assert c.post("/preview", data={"body": "**x**"}, headers={"X-CSRFToken": token}).status_code == 200


def test_security_headers_on_pages_and_errors(client):
    for path in ("/login", "/does-not-exist"):
        resp = client.get(path)
        csp = resp.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "object-src 'none'" in csp and "base-uri 'none'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_anonymous_api_writes_get_401_not_a_csrf_error(client):
    resp = client.post("/api/check", json={"text": "你好"})
    assert resp.status_code == 401 and resp.is_json
