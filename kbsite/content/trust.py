"""Trust signals on an answer: last verified (when, by whom), owner, policy dates, staleness, open reports.

Shown on every search result and entry page, returned by the item API, and used to
rank entries past their review interval below current ones. Staleness is health.py's
rule; "today" comes from the caller so tests can pin it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from kbsite.content import health
from kbsite.content.models import Item, Revision
from kbsite.db import session
from kbsite.review.feedback import Feedback

# Score factor for a result past its review date: below a current answer of similar relevance.
STALE_FACTOR = 0.6


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


def trust_of(item: Item, rev: Revision | None, today: date, reports: int | None = None) -> Trust:
    """Trust signals of one entry as shown in revision ``rev`` (the one agents read)."""
    if reports is None:
        reports = _open_reports([item.id]).get(item.id, 0)
    start = rev.effective_from if item.type == "policy" and rev is not None else None
    return Trust(
        verified_at=item.verified_at, verified_by=item.verified_by.name if item.verified_by else None,
        owner=item.owner.name if item.owner else None, stale=health.is_stale(item, today),
        review_due=health.due_date(item), effective_from=start,
        effective_until=_next_start(item, rev), open_reports=reports,
    )


def trust_for(slugs: Iterable[str], today: date,
              revision_of: Callable[[Item], Revision | None]) -> dict[str, Trust]:
    """Trust signals for several entries in three queries (result pages)."""
    slugs = list(dict.fromkeys(slugs))
    if not slugs:
        return {}
    items = list(session().scalars(
        select(Item).where(Item.slug.in_(slugs))
        .options(joinedload(Item.owner), joinedload(Item.verified_by))))
    reports = _open_reports([i.id for i in items])
    # Only a policy's revision matters (its dates): other kinds cost no revision query.
    return {i.slug: trust_of(i, revision_of(i) if i.type == "policy" else None, today, reports.get(i.id, 0))
            for i in items}


def demote_stale(scored: list, trust: dict[str, Trust], slug_of: Callable, score_of: Callable) -> list:
    """Re-order a page of results: entries past review count ``STALE_FACTOR`` of their score."""
    def key(hit) -> float:
        t = trust.get(slug_of(hit))
        return score_of(hit) * (STALE_FACTOR if t is not None and t.stale else 1.0)

    return sorted(scored, key=key, reverse=True)
