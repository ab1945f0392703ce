"""The search log: queries with source and result count, and which result was opened."""

from __future__ import annotations

import re

import pytest
from search_integration.sync_support import faq, publish
from sqlalchemy import select
from tests_support import build_app

from kbsite.auth import service as auth
from kbsite.db import session, utcnow
from kbsite.search.log import MAX_LOGGED_QUERY, SearchLog, clean_query, log_search


def _rows(app) -> list[SearchLog]:
    with app.app_context():
        return list(session().scalars(select(SearchLog).order_by(SearchLog.id)))


@pytest.fixture
def bearer(library, people):
    with library.app_context():
        token = auth.create_token(people.agent.username, "chat")
    return {"Authorization": f"Bearer {token}"}


def test_api_queries_are_logged_with_source_and_count(library, people, bearer):
    client = library.test_client()
    hit = client.get("/api/search?q=退货运费", headers=bearer).get_json()
    miss = client.get("/api/search?q=火星快递", headers=bearer).get_json()
    rows = _rows(library)
    assert [(r.query, r.source, r.user_id) for r in rows] == [
        ("退货运费", "api", people.agent.id), ("火星快递", "api", people.agent.id)]
    assert rows[0].result_count == hit["total"] >= 1
    assert rows[1].result_count == miss["total"] == 0
    assert hit["log_id"] == rows[0].id


def test_cookie_session_queries_are_logged_as_web(library, signed_in, people):
    data = signed_in("trainer").get("/api/search?q=夜班").get_json()
    row = _rows(library)[-1]
    assert (row.id, row.source, row.user_id) == (data["log_id"], "web", people.trainer.id)


def test_blank_queries_are_not_logged_and_long_ones_are_truncated(library, bearer):
    client = library.test_client()
    for q in ("", "   ", "\x00\t\n"):
        assert client.get("/api/search", query_string={"q": q}, headers=bearer).get_json()["log_id"] is None
    long_q = "退货" * 3000
    client.get("/api/search", query_string={"q": long_q}, headers=bearer)
    rows = _rows(library)
    assert len(rows) == 1 and rows[0].query == long_q[:MAX_LOGGED_QUERY]


def test_pages_and_typing_can_opt_out_of_logging(library, bearer):
    client = library.test_client()
    assert client.get("/api/search?q=退货&log=0", headers=bearer).get_json()["log_id"] is None
    assert client.get("/api/search?q=退货&offset=1", headers=bearer).get_json()["log_id"] is None
    assert _rows(library) == []


def test_clean_query_drops_control_characters_and_collapses_space():
    assert clean_query("  退货\x00运费\x1b \t 怎么\n算 ") == "退货运费 怎么 算"
    assert clean_query("😀👨‍👩‍👧") == "😀👨‍👩‍👧"
    assert clean_query("\ud800退") == "退"


def test_log_search_ignores_unknown_sources(library, people):
    with library.app_context():
        log_id = log_search(people.agent, "退货", 3, source="evil" * 10)
    assert _rows(library)[0].id == log_id and _rows(library)[0].source == "web"


def test_opening_a_result_is_recorded_once_for_the_searchers_own_log(library, people, bearer):
    client = library.test_client()
    log_id = client.get("/api/search?q=退货运费", headers=bearer).get_json()["log_id"]
    resp = client.post(f"/api/search/{log_id}/open", json={"slug": "return-fee", "rank": 1}, headers=bearer)
    assert resp.status_code == 200 and resp.get_json() == {"ok": True}
    again = client.post(f"/api/search/{log_id}/open", json={"slug": "gift-wrap", "rank": 2}, headers=bearer)
    assert again.status_code == 200
    row = _rows(library)[0]
    assert (row.opened_slug, row.opened_rank) == ("return-fee", 1)


def test_another_users_log_or_a_missing_one_is_404(library, people, bearer):
    with library.app_context():
        other = {"Authorization": f"Bearer {auth.create_token(people.trainer.username, 't')}"}
    client = library.test_client()
    log_id = client.get("/api/search?q=退货运费", headers=bearer).get_json()["log_id"]
    assert client.post(f"/api/search/{log_id}/open", json={"slug": "return-fee"}, headers=other).status_code == 404
    assert client.post("/api/search/999999/open", json={"slug": "return-fee"}, headers=bearer).status_code == 404
    assert client.post(f"/api/search/{10**30}/open", json={"slug": "x-y"}, headers=bearer).status_code == 404
    assert _rows(library)[0].opened_slug is None


BAD_BODIES = [
    {"slug": "Return Fee", "rank": 1}, {"slug": "", "rank": 1}, {"rank": 1}, {"slug": 5},
    {"slug": "return-fee", "rank": 0}, {"slug": "return-fee", "rank": "1"}, {"slug": "return-fee", "rank": True},
    ["return-fee", 1], "return-fee", {"slug": "\ud800x"},
]


def test_bad_open_bodies_are_400(library, bearer):
    client = library.test_client()
    log_id = client.get("/api/search?q=退货运费", headers=bearer).get_json()["log_id"]
    for body in BAD_BODIES:
        resp = client.post(f"/api/search/{log_id}/open", json=body, headers=bearer)
        assert resp.status_code == 400 and resp.get_json()["error"], body
    not_json = client.post(f"/api/search/{log_id}/open", data="slug=x", headers=bearer)
    assert not_json.status_code == 400
    assert _rows(library)[0].opened_slug is None


def test_open_needs_auth(library):
    assert library.test_client().post("/api/search/1/open", json={"slug": "return-fee"}).status_code == 401


