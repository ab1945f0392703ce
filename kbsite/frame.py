"""Embedding the side panel in a chat tool: which origins may frame which pages, and the cookies that needs.

``KBSITE_FRAME_ANCESTORS`` lists the origins (``https://host[:port]``, space or comma
separated, or a JSON list) allowed to show kbsite in a frame. Only the pages an embedded
panel navigates to are frameable (the panel, the login page it may be sent to, an entry,
the checker); every other page keeps ``frame-ancestors 'self'`` and ``X-Frame-Options:
SAMEORIGIN``. A frameable page sends the CSP list and no X-Frame-Options (it cannot name
several origins, and a browser honouring it alone would refuse the frame).

A frame on another *site* only gets the session cookie when it is ``SameSite=None;
Secure`` and, where the browser blocks third-party cookies (Chromium's default in
incognito and headless contexts), ``Partitioned`` (CHIPS: a cookie jar per top-level
site). With ancestors configured that is the default (``KBSITE_FRAME_COOKIES=cross-site``);
``same-site`` keeps ``Lax`` for chat tools served from the same site as kbsite.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import Flask

ORIGIN_RE = re.compile(r"https?://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?")
FRAMEABLE_ENDPOINTS = frozenset({"workspace.panel", "auth.login", "content.view_item", "workspace.checker"})
COOKIE_MODES = ("cross-site", "same-site")


def parse_origins(raw: str | Iterable[str] | None) -> tuple[str, ...]:
    """The configured origins, validated; a bad entry stops start-up with its text."""
    if not raw:
        return ()
    items = re.split(r"[\s,]+", raw) if isinstance(raw, str) else [str(x) for x in raw]
    out = []
    for origin in (i.strip().rstrip("/") for i in items):
        if not origin:
            continue
        if not ORIGIN_RE.fullmatch(origin):
            raise ValueError(f"KBSITE_FRAME_ANCESTORS: not an origin (scheme://host[:port]): {origin!r}")
        out.append(origin.lower())
    return tuple(dict.fromkeys(out))


def init_app(app: Flask) -> None:
    """Validate the setting once and set the cookie flags a cross-site frame needs."""
    origins = parse_origins(app.config.get("FRAME_ANCESTORS"))
    mode = app.config.get("FRAME_COOKIES") or "cross-site"
    if mode not in COOKIE_MODES:
        raise ValueError(f"KBSITE_FRAME_COOKIES must be one of {', '.join(COOKIE_MODES)}")
    app.config["FRAME_ANCESTORS"] = origins
    if origins and mode == "cross-site":
        for prefix in ("SESSION_COOKIE", "REMEMBER_COOKIE"):
            app.config[f"{prefix}_SAMESITE"] = "None"
            app.config[f"{prefix}_SECURE"] = True
        app.config["SESSION_COOKIE_PARTITIONED"] = True
        app.after_request(_partition_remember_cookie)


def _partition_remember_cookie(resp):
    """Flask-Login cannot partition its remember cookie; add the attribute to its header."""
    cookies = resp.headers.getlist("Set-Cookie")
    if any(c.startswith("remember_token=") and "Partitioned" not in c for c in cookies):
        resp.headers.remove("Set-Cookie")
        for c in cookies:
            resp.headers.add("Set-Cookie", f"{c}; Partitioned" if c.startswith("remember_token=") else c)
    return resp


def frame_headers(endpoint: str | None, origins: tuple[str, ...]) -> tuple[str, str | None]:
    """(frame-ancestors source list, X-Frame-Options value or None) for one response."""
    if origins and endpoint in FRAMEABLE_ENDPOINTS:
        return "'self' " + " ".join(origins), None
    return "'self'", "SAMEORIGIN"
