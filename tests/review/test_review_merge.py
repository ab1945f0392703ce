"""Stale saves are merged, not refused: three-way blocks, field choices and the conflict page."""

from __future__ import annotations

from kbsite.content import merge, service
from kbsite.content.service import Draft


def lines(text: str) -> list[str]:
    return text.split("\n")


def test_changes_on_different_lines_merge_without_a_conflict():
    base = lines("甲\n乙\n丙\n丁")
    cur = lines("甲（改）\n乙\n丙\n丁")
    mine = lines("甲\n乙\n丙\n丁（我改）")
    blocks = merge.merge_lines(base, cur, mine)
    assert [b.kind for b in blocks] == ["current", "equal", "mine"]
    assert merge.compose(blocks) == "甲（改）\n乙\n丙\n丁（我改）"


def test_both_changing_one_line_is_a_conflict_that_keeps_both_by_default():
    blocks = merge.merge_lines(lines("退款3天到账\n其他"), lines("退款1-3天到账\n其他"),
                               lines("退款3个工作日到账\n其他"))
    conflict = [b for b in blocks if b.kind == "conflict"]
    assert len(conflict) == 1 and conflict[0].default == "both"
    assert merge.compose(blocks) == "退款1-3天到账\n退款3个工作日到账\n其他"
    i = blocks.index(conflict[0])
    assert merge.compose(blocks, {i: "mine"}) == "退款3个工作日到账\n其他"
    assert merge.compose(blocks, {i: "current"}) == "退款1-3天到账\n其他"
    assert "<del>" in str(conflict[0].rows[0].left) and "<ins>" in str(conflict[0].rows[0].right)


def test_same_change_on_both_sides_is_not_a_conflict():
    blocks = merge.merge_lines(lines("a\nb"), lines("a\nB"), lines("a\nB"))
    assert all(b.kind == "equal" for b in blocks) and merge.compose(blocks) == "a\nB"


def test_insertions_and_deletions_are_kept():
    base = lines("一\n二\n三\n四")
    cur = lines("一\n二\n三\n新增段落\n四")
    mine = lines("一\n三\n四")
    assert merge.compose(merge.merge_lines(base, cur, mine)) == "一\n三\n新增段落\n四"


def test_a_deletion_next_to_an_insertion_is_a_conflict_that_loses_nothing():
    blocks = merge.merge_lines(lines("一\n二\n三"), lines("一\n二\n新增\n三"), lines("一\n三"))
    assert [b.kind for b in blocks] == ["equal", "conflict", "equal"]
    assert merge.compose(blocks) == "一\n二\n新增\n三"


def test_without_a_base_everything_that_differs_keeps_both():
    blocks = merge.merge_lines([], lines("当前"), lines("我的"))
    assert merge.compose(blocks) == "当前\n我的"


def test_fields_take_the_side_that_changed_and_list_real_conflicts():
    base = Draft("标题", "售后", ["退款"], "正文", {"summary": "旧简答"})
    cur = Draft("新标题", "售后", ["退款", "运费"], "正文", {"summary": "当前简答"})
    mine = Draft("标题", "售后/退换货", ["退款"], "正文（我改）", {"summary": "我的简答"})
    p = merge.propose(base, cur, mine)
    assert p.draft.title == "新标题"  # only they changed it
    assert p.draft.category == "售后/退换货"  # only I changed it
    assert p.draft.tags == ["退款", "运费"]
    assert p.draft.body == "正文（我改）"
    assert [(f.name, f.current, f.mine) for f in p.fields] == [("summary", "当前简答", "我的简答")]
    assert p.draft.meta["summary"] == "我的简答"


def test_conflict_page_offers_a_merge_and_saving_it_keeps_both(app, as_role):
    alice, bob = as_role("trainer", "alice"), as_role("trainer", "bob")
    with app.app_context():
        service.create_item("refund-time", "faq", Draft("退款多久到账", "售后/退款", ["退款"],
                            "原路退回。\n支付宝1天到账。\n银行卡3天到账。", {"summary": "1-3天"}), alice.user)
    form = {"title": "退款多久到账", "category": "售后/退款", "tags": "退款", "summary": "1-3天", "base": "1"}
    assert alice.post("/items/refund-time/edit", data=dict(
        form, body="原路退回。\n支付宝当天到账。\n银行卡3天到账。", message="支付宝更快")).status_code == 302
    resp = bob.post("/items/refund-time/edit", data=dict(
        form, body="原路退回。\n支付宝1天到账（节假日顺延）。\n银行卡3天到账。", message="节假日"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "保存冲突" in page
    for label in ("保留我的", "保留当前", "两者都要", "双方都改动"):
        assert label in page
    assert 'name="base" value="2"' in page
    # the proposed body (both kept) is in the editor; posting it saves on top of Alice's revision
    with app.app_context():
        proposal = merge.propose(
            service.draft_of(service.get_revision(service.get_item("refund-time"), 1)),
            service.draft_of(service.get_revision(service.get_item("refund-time"), 2)),
            Draft("退款多久到账", "售后/退款", ["退款"], "原路退回。\n支付宝1天到账（节假日顺延）。\n银行卡3天到账。\n",
                  {"summary": "1-3天"}))
    merged = proposal.draft.body
    assert "支付宝当天到账。" in merged and "支付宝1天到账（节假日顺延）。" in merged
    assert merged.replace("\n", "&#10;") in page or merged.rstrip("\n") in page
    assert bob.post("/items/refund-time/edit", data=dict(form, body=merged, base="2",
                                                         message="合并")).status_code == 302
    history = bob.get("/items/refund-time/history").get_data(as_text=True)
    assert "支付宝更快" in history and "合并" in history
    with app.app_context():
        body = service.get_item("refund-time").latest.body
    assert "支付宝当天到账。" in body and "节假日顺延" in body
