"""Reading template spreadsheets: headers, encodings, placeholders, slugs and every bad input."""

from __future__ import annotations

import io
import zipfile

import pytest
from sheet_support import csv_bytes, xlsx

from kbsite import files
from kbsite.phrasing import sheet

GREETING = ["问候", "首次问候", "您好【客户称呼】，我是[客服名]，有什么可以帮您？", "问候,开场"]


def parse(data: bytes, name: str = "话术.xlsx", existing=None) -> list[sheet.SheetRow]:
    return sheet.parse_sheet(data, name, files.SlugPool(existing or {}))


def only(rows):
    assert len(rows) == 1
    return rows[0]


def test_a_row_becomes_a_template_with_category_pinyin_slug_and_normalised_placeholders():
    row = only(parse(xlsx([GREETING])))
    item = row.item
    assert row.error == "" and item.type == "template" and item.status == "published"
    assert item.slug == "shou-ci-wen-hou" and item.category == "话术/问候" and item.tags == ["问候", "开场"]
    assert item.body == "您好{{客户称呼}}，我是{{客服名}}，有什么可以帮您？\n"
    assert item.meta["placeholders"] == ["客户称呼", "客服名"]
    assert row.notes == ["占位符 【客户称呼】 → {{客户称呼}}", "占位符 [客服名] → {{客服名}}"]
    assert item.source == "话术.xlsx（第 2 行）"


@pytest.mark.parametrize(("written", "expected"), [
    ("{订单号}", "{{订单号}}"), ("｛订单号｝", "{{订单号}}"), ("${订单号}", "{{订单号}}"),
    ("{{ 订单号 }}", "{{订单号}}"), ("［订单号］", "{{订单号}}"), ("{{订单号}}", "{{订单号}}"),
    ("[链接](https://x.cn)", "[链接](https://x.cn)"), ("【1】", "【1】"), ("【请 注意】", "【请 注意】"),
])
def test_placeholder_forms(written, expected):
    text, converted = sheet.normalise_placeholders(f"亲，{written}")
    assert text == f"亲，{expected}"
    assert bool(converted) == (written != expected and expected.startswith("{{"))


def test_headers_are_matched_leniently_and_extra_columns_ignored():
    header = ["序号", "分类 ", "名称", "内容（必填）", "关键词", "备注"]
    row = only(parse(xlsx([[1, "售后", "退货地址", "请寄回：{{地址}}", "退货", "x"]], header)))
    assert row.item.category == "话术/售后" and row.item.title == "退货地址" and row.item.tags == ["退货"]


def test_a_missing_required_column_is_named():
    with pytest.raises(sheet.SheetError, match="表头缺少列：话术内容"):
        parse(xlsx([["问候", "标题", "x"]], ["场景", "标题", "备注"]))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_from_excel_in_any_usual_encoding(encoding):
    row = only(parse(csv_bytes([GREETING[:3] + ["问候"]], encoding=encoding), "话术.csv"))
    assert row.item.title == "首次问候" and row.item.category == "话术/问候"


def test_csv_that_is_no_known_encoding_is_refused_clearly():
    with pytest.raises(sheet.SheetError, match="无法识别 CSV 的文字编码"):
        parse(b"\xff\xfe"[:1] + "场景,标题".encode() + b"\x81\x20\xfe\xff" * 3, "x.csv")


def test_formulas_are_never_evaluated_but_refused_with_the_row():
    rows = parse(xlsx([GREETING, ["问候", "合计", "=1+2", ""], ["问候", '=HYPERLINK("http://evil")', "正文", ""]]))
    assert rows[0].item is not None
    assert rows[1].item is None and rows[1].error.startswith("第 3 行「话术内容」是公式（=1+2）")
    assert rows[2].item is None and "第 4 行「标题」是公式" in rows[2].error


