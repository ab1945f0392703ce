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
        "LOGIN_RATE_LIMIT": "10 per minute",
        "REVIEW_REQUIRED": True,
        # Written-reply grading's second signal (bundled e5 model); false turns it off.
        "TRAINING_SEMANTIC_SIGNAL": True,
    }
