"""Images in the Markdown export and import: ``<slug>.images/<name>`` beside each entry's file.

Front matter names each image and its SHA-256 (``images: [{name, sha256}]``); export writes the
bytes beside the Markdown (a folder, or the browser's zip), import reads them back (from disk,
or from the uploaded zip, in memory), checks them like an upload and refuses a file whose
content does not match its hash. Images already stored need no file.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

from sqlalchemy import select

from kbsite import files
from kbsite.content import images
from kbsite.db import session
from kbsite.errors import Invalid
from kbsite.files import archive as archive_format


def folder_for(md_path: Path, slug: str) -> Path:
    """The folder holding an entry's images, beside its Markdown file."""
    return md_path.parent / f"{slug}.images"


def _export_paths(items: Iterable[files.ItemData]) -> list[tuple[PurePosixPath, str]]:
    """(path relative to the library root, sha256) of every image the exported files reference."""
    out = []
    for item in items:
        rel = PurePosixPath(files.export_relpath(item).as_posix())
        out += [(rel.parent / f"{item.slug}.images" / ref["name"], ref["sha256"]) for ref in images.refs(item.meta)]
    return out


def export_files(items: Iterable[files.ItemData], dest: Path) -> int:
    """Write every referenced image beside its exported Markdown file; returns the count."""
    root = Path(dest).resolve()
    written = 0
    for rel, sha256 in _export_paths(items):
        target = root / rel
        if not target.resolve().is_relative_to(root):
            raise Invalid(f"拒绝写到导出目录 {root} 之外：{target}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(images.get(sha256).data)
        written += 1
    return written


def zip_members(items: Iterable[files.ItemData]) -> list[tuple[str, bytes]]:
    """(member name, bytes) of every referenced image, for the library zip the browser downloads."""
    return [(rel.as_posix(), images.get(sha256).data) for rel, sha256 in _export_paths(items)]


def _known(hashes: set[str]) -> set[str]:
    if not hashes:
        return set()
    return set(session().scalars(select(images.Image.sha256).where(images.Image.sha256.in_(hashes))))


Reader = Callable[[files.ItemData, dict], tuple[bytes, str]]


def _store_referenced(items: Iterable[files.ItemData], read: Reader) -> int:
    """Store the images the items reference and the database lacks; every one is checked first."""
    items = list(items)
    known = _known({r["sha256"] for it in items for r in images.refs(it.meta)})
    pending: list[tuple[bytes, str]] = []
    for item in items:
        for ref in images.refs(item.meta):
            if ref["sha256"] in known:
                continue
            data, where = read(item, ref)
            checked = images.check(data, where)
            if checked.sha256 != ref["sha256"]:
                raise Invalid(f"{where}: 图片内容与 sha256 不符（文件被改过？）")
            pending.append((data, ref["name"]))
            known.add(ref["sha256"])
    for data, name in pending:
        images.store(data, name)
    return len(pending)


def import_files(items: Iterable[files.ItemData]) -> int:
    """Store the images the files on disk reference and the database lacks (``kbsite import``)."""
    def read(item: files.ItemData, ref: dict) -> tuple[bytes, str]:
        path = folder_for(Path(item.source), item.slug) / ref["name"]
        if not path.is_file():
            raise Invalid(f"{item.source}: 找不到图片文件 {path}")
        return path.read_bytes()[: images.MAX_BYTES + 1], str(path)

    return _store_referenced(items, read)


def import_zip(items: Iterable[files.ItemData], data: bytes, name: str) -> int:
    """Store the images an uploaded library zip carries for its entries (read in memory, capped).

    ``items`` are the entries parsed from that zip (``source`` is ``<name>:<member>``);
    each image is the member ``<slug>.images/<image name>`` beside the entry's file.
    """
    prefix = f"{name}:"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        raise Invalid(f"{name}: 不是有效的 zip 文件") from None

    budget = [archive_format.MAX_TOTAL_BYTES]  # images read from this zip, all held until stored

    def read(item: files.ItemData, ref: dict) -> tuple[bytes, str]:
        md = PurePosixPath(item.source.removeprefix(prefix))
        member = (md.parent / f"{item.slug}.images" / ref["name"]).as_posix()
        where = f"{name}:{member}"
        try:
            info = archive.getinfo(member)
        except KeyError:
            raise Invalid(f"{item.source}: 压缩包里找不到图片文件 {member}") from None
        if info.file_size > images.MAX_BYTES:
            raise Invalid(f"{where}: 图片过大，每张图片不超过 {images.MAX_BYTES // 1024 // 1024} MB")
        if info.compress_size and info.file_size / info.compress_size > archive_format.MAX_RATIO:
            raise Invalid(f"{where}: 压缩比异常（疑似压缩炸弹），已拒绝")
        budget[0] -= info.file_size
        if budget[0] < 0:
            raise Invalid(f"{name}: 压缩包里的图片合计超过 {archive_format.MAX_TOTAL_BYTES // 1024 // 1024} MB，请分批导入")
        with archive.open(info) as fh:
            return fh.read(images.MAX_BYTES + 1), where

    with archive:
        return _store_referenced([it for it in items if it.source.startswith(prefix)], read)


def require_stored(items: Iterable[files.ItemData]) -> None:
    """For files uploaded without their images (single .md files): every image must already exist."""
    items = list(items)
    wanted = {r["sha256"]: (it.source, r["name"]) for it in items for r in images.refs(it.meta)}
    missing = [v for k, v in wanted.items() if k not in _known(set(wanted))]
    if missing:
        src, name = missing[0]
        raise Invalid(f"{src}: 图片 {name} 不在本站，请把条目文件连同旁边同名的 .images 图片文件夹一起打包成 zip 上传")
