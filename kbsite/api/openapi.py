"""The OpenAPI 3.1 description of the API for chat tools, served at ``/api/openapi.json``.

Tests validate real responses against these schemas, so the description cannot drift.
"""

from __future__ import annotations

from flask import jsonify

from kbsite.api import bp
from kbsite.auth.permissions import public
from kbsite.content import types

NULLABLE_STR = {"type": ["string", "null"]}
COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}


def _obj(required: list[str], **props) -> dict:
    return {"type": "object", "required": required, "properties": props}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERR = {
    "400": _json(_ref("Error"), "Invalid input"),
    "401": _json(_ref("Error"), "No session and no valid bearer token"),
    "403": _json(_ref("Error"), "The user lacks the permission"),
}
NOT_FOUND = {"404": _json(_ref("Error"), "No such published template")}
NOT_JSON = {"415": _json(_ref("Error"), "The body was not sent as application/json")}
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
CHANNEL = {"type": "string", "enum": ["在线", "电话", "邮件"]}

SCHEMAS: dict[str, dict] = {
    "Error": _obj(["error"], error={"type": "string"}),
    "Hit": _obj(
        ["slug", "title", "type", "category", "tags", "snippet", "score", "status"],
        slug={"type": "string"}, title={"type": "string"},
        type={"type": "string", "enum": list(types.searchable())},
        category={"type": "string"}, tags={"type": "array", "items": {"type": "string"}},
        snippet={"type": "string", "description": "HTML: escaped text, matches wrapped in <mark>"},
        score={"type": "number"}, status={"type": "string", "enum": ["published", "draft"]},
        trust={"anyOf": [_ref("Trust"), {"type": "null"}]},
    ),
    "Trust": _obj(
        ["verified_at", "verified_by", "owner", "stale", "review_due", "effective_from",
         "effective_until", "open_reports", "label"],
        verified_at=NULLABLE_STR | {"description": "ISO 8601 time of the last check by a person"},
        verified_by=NULLABLE_STR, owner=NULLABLE_STR,
        stale={"type": "boolean", "description": "Past its review date (ranked below current entries)"},
        review_due=NULLABLE_STR | {"description": "YYYY-MM-DD: the review interval after the last verification, "
                                                  "or after creation when never verified"},
        effective_from=NULLABLE_STR | {"description": "Policies: YYYY-MM-DD this text is in force from"},
        effective_until=NULLABLE_STR | {"description": "Policies: date a scheduled newer text takes over"},
        open_reports={"type": "integer", "minimum": 0, "description": "Agents' reports not yet resolved"},
        label={"type": "string", "description": "The same as one line of Chinese for display"},
    ),
    "ImageRef": _obj(
        ["name", "sha256", "type", "width", "height", "bytes", "url"],
        name={"type": "string"}, sha256={"type": "string"},
        type={"type": "string", "enum": ["image/png", "image/jpeg", "image/webp"]},
        width={"type": "integer", "minimum": 1}, height={"type": "integer", "minimum": 1},
        bytes={"type": "integer", "minimum": 1},
        url={"type": "string", "description": "Site-relative; needs the same authentication"},
    ),
    "Entry": _obj(
        ["slug", "type", "title", "category", "tags", "summary", "markdown", "html", "revision",
         "published_at", "verified_at", "verified_by", "effective_from", "effective_until", "images", "trust"],
        slug={"type": "string"}, type={"type": "string", "enum": ["faq", "policy", "template", "case"]},
        title={"type": "string"}, category={"type": "string"},
        tags={"type": "array", "items": {"type": "string"}},
        summary={"type": "string", "description": "The short answer to paste ('' for templates)"},
        markdown={"type": "string"}, html={"type": "string", "description": "Sanitised HTML of the Markdown"},
        revision={"type": "integer", "minimum": 1}, published_at=NULLABLE_STR,
        verified_at=NULLABLE_STR, verified_by=NULLABLE_STR,
        effective_from=NULLABLE_STR, effective_until=NULLABLE_STR,
        images={"type": "array", "items": _ref("ImageRef")}, trust=_ref("Trust"),
    ),
    "ComposeRequest": _obj(
        ["pieces"],
        pieces={"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 10,
                "description": "Slugs in reply order: templates (their text) and entries (their summary)"},
        values={"type": "object", "additionalProperties": {"type": ["string", "number", "null"]},
                "description": "One value per placeholder name, shared by every piece using it"},
    ),
    "Composed": _obj(["text", "issues"], text={"type": "string"},
                     issues={"type": "array", "items": _ref("Issue")}),
    "Compositions": _obj(["compositions"], compositions={"type": "array", "items": _obj(
        ["id", "title", "pieces", "uses"], id={"type": "integer"}, title={"type": "string"},
        uses={"type": "integer"}, pieces={"type": "array", "items": _obj(
            ["slug", "title", "kind"], slug={"type": "string"}, title={"type": "string"},
            kind={"type": "string"})})}),
    "SearchResults": _obj(
        ["query", "total", "results", "facets", "suggestion", "message", "confidence", "log_id"],
        query={"type": "string"}, total={"type": "integer"},
        results={"type": "array", "items": _ref("Hit")},
        facets=_obj(["type", "category", "tag"], type=COUNTS, category=COUNTS, tag=COUNTS),
        suggestion=NULLABLE_STR | {"description": "Did-you-mean query"},
        message=NULLABLE_STR | {"description": "Why nothing could be searched"},
        confidence={"type": "string", "enum": ["high", "low", "none"], "description": (
            "high: the first result plainly answers the query; low: results may not answer it "
            "(show them as related, offer to report the gap); none: nothing found")},
        log_id={"type": ["integer", "null"], "description": "Pass to /search/{log_id}/open"},
    ),
    "Suggestions": _obj(["suggestions"], suggestions={"type": "array", "items": _obj(
        ["slug", "title", "type"], slug={"type": "string"}, title={"type": "string"},
        type={"type": "string"})}),
    "OpenedResult": _obj(["slug"], slug={"type": "string"},
                         rank={"type": "integer", "minimum": 1, "description": "1 = first result"}),
    "Template": _obj(
        ["slug", "title", "category", "text", "placeholders", "variants"],
        slug={"type": "string"}, title={"type": "string"}, category={"type": "string"},
        text={"type": "string", "description": "The default (在线) text with {{placeholders}}"},
        placeholders={"type": "array", "items": {"type": "string"}},
        variants={"type": "object", "description": "Channel → text; always has 在线",
                  "propertyNames": CHANNEL, "additionalProperties": {"type": "string"}},
        revision={"type": "integer"}, favourite={"type": "boolean"},
        images={"type": "array", "items": _ref("ImageRef")},
    ),
    "RenderRequest": _obj(
        ["values"],
        values={"type": "object", "additionalProperties": {"type": ["string", "number", "null"]},
                "description": "Placeholder name → value; values are inserted literally"},
        channel=CHANNEL,
    ),
    "CopyRequest": {"allOf": [_ref("RenderRequest"), {"type": "object", "properties": {
        "partial": {"type": "boolean", "description": "Allow empty placeholders (left as {{名称}})"}}}]},
    "Rendered": _obj(["text"], text={"type": "string"}),
    "Copied": _obj(["text", "revision", "copies_today"], text={"type": "string"},
                   revision={"type": "integer"}, copies_today={"type": "integer"}),
    "PlaceholderProblem": _obj(
        ["error", "missing", "unknown"], error={"type": "string"},
        missing={"type": "array", "items": {"type": "string"}},
        unknown={"type": "array", "items": {"type": "string"}},
    ),
    "FavouriteState": _obj(["slug", "favourite"], slug={"type": "string"},
                           favourite={"type": "boolean"}),
    "TemplateRef": _obj(["slug", "title", "category", "count"], slug={"type": "string"},
                        title={"type": "string"}, category={"type": "string"},
                        count={"type": "integer"}),
    "Shortlists": _obj(["favourites", "recent", "popular"],
                       **{k: {"type": "array", "items": _ref("TemplateRef")}
                          for k in ("favourites", "recent", "popular")}),
    "CheckRequest": _obj(["text"], text={"type": "string", "maxLength": 20000}),
    "Issue": _obj(
        ["start", "end", "start_utf16", "end_utf16", "text", "phrase", "category", "suggestion",
         "severity"],
        start={"type": "integer", "description": "Code-point offset (Python str index)"},
        end={"type": "integer", "description": "Exclusive code-point offset"},
        start_utf16={"type": "integer", "description": "The same offset in UTF-16 units (JavaScript)"},
        end_utf16={"type": "integer"},
        text={"type": "string", "description": "The flagged text as sent"},
        phrase={"type": "string", "description": "The lexicon wording it matched"},
        category={"type": "string"}, suggestion={"type": "string", "description": "Approved alternative"},
        severity={"type": "string", "enum": ["forbidden", "risky"]}, note={"type": "string"},
    ),
    "CheckResult": _obj(["issues"], issues={"type": "array", "items": _ref("Issue")},
                        lexicon_revision={"type": ["integer", "null"]}),
    "GradePreviewRequest": _obj(
        ["question", "reply"],
        question={"type": "object", "description": "One scenario_reply question as in docs/FORMAT.md "
                  "(chat, key_points, optional penalties, sample_reply; id may be left out)"},
        reply={"type": "string", "maxLength": 2000},
    ),
    "GradePreview": _obj(
        ["score", "verdict", "points", "flags"],
        score={"type": "number", "minimum": 0, "maximum": 100},
        verdict={"type": "string", "enum": ["pass", "fail", "review"],
                 "description": "review: the grader is unsure; a real attempt would go to a trainer"},
        points={"type": "array", "items": _obj(
            ["name", "met"], name={"type": "string"}, met={"type": "boolean"},
            evidence=NULLABLE_STR | {"description": "The words of the reply that meet the point"})},
        flags={"type": "array", "items": _obj(
            ["code", "message"],
            code={"type": "string", "enum": ["empty", "privacy", "salad", "no_sentence", "copied", "generic",
                                             "negated", "copied_point", "forbidden", "risky", "policy_number",
                                             "refusing", "unsure"]},
            message={"type": "string", "description": "Chinese, for people"})},
    ),
}


