"""Markdown files with YAML front matter ⇄ items (the content format of docs/FORMAT.md).

This module owns the on-disk format: decoding and sanity-checking raw bytes,
a string-only YAML loader that refuses anchors, aliases, tags and duplicate
keys, per-type validation of the front-matter keys, the export layout and
writing files safely. It imports neither Flask nor the database: the caller
applies parsed items (all-or-nothing) and makes revisions.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePath, PurePosixPath
from typing import Any, NoReturn

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

KINDS = ("faq", "policy", "template", "case")
CONFIG_TYPES = ("lexicon", "synonyms", "dictionary")
TRAINING_TYPES = ("lesson", "quiz", "course")
ALL_TYPES = KINDS + CONFIG_TYPES + TRAINING_TYPES
DEFAULT_REVIEW_DAYS = {
    "faq": 90, "policy": 180, "template": 180, "case": 365,
    **dict.fromkeys(TRAINING_TYPES, 365), **dict.fromkeys(CONFIG_TYPES, 365),
}
CHANNELS = ("在线", "电话", "邮件")
STATUSES = ("published", "draft")

MAX_FILE_BYTES = 2_000_000
MAX_BODY_CHARS = 200_000
MAX_TITLE_CHARS = 200
MAX_TAG_CHARS = 50
MAX_YAML_NODES = 20_000
MAX_YAML_DEPTH = 32

SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{1,79}")
_PLACEHOLDER_RE = re.compile(r"\{\{(.*?)\}\}")
_PLACEHOLDER_NAME_RE = re.compile(r"[^\s{}]+")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_BODY_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_UNSAFE_SEGMENT_RE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10)}
_FOREIGN_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                 (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))

_COMMON_KEYS = ("title", "type", "category", "tags", "status", "owner", "review_interval_days")
_TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "faq": ("summary",), "policy": ("summary", "effective_from"), "case": ("summary",),
    "template": ("placeholders", "variants"),
    "lexicon": ("entries",), "synonyms": ("groups",), "dictionary": ("words",),
    "lesson": (), "quiz": ("pass_mark", "max_attempts", "time_limit_seconds", "questions"),
    "course": ("audience", "prerequisites", "steps"),
}
# Order of keys in exported front matter; "folder" is path-derived and never written.
_KEY_ORDER = ("title", "type", "category", "tags", "summary", "effective_from", "placeholders",
              "status", "owner", "review_interval_days", "variants", "entries", "groups", "words",
              "pass_mark", "max_attempts", "time_limit_seconds", "audience", "prerequisites", "steps",
              "questions")
_EXPORT_DIRS = {
    "faq": "content/faq", "policy": "content/policies", "case": "content/cases",
    "lexicon": "scripts_lib", "synonyms": "content/search", "dictionary": "content/search",
    "lesson": "content/training/lessons", "quiz": "content/training/quizzes",
    "course": "content/training/courses",
}


@dataclass
class ItemData:
    """One item as read from or written to a file; the importer's unit of work."""

    slug: str
    type: str
    title: str
    category: str
    tags: list[str] = field(default_factory=list)
    body: str = ""
    status: str = "published"
    meta: dict[str, Any] = field(default_factory=dict)
    owner: str | None = None
    review_interval_days: int | None = None
    source: str = ""


