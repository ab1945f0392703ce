"""Phrasing templates in spreadsheets (.xlsx, .csv), the way teams keep them today.

Reading never evaluates anything: openpyxl is opened with ``data_only=False`` so a
formula is seen as a formula and refused, and text cells are taken as text. Each
row becomes a template item (category from 场景, slug from the title's pinyin,
placeholders such as 【客户称呼】 normalised to ``{{客户称呼}}``) or a row error
that names the row; the caller applies nothing unless every row is good.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kbsite import files

MAX_ROWS = 1000  # measured on 2 shared cores: ~4 s to preview, 20–35 s to write 1,000 rows
MAX_XLSX_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_CHARS = {"scene": 50, "title": 200, "body": 5000, "tags": 500, "slug": 80}
COLUMNS = {  # field → (display name, accepted header names, required)
    "scene": ("场景", ("场景", "分类", "类别", "场景分类", "category", "scene"), True),
    "title": ("标题", ("标题", "名称", "话术标题", "title"), True),
    "body": ("话术内容", ("话术内容", "话术", "内容", "回复内容", "回复", "正文", "content", "body"), True),
    "tags": ("标签", ("标签", "关键词", "tags"), False),
    "slug": ("标识", ("标识", "slug"), False),
}
EXPORT_HEADER = ["场景", "标题", "话术内容", "标签", "标识", "状态"]
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
TAG_SPLIT_RE = re.compile(r"[,，、;；\s]+")
# 【客户称呼】 [客户称呼] ［客户称呼］ {客户称呼} ｛客户称呼｝ ${客户称呼} {{ 客户称呼 }}
PLACEHOLDER_FORMS = re.compile(
    r"\{\{\s*(?P<a>[^{}\s]{1,20})\s*\}\}|\$\{(?P<b>[^{}\s]{1,20})\}|[{｛](?P<c>[^{}｛｝\s]{1,20})[}｝]"
    r"|[【\[［](?P<d>[^\]】］\[【［\s]{1,20})[】\]］](?!\()"
)
NAME_OK = re.compile(r"[\w\u3400-\u9fff]+")


class SheetError(Exception):
    """The file as a whole cannot be read (not a spreadsheet, no header, too many rows)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class SheetRow:
    """One data row: the item it becomes, or why it is rejected; what was converted."""

    number: int
    title: str = ""
    item: files.ItemData | None = None
    error: str = ""
    notes: list[str] = field(default_factory=list)


# --- reading cells ---------------------------------------------------------------------------


def read_cells(data: bytes, name: str) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cell values) for .xlsx or .csv bytes; formulas come back as :class:`Formula`."""
    lower = name.lower()
    if lower.endswith(".xlsx"):
        return _xlsx_rows(data)
    if lower.endswith(".csv"):
        return _csv_rows(data)
    raise SheetError("只能导入 .xlsx 或 .csv 表格（旧版 .xls 请在 Excel 中另存为 .xlsx）")


class Formula(str):
    """A cell that holds a formula; never evaluated."""


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    if len(data) > MAX_XLSX_BYTES:
        raise SheetError(f"文件过大：{len(data):,} 字节，上限 {MAX_XLSX_BYTES:,} 字节")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise SheetError("表格解压后过大，已拒绝（疑似压缩炸弹）")
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except SheetError:
        raise
    except Exception:  # openpyxl raises many kinds of error for a damaged file; all mean the same
        raise SheetError("不是有效的 .xlsx 文件：文件可能已损坏，或不是 Excel 表格"
                         "（旧版 .xls 请在 Excel 中另存为 .xlsx 或 .csv）") from None
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(), 1):
            yield number, [Formula(c.value) if c.data_type == "f" else c.value for c in row]
    except SheetError:
        raise
    except Exception:
        raise SheetError("表格内容已损坏，无法读取，请在 Excel 中打开后重新保存") from None
    finally:
        book.close()


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = _decode_csv(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise SheetError(f"CSV 第 {reader.line_num} 行格式错误：{exc}（单元格过长或引号不配对）") from None


def _decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 from Excel's “Unicode text”, or GBK/GB18030."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise SheetError("无法识别 CSV 的文字编码：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”") from None


# --- header and rows -------------------------------------------------------------------------


def _norm_header(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).strip().lstrip("\ufeff").lower()
    return re.sub(r"[\s*＊:：]|[（(].*?[)）]", "", text)


def map_header(cells: list[Any]) -> dict[str, int]:
    """Column index per field, matching header names leniently (分类/场景, 内容/话术, …)."""
    names = [_norm_header(c) for c in cells]
    found: dict[str, int] = {}
    for key, (_, aliases, _) in COLUMNS.items():
        for alias in aliases:
            if alias in names and names.index(alias) not in found.values():
                found[key] = names.index(alias)
                break
    missing = [COLUMNS[k][0] for k, (_, _, req) in COLUMNS.items() if req and k not in found]
    if missing:
        raise SheetError(f"表头缺少列：{'、'.join(missing)}。第一行应为表头：场景、标题、话术内容、标签")
    return found


def cell_text(value: Any) -> str:
    """A cell as text; an apostrophe that our export put before =, +, - or @ is removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value).replace("\r\n", "\n").replace("\r", "\n")).strip()
    return text[1:] if text.startswith("'") and text[1:2] in ("=", "+", "-", "@") else text


def normalise_placeholders(text: str) -> tuple[str, list[str]]:
    """Rewrite 【x】, [x], {x}, ${x}, {{ x }} as {{x}}; return the text and what was converted."""
    converted: list[str] = []

    def swap(match: re.Match) -> str:
        name = next(g for g in match.groups() if g)
        if not NAME_OK.fullmatch(name) or name.isdigit():
            return match.group(0)
        if match.group(0) != f"{{{{{name}}}}}":
            converted.append(f"{match.group(0)} → {{{{{name}}}}}")
        return f"{{{{{name}}}}}"

    return PLACEHOLDER_FORMS.sub(swap, text), list(dict.fromkeys(converted))


