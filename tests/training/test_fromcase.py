"""Case → drill without HTTP, on every starter case: the chat, key points, citation and validity."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbsite import files, textnorm
from kbsite.content import cases
from kbsite.errors import Invalid
from kbsite.training import fromcase, grading, quizformat

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((ROOT / "content" / "cases").glob("*.md"))
POLICIES = {p.stem for p in (ROOT / "content" / "policies").glob("*.md")}


def _case(path: Path) -> files.ItemData:
    return files.parse_item(path.read_bytes(), path.name)


def test_there_are_fifteen_starter_cases():
    assert len(CASES) == 15


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_every_starter_case_becomes_a_valid_drill(path):
    case = _case(path)
    meta = fromcase.drill_meta(case.slug, case.title, case.body, case.meta["summary"])
    assert quizformat.validate_quiz_meta(meta) == []
    (q,) = quizformat.normalize_quiz(meta).questions
    assert q.kind == "scenario_reply" and q.cite == case.slug and q.forbidden
    # the chat is the customer's own words, in the case's order, without stage directions
    story = cases.parse_case(case.body)
    assert [line.text for line in q.chat] == story.customer_messages
    assert q.chat and all(line.speaker == "customer" for line in q.chat)
    positions = [case.body.index(line.text) for line in q.chat]
    assert positions == sorted(positions)
    assert not any(line.text.startswith("（") and line.text.endswith("）") for line in q.chat)
    # the lesson's lines become key points that have phrasings; don'ts never do
    assert len(q.key_points) >= 3 and all(p.phrasings for p in q.key_points)
    bad_words = {w for line in story.wrong_examples for w in cases.quoted(line)}
    assert not bad_words & {ph for p in q.key_points for ph in p.phrasings}
    assert all(p.explain in story.lessons for p in q.key_points)
    # the sample reply is the case's first good agent turn, never a bad example
    assert q.sample_reply and q.sample_reply[:12] in case.body
    assert not any(t.wrong and t.text[:8] in q.sample_reply for t in story.turns)
    assert case.title in q.prompt


def test_the_cases_own_good_replies_meet_the_key_points_and_a_bare_reply_does_not():
    context = grading.GradingContext(seed=1, check_forbidden=lambda text: [])
    scores = []
    for path in CASES:
        case = _case(path)
        quiz = quizformat.normalize_quiz(fromcase.drill_meta(case.slug, case.title, case.body, case.meta["summary"]))
        (q,) = quiz.questions
        story = cases.parse_case(case.body)
        good = "".join(t.text for t in story.turns if t.speaker == "agent" and not t.wrong)
        scores.append(grading.grade_question(q, textnorm.fold(good), context).score)
        assert grading.grade_question(q, "嗯", context).score == 0
    assert min(scores) > 0 and sum(scores) / len(scores) >= 0.7


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_every_starter_case_says_when_it_happened_and_which_policies_it_relies_on(path):
    case = _case(path)
    assert case.meta["happened_on"] >= "2025-01-01"
    assert case.meta["policies"] and set(case.meta["policies"]) <= POLICIES


def test_bad_examples_and_forbidden_phrases_go_to_the_explanation():
    case = _case(ROOT / "content" / "cases" / "case-bad-reply-lesson.md")
    story = cases.parse_case(case.body)
    assert [t.text for t in story.turns if t.wrong] == ["发票是财务开的，这个不归我管，你去找财务吧。"]
    (q,) = quizformat.normalize_quiz(fromcase.drill_meta(case.slug, case.title, case.body)).questions
    assert "不归我管" not in q.sample_reply and "不归我管" in q.explain
    assert q.chat[0].text == "我的纸质发票一周了还没收到？"


def test_traditional_labels_and_unquoted_lines_are_read():
    body = ("## 背景\n\n顧客等了很久。\n\n## 經過\n\n**顧客**：我的包裹呢？\n客户：在吗？\n> **客服**：非常抱歉，我馬上查。\n"
            "> **買家**：（發來截圖）\n\n## 經驗\n\n- 先致歉，再給出回覆時間；\n- 不要推諉。\n")
    story = cases.parse_case(body)
    assert story.customer_messages == ["我的包裹呢？", "在吗？"]
    assert story.background == "顧客等了很久。" and story.first_good_reply == "非常抱歉，我馬上查。"
    points, notes = fromcase.key_points(story)
    assert [p["name"] for p in points] == ["先致歉"] and "抱歉" in points[0]["phrasings"]
    assert notes == ["不要推諉"]


def test_a_case_without_customer_lines_is_refused_in_chinese():
    with pytest.raises(Invalid, match="找不到顾客说的话"):
        fromcase.drill_meta("case-x", "标题", "## 背景\n\n只有叙述。")


def test_the_drill_slug_drops_the_case_prefix():
    assert fromcase.drill_slug("case-broken-parcel") == "drill-broken-parcel"
    assert fromcase.drill_slug("vip-" + "a" * 90).startswith("drill-vip-") and len(fromcase.drill_slug("a" * 90)) <= 80


def _case_file(extra: str) -> bytes:
    return (f"---\ntitle: 案例\ntype: case\ncategory: 售后\nsummary: 经验。\n{extra}---\n正文\n").encode()


def test_happened_on_and_policies_are_validated_in_chinese():
    ok = files.parse_item(_case_file("happened_on: 2025-05-06\npolicies: [a-policy, a-policy, b-policy]\n"), "my-case.md")
    assert ok.meta == {"summary": "经验。", "happened_on": "2025-05-06", "policies": ["a-policy", "b-policy"]}
    assert "happened_on" not in files.parse_item(_case_file(""), "my-case.md").meta
    for extra, message in (("happened_on: 2025-02-30\n", "happened_on 必须是有效日期"),
                           ("policies: [退货政策]\n", "不是有效的条目标识"),
                           ("policies: 甲\n", "必须是列表")):
        with pytest.raises(files.FileError, match=message):
            files.parse_item(_case_file(extra), "my-case.md")


def test_the_case_editor_keeps_happened_on_and_policies():
    from kbsite.content import forms

    draft = forms.draft_from_form("case", {"title": "案例", "category": "售后", "summary": "经验",
                                           "happened_on": "2025-05-06", "policies": "a-policy，b-policy"})
    assert draft.meta == {"summary": "经验", "happened_on": "2025-05-06", "policies": ["a-policy", "b-policy"]}
