"""Login throttling: per process by default, shared across instances through Redis."""

from __future__ import annotations

import uuid

import pytest
from tests_support import build_app, login

LIMIT = "5 per minute"


def _attempts(clients, n: int) -> list[int]:
    return [login(clients[i % len(clients)], "nobody", "wrong-password").status_code for i in range(n)]


def test_login_is_throttled_after_the_limit(tmp_path):
    app = build_app(tmp_path / "rl", RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT=LIMIT)
    codes = _attempts([app.test_client()], 7)
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    assert app.test_client().get("/login").status_code == 200  # reading the form is never limited


@pytest.fixture
def redis_url():
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis not reachable: {exc}")
    return url


def test_limit_holds_across_two_instances_sharing_redis(tmp_path, redis_url):
    prefix = f"kbsite-test-{uuid.uuid4().hex[:8]}"
    apps = [build_app(tmp_path / f"i{n}", RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT=LIMIT,
                      RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=prefix) for n in range(2)]
    codes = _attempts([a.test_client() for a in apps], 8)
    assert codes.count(401) == 5 and codes.count(429) == 3
