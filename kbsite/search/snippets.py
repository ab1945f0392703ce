"""Cheap result snippets: a bounded window of stored text around the first match.

No Whoosh highlighter (the most expensive step of a short query, see
research/search.md): the stored summary and body are folded character by
character, so offsets found with the folded query terms point into the
original text, which is HTML-escaped piecewise with ``<mark>`` around matches.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from kbsite.textnorm import fold_chars

SNIPPET_CHARS = 120
_LEAD = 30


def build_snippet(text: str, terms: Iterable[str], width: int = SNIPPET_CHARS) -> str:
    """Safe HTML excerpt of ``text`` with matched terms wrapped in ``<mark>``."""
    text = " ".join(text.split())
    pattern = _pattern(terms)
    folded = fold_chars(text)
    first = pattern.search(folded) if pattern else None
    start = 0 if first is None else max(0, min(first.start() - _LEAD, len(text) - width))
    end = min(len(text), start + width)
    out = ["…" if start else ""]
    pos = start
    if pattern:
        for match in pattern.finditer(folded, start, end):
            out.append(html.escape(text[pos : match.start()]))
            out.append(f"<mark>{html.escape(text[match.start() : match.end()])}</mark>")
            pos = match.end()
    out.append(html.escape(text[pos:end]))
    out.append("…" if end < len(text) else "")
    return "".join(out).replace("</mark><mark>", "")


def _pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    unique = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not unique:
        return None
    return re.compile("|".join(re.escape(t) for t in unique[:200]))
