"""A reply composed from several pieces (templates and answer snippets) with shared placeholders.

Pieces keep their order; a placeholder name used by several pieces (``{{客户称呼}}``) is one
field, filled once for all of them. Filling goes through placeholders.py: values are inserted
literally, never evaluated. No Flask and no database here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kbsite.phrasing.placeholders import (
    PlaceholderError,
    find_placeholders,
    render_preview,
    render_template,
)

MAX_PIECES = 10
SEPARATOR = "\n"


@dataclass(frozen=True)
class Piece:
    """One part of a reply: a template's text or an entry's summary."""

    slug: str
    title: str
    text: str
    kind: str = "template"


def shared_placeholders(pieces: Sequence[Piece]) -> list[str]:
    """Every placeholder name across the pieces, once, in order of first appearance."""
    return list(dict.fromkeys(name for p in pieces for name in find_placeholders(p.text)))


def usage_counts(pieces: Sequence[Piece]) -> dict[str, int]:
    """How many pieces use each name (the form marks names shared by several)."""
    return {name: sum(name in find_placeholders(p.text) for p in pieces) for name in shared_placeholders(pieces)}


def reorder(pieces: Sequence[Piece], index: int, to: int) -> list[Piece]:
    """The pieces with the one at ``index`` moved to position ``to`` (clamped)."""
    out = list(pieces)
    if not 0 <= index < len(out):
        raise IndexError(index)
    piece = out.pop(index)
    out.insert(max(0, min(to, len(out))), piece)
    return out


def _joined(pieces: Sequence[Piece]) -> str:
    if not pieces:
        raise ValueError("a reply needs at least one piece")
    if len(pieces) > MAX_PIECES:
        raise ValueError(f"at most {MAX_PIECES} pieces")
    return SEPARATOR.join(p.text.strip("\n") for p in pieces)


def compose(pieces: Sequence[Piece], values: Mapping[str, str]) -> str:
    """The whole reply, every placeholder filled; PlaceholderError names gaps and strays."""
    text = _joined(pieces)
    names = shared_placeholders(pieces)
    unknown = [n for n in values if n not in names]
    relevant = {k: v for k, v in values.items() if k in names}
    try:
        filled = render_template(text, relevant)
    except PlaceholderError as exc:
        raise PlaceholderError(missing=exc.missing, unknown=unknown) from None
    if unknown:
        raise PlaceholderError(unknown=unknown)
    return filled


def preview(pieces: Sequence[Piece], values: Mapping[str, str]) -> str:
    """The reply as far as it is filled; empty placeholders stay visible as ``{{名称}}``."""
    return render_preview(_joined(pieces), values)
