"""The reply checker as the site uses it: the published lexicon item, cached by revision.

The lexicon is the ``lexicon`` item ``forbidden-phrases`` (imported from
``scripts_lib/forbidden-phrases.md``); trainers edit it like any item, and the
parsed entries are rebuilt only when its published revision changes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import select

from kbsite.content.models import Item, Revision
from kbsite.db import session
from kbsite.phrasing import Issue, LexiconEntry, check_text, parse_lexicon

LEXICON_SLUG = "forbidden-phrases"
MAX_CHECK_CHARS = 20_000

_cache: dict[int, tuple[LexiconEntry, ...]] = {}
_cache_lock = threading.Lock()


def _published_revision_id() -> int | None:
    return session().scalar(
        select(Item.published_revision_id).where(Item.slug == LEXICON_SLUG, Item.type == "lexicon")
    )


def current_lexicon() -> tuple[int | None, tuple[LexiconEntry, ...]]:
    """(revision id, entries) of the published lexicon; empty when there is none."""
    rev_id = _published_revision_id()
    if rev_id is None:
        return None, ()
    with _cache_lock:
        cached = _cache.get(rev_id)
    if cached is None:
        rev = session().get(Revision, rev_id)
        cached = tuple(parse_lexicon(rev.meta))
        with _cache_lock:
            _cache.clear()  # only the current revision is worth keeping
            _cache[rev_id] = cached
    return rev_id, cached


def check(text: str) -> list[Issue]:
    """Every forbidden or risky phrase in ``text`` (see phrasing.checker for the rules)."""
    return check_text(text, current_lexicon()[1])


def utf16_offsets(text: str, issues: list[Issue]) -> dict[int, int]:
    """Map each issue offset (code points) to its UTF-16 offset, for JavaScript callers."""
    wanted = sorted({i.start for i in issues} | {i.end for i in issues})
    out, units, pos = {}, 0, 0
    for offset in wanted:
        units += sum(2 if ord(ch) > 0xFFFF else 1 for ch in text[pos:offset])
        pos = offset
        out[offset] = units
    return out


def issues_json(text: str, issues: list[Issue]) -> list[dict]:
    """The API shape of issues; offsets are code points, ``*_utf16`` for JS strings."""
    u16 = utf16_offsets(text, issues)
    return [
        {"start": i.start, "end": i.end, "start_utf16": u16[i.start], "end_utf16": u16[i.end],
         "text": text[i.start:i.end], "phrase": i.phrase, "category": i.category,
         "suggestion": i.suggestion, "severity": i.severity, "note": i.entry.note}
        for i in issues
    ]


@dataclass
class Segment:
    """A run of the checked text, flagged or not, for rendering highlights safely."""

    text: str
    issue: Issue | None = None


def segments(text: str, issues: list[Issue]) -> list[Segment]:
    """Split ``text`` at the issues (which never overlap) so a template can escape each run."""
    out, pos = [], 0
    for issue in issues:
        if issue.start > pos:
            out.append(Segment(text[pos:issue.start]))
        out.append(Segment(text[issue.start:issue.end], issue))
        pos = issue.end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out


def save_warning(type_: str, body: str, meta: dict) -> str | None:
    """The trainer's warning after saving a template that uses forbidden or risky phrases."""
    if type_ != "template":
        return None
    texts = [body, *[str(v) for v in (meta.get("variants") or {}).values()]]
    found = list(dict.fromkeys(f"「{t[i.start:i.end]}」（{i.category}）" for t in texts for i in check(t)))
    if not found:
        return None
    return "注意：该话术包含禁用语或风险用语 " + "、".join(found) + "，请按词库建议修改后再提交审核。"
