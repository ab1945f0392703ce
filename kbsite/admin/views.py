"""Admin pages: users, roles, activation, password reset, API tokens, and the audit log."""

from __future__ import annotations

import tempfile

from flask import Blueprint, Response, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from kbsite import audit, backup
from kbsite.admin import auditlog
from kbsite.admin import service as admin_service
from kbsite.auth import service as auth_service
from kbsite.auth.models import ROLES
from kbsite.auth.permissions import can, require
from kbsite.content.service import today
from kbsite.db import database, write_session
from kbsite.errors import Conflict, Invalid
from kbsite.training import catalog

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _users_page(status: int = 200, secret: dict | None = None):
    """The users page; ``secret`` (a new password or token) is shown once, in this response only."""
    resp = render_template("admin/users.html", users=admin_service.list_users(), roles=ROLES,
                           tokens=admin_service.list_tokens(), secret=secret)
    return resp, status, {"Cache-Control": "no-store"}


@bp.get("/users")
@require("admin_users")
def users():
    """Accounts with their role and state, plus API tokens."""
    return _users_page()


@bp.post("/users")
@require("admin_users")
def create_user():
    """Create an account with a role and an initial password."""
    form = request.form
    try:
        auth_service.create_user(form.get("username", ""), form.get("role", ""), form.get("password", ""),
                                 form.get("display_name", "").strip(), actor=current_user,
                                 cohort=form.get("cohort", "").strip() or None, must_change=True)
    except (Invalid, Conflict) as exc:
        flash(exc.message, "error")
        return _users_page(exc.status)
    flash(f"已创建用户 {form.get('username', '').strip()}；对方首次登录时需要修改密码", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<username>/role")
@require("admin_users")
def change_role(username: str):
    """Change a user's role; their sessions end."""
    admin_service.change_role(username, request.form.get("role", ""), current_user)
    flash(f"已修改 {username} 的角色，该用户需要重新登录", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<username>/active")
@require("admin_users")
def set_active(username: str):
    """Deactivate or reactivate an account."""
    active = request.form.get("active") == "1"
    admin_service.set_active(username, active, current_user)
    flash(f"已{'启用' if active else '停用'} {username}", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<username>/password")
@require("admin_users")
def reset_password(username: str):
    """Set a new password (generated when left empty), shown once."""
    password = admin_service.reset_password(username, current_user, request.form.get("password", ""))
    return _users_page(secret={"label": f"{username} 的新密码", "value": password})


@bp.post("/tokens")
@require("admin_users")
def create_token():
    """Create an API token for a user; the token is shown once and only its hash is kept."""
    username = request.form.get("username", "")
    token = auth_service.create_token(username, request.form.get("name", "").strip()[:100], actor=current_user)
    return _users_page(secret={"label": f"{username} 的新 API 令牌", "value": token})


@bp.post("/tokens/<int:token_id>/revoke")
@require("admin_users")
def revoke_token(token_id: int):
    """Revoke a token at once."""
    auth_service.revoke_token(token_id, current_user)
    flash("令牌已撤销", "success")
    return redirect(url_for("admin.users") + "#tokens")


@bp.get("/audit")
@require("view_audit")
def audit_log():
    """Who did what and when; filterable; admins see everything, trainers content and training."""
    f = auditlog.AuditFilter.from_args(request.args)
    page = max(1, request.args.get("page", 1, type=int))
    everything = can(current_user, "audit")
    rows = auditlog.events(f, everything, auditlog.PAGE_SIZE + 1, (page - 1) * auditlog.PAGE_SIZE)
    return render_template("admin/audit.html", events=rows[:auditlog.PAGE_SIZE], f=f, page=page,
                           item_titles=catalog.titles(auditlog.named_slugs(rows[:auditlog.PAGE_SIZE])),
                           more=len(rows) > auditlog.PAGE_SIZE, everything=everything,
                           actions=auditlog.action_choices(everything))


@bp.get("/audit.csv")
@require("view_audit")
def audit_export():
    """The filtered audit log as CSV (UTF-8 with BOM, formula-safe cells)."""
    f = auditlog.AuditFilter.from_args(request.args)
    body = auditlog.export(f, can(current_user, "audit"))
    name = f"audit-{today().isoformat()}.csv"
    return Response(body.encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


@bp.app_template_filter("action_label")
def action_label(action: str) -> str:
    """Audit action codes as Chinese labels in any template (history pages too)."""
    return auditlog.action_label(action)


@bp.app_template_filter("audit_details")
def audit_details(detail: dict | None, titles: dict[str, str] | None = None) -> str:
    """Audit event details in Chinese (labels for keys and coded values; titles for named slugs)."""
    return auditlog.detail_text(detail, titles)


@bp.app_template_filter("audit_target")
def audit_target(target: str) -> str:
    """Audit targets such as ``item:refund`` as ``条目 refund``."""
    return auditlog.target_text(target)


@bp.get("/backup")
@require("backup")
def backup_page():
    """Download a whole-site backup; restoring is a command on the server (it needs an empty database)."""
    return render_template("admin/backup.html")


@bp.post("/backup")
@require("backup")
def backup_download():
    """Stream a consistent snapshot of every table as one zip file."""
    spool = tempfile.SpooledTemporaryFile(max_size=64 * 2**20)  # noqa: SIM115 - send_file closes it
    report = backup.write_backup(database().engine, spool)
    spool.seek(0)
    with write_session() as sess:
        audit.record(sess, current_user, "site.backup", "site", rows=report.total)
    name = f"kbsite-backup-{today().isoformat()}.zip"
    return send_file(spool, mimetype="application/zip", as_attachment=True, download_name=name,
                     max_age=0)
