"""Tests for kbsite.files: bad input is refused with file and line, good input round-trips."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
import tracemalloc
from collections import Counter
from pathlib import Path, PurePosixPath

import pytest

from kbsite import files
from kbsite.files import (
    FileError,
    ImportFailed,
    ItemData,
    collect,
    dump_item,
    export_relpath,
    parse_item,
    write_tree,
)

REPO = Path(__file__).resolve().parent.parent

FAQ = """---
title: 七天无理由退货怎么申请？
type: faq
category: 售后/退换货
tags: [退货, 七天无理由, 退换货]
summary: 签收后7天内、商品完好不影响二次销售，可在订单页申请无理由退货。
status: published
---
正文：顾客问“能退吗？”时，先确认签收时间。
"""

TEMPLATE = """---
title: 部分退款通知
type: template
category: 话术/退款通知
placeholders: [客户称呼, 订单号, 退款金额]
variants:
  电话: |
    {{客户称呼}}您好，订单{{订单号}}的退款已经办好。
    金额是{{退款金额}}元：请留意到账。
  邮件: "尊敬的{{客户称呼}}：\\n  您的订单{{订单号}}已退款。"
---
{{客户称呼}}，订单{{订单号}}为您办理部分退款{{退款金额}}元。
退款已提交，请留意。
"""

QUIZ = """---
title: 售后小测
type: quiz
category: 培训/售后
pass_mark: 80
max_attempts: 0
time_limit_seconds: 240
questions:
  - id: q1
    kind: single
    prompt: |
      在线客服的首次响应标准是？
      ---
      选一项：
    options:
      - {text: 1分钟内, correct: true}
      - {text: "10分钟内: 太慢", explain: 太慢了，顾客会流失}
    cite: response-time-standards
  - id: q2
    kind: scenario_reply
    chat:
      - {from: customer, text: 快递到了箱子都压扁了，里面的杯子碎了！}
    key_points:
      - {name: 致歉, phrasings: [抱歉, 不好意思, 对不起]}
    forbidden: true
    sample_reply: 非常抱歉给您带来不便……
