"""GET /api/templates/<slug> and POST …/render: placeholders, variants, missing/unknown values."""

from __future__ import annotations

import pytest

URL = "/api/templates/exchange-size"
ALL = {"客户称呼": "王女士", "新规格": "M码"}


@pytest.fixture(scope="module")
def token(shared_app):
    """Authorization headers of a chat tool's token on the shared app."""
    from kbsite.auth import service

    with shared_app.app_context():
        service.create_user("bot", "agent", "correct-horse-battery")
        value = service.create_token("bot", "chat tool")
    return {"Authorization": f"Bearer {value}"}


def render(client, slug="exchange-size", headers=None, **body):
    return client.post(f"/api/templates/{slug}/render", json=body, headers=headers or {})


def test_get_template_with_bearer_token(shared_app, token):
    resp = shared_app.test_client().get("/api/templates/refund-notice-approved", headers=token)
    assert resp.status_code == 200
    data = resp.json
    assert data["slug"] == "refund-notice-approved" and data["category"] == "话术/退款通知"
    assert data["placeholders"][:2] == ["客户称呼", "订单号"]
    assert list(data["variants"]) == ["在线", "电话", "邮件"]
    assert data["variants"]["在线"] == data["text"]
    assert "尊敬的{{客户称呼}}" in data["variants"]["邮件"]


def test_template_without_variants_has_only_online(reader):
    data = reader.get(URL).json
    assert data["placeholders"] == ["客户称呼", "新规格"]
    assert list(data["variants"]) == ["在线"]


@pytest.mark.parametrize("slug", ["size-exchange", "forbidden-phrases", "no-such-thing"])
def test_only_published_templates_are_found(reader, slug):
    assert reader.get(f"/api/templates/{slug}").status_code == 404


def test_render_fills_every_placeholder(reader):
    resp = render(reader, values=ALL)
    assert resp.status_code == 200
    text = resp.json["text"]
    assert text.startswith("王女士，尺码不合适") and text.count("M码") == 2 and "{{" not in text


def test_render_names_missing_and_unknown(reader):
    resp = render(reader, values={"客户称呼": "王女士", "会员等级": "金卡"})
    assert resp.status_code == 400
    assert resp.json["missing"] == ["新规格"]
    assert resp.json["unknown"] == ["会员等级"]
    assert "新规格" in resp.json["error"] and "会员等级" in resp.json["error"]


@pytest.mark.parametrize("blank", ["", "   ", "\u3000", None])
def test_empty_values_count_as_missing(reader, blank):
    resp = render(reader, values={"客户称呼": "王女士", "新规格": blank})
    assert resp.status_code == 400
    assert resp.json["missing"] == ["新规格"] and resp.json["unknown"] == []


def test_no_values_at_all(reader):
    resp = render(reader)
    assert resp.status_code == 400
    assert resp.json["missing"] == ["客户称呼", "新规格"]


@pytest.mark.parametrize("value", ["{{客户称呼}}", "{{x}}", "{% if 1 %}x{% endif %}", "{0}", "<b>&amp;"])
def test_values_are_inserted_literally(reader, value):
    resp = render(reader, values={"客户称呼": value, "新规格": "L"})
    assert resp.status_code == 200
    assert resp.json["text"].startswith(value + "，尺码不合适")


def test_numbers_are_accepted_as_values(reader):
    resp = render(reader, values={"客户称呼": "王女士", "新规格": 42})
    assert resp.status_code == 200 and "42" in resp.json["text"]


@pytest.mark.parametrize("values", [["客户称呼"], "王女士", {"客户称呼": ["a"]}, {"客户称呼": True}])
def test_malformed_values_are_400(reader, values):
    resp = render(reader, values=values)
    assert resp.status_code == 400 and resp.json["error"]


def test_channel_variant_uses_its_own_placeholders(reader):
    values = {"客户称呼": "李先生", "退款金额": "99", "退款方式": "银行卡", "到账时间": "3天内"}
    phone = render(reader, "refund-notice-approved", values=values, channel="电话")
    assert phone.status_code == 200
    assert phone.json["text"].startswith("李先生，您好，跟您说一下")
    # a declared placeholder the phone text does not use is accepted, not "unknown"
    extra = render(reader, "refund-notice-approved", values=values | {"订单号": "A1"}, channel="电话")
    assert extra.status_code == 200
    mail = render(reader, "refund-notice-approved", values=values, channel="邮件")
    assert mail.status_code == 400
    assert mail.json["missing"] == ["订单号", "店铺名称", "客服工号"]


def test_default_channel_is_the_body(reader):
    values = {"客户称呼": "李先生", "订单号": "A1", "退款金额": "99", "退款方式": "银行卡", "到账时间": "3天内"}
    online = render(reader, "refund-notice-approved", values=values, channel="在线")
    default = render(reader, "refund-notice-approved", values=values)
    assert online.status_code == default.status_code == 200
    assert online.json["text"] == default.json["text"]


def test_unknown_channel_is_400(reader):
    resp = render(reader, values=ALL, channel="短信")
    assert resp.status_code == 400 and "短信" in resp.json["error"]


def test_render_requires_json_content_type(reader):
    resp = reader.post(f"{URL}/render", data={"values": "x"})
    assert resp.status_code == 415
    resp = reader.post(f"{URL}/render", data='{"values": {}}', content_type="text/plain")
    assert resp.status_code == 415


@pytest.mark.parametrize("body", ["[1, 2]", "not json", '"text"'])
def test_render_body_must_be_an_object(reader, body):
    resp = reader.post(f"{URL}/render", data=body, content_type="application/json")
    assert resp.status_code == 400


def test_unauthenticated_calls_are_401(shared_app):
    client = shared_app.test_client()
    assert client.get(URL).status_code == 401
    assert client.post(f"{URL}/render", json={"values": ALL}).status_code in (400, 401)
    bad = {"Authorization": "Bearer kb_not-a-token"}
    assert client.get(URL, headers=bad).status_code == 401
    assert client.post(f"{URL}/render", json={"values": ALL}, headers=bad).status_code == 401
    assert client.post("/api/check", json={"text": "x"}, headers=bad).status_code == 401


def test_render_with_token_needs_no_csrf(shared_app, token):
    resp = shared_app.test_client().post(f"{URL}/render", json={"values": ALL}, headers=token)
    assert resp.status_code == 200
