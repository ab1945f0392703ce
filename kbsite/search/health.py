"""The index folder's health in an operator's words: start-up checks and readiness.

A read-only or full index folder must never surface as a traceback: at start
:func:`check_index_folder` says what is wrong and where; while running,
:func:`describe_problem` turns the follower's failure into the same words for
``/readyz`` and the search page.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

MIN_FREE_BYTES = 64 * 2**20  # below this a rebuild would likely fail half-way
DEFAULT_MAX_LAG_SECONDS = 5.0

_ERRNO_WORDS = {
    errno.EROFS: "搜索索引目录所在的文件系统是只读的",
    errno.ENOSPC: "磁盘已满，无法写入搜索索引",
    errno.EDQUOT: "磁盘配额已用完，无法写入搜索索引",
    errno.EACCES: "没有写入搜索索引目录的权限",
    errno.EPERM: "没有写入搜索索引目录的权限",
}


def describe_problem(exc: BaseException) -> str:
    """Why the index could not be updated, in plain Chinese (no traceback, no class names)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno in _ERRNO_WORDS:
            where = f"（{cause.filename}）" if cause.filename else ""
            return _ERRNO_WORDS[cause.errno] + where
        cause = cause.__cause__ or cause.__context__
    if type(exc).__name__ == "SyncLockTimeout":
        return "搜索索引被另一个进程长时间占用，稍后会自动重试"
    return "搜索索引更新失败，稍后会自动重试；详情见服务器日志"


def check_index_folder(index_dir: Path) -> str | None:
    """None when the index folder (and its parent, for the lock files) can be written; else why not."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        for folder in (index_dir, index_dir.parent):
            probe = folder / f".write-check-{os.getpid()}"
            with open(probe, "wb") as fh:
                fh.write(b"\0" * 4096)
                fh.flush()
                os.fsync(fh.fileno())
            probe.unlink()
        free = shutil.disk_usage(index_dir).free
    except OSError as exc:
        return f"{describe_problem(exc)}。请检查搜索索引目录 {index_dir}（KBSITE_SEARCH_INDEX_DIR）。"
    if free < MIN_FREE_BYTES:
        return (f"搜索索引目录 {index_dir} 所在磁盘只剩 {free // 2**20} MB，"
                f"至少需要 {MIN_FREE_BYTES // 2**20} MB；请清理磁盘或换一个目录。")
    return None


def readiness(status: dict, database_ok: bool, max_lag: float) -> tuple[bool, dict]:
    """(ready, JSON body) from the service's status and whether the database answered."""
    lag = status.get("lag_seconds")
    stuck = bool(status.get("problem")) and status.get("behind", 0) > 0  # behind and failing to move
    caught_up = lag is not None and lag <= max_lag and not stuck
    ready = database_ok and status["index_present"] and caught_up
    body = {
        "status": "ready" if ready else "not ready",
        "database": "ok" if database_ok else "unreachable",
        "index": "present" if status["index_present"] else "missing",
        "index_lag_seconds": None if lag is None else round(lag, 3),
        "index_behind_entries": status.get("behind", 0),
        "max_lag_seconds": max_lag,
    }
    if status.get("problem"):
        body["problem"] = status["problem"]
    return ready, body
