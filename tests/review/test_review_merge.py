"""A stale save goes to the merge page: nothing pre-chosen, an unresolved save refused losing nothing,
the merged revision records its merge, and the reviewer sees what it did to the colleague's version."""

from __future__ import annotations

import re

from kbsite.content import service
from kbsite.content.service import Draft

FORM = {"title": "退款多久到账", "category": "售后/退款", "tags": "退款", "summary": "1-3天", "base": "1"}
ORIGINAL = "原路退回。\n支付宝1天到账。\n银行卡3天到账。\n信用卡按账单。\n如有疑问请联系客服。"


def _two_edits(app, as_role):
    alice, bob = as_role("trainer", "alice"), as_role("trainer", "bob")
    with app.app_context():
        service.create_item("refund-time", "faq", Draft("退款多久到账", "售后/退款", ["退款"], ORIGINAL,
                                                        {"summary": "1-3天"}), alice.user)
    assert alice.post("/items/refund-time/edit", data=dict(
        FORM, body=ORIGINAL.replace("1天", "当天") + "\n节假日顺延。", summary="当天到3天",
        message="支付宝更快")).status_code == 302
    resp = bob.post("/items/refund-time/edit", data=dict(
        FORM, body=ORIGINAL.replace("1天到账", "1天到账（以银行为准）").replace("按账单", "按账单（下期）"),
        summary="1-3个工作日",
        message="写明手续费"))
    return alice, bob, resp


def _hidden(page: str) -> dict[str, str]:
    return {name: value.replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")
                       .replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'")
            for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page)}


def test_the_merge_page_lists_automatic_merges_and_preselects_nothing(app, as_role):
    _, _, resp = _two_edits(app, as_role)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "合并修改" in page and "保存了第 2 版" in page
    auto = page[page.index('id="merge-auto"'):page.index("</ul>", page.index('id="merge-auto"'))]
    assert "信用卡按账单（下期）" in auto and "节假日顺延" in auto and "summary" not in page.split("<form")[1]
    assert 'name="choice-b-1"' in page and 'name="choice-f-summary"' in page
    for label in ("用我的", "用同事的", "两者都要（我的在前）", "手动编辑"):
        assert label in page
    assert " checked" not in page and 'name="theirs" value="2"' in page


def test_saving_without_choices_is_refused_and_everything_typed_comes_back(app, as_role):
    _, bob, resp = _two_edits(app, as_role)
    hidden = _hidden(resp.get_data(as_text=True))
    form = dict(hidden, message="写明手续费", **{"choice-b-1": "edit", "edit-b-1": "支付宝当天到账（以银行为准）。"})
    again = bob.post("/items/refund-time/merge", data=form)
    page = again.get_data(as_text=True)
    assert again.status_code == 400
    assert "还有 1 处冲突没有选择如何合并：简答" in page
    assert 'value="edit" checked' in page and "支付宝当天到账（以银行为准）。</textarea>" in page
    assert 'value="写明手续费"' in page and "merge-missing" in page
    with app.app_context():
        assert service.get_item("refund-time").latest.number == 2  # nothing saved
    # a hand edit left empty is no choice either
    bad = bob.post("/items/refund-time/merge", data=dict(form, **{"choice-f-summary": "edit"}))
    assert bad.status_code == 400 and "还有 1 处冲突" in bad.get_data(as_text=True)

    done = bob.post("/items/refund-time/merge", data=dict(form, **{"choice-f-summary": "both"}))
    assert done.status_code == 302
    with app.app_context():
        rev = service.get_item("refund-time").latest
        assert (rev.number, rev.merged_with, rev.merge_base) == (3, 2, 1)
        assert rev.body.rstrip("\n") == ("原路退回。\n支付宝当天到账（以银行为准）。\n银行卡3天到账。\n信用卡按账单（下期）。"
                                         "\n如有疑问请联系客服。\n节假日顺延。")
        assert rev.meta["summary"] == "1-3个工作日\n当天到3天"
    history = bob.get("/items/refund-time/history").get_data(as_text=True)
    assert "合并了第 2 版" in history and "写明手续费" in history


def test_a_forged_or_missing_merge_form_is_refused_in_chinese(app, as_role):
    _, bob, _ = _two_edits(app, as_role)
    resp = bob.post("/items/refund-time/merge", data={"mine": "not json", "theirs": "2", "base": "1"})
    assert resp.status_code == 400 and "合并表单的数据不完整" in resp.get_data(as_text=True)


def test_the_reviewer_sees_the_published_diff_and_what_the_merge_did_to_the_colleague(app, as_role):
    _, bob, resp = _two_edits(app, as_role)
    hidden = _hidden(resp.get_data(as_text=True))
    assert bob.post("/items/refund-time/merge", data=dict(
        hidden, submit="1", **{"choice-b-1": "mine", "choice-f-summary": "mine"})).status_code == 302
    reviewer = as_role("trainer", "carol")
    page = reviewer.get("/review/").get_data(as_text=True)
    card = page[page.index('id="review-refund-time-3"'):]
    assert "尚未发布" in card  # first diff: against what agents read (nothing published yet)
    assert "这是一次合并" in card and "同事的第 2 版" in card
    # Alice's "当天到账" and her summary were dropped by choosing mine: flagged for the reviewer
    assert "删去或改写了同事修改过的 2 行" in card and card.count("同事的内容被删去") == 2


def test_a_third_save_during_the_merge_is_merged_again_without_loss(app, as_role):
    alice, bob, resp = _two_edits(app, as_role)
    hidden = _hidden(resp.get_data(as_text=True))
    assert alice.post("/items/refund-time/edit", data=dict(
        FORM, base="2", body=ORIGINAL.replace("1天", "当天") + "\n节假日顺延。\n周末也处理。",
        summary="当天到3天")).status_code == 302
    again = bob.post("/items/refund-time/merge", data=dict(
        hidden, **{"choice-b-1": "mine", "choice-f-summary": "mine"}))
    page = again.get_data(as_text=True)
    assert again.status_code == 409 and "又有人保存了新版本" in page
    assert 'name="theirs" value="3"' in page and 'name="base" value="2"' in page
    assert "周末也处理" in page and "以银行为准" in page and "按账单（下期）" in page
