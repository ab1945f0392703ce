"""Clauses, folding and n-grams: the shared view of a reply that every grading signal reads.

A reply is folded once (``kbsite.textnorm.fold_chars``, length-preserving, so
offsets stay valid) and cut into clauses at punctuation and line breaks; every
signal then works on clause spans of the folded text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from kbsite.textnorm import fold_chars

CLAUSE_BREAK = re.compile(r"[，,。.!！?？;；:：\n\r]+")
LIST_BREAK = re.compile(r"[，,。.!！?？;；:：、/|\s\n\r~～…\-—·]+")
_NOT_CONTENT = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Clause:
    """One clause: ``start``/``end`` are offsets into the folded reply."""

    start: int
    end: int
    text: str


def squash(text: str) -> str:
    """Folded text without punctuation or spaces (what n-gram comparisons read)."""
    return _NOT_CONTENT.sub("", fold_chars(text))


def ngrams(text: str, n: int) -> set[str]:
    """Character n-grams of already squashed text."""
    return {text[i:i + n] for i in range(len(text) - n + 1)}


class Reply:
    """A reply folded once, with its clauses and content characters."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.folded = fold_chars(raw)

    @cached_property
    def clauses(self) -> list[Clause]:
        """Clauses in order; empty ones are dropped."""
        out, start = [], 0
        for m in CLAUSE_BREAK.finditer(self.folded):
            if self.folded[start:m.start()].strip():
                out.append(Clause(start, m.start(), self.folded[start:m.start()]))
            start = m.end()
        if self.folded[start:].strip():
            out.append(Clause(start, len(self.folded), self.folded[start:]))
        return out

    @cached_property
    def content(self) -> str:
        """The folded reply without punctuation or spaces."""
        return _NOT_CONTENT.sub("", self.folded)

    @cached_property
    def segments(self) -> list[str]:
        """Pieces between any list-like separator (commas, 、, spaces, slashes …)."""
        return [s for s in LIST_BREAK.split(self.folded) if s.strip()]

    def clause_at(self, offset: int) -> Clause | None:
        """The clause holding a folded offset."""
        return next((c for c in self.clauses if c.start <= offset < c.end), None)


def find_all(haystack: str, needle: str) -> Iterable[int]:
    """Every start offset of ``needle`` in ``haystack`` (overlapping)."""
    if not needle:
        return
    i = haystack.find(needle)
    while i >= 0:
        yield i
        i = haystack.find(needle, i + 1)
