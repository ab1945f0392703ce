"""The search outbox in one process: every search-affecting write records a row in its
transaction, and an index follows the rows idempotently, rebuilding when too far behind."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from search_integration.sync_support import faq, found, index_matches_db, policy, publish
from sqlalchemy import select
from tests_support import build_app

from kbsite.content import bulk, service
from kbsite.search import outbox, sync


def _entries(app) -> list[tuple[list[str], bool]]:
    with app.app_context():
        from kbsite.db import session

        return [(e.slugs, e.everything) for e in session().scalars(select(outbox.OutboxEntry)
                                                                   .order_by(outbox.OutboxEntry.id))]


def test_every_search_affecting_write_records_a_row(library, people):
    before = len(_entries(library))
    with library.app_context():
        rev = service.save_revision("gift-wrap", faq("礼品包装怎么选？", "新增珊瑚礼袋。", "礼品包装说明"), 1,
                                    people.trainer)
        service.submit_for_review("gift-wrap", rev.number, people.trainer)  # state only: no row
        service.approve("gift-wrap", rev.number, people.admin)
        service.revert("gift-wrap", 1, rev.number, people.admin)
        bulk.bulk_edit({"return-fee": None}, "add_tag", "加急", people.admin)
        item = service.get_item("return-fee")
        service.reject("return-fee", item.latest.number, people.admin, "不通过")  # no row
    rows = _entries(library)[before:]
    assert rows == [(["gift-wrap"], False)] * 3 + [(["return-fee"], False)]


def test_a_change_committed_without_indexing_is_followed_by_another_app(library, people, tmp_path):
    other = build_app(tmp_path / "instance", SEARCH_INDEX_DIR=str(tmp_path / "other-index"))
    try:
        assert found(other, "蓝鲸礼盒") == ["gift-wrap"]
        library.extensions["kbsite.on_items_changed"] = lambda slugs: None  # "killed" after commit
        with library.app_context():
            publish("gift-wrap", "faq", faq("礼品包装怎么选？", "改为珊瑚礼袋。", "礼品包装说明"), people.admin)
        with other.app_context():
            assert sync.service().follow() == 2  # the save and the approval
            assert sync.service().follow() == 0
        assert found(other, "珊瑚礼袋") == ["gift-wrap"]
        have, want = index_matches_db(other)
        assert have == want
    finally:
        other.extensions["kbsite.db"].engine.dispose()


def test_replaying_entries_again_is_harmless(library, people):
    with library.app_context():
        publish("gift-wrap", "faq", faq("礼品包装怎么选？", "玛瑙礼盒。", "礼品包装说明"), people.admin)
        svc = sync.service()
        mark = svc.position.read()
        svc.position.path.write_text(
            f'{{"generation": "{mark.generation}", "entry_id": 0}}', encoding="utf-8")
        assert svc.follow() >= 2
        assert svc.position.read() == mark
    have, want = index_matches_db(library)
    assert have == want and found(library, "玛瑙礼盒") == ["gift-wrap"]


def test_too_far_behind_or_an_unknown_position_catches_up_instead(library, people, monkeypatch):
    monkeypatch.setattr(sync, "MAX_REPLAY", 1)
    library.extensions["kbsite.on_items_changed"] = lambda slugs: None
    with library.app_context():
        publish("return-fee", "faq", faq("退货运费谁承担？", "琥珀快递。", "运费规则"), people.admin)
        svc = sync.service()
        svc.follow()
        assert svc.last_sync == {"rebuilt": 0, "updated": 1, "deleted": 0}
        svc.position.path.unlink()
        publish("return-fee", "faq", faq("退货运费谁承担？", "翡翠快递。", "运费规则"), people.admin)
        svc.follow()
        assert svc.last_sync["updated"] == 1 and svc.position.read() is not None
    assert found(library, "翡翠快递") == ["return-fee"]


def test_a_restore_tells_every_node_to_rebuild(library, tmp_path):
    from kbsite import backup

    buf = io.BytesIO()
    with library.app_context():
        from kbsite.db import database

        backup.write_backup(database().engine, buf)
    target = build_app(tmp_path / "restored")
    try:
        with target.app_context():
            from kbsite.db import database

            found(target, "夜班")  # the node indexes the empty database first
            backup.restore_backup(database().engine, io.BytesIO(buf.getvalue()))
            assert _entries(target)[-1] == ([], True)
            assert sync.service().follow() == 1 and sync.service().last_sync["rebuilt"] == 3
        assert found(target, "夜班") == ["night-shift"]
    finally:
        target.extensions["kbsite.db"].engine.dispose()


def test_pruning_keeps_recent_rows_and_the_newest(library, people):
    with library.app_context():
        from kbsite.db import session, utcnow, write_session

        publish("gift-wrap", "faq", faq("礼品包装怎么选？", "旧修改。", "礼品包装说明"), people.admin)
        with write_session() as sess:
            rows = sess.scalars(select(outbox.OutboxEntry)).all()
            for row in rows:
                row.at = utcnow() - outbox.RETENTION - timedelta(hours=1)
            newest = max(r.id for r in rows)
        with write_session() as sess:
            assert outbox.prune(sess) == len(rows) - 1
        assert [e.id for e in session().scalars(select(outbox.OutboxEntry))] == [newest]


@pytest.mark.parametrize("field", ["slugs", "everything"])
def test_entries_hold_no_content(field):
    assert field in outbox.OutboxEntry.__table__.columns
    assert {c.name for c in outbox.OutboxEntry.__table__.columns} == {"id", "at", "slugs", "everything"}


def test_the_follower_switches_a_policy_at_midnight_without_any_search(library, people):
    from kbsite.search.store import current_generation
    from kbsite.search.whoosh_seam import open_index

    def indexed_version(slug: str) -> int:
        gen = current_generation(sync.service().index_dir)
        with open_index(gen).searcher() as searcher:
            return {f["doc_id"]: f["version"] for f in searcher.all_stored_fields()}[slug]

    with library.app_context():
        svc = sync.service()
        svc.today = lambda: date(2029, 12, 31)
        publish("night-shift", "policy", policy("夜间值班规则", "极光班次。", "2030-01-01"), people.admin)
        svc.tick()
        before = indexed_version("night-shift@published")
        svc.today = lambda: date(2030, 1, 1)  # local midnight passes; nobody searches
        svc.tick()
        assert indexed_version("night-shift@published") == service.get_item("night-shift").latest_revision_id
        assert indexed_version("night-shift@published") != before
    have, want = index_matches_db(library)
    assert have == want


def test_with_a_follower_running_a_save_only_wakes_it_and_is_found_within_a_second(library, people, monkeypatch):
    import threading
    import time

    from kbsite.search.engine import SearchEngine

    writers: list[str] = []
    upsert = SearchEngine.upsert

    def recording_upsert(self, docs):
        writers.append(threading.current_thread().name)
        upsert(self, docs)

    monkeypatch.setattr(SearchEngine, "upsert", recording_upsert)
    assert found(library, "蓝鲸礼盒") == ["gift-wrap"]
    svc = library.extensions["kbsite.search"]
    svc.start_following(library, interval=30.0)  # a poll would come far too late: only the wake-up counts
    try:
        time.sleep(0.2)  # the first round has run
        with library.app_context():
            service.save_revision("gift-wrap", faq("礼品包装怎么选？", "新增极光礼袋。", "礼品包装说明"), 1,
                                  people.admin)
            saved = time.monotonic()
        while "gift-wrap" not in found(library, "极光礼袋", include_drafts=True):
            assert time.monotonic() - saved < 1.0, "the saved change was not searchable within 1 s"
            time.sleep(0.02)
    finally:
        svc.stop_following()
    assert writers and set(writers) == {"kbsite-search-follower"}  # never the request's thread
    have, want = index_matches_db(library)
    assert have == want
