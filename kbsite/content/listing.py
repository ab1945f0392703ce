"""Listings of items as database queries: home counts and recent changes, browse, related entries.

A listing shows each item with the revision its reader sees: trainers the newest,
agents the published one (a policy's revision in force today, by ``content.inforce``).
The database does the filtering and ordering; only the rows shown are loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from kbsite.content import inforce, types
from kbsite.content.models import Item, Revision


def _shown(drafts: bool) -> Select:
    """(Item, Revision) pairs joined on the revision a reader sees (before the policy rule)."""
    rev_id = Item.latest_revision_id if drafts else Item.published_revision_id
    rev = aliased(Revision, name="shown")
    return select(Item, rev).join(rev, rev.id == rev_id), rev


def _in_force(sess: Session, rows: Sequence, drafts: bool, today: date) -> list[tuple[Item, Revision]]:
    """Swap each policy's published revision for the one in force today (agents only)."""
    pairs = [(item, rev) for item, rev in rows]
    if drafts or not any(item.type == "policy" for item, _ in pairs):
        return pairs
    want = inforce.policies_in_force(sess, today, [i.slug for i, _ in pairs if i.type == "policy"])
    swap = {r.id: r for r in sess.scalars(select(Revision).where(Revision.id.in_(set(want.values()))))}
    return [(item, swap.get(want.get(item.id), rev)) for item, rev in pairs]


def counts(sess: Session, drafts: bool, kinds: Sequence[str] | None = None) -> dict[str, int]:
    """Items per listed type that the reader can see."""
    kinds = tuple(kinds or types.searchable())
    rev_id = Item.latest_revision_id if drafts else Item.published_revision_id
    rows = sess.execute(select(Item.type, func.count()).where(Item.type.in_(kinds), rev_id.is_not(None))
                        .group_by(Item.type))
    found = dict(rows.all())
    return {k: found.get(k, 0) for k in kinds}


def recent(sess: Session, drafts: bool, today: date, limit: int = 10) -> list[tuple[Item, Revision]]:
    """The most recently changed items the reader can see."""
    query, rev = _shown(drafts)
    rows = sess.execute(query.where(Item.type.in_(types.searchable()))
                        .order_by(rev.created_at.desc()).limit(limit)).all()
    return _in_force(sess, rows, drafts, today)


def pending(sess: Session) -> list[tuple[Item, Revision]]:
    """Items whose newest revision waits for review."""
    query, rev = _shown(True)
    return [(i, r) for i, r in sess.execute(
        query.where(Item.type.in_(types.searchable()), rev.state == "pending").order_by(rev.created_at.desc()))]


def browse(sess: Session, drafts: bool, today: date, kind: str | None = None,
           category: str = "", text: str = "") -> list[tuple[Item, Revision]]:
    """Listed items of one type and category (with its sub-categories), by category and title.

    ``text`` keeps those whose title or slug contains it (the bulk editor's filter).
    """
    query, rev = _shown(drafts)
    query = query.where(Item.type.in_(types.searchable()))
    if kind:
        query = query.where(Item.type == kind)
    if text:
        query = query.where(or_(rev.title.contains(text, autoescape=True),
                                Item.slug.contains(text, autoescape=True)))
    if category:
        query = query.where(or_(rev.category == category, rev.category.startswith(category + "/",
                                                                                  autoescape=True)))
    rows = sess.execute(query.order_by(rev.category, rev.title)).all()
    return _in_force(sess, rows, drafts, today)


def related(sess: Session, item: Item, rev: Revision, drafts: bool, today: date,
            limit: int = 6, pool: int = 200) -> list[tuple[Item, Revision]]:
    """Entries sharing the category or tags, scored by overlap (among bounded candidate sets)."""
    query, shown = _shown(drafts)
    query = query.where(Item.type.in_(types.searchable()), Item.id != item.id)
    same = sess.execute(query.where(shown.category == rev.category).limit(pool)).all()
    newest = sess.execute(query.order_by(shown.created_at.desc()).limit(pool)).all() if rev.tags else []
    rows = list({i.id: (i, r) for i, r in [*newest, *same]}.values())
    scored = []
    for other, orev in _in_force(sess, rows, drafts, today):
        score = len(set(rev.tags) & set(orev.tags)) * 2 + (orev.category == rev.category)
        if score:
            scored.append((score, other, orev))
    scored.sort(key=lambda s: (-s[0], s[2].title))
    return [(o, r) for _, o, r in scored[:limit]]
