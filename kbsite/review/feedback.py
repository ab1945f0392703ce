"""Agents' feedback on entries: "this answer is wrong / outdated / unclear", routed to the owner.

Agents are the first to notice that an answer no longer matches what customers
are told elsewhere. One click on the entry page records what is wrong; the
entry's owner (and every trainer) sees open feedback on the trainer's home and
on the entry, and closes it with a note once the entry is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kbsite import audit
from kbsite.auth.models import User
from kbsite.content.models import Item
from kbsite.db import Base, UTCDateTime, session, utcnow, write_session
from kbsite.errors import Conflict, Invalid, NotFound

KINDS = {"wrong": "内容有误", "outdated": "已过时", "unclear": "看不懂/不好用", "missing": "缺少信息"}
MAX_TEXT = 1000
MAX_NOTE = 500


class Feedback(Base):
    """One agent's report on one entry; open until a trainer resolves it."""

    __tablename__ = "item_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    revision_number: Mapped[int | None] = mapped_column(default=None)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    resolution: Mapped[str] = mapped_column(Text, default="")

    item: Mapped[Item] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class OpenCounts:
    """Open feedback for the trainer's home: all of it, and on entries I own."""

    total: int
    mine: int


def submit(user: User, slug: str, kind: str, text: str, revision_number: int | None) -> Feedback:
    """Record an agent's report on the revision they were reading."""
    if kind not in KINDS:
        raise Invalid(f"请选择问题类型：{'、'.join(KINDS.values())}")
    text = (text or "").strip()
    if not text:
        raise Invalid("请写一句哪里有问题，负责人才好修改")
    if len(text) > MAX_TEXT:
        raise Invalid(f"反馈最多 {MAX_TEXT} 字，当前 {len(text)} 字")
    with write_session() as sess:
        item = sess.scalar(select(Item).where(Item.slug == slug))
        if item is None:
            raise NotFound("找不到该条目")
        row = Feedback(item_id=item.id, user_id=user.id, kind=kind, text=text,
                       revision_number=revision_number if isinstance(revision_number, int) else None)
        sess.add(row)
        sess.flush()
        audit.record(sess, user, "item.feedback", f"item:{slug}", id=row.id, kind=kind)
        return row


def resolve(feedback_id: int, trainer: User, note: str) -> Feedback:
    """Close a report with what was done about it (once)."""
    note = (note or "").strip()[:MAX_NOTE]
    with write_session() as sess:
        row = sess.get(Feedback, feedback_id, with_for_update=True)
        if row is None:
            raise NotFound("找不到该反馈")
        if row.resolved_at is not None:
            raise Conflict("这条反馈已经处理过了")
        row.resolved_at, row.resolved_by_id, row.resolution = utcnow(), trainer.id, note
        audit.record(sess, trainer, "item.feedback_resolve", f"item:{row.item.slug}", id=row.id)
        return row


def open_feedback(owner: User | None = None, item: Item | None = None) -> list[Feedback]:
    """Open reports, oldest first; only on entries ``owner`` owns, or on one ``item``."""
    query = select(Feedback).where(Feedback.resolved_at.is_(None)).order_by(Feedback.created_at, Feedback.id)
    if owner is not None:
        query = query.join(Item, Feedback.item_id == Item.id).where(Item.owner_id == owner.id)
    if item is not None:
        query = query.where(Feedback.item_id == item.id)
    return list(session().scalars(query))


def recently_resolved(limit: int = 20) -> list[Feedback]:
    """The latest closed reports, newest first, so trainers see what was done."""
    return list(session().scalars(select(Feedback).where(Feedback.resolved_at.is_not(None))
                                  .order_by(Feedback.resolved_at.desc()).limit(limit)))


def open_counts(user: User) -> OpenCounts:
    """How many reports are open, in all and on entries ``user`` owns."""
    total = session().scalar(select(func.count()).select_from(Feedback).where(Feedback.resolved_at.is_(None)))
    mine = session().scalar(select(func.count()).select_from(Feedback)
                            .join(Item, Feedback.item_id == Item.id)
                            .where(Feedback.resolved_at.is_(None), Item.owner_id == user.id))
    return OpenCounts(total or 0, mine or 0)
