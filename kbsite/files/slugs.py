"""Readable, unique slugs from Chinese titles (pinyin), for imports and the editor."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Container

from pypinyin import lazy_pinyin

from kbsite.files.model import SLUG_RE

MAX_SLUG_WORDS_CHARS = 60  # leaves room for a "-NN" suffix under the 80-character limit


def pinyin_slug(title: str) -> str:
    """``七天无理由退货`` → ``qi-tian-wu-li-you-tui-huo``; falls back to a hash when nothing is left."""
    words = [re.sub(r"[^a-z0-9]+", "-", w.lower()).strip("-") for w in lazy_pinyin(title)]
    slug = ""
    for word in (w for w in words if w):
        if len(slug) + len(word) + 1 > MAX_SLUG_WORDS_CHARS:
            break
        slug = f"{slug}-{word}" if slug else word
    slug = re.sub(r"-{2,}", "-", slug)
    if not SLUG_RE.fullmatch(slug):
        slug = "item-" + hashlib.sha256(title.encode()).hexdigest()[:8]
    return slug


def unique_slug(title: str, taken: Container[str]) -> str:
    """The pinyin slug of ``title``, with ``-2``, ``-3`` … appended while it is taken."""
    base = pinyin_slug(title)
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug
