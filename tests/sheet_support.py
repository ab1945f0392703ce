"""Building spreadsheets for the import tests."""

from __future__ import annotations

import io

from openpyxl import Workbook

HEADER = ["场景", "标题", "话术内容", "标签"]


def xlsx(rows: list[list], header: list | None = None) -> bytes:
    """An .xlsx file with a header row and ``rows``; strings starting with = become formulas."""
    book = Workbook()
    sheet = book.active
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list[list], header: list | None = None, encoding: str = "utf-8") -> bytes:
    lines = [",".join(header or HEADER)] + [",".join(map(str, r)) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