class FileError(Exception):
    """One problem with one file, located by path and (1-based) line when meaningful."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        super().__init__(path, line, message)
        self.path = str(path)
        self.line = line
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class ImportFailed(Exception):
    """Every problem found in a batch; raised so that nothing of the batch is applied."""

    def __init__(self, errors: Iterable[FileError]) -> None:
        self.errors = list(errors)
        super().__init__(self.errors)

    def __str__(self) -> str:
        lines = [f"导入失败：共 {len(self.errors)} 个错误，未做任何更改。"]
        return "\n".join(lines + [str(e) for e in self.errors])


# --- bytes → text ---------------------------------------------------------------------------


def _decode(data: bytes, src: str) -> str:
    """Strict UTF-8 (BOM tolerated) → NFC text with LF line endings."""
    for bom, encoding in _FOREIGN_BOMS:
        if data.startswith(bom):
            raise FileError(src, None, f"文件是 {encoding} 编码（开头有 {encoding} 字节顺序标记 BOM），"
                                       "请用编辑器另存为 UTF-8 后再导入")
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    nul = data.find(b"\x00", skip)
    if nul >= 0:
        raise FileError(src, data.count(b"\n", 0, nul) + 1,
                        f"文件含有 NUL 字节（字节偏移 {nul}），可能是二进制文件或 UTF-16 编码，请另存为 UTF-8")
    try:
        text = data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + skip
        raise FileError(src, data.count(b"\n", 0, offset) + 1,
                        f"不是有效的 UTF-8：字节偏移 {offset} 处的字节 0x{data[offset]:02x} 无法解码，"
                        "请另存为 UTF-8") from None
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def normalize_body(text: str) -> str:
    """Canonical body: LF, NFC, no leading blank lines, no trailing whitespace, one final newline."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    body = "\n".join(lines).rstrip()
    return body + "\n" if body else ""


def _split_front_matter(text: str, src: str) -> tuple[str, str, int]:
    """Return (front matter, raw body, file line number of the body's first line)."""
    lines = text.split("\n")
    if lines[0].rstrip(" \t") != "---":
        raise FileError(src, 1, "缺少 front matter：文件第一行必须是 ---，后面跟 YAML 元数据，再以 --- 结束")
    for i in range(1, len(lines)):
        if lines[i].rstrip(" \t") == "---":
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:]), i + 2
    raise FileError(src, 1, "front matter 未闭合：第 1 行的 --- 之后找不到结束的 --- 行")


# --- YAML: strings only, no anchors, aliases or tags -----------------------------------------


