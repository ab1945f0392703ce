"""Plain data passed in and out of the search engine."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SearchDoc:
    """One indexable version of an item; published and draft are separate docs."""

    doc_id: str  # f"{slug}@{status}"
    slug: str
    type: str
    status: str  # "published" | "draft"
    title: str
    category: str
    tags: list[str]
    summary: str
    body: str  # plain text; Markdown already stripped by the caller
    version: int  # revision id it reflects

    @classmethod
    def make(cls, *, slug: str, status: str = "published", **fields) -> SearchDoc:
        """Build a doc with the conventional ``slug@status`` id."""
        fields.setdefault("tags", [])
        fields.setdefault("summary", "")
        fields.setdefault("body", "")
        fields.setdefault("version", 1)
        return cls(doc_id=f"{slug}@{status}", slug=slug, status=status, **fields)


@dataclass(frozen=True)
class Demotion:
    """Entries (by slug) whose relevance counts only ``factor`` of itself, e.g. those past review.

    The engine applies it to every match before taking a page, so one order holds across pages.
    """

    slugs: frozenset[str]
    factor: float


@dataclass
class Hit:
    """One result; ``snippet`` and ``title_html`` are safe HTML with ``<mark>``."""

    slug: str
    title: str
    type: str
    category: str
    tags: list[str]
    snippet: str
    score: float
    status: str
    doc_id: str = ""
    title_html: str = ""


@dataclass
class SearchResults:
    """A page of results with facet counts over the whole matching set."""

    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    message: str | None = None
    confidence: str = "none"  # high: the first result plainly answers; low: it may not; none: nothing found
    # no word of the query is in the library: the results only share characters with it, and the
    # search counts as finding nothing in the trainers' gap report
    nothing_held: bool = False
