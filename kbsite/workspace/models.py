"""Per-user template usage: copy counts per template/user/day, favourites and recent uses."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kbsite.db import Base, UTCDateTime, utcnow


class TemplateCopy(Base):
    """How often a user copied a template on one day (one row per template/user/day)."""

    __tablename__ = "template_copies"
    __table_args__ = (UniqueConstraint("item_id", "user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class Favourite(Base):
    """A template a user pinned to keep one click away."""

    __tablename__ = "template_favourites"
    __table_args__ = (UniqueConstraint("user_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecentUse(Base):
    """The last time a user copied a template (one row per user/template, pruned to a few)."""

    __tablename__ = "template_recent_uses"
    __table_args__ = (UniqueConstraint("user_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ReplyComposition(Base):
    """A reply a user composed from several pieces and copied: its pieces in order, to reuse."""

    __tablename__ = "reply_compositions"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))  # hash of the slugs in order: one row per sequence
    slugs: Mapped[list] = mapped_column(JSON, default=list)
    uses: Mapped[int] = mapped_column(Integer, default=1)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
