"""Parsing one file and collecting a whole tree (all errors, then nothing applied)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode

from kbsite.content import types
from kbsite.files.layout import category_folder, folder_from_source, slug_from_name
from kbsite.files.model import (
    BODY_CONTROL_RE,
    MAX_BODY_CHARS,
    MAX_FILE_BYTES,
    FileError,
    ImportFailed,
    ItemData,
)
from kbsite.files.reading import compose, construct, decode, normalize_body, split_front_matter
from kbsite.files.validate import Doc, check_keys, common_keys, meta_for

# --- public API -----------------------------------------------------------------------------


def parse_item(data: bytes, name: str, source: str | None = None, *,
               max_bytes: int = MAX_FILE_BYTES) -> ItemData:
    """Parse one file's bytes into a validated item, or raise the first FileError found."""
    src = source or name
    if len(data) > max_bytes:
        raise FileError(src, None, f"文件过大：{len(data):,} 字节，上限 {max_bytes:,} 字节")
    slug = slug_from_name(name, src)
    fm, raw_body, body_line = split_front_matter(decode(data, src), src)
    body_line += _leading_blank_lines(raw_body)
    body = normalize_body(raw_body)
    _check_body(body, body_line, src)
    node = compose(fm, src)
    if not isinstance(node, MappingNode):
        raise FileError(src, 2, "front matter 必须是“键: 值”的映射（例如 title: …），不能是列表、文本或空白")
    doc = Doc(src, construct(node, src), node)
    kind = doc.text("type", required=True, max_chars=20)
    if types.get(kind) is None:
        doc.fail(f"未知类型“{kind}”：type 只能是 {', '.join(types.keys())}", "type")
    check_keys(doc, kind)
    common = common_keys(doc)
    meta = meta_for(kind)(doc, body, body_line)
    if kind == "template":
        folder = folder_from_source(src)
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
    bad = BODY_CONTROL_RE.search(body)
    if bad:
        raise FileError(src, first_line + body.count("\n", 0, bad.start()),
                        f"正文含有控制字符 U+{ord(bad.group()):04X}，请删除")


def collect(paths: Iterable[Path | str], *, max_file_bytes: int = MAX_FILE_BYTES,
            progress: Callable[[int, int, Path], None] | None = None,
            parse: Callable[..., ItemData] | None = None) -> list[ItemData]:
    """Parse every *.md under the given files and folders; raise ImportFailed listing ALL errors.

    Hidden files and folders, and README.md files, are skipped. ``progress(done, total, path)``
    is called after each file. Duplicate slugs across files are an error naming both files.
    ``parse`` replaces :func:`parse_item` (e.g. the lenient reader of files from other systems).
    """
    files, errors = _discover(paths)
    parse = parse or parse_item
    loaders = [(str(path), lambda path=path: _read_one(path, max_file_bytes, parse)) for path in files]
    return gather(loaders, errors, progress)


def gather(loaders: list[tuple[str, Callable[[], ItemData]]], errors: list[FileError] | None = None,
           progress: Callable[[int, int, Any], None] | None = None) -> list[ItemData]:
    """Run each (source, loader); collect every error and duplicate slug, then raise or return."""
    errors = list(errors or [])
    items: list[ItemData] = []
    seen: dict[str, str] = {}
    for done, (src, load) in enumerate(loaders, 1):
        try:
            item = load()
        except FileError as exc:
            errors.append(exc)
        else:
            if item.slug in seen:
                errors.append(FileError(src, None, f"slug“{item.slug}”重复：{seen[item.slug]} "
                                                   "也用了这个文件名，slug 必须唯一"))
            else:
                seen[item.slug] = src
                items.append(item)
        if progress:
            progress(done, len(loaders), src)
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


def _read_one(path: Path, max_bytes: int, parse: Callable[..., ItemData]) -> ItemData:
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
    return parse(data, path.name, source=str(path), max_bytes=max_bytes)
