"""Reply templates: placeholders (parse and fill, never evaluated) and the forbidden-phrase checker."""

from __future__ import annotations

from kbsite.phrasing.checker import (
    Issue,
    LexiconEntry,
    check_text,
    load_lexicon_file,
    parse_lexicon,
)
from kbsite.phrasing.placeholders import (
    PlaceholderError,
    find_placeholders,
    render_preview,
    render_template,
)

__all__ = [
    "Issue",
    "LexiconEntry",
    "PlaceholderError",
    "check_text",
    "find_placeholders",
    "load_lexicon_file",
    "parse_lexicon",
    "render_preview",
    "render_template",
]
