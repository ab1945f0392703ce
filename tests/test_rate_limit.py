"""Login limits that fit an office: by account and by address, proxies trusted only when named, shared via Redis."""

from __future__ import annotations

import uuid

import pytest
from tests_support import PASSWORD, build_app, login

NAT = "203.0.113.7"


def _app(tmp_path, name="rl", **extra):
    cfg = {"RATELIMIT_ENABLED": True, "LOGIN_ACCOUNT_RATE_LIMIT": "5 per minute",
           "LOGIN_ADDRESS_RATE_LIMIT": "12 per minute", **extra}
    return build_app(tmp_path / name, **cfg)


def _client(app, addr: str = NAT):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = addr
    return client


def _users(app, *names: str) -> None:
    with app.app_context():
        from kbsite.auth import service

        for name in names:
            service.create_user(name, "agent", PASSWORD)


def test_one_agents_mistakes_never_lock_out_colleagues_behind_the_same_nat(tmp_path):
    app = _app(tmp_path)
    _users(app, "xiaowang", "xiaoli")
    office = _client(app)
    codes = [login(office, "xiaowang", "wrong-password").status_code for _ in range(7)]
    assert codes == [401] * 5 + [429] * 2
    locked = login(office, "xiaowang")  # even the right password waits: the account is throttled
    assert locked.status_code == 429 and "该账号密码错误次数过多" in locked.get_data(as_text=True)
    assert login(office, "xiaoli", "wrong-password").status_code == 401
    assert login(office, "xiaoli").status_code == 302
    assert office.get("/login").status_code == 200  # reading the form is never limited


def test_a_whole_office_signing_in_at_shift_start_is_not_limited(tmp_path):
    app = _app(tmp_path)
    names = [f"agent{n:02d}" for n in range(30)]
    _users(app, *names)
    assert all(login(_client(app), n).status_code == 302 for n in names)


def test_spraying_one_password_across_accounts_is_stopped_by_the_address_limit(tmp_path):
    app = _app(tmp_path)
    sprayer = _client(app, "198.51.100.9")
    codes = [login(sprayer, f"guess{n}", "Password123").status_code for n in range(14)]
    assert codes == [401] * 12 + [429] * 2
    assert "来自此网络的登录失败次数过多" in login(sprayer, "other", "x" * 8).get_data(as_text=True)
    _users(app, "colleague")
    assert login(_client(app, "192.0.2.1"), "colleague").status_code == 302  # other addresses unaffected


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(tmp_path):
    app = _app(tmp_path)
    codes = [login(_client(app), f"u{n}", "wrong-password",
                   ).status_code for n in range(12)]
    assert set(codes) == {401}
    spoofed = _client(app)
    resp = spoofed.post("/login", data={"username": "u99", "password": "wrong-password"},
                        headers={"X-Forwarded-For": "10.9.9.9"})
    assert resp.status_code == 429  # an invented header does not give a fresh address


@pytest.mark.parametrize("trusted", [1, "127.0.0.1, 10.0.0.0/8"])
def test_a_trusted_proxy_passes_the_client_address(tmp_path, trusted):
    app = _app(tmp_path, TRUSTED_PROXIES=trusted)
    proxy = _client(app, "127.0.0.1")

    def attempt(client_addr: str, user: str) -> int:
        return proxy.post("/login", data={"username": user, "password": "wrong-password"},
                          headers={"X-Forwarded-For": client_addr}).status_code

    assert [attempt("198.51.100.1", f"a{n}") for n in range(13)][-1] == 429
    assert attempt("198.51.100.2", "b0") == 401  # another client behind the same proxy


def test_a_listed_proxy_is_believed_and_others_are_not(tmp_path):
    app = _app(tmp_path, TRUSTED_PROXIES="10.0.0.5")
    seen = {}

    @app.get("/_peer")
    def _peer():  # a probe route for this test only
        from flask import request

        seen["addr"], seen["scheme"] = request.remote_addr, request.scheme
        return "ok"

    _peer.required_permission = None
    headers = {"X-Forwarded-For": "198.51.100.3, 10.0.0.5", "X-Forwarded-Proto": "https"}
    _client(app, "10.0.0.5").get("/_peer", headers=headers)
    assert seen == {"addr": "198.51.100.3", "scheme": "https"}
    _client(app, "10.0.0.6").get("/_peer", headers=headers)
    assert seen == {"addr": "10.0.0.6", "scheme": "http"}


def test_a_bad_proxy_setting_is_named():
    from kbsite import proxies

    assert proxies.parse("2") == 2 and proxies.parse("") == 0
    with pytest.raises(ValueError, match="not-an-ip"):
        proxies.parse("10.0.0.1, not-an-ip")


@pytest.fixture
def redis_url():
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis not reachable: {exc}")
    return url


def test_both_limits_hold_across_two_instances_sharing_redis(tmp_path, redis_url):
    prefix = f"kbsite-test-{uuid.uuid4().hex[:8]}"
    apps = [_app(tmp_path, f"i{n}", RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=prefix)
            for n in range(2)]
    clients = [_client(a) for a in apps]
    account = [login(clients[i % 2], "shared", "wrong-password").status_code for i in range(7)]
    assert account.count(401) == 5 and account.count(429) == 2
    spray = [login(clients[i % 2], f"s{i}", "wrong-password").status_code for i in range(9)]
    assert spray.count(401) == 7 and spray.count(429) == 2  # 5 + 7 = 12 failures from the address


def test_an_unreachable_redis_falls_back_to_counting_in_memory(tmp_path):
    app = _app(tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")
    codes = [login(_client(app), "someone", "wrong-password").status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]  # never a 500
