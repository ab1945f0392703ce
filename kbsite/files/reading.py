"""Bytes to text, and a string-only YAML loader (no anchors, aliases, tags or duplicate keys)."""

from __future__ import annotations

import codecs
import unicodedata
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from kbsite.files.model import FOREIGN_BOMS, MAX_YAML_DEPTH, MAX_YAML_NODES, FileError

# --- bytes → text ---------------------------------------------------------------------------


def decode(data: bytes, src: str) -> str:
    """Strict UTF-8 (BOM tolerated) → NFC text with LF line endings."""
    for bom, encoding in FOREIGN_BOMS:
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


def split_front_matter(text: str, src: str) -> tuple[str, str, int]:
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


def compose(fm: str, src: str) -> Node | None:
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


def construct(node: Node, src: str) -> Any:
    """Node tree → str / list / dict, refusing duplicate or non-text keys."""
    if isinstance(node, ScalarNode):
        return unicodedata.normalize("NFC", node.value)
    if isinstance(node, SequenceNode):
        return [construct(child, src) for child in node.value]
    out: dict[str, Any] = {}
    first_line: dict[str, int] = {}
    for key, value in node.value:
        line = key.start_mark.line + 2
        if not isinstance(key, ScalarNode):
            raise FileError(src, line, "front matter 的键必须是普通文本")
        if key.value in out:
            raise FileError(src, line, f"重复的键“{key.value}”（第 {first_line[key.value]} 行已经写过）")
        first_line[key.value] = line
        out[key.value] = construct(value, src)
    return out


def load_front_matter(text: str, src: str = "（编辑器）") -> Any:
    """Load YAML text with the importer's rules (strings only, no aliases/tags, no duplicate keys)."""
    node = compose(text, src)
    return None if node is None else construct(node, src)
