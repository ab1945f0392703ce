"""Shared fixtures: an app on a temporary instance, users by role, a signed-in client.

The starter library is imported once per test session into a template
instance; tests that need it get a fresh copy of that database and index.
"""

from __future__ import annotations

import os
import shutil
import uuid

import pytest
from tests_support import PASSWORD, build_app, login

from kbsite.config import PROJECT_ROOT


@pytest.fixture
def app(tmp_path):
    """An empty app (no content, no users)."""
    app = build_app(tmp_path / "instance")
    yield app
    app.extensions["kbsite.db"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """Factory: ``make_user('trainer', 'alice')`` creates a user with PASSWORD."""
    from kbsite.auth import service

    def make(role: str = "agent", username: str | None = None, **kw):
        with app.app_context():
            return service.create_user(username or f"{role}-{uuid.uuid4().hex[:6]}", role, PASSWORD, **kw)

    return make


@pytest.fixture
def as_role(app, make_user):
    """Factory: a test client signed in as a new user of ``role``; the user is ``client.user``."""

    def make(role: str = "agent", username: str | None = None):
        user = make_user(role, username)
        c = app.test_client()
        resp = login(c, user.username)
        assert resp.status_code == 302, resp.data
        c.user = user
        return c

    return make


@pytest.fixture(scope="session")
def library_template(tmp_path_factory):
    """One instance with the whole starter library imported (built once per session)."""
    home = tmp_path_factory.mktemp("library") / "instance"
    app = build_app(home)
    with app.app_context():
        from kbsite import files
        from kbsite.content import service
        from kbsite.search.sync import service as search

        items = files.collect([PROJECT_ROOT / "content", PROJECT_ROOT / "scripts_lib"])
        service.import_items(items)
        search().catch_up()
    app.extensions["kbsite.db"].engine.dispose()
    return home


@pytest.fixture
def library_app(tmp_path, library_template):
    """An app holding a private copy of the imported starter library."""
    home = tmp_path / "instance"
    shutil.copytree(library_template, home, symlinks=True)
    app = build_app(home)
    yield app
    app.extensions["kbsite.db"].engine.dispose()


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database on the local server; skipped when none is reachable."""
    psycopg = pytest.importorskip("psycopg")
    base = os.environ.get("KBSITE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        admin = psycopg.connect(base, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    name = f"kbsite_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    yield url
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()
