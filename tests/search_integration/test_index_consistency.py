"""The index always reflects the database: saves, reverts, approvals, imports, repairs, config edits."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from search_integration.sync_support import faq, found, index_matches_db, policy, publish
from sqlalchemy import text
from tests_support import build_app

from kbsite import files
from kbsite.content import service
from kbsite.content.service import Draft
from kbsite.search.sync import service as search_service


def _edit_form(title: str, body: str, base: int, summary: str = "礼品包装说明") -> dict:
    return {"title": title, "category": "售后/测试", "tags": "", "summary": summary,
            "body": body, "base": str(base), "message": "测试修改"}


def _current_gen(app) -> Path:
    return (Path(app.config["SEARCH_INDEX_DIR"]) / "current").resolve()


def test_page_save_is_searchable_at_once_drafts_for_trainers_then_agents_after_approval(
        library, signed_in):
    trainer, reviewer = signed_in("trainer"), signed_in("trainer2")
    resp = trainer.post("/items/gift-wrap/edit", data=_edit_form("礼品包装怎么选？", "新增珊瑚礼袋。", 1))
    assert resp.status_code == 302
    assert found(library, "珊瑚礼袋") == []  # agents: published only
    assert found(library, "珊瑚礼袋", include_drafts=True) == ["gift-wrap"]
    assert found(library, "蓝鲸礼盒") == ["gift-wrap"]  # agents still read the published text

    api = trainer.get("/api/search", query_string={"q": "珊瑚礼袋", "drafts": "1"}).get_json()
    assert [r["slug"] for r in api["results"]] == ["gift-wrap"]
    assert api["results"][0]["status"] == "draft"

    resp = reviewer.post("/review/gift-wrap/2/approve", data={"comment": "好"})
    assert resp.status_code == 302
    assert found(library, "珊瑚礼袋") == ["gift-wrap"]
    assert found(library, "蓝鲸礼盒") == []
    have, want = index_matches_db(library)
    assert have == want and "gift-wrap@draft" not in have


def test_revert_and_its_approval_reach_the_index_before_the_response(library, signed_in, people):
    with library.app_context():
        publish("gift-wrap", "faq", faq("礼品包装怎么选？", "只剩珊瑚礼袋。", "礼品包装说明"), people.admin)
    assert found(library, "蓝鲸礼盒") == []
    trainer = signed_in("trainer")
    assert trainer.post("/items/gift-wrap/revert/1", data={"base": "2"}).status_code == 302
    assert found(library, "蓝鲸礼盒", include_drafts=True) == ["gift-wrap"]
    assert found(library, "蓝鲸礼盒") == []
    assert signed_in("admin").post("/review/gift-wrap/3/approve", data={}).status_code == 302
    assert found(library, "蓝鲸礼盒") == ["gift-wrap"]
    assert found(library, "珊瑚礼袋") == []


def test_import_updates_the_index(library):
    text_ = ("---\ntitle: 发票抬头写错了怎么办？\ntype: faq\ncategory: 售前/发票\nstatus: published\n"
             "summary: 可申请重开发票\n---\n订单完成后可在订单页申请重开，抬头写错免费重开一次，凭证号 fpq7788。\n")
    item = files.parse_item(text_.encode("utf-8"), "invoice-title-wrong.md")
    with library.app_context():
        report = service.import_items([item])
    assert report.created == ["invoice-title-wrong"]
    assert found(library, "fpq7788") == ["invoice-title-wrong"]
    have, want = index_matches_db(library)
    assert have == want


def test_the_index_records_which_revision_each_doc_reflects(library, people):
    with library.app_context():
        rev = service.save_revision("return-fee", faq("退货运费谁承担？", "新规：运费险先赔。", "运费规则"), 1,
                                    people.trainer)
        have, want = index_matches_db(library)
        item = service.get_item("return-fee")
        assert have["return-fee@draft"] == rev.id == item.latest_revision_id
        assert have["return-fee@published"] == item.published_revision_id
        assert have == want


def test_deleted_index_is_rebuilt_from_the_database_on_the_next_search(library):
    assert found(library, "蓝鲸礼盒") == ["gift-wrap"]  # engine open, searcher cached
    shutil.rmtree(library.config["SEARCH_INDEX_DIR"])
    assert found(library, "蓝鲸礼盒") == ["gift-wrap"]
    assert found(library, "退货运费") == ["return-fee"]
    assert found(library, "夜班") == ["night-shift"]
    have, want = index_matches_db(library)
    assert have == want and len(have) == 3


def test_deleted_index_is_rebuilt_at_start_up(library, tmp_path):
    library.extensions["kbsite.db"].engine.dispose()
    shutil.rmtree(library.config["SEARCH_INDEX_DIR"])
    fresh = build_app(tmp_path / "instance", SEARCH_CONFIG_REFRESH_SECONDS=0)
    try:
        assert found(fresh, "夜班") == ["night-shift"]
        with fresh.app_context():
            assert search_service().last_sync["rebuilt"] == 3
    finally:
        fresh.extensions["kbsite.db"].engine.dispose()


def _truncate(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.truncate(size // 2)


@pytest.mark.parametrize("suffix", [".seg", ".toc"])
def test_a_truncated_segment_or_toc_is_repaired_at_start_up(library, tmp_path, suffix):
    gen = _current_gen(library)
    library.extensions["kbsite.db"].engine.dispose()
    damaged = [p for p in gen.iterdir() if p.suffix == suffix]
    assert damaged
    for path in damaged:
        _truncate(path)
    fresh = build_app(tmp_path / "instance", SEARCH_CONFIG_REFRESH_SECONDS=0)
    try:
        assert found(fresh, "蓝鲸礼盒") == ["gift-wrap"]
        assert found(fresh, "夜班") == ["night-shift"]
        with fresh.app_context():
            assert search_service().last_sync["rebuilt"] == 3
        assert _current_gen(fresh) != gen
    finally:
        fresh.extensions["kbsite.db"].engine.dispose()


def test_segments_deleted_under_a_running_process_are_repaired_by_the_next_save(library, people, caplog):
    assert found(library, "蓝鲸礼盒") == ["gift-wrap"]
    for path in _current_gen(library).glob("*.seg"):
        path.unlink()
    with library.app_context():
        service.save_revision("return-fee", faq("退货运费谁承担？", "新增：玛瑙快递。", "运费规则"), 1,
                              people.trainer)
    assert "search index update failed; repairing it" in caplog.text
    assert found(library, "玛瑙快递", include_drafts=True) == ["return-fee"]
    assert found(library, "蓝鲸礼盒") == ["gift-wrap"]
    have, want = index_matches_db(library)
    assert have == want and len(have) == 4


def test_a_change_made_behind_the_index_is_caught_up_by_reindex(library):
    with library.app_context():
        found(library, "夜班")
        item = service.get_item("gift-wrap")
        conn_url_rev = item.published_revision_id
    engine = library.extensions["kbsite.db"].engine
    with engine.begin() as conn:  # another tool writes a new published revision with raw SQL
        conn.execute(text(
            "INSERT INTO revisions (item_id, number, created_at, message, title, category, tags, body,"
            " meta, html, renderer_version, content_hash, state, published_at, review_comment)"
            " SELECT item_id, 9, created_at, 'sql', '礼品包装（直接改库）', category, tags,"
            " '改为琥珀礼匣。', meta, html, renderer_version, 'x', 'published', published_at, ''"
            " FROM revisions WHERE id = :rid"), {"rid": conn_url_rev})
        new_id = conn.execute(text("SELECT max(id) FROM revisions")).scalar()
        conn.execute(text("UPDATE items SET published_revision_id = :n, latest_revision_id = :n"
                          " WHERE slug = 'gift-wrap'"), {"n": new_id})
    assert found(library, "琥珀礼匣") == []  # the index does not know yet
    result = library.test_cli_runner().invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert "更新 1" in result.output
    assert found(library, "琥珀礼匣") == ["gift-wrap"]
    have, want = index_matches_db(library)
    assert have == want and have["gift-wrap@published"] == new_id


def test_reindex_full_rebuilds_with_a_progress_bar(library):
    with library.app_context():
        rev_id = service.get_item("return-fee").published_revision_id
    with library.extensions["kbsite.db"].engine.begin() as conn:  # an in-place edit keeps the id
        conn.execute(text("UPDATE revisions SET body = '改库：运费由翡翠快递承担。' WHERE id = :r"),
                     {"r": rev_id})
    assert found(library, "翡翠快递") == []
    result = library.test_cli_runner().invoke(args=["reindex", "--full"])
    assert result.exit_code == 0, result.output
    assert "更新索引" in result.output and "重建 3" in result.output
    assert found(library, "翡翠快递") == ["return-fee"]


def _dictionary(words: list[str]) -> Draft:
    return Draft("搜索分词词典", "系统/搜索", [], "", {"words": words})


def _synonyms(groups: list[list[str]]) -> Draft:
    return Draft("搜索同义词", "系统/搜索", [], "", {"groups": groups})


def test_a_dictionary_edit_rebuilds_the_index_with_the_new_analyzer(library, people):
    with library.app_context():
        svc = search_service()
        publish("search-dictionary", "dictionary", _dictionary(["运费险"]), people.admin)
        before = svc.engine().analyzer_version
        assert svc.last_sync["rebuilt"] == 3
        publish("search-dictionary", "dictionary", _dictionary(["运费险", "蓝鲸礼盒"]), people.admin)
        assert svc.engine().analyzer_version != before
        assert svc.last_sync == {"rebuilt": 3, "updated": 0, "deleted": 0}
    assert found(library, "蓝鲸礼盒") == ["gift-wrap"]
    have, want = index_matches_db(library)
    assert have == want


def test_a_dictionary_edit_in_another_process_is_picked_up(library, people, tmp_path):
    assert found(library, "蓝鲸礼盒") == ["gift-wrap"]
    with library.app_context():
        before = search_service().engine().analyzer_version
    other = build_app(tmp_path / "instance")  # a second worker on the same instance
    try:
        with other.app_context():
            publish("search-dictionary", "dictionary", _dictionary(["蓝鲸礼盒"]), people.admin)
            other_version = search_service().engine().analyzer_version
    finally:
        other.extensions["kbsite.db"].engine.dispose()
    assert found(library, "蓝鲸礼盒") == ["gift-wrap"]  # refresh interval is 0 in this fixture
    with library.app_context():
        assert search_service().engine().analyzer_version == other_version != before


def test_a_synonym_edit_takes_effect_without_reindex(library, people, tmp_path):
    assert found(library, "海洋巨兽") == []
    gen = _current_gen(library)
    with library.app_context():
        versions = search_service().engine().indexed_versions()
    other = build_app(tmp_path / "instance")
    try:
        with other.app_context():
            publish("search-synonyms", "synonyms", _synonyms([["蓝鲸", "海洋巨兽"]]), people.admin)
    finally:
        other.extensions["kbsite.db"].engine.dispose()
    assert found(library, "海洋巨兽") == ["gift-wrap"]
    assert _current_gen(library) == gen  # no rebuild
    with library.app_context():
        assert search_service().engine().indexed_versions() == versions


def test_the_config_refresh_interval_is_configurable(tmp_path):
    app = build_app(tmp_path / "i", SEARCH_CONFIG_REFRESH_SECONDS=2.5)
    try:
        assert app.extensions["kbsite.search"].config_refresh_seconds == 2.5
    finally:
        app.extensions["kbsite.db"].engine.dispose()


def test_a_scheduled_policy_switches_in_the_index_on_its_date(library, people):
    with library.app_context():
        svc = search_service()
        svc.today = lambda: date(2029, 12, 31)
        publish("night-shift", "policy", policy("夜间值班规则", "夜班改为极光班次轮值。", "2030-01-01"),
                people.admin)
    assert found(library, "极光班次") == []
    assert found(library, "十分钟内响应") == ["night-shift"]
    assert found(library, "极光班次", include_drafts=True) == ["night-shift"]
    with library.app_context():
        svc.today = lambda: date(2030, 1, 1)
    assert found(library, "极光班次") == ["night-shift"]
    assert found(library, "十分钟内响应") == []
    with library.app_context():
        have, want = index_matches_db(library)
        assert have == want and "night-shift@draft" not in have


def test_the_default_clock_follows_the_apps_pinned_today(library, people):
    library.config["TODAY"] = "2029-06-01"
    with library.app_context():
        publish("night-shift", "policy", policy("夜间值班规则", "夜班改为极光班次轮值。", "2030-01-01"),
                people.admin)
    assert found(library, "极光班次") == []
    library.config["TODAY"] = "2030-01-02"
    assert found(library, "极光班次") == ["night-shift"]
