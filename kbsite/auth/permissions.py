"""The one place that decides who may do what.

Every route declares the permission it needs with :func:`require` (or is
marked :func:`public`); a test walks ``app.url_map`` to make sure none is missed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

# A new hire in training: courses and drills, and reading the knowledge base; no authoring and no
# live replies (copying templates is usage by working agents).
TRAINEE = frozenset({"read", "search", "train"})
AGENT = TRAINEE | {"copy"}
# view_audit: the audit log of content and training; audit (admins): also accounts and tokens.
TRAINER = AGENT | {"view_drafts", "author", "review", "insights", "manage_training", "view_audit"}
ADMIN = TRAINER | {"admin_users", "audit", "import_library", "backup"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "trainee": TRAINEE, "agent": AGENT, "trainer": TRAINER, "admin": ADMIN,
}
ROLE_LABELS = {"trainee": "新人学员", "agent": "客服", "trainer": "培训师", "admin": "管理员"}


def can(user: Any, permission: str) -> bool:
    """True if ``user`` (possibly anonymous) holds ``permission``."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def require(permission: str) -> Callable:
    """Decorate a view: the signed-in user (or API token's user) must hold ``permission``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            from kbsite.auth.access import current_actor, deny

            if not can(current_actor(), permission):
                return deny(permission)
            return view(*args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorator


def public(view: Callable) -> Callable:
    """Mark a view as open to anonymous visitors (login page, health check)."""
    view.required_permission = None  # type: ignore[attr-defined]
    return view
