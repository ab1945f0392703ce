"""Which policy revision is in force on a day: the one rule, for pages and the search index alike.

An approved revision comes into force at local midnight of its ``effective_from``; the
revision in force is the one with the latest effective date on or before the day (the
newest number breaking ties). Items of other types have no such rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kbsite.content.models import Item, Revision


def _candidates(on: date) -> Select:
    """Approved revisions already effective on ``on``, best first."""
    return (
        select(Revision)
        .where(Revision.published_at.is_not(None), Revision.effective_from <= on.isoformat())
        .order_by(Revision.effective_from.desc(), Revision.number.desc())
    )


def revision_in_force(sess: Session, item_id: int, on: date) -> Revision | None:
    """The approved revision of one policy in force on ``on``."""
    return sess.scalar(_candidates(on).where(Revision.item_id == item_id).limit(1))


def in_force_among(revisions: Iterable[tuple[int, str | None, int]], on: date) -> int | None:
    """Of approved revisions given as (id, effective_from, number), the id of the one in force on ``on``."""
    day = on.isoformat()
    best = max((((effective, number), rev_id) for rev_id, effective, number in revisions
                if effective and effective <= day), default=None)
    return best[1] if best else None


def policies_in_force(sess: Session, on: date, slugs: list[str] | None = None) -> dict[int, int]:
    """item id -> revision id in force on ``on``, for every policy (or those with these slugs)."""
    query = (
        select(Revision.item_id, Revision.id, Revision.effective_from, Revision.number)
        .join(Item, Item.id == Revision.item_id)
        .where(
            Item.type == "policy",
            Revision.published_at.is_not(None),
            Revision.effective_from <= on.isoformat(),
        )
    )
    if slugs is not None:
        query = query.where(Item.slug.in_(slugs))
    by_item: dict[int, list[tuple[int, str | None, int]]] = {}
    for item_id, rev_id, effective, number in sess.execute(query):
        by_item.setdefault(item_id, []).append((rev_id, effective, number))
    return {item_id: rev_id for item_id, revs in by_item.items()
            if (rev_id := in_force_among(revs, on)) is not None}
