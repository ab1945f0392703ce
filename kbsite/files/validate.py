"""Per-type validation of front-matter keys; errors name file and line."""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, NoReturn

from yaml.nodes import MappingNode, Node, SequenceNode

from kbsite.content import types
from kbsite.files.model import (
    CHANNELS,
    COMMON_KEYS,
    DATE_RE,
    MAX_BODY_CHARS,
    MAX_TAG_CHARS,
    MAX_TITLE_CHARS,
    PLACEHOLDER_NAME_RE,
    PLACEHOLDER_RE,
    SLUG_RE,
    STATUSES,
    FileError,
)

# --- validation -----------------------------------------------------------------------------


@dataclass
class Doc:
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


def _clean_text(doc: Doc, value: Any, what: str, max_chars: int, single_line: bool,
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


def check_keys(doc: Doc, kind: str) -> None:
    allowed = COMMON_KEYS + types.get(kind).keys
    for key in doc.data:
        if key not in allowed:
            doc.fail(f"未知字段“{key}”：{kind} 类型可用的字段是 {', '.join(allowed)}", key)


def common_keys(doc: Doc) -> dict[str, Any]:
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


def _review_days(doc: Doc) -> int | None:
    raw = doc.text("review_interval_days", max_chars=10)
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 3650:
        doc.fail(f"review_interval_days 必须是 1–3650 之间的整数天数，不能是“{raw}”", "review_interval_days")
    return int(raw)


def _summary_meta(doc: Doc) -> dict[str, Any]:
    return {"summary": doc.text("summary", required=True, single_line=False)}


def _date(doc: Doc, key: str, required: bool) -> str | None:
    raw = doc.text(key, required=required, max_chars=10)
    if raw is None:
        return None
    try:
        ok = bool(DATE_RE.fullmatch(raw)) and date.fromisoformat(raw).isoformat() == raw
    except ValueError:
        ok = False
    if not ok:
        doc.fail(f"{key} 必须是有效日期，格式 YYYY-MM-DD（例如 2024-05-01），不能是“{raw}”", key)
    return raw


def _policy_meta(doc: Doc, body: str, body_line: int) -> dict[str, Any]:
    meta = _summary_meta(doc)
    meta["effective_from"] = _date(doc, "effective_from", required=True)
    return meta


def _case_meta(doc: Doc, body: str, body_line: int) -> dict[str, Any]:
    """A case may say when it happened and which policies it relies on (see docs/FORMAT.md)."""
    meta = _summary_meta(doc)
    when = _date(doc, "happened_on", required=False)
    if when:
        meta["happened_on"] = when
    policies = list(dict.fromkeys(doc.text_list("policies", max_chars=80)))
    for i, slug in enumerate(policies):
        if not SLUG_RE.fullmatch(slug):
            doc.fail(f"policies 中的“{slug}”不是有效的条目标识（slug）", "policies", i)
    if policies:
        meta["policies"] = policies
    return meta


def _placeholders_in(doc: Doc, text: str, first_line: int) -> Iterator[tuple[str, int]]:
    for match in PLACEHOLDER_RE.finditer(text):
        line = first_line + text.count("\n", 0, match.start())
        if not PLACEHOLDER_NAME_RE.fullmatch(match.group(1)):
            raise FileError(doc.src, line, f"占位符 {match.group(0)} 写法不对：花括号内写名称，不能有空格，"
                                           "例如 {{订单号}}")
        yield match.group(1), line


def _template_meta(doc: Doc, body: str, body_line: int) -> dict[str, Any]:
    declared = doc.text_list("placeholders", max_chars=50)
    for i, name in enumerate(declared):
        if not PLACEHOLDER_NAME_RE.fullmatch(name):
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


def _variants(doc: Doc) -> dict[str, str]:
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


def _synonyms_meta(doc: Doc, body: str, body_line: int) -> dict[str, Any]:
    groups = _list_of(doc, "groups", list, "列表，例如 [退款, 退钱, 返款]")
    out = []
    for i, group in enumerate(groups):
        words = list(dict.fromkeys(_sub_list(doc, group, f"groups 第 {i + 1} 组", "groups", i)))
        if len(words) < 2:
            doc.fail(f"groups 第 {i + 1} 组至少要有两个不同的词", "groups", i)
        out.append(words)
    return {"groups": out}


def _dictionary_meta(doc: Doc, body: str, body_line: int) -> dict[str, Any]:
    words = _sub_list(doc, _list_of(doc, "words", str, "词语"), "words", "words")
    for i, word in enumerate(words):
        if any(c.isspace() for c in word):
            doc.fail(f"words 中的“{word}”含有空格：分词词典的词语不能有空白", "words", i)
    return {"words": list(dict.fromkeys(words))}


def _list_of(doc: Doc, key: str, kind: type, what: str) -> list[Any]:
    value = doc.data.get(key)
    if value is None:
        doc.fail(f"缺少必填字段 {key}", key)
    if not isinstance(value, list):
        doc.fail(f"{key} 必须是列表", key)
    for i, item in enumerate(value):
        if not isinstance(item, kind):
            doc.fail(f"{key} 的第 {i + 1} 项必须是{what}", key, i)
    return value


def _sub_list(doc: Doc, value: Any, what: str, *path: str | int) -> list[str]:
    if not isinstance(value, list):
        doc.fail(f"{what} 必须是列表", *path)
    return [_clean_text(doc, v, f"{what}的第 {j + 1} 项", 200, True, *path, j) for j, v in enumerate(value)]


IMAGE_NAME_RE = re.compile(r"[^\\/:*?\"<>|\x00-\x1f]{1,80}\.(png|jpg|jpeg|webp)", re.IGNORECASE)
SHA256_RE = re.compile(r"[0-9a-f]{64}")
MAX_IMAGES = 20


def _images_meta(doc: Doc) -> dict[str, Any]:
    """``images: [{name: 尺码表.png, sha256: …}]``: files beside the Markdown (see content/images.py)."""
    raw = doc.data.get("images")
    if raw is None:
        return {}
    if not isinstance(raw, list) or len(raw) > MAX_IMAGES:
        doc.fail(f"images 必须是列表（最多 {MAX_IMAGES} 张），每项写 name 和 sha256", "images")
    out, names = [], set()
    for n, entry in enumerate(raw):
        name = entry.get("name") if isinstance(entry, dict) else None
        sha = entry.get("sha256") if isinstance(entry, dict) else None
        if set(entry if isinstance(entry, dict) else ()) - {"name", "sha256"}:
            doc.fail("images 的每一项只能有 name 和 sha256", "images", n)
        if not isinstance(name, str) or not IMAGE_NAME_RE.fullmatch(name) or name.startswith("."):
            doc.fail("图片文件名无效：只能是 .png/.jpg/.jpeg/.webp 文件名，不能含路径", "images", n)
        if not isinstance(sha, str) or not SHA256_RE.fullmatch(sha):
            doc.fail("图片的 sha256 必须是 64 位小写十六进制", "images", n)
        if name in names:
            doc.fail(f"图片文件名重复：{name}", "images", n)
        names.add(name)
        out.append({"name": name, "sha256": sha})
    return {"images": out}


def _with_images(meta: Callable[[Doc, str, int], dict[str, Any]]) -> Callable[[Doc, str, int], dict[str, Any]]:
    return lambda doc, body, line: meta(doc, body, line) | _images_meta(doc)


MetaValidator = Callable[[Doc, str, int], dict[str, Any]]
META: dict[str, MetaValidator] = {
    "faq": _with_images(lambda doc, body, line: _summary_meta(doc)),
    "case": _with_images(_case_meta),
    "policy": _with_images(_policy_meta),
    "template": _with_images(_template_meta),
    "synonyms": _synonyms_meta,
    "dictionary": _dictionary_meta,
    "lesson": lambda doc, body, line: {},
}


def register_meta(kind: str, validator: MetaValidator) -> None:
    """Register how the keys of ``kind`` are validated (called by the package that owns the type)."""
    META[kind] = validator


def meta_for(kind: str) -> MetaValidator:
    """The validator of ``kind``: registered, or loaded from the type's declared provider.

    Types without keys of their own need none; a declared provider that registers nothing is
    a programming error and fails loudly.
    """
    if kind not in META:
        ctype = types.get(kind)
        if ctype is not None and ctype.provider:
            importlib.import_module(ctype.provider)
        elif ctype is not None and not ctype.keys:
            return lambda doc, body, line: {}
    return META[kind]
