"""The JSON search API contract: bearer auth, parameters, filters, drafts, hostile input."""

from __future__ import annotations

import pytest
from search_integration.sync_support import faq

from kbsite.auth import service as auth
from kbsite.content import service
from kbsite.search.fallback import MESSAGE_DEGRADED
from kbsite.search.sync import MESSAGE_UNAVAILABLE


@pytest.fixture
def tokens(library, people):
    with library.app_context():
        return {who: auth.create_token(getattr(people, who).username, "test")
                for who in ("agent", "trainer")}


@pytest.fixture
def api(library, tokens):
    """GET /api/search as ``who`` (a bearer token) with query arguments."""

    def get(who: str = "agent", **args):
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
        return library.test_client().get("/api/search", query_string=args, headers=headers)

    return get


def test_contract_shape_best_first(api):
    resp = api(q="退货运费")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    data = resp.get_json()
    assert data["query"] == "退货运费" and data["total"] >= 1
    first = data["results"][0]
    assert first["slug"] == "return-fee"
    assert {"slug", "title", "type", "category", "tags", "snippet", "score"} <= set(first)
    assert first["type"] == "faq" and first["category"] == "售后/测试" and isinstance(first["tags"], list)
    assert "<mark>" in first["snippet"]
    scores = [r["score"] for r in data["results"]]
    assert scores == sorted(scores, reverse=True)
    assert isinstance(data["log_id"], int) and "facets" in data


@pytest.mark.parametrize("header", [None, "Bearer kb_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer "])
def test_missing_or_invalid_token_is_401_json(library, header):
    headers = {"Authorization": header} if header else {}
    resp = library.test_client().get("/api/search?q=退货", headers=headers)
    assert resp.status_code == 401
    assert resp.mimetype == "application/json" and resp.get_json()["error"]


def test_revoked_token_is_401(library, people, tokens, api):
    from kbsite.auth.models import ApiToken
    from kbsite.db import session

    assert api(q="退货").status_code == 200
    with library.app_context():
        row = session().query(ApiToken).filter_by(user_id=people.agent.id).one()
        auth.revoke_token(row.id, people.admin)
    resp = api(q="退货")
    assert resp.status_code == 401 and resp.get_json()["error"]


def test_token_in_the_query_string_is_refused(library, tokens):
    client = library.test_client()
    for key in ("access_token", "token"):
        resp = client.get("/api/search", query_string={"q": "退货", key: tokens["agent"]})
        assert resp.status_code in (400, 401)
        assert "results" not in resp.get_json()


@pytest.mark.parametrize("limit,expected", [("1", 1), ("50", 3), ("", 3)])
def test_limit_within_bounds(api, limit, expected):
    data = api(q="规则 运费 礼品 夜班", limit=limit).get_json()
    assert len(data["results"]) == min(expected, data["total"])
    assert data["total"] == 3


def test_bad_limit_is_a_400_with_a_json_error(api):
    for limit in ("0", "51", "-1", "abc", "1.5", "١", "99999999999999999999"):
        resp = api(q="退货", limit=limit)
        assert resp.status_code == 400, limit
        assert resp.mimetype == "application/json" and "limit" in resp.get_json()["error"]


def test_bad_offset_and_unknown_type_are_400(api):
    assert api(q="退货", offset="-3").status_code == 400
    resp = api(q="退货", type="quiz")
    assert resp.status_code == 400 and resp.get_json()["error"]


def test_type_category_and_tag_filters(library, people, api):
    with library.app_context():
        service.save_revision("return-fee", faq("退货运费谁承担？", "质量问题由商家承担退货运费。", "运费规则",
                                                tags=("运费",)), 1, people.admin)
        service.approve("return-fee", 2, people.trainer2)
    everything = api(q="规则 运费 礼品 夜班").get_json()
    assert everything["total"] == 3
    policies = api(q="规则 运费 礼品 夜班", type="policy").get_json()
    assert [r["slug"] for r in policies["results"]] == ["night-shift"]
    both = api(q="规则 运费 礼品 夜班", type="policy,faq").get_json()
    assert both["total"] == 3
    by_category = api(q="规则 运费 礼品 夜班", category="规则").get_json()
    assert [r["slug"] for r in by_category["results"]] == ["night-shift"]
    by_tag = api(q="规则 运费 礼品 夜班", tag="运费").get_json()
    assert [r["slug"] for r in by_tag["results"]] == ["return-fee"]
    assert by_tag["results"][0]["tags"] == ["运费"]


def test_agents_never_see_drafts_even_when_asking(library, people, api):
    with library.app_context():
        service.save_revision("gift-wrap", faq("礼品包装怎么选？", "草稿：珊瑚礼袋。", "礼品包装说明"), 1,
                              people.trainer)
        service.create_item("draft-only", "faq", faq("珊瑚礼袋说明", "只有草稿。", "草稿摘要"), people.trainer)
    agent = api("agent", q="珊瑚礼袋", drafts="1").get_json()
    assert agent["total"] == 0 and agent["results"] == []
    trainer = api("trainer", q="珊瑚礼袋", drafts="1").get_json()
    assert {r["slug"] for r in trainer["results"]} == {"gift-wrap", "draft-only"}
    assert {r["status"] for r in trainer["results"]} == {"draft"}
    assert api("trainer", q="珊瑚礼袋").get_json()["total"] == 0  # drafts only when asked


HOSTILE = [
    '"退货', "title:退货 AND body:运费", "退货 OR NOT 运费", "*", "退?货*", "(((((", ")]}>",
    "\x00\x01\x1b[31m", "退货\x00运费", "😀🙏🏻👨‍👩‍👧", "退" * 10_000, "a" * 10_000,
    "<script>alert(1)</script>", "' OR 1=1 --", "%00", "\\", "category:售后/测试", "~~~^^^",
    "\u202e\u200b\ufeff", "\ud7ff\ue000",
]


def test_hostile_queries_answer_200_never_500(api):
    for q in HOSTILE:
        for who in ("agent", "trainer"):
            resp = api(who, q=q, drafts="1")
            assert resp.status_code == 200, (q[:40], resp.data[:200])
            assert resp.mimetype == "application/json"
            data = resp.get_json()
            assert data["message"] not in (MESSAGE_UNAVAILABLE, MESSAGE_DEGRADED), q[:40]  # engine answered
            assert data["results"] or data["message"] or data["total"] == 0


def test_queries_with_nothing_searchable_get_a_message(api):
    for q in ("", "   ", "\x00\x01", "😀😀", "((("):
        data = api(q=q).get_json()
        assert data["total"] == 0 and data["message"]


def test_quotes_and_field_syntax_are_treated_as_text(api):
    data = api(q='title:"退货运费"').get_json()
    assert [r["slug"] for r in data["results"]][:1] == ["return-fee"]


def test_suggest_requires_auth_and_returns_titles(library, api, tokens):
    assert library.test_client().get("/api/suggest?q=礼品").status_code == 401
    resp = library.test_client().get("/api/suggest?q=礼品",
                                     headers={"Authorization": f"Bearer {tokens['agent']}"})
    assert resp.status_code == 200
    assert [s["slug"] for s in resp.get_json()["suggestions"]] == ["gift-wrap"]
