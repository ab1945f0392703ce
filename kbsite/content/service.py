"""Saving, reverting, reviewing and reading items; no HTTP here.

Every write runs in one short ``write_session`` transaction that locks the
item, compares the editor's base revision with the newest one (a stale base is
a :class:`Conflict`, never a silent overwrite) and appends a revision. A save
that changes nothing adds nothing. After the commit the search index is told.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath

from flask import current_app
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kbsite import audit, clock, files, markdown, search
from kbsite.auth.models import User
from kbsite.auth.permissions import can
from kbsite.content import events, health, inforce, types
from kbsite.content.models import Item, Revision
from kbsite.db import session, utcnow, write_session
from kbsite.errors import Conflict, Forbidden, Invalid, NotFound

OWN_CHANGE_MESSAGE = "不能批准自己提交的修改（管理员也一样），请由其他培训师或管理员审核"


@dataclass
class Draft:
    """What an editor (or an import) proposes as an item's next content."""

    title: str
    category: str
    tags: list[str] = field(default_factory=list)
    body: str = ""
    meta: dict = field(default_factory=dict)


def content_hash(draft: Draft) -> str:
    """A stable hash of the content, so that a no-op save is recognised."""
    payload = json.dumps(
        [draft.title, draft.category, draft.tags, draft.body, draft.meta],
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def draft_of(rev: Revision) -> Draft:
    """The content of a revision as a Draft."""
    return Draft(rev.title, rev.category, list(rev.tags), rev.body, dict(rev.meta))


def validate(slug: str, type_: str, draft: Draft, status: str = "published") -> Draft:
    """Apply the import rules to editor input: one set of rules for files and forms."""
    data = files.ItemData(
        slug=slug, type=type_, title=draft.title, category=draft.category, tags=draft.tags,
        body=draft.body, status=status, meta=draft.meta, owner=None,
        review_interval_days=None, source=f"{slug}.md",
    )
    try:
        parsed = files.parse_item(files.dump_item(data).encode("utf-8"), f"{slug}.md")
    except files.FileError as exc:
        raise Invalid(form_message(exc.message)) from exc
    return Draft(parsed.title, parsed.category, parsed.tags, parsed.body, parsed.meta)


_KEY = re.compile(r" ?(?<![A-Za-z0-9_])(" + "|".join(sorted(types.FIELD_LABELS, key=len, reverse=True))
                  + r")(?![A-Za-z0-9_]) ?")


def form_message(message: str) -> str:
    """A file-rule message for someone using the form: ``缺少必填字段 summary`` → ``缺少必填字段「简答」``.

    The rules are shared with file imports, where front-matter keys are what people type; in the
    editor they see labels, so every key is replaced by the label of its form field.
    """
    return _KEY.sub(lambda m: f"「{types.FIELD_LABELS[m.group(1)]}」", message)


# ---- reading -------------------------------------------------------------

def get_item(slug: str, sess: Session | None = None) -> Item:
    """The item with this slug, or NotFound."""
    item = (sess or session()).scalar(select(Item).where(Item.slug == slug))
    if item is None:
        raise NotFound("找不到该条目")
    return item


def get_revision(item: Item, number: int, sess: Session | None = None) -> Revision:
    """Revision ``number`` of ``item`` (never another item's)."""
    rev = (sess or session()).scalar(
        select(Revision).where(Revision.item_id == item.id, Revision.number == number)
    )
    if rev is None:
        raise NotFound("找不到该版本")
    return rev


def free_slug(title: str) -> str:
    """A readable slug for a new item from its title's pinyin, unused so far (the editor's default)."""
    taken = set(session().scalars(select(Item.slug)))
    return files.unique_slug(title, taken)


def revisions(item: Item) -> list[Revision]:
    """All revisions of an item, newest first."""
    return list(
        session().scalars(
            select(Revision).where(Revision.item_id == item.id).order_by(Revision.number.desc())
        )
    )


def in_force(item: Item, on: date, sess: Session | None = None) -> Revision | None:
    """The approved revision of a policy in force on ``on`` (the rule lives in ``content.inforce``)."""
    return inforce.revision_in_force(sess or session(), item.id, on)


def starts_later(item: Item, rev: Revision, on: date | None = None) -> str | None:
    """The effective date of a policy revision that is not in force yet on ``on`` (default today)."""
    start = rev.effective_from if item.type == "policy" else None
    return start if start and start > (on or today()).isoformat() else None


def today() -> date:
    """The team's date (policies come into force at local midnight); ``TODAY`` pins it in tests."""
    return clock.today()


def agent_revision(item: Item, on: date | None = None, sess: Session | None = None) -> Revision | None:
    """What agents see: the published revision; for policies the one in force today."""
    if item.type == "policy" and item.published is not None:
        return in_force(item, on or today(), sess) or item.published
    return item.published


def visible_revision(item: Item, user: User, *, prefer_draft: bool = True) -> Revision:
    """The revision this user should read: trainers see the newest draft, agents the published one."""
    if prefer_draft and can(user, "view_drafts") and item.latest is not None:
        return item.latest
    rev = agent_revision(item)
    if rev is None:
        raise NotFound("找不到该条目")
    return rev


# ---- writing -------------------------------------------------------------

def _render(draft: Draft) -> str:
    try:
        return markdown.render_html(draft.body)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc


def _lock_item(sess: Session, slug: str) -> Item:
    item = sess.scalar(select(Item).where(Item.slug == slug).with_for_update())
    if item is None:
        raise NotFound("找不到该条目")
    return item


def _append(sess: Session, item: Item, draft: Draft, html: str, author: User | None,
            message: str, state: str) -> Revision:
    number = (item.latest.number + 1) if item.latest else 1
    rev = Revision(
        item_id=item.id, number=number, author_id=author.id if author else None,
        message=message.strip()[:500], title=draft.title, category=draft.category,
        tags=draft.tags, body=draft.body, meta=draft.meta, html=html,
        renderer_version=markdown.RENDERER_VERSION, content_hash=content_hash(draft),
        state=state, effective_from=draft.meta.get("effective_from"),
    )
    sess.add(rev)
    sess.flush()
    item.latest_revision_id = rev.id
    if state == "published":
        _publish(item, rev, author)
    return rev


def _publish(item: Item, rev: Revision, reviewer: User | None) -> None:
    rev.state = "published"
    rev.published_at = utcnow()
    rev.reviewer_id = reviewer.id if reviewer else None
    item.published_revision_id = rev.id


def create_item(slug: str, type_: str, draft: Draft, author: User, message: str = "",
                submit: bool = False) -> Revision:
    """Create an item with its first revision (a draft, or pending review when ``submit``)."""
    ctype = types.get(type_)
    if ctype is None:
        raise Invalid("未知的条目类型")
    draft = validate(slug, type_, draft)
    html = _render(draft)
    try:
        with write_session() as sess:
            item = Item(slug=slug, type=type_, owner_id=author.id,
                        review_interval_days=ctype.review_days)
            sess.add(item)
            sess.flush()
            rev = _append(sess, item, draft, html, author, message or "新建", "pending" if submit else "draft")
            audit.record(sess, author, "item.create", f"item:{slug}", number=rev.number)
            search.record_change(sess, [slug])
    except IntegrityError as exc:
        raise Conflict("该标识（slug）已被使用，请换一个") from exc
    _changed([slug])
    return rev


def save_revision(slug: str, draft: Draft, base_number: int | None, author: User,
                  message: str = "", submit: bool = False,
                  merge_base: int | None = None) -> Revision | None:
    """Append a revision if ``base_number`` is still the newest; None when nothing changed.

    ``merge_base`` marks a merge: the edit started from that revision and was merged with
    ``base_number`` (the colleague's), which the revision records for its reviewer.
    """
    item0 = get_item(slug)
    draft = validate(slug, item0.type, draft)
    html = _render(draft)
    with write_session() as sess:
        item = _lock_item(sess, slug)
        latest = item.latest
        if latest is not None and base_number != latest.number:
            raise Conflict("该条目已被他人修改，您的修改尚未保存", current=latest.number,
                           base=base_number, draft=draft)
        if latest is not None and latest.content_hash == content_hash(draft):
            if submit and latest.state in ("draft", "rejected"):
                latest.state = "pending"
                audit.record(sess, author, "item.submit", f"item:{slug}", number=latest.number)
                return latest
            return None
        rev = _append(sess, item, draft, html, author, message, "pending" if submit else "draft")
        merged = {} if merge_base is None else {"merged_with": base_number}
        if merged:
            rev.merged_with, rev.merge_base = base_number, merge_base
        audit.record(sess, author, "item.save", f"item:{slug}", number=rev.number, message=message, **merged)
        search.record_change(sess, [slug])
    _changed([slug])
    return rev


def revert(slug: str, number: int, base_number: int | None, author: User) -> Revision | None:
    """Save the content of revision ``number`` as a new revision."""
    item = get_item(slug)
    old = get_revision(item, number)
    return save_revision(slug, draft_of(old), base_number, author, f"恢复到第 {number} 版")


def submit_for_review(slug: str, number: int, user: User) -> Revision:
    """Move a draft to the review queue."""
    with write_session() as sess:
        item = _lock_item(sess, slug)
        rev = get_revision(item, number, sess)
        if rev.state not in ("draft", "rejected"):
            raise Invalid("只有草稿可以提交审核")
        rev.state = "pending"
        audit.record(sess, user, "item.submit", f"item:{slug}", number=number)
        return rev


def approve(slug: str, number: int, reviewer: User, comment: str = "") -> Revision:
    """Publish a revision; nobody approves their own change (admins included: four eyes)."""
    with write_session() as sess:
        item = _lock_item(sess, slug)
        rev = get_revision(item, number, sess)
        if not can(reviewer, "review"):
            raise Forbidden("您没有审核权限")
        if rev.author_id == reviewer.id:
            raise Forbidden(OWN_CHANGE_MESSAGE)
        if rev.state not in ("pending", "draft"):
            raise Invalid("该版本不在待审核状态")
        if item.published is not None and item.published.number > rev.number:
            raise Conflict("已有更新的版本发布，该版本不能再发布")
        _publish(item, rev, reviewer)
        rev.review_comment = comment[:1000]
        audit.record(sess, reviewer, "item.approve", f"item:{slug}", number=number, comment=comment)
        search.record_change(sess, [slug])
    _changed([slug])
    events.published([(slug, rev.id)])
    return rev


def reject(slug: str, number: int, reviewer: User, comment: str) -> Revision:
    """Send a pending revision back to its author with a comment."""
    if not comment.strip():
        raise Invalid("退回时请写明原因")
    with write_session() as sess:
        item = _lock_item(sess, slug)
        rev = get_revision(item, number, sess)
        if rev.state != "pending":
            raise Invalid("该版本不在待审核状态")
        rev.state = "rejected"
        rev.reviewer_id = reviewer.id
        rev.review_comment = comment[:1000]
        audit.record(sess, reviewer, "item.reject", f"item:{slug}", number=number, comment=comment)
    return rev


def rerender_outdated(batch: int = 200) -> int:
    """Re-render stored HTML made by an older renderer or sanitiser policy (HTML is a cache)."""
    done = 0
    while True:
        with write_session() as sess:
            revs = sess.scalars(
                select(Revision).where(Revision.renderer_version != markdown.RENDERER_VERSION).limit(batch)
            ).all()
            for rev in revs:
                try:
                    rev.html = markdown.render_html(rev.body)
                except ValueError as exc:  # now refused by a stricter policy: show why, never unsafe
                    rev.html = f"<p>{escape(str(exc))}</p>"
                rev.renderer_version = markdown.RENDERER_VERSION
        done += len(revs)
        if len(revs) < batch:
            return done


# ---- files ----------------------------------------------------------------

@dataclass
class ImportReport:
    """What an import did."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def file_name(source: str) -> str:
    """The file name of an import source (a path, or ``archive.zip:folder/file.md``)."""
    return PurePath(source.replace("\\", "/").rsplit(":", 1)[-1]).name or source


def import_note(source: str) -> str:
    """The revision note of an import: the file's name, never a server path."""
    return f"从文件「{file_name(source)}」导入"


def import_items(items: Iterable[files.ItemData], actor: User | None = None, *,
                 for_review: bool = False, owners: Mapping[str, str] | None = None) -> ImportReport:
    """Apply parsed files all-or-nothing; an unchanged file makes no revision.

    ``for_review`` (a trainer's import) queues every change for review instead of
    publishing it, so an import never bypasses the four-eyes rule. ``owners`` maps a
    category prefix to the username owning new entries there that name no owner (the
    app's ``CATEGORY_OWNERS`` setting, validated at start-up).
    """
    items = list(items)
    prepared = [(it, Draft(it.title, it.category, it.tags, it.body, it.meta)) for it in items]
    rendered = {it.slug: _render(d) for it, d in prepared}
    users = {u.username: u for u in session().scalars(select(User))}
    defaults = owners or {}
    report = ImportReport()
    went_live: list[tuple[str, int]] = []
    with write_session() as sess:
        existing = {i.slug: i for i in sess.scalars(select(Item))}
        for it, draft in prepared:
            item = existing.get(it.slug)
            owner = users.get(it.owner or health.default_owner(it.category, defaults) or "")
            if item is None:
                # Not verified by the import itself: a person checks it (health.verify).
                item = Item(slug=it.slug, type=it.type, owner_id=owner.id if owner else None,
                            review_interval_days=it.review_interval_days
                            or _review_days(it.type))
                sess.add(item)
                sess.flush()
                report.created.append(it.slug)
            else:
                if item.type != it.type:
                    raise Invalid(f"{it.source}: 条目 {it.slug} 已存在且类型为 {item.type}，不能改为 {it.type}")
                compare = item.published if it.status == "published" and not for_review else item.latest
                if compare is not None and compare.content_hash == content_hash(draft):
                    report.unchanged.append(it.slug)
                    continue
                report.updated.append(it.slug)
            state = "published" if it.status == "published" else "draft"
            rev = _append(sess, item, draft, rendered[it.slug], actor, import_note(it.source),
                          "pending" if for_review else state)
            if rev.state == "published":
                went_live.append((it.slug, rev.id))
        audit.record(sess, actor, "library.import", "library",
                     created=len(report.created), updated=len(report.updated))
        search.record_change(sess, report.created + report.updated)
    _changed(report.created + report.updated)
    events.published(went_live)
    return report


def export_items() -> list[files.ItemData]:
    """Every item as file data: its published revision, else its newest draft."""
    out = []
    for item in session().scalars(select(Item).order_by(Item.type, Item.slug)):
        rev = item.published or item.latest
        if rev is None:
            continue
        out.append(files.ItemData(
            slug=item.slug, type=item.type, title=rev.title, category=rev.category,
            tags=list(rev.tags), body=rev.body,
            status="published" if rev.state == "published" else "draft",
            meta=dict(rev.meta), owner=item.owner.username if item.owner else None,
            review_interval_days=item.review_interval_days, source=item.slug,
        ))
    return out


def _review_days(type_: str) -> int:
    ctype = types.get(type_)
    return ctype.review_days if ctype else 90


def _changed(slugs: list[str]) -> None:
    """Tell the search index (if the app has one) that these items changed; before responding."""
    hook = current_app.extensions.get("kbsite.on_items_changed")
    if hook and slugs:
        hook(slugs)
