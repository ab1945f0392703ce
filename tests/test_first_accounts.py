"""No known passwords: demo accounts only with --demo; first accounts once, random, changed at first sign-in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from tests_support import PASSWORD, build_app, login

from kbsite.auth import bootstrap
from kbsite.auth.models import ApiToken, User
from kbsite.config import PROJECT_ROOT

ROW = re.compile(r"^\s+(\S+)\s+密码 (\S+)\s+角色 (\w+)$", re.M)


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """An app on a brand-new instance (no schema) whose `run` does not actually serve."""
    import waitress

    monkeypatch.setattr(waitress, "serve", lambda app, **kw: None)
    app = build_app(tmp_path / "fresh", STARTER_PATHS=[])
    with app.app_context():
        from kbsite.db import Base, database

        Base.metadata.drop_all(database().engine)
    yield app
    app.extensions["kbsite.db"].engine.dispose()


def _run(app, *args) -> tuple[str, dict[str, tuple[str, str]]]:
    result = app.test_cli_runner().invoke(args=["run", *args])
    assert result.exit_code == 0, result.output
    return result.output, {u: (pw, role) for u, pw, role in ROW.findall(result.output)}


def _users(app) -> dict[str, User]:
    with app.app_context():
        from kbsite.db import session

        return {u.username: u for u in session().scalars(select(User))}


def _published_text() -> str:
    """The README and every source file: any password written there is known to everyone."""
    parts = [(PROJECT_ROOT / "README.md").read_text(encoding="utf-8")]
    parts += [p.read_text(encoding="utf-8") for p in (PROJECT_ROOT / "kbsite").rglob("*.py")]
    return "\n".join(parts)


def test_a_new_instance_gets_one_account_per_role_with_random_passwords(fresh):
    output, shown = _run(fresh)
    assert "只显示这一次" in output and set(shown) == {"admin", "trainer", "agent", "newbie"}
    assert {role for _, role in shown.values()} == {"管理员", "培训师", "客服", "新人学员"}
    published = _published_text()
    users = _users(fresh)
    assert set(users) == set(shown)
    for name, (password, _) in shown.items():
        assert len(password) >= 16 and password not in published
        assert users[name].must_change_password
        assert login(fresh.test_client(), name, password).status_code == 302
    for username, _role, demo_password, _ in bootstrap.DEMO_ACCOUNTS:
        assert demo_password in published  # documented, so it must not work here
        assert login(fresh.test_client(), username, demo_password).status_code == 401
    again, shown_again = _run(fresh)
    assert shown_again == {} and "随机密码" not in again


def test_a_server_database_gets_only_an_admin(app):
    with app.app_context():
        made = bootstrap.bootstrap_accounts(embedded=False)
        assert [(c.username, c.role) for c in made] == [("admin", "admin")]
        assert bootstrap.bootstrap_accounts(embedded=False) == []


def test_demo_accounts_only_with_demo_and_their_passwords_are_in_the_readme(fresh):
    output, shown = _run(fresh, "--demo")
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "演示账号" in output and set(shown) == {"agent", "newbie", "trainer", "reviewer", "admin"}
    for name, (password, _) in shown.items():
        assert password in readme and login(fresh.test_client(), name, password).status_code == 302
    # the same instance started for real: every documented password is replaced and shown once
    output, retired = _run(fresh)
    assert set(retired) == set(shown)
    for name, (password, _) in retired.items():
        assert password not in readme and login(fresh.test_client(), name, shown[name][0]).status_code == 401
        assert login(fresh.test_client(), name, password).status_code == 302


@pytest.mark.parametrize("change", ["delete", "rename", "disable"])
def test_an_account_removed_by_the_team_is_never_recreated(fresh, change):
    _run(fresh)
    with fresh.app_context():
        from kbsite.db import write_session

        with write_session() as sess:
            agent = sess.scalar(select(User).where(User.username == "agent"))
            if change == "delete":
                sess.delete(agent)
            elif change == "rename":
                agent.username = "wang.xiaoer"
            else:
                agent.active = False
    output, shown = _run(fresh)
    assert shown == {}
    users = _users(fresh)
    assert ("agent" in users) == (change == "disable")
    if change == "disable":
        assert not users["agent"].active


def test_an_older_instance_with_its_own_accounts_gets_none_added(app, make_user):
    make_user("admin", "boss")
    with app.app_context():
        assert bootstrap.bootstrap_accounts(embedded=True) == []
    assert set(_users(app)) == {"boss"}


# ---- the forced change, reset and disable ----------------------------------------------------


@pytest.fixture
def newcomer(app):
    """An agent whose password an admin chose: must change it at first sign-in."""
    with app.app_context():
        from kbsite.auth import service

        service.create_user("newbie", "agent", PASSWORD, must_change=True)
    return "newbie"


def test_a_generated_password_must_be_changed_before_anything_else(app, newcomer):
    c = app.test_client()
    resp = login(c, newcomer, next="/workspace")
    assert resp.status_code == 302 and "/account/password" in resp.headers["Location"]
    for path in ("/", "/workspace", "/review", "/items"):
        blocked = c.get(path)
        assert blocked.status_code == 302 and "/account/password" in blocked.headers["Location"]
    assert c.get("/api/search?q=退货", headers={"Accept": "application/json"}).status_code == 403
    page = c.get("/account/password").get_data(as_text=True)
    assert "初始密码" in page
    bad = c.post("/account/password", data={"current": "wrong-one", "new": "my-own-secret-1",
                                            "confirm": "my-own-secret-1"})
    assert bad.status_code == 400 and "当前密码不正确" in bad.get_data(as_text=True)
    same = c.post("/account/password", data={"current": PASSWORD, "new": PASSWORD, "confirm": PASSWORD})
    assert "不能与当前密码相同" in same.get_data(as_text=True)
    ok = c.post("/account/password", data={"current": PASSWORD, "new": "my-own-secret-1",
                                           "confirm": "my-own-secret-1", "next": "/workspace"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/workspace")
    assert c.get("/").status_code == 200  # the same session goes on
    assert not _users(app)["newbie"].must_change_password
    assert login(app.test_client(), newcomer, "my-own-secret-1").status_code == 302


def test_a_token_of_a_user_who_must_change_is_refused(app, newcomer):
    with app.app_context():
        from kbsite.auth import service

        token = service.create_token(newcomer)
    resp = app.test_client().get("/api/search?q=x", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 403 and "修改初始密码" in resp.get_json()["error"]


def test_admin_reset_shows_a_random_password_once_to_be_changed(app, as_role):
    admin = as_role("admin", "root")
    erin = as_role("agent", "erin")
    page = admin.post("/admin/users/erin/password", data={}).get_data(as_text=True)
    new = re.search(r'id="secret-value">([^<]+)<', page).group(1)
    assert erin.get("/").status_code == 302  # her session ended
    c = app.test_client()
    assert "/account/password" in login(c, "erin", new).headers["Location"]
    assert c.get("/workspace").status_code == 302


def test_admin_created_accounts_must_change_their_first_password(app, as_role):
    admin = as_role("admin", "root")
    admin.post("/admin/users", data={"username": "zhao", "role": "agent", "password": "chosen-by-admin"})
    assert "/account/password" in login(app.test_client(), "zhao", "chosen-by-admin").headers["Location"]


def test_disabling_ends_sessions_and_tokens_at_once(app, as_role):
    admin = as_role("admin", "root")
    dave = as_role("agent", "dave")
    with app.app_context():
        from kbsite.auth import service

        token = service.create_token("dave")
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/search?q=x", headers=bearer).status_code == 200
    assert dave.get("/").status_code == 200
    admin.post("/admin/users/dave/active", data={"active": "0"})
    assert dave.get("/").status_code == 302
    assert app.test_client().get("/api/search?q=x", headers=bearer).status_code == 401
    admin.post("/admin/users/dave/active", data={"active": "1"})
    assert app.test_client().get("/api/search?q=x", headers=bearer).status_code == 401  # not revived
    with app.app_context():
        from kbsite.db import session

        assert session().scalar(select(ApiToken.revoked_at)) is not None
