"""Several worker processes writing at once, and a worker killed mid-write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from search_integration.sync_support import faq, found, index_matches_db, publish
from sqlalchemy import func, select
from tests_support import build_app

from kbsite.content import service
from kbsite.content.models import Revision
from kbsite.db import session
from kbsite.search.sync import service as search_service

WORKER = Path(__file__).with_name("index_worker.py")
pytestmark = pytest.mark.slow


def _spawn(home: Path, mode: str, worker: str, count: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.Popen([sys.executable, str(WORKER), str(home), mode, worker, str(count)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.fixture
def home(kb, people):
    """The instance folder, with a shared item; the parent's own connections closed."""
    with kb.app_context():
        publish("shared", "faq", faq("共享条目", "起始内容", "共享"), people.admin)
    kb.extensions["kbsite.db"].engine.dispose()
    return Path(kb.instance_path)


def test_workers_saving_at_once_never_fail_and_lose_nothing(home, tmp_path):
    workers, count = ("a", "b", "c"), 4
    procs = [_spawn(home, "save", w, count) for w in workers]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-3000:]
        assert "DONE" in out
        assert "LockError" not in err and "search index" not in err, err[-3000:]  # no repair was needed
    app = build_app(home, SEARCH_CONFIG_REFRESH_SECONDS=0)
    try:
        with app.app_context():
            svc = search_service()
            have = svc.engine().indexed_versions()  # what the workers wrote, before any catch-up
            assert svc.last_sync == {"rebuilt": 0, "updated": 0, "deleted": 0}
            assert have == svc.expected_versions()
            shared = service.get_item("shared")
            assert shared.latest.number == 1 + len(workers) * count  # no save was lost
            total = session().scalar(select(func.count(Revision.id)))
            assert total == 1 + len(workers) * (count * 2 + count)
        for w in workers:
            for i in range(count):
                assert found(app, f"tok{w}p{i}") == [f"w{w}-{i}"]
                assert found(app, f"tok{w}d{i}", include_drafts=True) == [f"w{w}-{i}"]
                assert found(app, f"tok{w}s{i}", include_drafts=True) == ["shared"]
    finally:
        app.extensions["kbsite.db"].engine.dispose()


def test_a_worker_killed_mid_write_leaves_an_index_start_up_repairs(home, people):
    app = build_app(home)
    with app.app_context():
        for i in range(3):
            service.create_item(f"hk-{i}", "faq", faq(f"压力条目{i}", "起始", "压力"), people.admin)
    app.extensions["kbsite.db"].engine.dispose()
    for attempt in range(2):
        proc = _spawn(home, "hammer", "k", 3)
        try:
            lines = 0
            while lines < 3 + attempt * 2:  # let it get into its write loop
                line = proc.stdout.readline()
                assert line, proc.stderr.read()[-3000:]
                lines += line.startswith("step")
            time.sleep(0.05 * (attempt + 1))
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    fresh = build_app(home, SEARCH_CONFIG_REFRESH_SECONDS=0)
    try:
        assert found(fresh, "共享") == ["shared"]
        have, want = index_matches_db(fresh)
        assert have == want and len(want) == 1 + 3
        with fresh.app_context():
            for i in range(3):
                body = service.get_item(f"hk-{i}").latest.body
                token = body.split()[1]
                assert found(fresh, token, include_drafts=True) == [f"hk-{i}"]
            service.save_revision("shared", faq("共享条目", "之后的保存 tokafter", "共享"), 1, people.admin)
        assert found(fresh, "tokafter", include_drafts=True) == ["shared"]
    finally:
        fresh.extensions["kbsite.db"].engine.dispose()


def test_stale_lock_files_and_partial_segments_are_harmless_at_start_up(home, people):
    index = home / "search-index"
    gen = (index / "current").resolve()
    (index / ".write.lock").write_bytes(b"stale")
    (home / "search-index.sync-lock").write_bytes(b"stale")
    (gen / "MAIN_WRITELOCK").write_bytes(b"stale")
    (gen / "MAIN_deadbeefdeadbeef.seg").write_bytes(b"\x00partial segment")
    half = index / "gen-000999"
    half.mkdir()
    (half / "_MAIN_1.toc").write_bytes(b"\x00\x01")
    app = build_app(home, SEARCH_CONFIG_REFRESH_SECONDS=0, SEARCH_LOCK_TIMEOUT=5)
    try:
        assert found(app, "共享") == ["shared"]
        with app.app_context():
            service.save_revision("shared", faq("共享条目", "锁文件之后 toklock", "共享"), 1, people.admin)
        assert found(app, "toklock", include_drafts=True) == ["shared"]
        have, want = index_matches_db(app)
        assert have == want
    finally:
        app.extensions["kbsite.db"].engine.dispose()
