"""The pages a person uses: home, browse, entry, editor, preview, history, diff, conflict."""

from __future__ import annotations

import pytest


@pytest.fixture
def trainer(library_app):
    from tests_support import login

    c = library_app.test_client()
    with library_app.app_context():
        from kbsite.auth import service

        service.create_user("tina", "trainer", "correct-horse-battery")
    assert login(c, "tina").status_code == 302
    return c


@pytest.fixture
def agent(library_app):
    from tests_support import login

    with library_app.app_context():
        from kbsite.auth import service

        service.create_user("amy", "agent", "correct-horse-battery")
    c = library_app.test_client()
    assert login(c, "amy").status_code == 302
    return c


def test_home_and_browse_show_the_starter_library(agent):
    home = agent.get("/").get_data(as_text=True)
    assert "常见问题" in home and "话术模板" in home
    page = agent.get("/browse?type=policy").get_data(as_text=True)
    assert "七天" in page or "7天" in page
    by_cat = agent.get("/browse?category=售后").get_data(as_text=True)
    assert "售后/" in by_cat


def test_entry_page_is_answer_first(agent):
    page = agent.get("/items/seven-day-return").get_data(as_text=True)
    assert page.index('class="answer"') < page.index('class="body"')
    assert "复制简答" in page


def test_edit_history_diff_and_revert(trainer):
    edit = trainer.get("/items/seven-day-return/edit").get_data(as_text=True)
    assert 'name="base" value="1"' in edit
    form = {"title": "七天无理由退货政策", "category": "售后/退换货", "tags": "退货, 七天无理由",
            "summary": "签收后七天内可申请无理由退货。", "effective_from": "2025-01-01",
            "body": "签收后**七天**内，商品完好即可退货。", "message": "简化说明", "base": "1"}
    resp = trainer.post("/items/seven-day-return/edit", data=form)
    assert resp.status_code == 302
    history = trainer.get("/items/seven-day-return/history").get_data(as_text=True)
    assert "第 2 版" in history and "简化说明" in history and "tina" in history
    diff = trainer.get("/items/seven-day-return/diff?a=1&b=2").get_data(as_text=True)
    assert "<ins>" in diff and "<del>" in diff
    resp = trainer.post("/items/seven-day-return/revert/1", data={"base": "2"})
    assert resp.status_code == 302
    assert "第 3 版" in trainer.get("/items/seven-day-return/history").get_data(as_text=True)


def test_stale_save_shows_both_versions_and_keeps_the_text(trainer):
    base = {"title": "标题A", "category": "售后/退换货", "tags": "", "summary": "甲",
            "effective_from": "2025-01-01", "body": "第一人的修改", "base": "1"}
    assert trainer.post("/items/seven-day-return/edit", data=base).status_code == 302
    mine = dict(base, body="第二人的修改，不能丢", title="标题B")
    resp = trainer.post("/items/seven-day-return/edit", data=mine)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "合并修改" in page and "第二人的修改，不能丢" in page  # my text is kept on the merge page
    assert "第<ins>一</ins>人的修改" in page  # and the colleague's version is shown, diffed
    assert 'name="theirs" value="2"' in page and 'name="base" value="1"' in page
    assert " checked" not in page  # no side is pre-chosen


def test_preview_sanitises(trainer):
    resp = trainer.post("/preview", data={"body": "[x](javascript:alert(1)) <script>alert(1)</script> **粗体**"})
    html = resp.get_json()["html"]
    assert "<strong>粗体</strong>" in html and "javascript:" not in html and "<script" not in html


def test_new_item_then_agent_sees_it_only_after_approval(library_app, trainer, agent):
    form = {"slug": "gift-wrap", "title": "可以礼品包装吗？", "category": "售前/服务", "tags": "包装",
            "summary": "可以，下单备注即可。", "body": "下单时备注“礼品包装”。"}
    assert trainer.post("/items/new?type=faq", data=dict(form, submit="1")).status_code == 302
    assert agent.get("/items/gift-wrap").status_code == 404
    with library_app.app_context():
        from kbsite.auth import service as auth
        from kbsite.content import service

        boss = auth.create_user("boss", "admin", "correct-horse-battery")
        service.approve("gift-wrap", 1, boss)
    assert "礼品包装" in agent.get("/items/gift-wrap").get_data(as_text=True)


def test_policy_as_of_date(agent):
    page = agent.get("/items/seven-day-return-policy?on=2000-01-01").get_data(as_text=True)
    assert "尚未生效" in page
    assert agent.get("/items/seven-day-return-policy?on=not-a-date").status_code == 400


def test_every_page_names_a_served_icon_so_browsers_do_not_ask_for_favicon_ico(agent):
    home = agent.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg"' in home
    icon = agent.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_editor_errors_name_form_fields_not_file_keys(app, as_role):
    """The editor shares the file rules; its messages use the labels the trainer sees on the form."""
    import re

    from kbsite.content import types

    trainer = as_role("trainer")
    for type_ in ("faq", "policy", "case", "announcement"):
        form = trainer.get(f"/items/new?type={type_}").get_data(as_text=True)
        for key in types.get(type_).required:
            field = re.search(rf'<(?:input|textarea)[^>]*name="{key}"[^>]*>', form)
            if field:  # every required field the form shows is marked required for the browser
                assert " required" in field.group(0), (type_, key)
        resp = trainer.post("/items/new", data={
            "type": type_, "title": "缺简答的条目", "category": "测试/表单", "body": "正文",
            "valid_from": "2027-02-05T09:00", "effective_from": "2027-01-01"})
        assert resp.status_code == 400, type_
        flash = resp.get_data(as_text=True).split('class="flash', 1)[1].split("</div>", 1)[0]
        assert "「简答」" in flash, (type_, flash)
        assert not [k for k in types.FIELD_LABELS if re.search(rf"(?<![A-Za-z_]){k}(?![A-Za-z_])", flash)], flash


def test_history_of_an_untouched_entry_says_so_instead_of_offering_an_empty_compare(trainer):
    page = trainer.get("/items/seven-day-return/history").get_data(as_text=True)
    assert "比较所选版本" not in page and 'id="single-revision"' in page
    assert 'id="no-events"' in page  # the 操作记录 card is never an empty box
    trainer.post("/items/seven-day-return/edit", data={
        "base": "1", "title": "七天无理由退货", "category": "售后/退换货", "summary": "签收后七天内可退。",
        "effective_from": "2024-01-01", "body": "改过的正文。", "message": "改写", "save": "1"})
    page = trainer.get("/items/seven-day-return/history").get_data(as_text=True)
    assert "比较所选版本" in page and 'id="single-revision"' not in page and 'id="no-events"' not in page


def test_the_editor_heading_names_the_entry_by_its_title_not_its_slug(trainer):
    import re

    edit = trainer.get("/items/seven-day-return/edit").get_data(as_text=True)
    h1 = re.search(r"<h1>(.*?)</h1>", edit, re.S).group(1)
    assert h1.startswith("编辑常见问题：") and "seven-day-return" not in h1 and "七天" in h1


def test_the_yaml_editor_points_to_nothing_only_developers_can_open(library_app, trainer):
    for slug in ("synonyms", "dictionary", "onboarding-week-1"):
        page = trainer.get(f"/items/{slug}/edit").get_data(as_text=True)
        assert 'name="structured"' in page and "docs/" not in page and "FORMAT.md" not in page, slug