---
本测验覆盖售后流程。
"""


def parse(text: str | bytes, name: str = "sample-item.md", **kw: object) -> ItemData:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_item(data, name, **kw)


def error_of(text: str | bytes, name: str = "bad-item.md", **kw: object) -> FileError:
    with pytest.raises(FileError) as info:
        parse(text, name, **kw)
    assert str(info.value).startswith(str(kw.get("source") or name))
    return info.value


def faq_with(*lines: str, body: str = "正文\n") -> str:
    """A FAQ whose front matter gets extra lines appended (line 6 onwards)."""
    head = ["---", "title: 标题", "type: faq", "category: 售后", "summary: 简答"]
    return "\n".join(head + list(lines) + ["---", body])


# --- encodings and line endings ------------------------------------------------------------


def test_parses_faq_fields() -> None:
    item = parse(FAQ, "seven-day-return.md")
    assert (item.slug, item.type, item.status) == ("seven-day-return", "faq", "published")
    assert item.tags == ["退货", "七天无理由", "退换货"]
    assert item.meta == {"summary": "签收后7天内、商品完好不影响二次销售，可在订单页申请无理由退货。"}
    assert item.body == "正文：顾客问“能退吗？”时，先确认签收时间。\n"
    assert item.owner is None and item.review_interval_days is None


def test_utf8_bom_is_stripped_and_metadata_found() -> None:
    item = parse(b"\xef\xbb\xbf" + FAQ.encode())
    assert item.title == "七天无理由退货怎么申请？" and item.meta["summary"]
    assert item == parse(FAQ)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_cr_accepted_and_normalised(newline: str) -> None:
    item = parse(FAQ.replace("\n", newline))
    assert item == parse(FAQ)
    assert "\r" not in item.body


def test_mixed_line_endings_reimport_is_noop() -> None:
    mixed = FAQ.replace("\n", "\r\n", 3) + "第二行\r\n第三行\r"
    first = parse(mixed)
    again = parse(dump_item(first))
    assert again == first
    sha = hashlib.sha256(dump_item(first).encode()).hexdigest()
    assert hashlib.sha256(dump_item(again).encode()).hexdigest() == sha


def test_invalid_utf8_names_byte_offset_and_line() -> None:
    data = FAQ.encode().replace("正文".encode(), b"\xe6\xad")
    err = error_of(data)
    offset = FAQ.encode().index("正文".encode())
    assert err.line == 9 and f"字节偏移 {offset}" in err.message and "UTF-8" in err.message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom_rejected_clearly(encoding: str) -> None:
    data = FAQ.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    err = error_of(data)
    assert "UTF-16" in err.message or "UTF-32" in err.message
    assert "BOM" in err.message and "另存为 UTF-8" in err.message


def test_utf16_without_bom_reported_as_nul_bytes() -> None:
    err = error_of(FAQ.encode("utf-16-le"))
    assert "NUL" in err.message and "UTF-16" in err.message


def test_nul_byte_rejected_with_offset_and_line() -> None:
    data = FAQ.encode() + b"tail\x00x\n"
    err = error_of(data)
    assert err.line == 10 and f"字节偏移 {len(FAQ.encode()) + 4}" in err.message


def test_raw_control_character_in_front_matter_rejected_with_line() -> None:
    err = error_of(faq_with("owner: 张\x07三"))
    assert err.line == 6 and "U+0007" in err.message


def test_body_keeps_trailing_spaces_inside_but_not_at_the_end() -> None:
    item = parse(faq_with(body="\n\n　　缩进段落  \n硬换行后\t制表\n\n\n"))
    assert item.body == "　　缩进段落  \n硬换行后\t制表\n"
    assert parse(dump_item(item)) == item


def test_control_character_in_body_rejected_with_line() -> None:
    err = error_of(faq_with(body="第一行\n第二\x1b行\n"))
    assert err.line == 8 and "U+001B" in err.message


# --- front matter structure ----------------------------------------------------------------


def test_missing_front_matter() -> None:
    err = error_of("# 标题\n正文\n")
    assert err.line == 1 and "缺少 front matter" in err.message


def test_front_matter_must_start_on_first_line() -> None:
    assert error_of("\n" + FAQ).line == 1


def test_unclosed_front_matter() -> None:
    err = error_of("---\ntitle: 标题\ntype: faq\n正文\n")
    assert err.line == 1 and "未闭合" in err.message


def test_malformed_yaml_line_is_offset_by_fence() -> None:
    err = error_of(faq_with("tags: [退货, 退款", "owner: 张三"))
    assert err.line in (6, 7) and "YAML 格式错误" in err.message
    err = error_of(faq_with("  bad indent: x"))
    assert err.line == 6


@pytest.mark.parametrize("front", ["- title\n- faq", "只是一句话", "", "[a, b]"])
def test_non_mapping_front_matter(front: str) -> None:
    err = error_of(f"---\n{front}\n---\n正文\n")
    assert err.line == 2 and "映射" in err.message


def test_duplicate_keys_rejected_with_line() -> None:
    err = error_of(faq_with("owner: 甲", "owner: 乙"))
    assert err.line == 7 and "重复的键“owner”" in err.message and "第 6 行" in err.message


def test_duplicate_keys_in_nested_mapping() -> None:
    err = error_of(QUIZ.replace("cite: response-time-standards", "cite: a\n    cite: b"))
    assert "重复的键“cite”" in err.message and err.line == 19


def test_non_text_key_rejected() -> None:
    err = error_of(faq_with("[a, b]: c"))
    assert err.line == 6 and "键" in err.message


def test_anchor_rejected() -> None:
    err = error_of(faq_with("owner: &who 张三"))
    assert err.line == 6 and "锚点" in err.message


def test_alias_rejected() -> None:
    err = error_of(faq_with("<<: *base"))
    assert err.line == 6 and ("别名" in err.message or "YAML" in err.message)


def test_alias_bomb_rejected_fast_without_memory_growth() -> None:
    bomb = (
        '---\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n---\n"
    )
    assert len(bomb.encode()) < 400
    tracemalloc.start()
    started = time.perf_counter()
    try:
        err = error_of(bomb)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0 and peak < 50_000_000
    assert err.line == 2


@pytest.mark.parametrize("value", [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/name:os.system",
    "!!str 文本",
    "!!int '12'",
    "!custom 值",
    "! 值",
])
def test_explicit_tags_rejected_and_never_executed(value: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    err = error_of(faq_with("owner: " + value.format(marker=marker)))
    assert err.line == 6 and "标签" in err.message
    assert not marker.exists()


def test_yaml_11_scalars_stay_strings() -> None:
    item = parse(
        "---\ntitle: 0123\ntype: policy\ncategory: NO\ntags: [yes, off, 1.10, 2024-05-01, ~, null]\n"
        "summary: 0x1F\neffective_from: 2024-05-01\nreview_interval_days: 090\n---\n正文\n"
    )
    assert item.title == "0123" and item.category == "NO"
    assert item.tags == ["yes", "off", "1.10", "2024-05-01", "~", "null"]
    assert item.meta == {"summary": "0x1F", "effective_from": "2024-05-01"}
    assert item.review_interval_days == 90


def test_deep_nesting_is_capped() -> None:
    err = error_of(faq_with("owner: " + "[" * 5000 + "]" * 5000))
    assert err.line == 6 and "嵌套过深" in err.message


def test_node_count_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files.reading, "MAX_YAML_NODES", 100)
    err = error_of(faq_with("tags: [" + ", ".join(["x"] * 200) + "]"))
    assert err.line == 6 and "节点" in err.message


# --- keys and values -----------------------------------------------------------------------


def test_unknown_type() -> None:
    err = error_of(FAQ.replace("type: faq", "type: article"))
    assert err.line == 3 and "未知类型“article”" in err.message and "faq" in err.message


@pytest.mark.parametrize("key", ["title", "type", "category"])
def test_required_keys(key: str) -> None:
    text = "\n".join(line for line in FAQ.split("\n") if not line.startswith(f"{key}:"))
    err = error_of(text)
    assert err.line == 2 and f"缺少必填字段 {key}" in err.message


@pytest.mark.parametrize("key", ["title", "category"])
def test_blank_required_value(key: str) -> None:
    line = next(raw for raw in FAQ.split("\n") if raw.startswith(key + ":"))
    err = error_of(FAQ.replace(line, f"{key}: '  '"))
    assert f"{key} 不能为空" in err.message and err.line in (2, 4)


def test_unknown_key_rejected() -> None:
    err = error_of(faq_with("summery: 拼错了"))
    assert err.line == 6 and "未知字段“summery”" in err.message


def test_type_specific_key_on_wrong_type_rejected() -> None:
    err = error_of(faq_with("placeholders: [订单号]"))
    assert "未知字段“placeholders”" in err.message


def test_faq_needs_summary() -> None:
    err = error_of(FAQ.replace("summary: ", "x: "))
    assert "summary" in err.message


def test_titles_and_tags_trimmed_and_nfc() -> None:
    item = parse(faq_with("tags: ['  cafe\u0301 ', 退货, 退货]").replace("title: 标题", "title: '  标题 '"))
    assert item.title == "标题" and item.tags == ["café", "退货"]


@pytest.mark.parametrize("line", [
    'title: "标题\\t有制表符"',
    'title: "两行\\n标题"',
    'category: "售后\\x1b"',
    'tags: ["退\\u2028货"]',
    'owner: "张\\x07三"',
])
def test_control_characters_rejected_in_short_fields(line: str) -> None:
    key = line.split(":")[0]
    text = faq_with(line) if key in ("tags", "owner") else FAQ.replace(
        next(raw for raw in FAQ.split("\n") if raw.startswith(key + ":")), line)
    err = error_of(text)
    assert "控制字符" in err.message and err.line is not None


def test_tags_must_be_a_list_of_text() -> None:
    assert "必须是列表" in error_of(faq_with("tags: 退货")).message
    assert "必须是文本" in error_of(faq_with("tags: [[退货]]")).message


def test_category_segments_normalised_and_empty_segment_rejected() -> None:
    assert parse(FAQ.replace("售后/退换货", "售后 / 退换货")).category == "售后/退换货"
    assert "空的层级" in error_of(FAQ.replace("售后/退换货", "售后//退换货")).message


@pytest.mark.parametrize("value", ["abc", "0", "3651", "9.5", "-1", "１２"])
def test_review_interval_days_must_be_integer(value: str) -> None:
    err = error_of(faq_with(f"review_interval_days: '{value}'"))
    assert err.line == 6 and "review_interval_days" in err.message


def test_status_values() -> None:
    assert parse(faq_with("status: draft")).status == "draft"
    assert "status" in error_of(faq_with("status: hidden")).message


@pytest.mark.parametrize("value", ["2024-02-30", "2024-5-1", "20240501", "明年"])
def test_policy_effective_from_must_be_a_date(value: str) -> None:
    text = f"---\ntitle: 价保\ntype: policy\ncategory: 规则\nsummary: 简答\neffective_from: {value}\n---\n正文\n"
    err = error_of(text)
    assert err.line == 6 and "YYYY-MM-DD" in err.message


def test_policy_effective_from_required() -> None:
    err = error_of("---\ntitle: 价保\ntype: policy\ncategory: 规则\nsummary: 简答\n---\n正文\n")
    assert "effective_from" in err.message


def test_body_over_limit_rejected() -> None:
    err = error_of(faq_with(body="字" * 200_001))
    assert "正文太长" in err.message and err.line == 7


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["退款话术.md", "Seven-Day.md", "a.md", "-abc.md", "a.b.md",
                                  "x" * 81 + ".md", "seven day.md"])
def test_invalid_slug_rejected(name: str) -> None:
    err = error_of(FAQ, name)
    assert "slug" in err.message and err.line is None


def test_chinese_file_name_gets_ascii_suggestion() -> None:
    err = error_of(FAQ, "退款话术.md")
    assert "中文文件名" in err.message and "tui-kuan-hua-shu.md" in err.message


@pytest.mark.parametrize("name", ["../../x.md", "/etc/passwd.md", "..\\..\\x.md", "C:/x.md",
                                  "content/../../x.md"])
def test_names_with_path_traversal_rejected(name: str) -> None:
    err = error_of(FAQ, name)
    assert "路径" in err.message


def test_name_must_end_in_md() -> None:
    assert ".md" in error_of(FAQ, "seven-day.txt").message


def test_relative_member_name_allowed() -> None:
    assert parse(FAQ, "content/faq/seven-day.md").slug == "seven-day"


def test_oversized_bytes_refused() -> None:
    err = error_of(FAQ, max_bytes=100)
    assert "文件过大" in err.message


# --- templates -----------------------------------------------------------------------------


def test_template_parsed() -> None:
    item = parse(TEMPLATE, "refund-partial.md")
    assert item.meta["placeholders"] == ["客户称呼", "订单号", "退款金额"]
    assert set(item.meta["variants"]) == {"电话", "邮件"}
    assert item.meta["variants"]["邮件"] == "尊敬的{{客户称呼}}：\n  您的订单{{订单号}}已退款。"
    assert "folder" not in item.meta


def test_template_placeholder_used_but_not_declared() -> None:
    err = error_of(TEMPLATE.replace("退款已提交", "退款已提交到{{退款方式}}"))
    assert err.line == 13 and "{{退款方式}}" in err.message and "没有在 placeholders 中声明" in err.message


def test_template_placeholder_in_variant_not_declared() -> None:
    err = error_of(TEMPLATE.replace("请留意到账", "请留意{{到账时间}}"))
    assert err.line == 7 and "{{到账时间}}" in err.message


def test_template_placeholder_declared_but_unused() -> None:
    err = error_of(TEMPLATE.replace("退款金额]", "退款金额, 快递单号]"))
    assert err.line == 5 and "快递单号" in err.message and "没有使用" in err.message


def test_template_placeholder_with_spaces() -> None:
    err = error_of(TEMPLATE.replace("退款已提交", "{{ 订单号 }}退款已提交"))
    assert err.line == 13 and "不能有空格" in err.message


def test_template_variants_unknown_channel() -> None:
    err = error_of(TEMPLATE.replace("  电话: |", "  微信: |"))
    assert err.line == 7 and "渠道“微信”" in err.message and "在线、电话、邮件" in err.message


def test_template_variants_must_be_mapping() -> None:
    text = TEMPLATE.split("variants:")[0] + "variants: [电话, 邮件]\n---\n{{客户称呼}}{{订单号}}{{退款金额}}\n"
    err = error_of(text)
    assert "variants 必须是映射" in err.message and err.line == 6


def test_template_folder_kept_only_when_it_differs_from_category() -> None:
    under = parse(TEMPLATE, "refund-partial.md", source="/repo/scripts_lib/refund-notice/refund-partial.md")
    assert under.meta["folder"] == "refund-notice"
    assert export_relpath(under) == PurePosixPath("scripts_lib/refund-notice/refund-partial.md")
    same = parse(TEMPLATE, "refund-partial.md", source="scripts_lib/退款通知/refund-partial.md")
    assert "folder" not in same.meta
    loose = parse(TEMPLATE, "refund-partial.md", source="uploads/refund-partial.md")
    assert export_relpath(loose) == PurePosixPath("scripts_lib/退款通知/refund-partial.md")


# --- configuration items -------------------------------------------------------------------

LEXICON = """---
title: 禁用语与风险用语
type: lexicon
category: 配置/禁用语
entries:
  - phrase: 不知道
    category: 推诿
    suggestion: 我帮您查一下
    variants: [不清楚, 不晓得]
    severity: forbidden
    note: 顾客会觉得被敷衍
  - {phrase: 绝对没问题, category: 绝对化, suggestion: 我们会尽力为您处理好, severity: risky}
