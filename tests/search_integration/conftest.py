"""Fixtures for search-in-the-app tests: a small published library on a real instance."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from search_integration.sync_support import faq, policy, publish
from tests_support import PASSWORD, build_app, login


@pytest.fixture
def kb(tmp_path):
    """An empty instance whose search re-reads dictionary/synonyms on every query."""
    app = build_app(tmp_path / "instance", SEARCH_CONFIG_REFRESH_SECONDS=0)
    yield app
    app.extensions["kbsite.db"].engine.dispose()


@pytest.fixture
def people(kb):
    """An admin (may approve own changes), two trainers and an agent."""
    from kbsite.auth import service

    with kb.app_context():
        return SimpleNamespace(
            admin=service.create_user("boss", "admin", PASSWORD),
            trainer=service.create_user("lily", "trainer", PASSWORD),
            trainer2=service.create_user("zhou", "trainer", PASSWORD),
            agent=service.create_user("wang", "agent", PASSWORD),
        )


@pytest.fixture
def library(kb, people):
    """Three published entries with distinctive words."""
    with kb.app_context():
        publish("gift-wrap", "faq", faq("礼品包装怎么选？", "可选蓝鲸礼盒或普通纸盒。", "礼品包装说明"), people.admin)
        publish("return-fee", "faq", faq("退货运费谁承担？", "质量问题由商家承担退货运费。", "运费规则"),
                people.admin)
        publish("night-shift", "policy", policy("夜间值班规则", "夜班客服需在十分钟内响应。", "2020-01-01"),
                people.admin)
    return kb


@pytest.fixture
def signed_in(kb, people):
    """Factory: a test client signed in as one of ``people`` (by attribute name)."""

    def make(who: str):
        client = kb.test_client()
        assert login(client, getattr(people, who).username).status_code == 302
        return client

    return make