def test_text_that_looks_like_a_formula_stays_text_and_our_apostrophe_is_removed():
    rows = parse(csv_bytes([["问候", "减号开头", "-- 亲，在的"], ["问候", "导出过的", "'=亲"]]), "x.csv")
    assert rows[0].item.body == "-- 亲，在的\n" and rows[1].item.body == "=亲\n"


def test_empty_required_cells_duplicates_and_over_long_cells_name_their_row():
    rows = parse(xlsx([
        ["问候", "", "正文", ""], ["", "无场景", "正文", ""],
        ["问候", "重复", "一", ""], ["问候", "重复", "二", ""],
        ["问候", "长" * 201, "正文", ""], ["问候", "长正文", "字" * 5001, ""],
        ["问候", "长标签", "正文", "标" * 51],
    ]))
    errors = [r.error for r in rows]
    assert errors[0] == "第 2 行缺少必填内容：标题" and errors[1] == "第 3 行缺少必填内容：场景"
    assert errors[2] == "第 4 行的标题「重复」与第 5 行重复" and errors[3] == "第 5 行的标题「重复」与第 4 行重复"
    assert errors[4] == "第 6 行「标题」太长：201 个字符，上限 200"
    assert errors[5] == "第 7 行「话术内容」太长：5,001 个字符，上限 5,000"
    assert "第 8 行的标签" in errors[6] and all(r.item is None for r in rows)


def test_blank_rows_are_skipped_and_numbers_read_as_text():
    rows = parse(xlsx([[None, None, None, None], ["售后", 12306, "电话 {{电话}}", 3.0]]))
    assert only(rows).item.title == "12306" and rows[0].item.tags == ["3"]


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"not a zip at all", "x.xlsx", "不是有效的 .xlsx 文件"),
    (b"PK\x03\x04broken", "x.xlsx", "不是有效的 .xlsx 文件"),
    (b"\xd0\xcf\x11\xe0", "old.xls", "只能导入 .xlsx 或 .csv"),
    (b"", "x.csv", "表格是空的"),
    (csv_bytes([]), "x.csv", "只有表头"),
])
def test_broken_or_foreign_files_are_refused_as_a_whole(data, name, message):
    with pytest.raises(sheet.SheetError, match=message):
        parse(data, name)


def test_a_zip_that_is_not_a_workbook_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(sheet.SheetError, match="不是有效的 .xlsx 文件"):
        parse(buf.getvalue())


def test_ten_thousand_rows_hit_a_clear_cap_quickly():
    import time

    data = xlsx([["问候", f"第{i}条", "您好", ""] for i in range(10_000)])
    started = time.perf_counter()
    with pytest.raises(sheet.SheetError, match=r"表格超过 1,000 行话术（第 1002 行起超出）"):
        parse(data)
    assert time.perf_counter() - started < 10


def test_slugs_are_unique_and_an_existing_template_with_the_title_keeps_its_slug():
    rows = parse(xlsx([["问候", "首次问候", "您好", ""], ["问候", "收次问候", "您好", ""]]),
                 existing={"first-greeting": ("template", "首次问候"), "shou-ci-wen-hou": ("faq", "别的")})
    assert [r.item.slug for r in rows] == ["first-greeting", "shou-ci-wen-hou-2"]


def test_export_neutralises_formula_like_cells_and_reads_back_the_same():
    from openpyxl import load_workbook

    item = files.ItemData(slug="jian-hao", type="template", title="=SUM(A1)", category="话术/问候",
                          tags=["@标签"], body="-- 亲 {{客户称呼}}\n", meta={"placeholders": ["客户称呼"]})
    data = sheet.write_xlsx([item])
    cells = list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert cells[0] == tuple(sheet.EXPORT_HEADER)
    assert cells[1][:5] == ("问候", "'=SUM(A1)", "'-- 亲 {{客户称呼}}", "'@标签", "jian-hao")
    back = only(parse(data)).item
    assert (back.title, back.body, back.tags, back.slug) == ("=SUM(A1)", item.body, ["@标签"], "jian-hao")
