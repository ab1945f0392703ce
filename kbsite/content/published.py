"""A published entry as chat tools and the side panel read it: text, safe HTML, images, trust signals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from kbsite.content import images, service, trust
from kbsite.content.media import url_for_image
from kbsite.content.models import Item, Revision
from kbsite.errors import NotFound


def published_entry(slug: str) -> tuple[Item, Revision]:
    """The entry agents may read now (a policy's revision in force today); drafts are not found."""
    item = service.get_item(slug)
    rev = service.agent_revision(item)
    if rev is None:
        raise NotFound("找不到该条目或尚未发布")
    return item, rev


def images_json(rev: Revision) -> list[dict]:
    """A revision's images with their URLs, for the API and the pages' scripts."""
    return [d | {"url": url_for_image(d)} for d in images.described(rev.meta)]


def entry_json(item: Item, rev: Revision, when: Callable[[datetime | None], str]) -> dict:
    """The API shape of a published entry."""
    t = trust.trust_of(item, rev, service.today())
    out = {
        "slug": item.slug, "type": item.type, "title": rev.title, "category": rev.category,
        "tags": list(rev.tags), "summary": str(rev.meta.get("summary") or ""),
        "markdown": rev.body, "html": rev.html, "revision": rev.number,
        "published_at": rev.published_at.isoformat() if rev.published_at else None,
        "verified_at": t.as_json(when)["verified_at"], "verified_by": t.verified_by,
        "effective_from": t.effective_from, "effective_until": t.effective_until,
        "images": images_json(rev),
        "trust": t.as_json(when),
    }
    return out
