"""Helpers importable by tests (``from tests_support import login``)."""

from __future__ import annotations

import os
from pathlib import Path

from kbsite import create_app

PASSWORD = "correct-horse-battery"


def _config(home: Path, **extra) -> dict:
    cfg = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_URL": f"sqlite:///{home / 'kbsite.db'}",
        "SEARCH_INDEX_DIR": str(home / "search-index"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    }
    cfg.update(extra)
    return cfg


def build_app(home: Path, **extra):
    """An app on ``home`` with its schema created."""
    os.environ["KBSITE_HOME"] = str(home)
    app = create_app(_config(home, **extra))
    with app.app_context():
        from kbsite.db import database
        from kbsite.models import load_all

        load_all()
        database().create_all()
    return app



def login(client, username: str, password: str = PASSWORD, next: str | None = None):
    """Sign in through the real login form."""
    data = {"username": username, "password": password}
    if next:
        data["next"] = next
    return client.post("/login", data=data)


def sign_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Log in through the real form."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def publish(app, slug: str, type_: str, title: str, body: str, category: str = "测试/组合回复",
            tags: list[str] | None = None, **meta) -> None:
    """Publish one entry straight through the import service (no review), indexed at once; the app's
    default owners per category apply, as in the app's own imports."""
    from kbsite import files
    from kbsite.content import service

    with app.app_context():
        service.import_items([files.ItemData(
            slug=slug, type=type_, title=title, category=category, tags=tags or [], body=body,
            status="published", meta=meta, owner=None, review_interval_days=None, source=f"{slug}.md")],
            owners=app.config["CATEGORY_OWNERS"])
