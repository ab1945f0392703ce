"""The access log's fields and formats, and who may read /metrics (in-process)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from tests_support import build_app, login

from kbsite import accesslog


@pytest.fixture
def log_stream():
    """Capture kbsite's log lines as configured by `kbsite serve`."""

    def configure(fmt: str) -> io.StringIO:
        stream = io.StringIO()
        accesslog.configure_logging(fmt, stream)
        return stream

    yield configure
    root = logging.getLogger("kbsite")
    root.handlers, root.propagate = [], True


def test_json_lines_carry_request_id_user_route_status_and_latency(app, make_user, log_stream):
    stream = log_stream("json")
    make_user("agent", "xiaowang")
    c = app.test_client()
    login(c, "xiaowang")
    resp = c.get("/api/search?q=退货&secret=客户手机号", headers={"X-Request-ID": "nginx-7f3a"})
    assert resp.headers["X-Request-ID"] == "nginx-7f3a"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    search = [e for e in lines if e["request_id"] == "nginx-7f3a"][0]
    assert {k: search[k] for k in ("user", "method", "path", "route", "status")} == {
        "user": "xiaowang", "method": "GET", "path": "/api/search", "route": "api.search", "status": 200}
    assert search["ms"] >= 0 and search["logger"] == "kbsite.access"
    assert "客户手机号" not in stream.getvalue()  # query strings are never logged


def test_text_lines_and_a_made_up_id_when_the_incoming_one_is_unsafe(client, log_stream):
    stream = log_stream("text")
    resp = client.get("/login", headers={"X-Request-ID": "bad id; forged=line"})
    rid = resp.headers["X-Request-ID"]
    assert len(rid) == 32 and "forged" not in rid
    line = stream.getvalue().strip()
    assert f" {rid} - GET /login auth.login 200 " in line and line.count("\n") == 0


def test_redirects_before_the_view_are_logged_too(client, log_stream):
    stream = log_stream("text")
    client.get("/workspace")
    assert " GET /workspace workspace.workspace 302 " in stream.getvalue()


def test_metrics_are_off_unless_asked(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_count_requests_and_are_read_only_from_this_host(tmp_path):
    app = build_app(tmp_path / "m", METRICS=True)
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = "127.0.0.1"
    c.get("/login")
    text = c.get("/metrics").get_data(as_text=True)
    assert 'kbsite_http_requests_total{method="GET",route="auth.login",status="200"}' in text
    remote = app.test_client()
    remote.environ_base["REMOTE_ADDR"] = "198.51.100.4"
    assert remote.get("/metrics").status_code == 403


def test_a_metrics_token_opens_it_to_a_scraper_elsewhere(tmp_path):
    app = build_app(tmp_path / "t", METRICS=True, METRICS_TOKEN="scrape-secret-123")
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert c.get("/metrics").status_code == 403
    assert c.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert c.get("/metrics", headers={"Authorization": "Bearer scrape-secret-123"}).status_code == 200


def test_create_app_opens_no_connection_and_a_forked_worker_gets_fresh_handles(tmp_path):
    from tests_support import _config

    from kbsite import create_app, serving

    home = tmp_path / "pre"
    home.mkdir()
    app = create_app(_config(home))
    engine = app.extensions["kbsite.db"].engine
    assert engine.pool.checkedin() == 0 and engine.pool.checkedout() == 0  # nothing to inherit
    search_before = app.extensions["kbsite.search"]
    serving.after_fork(app)
    assert app.extensions["kbsite.search"] is not search_before
    assert app.extensions["kbsite.db"].engine.pool.checkedin() == 0


def test_a_crash_is_logged_with_status_500_and_its_request_id(tmp_path, log_stream):
    app = build_app(tmp_path / "crash", TESTING=False)

    @app.get("/_boom")
    def _boom():  # a probe route for this test only
        raise RuntimeError("boom")

    _boom.required_permission = None
    stream = log_stream("json")
    resp = app.test_client().get("/_boom", headers={"X-Request-ID": "crash-1"})
    assert resp.status_code == 500 and resp.headers["X-Request-ID"] == "crash-1"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [e for e in lines if e.get("request_id") == "crash-1"]
    assert access and access[-1]["status"] == 500 and access[-1]["route"] == "_boom"
    assert any("boom" in e.get("error", "") for e in lines if e["logger"] != "kbsite.access")
