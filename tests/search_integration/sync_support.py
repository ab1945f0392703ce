"""Helpers shared by the search integration tests (imported as ``search_integration.sync_support``)."""

from __future__ import annotations

from kbsite.content.service import Draft


def faq(title: str, body: str, summary: str = "", tags: tuple[str, ...] = (),
        category: str = "售后/测试") -> Draft:
    """A FAQ draft with an optional summary."""
    return Draft(title, category, list(tags), body, {"summary": summary} if summary else {})


def policy(title: str, body: str, effective_from: str, category: str = "规则/测试") -> Draft:
    """A policy draft effective from an ISO date."""
    return Draft(title, category, [], body, {"summary": title, "effective_from": effective_from})


def publish(slug: str, type_: str, draft: Draft, author, reviewer=None) -> int:
    """Create (or save) an item and approve the new revision; returns its number."""
    from kbsite.content import service
    from kbsite.errors import NotFound

    try:
        item = service.get_item(slug)
    except NotFound:
        rev = service.create_item(slug, type_, draft, author)
    else:
        rev = service.save_revision(slug, draft, item.latest.number, author)
    service.approve(slug, rev.number, reviewer or second_reviewer(author))
    return rev.number


def second_reviewer(author):
    """Another trainer to approve ``author``'s change: nobody approves their own, admins included."""
    from sqlalchemy import select

    from kbsite.auth import service
    from kbsite.auth.models import User
    from kbsite.db import session

    name = "second-reviewer"
    user = session().scalar(select(User).where(User.username == name))
    return user or service.create_user(name, "trainer", "second-reviewer-password")


def found(app, q: str, **kwargs) -> list[str]:
    """Slugs of the entries holding ``q``'s words (best first); none when the library holds none of
    them and the results only share a character with the query (``SearchResults.nothing_held``)."""
    from kbsite.search.sync import service

    with app.app_context():
        res = service().search(q, limit=50, **kwargs)
        return [] if res.nothing_held else [h.slug for h in res.hits]


def index_matches_db(app) -> tuple[dict, dict]:
    """(indexed doc versions, expected doc versions), read without repairing anything."""
    from kbsite.search.sync import service

    with app.app_context():
        svc = service()
        return svc.engine().indexed_versions(), svc.expected_versions()