def test_cookie_session_open_needs_the_csrf_header(tmp_path, people, library):
    library.extensions["kbsite.db"].engine.dispose()
    app = build_app(tmp_path / "instance", WTF_CSRF_ENABLED=True)
    try:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        resp = client.post("/login", data={"username": people.agent.username,
                                           "password": "correct-horse-battery", "csrf_token": token})
        assert resp.status_code == 302
        log_id = client.get("/api/search?q=退货运费").get_json()["log_id"]
        body = {"slug": "return-fee", "rank": 1}
        assert client.post(f"/api/search/{log_id}/open", json=body).status_code == 400
        assert _rows(app)[0].opened_slug is None
        home = client.get("/").get_data(as_text=True)
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', home).group(1)
        resp = client.post(f"/api/search/{log_id}/open", json=body, headers={"X-CSRFToken": csrf})
        assert resp.status_code == 200
        assert _rows(app)[0].opened_slug == "return-fee"
    finally:
        app.extensions["kbsite.db"].engine.dispose()



def test_search_as_you_type_logs_the_query_once(library, bearer):
    """"退", "退货", "退货运费" typed in a row are one search, with the final count."""
    client = library.test_client()
    ids = {client.get("/api/search", query_string={"q": q}, headers=bearer).get_json()["log_id"]
           for q in ("退", "退货", "退货运", "退货", "退货运费")}
    rows = _rows(library)
    assert len(ids) == 1 and [r.query for r in rows] == ["退货运费"]
    assert rows[0].result_count >= 1 and rows[0].id in ids


def test_a_new_topic_an_opened_search_or_a_pause_starts_a_new_row(library, bearer, monkeypatch):
    from datetime import timedelta

    from kbsite.search import log

    client = library.test_client()

    def ask(q):
        return client.get("/api/search", query_string={"q": q}, headers=bearer).get_json()["log_id"]

    first = ask("退款")
    assert ask("发票") != first  # unrelated: a new search
    opened = ask("退货")
    client.post(f"/api/search/{opened}/open", json={"slug": "seven-day-return", "rank": 1}, headers=bearer)
    assert ask("退货运费") != opened  # the opened search is kept as it was
    later = log.utcnow() + log.TYPING_WINDOW + timedelta(seconds=1)
    monkeypatch.setattr(log, "utcnow", lambda: later)
    assert [r.query for r in _rows(library)] == ["退款", "发票", "退货", "退货运费"]
    ask("退货运费险")
    assert [r.query for r in _rows(library)][-1] == "退货运费险" and len(_rows(library)) == 5


def _statements(app):
    """SQL sent to the database while the returned list is being filled."""
    from sqlalchemy import event

    sent: list[str] = []
    with app.app_context():
        from kbsite.db import database

        event.listen(database().engine, "before_cursor_execute",
                     lambda _c, _cur, statement, *_a: sent.append(statement.split()[0].upper()))
    return sent


def test_a_keystroke_that_continues_the_burst_costs_one_update_and_no_read(library, people):
    sent = _statements(library)
    with library.app_context():
        first = log_search(people.agent, "退", 5)
        sent.clear()
        assert log_search(people.agent, "退货", 3) == first
        assert log_search(people.agent, "退货运", 2) == first
        assert [s for s in sent if s in ("SELECT", "UPDATE", "INSERT")] == ["UPDATE", "UPDATE"]
    rows = _rows(library)
    assert [(r.query, r.result_count) for r in rows] == [("退货运", 2)]


def test_writes_made_elsewhere_end_the_remembered_burst(library, people):
    """Another process may open, report or log a newer search for the same user: the guarded update
    then changes nothing and the full look-up decides, exactly as without the memory."""
    from kbsite.db import write_session

    with library.app_context():
        opened = log_search(people.agent, "退款", 1)
        with write_session() as sess:  # opened through another process: this one was not told
            sess.get(SearchLog, opened).opened_slug = "return-fee"
        reported = log_search(people.agent, "退款多久", 1)
        assert reported != opened
        with write_session() as sess:
            sess.get(SearchLog, reported).gap_reported_at = utcnow()
        after_gap = log_search(people.agent, "退款多久到账", 1)
        assert after_gap not in (opened, reported)
        with write_session() as sess:  # the user's newer search, logged by another process
            newer = SearchLog(user_id=people.agent.id, query="退款多久到账呢", source="web", result_count=1)
            sess.add(newer)
            sess.flush()
            newer_id = newer.id
        assert log_search(people.agent, "退款多久到账呢？", 1) == newer_id
    assert [r.query for r in _rows(library)] == ["退款", "退款多久", "退款多久到账", "退款多久到账呢？"]


def test_one_users_burst_never_touches_another_users_row(library, people):
    with library.app_context():
        mine = log_search(people.agent, "发票", 1)
        theirs = log_search(people.trainer, "发票抬头", 1)
        assert log_search(people.agent, "发票抬头", 1) == mine != theirs
    assert [(r.user_id, r.query) for r in _rows(library)] == [(people.agent.id, "发票抬头"),
                                                              (people.trainer.id, "发票抬头")]


def test_results_found_only_by_shared_characters_still_count_as_a_gap(library, people, bearer):
    # No word of the query is in the library: the page shows what shares a character with it
    # ("没有找到直接答案，下面的内容可能相关"), and the trainers' gap report still counts nothing found.
    with library.app_context():
        publish("lamp-install", "faq", faq("灯具可以上门安装吗？", "灯具支持预约上门安装。", "灯具安装"), people.admin)
    data = library.test_client().get("/api/search?q=电灯", headers=bearer).get_json()
    assert [r["slug"] for r in data["results"]][:1] == ["lamp-install"]
    assert data["total"] >= 1 and data["confidence"] == "low"
    assert _rows(library)[-1].result_count == 0
