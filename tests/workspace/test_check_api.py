"""POST /api/check: the published lexicon, offsets into the text as sent (code points and UTF-16)."""

from __future__ import annotations

import pytest


def check(client, text, **kw):
    resp = client.post("/api/check", json={"text": text}, **kw)
    assert resp.status_code == 200, resp.json
    return resp.json["issues"]


def test_traditional_script_with_a_space_is_flagged(reader):
    text = "您好，這個不歸 我管，您去問問別人。"
    issues = check(reader, text)
    first = issues[0]
    assert text[first["start"]:first["end"]] == "這個不歸 我管" == first["text"]
    assert first["category"] == "推诿" and first["severity"] == "forbidden"
    assert first["phrase"] == "这个不归我管"
    assert first["suggestion"].startswith("这个问题我来帮您联系")


def test_offsets_after_emoji(reader):
    text = "😀😀 你自己看吧"
    issue = check(reader, text)[0]
    assert text[issue["start"]:issue["end"]] == issue["text"]
    assert issue["start_utf16"] == issue["start"] + 2  # each emoji is two UTF-16 units
    assert issue["end_utf16"] - issue["start_utf16"] == issue["end"] - issue["start"]
    utf16 = text.encode("utf-16-le")
    assert utf16[issue["start_utf16"] * 2:issue["end_utf16"] * 2].decode("utf-16-le") == issue["text"]


def test_full_width_and_punctuation_inside(reader):
    issues = check(reader, "这个不归，我管！")
    assert [i["category"] for i in issues] == ["推诿"]


@pytest.mark.parametrize("text", [
    "您好，您的退款已经原路退回，预计3个工作日到账。",
    "如果您不知道怎么操作的话，我一步步教您。",
    "",
])
def test_ordinary_replies_are_clean(reader, text):
    assert check(reader, text) == []


def test_every_published_template_is_clean(shared_app, reader):
    """False positives on the starter library: zero (body and every channel variant)."""
    from kbsite.content.models import Item

    with shared_app.app_context():
        from kbsite.db import session

        slugs = [i.slug for i in session().query(Item).filter(Item.type == "template")]
    assert len(slugs) > 50
    for slug in slugs:
        tpl = reader.get(f"/api/templates/{slug}").json
        for channel, text in tpl["variants"].items():
            assert check(reader, text) == [], (slug, channel)


def test_check_requires_json(reader):
    assert reader.post("/api/check", data={"text": "x"}).status_code == 415
    assert reader.post("/api/check", json={"text": 5}).status_code == 400
    assert reader.post("/api/check", json={"text": "好" * 20_001}).status_code == 400


def test_check_with_token(library_app, bearer):
    issues = check(library_app.test_client(), "我只是个客服", headers=bearer)
    assert issues[0]["category"] == "推诿"


def test_lexicon_edits_take_effect_by_revision(library_app, agent):
    """The lexicon is read from the published item and re-parsed when its revision changes."""
    from kbsite.content import service
    from kbsite.workspace import lexicon

    assert check(agent, "请稍安勿躁") == []
    with library_app.test_request_context():
        item = service.get_item("forbidden-phrases")
        draft = service.draft_of(item.published)
        draft.meta["entries"].append({"phrase": "稍安勿躁", "category": "不耐烦", "severity": "risky",
                                      "suggestion": "请您放心，我正在处理。"})
        rev = service.save_revision("forbidden-phrases", draft, item.latest.number, None, "加一条")
        service.approve("forbidden-phrases", rev.number, _admin(library_app))
        rev_id, entries = lexicon.current_lexicon()
        assert rev_id == service.get_item("forbidden-phrases").published_revision_id
    issues = check(agent, "请稍安勿躁")
    assert issues and issues[0]["category"] == "不耐烦"
    assert agent.post("/api/check", json={"text": ""}).json["lexicon_revision"] == rev_id


def _admin(app):
    from kbsite.auth import service as auth

    return auth.create_user("boss", "admin", "correct-horse-battery")
