"""App-wide web concerns: security headers, error pages, template helpers, CLI."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from kbsite import clock
from kbsite.auth.access import current_actor, wants_json
from kbsite.auth.permissions import ROLE_LABELS, can
from kbsite.content import types
from kbsite.errors import DomainError
from kbsite.frame import frame_headers
from kbsite.review.feedback import KINDS as FEEDBACK_KINDS

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors {ancestors}; form-action 'self'"
)

TYPE_LABELS = types.LABELS  # live view of the content-type registry
# The main navigation: (endpoint, label, permission); links to blueprints not registered are skipped.
NAV_LINKS = [
    ("content.home", "首页", "read"),
    ("workspace.search_page", "工作台", "search"),
    ("content.browse", "浏览", "read"),
    ("training.my_path", "培训", "train"),
    ("review.queue", "审核", "review"),
    ("insights.dashboard", "看板", "insights"),
    ("library.index", "导入导出", "view_drafts"),
    ("admin.users", "管理", "admin_users"),
]
STATE_LABELS = {"draft": "草稿", "pending": "待审核", "published": "已发布", "rejected": "已退回"}


def init_app(app: Flask) -> None:
    """Register headers, error handlers, template globals and the CLI."""
    from kbsite import cli
    from kbsite.jsonbody import BoundedJSONProvider

    app.json = BoundedJSONProvider(app)
    app.after_request(_security_headers)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.jinja_env.globals.update(
        can=lambda perm: can(current_actor(), perm),
        nav_links=lambda: [n for n in NAV_LINKS if n[0] in app.view_functions],
        TYPE_LABELS=TYPE_LABELS, STATE_LABELS=STATE_LABELS, ROLE_LABELS=ROLE_LABELS,
        FEEDBACK_KINDS=FEEDBACK_KINDS, searchable_types=types.searchable, summary_types=types.summary_types,
        editor_fields=lambda key: getattr(types.get(key), "editor", None),
        required_keys=lambda key: getattr(types.get(key), "required", ()),
        type_labels=lambda: dict(types.LABELS),
    )
    app.jinja_env.globals["zone_label"] = clock.zone_label
    app.jinja_env.filters["localtime"] = clock.fmt  # stored UTC → the team's zone
    app.jinja_env.filters["localdate"] = lambda dt: clock.fmt(dt, "%Y-%m-%d")
    cli.init_app(app)


def _security_headers(resp):
    ancestors, xfo = frame_headers(request.endpoint, current_app.config["FRAME_ANCESTORS"])
    resp.headers.setdefault("Content-Security-Policy", CSP.format(ancestors=ancestors))
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if xfo:
        resp.headers.setdefault("X-Frame-Options", xfo)
    if request.is_secure:
        resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return resp


def error_response(status: int, message: str, **details):
    """One error shape: JSON for the API and fetch(), a page otherwise."""
    if wants_json():
        return jsonify(error=message, **details), status
    return render_template("error.html", status=status, message=message), status


def _domain_error(exc: DomainError):
    details = {k: v for k, v in exc.details.items() if isinstance(v, str | int | list | None)}
    return error_response(exc.status, exc.message, **details)


def _csrf_error(exc: CSRFError):
    return error_response(400, "表单已过期或缺少安全令牌，请刷新页面后重试（您输入的内容仍在浏览器中）")


# Werkzeug's descriptions are English developer text: every status gets a Chinese message instead.
HTTP_MESSAGES = {
    400: "请求有误，请返回上一页检查后重试", 401: "请先登录", 403: "您没有权限访问此页面",
    404: "页面不存在", 405: "不支持该请求方法", 409: "当前状态下不能这样操作",
    413: "提交的内容过大", 415: "不支持的文件或内容格式", 429: "操作过于频繁，请稍后再试",
    500: "服务器出错了，请稍后再试；如果一直这样，请联系管理员",
    503: "服务暂时不可用，请稍后再试",
}


def _http_error(exc: HTTPException):
    limit = getattr(exc, "limit", None)  # flask-limiter: a limit with its own Chinese message
    if exc.code == 429 and isinstance(getattr(limit, "error_message", None), str):
        return error_response(429, exc.description)
    code = exc.code or 500
    fallback = "服务器出错了，请稍后再试" if code >= 500 else "请求没有完成，请返回上一页重试"
    return error_response(code, HTTP_MESSAGES.get(code, fallback))
