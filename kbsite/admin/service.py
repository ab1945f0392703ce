"""User administration beyond kbsite.auth.service: activation, password reset, role guard, token lists.

Every change is audited in its own write transaction and ends the user's
sessions where it changes what they may do.
"""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from kbsite import audit
from kbsite.auth import service as auth_service
from kbsite.auth.models import ApiToken, User
from kbsite.db import session, utcnow, write_session
from kbsite.errors import Invalid, NotFound


def list_users() -> list[User]:
    """All accounts, admins first, then by name."""
    order = {"admin": 0, "trainer": 1, "agent": 2, "trainee": 3}
    users = list(session().scalars(select(User)))
    return sorted(users, key=lambda u: (not u.active, order.get(u.role, 9), u.username))


def list_tokens() -> list[ApiToken]:
    """Every API token (never its secret), newest first."""
    return list(session().scalars(
        select(ApiToken).options(selectinload(ApiToken.user)).order_by(ApiToken.created_at.desc())
    ))


def _locked_user(sess: Session, username: str) -> User:
    user = sess.scalar(select(User).where(User.username == username).with_for_update())
    if user is None:
        raise NotFound(f"没有用户 {username}")
    return user


def _other_active_admins(sess: Session, user: User) -> int:
    return sess.scalar(select(func.count(User.id)).where(
        User.role == "admin", User.active.is_(True), User.id != user.id)) or 0


def change_role(username: str, role: str, actor: User) -> None:
    """Change a role (sessions end); the last active admin cannot be demoted."""
    with write_session() as sess:
        user = _locked_user(sess, username)
        if user.role == "admin" and role != "admin" and not _other_active_admins(sess, user):
            raise Invalid("不能取消最后一位管理员的管理员角色")
    auth_service.set_role(username, role, actor)


def set_active(username: str, active: bool, actor: User) -> None:
    """Deactivate (sessions and tokens stop working at once) or reactivate an account."""
    with write_session() as sess:
        user = _locked_user(sess, username)
        if not active and user.id == actor.id:
            raise Invalid("不能停用自己的账号")
        if not active and user.role == "admin" and not _other_active_admins(sess, user):
            raise Invalid("不能停用最后一位管理员")
        if user.active == active:
            return
        user.active = active
        user.session_version += 1
        if not active:  # its API tokens end with it; reactivating does not revive them
            for token in sess.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                             ApiToken.revoked_at.is_(None))):
                token.revoked_at = utcnow()
        audit.record(sess, actor, "user.activate" if active else "user.deactivate", f"user:{username}")


def reset_password(username: str, actor: User, new_password: str = "") -> str:
    """Set a new password (a random one when none is given), to be changed at next sign-in."""
    password = new_password or secrets.token_urlsafe(12)
    auth_service.force_password(auth_service.get_user(username).id, password, actor)
    return password