def parse_sheet(data: bytes, name: str, pool: files.SlugPool) -> list[SheetRow]:
    """Every data row of the first sheet, each an item or an error; raises SheetError for the file."""
    header: dict[str, int] | None = None
    rows: list[SheetRow] = []
    for number, cells in read_cells(data, name):
        if not any(isinstance(c, Formula) or cell_text(c) for c in cells):
            continue
        if header is None:
            header = map_header(cells)
            continue
        if len(rows) >= MAX_ROWS:
            raise SheetError(f"表格超过 {MAX_ROWS:,} 行话术（第 {number} 行起超出）：一次最多导入 "
                             f"{MAX_ROWS:,} 行，请拆成几个文件分别导入")
        rows.append(_row(number, cells, header, name))
    if header is None:
        raise SheetError("表格是空的：第一行应为表头（场景、标题、话术内容、标签），下面每行一条话术")
    if not rows:
        raise SheetError("表格只有表头，没有话术")
    _mark_duplicates(rows)
    for row in rows:
        if row.item is not None:
            _finish(row, pool)
    return rows


def _row(number: int, cells: list[Any], header: dict[str, int], name: str) -> SheetRow:
    row = SheetRow(number)
    values: dict[str, str] = {}
    for key, index in header.items():
        raw = cells[index] if index < len(cells) else None
        label = COLUMNS[key][0]
        if isinstance(raw, Formula):
            row.error = (f"第 {number} 行「{label}」是公式（{str(raw)[:30]}）：公式不会被计算，"
                         "请在 Excel 中复制后“选择性粘贴为数值”再导入")
            return row
        values[key] = text = cell_text(raw)
        if len(text) > MAX_CHARS[key]:
            row.error = f"第 {number} 行「{label}」太长：{len(text):,} 个字符，上限 {MAX_CHARS[key]:,}"
            return row
    row.title = values["title"]
    missing = [COLUMNS[k][0] for k in ("scene", "title", "body") if not values[k]]
    if missing:
        row.error = f"第 {number} 行缺少必填内容：{'、'.join(missing)}"
        return row
    for key in ("scene", "title", "slug"):
        if "\n" in values.get(key, ""):
            row.error = f"第 {number} 行「{COLUMNS[key][0]}」不能换行"
            return row
    body, converted = normalise_placeholders(values["body"])
    row.notes = [f"占位符 {c}" for c in converted]
    tags = list(dict.fromkeys(t for t in TAG_SPLIT_RE.split(values.get("tags", "")) if t))
    long_tag = next((t for t in tags if len(t) > files.model.MAX_TAG_CHARS), None)
    if long_tag:
        row.error = f"第 {number} 行的标签「{long_tag[:20]}…」太长：每个标签最多 {files.model.MAX_TAG_CHARS} 个字符"
        return row
    slug = values.get("slug", "")
    if slug and not files.SLUG_RE.fullmatch(slug):
        row.error = f"第 {number} 行「标识」“{slug}”只能用小写英文字母、数字和连字符（或留空，按标题拼音生成）"
        return row
    scene = values["scene"].strip("/")
    row.item = files.ItemData(
        slug=slug, type="template", title=values["title"],
        category=scene if scene.startswith("话术/") else f"话术/{scene}", tags=tags, body=body,
        meta={"placeholders": list(dict.fromkeys(m.group(1) for m in files.model.PLACEHOLDER_RE.finditer(body))),
              "variants": {}},
        source=f"{name}（第 {number} 行）",
    )
    return row


def _mark_duplicates(rows: list[SheetRow]) -> None:
    """Two rows with one title (or one 标识) are both refused, each naming the other."""
    for attr in ("title", "slug"):
        first: dict[str, SheetRow] = {}
        for row in rows:
            key = row.title if attr == "title" else (row.item.slug if row.item else "")
            if row.item is None or not key:
                continue
            if key in first:
                what = "标题" if attr == "title" else "标识"
                other = first[key]
                row.item, row.error = None, f"第 {row.number} 行的{what}「{key}」与第 {other.number} 行重复"
                if other.item is not None:
                    other.item, other.error = None, f"第 {other.number} 行的{what}「{key}」与第 {row.number} 行重复"
            else:
                first[key] = row


def _finish(row: SheetRow, pool: files.SlugPool) -> None:
    """Give the row its slug and run it through the file format's own validation."""
    item = row.item
    if not item.slug:
        item.slug = pool.claim(item.title, "template")
    else:
        pool.claimed.add(item.slug)
    try:
        parsed = files.parse_item(files.dump_item(item).encode("utf-8"), f"{item.slug}.md", source=item.source)
    except files.FileError as exc:
        row.item, row.error = None, f"第 {row.number} 行：{exc.message}"
        return
    parsed.source = item.source
    row.item = parsed


# --- export ----------------------------------------------------------------------------------


def _safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (OWASP CSV/formula injection)."""
    return "'" + text if text.startswith(FORMULA_LEADS) else text


def write_xlsx(items: list[files.ItemData]) -> bytes:
    """Templates as one worksheet with the same columns the importer reads (plus 标识 and 状态)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("话术模板")
    sheet.append(EXPORT_HEADER)
    for it in items:
        scene = it.category.removeprefix("话术/")
        status = "已发布" if it.status == "published" else "草稿"
        sheet.append([_safe(v) for v in (scene, it.title, it.body.rstrip("\n"), "、".join(it.tags), it.slug, status)])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
