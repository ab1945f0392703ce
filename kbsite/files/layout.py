"""File names, slugs and folders of the export layout."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePath

from kbsite.files.model import SLUG_RE, UNSAFE_SEGMENT_RE, WINDOWS_RESERVED, FileError

# --- names and folders ----------------------------------------------------------------------


def check_name(name: str, src: str) -> str:
    """The base name of a file to import; paths with .., absolute paths and backslashes are refused."""
    parts = name.split("/")
    if "\\" in name or name.startswith("/") or ".." in parts or re.match(r"[A-Za-z]:", name):
        raise FileError(src, None, f"文件名“{name}”含有路径（..、/ 开头、\\ 或盘符），不能导入")
    base = parts[-1]
    if not base.endswith(".md"):
        raise FileError(src, None, f"文件名“{base}”必须以 .md 结尾")
    return base


def slug_from_name(name: str, src: str) -> str:
    """The file name's stem is the slug (see :func:`check_name` for what is refused)."""
    base = check_name(name, src)
    stem = unicodedata.normalize("NFC", base[:-3])
    if not SLUG_RE.fullmatch(stem):
        raise FileError(src, None, _slug_advice(stem))
    return stem


def _slug_advice(stem: str) -> str:
    rule = ("文件名就是条目的 slug（永久地址），只能用小写英文字母、数字和连字符 -，"
            "以字母或数字开头，2–80 个字符")
    if any(ord(c) > 127 for c in stem):
        from pypinyin import lazy_pinyin  # only needed for this message

        stem = "-".join(lazy_pinyin(stem))
        rule = "中文文件名不能用作 slug：" + rule + "，请改用英文或拼音"
    suggestion = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:80].rstrip("-")
    if SLUG_RE.fullmatch(suggestion):
        return f"{rule}。建议改名为 {suggestion}.md"
    return f"{rule}，例如 seven-day-return.md"


def _safe_segment(segment: str) -> str:
    segment = UNSAFE_SEGMENT_RE.sub("", segment).strip(" .")[:100].strip(" .")
    return segment + "_" if segment.lower() in WINDOWS_RESERVED else segment


def safe_folder(folder: str) -> str:
    return "/".join(s for s in (_safe_segment(p) for p in folder.split("/")) if s)


def category_folder(category: str) -> str:
    """The scripts_lib folder a template goes to when it has none: the scenario after 话术/."""
    segments = category.split("/")
    if len(segments) > 1 and segments[0] == "话术":
        segments = segments[1:]
    return safe_folder("/".join(segments)) or "其他"


def folder_from_source(source: str) -> str | None:
    parts = PurePath(source).parts[:-1]
    if "scripts_lib" not in parts:
        return None
    start = len(parts) - parts[::-1].index("scripts_lib")
    return safe_folder("/".join(parts[start:])) or None
