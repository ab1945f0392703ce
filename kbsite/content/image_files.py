"""Images in the Markdown export and import: ``<slug>.images/<name>`` beside each entry's file.

Front matter names each image and its SHA-256 (``images: [{name, sha256}]``); export writes the
bytes beside the Markdown, import reads them back, checks them like an upload and refuses a
file whose content does not match its hash. Images already stored need no file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select

from kbsite import files
from kbsite.content import images
from kbsite.db import session
from kbsite.errors import Invalid


def folder_for(md_path: Path, slug: str) -> Path:
    """The folder holding an entry's images, beside its Markdown file."""
    return md_path.parent / f"{slug}.images"


def export_files(items: Iterable[files.ItemData], dest: Path) -> int:
    """Write every referenced image beside its exported Markdown file; returns the count."""
    root = Path(dest).resolve()
    written = 0
    for item in items:
        for ref in images.refs(item.meta):
            target = folder_for(root / files.export_relpath(item), item.slug) / ref["name"]
            if not target.resolve().is_relative_to(root):
                raise Invalid(f"拒绝写到导出目录 {root} 之外：{target}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(images.get(ref["sha256"]).data)
            written += 1
    return written


def _known(hashes: set[str]) -> set[str]:
    if not hashes:
        return set()
    return set(session().scalars(select(images.Image.sha256).where(images.Image.sha256.in_(hashes))))


def import_files(items: Iterable[files.ItemData]) -> int:
    """Store the images the files reference and the database lacks; all are checked first."""
    items = list(items)
    known = _known({r["sha256"] for it in items for r in images.refs(it.meta)})
    pending: list[tuple[bytes, str]] = []
    for item in items:
        for ref in images.refs(item.meta):
            if ref["sha256"] in known:
                continue
            path = folder_for(Path(item.source), item.slug) / ref["name"]
            if not path.is_file():
                raise Invalid(f"{item.source}: 找不到图片文件 {path}")
            data = path.read_bytes()[: images.MAX_BYTES + 1]
            checked = images.check(data, str(path))
            if checked.sha256 != ref["sha256"]:
                raise Invalid(f"{path}: 图片内容与 sha256 不符（文件被改过？）")
            pending.append((data, ref["name"]))
            known.add(ref["sha256"])
    for data, name in pending:
        images.store(data, name)
    return len(pending)


def require_stored(items: Iterable[files.ItemData]) -> None:
    """For imports without image files (zip uploads): every referenced image must already exist."""
    items = list(items)
    wanted = {r["sha256"]: (it.source, r["name"]) for it in items for r in images.refs(it.meta)}
    missing = [v for k, v in wanted.items() if k not in _known(set(wanted))]
    if missing:
        src, name = missing[0]
        raise Invalid(f"{src}: 图片 {name} 不在本站，请用命令行 kbsite import 连同图片文件夹一起导入")
