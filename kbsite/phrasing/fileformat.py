"""The lexicon's front matter, validated by the reply checker's own rules (registered with the file layer)."""

from __future__ import annotations

from typing import Any

from kbsite.files.validate import Doc, _list_of, register_meta
from kbsite.phrasing.checker import parse_lexicon


def _lexicon_meta(doc: Doc, body: str, body_line: int) -> dict[str, Any]:
    """Shape-check here; the reply checker owns the lexicon's rules (one place)."""
    entries = _list_of(doc, "entries", dict, "映射（phrase、category、severity 等）")
    try:
        parse_lexicon({"entries": entries})
    except ValueError as exc:
        doc.fail(str(exc), "entries")
    return {"entries": entries}


register_meta("lexicon", _lexicon_meta)
