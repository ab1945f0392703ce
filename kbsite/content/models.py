"""Items (FAQ, policies, templates, cases, training and config documents) and their revisions.

Revisions are append-only: every save adds one, ``Item.latest_revision_id``
points at the newest and ``Item.published_revision_id`` at the newest approved.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kbsite.auth.models import User
from kbsite.db import Base, UTCDateTime, utcnow

REVISION_STATES = ("draft", "pending", "published", "rejected")


class Item(Base):
    """One piece of content with a stable slug."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    type: Mapped[str] = mapped_column(String(16), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    review_interval_days: Mapped[int] = mapped_column(Integer, default=90)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    latest_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True, name="fk_items_latest_revision"), default=None
    )
    published_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True, name="fk_items_published_revision"), default=None
    )

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    latest: Mapped[Revision | None] = relationship(foreign_keys=[latest_revision_id], post_update=True)
    published: Mapped[Revision | None] = relationship(
        foreign_keys=[published_revision_id], post_update=True
    )


class Revision(Base):
    """An immutable snapshot of an item's content and metadata."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    message: Mapped[str] = mapped_column(String(500), default="")
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(200), default="")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    body: Mapped[str] = mapped_column(Text, default="")
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    html: Mapped[str] = mapped_column(Text, default="")
    renderer_version: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="draft")
    effective_from: Mapped[str | None] = mapped_column(String(10), default=None, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    review_comment: Mapped[str] = mapped_column(String(1000), default="")
    # A merge of a stale edit: the colleague's revision it was merged with, and the edit's base.
    merged_with: Mapped[int | None] = mapped_column(Integer, default=None)
    merge_base: Mapped[int | None] = mapped_column(Integer, default=None)

    item: Mapped[Item] = relationship(foreign_keys=[item_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
