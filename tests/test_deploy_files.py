"""The deployment files in deploy/ are complete and well-formed."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kbsite import config
from kbsite.config import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",))
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / "kbsite.service").read_text(encoding="utf-8"))
    return parser


def test_the_systemd_unit_runs_kbsite_serve_as_its_own_user():
    unit = _unit()
    service = unit["Service"]
    assert re.fullmatch(r"\S+/kbsite serve( .*)?", service["ExecStart"])
    assert service["EnvironmentFile"] == "/etc/kbsite/kbsite.env"
    assert service["User"] not in ("", "root") and service["KillSignal"] == "SIGTERM"
    assert "/var/lib/kbsite" in service["ReadWritePaths"]
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_accepts_the_unit(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    text = (DEPLOY / "kbsite.service").read_text(encoding="utf-8")
    kbsite = Path(shutil.which("kbsite") or PROJECT_ROOT / ".venv/bin/kbsite")
    (tmp_path / "kbsite.service").write_text(text.replace("/opt/kbsite/.venv/bin/kbsite", str(kbsite)))
    result = subprocess.run([analyze, "verify", str(tmp_path / "kbsite.service")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def _nginx_directives(text: str) -> list[str]:
    body = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert body.count("{") == body.count("}"), "unbalanced braces"
    return [" ".join(d.split()) for d in re.split(r"[;{}]", body) if d.strip()]


def test_the_nginx_example_forwards_the_client_and_request_id():
    directives = _nginx_directives((DEPLOY / "nginx.conf").read_text(encoding="utf-8"))
    for wanted in ("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for",
                   "proxy_set_header X-Forwarded-Proto $scheme",
                   "proxy_set_header X-Request-ID $request_id",
                   "proxy_set_header Host $host", "proxy_pass http://kbsite",
                   "server 127.0.0.1:8000", "location = /metrics"):
        assert wanted in directives, wanted
    assert not any(d.startswith("proxy_hide_header") for d in directives)  # security headers pass through
    assert "server 127.0.0.1:8000" in directives and config.defaults(Path("/x"))["BIND"] == "127.0.0.1:8000"


def _env_file() -> dict[str, str]:
    """KEY=VALUE lines, commented-out ones included (they document the default)."""
    entries = {}
    for line in (DEPLOY / "kbsite.env").read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"#?\s*(KBSITE_[A-Z0-9_]+)=(.*)", line.strip())
        if m:
            entries.setdefault(m.group(1), m.group(2).strip().strip('"'))
    return entries


def test_the_env_file_lists_every_setting_config_knows():
    listed = _env_file()
    known = {f"KBSITE_{key}" for key in config.defaults(Path("/var/lib/kbsite"))} | {"KBSITE_HOME"}
    assert known - set(listed) == set(), "settings missing from deploy/kbsite.env"
    assert set(listed) - known == set(), "deploy/kbsite.env lists settings config.py does not know"


def test_the_env_file_values_start_an_app(tmp_path, monkeypatch):
    """The active lines, as systemd would pass them, give a working configuration."""
    from kbsite import create_app

    active = {}
    for line in (DEPLOY / "kbsite.env").read_text(encoding="utf-8").splitlines():
        if line.startswith("KBSITE_"):
            key, _, value = line.partition("=")
            active[key] = value.strip('"')
    active["KBSITE_HOME"] = str(tmp_path)
    for key, value in active.items():
        monkeypatch.setenv(key, value)
    app = create_app({"TESTING": True})
    assert app.config["WORKERS"] == 4 and app.config["METRICS"] is True
    assert app.config["TRUSTED_PROXIES"] == "127.0.0.1" and app.config["TIMEZONE"] == "Asia/Shanghai"
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["LOG_FORMAT"] == "json"
    app.extensions["kbsite.db"].engine.dispose()
