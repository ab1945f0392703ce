"""Accounts, passwords and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select

from kbsite import audit
from kbsite.auth.models import ROLES, ApiToken, User
from kbsite.db import session, utcnow, write_session
from kbsite.errors import Conflict, Invalid, NotFound

_hasher = PasswordHasher()
MIN_PASSWORD = 8
MAX_PASSWORD = 128


def hash_password(password: str) -> str:
    """Argon2id hash (OWASP recommendation)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(f"密码长度需为 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符")
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    """Verify without leaking which part failed."""
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def create_user(username: str, role: str, password: str, display_name: str = "",
                actor: User | None = None, cohort: str | None = None,
                must_change: bool = False) -> User:
    """Create an account; usernames are unique; ``must_change`` when someone else chose the password."""
    username = username.strip()
    if role not in ROLES:
        raise Invalid(f"未知角色：{role}（可选 {', '.join(ROLES)}）")
    if not username or len(username) > 64:
        raise Invalid("用户名不能为空，且不超过 64 个字符")
    pw_hash = hash_password(password)
    with write_session() as sess:
        if sess.scalar(select(User).where(User.username == username)):
            raise Conflict(f"用户名 {username} 已存在")
        user = User(username=username, role=role, password_hash=pw_hash,
                    display_name=display_name or username, cohort=cohort,
                    must_change_password=must_change)
        sess.add(user)
        sess.flush()
        audit.record(sess, actor, "user.create", f"user:{username}", role=role)
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = session().scalar(select(User).where(User.username == username.strip()))
    if user is None:
        _hasher.hash("timing-equaliser")  # same cost whether or not the user exists
        return None
    if not user.active or not check_password(user, password):
        return None
    return user


def get_user(username: str) -> User:
    """The user with this name, or NotFound."""
    user = session().scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"没有用户 {username}")
    return user


def force_password(user_id: int, password: str, actor: User | None = None,
                   demo_retired: bool = False) -> None:
    """Set a password the user did not choose: they must change it at next sign-in; sessions end."""
    pw_hash = hash_password(password)
    with write_session() as sess:
        user = sess.get(User, user_id)
        if user is None:
            raise NotFound("没有该用户")
        user.password_hash, user.must_change_password = pw_hash, True
        user.session_version += 1
        audit.record(sess, actor, "user.demo_password_retired" if demo_retired else "user.password_reset",
                     f"user:{user.username}")


def change_own_password(user: User, current: str, new: str, confirm: str) -> None:
    """The user replaces their password; the must-change flag clears and other sessions end."""
    if not check_password(user, current):
        raise Invalid("当前密码不正确")
    if new != confirm:
        raise Invalid("两次输入的新密码不一致")
    if new == current:
        raise Invalid("新密码不能与当前密码相同")
    pw_hash = hash_password(new)  # hashed before the write lock is taken
    with write_session() as sess:
        row = sess.get(User, user.id)
        if row is None:
            raise NotFound("没有该用户")
        row.password_hash, row.must_change_password = pw_hash, False
        row.session_version += 1
        audit.record(sess, row, "user.password_change", f"user:{row.username}")
    user.password_hash, user.must_change_password = pw_hash, False
    user.session_version = row.session_version


def bump_session_version(user_id: int) -> None:
    """Invalidate every session cookie of a user (logout, password or role change)."""
    with write_session() as sess:
        user = sess.get(User, user_id)
        if user:
            user.session_version += 1


def set_role(username: str, role: str, actor: User) -> None:
    """Change a role; the user's sessions end."""
    if role not in ROLES:
        raise Invalid(f"未知角色：{role}")
    with write_session() as sess:
        user = sess.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"没有用户 {username}")
        user.role = role
        user.session_version += 1
        audit.record(sess, actor, "user.role", f"user:{username}", role=role)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(username: str, name: str = "", actor: User | None = None) -> str:
    """A new bearer token; only its hash is stored, so it is shown once."""
    user = get_user(username)
    token = "kb_" + secrets.token_urlsafe(32)
    with write_session() as sess:
        sess.add(ApiToken(user_id=user.id, name=name, token_hash=_token_hash(token)))
        audit.record(sess, actor or user, "token.create", f"user:{username}", name=name)
    return token


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to (constant-time compare of the hash)."""
    digest = _token_hash(token)
    row = session().scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, digest):
        return None
    if row.last_used_at is None or (utcnow() - row.last_used_at).total_seconds() > 60:
        with write_session() as sess:
            live = sess.get(ApiToken, row.id)
            if live:
                live.last_used_at = utcnow()
    return row.user if row.user.active else None


def revoke_token(token_id: int, actor: User) -> None:
    """Revoke a token at once."""
    with write_session() as sess:
        row = sess.get(ApiToken, token_id)
        if row is None:
            raise NotFound("没有该令牌")
        row.revoked_at = utcnow()
        audit.record(sess, actor, "token.revoke", f"user:{row.user.username}", token=token_id)
