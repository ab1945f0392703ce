"""Template and reply-checker endpoints for chat tools and the workspace page.

JSON bodies must be sent as ``Content-Type: application/json`` (415 otherwise).
Offsets returned by ``/check`` are Python string indices (Unicode code points);
``start_utf16``/``end_utf16`` are the same positions counted in UTF-16 units,
as JavaScript strings index them (they differ after emoji and other astral characters).
"""

from __future__ import annotations

from flask import jsonify

from kbsite.api import bp
from kbsite.auth.access import current_actor
from kbsite.auth.permissions import require
from kbsite.content import published
from kbsite.errors import Invalid
from kbsite.jsonbody import json_object
from kbsite.phrasing import PlaceholderError
from kbsite.workspace import lexicon, replies, usage


def _channel(data: dict) -> str | None:
    channel = data.get("channel")
    if channel is not None and not isinstance(channel, str):
        raise Invalid("channel 必须是文字：在线、电话或邮件")
    return channel or None


def _filled(tpl: replies.TemplateText, data: dict, partial: bool = False):
    """Render or answer 400 with the names that are missing or do not belong."""
    values = replies.clean_values(data.get("values"))
    try:
        return replies.fill(tpl, values, _channel(data), partial=partial), None
    except PlaceholderError as exc:
        body = {"error": str(exc), "missing": exc.missing, "unknown": exc.unknown}
        return None, (jsonify(body), 400)


@bp.get("/templates/<slug>")
@require("read")
def get_template(slug: str):
    """A published template: text, placeholders, channel variants (and whether the caller pinned it)."""
    tpl = replies.published_template(slug)
    _, rev = published.published_entry(slug)
    return jsonify(tpl.as_json() | {"favourite": usage.is_favourite(tpl.item_id, current_actor()),
                                    "images": published.images_json(rev)})


@bp.post("/templates/<slug>/render")
@require("copy")
def render_reply(slug: str):
    """The filled reply, rendered on the server; no side effects."""
    data = json_object()
    text, error = _filled(replies.published_template(slug), data)
    return error or jsonify(text=text)


@bp.post("/templates/<slug>/copy")
@require("copy")
def copy_template(slug: str):
    """Render for the clipboard and count the copy (per template, user and day)."""
    data = json_object()
    tpl = replies.published_template(slug)
    text, error = _filled(tpl, data, partial=data.get("partial") is True)
    if error:
        return error
    count = usage.record_copy(tpl.item_id, current_actor())
    return jsonify(text=text, revision=tpl.revision, copies_today=count)


@bp.put("/templates/<slug>/favourite")
@require("copy")
def add_favourite(slug: str):
    """Pin a template (idempotent)."""
    tpl = replies.published_template(slug)
    return jsonify(slug=slug, favourite=usage.set_favourite(tpl.item_id, current_actor(), True))


@bp.delete("/templates/<slug>/favourite")
@require("copy")
def remove_favourite(slug: str):
    """Unpin a template (idempotent)."""
    tpl = replies.published_template(slug)
    return jsonify(slug=slug, favourite=usage.set_favourite(tpl.item_id, current_actor(), False))


@bp.get("/me/templates")
@require("read")
def my_templates():
    """The caller's favourites and recent templates, and the team's most-copied ones."""
    lists = usage.shortlists(current_actor())
    return jsonify({name: [r.as_json() for r in refs] for name, refs in lists.items()})


@bp.post("/check")
@require("read")
def check_reply():
    """Forbidden and risky phrases in a draft reply, with offsets into the text as sent."""
    text = json_object().get("text")
    if not isinstance(text, str):
        raise Invalid("text 必须是文字")
    if len(text) > lexicon.MAX_CHECK_CHARS:
        raise Invalid(f"文字过长（最多 {lexicon.MAX_CHECK_CHARS} 字）")
    rev_id, _ = lexicon.current_lexicon()
    issues = lexicon.check(text)
    return jsonify(issues=lexicon.issues_json(text, issues), lexicon_revision=rev_id)
