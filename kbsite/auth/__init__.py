"""Sign-in, sign-out and the account pages."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from kbsite.auth import service
from kbsite.auth.access import is_safe_next
from kbsite.auth.permissions import public, require
from kbsite.extensions import limiter

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: __import__("flask").current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Show the form; on success start a fresh session and go to a safe ``next``."""
    target = request.values.get("next")
    if request.method == "POST":
        user = service.authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if user is not None:
            session.clear()  # no session fixation
            login_user(user, remember=bool(request.form.get("remember")))
            return redirect(target if is_safe_next(target) else url_for("content.home"))
        flash("用户名或密码不正确", "error")
        return render_template("auth/login.html", next=target), 401
    return render_template("auth/login.html", next=target)


@bp.post("/logout")
@require("read")
def logout():
    """End every session of this account: cookies captured earlier stop working."""
    service.bump_session_version(current_user.id)
    logout_user()
    session.clear()
    flash("您已退出登录", "info")
    return redirect(url_for("auth.login"))
