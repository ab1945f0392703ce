"""Trust signals on an answer: last verified (when, by whom), owner, policy dates, staleness, open reports.

Shown on every search result and entry page, returned by the item API, and used to
rank entries past their review interval below current ones: the search engine scales
their scores before it takes a page (:func:`demotion`), so a stale entry on one page
never outranks a current one on the next. Staleness is health.py's rule; "today"
comes from the caller so tests can pin it.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from kbsite import clock
from kbsite.audit import AuditEvent
from kbsite.auth.models import User
from kbsite.content import health, inforce
from kbsite.content.models import Item, Revision
from kbsite.db import session
from kbsite.review.feedback import Feedback
from kbsite.search.model import Demotion
from kbsite.search.outbox import OutboxEntry

# Score factor for a result past its review date: below a current answer of similar relevance.
STALE_FACTOR = 0.6
# At the latest, the stale set for ranking is read again after this long.
STALE_REFRESH_SECONDS = 60.0


@dataclass
class Trust:
    """What an agent needs to judge whether an answer is still current."""

    verified_at: datetime | None
    verified_by: str | None
    owner: str | None
    stale: bool
    review_due: date | None
    effective_from: str | None
    effective_until: str | None
    open_reports: int

    def as_json(self, when: Callable[[datetime | None], str]) -> dict:
        """The API shape; ``when`` formats a time in the team's zone for the ``label``."""
        return {
            "verified_at": self.verified_at.isoformat() if self.verified_at else None,
            "verified_by": self.verified_by, "owner": self.owner, "stale": self.stale,
            "review_due": self.review_due.isoformat() if self.review_due else None,
            "effective_from": self.effective_from, "effective_until": self.effective_until,
            "open_reports": self.open_reports, "label": self.label(when),
        }

    def label(self, when: Callable[[datetime | None], str]) -> str:
        """One line of Chinese for result rows and the panel."""
        parts = [f"{when(self.verified_at)} 由{self.verified_by or '（未知）'}核实" if self.verified_at
                 else "尚未复核"]
        parts.append(f"负责人：{self.owner or '未指定'}")
        if self.effective_from:
            span = f"{self.effective_from} 起生效"
            parts.append(span + (f"，{self.effective_until} 起由新版本替代" if self.effective_until else ""))
        if self.stale:
            parts.append("已过复核期")
        if self.open_reports:
            parts.append(f"{self.open_reports} 条客服反馈待处理")
        return " · ".join(parts)


def _open_reports(item_ids: Sequence[int]) -> dict[int, int]:
    rows = session().execute(
        select(Feedback.item_id, func.count()).where(Feedback.item_id.in_(item_ids),
                                                   Feedback.resolved_at.is_(None))
        .group_by(Feedback.item_id))
    return dict(rows.all())


def _next_start(item: Item, rev: Revision | None) -> str | None:
    """The effective date of the next approved policy revision after ``rev``'s, if one is scheduled."""
    if item.type != "policy" or rev is None or not rev.effective_from:
        return None
    return session().scalar(
        select(func.min(Revision.effective_from)).where(
            Revision.item_id == item.id, Revision.published_at.is_not(None),
            Revision.effective_from > rev.effective_from))


def _trust(verified_at: datetime | None, verified_by: str | None, owner: str | None, due: date | None,
           today: date, start: str | None, until: str | None, reports: int) -> Trust:
    return Trust(verified_at=verified_at, verified_by=verified_by, owner=owner,
                 stale=health.past_due(due, today), review_due=due,
                 effective_from=start, effective_until=until, open_reports=reports)


def trust_of(item: Item, rev: Revision | None, today: date, reports: int | None = None) -> Trust:
    """Trust signals of one entry as shown in revision ``rev`` (the one agents read)."""
    if reports is None:
        reports = _open_reports([item.id]).get(item.id, 0)
    start = rev.effective_from if item.type == "policy" and rev is not None else None
    return _trust(item.verified_at, item.verified_by.name if item.verified_by else None,
                  item.owner.name if item.owner else None, health.due_date(item), today,
                  start, _next_start(item, rev), reports)


