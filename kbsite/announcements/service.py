"""Announcements (公告): which are pinned for whom, read receipts, and who has not read yet.

An announcement is an item of type ``announcement``; its published revision's meta
holds the validity window (``content.validity``), audience and priority. It is
pinned while current; once its window closes it stays in history only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kbsite import audit, clock
from kbsite.announcements.fileformat import AUDIENCE_ROLES, PRIORITIES
from kbsite.announcements.models import Receipt
from kbsite.auth.models import User
from kbsite.content import service, validity
from kbsite.content.models import Item, Revision
from kbsite.db import session, write_session
from kbsite.errors import Invalid

TYPE = "announcement"


@dataclass
class Pinned:
    """One current announcement as a reader sees it."""

    item: Item
    rev: Revision
    read_at: datetime | None

    @property
    def priority(self) -> str:
        return str(self.rev.meta.get("priority") or PRIORITIES[0])


def audience_roles(meta: dict) -> set[str] | None:
    """Role keys an announcement is for; None means everyone."""
    labels = meta.get("audience") or []
    return {AUDIENCE_ROLES[label] for label in labels if label in AUDIENCE_ROLES} or None


def is_for(meta: dict, user: User) -> bool:
    """True when ``user``'s role is in the audience."""
    roles = audience_roles(meta)
    return roles is None or user.role in roles


def _published() -> list[tuple[Item, Revision]]:
    """Every published announcement with its revision (a team has a handful current at once)."""
    rows = session().execute(
        select(Item, Revision).join(Revision, Revision.id == Item.published_revision_id)
        .where(Item.type == TYPE)
    )
    return [(i, r) for i, r in rows]


def pinned_for(user: User, now: datetime | None = None) -> list[Pinned]:
    """Current announcements for ``user``: most urgent first, then newest."""
    current = [(i, r) for i, r in _published() if validity.is_current(r.meta, now) and is_for(r.meta, user)]
    read = dict(session().execute(select(Receipt.item_id, Receipt.read_at).where(
        Receipt.user_id == user.id, Receipt.item_id.in_([i.id for i, _ in current]))).all())
    out = [Pinned(i, r, read.get(i.id)) for i, r in current]
    out.sort(key=lambda p: (-_rank(p.priority), -(p.rev.published_at or p.rev.created_at).timestamp()))
    return out


def _rank(priority: str) -> int:
    return PRIORITIES.index(priority) if priority in PRIORITIES else 0


def acknowledge(user: User, slug: str) -> bool:
    """Record that ``user`` has read the announcement; False when they already had."""
    item = service.get_item(slug)
    if item.type != TYPE or item.published is None:
        raise Invalid("只能确认已发布的公告")
    if session().scalar(select(Receipt.id).where(Receipt.item_id == item.id, Receipt.user_id == user.id)):
        return False
    try:
        with write_session() as sess:
            sess.add(Receipt(item_id=item.id, user_id=user.id))
            audit.record(sess, user, "announcement.read", f"item:{slug}")
    except IntegrityError:  # a double click from two tabs: already recorded
        return False
    return True


@dataclass
class Readership:
    """Who in an announcement's audience has read it, and who has not."""

    read: list[tuple[User, datetime]]
    unread: list[User]


def readership(slug: str) -> tuple[Item, Revision, Readership]:
    """The audience's active users split into read (with when) and not yet read."""
    item = service.get_item(slug)
    rev = item.published or item.latest
    if item.type != TYPE or rev is None:
        raise Invalid("该条目不是公告")
    receipts = dict(session().execute(select(Receipt.user_id, Receipt.read_at).where(
        Receipt.item_id == item.id)).all())
    roles = audience_roles(rev.meta)
    query = select(User).where(User.active.is_(True)).order_by(User.username)
    if roles is not None:
        query = query.where(User.role.in_(roles))
    users = list(session().scalars(query))
    read = sorted(((u, receipts[u.id]) for u in users if u.id in receipts), key=lambda p: p[1])
    return item, rev, Readership(read, [u for u in users if u.id not in receipts])


def window_text(meta: dict) -> str:
    """The validity window as people read it, in the team's zone."""
    start, end = validity.window(meta)
    since = clock.fmt(start) if start else ""
    return f"{since} 起" + (f"，至 {clock.fmt(end)} 止" if end else "，长期有效")
