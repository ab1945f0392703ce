"""Content health: who owns each entry, how often it is re-checked, which entries are stale.

An entry is stale when it was never verified, or when ``verified_at`` plus its
review interval lies before today. "Today" comes from the caller (views pass
``service.today()``), so tests can pin it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kbsite import audit, clock, files
from kbsite.auth.models import User
from kbsite.content.models import Item, Revision
from kbsite.db import session, utcnow, write_session
from kbsite.errors import Invalid, NotFound

MIN_INTERVAL, MAX_INTERVAL = 1, 3650


@dataclass
class StaleEntry:
    """One entry due for review, with the date it fell due (None: never verified)."""

    item: Item
    rev: Revision
    due: date | None

    def overdue_days(self, today: date) -> int | None:
        """Days past due, for sorting and display; None when never verified."""
        return (today - self.due).days if self.due else None


def due_date(item: Item) -> date | None:
    """The date by which ``item`` must be verified again (None when never verified)."""
    if item.verified_at is None:
        return None
    return clock.local_date(item.verified_at) + timedelta(days=item.review_interval_days)


def is_stale(item: Item, today: date) -> bool:
    """True when the entry was never verified or its review date has passed."""
    due = due_date(item)
    return due is None or due < today


def stale_entries(today: date, types: tuple[str, ...] = files.KINDS) -> list[StaleEntry]:
    """Stale entries that have content, most overdue (and never verified) first."""
    rows = session().scalars(
        select(Item).where(Item.type.in_(types))
        .options(selectinload(Item.latest), selectinload(Item.published), selectinload(Item.owner))
    )
    out = [StaleEntry(i, i.published or i.latest, due_date(i))
           for i in rows if (i.published or i.latest) is not None and is_stale(i, today)]
    out.sort(key=lambda e: (e.due is not None, e.due or date.min, e.rev.title))
    return out


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
