"""Constants and data types of the content file format."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kbsite.content import types

# Snapshots of the registry's built-in types (kbsite.content.types is the source of truth;
# code that must see types declared later asks the registry).
KINDS = types.keys("kind")
CONFIG_TYPES = types.keys("config")
TRAINING_TYPES = types.keys("training")
ALL_TYPES = KINDS + CONFIG_TYPES + TRAINING_TYPES
DEFAULT_REVIEW_DAYS = {t.key: t.review_days for t in types.all_types()}
CHANNELS = ("在线", "电话", "邮件")
STATUSES = ("published", "draft")

MAX_FILE_BYTES = 2_000_000
MAX_BODY_CHARS = 200_000
MAX_TITLE_CHARS = 200
MAX_TAG_CHARS = 50
MAX_YAML_NODES = 20_000
MAX_YAML_DEPTH = 32

SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{1,79}")
PLACEHOLDER_RE = re.compile(r"\{\{(.*?)\}\}")
PLACEHOLDER_NAME_RE = re.compile(r"[^\s{}]+")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
BODY_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
UNSAFE_SEGMENT_RE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10)}
FOREIGN_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                 (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))

COMMON_KEYS = types.HEAD_KEYS + types.TAIL_KEYS
TYPE_KEYS: dict[str, tuple[str, ...]] = {t.key: t.keys for t in types.all_types()}
# Order of keys in exported front matter; "folder" is path-derived and never written.
KEY_ORDER = types.all_keys()
EXPORT_DIRS = {t.key: t.folder for t in types.all_types() if t.key != "template"}


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
