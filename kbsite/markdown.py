"""Markdown → safe HTML, and Markdown → plain text for the search index.

This is the only module that calls Python-Markdown or nh3. The pipeline is:
size cap → Python-Markdown (tables, fenced_code, sane_lists, nl2br, attr_list,
toc) under a render-time budget → nh3 with an allow-list (reliability.md
§2.3) as the very last step. Whatever an extension emits, only the allow-list
survives, so attr_list and raw HTML cannot add scripts, handlers or styles.

Python-Markdown has super-linear inputs (issue #798: ``'[' * 20000`` takes
~40 s). They are bounded in two ways:

* the link/image processors are replaced by versions whose bracket matching
  hops over bracket characters with ``re`` (at most ``_MAX_BRACKET_HOPS``) and
  whose ``(...)`` scan is limited to ``_MAX_LINK_CHARS``, so bracket runs
  render in linear time instead of being refused;
* every block parse, link attempt and inline match checks a CPU-time deadline
  (``RENDER_BUDGET_SECONDS`` of this thread's CPU); past it, or on ``RecursionError`` from deep
  nesting, rendering stops with :class:`MarkdownTooComplex`;
* HTML nested deeper than ``_MAX_HTML_NESTING`` is refused before nh3,
  whose HTML parser is quadratic in nesting depth (20,000 ``<div>`` ≈ 2 s).

Normal text never gets a silently different result: it either renders fully
or is refused with a clear message.

Bump ``RENDERER_VERSION`` whenever the extensions, their configuration or the
sanitiser policy change, so stored HTML is re-rendered.
"""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from typing import Any

import markdown as _md
import nh3
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markdown.inlinepatterns import (
    IMAGE_LINK_RE,
    IMAGE_REFERENCE_RE,
    LINK_RE,
    REFERENCE_RE,
    ImageInlineProcessor,
    ImageReferenceInlineProcessor,
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
)

RENDERER_VERSION = 1
MAX_MARKDOWN_CHARS = 200_000
RENDER_BUDGET_SECONDS = 1.5

_MAX_BRACKET_HOPS = 16
_MAX_LINK_CHARS = 4096
_MAX_HTML_NESTING = 1000
_HEADING_ID_PREFIX = "user-content-"


class MarkdownRejected(ValueError):
    """Base class: the Markdown was refused, nothing was rendered."""


class MarkdownTooLarge(MarkdownRejected):
    """The text is longer than ``MAX_MARKDOWN_CHARS``."""

    def __init__(self, length: int) -> None:
        self.length = length
        super().__init__(
            f"内容过长：共 {length} 个字符，上限为 {MAX_MARKDOWN_CHARS} 个字符。请拆分成几篇再保存。"
        )


class MarkdownTooComplex(MarkdownRejected):
    """Rendering exceeded the time budget or the nesting limit."""

    def __init__(self) -> None:
        super().__init__(
            "内容结构过于复杂（例如嵌套层级过深或大量未闭合的方括号），"
            f"无法在 {RENDER_BUDGET_SECONDS:g} 秒内排版。请简化格式后再保存。"
        )


# --- render budget ---------------------------------------------------------


class _Budget:
    """CPU-time deadline for one render; checked cheaply from hot paths.

    Thread CPU time, not wall time, so a busy server does not refuse normal
    documents; the clock is read on every 32nd tick to keep the checks cheap.
    """

    __slots__ = ("deadline", "ticks")

    def __init__(self, seconds: float) -> None:
        self.deadline = time.thread_time() + seconds
        self.ticks = 0

    def tick(self, *, force: bool = False) -> None:
        self.ticks += 1
        if (force or not self.ticks & 31) and time.thread_time() > self.deadline:
            raise MarkdownTooComplex()


_BRACKET_RE = re.compile(r"[\[\]]")


class _BoundedLinkMixin:
    """Linear bracket matching and a bounded ``(...)`` scan for link processors."""

    md: Any

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:  # noqa: N802
        self.md.kb_budget.tick()
        if data.find("]", index) < 0:
            return "", index, False
        depth = 1
        for hops, m in enumerate(_BRACKET_RE.finditer(data, index)):
            if hops >= _MAX_BRACKET_HOPS:
                break
            depth += 1 if m.group() == "[" else -1
            if depth == 0:
                return data[index : m.start()], m.end(), True
        return "", index, False

    def getLink(self, data: str, index: int) -> tuple[str, str | None, int, bool]:  # noqa: N802
        self.md.kb_budget.tick()
        window_end = index + _MAX_LINK_CHARS
        if data.find(")", index, window_end) < 0:
            return "", None, index, False
        return super().getLink(data[:window_end], index)  # type: ignore[misc]


class _Link(_BoundedLinkMixin, LinkInlineProcessor):
    pass


class _Image(_BoundedLinkMixin, ImageInlineProcessor):
    pass


class _Reference(_BoundedLinkMixin, ReferenceInlineProcessor):
    pass


class _ImageReference(_BoundedLinkMixin, ImageReferenceInlineProcessor):
    pass


class _ShortReference(_BoundedLinkMixin, ShortReferenceInlineProcessor):
    pass


class _ShortImageReference(_BoundedLinkMixin, ShortImageReferenceInlineProcessor):
    pass


