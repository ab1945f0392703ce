"""Save-then-search consistency on a real PostgreSQL server (skipped when none is reachable)."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from search_integration.sync_support import faq, found, index_matches_db, policy, publish
from tests_support import PASSWORD, build_app

from kbsite.auth import service as auth
from kbsite.content import service
from kbsite.search.sync import service as search_service

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(tmp_path, pg_url):
    app = build_app(tmp_path / "pg", SQLALCHEMY_URL=pg_url, SEARCH_CONFIG_REFRESH_SECONDS=0)
    yield app
    app.extensions["kbsite.db"].engine.dispose()


def test_save_then_search_on_postgres(pg_app):
    with pg_app.app_context():
        admin = auth.create_user("boss", "admin", PASSWORD)
        trainer = auth.create_user("lily", "trainer", PASSWORD)
        publish("gift-wrap", "faq", faq("礼品包装怎么选？", "可选蓝鲸礼盒。", "礼品包装说明"), admin)
        assert found(pg_app, "蓝鲸礼盒") == ["gift-wrap"]
        service.save_revision("gift-wrap", faq("礼品包装怎么选？", "新增珊瑚礼袋。", "礼品包装说明"), 1, trainer)
        assert found(pg_app, "珊瑚礼袋") == []
        assert found(pg_app, "珊瑚礼袋", include_drafts=True) == ["gift-wrap"]
        service.approve("gift-wrap", 2, admin)
        assert found(pg_app, "珊瑚礼袋") == ["gift-wrap"]
        search_service().today = lambda: date(2029, 12, 31)
        publish("night-shift", "policy", policy("夜间值班规则", "十分钟内响应。", "2020-01-01"), admin)
        publish("night-shift", "policy", policy("夜间值班规则", "极光班次。", "2030-01-01"), admin)
        assert found(pg_app, "极光班次") == []
        search_service().today = lambda: date(2030, 1, 1)
        assert found(pg_app, "极光班次") == ["night-shift"]
    have, want = index_matches_db(pg_app)
    assert have == want
    shutil.rmtree(pg_app.config["SEARCH_INDEX_DIR"])
    assert found(pg_app, "珊瑚礼袋") == ["gift-wrap"]


def test_search_log_with_control_characters_on_postgres(pg_app):
    with pg_app.app_context():
        auth.create_user("wang", "agent", PASSWORD)
        token = auth.create_token("wang", "chat")
    resp = pg_app.test_client().get("/api/search", query_string={"q": "退货\x00运费"},
                                    headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200 and isinstance(resp.get_json()["log_id"], int)
