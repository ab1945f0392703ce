"""Uploaded files kept between an import's preview and its confirmation.

The preview must not write to the library, and the confirmation must apply exactly
the file that was previewed, so the upload is kept on disk under a random token,
tied to the user who sent it, and removed once applied or after a day.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from kbsite.errors import NotFound

MAX_AGE_SECONDS = 24 * 3600
TOKEN_RE = re.compile(r"[0-9a-f]{32}")


def stage(folder: Path, user_id: int, name: str, data: bytes) -> str:
    """Keep ``data`` for ``user_id``; return the token that names it."""
    folder.mkdir(parents=True, exist_ok=True)
    _purge(folder)
    token = secrets.token_hex(16)
    (folder / f"{token}.bin").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"user": user_id, "name": name}), encoding="utf-8")
    return token


def load(folder: Path, token: str, user_id: int) -> tuple[str, bytes]:
    """(file name, bytes) of a staged upload of this user; NotFound when gone or someone else's."""
    if not TOKEN_RE.fullmatch(token or ""):
        raise NotFound("找不到这次上传，请重新上传文件")
    try:
        info = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        data = (folder / f"{token}.bin").read_bytes()
    except (OSError, ValueError):
        raise NotFound("这次上传已过期或已导入，请重新上传文件") from None
    if info.get("user") != user_id:
        raise NotFound("找不到这次上传，请重新上传文件")
    return str(info["name"]), data


def discard(folder: Path, token: str) -> None:
    """Remove a staged upload (after it was applied)."""
    if TOKEN_RE.fullmatch(token or ""):
        for suffix in (".bin", ".json"):
            (folder / f"{token}{suffix}").unlink(missing_ok=True)


def _purge(folder: Path) -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in folder.iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
