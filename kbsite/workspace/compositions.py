"""Replies composed from several pieces: resolve the pieces, copy the whole, keep recent compositions.

A piece is a published template (its default text) or a published entry's summary (the
short answer an agent can paste). The composition rules are in phrasing/compose.py.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from kbsite.auth.models import User
from kbsite.content import published
from kbsite.db import session, utcnow, write_session
from kbsite.errors import Invalid, NotFound
from kbsite.files import SLUG_RE
from kbsite.phrasing.compose import MAX_PIECES, Piece, compose
from kbsite.workspace import usage
from kbsite.workspace.models import ReplyComposition

RECENT_KEEP = 10


def clean_slugs(raw: object) -> list[str]:
    """Validate the API's piece list: 1–MAX_PIECES slugs."""
    if not isinstance(raw, list) or not raw:
        raise Invalid("pieces 必须是至少包含一项的列表")
    if len(raw) > MAX_PIECES:
        raise Invalid(f"一条回复最多组合 {MAX_PIECES} 段")
    if not all(isinstance(s, str) and SLUG_RE.fullmatch(s) for s in raw):
        raise Invalid("pieces 中有无效的条目标识")
    return list(raw)


def piece_of(slug: str) -> tuple[Piece, int]:
    """The piece an entry contributes, and its item id; entries without a summary cannot be pieces."""
    item, rev = published.published_entry(slug)
    if item.type == "template":
        return Piece(slug, rev.title, rev.body, "template"), item.id
    summary = str(rev.meta.get("summary") or "").strip()
    if not summary:
        raise Invalid(f"「{rev.title}」没有可直接粘贴的摘要，不能加入回复")
    return Piece(slug, rev.title, summary, item.type), item.id


def copy_reply(user: User, slugs: list[str], values: dict[str, str]) -> str:
    """The filled reply for the clipboard; counts template copies and remembers the composition."""
    resolved = [piece_of(s) for s in slugs]
    text = compose([p for p, _ in resolved], values)
    for piece, item_id in resolved:
        if piece.kind == "template":
            usage.record_copy(item_id, user)
    try:
        _remember(user, slugs)
    except IntegrityError:  # the same composition copied twice at once: the row exists now
        _remember(user, slugs)
    return text


def _remember(user: User, slugs: list[str]) -> None:
    key = hashlib.sha256("\x1f".join(slugs).encode()).hexdigest()
    with write_session() as sess:
        row = sess.scalar(select(ReplyComposition).where(
            ReplyComposition.user_id == user.id, ReplyComposition.key == key))
        if row is None:
            sess.add(ReplyComposition(user_id=user.id, key=key, slugs=slugs, uses=1, used_at=utcnow()))
        else:
            row.uses += 1
            row.used_at = utcnow()
        sess.flush()
        keep = select(ReplyComposition.id).where(ReplyComposition.user_id == user.id).order_by(
            ReplyComposition.used_at.desc()).limit(RECENT_KEEP)
        sess.execute(delete(ReplyComposition).where(ReplyComposition.user_id == user.id,
                                                    ReplyComposition.id.not_in(keep)))


@dataclass
class RecentComposition:
    """A composition in the recent list: its pieces that can still be used, with titles."""

    id: int
    pieces: list[dict]
    uses: int

    def as_json(self) -> dict:
        """The API shape."""
        return {"id": self.id, "pieces": self.pieces, "uses": self.uses,
                "title": " + ".join(p["title"] for p in self.pieces)}


def recent(user: User) -> list[RecentComposition]:
    """The user's recent compositions, newest first; pieces no longer published are left out."""
    rows = session().scalars(select(ReplyComposition).where(ReplyComposition.user_id == user.id)
                             .order_by(ReplyComposition.used_at.desc()))
    out = []
    for row in rows:
        pieces = []
        for slug in row.slugs:
            try:
                piece, _ = piece_of(slug)
            except (NotFound, Invalid):
                continue
            pieces.append({"slug": slug, "title": piece.title, "kind": piece.kind})
        if pieces:
            out.append(RecentComposition(row.id, pieces, row.uses))
    return out
