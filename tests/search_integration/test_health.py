"""Liveness, readiness and what breaks around the index: damaged segments, a read-only or
full index folder, hostile JSON bodies. Nothing here may end in a traceback or a 500."""

from __future__ import annotations

import errno
import json
from collections import namedtuple
from datetime import timedelta
from pathlib import Path

import pytest
from search_integration.sync_support import faq, found, index_matches_db
from tests_support import login

from kbsite.content import service
from kbsite.search import health, outbox, store, sync
from kbsite.search.health import check_index_folder


def _readyz(app):
    resp = app.test_client().get("/readyz")
    return resp.status_code, resp.get_json()


def test_healthz_answers_without_the_database(library, monkeypatch):
    monkeypatch.setattr(library.extensions["kbsite.db"], "engine", None)  # any DB use would raise
    resp = library.test_client().get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_caught_up(library):
    found(library, "夜班")
    status, body = _readyz(library)
    assert status == 200
    assert body["status"] == "ready" and body["database"] == "ok" and body["index"] == "present"
    assert body["index_lag_seconds"] == 0 and body["index_behind_entries"] == 0


def test_readyz_reports_lag_and_is_503_past_the_limit(library, people):
    found(library, "夜班")
    library.extensions["kbsite.on_items_changed"] = lambda slugs: None  # nobody indexes it
    with library.app_context():
        from kbsite.db import write_session

        service.save_revision("gift-wrap", faq("礼品包装怎么选？", "滞后。", "礼品包装说明"), 1, people.trainer)
        with write_session() as sess:
            from sqlalchemy import update

            sess.execute(update(outbox.OutboxEntry).values(at=outbox.utcnow() - timedelta(seconds=30)))
    status, body = _readyz(library)
    assert status == 503 and body["status"] == "not ready"
    assert body["index_behind_entries"] == 1 and 29 < body["index_lag_seconds"] < 120
    library.config["READY_MAX_LAG_SECONDS"] = 600
    assert _readyz(library)[0] == 200
    library.config["READY_MAX_LAG_SECONDS"] = 5
    with library.app_context():
        sync.service().follow()
    assert _readyz(library)[0] == 200


def test_readyz_is_503_without_an_index_or_a_database(library, monkeypatch):
    import shutil

    found(library, "夜班")
    shutil.rmtree(library.config["SEARCH_INDEX_DIR"])
    status, body = _readyz(library)
    assert status == 503 and body["index"] == "missing"
    found(library, "夜班")  # rebuilt on the next search
    assert _readyz(library)[0] == 200

    class Down:
        def connect(self):
            raise OSError("connection refused")

    monkeypatch.setattr(library.extensions["kbsite.db"], "engine", Down())
    status, body = _readyz(library)
    assert status == 503 and body["database"] == "unreachable"


def test_health_routes_are_public_json(library):
    for path in ("/healthz", "/readyz"):
        resp = library.test_client().get(path)
        assert resp.mimetype == "application/json"
        assert library.view_functions[f"health.{path[1:]}"].required_permission is None


def _read_only(monkeypatch):
    def refuse(index_dir, timeout=store.WRITE_TIMEOUT):
        raise OSError(errno.EROFS, "Read-only file system", str(index_dir))

    monkeypatch.setattr(store, "write_lock", refuse)


def test_a_read_only_index_folder_while_running_is_reported_not_hidden(library, people, signed_in,
                                                                       monkeypatch):
    found(library, "夜班")
    _read_only(monkeypatch)
    with library.app_context():
        service.save_revision("gift-wrap", faq("礼品包装怎么选？", "只读时的修改。", "礼品包装说明"), 1,
                              people.trainer)  # the save itself succeeds
        assert service.get_item("gift-wrap").latest.number == 2
        assert "只读" in sync.service().problem
    status, body = _readyz(library)
    assert status == 503 and "只读" in body["problem"]
    client = signed_in("agent")
    api = client.get("/api/search", query_string={"q": "蓝鲸礼盒"}).get_json()
    assert api["results"][0]["slug"] == "gift-wrap" and "搜索索引暂时没有跟上最新修改" in api["notice"]
    page = client.get("/search").get_data(as_text=True)
    assert "搜索索引暂时没有跟上最新修改" in page and "Traceback" not in page
    assert library.config["SEARCH_INDEX_DIR"] not in api["notice"] + page  # no paths for agents
    monkeypatch.undo()
    found(library, "夜班")  # writable again: the next search catches up and clears the notice
    with library.app_context():
        assert sync.service().problem is None
    assert client.get("/api/search", query_string={"q": "只读时"}).get_json()["notice"] is None
    have, want = index_matches_db(library)
    assert have == want


