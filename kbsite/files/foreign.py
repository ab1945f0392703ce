"""Markdown written by other systems: fill in what kbsite's format needs, and say what was filled.

A file that already follows docs/FORMAT.md is parsed strictly and nothing is derived.
Otherwise the missing pieces are derived (title from the first heading or the file name,
summary from the first paragraph, slug from the title's pinyin, a policy's date from the
import date, type from the folder (names from the content-type registry) or the user's
default, category from the type) and the result is validated by the strict parser, so
both paths end in the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath
from typing import Any

import yaml
from yaml.nodes import MappingNode

from kbsite.content import types
from kbsite.files.layout import check_name
from kbsite.files.model import KINDS, MAX_FILE_BYTES, PLACEHOLDER_RE, SLUG_RE, FileError, ItemData
from kbsite.files.parse import parse_item
from kbsite.files.reading import compose, construct, decode, split_front_matter
from kbsite.files.slugs import pinyin_slug

SUMMARY_MAX = 150
DEFAULT_CATEGORY = {"template": "话术/未分类"}
HEADING_RE = re.compile(r"#{1,6}[ \t]+(.+?)[ \t#]*")
INLINE_MARKUP = [(re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""), (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),
                 (re.compile(r"[*_`~]+"), ""), (re.compile(r"<[^>]+>"), "")]


class SlugPool:
    """Slugs claimed in one import: an existing item with the same type and title keeps its slug."""

    def __init__(self, existing: dict[str, tuple[str, str]] | None = None) -> None:
        self.existing = existing or {}  # slug → (type, title)
        self.by_title = {(t, title): slug for slug, (t, title) in self.existing.items()}
        self.claimed: set[str] = set()

    def claim(self, title: str, type_: str) -> str:
        """The slug for a new (type, title): reuse an existing match, else a free pinyin slug."""
        slug = self.by_title.get((type_, title))
        if slug is None or slug in self.claimed:
            base, n = pinyin_slug(title), 1
            slug = base
            while slug in self.claimed or (slug in self.existing and self.existing[slug] != (type_, title)):
                n += 1
                slug = f"{base}-{n}"
        self.claimed.add(slug)
        return slug


@dataclass
class Lenient:
    """A parse_item replacement that derives what is missing and records it per file."""

    today: date
    default_type: str | None = None
    pool: SlugPool = field(default_factory=SlugPool)
    derived: dict[str, list[str]] = field(default_factory=dict)

    def __call__(self, data: bytes, name: str, source: str | None = None, *,
                 max_bytes: int = MAX_FILE_BYTES) -> ItemData:
        src = source or name
        try:
            item = parse_item(data, name, source=src, max_bytes=max_bytes)
        except FileError:
            item = None
        if item is not None:
            self.pool.claimed.add(item.slug)  # a second file with this name is reported by gather()
            return item
        check_name(name, src)  # a path in the name is refused here too, never turned into a slug
        if len(data) > max_bytes:
            raise FileError(src, None, f"文件过大：{len(data):,} 字节，上限 {max_bytes:,} 字节")
        fm, body = _front_matter_and_body(decode(data, src), src)
        notes: list[str] = []
        item = self._derive(fm, body, name, src, notes)
        if notes:
            self.derived[src] = notes
        return item

    def _derive(self, fm: dict[str, Any], body: str, name: str, src: str, notes: list[str]) -> ItemData:
        title, body = _title(fm, body, name, notes)
        fm["title"] = title
        kind = fm.get("type") or self._type(src, notes)
        fm["type"] = kind
        if not fm.get("category"):
            fm["category"] = DEFAULT_CATEGORY.get(kind, "未分类")
            notes.append(f"分类未写，设为「{fm['category']}」")
        if kind in types.summary_types() and not fm.get("summary"):
            fm["summary"] = first_paragraph(body) or title
            notes.append(f"简答取自{'正文第一段' if first_paragraph(body) else '标题'}：「{fm['summary']}」")
        if kind == "policy" and not fm.get("effective_from"):
            fm["effective_from"] = self.today.isoformat()
            notes.append(f"政策未写生效日期，设为导入当天 {fm['effective_from']}")
        if kind == "template" and "placeholders" not in fm:
            fm["placeholders"] = list(dict.fromkeys(m.group(1) for m in PLACEHOLDER_RE.finditer(body)))
        slug = self._slug(name, title, kind, notes)
        return _validated(fm, body, slug, src)

    def _type(self, src: str, notes: list[str]) -> str:
        for part in reversed(PurePosixPath(src.replace(":", "/")).parts[:-1]):
            kind = types.kind_of_folder(part)
            if kind:
                notes.append(f"类型未写，按文件夹「{part}」定为{types.label(kind)}")
                return kind
        if self.default_type in KINDS:
            notes.append(f"类型未写，按所选默认类型定为{types.label(self.default_type)}")
            return self.default_type
        raise FileError(src, None, "无法判断条目类型：请在 front matter 中写 type（faq、policy、case、"
                                   "template），或在导入时选择默认类型")

    def _slug(self, name: str, title: str, kind: str, notes: list[str]) -> str:
        stem = PurePosixPath(name).name.removesuffix(".md")
        if SLUG_RE.fullmatch(stem) and stem not in self.pool.claimed:
            self.pool.claimed.add(stem)
            return stem
        slug = self.pool.claim(title, kind)
        notes.append(f"标识（slug）按标题拼音生成：{slug}")
        return slug


def _front_matter_and_body(text: str, src: str) -> tuple[dict[str, Any], str]:
    if text.split("\n", 1)[0].rstrip(" \t") != "---":
        return {}, text
    fm, body, _ = split_front_matter(text, src)
    node = compose(fm, src)
    if node is None:
        return {}, body
    if not isinstance(node, MappingNode):
        raise FileError(src, 2, "front matter 必须是“键: 值”的映射（例如 title: …），不能是列表、文本或空白")
    return construct(node, src), body


def _title(fm: dict[str, Any], body: str, name: str, notes: list[str]) -> tuple[str, str]:
    """The title, and the body without the heading it was taken from."""
    if isinstance(fm.get("title"), str) and fm["title"].strip():
        return fm["title"].strip(), body
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        match = HEADING_RE.fullmatch(line.strip())
        if match:
            notes.append(f"标题取自第一个标题行：「{match.group(1)}」")
            return match.group(1), "\n".join(lines[:i] + lines[i + 1:])
        break
    title = PurePosixPath(name).name.removesuffix(".md").strip() or "未命名"
    notes.append(f"标题取自文件名：「{title}」")
    return title, body


def first_paragraph(body: str, limit: int = SUMMARY_MAX) -> str:
    """The first prose paragraph as plain text, trimmed at a sentence end near ``limit``."""
    for block in re.split(r"\n[ \t]*\n", body):
        lines = [ln.strip() for ln in block.strip().split("\n") if ln.strip()]
        if not lines or lines[0].startswith(("#", "```", "|", "<", "!", "---")):
            continue
        text = "".join(re.sub(r"^(?:[-*+>]|\d+[.)])\s+", "", ln) for ln in lines)
        for pattern, repl in INLINE_MARKUP:
            text = pattern.sub(repl, text)
        text = " ".join(text.split())
        if text:
            return _trim(text, limit)
    return ""


def _trim(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = max(text.rfind(p, 0, limit) for p in "。！？!?；")
    return text[:cut + 1] if cut >= limit // 3 else text[:limit - 1] + "…"


def _validated(fm: dict[str, Any], body: str, slug: str, src: str) -> ItemData:
    """Round-trip through the strict parser: the same rules as every other file."""
    text = "---\n" + yaml.safe_dump(fm, allow_unicode=True, sort_keys=False, width=2**30) + "---\n" + body
    try:
        return parse_item(text.encode("utf-8"), f"{slug}.md", source=src)
    except FileError as exc:
        raise FileError(src, None, exc.message) from None
