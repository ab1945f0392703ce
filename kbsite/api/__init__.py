"""The JSON API for chat tools and the site's own pages.

A request authenticates with ``Authorization: Bearer <token>`` (from
``kbsite create-token``) or, from the site's pages, with the session cookie,
in which case state-changing calls need the CSRF token header.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from flask_login import current_user

from kbsite.auth import service as auth_service
from kbsite.extensions import csrf

bp = Blueprint("api", __name__)
csrf.exempt(bp)


@bp.before_request
def authenticate():
    """Bearer tokens first; cookie sessions must carry a CSRF token on writes."""
    header = request.headers.get("Authorization", "")
    if "access_token" in request.args or "token" in request.args:
        return jsonify(error="令牌不能放在 URL 中，请使用 Authorization 头"), 400
    if header:
        scheme, _, token = header.partition(" ")
        user = auth_service.user_for_token(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            return jsonify(error="API 令牌无效或已被撤销"), 401
        if user.must_change_password:
            return jsonify(error="该账号需要先登录网站修改初始密码"), 403
        g.api_user = user
        return None
    if request.method not in ("GET", "HEAD", "OPTIONS") and current_user.is_authenticated:
        csrf.protect()  # anonymous writes fall through to the route's @require: a clear 401
    return None


# Route modules attach to bp; import them last.
from kbsite.api import compose, items, openapi, phrasing, search, training  # noqa: E402,F401
