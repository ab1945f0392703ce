"""Content health: who owns each entry, how often it is re-checked, which entries are stale.

An entry is due for review one review interval after it was last verified or,
never verified, after it was created (an import creates entries without
verifying them). It is stale once that date lies before today. This is the one
definition: result labels and ranking, the review list, the home counts and the
dashboard's figures all use it. "Today" comes from the caller (views pass
``service.today()``), so tests can pin it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from kbsite import audit, clock, files
from kbsite.auth.models import User
from kbsite.content.models import Item, Revision
from kbsite.db import session, utcnow, write_session
from kbsite.errors import Invalid, NotFound

MIN_INTERVAL, MAX_INTERVAL = 1, 3650


@dataclass
class StaleEntry:
    """One entry due for review, with the date it fell due."""

    item: Item
    rev: Revision
    due: date

    def overdue_days(self, today: date) -> int:
        """Days past due, for sorting and display."""
        return (today - self.due).days


def review_due(last_verified: date | None, created: date | None, interval_days: int) -> date | None:
    """The review date: ``interval_days`` after the last verification, else after creation.

    None only for an entry without either date (not saved yet): it cannot be overdue.
    """
    start = last_verified or created
    return start + timedelta(days=interval_days) if start is not None else None


def _local(at: datetime | None) -> date | None:
    return clock.local_date(at) if at is not None else None


def due_date(item: Item) -> date | None:
    """The date by which ``item`` must be verified (again); see :func:`review_due`."""
    return review_due(_local(item.verified_at), _local(item.created_at), item.review_interval_days)


def past_due(due: date | None, today: date) -> bool:
    """True once a review date has passed: on the due date itself the entry is still current."""
    return due is not None and due < today


def is_stale(item: Item, today: date) -> bool:
    """True once the entry's review date has passed (never verified: counted from its creation)."""
    return past_due(due_date(item), today)


def stale_entries(today: date, types: tuple[str, ...] = files.KINDS) -> list[StaleEntry]:
    """Stale entries that have content, most overdue first."""
    rows = session().scalars(
        select(Item).where(Item.type.in_(types))
        .options(selectinload(Item.latest), selectinload(Item.published), selectinload(Item.owner))
    )
    out = [StaleEntry(i, i.published or i.latest, due_date(i))
           for i in rows if (i.published or i.latest) is not None and is_stale(i, today)]
    out.sort(key=lambda e: (e.due, e.rev.title))
    return out


def stale_slugs(sess: Session, today: date, types: tuple[str, ...] = files.KINDS) -> frozenset[str]:
    """Slugs of every entry past its review date, filtered by the database (for ranking).

    The rule of :func:`is_stale` as instants: ``local_date(start) + interval < today``
    holds exactly when ``start`` lies before local midnight of ``today - interval``;
    one cut-off per review interval in use.
    """
    kinds = Item.type.in_(types)
    intervals = sess.scalars(select(Item.review_interval_days).where(kinds).distinct()).all()
    if not intervals:
        return frozenset()
    start = func.coalesce(Item.verified_at, Item.created_at)
    past = [and_(Item.review_interval_days == days, start < clock.day_start(today - timedelta(days=days)))
            for days in intervals]
    return frozenset(sess.scalars(select(Item.slug).where(kinds, or_(*past))))


def by_owner(entries: list[StaleEntry]) -> list[tuple[User | None, list[StaleEntry]]]:
    """Group stale entries by owner: owners by name, unowned entries last."""
    groups: dict[int | None, list[StaleEntry]] = {}
    for e in entries:
        groups.setdefault(e.item.owner_id, []).append(e)
    owned = sorted((g for k, g in groups.items() if k is not None), key=lambda g: g[0].item.owner.name)
    result: list[tuple[User | None, list[StaleEntry]]] = [(g[0].item.owner, g) for g in owned]
    if None in groups:
        result.append((None, groups[None]))
    return result


def in_category(category: str, prefix: str) -> bool:
    """True when ``category`` is ``prefix`` or lies below it (售后/退款 is in 售后)."""
    return category == prefix or category.startswith(prefix + "/")


def default_owner(category: str, owners: Mapping[str, str]) -> str | None:
    """The username owning new imported entries of ``category``: the longest matching prefix wins."""
    matches = [p for p in owners if in_category(category, p.strip("/"))]
    return owners[max(matches, key=len)] if matches else None


def category_owners(raw: object) -> dict[str, str]:
    """The ``CATEGORY_OWNERS`` setting (a mapping, or its JSON text), validated."""
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise Invalid(f"KBSITE_CATEGORY_OWNERS 不是有效的 JSON：{exc}") from None
    if not isinstance(raw, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise Invalid('KBSITE_CATEGORY_OWNERS 应为 {"分类": "用户名"}')
    return {k.strip("/"): v for k, v in raw.items() if k.strip("/")}


def _locked(sess, slug: str) -> Item:
    item = sess.scalar(select(Item).where(Item.slug == slug).with_for_update())
    if item is None:
        raise NotFound("找不到该条目")
    return item


def verify(slug: str, user: User) -> None:
    """Record that ``user`` checked the entry is still right today (audited)."""
    with write_session() as sess:
        item = _locked(sess, slug)
        item.verified_at = utcnow()
        item.verified_by_id = user.id
        audit.record(sess, user, "item.verify", f"item:{slug}")


def set_owner(slug: str, username: str, actor: User) -> None:
    """Hand an entry to a trainer or admin (empty name: no owner)."""
    with write_session() as sess:
        item = _locked(sess, slug)
        owner = None
        if username.strip():
            owner = sess.scalar(select(User).where(User.username == username.strip()))
            if owner is None or not owner.active:
                raise Invalid(f"没有可用的用户 {username}")
            if owner.role not in ("trainer", "admin"):
                raise Invalid("负责人必须是培训师或管理员")
        item.owner_id = owner.id if owner else None
        audit.record(sess, actor, "item.owner", f"item:{slug}", owner=owner.username if owner else "")


def set_interval(slug: str, days: int, actor: User) -> None:
    """Change how often an entry must be re-verified."""
    if not MIN_INTERVAL <= days <= MAX_INTERVAL:
        raise Invalid(f"复核周期应为 {MIN_INTERVAL}–{MAX_INTERVAL} 天")
    with write_session() as sess:
        item = _locked(sess, slug)
        item.review_interval_days = days
        audit.record(sess, actor, "item.interval", f"item:{slug}", days=days)


def owner_candidates() -> list[User]:
    """Active trainers and admins, who can own entries."""
    return list(session().scalars(
        select(User).where(User.active.is_(True), User.role.in_(("trainer", "admin"))).order_by(User.username)
    ))
