"""The merge rules without HTTP: one-sided changes merge, conflicts wait for the trainer's choice."""

from __future__ import annotations

import pytest

from kbsite.content import merge
from kbsite.content.service import Draft
from kbsite.errors import Invalid


def body(text: str) -> Draft:
    return Draft("标题", "售后", ["退款"], text, {"summary": "简答"})


def lines(text: str) -> list[str]:
    return text.split("\n")


def test_changes_in_different_paragraphs_merge_automatically_and_are_listed():
    m = merge.propose(body("甲\n乙\n丙\n丁"), body("甲（同事改）\n乙\n丙\n丁"), body("甲\n乙\n丙\n丁（我改）"))
    assert m.conflicts == []
    assert [b.kind for b in m.blocks] == ["theirs", "equal", "mine"]
    assert any("采用同事的修改" in a and "甲（同事改）" in a for a in m.auto)
    assert any("保留您的修改" in a and "丁（我改）" in a for a in m.auto)
    assert merge.resolve(m, {}, {}).body == "甲（同事改）\n乙\n丙\n丁（我改）"


def test_a_paragraph_both_changed_is_a_conflict_with_nothing_chosen():
    m = merge.propose(body("退款3天到账\n其他"), body("退款1-3天到账\n其他"), body("退款3个工作日到账\n其他"))
    assert [p.key for p in m.conflicts] == ["b-0"]
    part = m.conflicts[0]
    assert part.mine == "退款3个工作日到账" and part.theirs == "退款1-3天到账"
    assert set(part.choices) == {"mine", "theirs", "both", "edit"}
    assert "<del>" in str(part.rows[0].left) and "<ins>" in str(part.rows[0].right)
    with pytest.raises(merge.Unresolved) as exc:
        merge.resolve(m, {}, {})
    assert exc.value.keys == ["b-0"] and "还有 1 处冲突" in exc.value.message and "正文第 1 行起" in exc.value.message
    assert isinstance(exc.value, Invalid)
    assert merge.resolve(m, {"b-0": "mine"}, {}).body == "退款3个工作日到账\n其他"
    assert merge.resolve(m, {"b-0": "theirs"}, {}).body == "退款1-3天到账\n其他"
    assert merge.resolve(m, {"b-0": "both"}, {}).body == "退款3个工作日到账\n退款1-3天到账\n其他"  # mine first
    assert merge.resolve(m, {"b-0": "edit"}, {"b-0": "退款1-3个工作日到账\r\n"}).body == "退款1-3个工作日到账\n其他"


def test_an_empty_hand_edit_or_an_unknown_choice_is_not_a_resolution():
    m = merge.propose(body("a"), body("b"), body("c"))
    for choices, edits in (({"b-0": "edit"}, {"b-0": "  "}), ({"b-0": "whatever"}, {}), ({"b-9": "mine"}, {})):
        with pytest.raises(merge.Unresolved):
            merge.resolve(m, choices, edits)


def test_the_same_change_on_both_sides_is_not_a_conflict():
    m = merge.propose(body("a\nb"), body("a\nB"), body("a\nB"))
    assert m.conflicts == [] and merge.resolve(m, {}, {}).body == "a\nB"


def test_insertions_and_deletions_by_different_sides_are_both_kept():
    m = merge.propose(body("一\n二\n三\n四"), body("一\n二\n三\n新增段落\n四"), body("一\n三\n四"))
    assert m.conflicts == [] and merge.resolve(m, {}, {}).body == "一\n三\n新增段落\n四"


def test_a_deletion_next_to_an_insertion_is_a_conflict():
    blocks = merge.merge_lines(lines("一\n二\n三"), lines("一\n二\n新增\n三"), lines("一\n三"))
    assert [b.kind for b in blocks] == ["equal", "conflict", "equal"]


def test_without_a_base_everything_that_differs_is_a_conflict():
    m = merge.propose(None, Draft("当前", "售后", [], "当前正文"), Draft("我的", "售后", [], "我的正文"))
    assert {p.key for p in m.conflicts} == {"f-title", "b-0"}


