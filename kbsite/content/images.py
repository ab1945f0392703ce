"""Images kept with templates and entries: validated, stored once by content hash, listed per revision.

A revision references its images in ``meta["images"]`` as ``[{"name", "sha256"}]`` (so a save
that adds or drops one makes a revision, and revert brings the old set back); the bytes live
in the ``images`` table keyed by SHA-256. Only PNG, JPEG and WebP pass, recognised by their
magic bytes and decoded by Pillow (never SVG or anything a browser might run), under a byte
cap and with sane dimensions.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image as PILImage
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, select
from sqlalchemy.orm import Mapped, mapped_column

from kbsite.db import Base, UTCDateTime, session, utcnow, write_session
from kbsite.errors import Invalid, NotFound

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 8000
MAX_PIXELS = 40_000_000
MAX_PER_ENTRY = 20
MAX_NAME_CHARS = 60
TYPES = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "WEBP": ("image/webp", "webp")}
EXTENSIONS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP"}
SHA_RE = re.compile(r"[0-9a-f]{64}")
_UNSAFE = re.compile(r"[^\w\u4e00-\u9fff.-]+")


class Image(Base):
    """The bytes of one image, stored once whatever the number of revisions using it."""

    __tablename__ = "images"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)


@dataclass(frozen=True)
class Checked:
    """An image that passed every check."""

    sha256: str
    mime: str
    ext: str
    width: int
    height: int
    data: bytes


def magic_format(data: bytes) -> str | None:
    """PNG, JPEG or WEBP from the first bytes; None for anything else (SVG, GIF, HTML…)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def check(data: bytes, name: str = "图片") -> Checked:
    """Validate an upload; Invalid says in Chinese what is wrong with it."""
    if not data:
        raise Invalid(f"「{name}」是空文件")
    if len(data) > MAX_BYTES:
        raise Invalid(f"「{name}」过大：{len(data) / 1024 / 1024:.1f} MB，每张图片不超过 {MAX_BYTES // 1024 // 1024} MB")
    fmt = magic_format(data)
    if fmt is None:
        raise Invalid(f"「{name}」不是 PNG、JPEG 或 WebP 图片（不支持 SVG、GIF 等格式）")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data), formats=[fmt]) as img:
                width, height = img.size
                _check_size(name, width, height)
                img.verify()
            with PILImage.open(io.BytesIO(data), formats=[fmt]) as img:
                img.load()  # verify() skips pixel data: a truncated file fails only here
    except Invalid:
        raise
    except Exception as exc:  # Pillow raises many types for broken files; all mean the same here
        raise Invalid(f"「{name}」已损坏或无法识别，请重新导出后上传") from exc
    mime, ext = TYPES[fmt]
    return Checked(hashlib.sha256(data).hexdigest(), mime, ext, width, height, data)


def _check_size(name: str, width: int, height: int) -> None:
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE) or width * height > MAX_PIXELS:
        raise Invalid(f"「{name}」尺寸不合理（{width}×{height}），宽高都不能超过 {MAX_SIDE} 像素")


def safe_name(name: str, ext: str) -> str:
    """A display and download name: no path, no odd characters, the extension of the real type."""
    stem = Path(str(name).replace("\\", "/")).name
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = _UNSAFE.sub("-", stem).strip(".-")[:MAX_NAME_CHARS] or "image"
    return f"{stem}.{ext}"


def store(data: bytes, name: str, uploader_id: int | None = None) -> dict:
    """Check and keep an image (once per content); returns the revision reference."""
    ok = check(data, name)
    with write_session() as sess:
        if sess.get(Image, ok.sha256) is None:
            sess.add(Image(sha256=ok.sha256, mime=ok.mime, width=ok.width, height=ok.height,
                           size=len(ok.data), data=ok.data, uploaded_by_id=uploader_id))
    return {"name": safe_name(name, ok.ext), "sha256": ok.sha256}


def get(sha256: str) -> Image:
    """The stored image, or NotFound."""
    img = session().get(Image, sha256) if SHA_RE.fullmatch(sha256 or "") else None
    if img is None:
        raise NotFound("找不到该图片")
    return img


def refs(meta: dict) -> list[dict]:
    """The image references of a revision's meta."""
    return [dict(r) for r in meta.get("images") or []]


def merge_refs(kept: list[dict], added: list[dict]) -> list[dict]:
    """Kept images then new ones, one per content, within the per-entry limit."""
    out: dict[str, dict] = {}
    for ref in [*kept, *added]:
        out.setdefault(ref["sha256"], ref)
    if len(out) > MAX_PER_ENTRY:
        raise Invalid(f"每个条目最多 {MAX_PER_ENTRY} 张图片")
    return list(out.values())


def described(meta: dict) -> list[dict]:
    """References with type and size, for pages and the API (URLs are added by the caller)."""
    wanted = refs(meta)
    if not wanted:
        return []
    rows = {row.sha256: row for row in session().execute(
        select(Image.sha256, Image.mime, Image.width, Image.height, Image.size)
        .where(Image.sha256.in_([r["sha256"] for r in wanted])))}
    return [{"name": r["name"], "sha256": r["sha256"], "type": rows[r["sha256"]].mime,
             "width": rows[r["sha256"]].width, "height": rows[r["sha256"]].height,
             "bytes": rows[r["sha256"]].size} for r in wanted if r["sha256"] in rows]