@functools.cache
def _page_query() -> Select:
    """The entries of a page with owner, verifier and open reports: plain columns, built once."""
    owner, verifier = aliased(User), aliased(User)
    open_reports = (select(func.count(Feedback.id))
                    .where(Feedback.item_id == Item.id, Feedback.resolved_at.is_(None))
                    .correlate(Item).scalar_subquery())
    return (select(Item.id, Item.slug, Item.type, Item.published_revision_id, Item.verified_at, Item.created_at,
                   Item.review_interval_days, owner.display_name, owner.username, verifier.display_name,
                   verifier.username, open_reports)
            .outerjoin(owner, owner.id == Item.owner_id)
            .outerjoin(verifier, verifier.id == Item.verified_by_id)
            .where(Item.slug.in_(bindparam("slugs", expanding=True))))


@functools.cache
def _approved_query() -> Select:
    return (select(Revision.item_id, Revision.id, Revision.effective_from, Revision.number)
            .where(Revision.item_id.in_(bindparam("ids", expanding=True)), Revision.published_at.is_not(None)))


def _policy_dates(policies: dict[int, int], today: date) -> dict[int, tuple[str | None, str | None]]:
    """item id -> (in force since, replaced from), for policies given as item id -> published revision id.

    The dates are those of the revision agents read (:func:`service.agent_revision`): the
    one in force today, else the newest approved one (approved before its first date).
    """
    if not policies:
        return {}
    approved: dict[int, list[tuple[int, str | None, int]]] = {}
    for item_id, rev_id, effective, number in session().execute(_approved_query(), {"ids": list(policies)}):
        approved.setdefault(item_id, []).append((rev_id, effective, number))
    out: dict[int, tuple[str | None, str | None]] = {}
    for item_id, published_id in policies.items():
        revs = approved.get(item_id, [])
        shown = inforce.in_force_among(revs, today) or published_id
        start = next((effective for rev_id, effective, _ in revs if rev_id == shown), None)
        later = [effective for _, effective, _ in revs if start and effective and effective > start]
        out[item_id] = (start, min(later, default=None))
    return out


def trust_for(slugs: Iterable[str], today: date) -> dict[str, Trust]:
    """Trust signals of a page of results in two queries, whatever its length.

    One reads the entries with their owner, verifier and open reports; one reads the
    approved revisions of the policies among them (their dates in force).
    """
    slugs = list(dict.fromkeys(slugs))
    if not slugs:
        return {}
    rows = session().execute(_page_query(), {"slugs": slugs}).all()
    dates = _policy_dates({r.id: r.published_revision_id for r in rows
                           if r.type == "policy" and r.published_revision_id is not None}, today)
    local = clock.local_date
    out = {}
    for (item_id, slug, _type, _published, verified_at, created_at, interval,
         owner_display, owner_user, verifier_display, verifier_user, reports) in rows:
        due = health.review_due(local(verified_at) if verified_at else None,
                                local(created_at) if created_at else None, interval)
        out[slug] = _trust(verified_at, (verifier_display or verifier_user) if verifier_user else None,
                           (owner_display or owner_user) if owner_user else None, due, today,
                           *dates.get(item_id, (None, None)), reports or 0)
    return out


@functools.cache
def _stamp_query() -> Select:
    """The newest audit event and search outbox row: what changes whenever staleness may change."""
    return select(select(func.max(AuditEvent.id)).scalar_subquery(),
                  select(func.max(OutboxEntry.id)).scalar_subquery())


class StaleSlugs:
    """The slugs past review, for ranking every search: read from the database only when it may differ.

    What decides staleness (a verification, a review interval, an entry created,
    imported or restored) always commits an audit event or a search outbox row, so
    the newest ids of both, with the day, key the set; ``refresh_seconds`` bounds
    anything else (a write committed out of id order on PostgreSQL).
    """

    def __init__(self, refresh_seconds: float = STALE_REFRESH_SECONDS) -> None:
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._state: tuple[tuple, float, frozenset[str]] | None = None  # key, when read, slugs

    def get(self, sess: Session, today: date) -> frozenset[str]:
        """The current set (the same object until something changed, so the engine's mask is reused)."""
        key = (today, *sess.execute(_stamp_query()).one())
        state = self._state
        if state is None or state[0] != key or time.monotonic() - state[1] > self.refresh_seconds:
            with self._lock:
                state = self._state
                if state is None or state[0] != key or time.monotonic() - state[1] > self.refresh_seconds:
                    slugs = health.stale_slugs(sess, today)
                    if state is not None and state[2] == slugs:
                        slugs = state[2]
                    state = self._state = (key, time.monotonic(), slugs)
        return state[2]


def demotion(stale: frozenset[str]) -> Demotion:
    """How search ranks entries past review: ``STALE_FACTOR`` of their relevance, on every page."""
    return Demotion(stale, STALE_FACTOR)
