"""The search page's "no direct answer" notice and its one-click gap report to trainers."""

from __future__ import annotations


def test_search_json_carries_confidence(agent):
    answered = agent.get("/api/search?q=退款多久到账").get_json()
    assert answered["confidence"] == "high"
    unanswered = agent.get("/api/search?q=红烧肉怎么做").get_json()
    assert unanswered["confidence"] in ("low", "none")
    unrelated = agent.get("/api/search?q=你们招聘客服吗，工资多少").get_json()
    assert unrelated["confidence"] != "high"
    assert agent.get("/api/search?q=").get_json()["confidence"] == "none"


def test_the_page_has_the_notice_and_the_script_renders_it(agent):
    page = agent.get("/search?q=红烧肉怎么做").get_data(as_text=True)
    assert 'id="ws-gap"' in page
    script = agent.get("/static/workspace.js").get_data(as_text=True)
    assert "没有找到直接答案" in script and "/gap`" in script


def test_a_reported_search_lands_in_the_trainers_gap_list(agent, trainer):
    found = agent.get("/api/search?q=世界杯谁夺冠了").get_json()
    assert found["confidence"] != "high" and found["log_id"]
    resp = agent.post(f"/api/search/{found['log_id']}/gap")
    assert resp.status_code == 200 and resp.get_json() == {"ok": True}
    assert agent.post(f"/api/search/{found['log_id']}/gap").status_code == 200  # idempotent
    page = trainer.get("/insights/gaps").get_data(as_text=True)
    section = page.split('id="reported-gaps"')[1].split("</section>")[0]
    assert "世界杯谁夺冠了" in section
    assert "<td>1</td>" in section


def test_only_the_searcher_can_report_their_search(agent, trainer):
    log_id = agent.get("/api/search?q=红烧肉怎么做").get_json()["log_id"]
    assert trainer.post(f"/api/search/{log_id}/gap").status_code == 404
    assert agent.post("/api/search/999999/gap").status_code == 404
    section = trainer.get("/insights/gaps").get_data(as_text=True).split('id="reported-gaps"')[1]
    assert "这段时间没有客服报告" in section.split("</section>")[0]
