"""Training follows the policies it teaches.

A lesson cites knowledge entries with ``[[slug]]``, a quiz question with ``cite:``.
When a cited entry changes — a new revision is published and in force at once, or
a scheduled policy revision reaches its ``effective_from`` date — one
:class:`PolicyChange` row is recorded. A step whose trainee completed it before a
change to something it cites counts as not done again ("政策已更新：…") until the
trainee passes it (or reads it) again. Nothing per trainee is written: reopening
is derived from completion times and changes, so it can never drift.

Recording happens through the content layer's publish hook (see
``content/events.py``) and, for policies coming into force, through
:func:`record_policies_in_force`, run before progress is computed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kbsite.content import events
from kbsite.content import service as content
from kbsite.content.models import Item, Revision
from kbsite.db import session, write_session
from kbsite.training import catalog
from kbsite.training.models import PolicyChange

StepKey = tuple[str, str]  # (kind, slug): ("lesson", …) or ("quiz", …)
_CACHE = "kbsite.training.citations"


def init_app(app: Flask) -> None:
    """Listen to publishing in the content layer."""
    events.on_published(app, record_published)


# --- what cites what -----------------------------------------------------------------------


def citations() -> dict[StepKey, frozenset[str]]:
    """Every published lesson and quiz → the knowledge slugs it cites (cached per published revision)."""
    rows = session().execute(
        select(Item.id, Item.slug, Item.type, Item.published_revision_id)
        .where(Item.type.in_(("lesson", "quiz")), Item.published_revision_id.is_not(None))
        .order_by(Item.id)
    ).all()
    key = tuple((r.slug, r.published_revision_id) for r in rows)
    cached = current_app.extensions.get(_CACHE)
    if cached is not None and cached[0] == key:
        return cached[1]
    revs = {r.id: r for r in session().scalars(
        select(Revision).where(Revision.id.in_([r.published_revision_id for r in rows])))}
    built = {(r.type, r.slug): catalog.citations_of(r.type, revs[r.published_revision_id]) for r in rows}
    current_app.extensions[_CACHE] = (key, built)
    return built


def cited_slugs() -> set[str]:
    """Every knowledge slug some published lesson or quiz cites."""
    return {slug for cited in citations().values() for slug in cited}


# --- recording changes ---------------------------------------------------------------------


def _had_earlier(sess: Session, rev: Revision) -> bool:
    """True when an earlier revision of the item was published: a first publication changes nothing."""
    return sess.scalar(select(Revision.id).where(
        Revision.item_id == rev.item_id, Revision.number < rev.number,
        Revision.published_at.is_not(None)).limit(1)) is not None


def _record(sess: Session, rev: Revision, cause: str, occurred_at: datetime) -> bool:
    if sess.scalar(select(PolicyChange.id).where(PolicyChange.revision_id == rev.id)) is not None:
        return False
    sess.add(PolicyChange(item_slug=rev.item.slug, revision_id=rev.id, revision_number=rev.number,
                          title=rev.title, cause=cause, occurred_at=occurred_at))
    return True


def record_published(revisions: Sequence[tuple[str, int]]) -> None:
    """Publish hook: a cited entry whose new revision is what agents now see has changed.

    A policy revision scheduled for later is left to :func:`record_policies_in_force`.
    """
    cited = cited_slugs()
    wanted = [(slug, rev_id) for slug, rev_id in revisions if slug in cited]
    if not wanted:
        return
    try:
        with write_session() as sess:
            for _slug, rev_id in wanted:
                rev = sess.get(Revision, rev_id)
                shown = content.agent_revision(rev.item, sess=sess) if rev else None
                if shown is not None and shown.id == rev.id and _had_earlier(sess, rev):
                    _record(sess, rev, "published", rev.published_at)
    except IntegrityError:
        pass  # recorded by a concurrent request


def _effective_moment(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.min, tzinfo=UTC)


def record_policies_in_force(on: date | None = None) -> int:
    """Record cited policies whose scheduled revision has come into force by ``on``; returns how many."""
    on = on or content.today()
    cited = cited_slugs()
    if not cited:
        return 0
    candidates = session().execute(
        select(Revision.id, Revision.effective_from, Revision.published_at)
        .join(Item, Revision.item_id == Item.id)
        .where(Item.type == "policy", Item.slug.in_(cited), Revision.published_at.is_not(None),
               Revision.effective_from.is_not(None), Revision.effective_from <= on.isoformat(),
               Revision.id.not_in(select(PolicyChange.revision_id)))
    ).all()
    # Only revisions published before their start date were scheduled; the rest took effect when published.
    scheduled = [c.id for c in candidates if c.effective_from > c.published_at.date().isoformat()]
    if not scheduled:
        return 0
    added = 0
    try:
        with write_session() as sess:
            for rev_id in scheduled:
                rev = sess.get(Revision, rev_id)
                shown = content.agent_revision(rev.item, on, sess)
                if shown is not None and shown.id == rev.id and _had_earlier(sess, rev):
                    added += _record(sess, rev, "in_force", _effective_moment(rev.effective_from))
    except IntegrityError:
        return 0
    return added


# --- what a change reopens -----------------------------------------------------------------


def changes_by_slug(slugs: Iterable[str] | None = None) -> dict[str, list[PolicyChange]]:
    """Recorded changes per entry slug, oldest first (all entries when ``slugs`` is None)."""
    query = select(PolicyChange).order_by(PolicyChange.occurred_at)
    if slugs is not None:
        query = query.where(PolicyChange.item_slug.in_(set(slugs)))
    out: dict[str, list[PolicyChange]] = defaultdict(list)
    for change in session().scalars(query):
        out[change.item_slug].append(change)
    return dict(out)


@dataclass(frozen=True)
class Completion:
    """When a step counts as done, or the changes that reopened it."""

    done_at: datetime | None
    reopened_by: tuple[PolicyChange, ...] = ()

    @property
    def reasons(self) -> list[str]:
        """What the trainee is told, e.g. ``政策已更新：七天无理由退货规则``."""
        return [f"政策已更新：{c.title}" for c in self.reopened_by]


def completion(first: datetime | None, last: datetime | None, cited: Iterable[str],
               changes: Mapping[str, list[PolicyChange]]) -> Completion:
    """A step first completed at ``first`` and last at ``last``, given the changes to what it cites.

    Done at ``first`` when nothing it cites changed since; at ``last`` when the
    trainee completed it again after the change; reopened when a change came after ``last``.
    """
    if first is None or last is None:
        return Completion(None)
    relevant = [c for slug in cited for c in changes.get(slug, ())]
    after_last = _latest_per_entry(c for c in relevant if c.occurred_at > last)
    if after_last:
        return Completion(None, after_last)
    return Completion(last if any(c.occurred_at > first for c in relevant) else first)


def _latest_per_entry(found: Iterable[PolicyChange]) -> tuple[PolicyChange, ...]:
    latest: dict[str, PolicyChange] = {}
    for change in found:
        if change.item_slug not in latest or change.occurred_at > latest[change.item_slug].occurred_at:
            latest[change.item_slug] = change
    return tuple(sorted(latest.values(), key=lambda c: c.occurred_at))
