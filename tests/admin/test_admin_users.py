"""User administration: permission matrix, create, role change, deactivate, reset, API tokens; all audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from tests_support import PASSWORD, login

from kbsite.audit import AuditEvent
from kbsite.db import session

ADMIN_ROUTES = [
    ("get", "/admin/users", None),
    ("post", "/admin/users", {"username": "x1", "role": "agent", "password": PASSWORD}),
    ("post", "/admin/users/victim/role", {"role": "admin"}),
    ("post", "/admin/users/victim/active", {"active": "0"}),
    ("post", "/admin/users/victim/password", {}),
    ("post", "/admin/tokens", {"username": "victim"}),
    ("post", "/admin/tokens/1/revoke", {}),
]


@pytest.mark.parametrize("role", ["agent", "trainer"])
def test_agents_and_trainers_get_403_everywhere(app, as_role, make_user, role):
    make_user("agent", "victim")
    c = as_role(role)
    for method, url, data in ADMIN_ROUTES:
        resp = getattr(c, method)(url, data=data) if data is not None else getattr(c, method)(url)
        assert resp.status_code == 403, (role, url)
    with app.app_context():
        assert session().scalar(select(AuditEvent).where(AuditEvent.action.in_(
            ("user.role", "user.deactivate", "user.password_reset", "token.create")))) is None


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/admin/users")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def _actions(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(e.action, e.target, e.actor.username if e.actor else "")
                for e in session().scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_admin_creates_a_user_who_can_sign_in(app, as_role):
    admin = as_role("admin", "root")
    assert admin.get("/admin/users").status_code == 200
    resp = admin.post("/admin/users", data={"username": "新人小王", "role": "agent", "password": PASSWORD,
                                            "display_name": "小王", "cohort": "2026-11"})
    assert resp.status_code == 302
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "新人小王" in page and "2026-11" in page
    assert admin.post("/admin/users", data={"username": "新人小王", "role": "agent",
                                            "password": PASSWORD}).status_code == 409
    assert admin.post("/admin/users", data={"username": "short", "role": "agent",
                                            "password": "123"}).status_code == 400
    assert login(app.test_client(), "新人小王").status_code == 302
    assert ("user.create", "user:新人小王", "root") in _actions(app)


def test_role_change_ends_the_users_sessions(app, as_role):
    admin = as_role("admin", "root")
    carol = as_role("agent", "carol")
    assert carol.get("/").status_code == 200
    assert admin.post("/admin/users/carol/role", data={"role": "trainer"}).status_code == 302
    resp = carol.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    again = app.test_client()
    login(again, "carol")
    assert again.get("/review/mine").status_code == 200  # now a trainer
    assert admin.post("/admin/users/carol/role", data={"role": "boss"}).status_code == 400
    assert ("user.role", "user:carol", "root") in _actions(app)


def test_the_last_admin_cannot_be_demoted_or_deactivated(app, as_role):
    admin = as_role("admin", "root")
    assert admin.post("/admin/users/root/role", data={"role": "agent"}).status_code == 400
    assert admin.post("/admin/users/root/active", data={"active": "0"}).status_code == 400
    as_role("admin", "second")
    assert admin.post("/admin/users/second/active", data={"active": "0"}).status_code == 302
    assert admin.post("/admin/users/root/role", data={"role": "agent"}).status_code == 400


def test_deactivate_stops_sessions_login_and_tokens_then_reactivate(app, as_role):
    admin = as_role("admin", "root")
    dave = as_role("agent", "dave")
    page = admin.post("/admin/tokens", data={"username": "dave", "name": "插件"}).get_data(as_text=True)
    token = re.search(r'id="secret-value">(kb_[^<]+)<', page).group(1)
    api = app.test_client()
    assert api.get("/api/suggest?q=退", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert admin.post("/admin/users/dave/active", data={"active": "0"}).status_code == 302
    assert dave.get("/").status_code == 302
    assert login(app.test_client(), "dave").status_code == 401
    assert api.get("/api/suggest?q=退", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "已停用" in admin.get("/admin/users").get_data(as_text=True)
    assert admin.post("/admin/users/dave/active", data={"active": "1"}).status_code == 302
    assert login(app.test_client(), "dave").status_code == 302
    acts = [a for a, t, _ in _actions(app) if t == "user:dave"]
    assert "user.deactivate" in acts and "user.activate" in acts


def test_reset_password_is_shown_once_and_ends_sessions(app, as_role):
    admin = as_role("admin", "root")
    erin = as_role("agent", "erin")
    resp = admin.post("/admin/users/erin/password", data={})
    assert resp.headers["Cache-Control"] == "no-store"
    new = re.search(r'id="secret-value">([^<]+)<', resp.get_data(as_text=True)).group(1)
    assert erin.get("/").status_code == 302
    assert login(app.test_client(), "erin").status_code == 401
    assert login(app.test_client(), "erin", new).status_code == 302
    assert new not in admin.get("/admin/users").get_data(as_text=True)  # shown once only
    with app.app_context():
        ev = session().scalar(select(AuditEvent).where(AuditEvent.action == "user.password_reset"))
        assert ev.target == "user:erin" and new not in str(ev.detail)


def test_tokens_are_shown_once_listed_with_last_use_and_revocable(app, as_role):
    admin = as_role("admin", "root")
    as_role("agent", "fay")
    page = admin.post("/admin/tokens", data={"username": "fay", "name": "浏览器插件"}).get_data(as_text=True)
    token = re.search(r'id="secret-value">(kb_[^<]+)<', page).group(1)
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert token not in listing and "浏览器插件" in listing and "从未使用" in listing
    api = app.test_client()
    assert api.get("/api/suggest?q=退", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert "从未使用" not in admin.get("/admin/users").get_data(as_text=True)
    token_id = int(re.search(r'data-token="(\d+)"', listing).group(1))
    assert admin.post(f"/admin/tokens/{token_id}/revoke").status_code == 302
    assert api.get("/api/suggest?q=退", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "已撤销" in admin.get("/admin/users").get_data(as_text=True)
    acts = [(a, actor) for a, t, actor in _actions(app) if t == "user:fay"]
    assert ("token.create", "root") in acts and ("token.revoke", "root") in acts
