"""Library statistics for the dashboard: content by kind and category, staleness over time,
reviews waiting, most-copied templates; no HTTP here.

Staleness follows ``kbsite.content.health`` (``health.review_due``): an entry is
stale on day D when its review date as of D (its last verification on or before
D, else its creation, plus its review interval) is before D. The verification
history is rebuilt from what the database keeps: the item's current
``verified_at`` and the audit events ``item.verify`` (written by
``health.verify``). Neither an import nor approving a revision is a
verification, as in ``health``. Entries count only from the day they were created.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from kbsite import clock, files
from kbsite.audit import AuditEvent
from kbsite.content import health
from kbsite.content.models import Item, Revision

VERIFY_ACTIONS = ("item.verify",)


def _shown_revisions(sess: Session) -> list[tuple[Item, Revision]]:
    """Each content entry with its published revision, else its newest draft."""
    items = sess.scalars(select(Item).where(Item.type.in_(files.KINDS)))
    return [(i, i.published or i.latest) for i in items if (i.published or i.latest) is not None]


def content_by_kind(sess: Session) -> list[tuple[str, int]]:
    """Number of entries of each kind (faq, policy, template, case), in that order."""
    counts = dict.fromkeys(files.KINDS, 0)
    for item, _ in _shown_revisions(sess):
        counts[item.type] += 1
    return list(counts.items())


def content_by_category(sess: Session, limit: int = 12) -> list[tuple[str, int]]:
    """Entries per top-level category (``售后/退换货`` counts under ``售后``), largest first."""
    counts: dict[str, int] = {}
    for _, rev in _shown_revisions(sess):
        top = rev.category.split("/")[0] or "未分类"
        counts[top] = counts.get(top, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def verification_history(sess: Session) -> dict[int, list[date]]:
    """Every known verification date per content item id, oldest first."""
    items = {i.id: i for i in sess.scalars(select(Item).where(Item.type.in_(files.KINDS)))}
    history: dict[int, list[date]] = {i: ([clock.local_date(it.verified_at)] if it.verified_at else [])
                                      for i, it in items.items()}
    by_slug = {f"item:{it.slug}": i for i, it in items.items()}
    events = sess.execute(
        select(AuditEvent.target, AuditEvent.at).where(AuditEvent.action.in_(VERIFY_ACTIONS))
    )
    for item_id, at in ((by_slug.get(t), at) for t, at in events):
        if item_id in history:
            history[item_id].append(clock.local_date(at))
    return {i: sorted(set(v)) for i, v in history.items()}


def stale_counts(sess: Session, days: list[date]) -> list[int]:
    """How many content entries were stale on each day."""
    items = list(sess.scalars(select(Item).where(Item.type.in_(files.KINDS))))
    history = verification_history(sess)
    return [sum(_stale_on(it, history[it.id], day) for it in items) for day in days]


def _stale_on(item: Item, verified: list[date], day: date) -> bool:
    created = clock.local_date(item.created_at)
    if created > day:
        return False
    last = max((v for v in verified if v <= day), default=None)
    due = health.review_due(last, created, item.review_interval_days)
    return due is not None and due < day


@dataclass
class PendingReviews:
    """Revisions waiting for a reviewer."""

    count: int
    oldest: datetime | None

    def oldest_days(self, now: datetime) -> int:
        """Age of the oldest pending revision in whole days (0 when none)."""
        return (now - self.oldest).days if self.oldest else 0


def pending_reviews(sess: Session) -> PendingReviews:
    """Count of pending revisions and when the oldest was saved."""
    pending = Revision.state == "pending"
    count = sess.scalar(select(func.count(Revision.id)).where(pending)) or 0
    oldest = sess.scalar(select(Revision.created_at).where(pending).order_by(Revision.created_at).limit(1))
    return PendingReviews(count, oldest)


def pending_by_age(sess: Session, now: datetime) -> list[tuple[str, int]]:
    """Pending revisions bucketed by how long they have waited."""
    buckets = [("1天内", 1), ("1–3天", 3), ("3–7天", 7), ("7天以上", None)]
    counts = dict.fromkeys((b for b, _ in buckets), 0)
    for (created,) in sess.execute(select(Revision.created_at).where(Revision.state == "pending")):
        days = (now - created).total_seconds() / 86400
        label = next(b for b, limit in buckets if limit is None or days < limit)
        counts[label] += 1
    return list(counts.items())


def most_copied_templates(sess: Session, limit: int = 10) -> list[tuple[str, int]] | None:
    """Templates by total copies (workspace ``TemplateCopy``); None when that table is absent."""
    from kbsite.workspace.models import TemplateCopy

    if not inspect(sess.get_bind()).has_table(TemplateCopy.__tablename__):
        return None
    total = func.sum(TemplateCopy.count).label("total")
    rows = sess.execute(
        select(Item, total).join(TemplateCopy, TemplateCopy.item_id == Item.id)
        .group_by(Item.id).order_by(total.desc(), Item.slug).limit(limit)
    ).all()
    return [((item.published or item.latest).title if (item.published or item.latest) else item.slug,
             int(n)) for item, n in rows]