---
客服回复中不能出现以下说法。
"""


def test_lexicon_parsed() -> None:
    item = parse(LEXICON, "forbidden-phrases.md")
    assert item.meta["entries"][0]["variants"] == ["不清楚", "不晓得"]
    assert item.meta["entries"][1] == {"phrase": "绝对没问题", "category": "绝对化",
                                      "suggestion": "我们会尽力为您处理好", "severity": "risky"}


def test_lexicon_entries_must_be_list() -> None:
    err = error_of(LEXICON.split("entries:")[0] + "entries: 不知道\n---\n")
    assert "entries 必须是列表" in err.message and err.line == 5


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("  - {phrase: 绝对没问题", "  - [绝对没问题]\n  - {phrase: 绝对没问题", "必须是映射"),
    (", severity: risky}", "}", "缺少 severity"),
    ("severity: risky", "severity: 高", "forbidden 或 risky"),
    ("    note: 顾客", "    level: 1\n    note: 顾客", "不认识的键 level"),
    ("variants: [不清楚, 不晓得]", "variants: 不清楚", "variants 必须是非空文字的列表"),
    ("phrase: 绝对没问题", "phrase: 不知道", "重复"),
])
def test_lexicon_wrong_shape(old: str, new: str, expected: str) -> None:
    assert old in LEXICON
    err = error_of(LEXICON.replace(old, new, 1))
    assert expected in err.message and err.line is not None and err.line > 1


SYNONYMS = "---\ntitle: 同义词\ntype: synonyms\ncategory: 配置/搜索\ngroups:\n  - [退款, 退钱, 返款]\n  - [快递, 物流]\n---\n"
DICTIONARY = "---\ntitle: 领域词典\ntype: dictionary\ncategory: 配置/搜索\nwords: [退货, 七天无理由, 运费险]\n---\n"


@pytest.mark.parametrize(("text", "expected"), [
    (SYNONYMS.replace("  - [快递, 物流]", "  - [快递]"), "至少要有两个"),
    (SYNONYMS.replace("  - [快递, 物流]", "  - 快递"), "必须是列表"),
    (SYNONYMS.replace("  - [快递, 物流]", "  - [快递, [物流]]"), "必须是文本"),
    (SYNONYMS.replace("groups:\n  - [退款, 退钱, 返款]\n  - [快递, 物流]\n", "groups: 退款\n"), "必须是列表"),
    (SYNONYMS.replace("groups:", "words:"), "未知字段“words”"),
    (DICTIONARY.replace("运费险", "运费 险"), "含有空格"),
    (DICTIONARY.replace("[退货, 七天无理由, 运费险]", "退货"), "必须是列表"),
    (DICTIONARY.replace("words: [退货, 七天无理由, 运费险]\n", ""), "缺少必填字段 words"),
])
def test_config_items_wrong_shape(text: str, expected: str) -> None:
    err = error_of(text)
    assert expected in err.message


def test_quiz_questions_must_be_a_list() -> None:
    err = error_of("---\ntitle: 测\ntype: quiz\ncategory: 培训\nquestions: 很多\n---\n")
    assert err.line == 5 and "questions 必须是列表" in err.message


# --- collect -------------------------------------------------------------------------------


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_collect_walks_folders_and_skips_hidden_and_readme(tmp_path: Path) -> None:
    write(tmp_path / "content/faq/seven-day.md", FAQ)
    write(tmp_path / "scripts_lib/refund-notice/refund-partial.md", TEMPLATE)
    write(tmp_path / "content/.git/hidden-dir.md", "garbage")
    write(tmp_path / "content/faq/.hidden-file.md", "garbage")
    write(tmp_path / "content/README.md", "# 说明\n")
    write(tmp_path / "content/faq/notes.txt", "garbage")
    calls: list[tuple[int, int]] = []
    items = collect([tmp_path / "content", tmp_path / "scripts_lib"],
                    progress=lambda done, total, path: calls.append((done, total)))
    assert [i.slug for i in items] == ["seven-day", "refund-partial"]
    assert items[1].meta["folder"] == "refund-notice"
    assert calls == [(1, 2), (2, 2)]


def test_collect_reports_every_error(tmp_path: Path) -> None:
    write(tmp_path / "good-one.md", FAQ)
    write(tmp_path / "bad-utf8.md", b"---\ntitle: \xff\n---\n")
    write(tmp_path / "no-fence.md", "正文\n")
    write(tmp_path / "退款话术.md", FAQ)
    with pytest.raises(ImportFailed) as info:
        collect([tmp_path, tmp_path / "missing-dir"])
    names = sorted(Path(e.path).name for e in info.value.errors)
    assert names == ["bad-utf8.md", "missing-dir", "no-fence.md", "退款话术.md"]
    assert "共 4 个错误" in str(info.value) and "bad-utf8.md:2:" in str(info.value)


def test_collect_duplicate_slugs_name_both_files(tmp_path: Path) -> None:
    first = write(tmp_path / "content/faq/invoice-request.md", FAQ)
    second = write(tmp_path / "scripts_lib/invoice/invoice-request.md", TEMPLATE)
    with pytest.raises(ImportFailed) as info:
        collect([tmp_path])
    [err] = info.value.errors
    assert "invoice-request" in err.message and str(first) in str(err) and str(second) in str(err)


def test_collect_same_file_twice_is_not_a_duplicate(tmp_path: Path) -> None:
    path = write(tmp_path / "seven-day.md", FAQ)
    assert len(collect([tmp_path, path])) == 1


def test_collect_refuses_20mb_file_without_reading_it(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "huge-file.md"
    with big.open("wb") as fh:
        fh.truncate(20_000_000)
    real_open = Path.open

    def guarded_open(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        assert self != big, "huge file was opened"
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded_open)
    started = time.perf_counter()
    with pytest.raises(ImportFailed) as info:
        collect([tmp_path])
    assert time.perf_counter() - started < 0.5
    [err] = info.value.errors
    assert err.path == str(big) and "文件过大" in err.message and "2,000,000" in err.message


def test_collect_explicit_non_markdown_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as info:
        collect([write(tmp_path / "x.txt", FAQ)])
    assert ".md" in info.value.errors[0].message


# --- export --------------------------------------------------------------------------------


def sample_items() -> list[ItemData]:
    lesson = "---\ntitle: 第一周\ntype: lesson\ncategory: 培训/入门\n---\n# 欢迎\n\n[[seven-day]]\n"
    course = ("---\ntitle: 新人课程\ntype: course\ncategory: 培训\naudience: 新入职客服\n"
              "prerequisites: []\nsteps:\n  - {lesson: week-one}\n  - {quiz: after-sale-quiz}\n---\n")
    policy = ("---\ntitle: 价格保护\ntype: policy\ncategory: 规则/价保\nsummary: |\n  7天价保。\n  以实付为准。\n"
              "effective_from: 2024-05-01\nowner: 李四\nreview_interval_days: 30\n---\n正文\n")
    case = "---\ntitle: 杯子碎了\ntype: case\ncategory: 案例/物流\nsummary: 先致歉再要照片。\nstatus: draft\n---\n经过……\n"
    texts = {"seven-day": FAQ, "refund-partial": TEMPLATE, "after-sale-quiz": QUIZ,
             "forbidden-phrases": LEXICON, "synonyms": SYNONYMS, "dictionary": DICTIONARY,
             "week-one": lesson, "newcomer": course, "price-protection": policy, "broken-cup": case}
    return [parse(text, f"{slug}.md") for slug, text in texts.items()]


def test_export_relpaths() -> None:
    paths = {item.slug: str(export_relpath(item)) for item in sample_items()}
    assert paths == {
        "seven-day": "content/faq/seven-day.md",
        "refund-partial": "scripts_lib/退款通知/refund-partial.md",
        "after-sale-quiz": "content/training/quizzes/after-sale-quiz.md",
        "forbidden-phrases": "scripts_lib/forbidden-phrases.md",
        "synonyms": "content/search/synonyms.md",
        "dictionary": "content/search/dictionary.md",
        "week-one": "content/training/lessons/week-one.md",
        "newcomer": "content/training/courses/newcomer.md",
        "price-protection": "content/policies/price-protection.md",
        "broken-cup": "content/cases/broken-cup.md",
    }


@pytest.mark.parametrize("item", sample_items(), ids=lambda item: item.slug)
def test_dump_parse_round_trip(item: ItemData) -> None:
    text = dump_item(item)
    assert parse_item(text.encode(), f"{item.slug}.md", source=item.source) == item
    assert dump_item(parse_item(text.encode(), f"{item.slug}.md")) == text


def test_quiz_nested_questions_survive_round_trip() -> None:
    item = parse(QUIZ, "after-sale-quiz.md")
    question = item.meta["questions"][0]
    assert question["prompt"] == "在线客服的首次响应标准是？\n---\n选一项：\n"
    assert question["options"][0] == {"text": "1分钟内", "correct": "true"}
    assert item.meta["pass_mark"] == "80"
    assert parse(dump_item(item), "after-sale-quiz.md") == item


def test_dump_front_matter_is_readable() -> None:
    text = dump_item(parse(FAQ, "seven-day.md"))
    assert text.startswith("---\ntitle: 七天无理由退货怎么申请？\ntype: faq\ncategory: 售后/退换货\n"
                           "tags: [退货, 七天无理由, 退换货]\n")
    assert "&" not in text and "*" not in text and "!!" not in text


TRICKY = ["NO", "0123", "- 列表", ": 冒号", "#井号", "'单引号'", '"双引号"', "[方括号]", "{花括号}",
          "*星号", "&和号", "!叹号", "%百分号", "@at", "`反引号", "---", "...", "键: 值", "a #b",
          "null", "~", "yes", "🙂表情", "全角：　空格", "1.10", "2024-05-01", "问题？答：是", "|竖线", ">大于"]


@pytest.mark.parametrize("value", TRICKY)
def test_tricky_strings_round_trip(value: str) -> None:
    base = parse(FAQ, "seven-day.md")
    item = dataclasses.replace(base, title=value, tags=[value, "退货"], category=value, owner=value,
                               meta={"summary": f"{value}\n第二行 {value}"},
                               body=f"{value}\n---\n> 引用：“{value}”\n")
    assert parse(dump_item(item), "seven-day.md") == item


def test_export_then_import_changes_nothing(tmp_path: Path) -> None:
    items = sample_items()
    written = write_tree(items, tmp_path)
    assert len(written) == len(items) and all(p.is_relative_to(tmp_path) for p in written)
    again = collect([tmp_path])
    by_slug = {item.slug: item for item in again}
    for item in items:
        reread = by_slug[item.slug]
        assert dataclasses.replace(reread, source=item.source) == item
    before = {p: p.read_bytes() for p in written}
    write_tree(again, tmp_path)
    assert {p: p.read_bytes() for p in written} == before
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_template_folder_stable_across_export(tmp_path: Path) -> None:
    write(tmp_path / "src/scripts_lib/refund-notice/refund-partial.md", TEMPLATE)
    [item] = collect([tmp_path / "src"])
    [path] = write_tree([item], tmp_path / "out")
    assert path == (tmp_path / "out/scripts_lib/refund-notice/refund-partial.md").resolve()
    assert collect([tmp_path / "out"]) == [dataclasses.replace(item, source=str(path))]


def test_slug_with_traversal_cannot_be_exported(tmp_path: Path) -> None:
    base = parse(FAQ, "seven-day.md")
    for slug in ["../evil", "a/b", "..", "Evil"]:
        with pytest.raises(FileError):
            write_tree([dataclasses.replace(base, slug=slug)], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_template_folder_traversal_is_neutralised() -> None:
    item = parse(TEMPLATE, "refund-partial.md")
    item.meta["folder"] = "../../../etc"
    assert export_relpath(item) == PurePosixPath("scripts_lib/etc/refund-partial.md")


def test_write_tree_refuses_path_outside_dest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "dest"
    monkeypatch.setattr(files.writer, "export_relpath", lambda item: PurePosixPath("../outside.md"))
    with pytest.raises(FileError) as info:
        write_tree([parse(FAQ, "seven-day.md")], dest)
    assert "之外" in info.value.message
    assert not (tmp_path / "outside.md").exists()


def test_write_tree_refuses_symlink_escape(tmp_path: Path) -> None:
    dest, outside = tmp_path / "dest", tmp_path / "outside"
    dest.mkdir()
    outside.mkdir()
    os.symlink(outside, dest / "content")
    with pytest.raises(FileError) as info:
        write_tree([parse(FAQ, "seven-day.md")], dest)
    assert "之外" in info.value.message
    assert list(outside.iterdir()) == []


def test_write_tree_refuses_two_items_on_one_path(tmp_path: Path) -> None:
    item = parse(FAQ, "seven-day.md")
    with pytest.raises(FileError):
        write_tree([item, dataclasses.replace(item, title="另一个")], tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- shipped content -----------------------------------------------------------------------

SHIPPED = [REPO / "content", REPO / "scripts_lib"]


def collect_shipped() -> tuple[list[ItemData], list[str]]:
    if not all(root.is_dir() for root in SHIPPED):
        pytest.skip("shipped content not present")
    try:
        return collect(SHIPPED), []
    except ImportFailed as exc:
        return [], [str(e) for e in exc.errors]


def test_shipped_content_parses() -> None:
    items, errors = collect_shipped()
    assert errors == []
    counts = Counter(item.type for item in items)
    assert counts["faq"] >= 40 and counts["policy"] >= 8
    assert counts["case"] >= 10 and counts["template"] >= 40


def test_shipped_content_export_is_a_no_op(tmp_path: Path) -> None:
    items, errors = collect_shipped()
    if errors:
        pytest.skip("shipped content has errors; see test_shipped_content_parses")
    written = write_tree(items, tmp_path)
    assert {p.relative_to(tmp_path.resolve()).as_posix() for p in written} == {
        Path(item.source).relative_to(REPO).as_posix() for item in items}
    again = {item.slug: item for item in collect([tmp_path])}
    assert all(dataclasses.replace(again[item.slug], source=item.source) == item for item in items)