def test_start_up_check_names_a_read_only_or_full_folder(tmp_path, monkeypatch):
    assert check_index_folder(tmp_path / "ok" / "search-index") is None
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert "搜索索引目录" in check_index_folder(blocker / "search-index")
    real_open = open

    def read_only_open(path, mode="r", *args, **kwargs):
        if "w" in mode and ".write-check" in str(path):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", read_only_open)
    message = check_index_folder(tmp_path / "ro" / "search-index")
    assert message.startswith("搜索索引目录所在的文件系统是只读的") and "KBSITE_SEARCH_INDEX_DIR" in message
    monkeypatch.undo()
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(health.shutil, "disk_usage", lambda p: usage(10**9, 10**9 - 2**20, 2**20))
    assert "只剩 1 MB" in check_index_folder(tmp_path / "full" / "search-index")


def test_kbsite_run_refuses_an_unwritable_index_folder_in_plain_words(tmp_path):
    from tests_support import build_app

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    app = build_app(tmp_path / "instance", SEARCH_INDEX_DIR=str(blocker / "search-index"))
    result = app.test_cli_runner().invoke(args=["run", "--port", "1"])
    assert result.exit_code == 1
    assert "搜索索引目录" in result.output and "Traceback" not in result.output
    app.extensions["kbsite.db"].engine.dispose()


def test_a_segment_damaged_under_a_running_process_never_kills_it(library, people):
    assert found(library, "蓝鲸礼盒") == ["gift-wrap"]  # segments read into memory
    gen = (Path(library.config["SEARCH_INDEX_DIR"]) / "current").resolve()
    for path in gen.glob("*.seg"):
        with open(path, "r+b") as fh:  # truncate, as a full disk or a bad copy would
            fh.truncate(path.stat().st_size // 3)
    assert found(library, "蓝鲸礼盒") == ["gift-wrap"]  # still answering from memory (no SIGBUS)
    with library.app_context():
        service.save_revision("return-fee", faq("退货运费谁承担？", "新增：玛瑙快递。", "运费规则"), 1,
                              people.trainer)  # reopening reads the damage: repaired, not fatal
    assert found(library, "玛瑙快递", include_drafts=True) == ["return-fee"]
    have, want = index_matches_db(library)
    assert have == want


@pytest.mark.parametrize("body", [
    "[" * 100_000 + "]" * 100_000,
    json.dumps({"slug": "a", "rank": 1, "deep": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}),
    json.dumps({"slug": "a" * (2 * 1024 * 1024)}),
    "{\"slug\": ",
])
def test_hostile_json_bodies_are_400_never_500(library, people, body):
    client = library.test_client()
    assert login(client, people.agent.username).status_code == 302
    for url in ("/api/search/1/open", "/api/templates/x/render"):
        resp = client.post(url, data=body, content_type="application/json")
        assert resp.status_code == 400, (url, resp.status_code)
        assert resp.get_json()["error"]


def test_a_broken_index_answers_from_the_database_while_the_follower_repairs(library, monkeypatch):
    from kbsite.search import SearchEngine
    from kbsite.search.fallback import MESSAGE_DEGRADED

    found(library, "夜班")

    def broken(self, q, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    with library.app_context():
        svc = sync.service()
        monkeypatch.setattr(svc, "_following", lambda: True)  # as in production: a follower thread runs
        monkeypatch.setattr(SearchEngine, "search", broken)
        res = svc.search("蓝鲸礼盒")
        assert res.message == MESSAGE_DEGRADED and [h.slug for h in res.hits] == ["gift-wrap"]
        assert svc.dirty_marker.exists()  # the follower's next round repairs the index
        assert svc.search("蓝鲸礼盒", types=["policy"]).hits == []
        assert [h.slug for h in svc.search("夜班  礼盒").hits] == ["gift-wrap", "night-shift"]