def test_fields_take_the_side_that_changed_and_conflicts_need_a_choice():
    base = Draft("标题", "售后", ["退款"], "正文", {"summary": "旧简答"})
    theirs = Draft("新标题", "售后", ["退款", "运费"], "正文", {"summary": "同事的简答"})
    mine = Draft("标题", "售后/退换货", ["退款", "时效"], "正文（我改）", {"summary": "我的简答"})
    m = merge.propose(base, theirs, mine)
    assert {p.key: p.label for p in m.conflicts} == {"f-tags": "标签", "f-summary": "简答"}
    assert "标题：采用同事的修改" in m.auto and "分类：保留您的修改" in m.auto
    with pytest.raises(merge.Unresolved) as exc:
        merge.resolve(m, {"f-tags": "both"}, {})
    assert exc.value.keys == ["f-summary"] and "简答" in exc.value.message and "summary" not in exc.value.message
    d = merge.resolve(m, {"f-tags": "both", "f-summary": "theirs"}, {})
    assert (d.title, d.category, d.tags, d.body) == ("新标题", "售后/退换货", ["退款", "时效", "运费"], "正文（我改）")
    assert d.meta == {"summary": "同事的简答"}
    d = merge.resolve(m, {"f-tags": "edit", "f-summary": "both"}, {"f-tags": "退款，运费、时效"})
    assert d.tags == ["退款", "运费", "时效"] and d.meta["summary"] == "我的简答\n同事的简答"


def test_a_single_valued_field_offers_no_both():
    base = Draft("t", "c", [], "", {"summary": "s", "effective_from": "2025-01-01"})
    m = merge.propose(base, Draft("t", "c", [], "", {"summary": "s", "effective_from": "2025-03-01"}),
                      Draft("t", "c", [], "", {"summary": "s", "effective_from": "2025-02-01"}))
    (part,) = m.conflicts
    assert part.label == "生效日期" and "both" not in part.choices
    with pytest.raises(merge.Unresolved):
        merge.resolve(m, {part.key: "both"}, {})
    assert merge.resolve(m, {part.key: "theirs"}, {}).meta["effective_from"] == "2025-03-01"


def test_structured_fields_are_edited_as_yaml_and_bad_yaml_is_refused():
    q = [{"id": "q1", "kind": "truefalse", "prompt": "甲", "answer": "true"}]
    base = Draft("测验", "培训", [], "", {"questions": q})
    m = merge.propose(base, Draft("测验", "培训", [], "", {"questions": [dict(q[0], prompt="乙")]}),
                      Draft("测验", "培训", [], "", {"questions": [dict(q[0], prompt="丙")]}))
    (part,) = m.conflicts
    assert part.label == "题目" and "prompt: 丙" in part.mine
    edited = merge.resolve(m, {part.key: "edit"}, {part.key: part.mine.replace("丙", "丁")})
    assert edited.meta["questions"][0]["prompt"] == "丁"
    with pytest.raises(Invalid, match="不是有效的 YAML"):
        merge.resolve(m, {part.key: "edit"}, {part.key: "- [unclosed"})


def test_the_trainers_draft_survives_the_form_round_trip():
    d = Draft("标题", "售后", ["甲", "乙"], "正文\n第二行 <b>", {"summary": "简答", "variants": {"电话": "您好"}})
    assert merge.unpack(merge.pack(d)) == d
    for bad in ("", "{}", "[1]", '{"title": 1}'):
        with pytest.raises(Invalid, match="合并表单的数据不完整"):
            merge.unpack(bad)


def test_dropped_lines_flag_only_the_colleagues_own_changes_left_out():
    base = "标题：T\n标签：退款\n\n一\n二"
    theirs = "标题：T\n标签：退款, 运费\n\n一（同事）\n二\n同事新增"
    kept_all = "标题：T\n标签：时效, 退款, 运费\n\n一（同事）\n二\n同事新增\n我新增"
    assert merge.dropped_lines(base, theirs, kept_all) == set()
    lost = "标题：T\n标签：退款\n\n一（我）\n二"
    assert merge.dropped_lines(base, theirs, lost) == {2, 4, 6}
    assert merge.dropped_lines("", "标题：T\n\n正文", "标题：T\n\n正文") == set()
