"""What reviewers and authors look at: the pending queue, scheduled policies and one's own drafts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from kbsite.auth.models import User
from kbsite.content import diff, merge
from kbsite.content.models import Item, Revision
from kbsite.db import session


@dataclass
class MergeReview:
    """For a merged revision: the colleague's version, what the merge did to it, and what it dropped."""

    theirs: Revision
    rows: list[diff.Row]
    dropped: set[int]  # line numbers (left side) of the colleague's own changes no longer present


@dataclass
class PendingChange:
    """A pending revision with what agents read now and the diff between them."""

    item: Item
    rev: Revision
    published: Revision | None
    rows: list[diff.Row]
    merge: MergeReview | None = None

    @property
    def superseded(self) -> bool:
        """A newer revision exists, so approving this one would publish older text."""
        return self.item.latest is not None and self.item.latest.number > self.rev.number

    def scheduled_for(self, today: date) -> str | None:
        """For a policy taking effect after today: the ISO date it will take effect."""
        if self.item.type == "policy" and self.rev.effective_from and self.rev.effective_from > today.isoformat():
            return self.rev.effective_from
        return None


def _with_item(stmt):
    return stmt.options(
        selectinload(Revision.item).selectinload(Item.latest),
        selectinload(Revision.item).selectinload(Item.published),
        selectinload(Revision.author),
        selectinload(Revision.reviewer),
    )


def pending_changes() -> list[PendingChange]:
    """Every pending revision, oldest first, each diffed against the newest approved revision."""
    revs = session().scalars(
        _with_item(select(Revision).where(Revision.state == "pending").order_by(Revision.created_at))
    )
    out = []
    for rev in revs:
        published = rev.item.published
        before = diff.revision_text(published) if published is not None else ""
        out.append(PendingChange(rev.item, rev, published, diff.side_by_side(before, diff.revision_text(rev)),
                                 merge_review(rev)))
    return out


def _number(item_id: int, number: int | None) -> Revision | None:
    if not number:
        return None
    return session().scalar(select(Revision).where(Revision.item_id == item_id, Revision.number == number))


def merge_review(rev: Revision) -> MergeReview | None:
    """What a merge did to the colleague's revision it merged with (None for an ordinary save)."""
    theirs = _number(rev.item_id, rev.merged_with)
    if theirs is None:
        return None
    base = _number(rev.item_id, rev.merge_base)
    theirs_text, merged_text = diff.revision_text(theirs), diff.revision_text(rev)
    dropped = merge.dropped_lines(diff.revision_text(base) if base else "", theirs_text, merged_text)
    return MergeReview(theirs, diff.side_by_side(theirs_text, merged_text), dropped)


def scheduled_policies(today: date) -> list[tuple[Item, Revision]]:
    """Approved policy revisions that take effect after today (agents still read the one in force)."""
    revs = session().scalars(
        _with_item(select(Revision).where(
            Revision.published_at.is_not(None),
            Revision.effective_from > today.isoformat(),
        ).order_by(Revision.effective_from))
    )
    return [(r.item, r) for r in revs if r.item.type == "policy"]


def my_drafts(user: User) -> list[Revision]:
    """The user's newest draft per item, and pending or sent-back revisions not yet overtaken by a published one."""
    revs = session().scalars(
        _with_item(select(Revision).where(
            Revision.author_id == user.id, Revision.state.in_(("draft", "pending", "rejected")),
        ).order_by(Revision.created_at.desc()))
    )
    out = []
    for rev in revs:
        published = rev.item.published
        if published is not None and rev.number <= published.number:
            continue
        if rev.state == "draft" and rev.item.latest_revision_id != rev.id:
            continue  # a newer revision (e.g. a merge) already carries this draft forward
        out.append(rev)
    return out


def pending_count() -> int:
    """How many revisions wait for review (for the trainer's home)."""
    return session().scalar(select(func.count(Revision.id)).where(Revision.state == "pending")) or 0
