"""Replies composed from several pieces: copy the whole reply, list recent compositions."""

from __future__ import annotations

from flask import jsonify

from kbsite.api import bp
from kbsite.auth.access import current_actor
from kbsite.auth.permissions import require
from kbsite.jsonbody import json_object
from kbsite.phrasing import PlaceholderError
from kbsite.workspace import compositions, lexicon, replies


@bp.post("/compose/copy")
@require("copy")
def copy_composed():
    """The filled reply of several pieces; 400 names unfilled placeholders (nothing is counted then)."""
    data = json_object()
    slugs = compositions.clean_slugs(data.get("pieces"))
    values = replies.clean_values(data.get("values"))
    try:
        text = compositions.copy_reply(current_actor(), slugs, values)
    except PlaceholderError as exc:
        return jsonify(error=str(exc), missing=exc.missing, unknown=exc.unknown), 400
    return jsonify(text=text, issues=lexicon.issues_json(text, lexicon.check(text)))


@bp.get("/me/compositions")
@require("read")
def my_compositions():
    """The caller's recently copied compositions, newest first."""
    return jsonify(compositions=[c.as_json() for c in compositions.recent(current_actor())])
