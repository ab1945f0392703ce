"""Who is asking: a session user for pages, a bearer-token user for the API."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from kbsite.auth.models import User
from kbsite.db import session


def load_user(user_id: str) -> User | None:
    """flask-login loader: the id carries a session version so old cookies stop working."""
    uid, _, version = user_id.partition(":")
    if not uid.isdigit() or not version.isdigit():
        return None
    user = session().get(User, int(uid))
    if user is None or user.session_version != int(version) or not user.active:
        return None
    return user


def current_actor():
    """The API token's user if the request carried one, else the session user."""
    return g.get("api_user") or current_user


def wants_json() -> bool:
    """API routes and fetch() calls get JSON errors; pages get HTML."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def deny(permission: str):
    """The response for a missing permission: login for anonymous pages, else 401/403."""
    actor = current_actor()
    if wants_json():
        status = 403 if getattr(actor, "is_authenticated", False) else 401
        message = "没有权限" if status == 403 else "需要登录或有效的 API 令牌"
        return jsonify(error=message, permission=permission), status
    if not getattr(actor, "is_authenticated", False):
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return render_template("error.html", status=403, message="您没有权限访问此页面"), 403


def is_safe_next(target: str | None) -> bool:
    """Only app-relative paths: one leading '/', no '//', no backslash, no control characters."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
