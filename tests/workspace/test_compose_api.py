"""Composing a reply over HTTP: copy the whole reply, gaps refused by name, recent compositions kept."""

from __future__ import annotations

import pytest
from tests_support import publish

PIECES = ["zz-greet", "zz-refund-answer", "zz-register"]
VALUES = {"客户称呼": "王女士", "订单号": "A123"}


@pytest.fixture
def pieces(library_app):
    publish(library_app, "zz-greet", "template", "组合问候", "{{客户称呼}}您好，订单{{订单号}}我这边查到了。",
            placeholders=["客户称呼", "订单号"])
    publish(library_app, "zz-refund-answer", "faq", "组合退款答案", "详细说明……",
            summary="退款会在1-3个工作日原路退回。")
    publish(library_app, "zz-register", "template", "组合登记", "{{客户称呼}}，订单{{订单号}}已为您登记。",
            placeholders=["客户称呼", "订单号"])
    return PIECES


def test_three_pieces_two_shared_placeholders(agent, pieces):
    resp = agent.post("/api/compose/copy", json={"pieces": pieces, "values": VALUES})
    assert resp.status_code == 200, resp.json
    assert resp.json["text"] == ("王女士您好，订单A123我这边查到了。\n退款会在1-3个工作日原路退回。\n"
                                 "王女士，订单A123已为您登记。")
    assert resp.json["issues"] == []
    recent = agent.get("/api/me/compositions").json["compositions"]
    assert [p["slug"] for p in recent[0]["pieces"]] == pieces
    assert recent[0]["title"] == "组合问候 + 组合退款答案 + 组合登记" and recent[0]["uses"] == 1
    agent.post("/api/compose/copy", json={"pieces": pieces, "values": VALUES})
    assert agent.get("/api/me/compositions").json["compositions"][0]["uses"] == 2
    # each template piece counts as a copy of that template
    lists = agent.get("/api/me/templates").json
    assert {"zz-greet", "zz-register"} <= {t["slug"] for t in lists["recent"]}


def test_an_unfilled_placeholder_blocks_the_copy(agent, pieces):
    resp = agent.post("/api/compose/copy", json={"pieces": pieces, "values": {"客户称呼": "王女士"}})
    assert resp.status_code == 400 and resp.json["missing"] == ["订单号"]
    assert agent.get("/api/me/compositions").json["compositions"] == []


def test_checker_runs_on_the_whole_reply(agent, library_app):
    publish(library_app, "zz-rude", "template", "组合不当", "这个不归我们管，{{客户称呼}}。",
            placeholders=["客户称呼"])
    resp = agent.post("/api/compose/copy", json={"pieces": ["zz-rude"], "values": {"客户称呼": "李先生"}})
    assert resp.status_code == 200
    assert resp.json["issues"], "the checker flags the forbidden phrase in the composed text"


@pytest.mark.parametrize("body", [{"pieces": []}, {"pieces": "zz-greet"}, {"pieces": ["../etc"]},
                                  {"pieces": ["zz-greet"] * 11}, {"pieces": ["zz-greet"], "values": []}])
def test_bad_input_is_a_clear_400(agent, pieces, body):
    resp = agent.post("/api/compose/copy", json=body)
    assert resp.status_code == 400 and resp.json["error"]


def test_unknown_piece_is_404_and_needs_login(agent, pieces, library_app):
    assert agent.post("/api/compose/copy", json={"pieces": ["no-such-entry"], "values": {}}).status_code == 404
    anon = library_app.test_client()
    assert anon.post("/api/compose/copy", json={"pieces": pieces, "values": VALUES}).status_code == 401
