"""Fixtures for insights tests: seeding the search log directly, signed-in clients on the library."""

from __future__ import annotations

import pytest
from tests_support import PASSWORD, login


@pytest.fixture
def seed_log(app):
    """Factory: insert SearchLog rows ``(at, user_id, query, result_count, opened_slug)``."""

    def seed(rows, target_app=None):
        from kbsite.db import write_session
        from kbsite.search.log import SearchLog

        with (target_app or app).app_context(), write_session() as sess:
            for at, user_id, query, count, opened in rows:
                sess.add(SearchLog(at=at, user_id=user_id, query=query, result_count=count,
                                   opened_slug=opened, opened_rank=1 if opened else None))

    return seed


@pytest.fixture
def library_client(library_app):
    """Factory: a client on the starter library signed in as a new user of ``role``."""

    def make(role: str, username: str):
        from kbsite.auth import service

        with library_app.app_context():
            user = service.create_user(username, role, PASSWORD)
        c = library_app.test_client()
        assert login(c, username).status_code == 302
        c.user = user
        return c

    return make
