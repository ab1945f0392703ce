"""The library as a zip archive: read in memory (no extraction to disk) and written in memory.

Zip members are never written to disk, so zip-slip names cannot escape anywhere;
they are still refused by ``parse_item``. Member count, sizes (declared *and*
actually read, since headers can lie) and compression ratio are capped.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from typing import IO

from kbsite.files.model import MAX_FILE_BYTES, FileError, ImportFailed, ItemData
from kbsite.files.parse import gather, parse_item
from kbsite.files.writer import dump_item, export_relpath

MAX_MEMBERS = 5000
MAX_TOTAL_BYTES = 100 * 1024 * 1024
MAX_RATIO = 200


def read_zip(stream: IO[bytes] | bytes, *, source: str = "upload.zip",
             max_members: int = MAX_MEMBERS, max_total: int = MAX_TOTAL_BYTES,
             parse: Callable[..., ItemData] = parse_item) -> list[ItemData]:
    """Parse every .md member; raise ImportFailed listing all problems (nothing applied)."""
    data = io.BytesIO(stream) if isinstance(stream, bytes) else stream
    try:
        archive = zipfile.ZipFile(data)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFailed([FileError(source, None, f"不是有效的 zip 文件：{exc}")]) from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and _wanted(m.filename)]
        if len(members) > max_members:
            raise ImportFailed([FileError(source, None, f"压缩包文件过多：{len(members)} 个，上限 {max_members}")])
        declared = sum(m.file_size for m in members)
        if declared > max_total:
            raise ImportFailed([FileError(source, None, f"解压后过大：{declared:,} 字节，上限 {max_total:,}")])
        budget = [max_total]
        loaders = [(f"{source}:{m.filename}", lambda m=m: _load(archive, m, source, budget, parse)) for m in members]
        return gather(loaders)


def _wanted(name: str) -> bool:
    """Markdown members, minus README and hidden files; suspicious names go on to be refused."""
    if ".." in name or "\\" in name:
        return True  # parse_item names the problem; never skipped silently
    base = name.rsplit("/", 1)[-1]
    hidden = any(part.startswith(".") for part in name.split("/")) or name.startswith("__MACOSX")
    return name.endswith(".md") and base != "README.md" and not hidden


def _load(archive: zipfile.ZipFile, member: zipfile.ZipInfo, source: str, budget: list[int],
          parse: Callable[..., ItemData]) -> ItemData:
    src = f"{source}:{member.filename}"
    if member.file_size > MAX_FILE_BYTES:
        raise FileError(src, None, f"文件过大：{member.file_size:,} 字节，上限 {MAX_FILE_BYTES:,}")
    if member.compress_size and member.file_size / member.compress_size > MAX_RATIO:
        raise FileError(src, None, "压缩比异常（疑似压缩炸弹），已拒绝")
    with archive.open(member) as fh:
        data = fh.read(min(MAX_FILE_BYTES, budget[0]) + 1)
    budget[0] -= len(data)
    if len(data) > MAX_FILE_BYTES or budget[0] < 0:
        raise FileError(src, None, "解压后的实际大小超过上限，已拒绝")
    return parse(data, member.filename, source=src)


def write_zip(items: Iterable[ItemData], extra: Iterable[tuple[str, bytes]] = ()) -> bytes:
    """The library as a zip in the repository layout (content/…, scripts_lib/…), plus ``extra``
    members (name, bytes) such as the entries' images."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in items:
            archive.writestr(export_relpath(item).as_posix(), dump_item(item))
        for name, data in extra:
            archive.writestr(name, data)
    return buf.getvalue()
