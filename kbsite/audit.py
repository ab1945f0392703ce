"""The audit log: who did what, when, to what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from kbsite.auth.models import User
from kbsite.db import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    """One recorded action; ``target`` is e.g. ``item:seven-day-return`` or ``user:alice``."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(200), index=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


def record(sess: Session, actor: User | None, action: str, target: str, **detail) -> None:
    """Add an audit event to the caller's transaction (so it commits or rolls back with it)."""
    sess.add(AuditEvent(actor_id=actor.id if actor else None, action=action, target=target, detail=detail))
