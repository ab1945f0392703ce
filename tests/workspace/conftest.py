"""Workspace fixtures: the starter library with an agent (session + CSRF header) and an API token."""

from __future__ import annotations

import re

import pytest
from tests_support import login


def _session_client(app, username: str, role: str):
    from kbsite.auth import service

    with app.app_context():
        service.create_user(username, role, "correct-horse-battery")
    client = app.test_client()
    assert login(client, username).status_code == 302
    page = client.get("/search").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    return client


@pytest.fixture
def agent(library_app):
    """A signed-in agent whose fetch-style calls carry the CSRF header, like the page's JS."""
    return _session_client(library_app, "agent1", "agent")


@pytest.fixture
def trainer(library_app):
    return _session_client(library_app, "trainer1", "trainer")


@pytest.fixture
def bearer(library_app):
    """Authorization headers of a chat tool's token (an agent's)."""
    from kbsite.auth import service

    with library_app.app_context():
        service.create_user("bot", "agent", "correct-horse-battery")
        token = service.create_token("bot", "chat tool")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory, library_template):
    """One library copy for a module of read-only tests (copying per test is the slow part)."""
    import shutil

    from tests_support import build_app

    home = tmp_path_factory.mktemp("ws-shared") / "instance"
    shutil.copytree(library_template, home, symlinks=True)
    app = build_app(home)
    yield app
    app.extensions["kbsite.db"].engine.dispose()


@pytest.fixture(scope="module")
def reader(shared_app):
    """A signed-in agent on the shared app (for tests that write nothing that others read)."""
    return _session_client(shared_app, "reader", "agent")
