"""What the index should hold: the database state search must reflect, as SearchDocs.

Published (agent-visible: for policies, the revision in force today) and newer
draft revisions of every searchable item, each doc tagged with the revision id
it was built from, so an index can be compared with the database doc by doc.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kbsite import files, markdown
from kbsite.content import types, validity
from kbsite.content.inforce import policies_in_force
from kbsite.content.models import Item, Revision
from kbsite.search.engine import SearchEngine
from kbsite.search.model import SearchDoc

CONFIG_TYPES = ("dictionary", "synonyms")
_BATCH = 500


def doc_for(item: Item, rev: Revision, status: str) -> SearchDoc:
    """The indexable form of one revision."""
    body = rev.body if item.type == "template" else markdown.to_plain_text(rev.body)
    return SearchDoc(
        doc_id=f"{item.slug}@{status}",
        slug=item.slug,
        type=item.type,
        status=status,
        title=rev.title,
        category=rev.category,
        tags=list(rev.tags),
        summary=str(rev.meta.get("summary", "")),
        body=body,
        version=rev.id,
    )


def chunks(values: list, size: int = _BATCH) -> Iterator[list]:
    """``values`` in slices of ``size`` (database ``IN`` lists stay short)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def expected_versions(
    sess: Session, today: date, slugs: list[str] | None = None
) -> dict[str, int]:
    """doc_id -> revision id the index must hold: what agents see, plus any newer draft."""
    query = select(
        Item.id, Item.slug, Item.type, Item.published_revision_id, Item.latest_revision_id
    ).where(Item.type.in_(files.KINDS))
    if slugs is not None:
        query = query.where(Item.slug.in_(slugs))
    rows = sess.execute(query).all()
    in_force = policies_in_force(sess, today, slugs) if any(r.type == "policy" for r in rows) else {}
    expired = _outside_window(sess, [r.published_revision_id for r in rows if r.type in types.windowed()])
    out: dict[str, int] = {}
    for row in rows:
        pub = row.published_revision_id
        if row.type == "policy" and pub is not None:
            pub = in_force.get(row.id, pub)  # as agent_revision: in force today, else published
        if pub in expired:
            continue  # an announcement before or after its validity window is in history only
        if pub is not None:
            out[f"{row.slug}@published"] = pub
        if row.latest_revision_id is not None and row.latest_revision_id != pub:
            out[f"{row.slug}@draft"] = row.latest_revision_id
    return out


def _outside_window(sess: Session, rev_ids: list[int | None]) -> set[int]:
    """Those published revisions whose validity window (``content.validity``) does not hold now."""
    wanted = [r for r in rev_ids if r is not None]
    out: set[int] = set()
    for chunk in chunks(wanted):
        for rev_id, meta in sess.execute(select(Revision.id, Revision.meta).where(Revision.id.in_(chunk))):
            if not validity.is_current(meta or {}):
                out.add(rev_id)
    return out


def windows_now(sess: Session) -> dict[str, bool]:
    """slug -> inside its validity window now, for every published item of a windowed type."""
    rows = sess.execute(select(Item.slug, Revision.meta).join(Revision, Revision.id == Item.published_revision_id)
                        .where(Item.type.in_(types.windowed())))
    return {slug: validity.is_current(meta or {}) for slug, meta in rows}


def load_docs(sess: Session, wanted: dict[str, int]) -> Iterator[SearchDoc]:
    """Build the docs for ``doc_id -> revision id``, a batch of revisions at a time."""
    by_rev: dict[int, list[str]] = {}
    for doc_id, rev_id in wanted.items():
        by_rev.setdefault(rev_id, []).append(doc_id)
    for chunk in chunks(sorted(by_rev)):
        revs = sess.scalars(
            select(Revision).where(Revision.id.in_(chunk)).options(selectinload(Revision.item))
        )
        for rev in revs:
            for doc_id in by_rev[rev.id]:
                yield doc_for(rev.item, rev, doc_id.rsplit("@", 1)[1])
        sess.expunge_all()


def config_revisions(sess: Session) -> dict[str, Revision | None]:
    """The published dictionary and synonym revisions (None when there is none)."""
    rows = sess.scalars(
        select(Item).where(Item.type.in_(CONFIG_TYPES)).options(selectinload(Item.published))
    )
    found: dict[str, Revision | None] = dict.fromkeys(CONFIG_TYPES)
    for item in rows:
        found[item.type] = item.published
    return found


def config_ids(sess: Session) -> tuple[int | None, int | None]:
    """Revision ids of the published dictionary and synonyms: cheap change detection."""
    query = select(Item.type, Item.published_revision_id).where(Item.type.in_(CONFIG_TYPES))
    rows = {type_: rev_id for type_, rev_id in sess.execute(query)}
    return (rows.get("dictionary"), rows.get("synonyms"))


def new_engine(index_dir: Path, sess: Session) -> tuple[SearchEngine, tuple[int | None, int | None]]:
    """An engine with the published dictionary and synonyms, and their revision ids."""
    cfg = config_revisions(sess)
    dictionary, synonyms = cfg["dictionary"], cfg["synonyms"]
    engine = SearchEngine(
        index_dir,
        words=dictionary.meta.get("words", []) if dictionary else [],
        synonyms=synonyms.meta.get("groups", []) if synonyms else [],
    )
    return engine, (dictionary.id if dictionary else None, synonyms.id if synonyms else None)


def docs_for(items: Iterable[Item], today: date | None = None) -> list[SearchDoc]:
    """Published (agent-visible) and newer draft docs of loaded items (for tools and tests)."""
    from kbsite.content.service import agent_revision

    docs = []
    for item in items:
        if item.type not in files.KINDS:
            continue
        pub = agent_revision(item, today)
        if pub is not None:
            docs.append(doc_for(item, pub, "published"))
        if item.latest is not None and (pub is None or item.latest.id != pub.id):
            docs.append(doc_for(item, item.latest, "draft"))
    return docs
