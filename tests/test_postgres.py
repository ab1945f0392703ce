"""The same services against a real PostgreSQL server (skipped when none is reachable)."""

from __future__ import annotations

import threading

import pytest
from tests_support import build_app

from kbsite.content import service
from kbsite.content.service import Draft
from kbsite.errors import Conflict

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(tmp_path, pg_url):
    app = build_app(tmp_path / "pg", SQLALCHEMY_URL=pg_url)
    yield app
    app.extensions["kbsite.db"].engine.dispose()


def draft(body: str) -> Draft:
    return Draft("运费谁出？", "售后", ["运费"], body, {"summary": "质量问题我们出。"})


def test_save_history_and_conflict_on_postgres(pg_app):
    from kbsite.auth import service as auth

    with pg_app.app_context():
        alice = auth.create_user("alice", "trainer", "correct-horse-battery")
        service.create_item("fee", "faq", draft("一"), alice)
        service.save_revision("fee", draft("二"), 1, alice)
        with pytest.raises(Conflict):
            service.save_revision("fee", draft("三"), 1, alice)
        item = service.get_item("fee")
        assert [r.number for r in service.revisions(item)] == [2, 1]


def test_concurrent_saves_on_postgres_lose_nothing(pg_app):
    from kbsite.auth import service as auth

    with pg_app.app_context():
        alice = auth.create_user("alice", "trainer", "correct-horse-battery")
        service.create_item("fee", "faq", draft("0"), alice)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def worker(n: int) -> None:
        with pg_app.app_context():
            barrier.wait()
            try:
                service.save_revision("fee", draft(f"版本{n}"), 1, alice)
                outcomes.append("saved")
            except Conflict:
                outcomes.append("conflict")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("saved") == 1 and outcomes.count("conflict") == 3
    with pg_app.app_context():
        assert [r.number for r in service.revisions(service.get_item("fee"))] == [2, 1]
