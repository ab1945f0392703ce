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

from kbsite.textnorm import fold, fold_chars

SNIPPET_CHARS = 120
_LEAD = 30


def build_snippet(text: str, terms: Iterable[str], width: int = SNIPPET_CHARS) -> str:
    """Safe HTML excerpt of ``text`` with matched terms wrapped in ``<mark>``."""
    text = " ".join(text.split())
    pattern = _pattern(terms)
    start = _window_start(text, pattern, width)
    end = min(len(text), start + width)
    out = ["…" if start else ""]
    pos = start
    if pattern:
        # Fold only the shown window: stored bodies are long, snippets are not.
        window = _fold_same_length(text[start:end])
        for match in pattern.finditer(window):
            m_start, m_end = start + match.start(), start + match.end()
            out.append(html.escape(text[pos:m_start]))
            out.append(f"<mark>{html.escape(text[m_start:m_end])}</mark>")
            pos = m_end
    out.append(html.escape(text[pos:end]))
    out.append("…" if end < len(text) else "")
    return "".join(out).replace("</mark><mark>", "")


def _window_start(text: str, pattern: re.Pattern[str] | None, width: int) -> int:
    """Start of the window: a little before the first match (unfolded text tried first)."""
    if pattern is None:
        return 0
    first = pattern.search(text) or pattern.search(_fold_same_length(text))
    return 0 if first is None else max(0, min(first.start() - _LEAD, len(text) - width))


def _fold_same_length(text: str) -> str:
    """Folded text with offsets equal to the original's (OpenCC in one call when it keeps length)."""
    folded = fold(text)
    return folded if len(folded) == len(text) else fold_chars(text)


def _pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    unique = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not unique:
        return None
    return re.compile("|".join(re.escape(t) for t in unique[:200]))
