"""Training content as trainees see it: published quizzes, courses and lessons, and the lexicon check.

Quizzes, lessons and courses are ordinary items; this module reads their
*published* revision (an attempt keeps the exact revision it started on),
renders lessons with their embedded knowledge entries, and builds the
forbidden-phrase checker from the published ``lexicon`` item.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from kbsite import markdown
from kbsite.content import service as content
from kbsite.content.models import Item, Revision
from kbsite.db import session
from kbsite.errors import Invalid, NotFound
from kbsite.phrasing import check_text, parse_lexicon
from kbsite.training import replygrading
from kbsite.training.grading import GradingContext
from kbsite.training.quizformat import (
    Course,
    Quiz,
    QuizFormatError,
    normalize_course,
    normalize_quiz,
)

LEXICON_SLUG = "forbidden-phrases"
_EMBED_RE = re.compile(r"^\s*\[\[([a-z0-9-]{2,80})\]\]\s*$")
_LINK_RE = re.compile(r"\[\[([a-z0-9-]{2,80})(?:\|([^\]\n]{1,80}))?\]\]")


@dataclass(frozen=True)
class Published:
    """A training item with the revision trainees use."""

    item: Item
    rev: Revision

    @property
    def slug(self) -> str:
        return self.item.slug

    @property
    def title(self) -> str:
        return self.rev.title


def published(slug: str, type_: str, sess: Session | None = None) -> Published:
    """The published revision of a training item of ``type_``; NotFound otherwise."""
    item = (sess or session()).scalar(select(Item).where(Item.slug == slug, Item.type == type_))
    if item is None or item.published is None:
        raise NotFound("找不到该培训内容，或尚未发布")
    return Published(item, item.published)


def all_published(type_: str) -> list[Published]:
    """Every published item of ``type_``, by title."""
    items = session().scalars(select(Item).where(Item.type == type_, Item.published_revision_id.is_not(None)))
    return sorted((Published(i, i.published) for i in items), key=lambda p: p.rev.title)


def quiz_of(rev: Revision) -> Quiz:
    """The typed quiz of a revision; a stored revision that no longer validates is an Invalid."""
    try:
        return normalize_quiz(rev.meta)
    except QuizFormatError as exc:
        raise Invalid("测验格式有误：" + "；".join(exc.errors)) from exc


def course_of(pub: Published) -> Course:
    """The typed course of a published course item."""
    try:
        return normalize_course(pub.rev.meta, pub.slug)
    except QuizFormatError as exc:
        raise Invalid("课程格式有误：" + "；".join(exc.errors)) from exc


def titles(slugs: Sequence[str]) -> dict[str, str]:
    """Titles of items by slug (published, else latest), for links in feedback and steps."""
    if not slugs:
        return {}
    rows = session().scalars(select(Item).where(Item.slug.in_(set(slugs))))
    out = {}
    for item in rows:
        rev = item.published or item.latest
        if rev is not None:
            out[item.slug] = rev.title
    return out


# --- lessons -------------------------------------------------------------------------------


def _inline_links(text: str) -> str:
    def link(m: re.Match) -> str:
        label = (m.group(2) or m.group(1)).replace("[", "［").replace("]", "］")
        return f"[{label}](/items/{m.group(1)})"

    return _LINK_RE.sub(link, text)


def _embed(slug: str) -> Markup:
    """The current published text of a knowledge entry, quoted with a link to it."""
    item = session().scalar(select(Item).where(Item.slug == slug))
    rev = content.agent_revision(item) if item is not None else None
    if rev is None:
        return Markup('<aside class="embed embed-missing">引用的条目“{}”不存在或尚未发布。</aside>').format(slug)
    summary = rev.meta.get("summary")
    parts = [Markup('<aside class="embed" data-slug="{}"><p class="embed-title">📖 <a href="/items/{}">{}</a>'
                    '<span class="muted">（知识库当前版本）</span></p>').format(slug, slug, rev.title)]
    if summary:
        parts.append(Markup('<p class="embed-summary">{}</p>').format(summary))
    body = f'<pre class="reply">{escape(rev.body)}</pre>' if item.type == "template" else rev.html
    parts.append(Markup(body))  # stored html went through the sanitiser when it was saved
    parts.append(Markup("</aside>"))
    return Markup("").join(parts)


def render_lesson(body: str) -> Markup:
    """A lesson's Markdown with ``[[slug]]`` lines replaced by that entry's published text."""
    chunks: list[Markup] = []
    text: list[str] = []

    def flush() -> None:
        if any(line.strip() for line in text):
            chunks.append(Markup(markdown.render_html(_inline_links("\n".join(text)))))
        text.clear()

    for line in body.split("\n"):
        m = _EMBED_RE.match(line)
        if m:
            flush()
            chunks.append(_embed(m.group(1)))
        else:
            text.append(line)
    flush()
    return Markup("").join(chunks)


def citations_of(type_: str, rev: Revision) -> frozenset[str]:
    """The knowledge slugs a lesson (``[[slug]]`` embeds and links) or a quiz (``cite:``) refers to."""
    if type_ == "lesson":
        return frozenset(m.group(1) for m in _LINK_RE.finditer(rev.body or ""))
    questions = rev.meta.get("questions") if isinstance(rev.meta, dict) else None
    return frozenset(str(q["cite"]).strip() for q in questions or []
                     if isinstance(q, dict) and isinstance(q.get("cite"), str) and q["cite"].strip())


def time_limits(slugs: Sequence[str]) -> dict[str, int]:
    """``time_limit_seconds`` of published quizzes by slug (untimed quizzes are left out)."""
    out = {}
    for item in session().scalars(select(Item).where(Item.slug.in_(set(slugs)), Item.type == "quiz")):
        raw = item.published.meta.get("time_limit_seconds") if item.published else None
        if raw not in (None, "") and str(raw).isdigit():
            out[item.slug] = int(raw)
    return out


def render_prompt(text: str) -> Markup:
    """A question prompt or explanation as safe HTML (Markdown, with [[slug|文字]] links)."""
    return Markup(markdown.render_html(_inline_links(text))) if text else Markup("")


# --- the lexicon ---------------------------------------------------------------------------


_LEXICONS: dict[str, tuple] = {}


def _lexicon(rev: Revision) -> tuple:
    """Parsed once per revision content (revisions are immutable; the hash covers the meta)."""
    if rev.content_hash not in _LEXICONS:
        if len(_LEXICONS) > 8:
            _LEXICONS.clear()
        _LEXICONS[rev.content_hash] = tuple(parse_lexicon(rev.meta))
    return _LEXICONS[rev.content_hash]


def forbidden_checker(sess: Session | None = None):
    """check_forbidden for grading: (phrase, category, suggestion, severity) from the published lexicon.

    Every severity is returned; each question's ``penalties`` decides which ones count.
    """
    item = (sess or session()).scalar(select(Item).where(Item.slug == LEXICON_SLUG, Item.type == "lexicon"))
    if item is None or item.published is None:
        return lambda text: []
    lexicon = _lexicon(item.published)

    def check(text: str) -> list[tuple[str, str, str, str]]:
        return [(i.phrase, i.category, i.suggestion, i.severity) for i in check_text(text, lexicon)]

    return check


def synonym_groups(sess: Session | None = None) -> tuple[tuple[str, ...], ...]:
    """The published search synonym groups (content/search/synonyms.md), which grading reuses."""
    item = (sess or session()).scalar(select(Item).where(Item.type == "synonyms",
                                                         Item.published_revision_id.is_not(None)))
    if item is None:
        return ()
    groups = item.published.meta.get("groups") or []
    return tuple(tuple(str(w) for w in g) for g in groups if isinstance(g, list))


def cited_texts(sess: Session | None = None):
    """slug → summary and body of the entry as agents see it (policies: the revision in force), read once."""
    cache: dict[str, str] = {}

    def text(slug: str) -> str:
        if slug not in cache:
            item = (sess or session()).scalar(select(Item).where(Item.slug == slug))
            rev = content.agent_revision(item, sess=sess) if item is not None else None
            cache[slug] = f"{rev.meta.get('summary') or ''}\n{rev.body}" if rev is not None else ""
        return cache[slug]

    return text


def grading_context(seed: int, sess: Session | None = None) -> GradingContext:
    """Everything grading needs: the published lexicon check and synonym groups, the entries questions
    cite (the rules a written reply must not contradict), and the second signal."""
    semantic = replygrading.semantic.similarity if current_app.config.get("TRAINING_SEMANTIC_SIGNAL") else None
    return GradingContext(seed, forbidden_checker(sess), synonym_groups(sess), semantic, cited_texts(sess))