def _op(summary: str, responses: dict, **extra) -> dict:
    return {"summary": summary, "responses": responses, **extra}


def _body(name: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


PATHS = {
    "/search": {"get": _op(
        "Search knowledge items and templates", {"200": _json(_ref("SearchResults"), "Results")} | ERR,
        parameters=[
            {"name": "q", "in": "query", "schema": {"type": "string"}},
            {"name": "type", "in": "query", "schema": {"type": "string"},
             "description": f"{', '.join(types.searchable())}; repeat or comma-separate"},
            {"name": "category", "in": "query", "schema": {"type": "string"}},
            {"name": "tag", "in": "query", "schema": {"type": "string"}},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 50}},
            {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
            {"name": "log", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]},
             "description": "0: do not log this search (no log_id)"},
        ])},
    "/search/{log_id}/open": {"post": _op(
        "Record which result of a logged search was opened",
        {"200": _json(_obj(["ok"], ok={"type": "boolean"}), "Recorded"),
         "404": _json(_ref("Error"), "No such search of the caller's")} | ERR,
        parameters=[{"name": "log_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        requestBody=_body("OpenedResult"))},
    "/search/{log_id}/gap": {"post": _op(
        "Report a logged search to trainers as having no direct answer (lands in the gap list)",
        {"200": _json(_obj(["ok"], ok={"type": "boolean"}), "Reported"),
         "404": _json(_ref("Error"), "No such search of the caller's")} | ERR,
        parameters=[{"name": "log_id", "in": "path", "required": True, "schema": {"type": "integer"}}])},
    "/suggest": {"get": _op(
        "Titles as the user types", {"200": _json(_ref("Suggestions"), "Suggestions")} | ERR,
        parameters=[{"name": "q", "in": "query", "schema": {"type": "string"}}])},
    "/templates/{slug}": {"get": _op(
        "A published template: text, placeholders, channel variants",
        {"200": _json(_ref("Template"), "The template")} | ERR | NOT_FOUND, parameters=[SLUG])},
    "/templates/{slug}/render": {"post": _op(
        "Fill a template on the server",
        {"200": _json(_ref("Rendered"), "The reply"),
         "400": _json({"anyOf": [_ref("PlaceholderProblem"), _ref("Error")]},
                      "Missing or unknown placeholders (named), or bad input"),
         "401": ERR["401"], "403": ERR["403"]} | NOT_FOUND | NOT_JSON,
        parameters=[SLUG], requestBody=_body("RenderRequest"))},
    "/templates/{slug}/copy": {"post": _op(
        "Fill a template for the clipboard and count the copy (per template, user and day)",
        {"200": _json(_ref("Copied"), "The reply"),
         "400": _json({"anyOf": [_ref("PlaceholderProblem"), _ref("Error")]}, "As for render"),
         "401": ERR["401"], "403": ERR["403"]} | NOT_FOUND | NOT_JSON,
        parameters=[SLUG], requestBody=_body("CopyRequest"))},
    "/templates/{slug}/favourite": {
        "put": _op("Pin a template", {"200": _json(_ref("FavouriteState"), "Pinned")} | ERR | NOT_FOUND,
                   parameters=[SLUG]),
        "delete": _op("Unpin a template", {"200": _json(_ref("FavouriteState"), "Unpinned")} | ERR
                      | NOT_FOUND, parameters=[SLUG]),
    },
    "/me/templates": {"get": _op(
        "The caller's favourites and recent templates, and the team's most-copied ones",
        {"200": _json(_ref("Shortlists"), "Shortlists")} | ERR)},
    "/items/{slug}": {"get": _op(
        "A published entry (a policy's text in force today): Markdown, safe HTML, images, trust signals",
        {"200": _json(_ref("Entry"), "The entry")} | ERR
        | {"404": _json(_ref("Error"), "No such published entry")}, parameters=[SLUG])},
    "/compose/copy": {"post": _op(
        "Fill a reply composed of several pieces for the clipboard; counts template copies and "
        "remembers the composition",
        {"200": _json(_ref("Composed"), "The whole reply and the checker's issues"),
         "400": _json({"anyOf": [_ref("PlaceholderProblem"), _ref("Error")]},
                      "Unfilled or unknown placeholders (named), or bad input"),
         "401": ERR["401"], "403": ERR["403"],
         "404": _json(_ref("Error"), "A piece is not a published entry")} | NOT_JSON,
        requestBody=_body("ComposeRequest"))},
    "/me/compositions": {"get": _op(
        "The caller's recently copied compositions", {"200": _json(_ref("Compositions"), "Newest first")} | ERR)},
    "/check": {"post": _op(
        "Find forbidden and risky phrases in a draft reply",
        {"200": _json(_ref("CheckResult"), "Issues in text order")} | ERR | NOT_JSON,
        requestBody=_body("CheckRequest"))},
    "/training/grade-preview": {"post": _op(
        "Grade a written reply to a scenario_reply question exactly as an attempt would; stores nothing "
        "(trainer and admin tokens)",
        {"200": _json(_ref("GradePreview"), "The grade"),
         "400": _json(_ref("Error"), "Invalid question (every problem, in Chinese) or reply")}
        | {k: v for k, v in ERR.items() if k != "400"} | NOT_JSON,
        requestBody=_body("GradePreviewRequest"))},
}

SPEC = {
    "openapi": "3.1.0",
    "info": {
        "title": "kbsite API", "version": "1.0.0",
        "description": (
            "Search, templates and the reply checker for chat tools. Authenticate with "
            "`Authorization: Bearer <token>` (`kbsite create-token`). POST bodies must be "
            "`application/json`. Offsets from /check are Unicode code points (Python string "
            "indices); JavaScript strings count UTF-16 units, which differ after astral "
            "characters such as emoji, so `start_utf16`/`end_utf16` are returned as well."
        ),
    },
    "servers": [{"url": "/api"}],
    "security": [{"bearer": []}],
    "components": {"schemas": SCHEMAS,
                   "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "paths": PATHS,
}


@bp.get("/openapi.json")
@public
def openapi_json():
    """The API description (public: it holds no data)."""
    return jsonify(SPEC)
