"""`kbsite serve`: gunicorn with several processes on a loopback port, the access log and /metrics."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform != "linux", reason="gunicorn runs on Linux")]
KBSITE = Path(sys.executable).with_name("kbsite")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """A `kbsite serve` process on a copy of the starter library; stopped with SIGTERM."""

    def __init__(self, home: Path, *args: str, **env: str):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.out, self.err = home.parent / "out.txt", home.parent / "err.txt"
        full_env = {**os.environ, "KBSITE_HOME": str(home), **env}
        self.proc = subprocess.Popen(
            [str(KBSITE), "serve", "--bind", f"127.0.0.1:{self.port}", *args],
            env=full_env, stdout=self.out.open("w"), stderr=self.err.open("w"), cwd=home.parent)
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited: {self.err.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError("serve did not answer within 90 s")

    def get(self, path: str, headers: dict | None = None, data: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.url + path, data=body, headers=headers or {})
        try:
            resp = self.opener.open(req, timeout=10)
        except urllib.error.HTTPError as exc:
            resp = exc
        with resp:
            return resp.status, dict(resp.headers), resp.read().decode("utf-8")

    def stop(self) -> tuple[str, str]:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        return self.out.read_text(), self.err.read_text()


@pytest.fixture
def home(tmp_path, library_template):
    home = tmp_path / "instance"
    shutil.copytree(library_template, home, symlinks=True)
    return home


@pytest.fixture
def served(home):
    servers = []

    def start(*args, **env):
        servers.append(Served(home, *args, **env))
        return servers[-1]

    yield start
    for s in servers:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait(10)


def _appears(path: str, within: float = 30.0) -> bool:
    """The master opens its control socket only after the first workers spawn, so a worker
    may answer before the socket exists."""
    deadline = time.monotonic() + within
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _access_lines(err: str) -> list[dict]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [entry for entry in lines if entry.get("logger") == "kbsite.access"]


def test_serve_runs_several_workers_with_a_json_access_log_and_shared_metrics(served):
    server = served("--workers", "2", "--threads", "2", KBSITE_LOG_FORMAT="json", KBSITE_METRICS="1")
    status, headers, _ = server.get("/login", {"X-Request-ID": "shift-start-42"})
    assert status == 200 and headers["X-Request-ID"] == "shift-start-42"
    for _ in range(12):
        server.get("/login")
    status, _, text = server.get("/metrics")
    assert status == 200
    counted = sum(float(m) for m in re.findall(
        r'kbsite_http_requests_total\{method="GET",route="auth\.login",status="200"\} ([\d.]+)', text))
    assert counted >= 13  # every worker's requests, in one scrape
    assert "kbsite_http_request_duration_seconds_bucket" in text
    assert server.get("/metrics", {"X-Forwarded-For": "198.51.100.1"})[0] == 403  # not through a proxy
    out, err = server.stop()
    assert "2 个进程 × 2 个线程" in out and "首批账号的随机密码" in out
    pids = set(re.findall(r"Booting worker with pid: (\d+)", err))
    assert len(pids) == 2
    mine = [e for e in _access_lines(err) if e["request_id"] == "shift-start-42"]
    assert len(mine) == 1
    line = mine[0]
    assert (line["route"], line["status"], line["user"], line["method"], line["path"]) == (
        "auth.login", 200, "-", "GET", "/login")
    assert isinstance(line["ms"], float) and 0 <= line["ms"] < 5000


def test_a_preloaded_server_works_in_every_worker_after_the_fork(served):
    server = served("--workers", "2", "--threads", "4", "--preload")
    out_so_far = server.out.read_text()
    password = re.search(r"admin\s+密码 (\S+)", out_so_far).group(1)
    _, _, page = server.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    status, _, page = server.get("/login", data={"username": "admin", "password": password, "csrf_token": token})
    assert status == 200 and "初始密码" in page  # followed the redirect to the forced change
    new = "operator-chosen-pass"
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # a new session, a new token
    status, _, _ = server.get("/account/password", data={"current": password, "new": new, "confirm": new,
                                                        "csrf_token": token})
    assert status == 200
    for _ in range(6):  # both workers answer searches from their own index handles
        status, _, body = server.get("/api/search?q=" + urllib.parse.quote("衣服小了能换吗"),
                                     {"Accept": "application/json"})
        assert status == 200 and "size-exchange" in body
    _, err = server.stop()
    assert "Traceback" not in err
    text_lines = [line for line in err.splitlines() if " admin GET /api/search " in line]
    assert text_lines and " api.search 200 " in text_lines[0]


def test_two_instances_on_one_host_each_have_their_own_control_socket(tmp_path, library_template, served):
    """gunicorn's default control socket is one per user: a second instance would take it over."""
    import stat

    from kbsite import serving

    other_home = tmp_path / "other" / "instance"
    shutil.copytree(library_template, other_home, symlinks=True)
    first = served()
    second = Served(other_home)
    try:
        paths = {serving.control_socket(home) for home in (tmp_path / "instance", other_home)}
        assert len(paths) == 2
        for path in paths:  # both masters listen, each on its own
            assert _appears(path), f"no control socket at {path}"
            assert stat.S_ISSOCK(os.stat(path).st_mode)
        assert first.get("/login")[0] == 200 and second.get("/login")[0] == 200
    finally:
        second.stop()
    _, err = first.stop()
    assert "Traceback" not in err
