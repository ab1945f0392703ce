"""The workspace pages: search page, checker page, item pages, and the trainer's save warning."""

from __future__ import annotations

import html
import json
import re


def test_search_page_is_the_workspace(agent):
    page = agent.get("/search?q=退款").get_data(as_text=True)
    assert 'id="ws-q"' in page and "autofocus" in page and 'value="退款"' in page
    assert "workspace.js" in page and "收藏的话术" in page and "最近使用" in page
    assert '<a href="/search" aria-current="page">工作台</a>' in page
    assert agent.get("/workspace?q=x").headers["Location"].endswith("/search?q=x")


def test_home_search_form_goes_to_the_workspace(agent):
    assert 'action="/search"' in agent.get("/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_login(library_app):
    client = library_app.test_client()
    for url in ("/search", "/check"):
        assert "/login" in client.get(url).headers["Location"]


def test_checker_page_marks_phrases_in_place(agent):
    text = "<b>亲</b>，這個不歸 我管，你去找平台吧"
    page = agent.post("/check", data={"text": text}).get_data(as_text=True)
    marked = re.search(r'<div class="check-marked">(.*?)</div>', page, re.S).group(1)
    assert marked.startswith("&lt;b&gt;亲&lt;/b&gt;，")
    assert '<mark class="risk risk-forbidden" title="推诿：建议改为「这个问题我来帮您联系' in marked
    assert ">這個不歸 我管</mark>" in marked and ">你去找平台</mark>" in marked
    assert html.unescape(re.sub(r"<[^>]+>", "", marked)) == text
    assert "发现 2 处" in page and "建议：" in page


def test_checker_page_says_when_all_is_well(agent):
    page = agent.post("/check", data={"text": "好的，马上为您处理。"}).get_data(as_text=True)
    assert "没有发现禁用语或风险用语" in page and "<mark" not in page.split("check-result")[1]


def test_template_item_page_embeds_the_fill_panel(agent):
    page = agent.get("/items/refund-notice-approved").get_data(as_text=True)
    raw = re.search(r"data-template='([^']*)'", page).group(1)
    data = json.loads(html.unescape(raw))
    assert data["live"] is True and list(data["variants"]) == ["在线", "电话", "邮件"]
    assert data["placeholders"][0] == "客户称呼"
    assert "template_panel.js" in page


def test_faq_page_is_answer_first_with_related_entries(agent):
    page = agent.get("/items/size-exchange").get_data(as_text=True)
    answer, detail, related = (page.index(s) for s in ('id="answer-text"', 'class="body"', "相关条目"))
    assert answer < detail < related
    assert 'data-copy-target="answer-text"' in page
    assert page[related:].count('class="item-row"') >= 3


def test_saving_a_template_with_a_forbidden_phrase_warns_the_trainer(trainer):
    item_page = trainer.get("/items/exchange-size/edit").get_data(as_text=True)
    base = re.search(r'name="base" value="(\d+)"', item_page).group(1)
    resp = trainer.post("/items/exchange-size/edit", data={
        "title": "尺码不合适换货指引", "category": "话术/换货", "tags": "换货",
        "body": "{{客户称呼}}，换尺码这个不归我管，{{新规格}}", "base": base, "message": "试试",
        "variant_电话": "{{客户称呼}}，你自己看吧", "save": "1",
    }, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "flash-warning" in page
    assert "「这个不归我管」（推诿）" in page and "「你自己看」" in page


def test_saving_a_clean_template_does_not_warn(trainer):
    item_page = trainer.get("/items/exchange-size/edit").get_data(as_text=True)
    base = re.search(r'name="base" value="(\d+)"', item_page).group(1)
    resp = trainer.post("/items/exchange-size/edit", data={
        "title": "尺码不合适换货指引", "category": "话术/换货", "tags": "换货",
        "body": "{{客户称呼}}，马上为您换{{新规格}}。", "base": base, "message": "改短", "save": "1",
    }, follow_redirects=True)
    assert resp.status_code == 200 and "flash-warning" not in resp.get_data(as_text=True)


def test_trainer_sees_draft_panel_marked_not_live(trainer):
    test_saving_a_clean_template_does_not_warn(trainer)
    page = trainer.get("/items/exchange-size").get_data(as_text=True)
    data = json.loads(html.unescape(re.search(r"data-template='([^']*)'", page).group(1)))
    assert data["live"] is False and data["text"].startswith("{{客户称呼}}，马上为您换")


def test_home_shows_my_templates_team_favourites_and_my_next_training_step(agent, trainer):
    home = agent.get("/").get_data(as_text=True)
    assert "收藏或复制过的话术会出现在这里" in home and "团队常用" not in home
    training = re.search(r'<section class="card" id="my-training">(.*?)</section>', home, re.S).group(1)
    assert "/training/" in training and ("读课程：" in training or "做测验：" in training)
    values = {"客户称呼": "王女士", "新规格": "M码"}
    assert trainer.post("/api/templates/exchange-size/copy", json={"values": values}).status_code == 200
    assert agent.put("/api/templates/exchange-size/favourite").status_code == 200
    home = agent.get("/").get_data(as_text=True)
    mine = re.search(r'<section class="card" id="my-templates">(.*?)</section>', home, re.S).group(1)
    assert mine.count("/items/exchange-size") == 2  # mine (favourite) and the team's most copied
    assert "复制 1 次" in mine
