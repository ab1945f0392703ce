"""Trying a rubric before publishing: the preview page and POST /api/training/grade-preview."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from .conftest import publish, quiz_meta

QUESTION = {
    "kind": "scenario_reply",
    "chat": [{"from": "customer", "text": "快递到了箱子都压扁了，里面的杯子碎了！"}],
    "key_points": [{"name": "致歉", "phrasings": ["抱歉", "对不起"]},
                   {"name": "要照片", "phrasings": ["照片", "拍照"]},
                   {"name": "给方案", "phrasings": ["补发", "退款"]}],
    "penalties": {"severities": ["forbidden", "risky"], "fail_on_hit": True},
    "sample_reply": "非常抱歉，麻烦拍照给我，我们马上为您补发。",
}


def _openapi():
    """The small schema validator of the workspace API tests."""
    path = Path(__file__).resolve().parents[1] / "workspace" / "test_openapi.py"
    spec = importlib.util.spec_from_file_location("openapi_validator_for_training", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def api(lib, make_user_lib):
    """Factory: headers with a bearer token for a new user of ``role``."""
    from kbsite.auth import service

    def make(role: str) -> dict:
        user = make_user_lib(f"api-{role}", role)
        with lib.app_context():
            return {"Authorization": f"Bearer {service.create_token(user.username)}"}

    return make


def test_grade_preview_api_grades_as_an_attempt_and_matches_the_spec(lib, api):
    from kbsite.audit import AuditEvent
    from kbsite.db import session
    from kbsite.training.models import Attempt

    client, headers = lib.test_client(), api("trainer")
    spec = client.get("/api/openapi.json").json
    validator = _openapi()
    url = "/api/training/grade-preview"

    good = client.post(url, json={"question": QUESTION, "reply": "非常抱歉，麻烦您拍照发我，我们马上为您补发。"},
                       headers=headers)
    assert good.status_code == 200
    assert good.json["verdict"] == "pass" and good.json["score"] == 100
    assert [p["name"] for p in good.json["points"]] == ["致歉", "要照片", "给方案"]
    assert all(p["met"] for p in good.json["points"]) and good.json["flags"] == []
    validator.conforms(spec, "/training/grade-preview", "post", good)

    salad = client.post(url, json={"question": QUESTION, "reply": "抱歉 照片 补发 退款"}, headers=headers)
    assert salad.json["verdict"] == "fail" and salad.json["score"] == 0
    assert "salad" in [f["code"] for f in salad.json["flags"]]
    validator.conforms(spec, "/training/grade-preview", "post", salad)

    # fail_on_hit with the published lexicon: a risky absolute fails the reply outright.
    risky = client.post(url, json={"question": QUESTION, "reply": "非常抱歉，麻烦您拍照发我，我们补发，100%没问题。"},
                        headers=headers)
    assert risky.json["verdict"] == "fail" and "risky" in [f["code"] for f in risky.json["flags"]]

    invalid = client.post(url, json={"question": {**QUESTION, "key_points": []}, "reply": "您好"}, headers=headers)
    assert invalid.status_code == 400 and "至少需要一个要点" in invalid.json["error"]
    validator.conforms(spec, "/training/grade-preview", "post", invalid)
    wrong_kind = client.post(url, json={"question": {"kind": "single"}, "reply": "x"}, headers=headers)
    assert wrong_kind.status_code == 400 and "scenario_reply" in wrong_kind.json["error"]
    assert client.post(url, json={"question": QUESTION, "reply": 5}, headers=headers).status_code == 400
    assert client.post(url, json={"question": QUESTION, "reply": "x" * 2001}, headers=headers).status_code == 400
    not_json = client.post(url, data="x", headers=headers)
    assert not_json.status_code == 415
    validator.conforms(spec, "/training/grade-preview", "post", not_json)

    agent = client.post(url, json={"question": QUESTION, "reply": "您好"}, headers=api("agent"))
    assert agent.status_code == 403
    validator.conforms(spec, "/training/grade-preview", "post", agent)
    assert client.post(url, json={"question": QUESTION, "reply": "您好"}, headers=api("admin")).status_code == 200
    with lib.app_context():  # nothing stored
        assert session().query(Attempt).count() == 0
        assert session().query(AuditEvent).filter(AuditEvent.action.like("training.%")).count() == 0


def test_preview_page_grades_pasted_sample_replies_per_key_point(lib, signed_in):
    from kbsite.content import forms

    publish(lib, "known-quiz", "quiz", quiz_meta(), title="已知测验")
    trainer = signed_in("coach", "trainer")
    page = trainer.get("/training/manage/quizzes/known-quiz/preview").get_data(as_text=True)
    assert 'id="try-rubric"' in page and 'name="samples-r1"' in page
    yaml_text = forms.structured_text(quiz_meta())
    samples = "非常抱歉，麻烦您拍照发给我，我们马上为您补发。\n\n抱歉 拍照 补发\n\n非常抱歉，我们马上为您补发一个新的杯子。"
    page = trainer.post("/training/manage/quizzes/known-quiz/preview",
                        data={"structured": yaml_text, "samples-r1": samples}).get_data(as_text=True)
    results = page.split('id="try-r1"')[1]
    assert results.count('class="try-result') == 3
    assert "verdict-pass" in results and "verdict-fail" in results and "verdict-review" in results
    assert "回复只是罗列关键词" in results and "✔ 做到" in results and "✘ 未做到" in results
    assert "需培训师批改" in results