class _BudgetExtension(Extension):
    """Swap in bounded link processors and put deadline checks on hot paths."""

    def extendMarkdown(self, md: Any) -> None:  # noqa: N802
        replacements = {
            "reference": (_Reference, REFERENCE_RE, 170),
            "link": (_Link, LINK_RE, 160),
            "image_link": (_Image, IMAGE_LINK_RE, 150),
            "image_reference": (_ImageReference, IMAGE_REFERENCE_RE, 140),
            "short_reference": (_ShortReference, REFERENCE_RE, 130),
            "short_image_ref": (_ShortImageReference, IMAGE_REFERENCE_RE, 125),
        }
        for name, (cls, pattern, priority) in replacements.items():
            md.inlinePatterns.register(cls(pattern, md), name, priority)
        for proc in md.inlinePatterns:
            proc.handleMatch = _with_budget(md, proc.handleMatch, force=False)
        md.parser.parseBlocks = _with_budget(md, md.parser.parseBlocks, force=True)


def _with_budget(md: Any, func: Any, *, force: bool) -> Any:
    def checked(*args: Any, **kwargs: Any) -> Any:
        md.kb_budget.tick(force=force)
        return func(*args, **kwargs)

    return checked


_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")
# Void elements and elements whose end tag HTML implies do not deepen the tree.
_FLAT_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
        "p",
        "li",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "option",
        "optgroup",
        "thead",
        "tbody",
        "tfoot",
        "colgroup",
        "caption",
        "rb",
        "rt",
        "rp",
    ]
)


def _check_html_nesting(raw: str) -> None:
    """Refuse deeply nested HTML: html5ever (inside nh3) is quadratic in nesting depth."""
    depth = 0
    for m in _TAG_RE.finditer(raw):
        if m.group(2).lower() in _FLAT_TAGS:
            continue
        if m.group(1):
            depth = max(depth - 1, 0)
            continue
        depth += 1
        if depth > _MAX_HTML_NESTING:
            raise MarkdownTooComplex()


def _heading_slug(value: str, separator: str) -> str:
    return _HEADING_ID_PREFIX + (slugify_unicode(value, separator)[:80] or "h")


def _new_markdown() -> _md.Markdown:
    md = _md.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            "sane_lists",
            "nl2br",
            "attr_list",
            "toc",
            _BudgetExtension(),
        ],
        extension_configs={
            "tables": {"use_align_attribute": True},
            "toc": {"slugify": _heading_slug, "permalink": False, "anchorlink": False},
        },
        output_format="html",
    )
    md.kb_budget = _Budget(float("inf"))  # type: ignore[attr-defined]
    return md


# --- sanitiser policy (reliability.md §2.3) --------------------------------

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "del", "s",
    "code", "pre", "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td",
    "a", "img", "sup", "sub", "kbd",
}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_ATTRS = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
    "ol": {"start"},
    **{h: {"id"} for h in _HEADINGS},
    "*": set(),  # replaces ammonia's default generic attributes (lang, title)
}
_URL_SCHEMES = {"http", "https", "mailto"}
_LINK_REL = "noopener noreferrer nofollow"

_CODE_CLASS_RE = re.compile(r"language-[\w+-]{1,30}")
_HEADING_ID_RE = re.compile(re.escape(_HEADING_ID_PREFIX) + r"[\w-]{1,80}")
_DIGITS_RE = re.compile(r"\d{1,5}")
_SCHEME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*:")
_URL_JUNK_RE = re.compile(r"[\x00-\x20\x7f]+")


def _image_src_ok(value: str) -> bool:
    """Images: https, or a same-site path (e.g. /uploads/…); never http, data: or //host."""
    url = _URL_JUNK_RE.sub("", value)
    if url.lower().startswith("https://"):
        return True
    if _SCHEME_RE.match(url):
        return False
    return not url.replace("\\", "/").startswith("//")


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    """Per-value rules that nh3's tag/attribute allow-list cannot express."""
    if attribute == "class":
        return value if element == "code" and _CODE_CLASS_RE.fullmatch(value) else None
    if attribute == "id":
        return value if _HEADING_ID_RE.fullmatch(value) else None
    if attribute == "align":
        return value if value in ("left", "right", "center") else None
    if attribute in ("width", "height", "start"):
        return value if _DIGITS_RE.fullmatch(value) else None
    if element == "img" and attribute == "src":
        return value if _image_src_ok(value) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style"},
    attributes=_ATTRS,
    attribute_filter=_filter_attribute,
    strip_comments=True,
    link_rel=_LINK_REL,
    url_schemes=_URL_SCHEMES,
)


# --- public API --------------------------------------------------------------


def render_html(text: str) -> str:
    """Turn an item's Markdown into HTML that is safe to mark ``|safe`` in templates."""
    if len(text) > MAX_MARKDOWN_CHARS:
        raise MarkdownTooLarge(len(text))
    md = _new_markdown()
    md.kb_budget = _Budget(RENDER_BUDGET_SECONDS)  # type: ignore[attr-defined]
    try:
        raw = md.convert(text)
    except RecursionError as exc:
        raise MarkdownTooComplex() from exc
    _check_html_nesting(raw)
    return _CLEANER.clean(raw)


_BLOCK_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "ul", "ol", "li",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


class _TextExtractor(HTMLParser):
    """Collect text from sanitised HTML, with a break at block boundaries."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")
        if tag == "img":
            self.parts.append(" " + (dict(attrs).get("alt") or "") + " ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def to_plain_text(text: str) -> str:
    """Markdown → plain text (no tags, entities decoded, whitespace collapsed) for search."""
    parser = _TextExtractor()
    parser.feed(render_html(text))
    parser.close()
    return " ".join("".join(parser.parts).split())
