"""Markdown files with YAML front matter ⇄ items (the content format of docs/FORMAT.md).

This package owns the on-disk format: decoding and sanity-checking raw bytes
(reading), a string-only YAML loader that refuses anchors, aliases, tags and
duplicate keys (reading), per-type validation (validate), the export layout
(layout) and writing files safely (writer). It imports neither Flask nor the
database: the caller applies parsed items (all-or-nothing) and makes revisions.
"""

from __future__ import annotations

from kbsite.files.archive import read_zip, write_zip
from kbsite.files.foreign import Lenient, SlugPool, first_paragraph
from kbsite.files.layout import category_folder
from kbsite.files.model import (
    ALL_TYPES,
    CHANNELS,
    CONFIG_TYPES,
    DEFAULT_REVIEW_DAYS,
    KINDS,
    MAX_BODY_CHARS,
    MAX_FILE_BYTES,
    SLUG_RE,
    STATUSES,
    TRAINING_TYPES,
    FileError,
    ImportFailed,
    ItemData,
)
from kbsite.files.parse import collect, parse_item
from kbsite.files.reading import load_front_matter, normalize_body
from kbsite.files.slugs import pinyin_slug, unique_slug
from kbsite.files.writer import dump_item, export_relpath, write_tree

__all__ = [
    "ALL_TYPES", "CHANNELS", "CONFIG_TYPES", "DEFAULT_REVIEW_DAYS", "KINDS", "MAX_BODY_CHARS",
    "MAX_FILE_BYTES", "SLUG_RE", "STATUSES", "TRAINING_TYPES", "FileError", "ImportFailed",
    "ItemData", "Lenient", "SlugPool", "category_folder", "first_paragraph", "pinyin_slug", "unique_slug", "collect", "dump_item", "export_relpath", "load_front_matter",
    "normalize_body", "parse_item", "read_zip", "write_tree", "write_zip",
]
