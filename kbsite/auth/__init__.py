"""Sign-in, sign-out and the account pages."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from kbsite.auth import service
from kbsite.auth.access import is_safe_next, wants_json
from kbsite.auth.permissions import public, require
from kbsite.errors import Invalid
from kbsite.extensions import limiter

bp = Blueprint("auth", __name__)


def _failed(response) -> bool:
    """Only failed sign-ins count towards the limits: a whole office signing in at 9:00 is fine."""
    return response.status_code == 401


def _account_key() -> str:
    return "login-account:" + request.form.get("username", "").strip().casefold()[:64]


def _address_key() -> str:
    return "login-address:" + (request.remote_addr or "")


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"], key_func=_account_key,
               methods=["POST"], deduct_when=_failed,
               error_message="该账号密码错误次数过多，请稍后再试或请管理员重置密码")
@limiter.limit(lambda: current_app.config["LOGIN_ADDRESS_RATE_LIMIT"], key_func=_address_key,
               methods=["POST"], deduct_when=_failed,
               error_message="来自此网络的登录失败次数过多，请稍后再试")
def login():
    """Show the form; on success start a fresh session and go to a safe ``next``."""
    target = request.values.get("next")
    if request.method == "POST":
        user = service.authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if user is not None:
            session.clear()  # no session fixation
            login_user(user, remember=bool(request.form.get("remember")))
            if user.must_change_password:
                return redirect(url_for("auth.change_password", next=target if is_safe_next(target) else None))
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


# Reachable while a password must still be changed: the form itself, signing out, assets.
_BEFORE_NEW_PASSWORD = {"auth.change_password", "auth.logout", "auth.login", "static"}


@bp.before_app_request
def require_own_password():
    """A user on a password someone else chose sets their own before anything else."""
    if not (current_user.is_authenticated and current_user.must_change_password):
        return None
    if request.endpoint in _BEFORE_NEW_PASSWORD:
        return None
    if wants_json():
        return jsonify(error="请先修改初始密码后再继续"), 403
    return redirect(url_for("auth.change_password", next=request.full_path.rstrip("?")))


@bp.route("/account/password", methods=["GET", "POST"])
@require("read")
def change_password():
    """Set one's own password; required at first sign-in with a generated password."""
    target = request.values.get("next")
    if request.method == "GET":
        return render_template("auth/password.html", next=target, forced=current_user.must_change_password)
    form = request.form
    try:
        service.change_own_password(current_user, form.get("current", ""), form.get("new", ""),
                                    form.get("confirm", ""))
    except Invalid as exc:
        flash(exc.message, "error")
        return render_template("auth/password.html", next=target,
                               forced=current_user.must_change_password), 400
    user = current_user._get_current_object()
    session.clear()
    login_user(user)  # this session goes on with the new session version; every other one ends
    flash("密码已修改", "success")
    return redirect(target if is_safe_next(target) else url_for("content.home"))
