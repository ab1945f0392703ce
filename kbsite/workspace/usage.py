"""Template usage per user: copy counts, favourites and the recent list, and what they add up to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from kbsite import clock
from kbsite.auth.models import User
from kbsite.content.models import Item
from kbsite.db import session, utcnow, write_session
from kbsite.workspace.models import Favourite, RecentUse, TemplateCopy

RECENT_KEEP = 10
POPULAR_DAYS = 30


@dataclass
class TemplateRef:
    """A template in a shortlist: enough to show and open it."""

    slug: str
    title: str
    category: str
    count: int = 0

    def as_json(self) -> dict:
        """The API shape."""
        return {"slug": self.slug, "title": self.title, "category": self.category, "count": self.count}


def _bump_copy(sess: Session, item_id: int, user_id: int, today: date) -> int:
    row = sess.scalar(
        select(TemplateCopy).where(
            TemplateCopy.item_id == item_id, TemplateCopy.user_id == user_id, TemplateCopy.day == today
        ).with_for_update()
    )
    if row is None:
        row = TemplateCopy(item_id=item_id, user_id=user_id, day=today, count=0)
        sess.add(row)
    row.count += 1
    sess.flush()
    return row.count


def _touch_recent(sess: Session, item_id: int, user_id: int) -> None:
    row = sess.scalar(select(RecentUse).where(RecentUse.user_id == user_id, RecentUse.item_id == item_id))
    if row is None:
        sess.add(RecentUse(user_id=user_id, item_id=item_id, used_at=utcnow()))
    else:
        row.used_at = utcnow()
    sess.flush()
    keep = select(RecentUse.id).where(RecentUse.user_id == user_id).order_by(
        RecentUse.used_at.desc()).limit(RECENT_KEEP)
    sess.execute(delete(RecentUse).where(RecentUse.user_id == user_id, RecentUse.id.not_in(keep)))


def _record_once(item_id: int, user_id: int) -> int:
    with write_session() as sess:
        count = _bump_copy(sess, item_id, user_id, clock.today())
        _touch_recent(sess, item_id, user_id)
        return count


def record_copy(item_id: int, user: User) -> int:
    """Count one copy of a template by ``user`` today and move it to the top of their recent list."""
    try:
        return _record_once(item_id, user.id)
    except IntegrityError:  # a concurrent first copy of the day won the insert; the row exists now
        return _record_once(item_id, user.id)


def set_favourite(item_id: int, user: User, on: bool) -> bool:
    """Pin or unpin a template for ``user``; idempotent; returns the new state."""
    with write_session() as sess:
        row = sess.scalar(select(Favourite).where(Favourite.user_id == user.id, Favourite.item_id == item_id))
        if on and row is None:
            sess.add(Favourite(user_id=user.id, item_id=item_id))
        elif not on and row is not None:
            sess.delete(row)
    return on


def is_favourite(item_id: int, user: User) -> bool:
    """Whether ``user`` pinned this template."""
    return session().scalar(
        select(Favourite.id).where(Favourite.user_id == user.id, Favourite.item_id == item_id)
    ) is not None


def _refs(item_ids: list[int], counts: dict[int, int] | None = None) -> list[TemplateRef]:
    """Published templates among ``item_ids``, in that order (unpublished ones are skipped)."""
    if not item_ids:
        return []
    items = {i.id: i for i in session().scalars(
        select(Item).where(Item.id.in_(item_ids), Item.type == "template")
        .options(selectinload(Item.published)))}
    out = []
    for item_id in item_ids:
        item = items.get(item_id)
        if item is not None and item.published is not None:
            rev = item.published
            out.append(TemplateRef(item.slug, rev.title, rev.category, (counts or {}).get(item_id, 0)))
    return out


def favourites(user: User) -> list[TemplateRef]:
    """The user's pinned templates, newest pin first."""
    ids = session().scalars(
        select(Favourite.item_id).where(Favourite.user_id == user.id).order_by(Favourite.created_at.desc())
    ).all()
    return _refs(list(ids))


def recent(user: User) -> list[TemplateRef]:
    """The templates the user copied last, most recent first."""
    ids = session().scalars(
        select(RecentUse.item_id).where(RecentUse.user_id == user.id).order_by(RecentUse.used_at.desc())
    ).all()
    return _refs(list(ids))


def popular(limit: int = 8, days: int = POPULAR_DAYS, user: User | None = None) -> list[TemplateRef]:
    """Most-copied templates over the last ``days`` (the whole team, or one user)."""
    total = func.sum(TemplateCopy.count)
    query = (select(TemplateCopy.item_id, total.label("n"))
             .where(TemplateCopy.day >= clock.today() - timedelta(days=days - 1))
             .group_by(TemplateCopy.item_id).order_by(total.desc(), TemplateCopy.item_id).limit(limit))
    if user is not None:
        query = query.where(TemplateCopy.user_id == user.id)
    rows = session().execute(query).all()
    return _refs([r[0] for r in rows], {r[0]: int(r[1]) for r in rows})


def shortlists(user: User) -> dict[str, list[TemplateRef]]:
    """Everything the workspace shows one click away."""
    return {"favourites": favourites(user), "recent": recent(user), "popular": popular()}