class _Rejected(Exception):
    def __init__(self, mark: yaml.Mark, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


class _StringComposer(Reader, Scanner, Parser, Composer, BaseResolver):
    """Composes a node tree where every scalar is a string (no YAML 1.1 coercion).

    Anchors, aliases and explicit tags are refused at the event, before any node
    is built, so an alias bomb costs nothing; node count and depth are capped.
    """

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        BaseResolver.__init__(self)
        self._nodes = 0
        self._depth = 0

    def compose_node(self, parent: Node | None, index: object) -> Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Rejected(event.start_mark, f"不允许使用 YAML 别名（*{event.anchor}），请直接写出内容")
        if event.anchor is not None:
            raise _Rejected(event.start_mark, f"不允许使用 YAML 锚点（&{event.anchor}），请直接写出内容")
        if event.tag is not None:
            tag = event.tag.replace("tag:yaml.org,2002:", "!!")
            raise _Rejected(event.start_mark, f"不允许使用 YAML 标签（{tag}），所有值都按文本读取")
        self._nodes += 1
        if self._nodes > MAX_YAML_NODES:
            raise _Rejected(event.start_mark, f"front matter 过大：超过 {MAX_YAML_NODES} 个节点")
        if self._depth >= MAX_YAML_DEPTH:
            raise _Rejected(event.start_mark, f"front matter 嵌套过深：超过 {MAX_YAML_DEPTH} 层")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _compose(fm: str, src: str) -> Node | None:
    """Compose the front matter, turning every YAML problem into a FileError with a file line."""
    try:
        loader = _StringComposer(fm)  # the reader checks for control characters right here
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except _Rejected as exc:
        raise FileError(src, exc.mark.line + 2, exc.message) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark else None
        raise FileError(src, line, f"front matter 的 YAML 格式错误：{exc.problem or exc.context}") from None
    except yaml.reader.ReaderError as exc:
        line = fm.count("\n", 0, exc.position) + 2
        raise FileError(src, line, f"front matter 含有不允许的控制字符 U+{exc.character:04X}") from None


def _construct(node: Node, src: str) -> Any:
    """Node tree → str / list / dict, refusing duplicate or non-text keys."""
    if isinstance(node, ScalarNode):
        return unicodedata.normalize("NFC", node.value)
    if isinstance(node, SequenceNode):
        return [_construct(child, src) for child in node.value]
    out: dict[str, Any] = {}
    first_line: dict[str, int] = {}
    for key, value in node.value:
        line = key.start_mark.line + 2
        if not isinstance(key, ScalarNode):
            raise FileError(src, line, "front matter 的键必须是普通文本")
        if key.value in out:
            raise FileError(src, line, f"重复的键“{key.value}”（第 {first_line[key.value]} 行已经写过）")
        first_line[key.value] = line
        out[key.value] = _construct(value, src)
    return out


def load_front_matter(text: str, src: str = "（编辑器）") -> Any:
    """Load YAML text with the importer's rules (strings only, no aliases/tags, no duplicate keys)."""
    node = _compose(text, src)
    return None if node is None else _construct(node, src)


# --- validation -----------------------------------------------------------------------------


@dataclass
class _Doc:
    """Loaded front matter plus its node tree, for messages that name the right line."""

    src: str
    data: dict[str, Any]
    root: MappingNode

    def line(self, *path: str | int) -> int:
        node: Node = self.root
        for step in path:
            if isinstance(step, int) and isinstance(node, SequenceNode) and step < len(node.value):
                node = node.value[step]
            elif isinstance(step, str) and isinstance(node, MappingNode):
                found = [v for k, v in node.value if k.value == step]
                if not found:
                    break
                node = found[0]
            else:
                break
        return node.start_mark.line + 2

    def fail(self, message: str, *path: str | int) -> NoReturn:
        raise FileError(self.src, self.line(*path) if path else 1, message)

    def text(self, key: str, *, required: bool = False, max_chars: int = 2000,
             single_line: bool = True) -> str | None:
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(f"缺少必填字段 {key}" if value is None else f"字段 {key} 不能为空", key)
            return None
        return _clean_text(self, value, f"字段 {key}", max_chars, single_line, key)

    def text_list(self, key: str, *, max_chars: int = 200, single_line: bool = True) -> list[str]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            self.fail(f"字段 {key} 必须是列表，例如 {key}: [甲, 乙]", key)
        return [_clean_text(self, v, f"{key} 的第 {i + 1} 项", max_chars, single_line, key, i)
                for i, v in enumerate(value)]


def _clean_text(doc: _Doc, value: Any, what: str, max_chars: int, single_line: bool,
                *path: str | int) -> str:
    """Trimmed NFC text, refusing non-strings, control characters and over-long values."""
    if not isinstance(value, str):
        doc.fail(f"{what} 必须是文本，不能是列表或映射", *path)
    text = value.strip()
    bad = [c for c in text if (unicodedata.category(c) == "Cc" and not (c == "\n" and not single_line))
           or c in "\u2028\u2029"]
    if bad:
        doc.fail(f"{what} 含有控制字符 U+{ord(bad[0]):04X}（如换行、制表符），请删除", *path)
    if not text:
        doc.fail(f"{what} 不能为空", *path)
    if len(text) > max_chars:
        doc.fail(f"{what} 太长：{len(text)} 个字符，上限 {max_chars}", *path)
    return text


def _check_keys(doc: _Doc, kind: str) -> None:
    allowed = _COMMON_KEYS + _TYPE_KEYS[kind]
    for key in doc.data:
        if key not in allowed:
            doc.fail(f"未知字段“{key}”：{kind} 类型可用的字段是 {', '.join(allowed)}", key)


def _common(doc: _Doc) -> dict[str, Any]:
    """The keys every item has, validated and converted."""
    category = doc.text("category", required=True, max_chars=MAX_TITLE_CHARS)
    segments = [s.strip() for s in category.split("/")]
    if not all(segments):
        doc.fail(f"分类“{category}”有空的层级：用 / 分隔，例如 售后/退换货", "category")
    status = doc.text("status") or "published"
    if status not in STATUSES:
        doc.fail(f"status 只能是 published 或 draft，不能是“{status}”", "status")
    return {
        "title": doc.text("title", required=True, max_chars=MAX_TITLE_CHARS),
        "category": "/".join(segments),
        "tags": list(dict.fromkeys(doc.text_list("tags", max_chars=MAX_TAG_CHARS))),
        "status": status,
        "owner": doc.text("owner", max_chars=100),
        "review_interval_days": _review_days(doc),
    }


def _review_days(doc: _Doc) -> int | None:
    raw = doc.text("review_interval_days", max_chars=10)
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 3650:
        doc.fail(f"review_interval_days 必须是 1–3650 之间的整数天数，不能是“{raw}”", "review_interval_days")
    return int(raw)


def _summary_meta(doc: _Doc) -> dict[str, Any]:
    return {"summary": doc.text("summary", required=True, single_line=False)}


def _policy_meta(doc: _Doc, body: str, body_line: int) -> dict[str, Any]:
    meta = _summary_meta(doc)
    raw = doc.text("effective_from", required=True, max_chars=10)
    try:
        ok = bool(_DATE_RE.fullmatch(raw)) and date.fromisoformat(raw).isoformat() == raw
    except ValueError:
        ok = False
    if not ok:
        doc.fail(f"effective_from 必须是有效日期，格式 YYYY-MM-DD（例如 2024-05-01），不能是“{raw}”",
                 "effective_from")
    meta["effective_from"] = raw
    return meta


def _placeholders_in(doc: _Doc, text: str, first_line: int) -> Iterator[tuple[str, int]]:
    for match in _PLACEHOLDER_RE.finditer(text):
        line = first_line + text.count("\n", 0, match.start())
        if not _PLACEHOLDER_NAME_RE.fullmatch(match.group(1)):
            raise FileError(doc.src, line, f"占位符 {match.group(0)} 写法不对：花括号内写名称，不能有空格，"
                                           "例如 {{订单号}}")
        yield match.group(1), line


def _template_meta(doc: _Doc, body: str, body_line: int) -> dict[str, Any]:
    declared = doc.text_list("placeholders", max_chars=50)
    for i, name in enumerate(declared):
        if not _PLACEHOLDER_NAME_RE.fullmatch(name):
            doc.fail(f"placeholders 中的名称“{name}”不能含空格或花括号", "placeholders", i)
        if name in declared[:i]:
            doc.fail(f"placeholders 中的“{name}”重复", "placeholders", i)
    variants = _variants(doc)
    used: dict[str, int] = {}
    for name, line in _placeholders_in(doc, body, body_line):
        used.setdefault(name, line)
    for channel, text in variants.items():
        line = doc.line("variants", channel)
        for name, _ in _placeholders_in(doc, text, line):
            used.setdefault(name, line)
    for name, line in used.items():
        if name not in declared:
            raise FileError(doc.src, line, f"占位符 {{{{{name}}}}} 在正文或 variants 中使用，但没有在 "
                                           "placeholders 中声明")
    for i, name in enumerate(declared):
        if name not in used:
            doc.fail(f"placeholders 声明了“{name}”，但正文和 variants 中都没有使用 {{{{{name}}}}}",
                     "placeholders", i)
    return {"placeholders": declared, "variants": variants}


def _variants(doc: _Doc) -> dict[str, str]:
    raw = doc.data.get("variants", {})
    if raw in ("", None):
        return {}
    if not isinstance(raw, dict):
        doc.fail("variants 必须是映射：渠道: 文本（渠道为 在线、电话、邮件）", "variants")
    out = {}
    for channel, text in raw.items():
        if channel not in CHANNELS:
            doc.fail(f"variants 中的渠道“{channel}”未知：只能是 {'、'.join(CHANNELS)}", "variants", channel)
        out[channel] = _clean_text(doc, text, f"variants 的“{channel}”", MAX_BODY_CHARS, False,
                                   "variants", channel)
    return out


def _lexicon_meta(doc: _Doc, body: str, body_line: int) -> dict[str, Any]:
    """Shape-check here; the reply checker owns the lexicon's rules (one place)."""
    from kbsite.phrasing.checker import parse_lexicon

    entries = _list_of(doc, "entries", dict, "映射（phrase、category、severity 等）")
    try:
        parse_lexicon({"entries": entries})
    except ValueError as exc:
        doc.fail(str(exc), "entries")
    return {"entries": entries}


def _synonyms_meta(doc: _Doc, body: str, body_line: int) -> dict[str, Any]:
    groups = _list_of(doc, "groups", list, "列表，例如 [退款, 退钱, 返款]")
    out = []
    for i, group in enumerate(groups):
        words = list(dict.fromkeys(_sub_list(doc, group, f"groups 第 {i + 1} 组", "groups", i)))
        if len(words) < 2:
            doc.fail(f"groups 第 {i + 1} 组至少要有两个不同的词", "groups", i)
        out.append(words)
    return {"groups": out}


def _dictionary_meta(doc: _Doc, body: str, body_line: int) -> dict[str, Any]:
    words = _sub_list(doc, _list_of(doc, "words", str, "词语"), "words", "words")
    for i, word in enumerate(words):
        if any(c.isspace() for c in word):
            doc.fail(f"words 中的“{word}”含有空格：分词词典的词语不能有空白", "words", i)
    return {"words": list(dict.fromkeys(words))}


def _list_of(doc: _Doc, key: str, kind: type, what: str) -> list[Any]:
    value = doc.data.get(key)
    if value is None:
        doc.fail(f"缺少必填字段 {key}", key)
    if not isinstance(value, list):
        doc.fail(f"{key} 必须是列表", key)
    for i, item in enumerate(value):
        if not isinstance(item, kind):
            doc.fail(f"{key} 的第 {i + 1} 项必须是{what}", key, i)
    return value


def _sub_list(doc: _Doc, value: Any, what: str, *path: str | int) -> list[str]:
    if not isinstance(value, list):
        doc.fail(f"{what} 必须是列表", *path)
    return [_clean_text(doc, v, f"{what}的第 {j + 1} 项", 200, True, *path, j) for j, v in enumerate(value)]


def _training_meta(doc: _Doc, body: str, body_line: int) -> dict[str, Any]:
    """Quiz and course keys are kept as loaded; only their outer shape is checked here."""
    shapes = {"questions": list, "steps": list, "prerequisites": list}
    meta = {}
    for key in _TYPE_KEYS[doc.data["type"]]:
        if key not in doc.data:
            continue
        expected = shapes.get(key, str)
        if not isinstance(doc.data[key], expected):
            doc.fail(f"{key} 必须是{'列表' if expected is list else '文本'}", key)
        meta[key] = doc.data[key]
    for key in ("questions", "steps"):
        if key in _TYPE_KEYS[doc.data["type"]] and key not in meta:
            doc.fail(f"缺少必填字段 {key}", key)
    return meta


_META: dict[str, Callable[[_Doc, str, int], dict[str, Any]]] = {
    "faq": lambda doc, body, line: _summary_meta(doc),
    "case": lambda doc, body, line: _summary_meta(doc),
    "policy": _policy_meta,
    "template": _template_meta,
    "lexicon": _lexicon_meta,
    "synonyms": _synonyms_meta,
    "dictionary": _dictionary_meta,
    "lesson": lambda doc, body, line: {},
    "quiz": _training_meta,
    "course": _training_meta,
}


# --- names and folders ----------------------------------------------------------------------


def _slug_from_name(name: str, src: str) -> str:
    """The file name's stem is the slug; paths with .., absolute paths and backslashes are refused."""
    parts = name.split("/")
    if "\\" in name or name.startswith("/") or ".." in parts or re.match(r"[A-Za-z]:", name):
        raise FileError(src, None, f"文件名“{name}”含有路径（..、/ 开头、\\ 或盘符），不能导入")
    base = parts[-1]
    if not base.endswith(".md"):
        raise FileError(src, None, f"文件名“{base}”必须以 .md 结尾")
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
    segment = _UNSAFE_SEGMENT_RE.sub("", segment).strip(" .")[:100].strip(" .")
    return segment + "_" if segment.lower() in _WINDOWS_RESERVED else segment


def _safe_folder(folder: str) -> str:
    return "/".join(s for s in (_safe_segment(p) for p in folder.split("/")) if s)


def category_folder(category: str) -> str:
    """The scripts_lib folder a template goes to when it has none: the scenario after 话术/."""
    segments = category.split("/")
    if len(segments) > 1 and segments[0] == "话术":
        segments = segments[1:]
    return _safe_folder("/".join(segments)) or "其他"


def _folder_from_source(source: str) -> str | None:
    parts = PurePath(source).parts[:-1]
    if "scripts_lib" not in parts:
        return None
    start = len(parts) - parts[::-1].index("scripts_lib")
    return _safe_folder("/".join(parts[start:])) or None


# --- public API -----------------------------------------------------------------------------


def parse_item(data: bytes, name: str, source: str | None = None, *,
               max_bytes: int = MAX_FILE_BYTES) -> ItemData:
    """Parse one file's bytes into a validated item, or raise the first FileError found."""
    src = source or name
    if len(data) > max_bytes:
        raise FileError(src, None, f"文件过大：{len(data):,} 字节，上限 {max_bytes:,} 字节")
    slug = _slug_from_name(name, src)
    fm, raw_body, body_line = _split_front_matter(_decode(data, src), src)
    body_line += _leading_blank_lines(raw_body)
    body = normalize_body(raw_body)
    _check_body(body, body_line, src)
    node = _compose(fm, src)
    if not isinstance(node, MappingNode):
        raise FileError(src, 2, "front matter 必须是“键: 值”的映射（例如 title: …），不能是列表、文本或空白")
    doc = _Doc(src, _construct(node, src), node)
    kind = doc.text("type", required=True, max_chars=20)
    if kind not in ALL_TYPES:
        doc.fail(f"未知类型“{kind}”：type 只能是 {', '.join(ALL_TYPES)}", "type")
    _check_keys(doc, kind)
    common = _common(doc)
    meta = _META[kind](doc, body, body_line)
    if kind == "template":
        folder = _folder_from_source(src)
        if folder and folder != category_folder(common["category"]):
            meta["folder"] = folder
    return ItemData(slug=slug, type=kind, body=body, meta=meta, source=src, **common)


def _leading_blank_lines(raw: str) -> int:
    count = 0
    for line in raw.split("\n"):
        if line.strip():
            break
        count += 1
    return count


def _check_body(body: str, first_line: int, src: str) -> None:
    if len(body) > MAX_BODY_CHARS:
        raise FileError(src, first_line, f"正文太长：{len(body):,} 个字符，上限 {MAX_BODY_CHARS:,}")
    bad = _BODY_CONTROL_RE.search(body)
    if bad:
        raise FileError(src, first_line + body.count("\n", 0, bad.start()),
                        f"正文含有控制字符 U+{ord(bad.group()):04X}，请删除")


def collect(paths: Iterable[Path | str], *, max_file_bytes: int = MAX_FILE_BYTES,
            progress: Callable[[int, int, Path], None] | None = None) -> list[ItemData]:
    """Parse every *.md under the given files and folders; raise ImportFailed listing ALL errors.

    Hidden files and folders, and README.md files, are skipped. ``progress(done, total, path)``
    is called after each file. Duplicate slugs across files are an error naming both files.
    """
    files, errors = _discover(paths)
    items: list[ItemData] = []
    seen: dict[str, str] = {}
    for done, path in enumerate(files, 1):
        try:
            item = _read_one(path, max_file_bytes)
        except FileError as exc:
            errors.append(exc)
        else:
            if item.slug in seen:
                errors.append(FileError(str(path), None, f"slug“{item.slug}”重复：{seen[item.slug]} "
                                                          "也用了这个文件名，slug 必须唯一"))
            else:
                seen[item.slug] = str(path)
                items.append(item)
        if progress:
            progress(done, len(files), path)
    if errors:
        raise ImportFailed(errors)
    return items


def _discover(paths: Iterable[Path | str]) -> tuple[list[Path], list[FileError]]:
    files: list[Path] = []
    errors: list[FileError] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(_walk(path))
        elif path.is_file():
            if path.suffix == ".md":
                files.append(path)
            else:
                errors.append(FileError(str(path), None, "只能导入 .md 文件"))
        else:
            errors.append(FileError(str(path), None, "路径不存在或不是普通文件"))
    unique = {p.resolve(): p for p in reversed(files)}
    return sorted(unique.values(), key=lambda p: p.as_posix()), errors


def _walk(root: Path) -> Iterator[Path]:
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.endswith(".md") and not name.startswith(".") and name != "README.md":
                yield Path(folder) / name


def _read_one(path: Path, max_bytes: int) -> ItemData:
    """Read a file, checking its size before reading so that a huge file costs nothing."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise FileError(str(path), None, "不是普通文件")
        if info.st_size > max_bytes:
            raise FileError(str(path), None, f"文件过大：{info.st_size:,} 字节，上限 {max_bytes:,} 字节")
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise FileError(str(path), None, f"无法读取文件：{exc.strerror}") from None
    return parse_item(data, path.name, source=str(path), max_bytes=max_bytes)


class _Flow(list):
    """A list written in flow style ([a, b]) on export."""


class _Block(str):
    """A string written in literal block style (|) on export, as reply texts usually are."""


class _Dumper(yaml.SafeDumper):
    """Safe dumper that knows no implicit types, so plain strings stay unquoted where legal."""

    yaml_implicit_resolvers: dict = {}

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # indent list items under their key, as people write


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    block = "\n" in data or isinstance(data, _Block)
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style="|" if block else None)


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.SequenceNode:
    short = all(isinstance(v, str) and "\n" not in v for v in data) and sum(map(len, data)) <= 60
    flow = isinstance(data, _Flow) or (bool(data) and short)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Block, _represent_str)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(_Flow, _represent_list)


def _front_matter(item: ItemData) -> dict[str, Any]:
    extra = set(item.meta) - set(_KEY_ORDER) - {"folder"}
    if extra:
        raise ValueError(f"{item.slug}: unknown meta keys {sorted(extra)}")
    values: dict[str, Any] = {
        "title": item.title, "type": item.type, "category": item.category,
        "tags": _Flow(item.tags) if item.tags else None, "status": item.status, "owner": item.owner,
        "review_interval_days": None if item.review_interval_days is None else str(item.review_interval_days),
        **item.meta,
    }
    for key in ("placeholders", "prerequisites"):
        if isinstance(values.get(key), list):
            values[key] = _Flow(values[key])
    if values.get("variants"):
        values["variants"] = {k: _Block(v) for k, v in values["variants"].items()}
    if values.get("groups"):
        values["groups"] = [_Flow(group) for group in values["groups"]]
    if values.get("entries"):
        values["entries"] = [{k: _Flow(v) if isinstance(v, list) else v for k, v in e.items()}
                             for e in values["entries"]]
    if not values.get("variants"):
        values.pop("variants", None)
    return {key: values[key] for key in _KEY_ORDER if values.get(key) is not None}


def dump_item(item: ItemData) -> str:
    """Render an item as file text: front matter in a stable key order, then the body."""
    text = yaml.dump(_front_matter(item), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=2**30)
    if "\n---\n" in "\n" + text:
        raise ValueError(f"{item.slug}: front matter would contain a bare --- line")
    body = normalize_body(item.body)
    return f"---\n{text}---\n{body}"


def export_relpath(item: ItemData) -> PurePosixPath:
    """Where an item lives in the repository layout (docs/FORMAT.md), relative to the root."""
    if not SLUG_RE.fullmatch(item.slug):
        raise FileError(item.source or item.slug, None, f"slug“{item.slug}”不合法，不能导出")
    if item.type == "template":
        folder = _safe_folder(str(item.meta.get("folder") or "")) or category_folder(item.category)
        return PurePosixPath("scripts_lib", folder, f"{item.slug}.md")
    if item.type not in _EXPORT_DIRS:
        raise FileError(item.source or item.slug, None, f"未知类型“{item.type}”，不能导出")
    return PurePosixPath(_EXPORT_DIRS[item.type], f"{item.slug}.md")


def write_tree(items: Iterable[ItemData], dest: Path) -> list[Path]:
    """Write items under dest, never outside it; each file is replaced atomically."""
    root = Path(dest).resolve()
    planned: dict[Path, str] = {}
    for item in items:
        target = root / export_relpath(item)
        if not target.resolve().is_relative_to(root):
            raise FileError(str(target), None, f"拒绝写到导出目录 {root} 之外")
        if target in planned:
            raise FileError(str(target), None, f"两个条目会导出到同一个文件（slug“{item.slug}”）")
        planned[target] = dump_item(item)
    for target, text in planned.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.parent.resolve().is_relative_to(root):
            raise FileError(str(target), None, f"拒绝写到导出目录 {root} 之外")
        _write_atomic(target, text)
    return list(planned)


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
