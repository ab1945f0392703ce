"""Configuration defaults; every key can be overridden by a ``KBSITE_*`` environment variable."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def instance_path() -> Path:
    """The instance folder: ``KBSITE_HOME`` or ``./instance``."""
    return Path(os.environ.get("KBSITE_HOME", "instance")).resolve()


def defaults(home: Path) -> dict:
    """Defaults for an instance folder; SQLite and the index live inside it."""
    return {
        "SQLALCHEMY_URL": f"sqlite:///{home / 'kbsite.db'}",
        "SEARCH_INDEX_DIR": str(home / "search-index"),
        "IMPORT_STAGING_DIR": str(home / "import-staging"),  # uploads waiting for confirmation
        "SEARCH_FOLLOW": None,  # follow the search outbox in a thread: None = unless testing
        "SEARCH_FOLLOW_INTERVAL": 0.2,
        "READY_MAX_LAG_SECONDS": 5.0,
        "SECRET_KEY": None,  # read from the instance's secret file when not set
        "STARTER_PATHS": [str(PROJECT_ROOT / "content"), str(PROJECT_ROOT / "scripts_lib")],
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 2 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,  # token lives as long as the session: long edits must not fail
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "VERIFY_RATE_LIMIT": "60 per minute",
        # Redis down: count in each process's memory rather than refuse every sign-in.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Failed sign-ins per account: one agent's typos lock only that account, briefly.
        "LOGIN_ACCOUNT_RATE_LIMIT": "5 per minute; 20 per hour",
        # Failed sign-ins per client address: high enough for an office behind one NAT,
        # low enough to stop password spraying across many accounts.
        "LOGIN_ADDRESS_RATE_LIMIT": "60 per minute; 300 per hour",
        "TRUSTED_PROXIES": "",  # a count, or addresses/networks: see kbsite/proxies.py
        "TIMEZONE": "Asia/Shanghai",
        # `kbsite serve` (gunicorn): where to listen, processes, threads per process, request timeout.
        "BIND": "127.0.0.1:8000",
        "WORKERS": 2,
        "THREADS": 8,
        "WORKER_TIMEOUT": 60,
        # gunicorn's control socket (gunicornc): "" = gunicorn.ctl in the instance folder, so
        # several instances on one host never share one; a path; or "off".
        "CONTROL_SOCKET": "",
        "LOG_FORMAT": "text",  # or "json": one JSON object per log line
        "METRICS": False,  # Prometheus metrics at /metrics
        "METRICS_TOKEN": "",  # when set, /metrics needs "Authorization: Bearer <token>"
        "REVIEW_REQUIRED": True,
        "FRAME_ANCESTORS": "",  # origins allowed to embed the side panel (see frame.py)
        "FRAME_COOKIES": "cross-site",
        # Written-reply grading's second signal (bundled e5 model); false turns it off.
        "TRAINING_SEMANTIC_SIGNAL": True,
        # Group-robot webhook URLs: a notice goes to each one set when an announcement or policy is published.
        "WEBHOOK_WECOM": "",
        "WEBHOOK_DINGTALK": "",
        "WEBHOOK_FEISHU": "",
        "WEBHOOK_RETRY_SECONDS": 30,  # first retry after a failed post; doubles each time, at most an hour
    }
