"""Bulk edits: re-tag or move many entries, each as an ordinary revision through ``save_revision``.

Every entry is saved in its own transaction from the base revision the trainer
saw, so a conflict (or a rule violation) on one entry is reported and the
others are still saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kbsite.auth.models import User
from kbsite.content import service
from kbsite.content.service import Draft
from kbsite.errors import Conflict, Invalid, NotFound

OPERATIONS = {"add_tag": "添加标签", "remove_tag": "移除标签", "move": "移动到分类"}
MAX_ITEMS = 500


@dataclass
class BulkReport:
    """What a bulk edit did, per slug."""

    saved: list[tuple[str, int]] = field(default_factory=list)  # (slug, new revision number)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, int]] = field(default_factory=list)  # (slug, current number)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (slug, message)


def apply_operation(draft: Draft, op: str, value: str) -> Draft:
    """The draft with one bulk operation applied (pure, so it is easy to test)."""
    value = value.strip()
    if op == "add_tag":
        tags = draft.tags if value in draft.tags else [*draft.tags, value]
        return Draft(draft.title, draft.category, tags, draft.body, dict(draft.meta))
    if op == "remove_tag":
        return Draft(draft.title, draft.category, [t for t in draft.tags if t != value], draft.body,
                     dict(draft.meta))
    if op == "move":
        return Draft(draft.title, value.strip("/"), list(draft.tags), draft.body, dict(draft.meta))
    raise Invalid("未知的批量操作")


def default_message(op: str, value: str) -> str:
    """A revision message that says what the bulk edit did."""
    return f"批量{OPERATIONS.get(op, op)}：{value.strip()}"


def bulk_edit(bases: dict[str, int | None], op: str, value: str, user: User, message: str = "",
              submit: bool = True) -> BulkReport:
    """Apply ``op`` to every slug from the revision number the trainer saw; report per entry."""
    if op not in OPERATIONS:
        raise Invalid("未知的批量操作")
    if not value.strip():
        raise Invalid("请填写标签或分类")
    if not bases:
        raise Invalid("请至少选择一个条目")
    if len(bases) > MAX_ITEMS:
        raise Invalid(f"一次最多批量修改 {MAX_ITEMS} 个条目")
    message = message.strip() or default_message(op, value)
    report = BulkReport()
    for slug, base in bases.items():
        _edit_one(slug, base, op, value, user, message, submit, report)
    return report


def _edit_one(slug: str, base: int | None, op: str, value: str, user: User, message: str,
              submit: bool, report: BulkReport) -> None:
    try:
        item = service.get_item(slug)
        if item.latest is None:
            raise NotFound("该条目没有内容")
        base = item.latest.number if base is None else base
        if base != item.latest.number:  # changed since the trainer looked: never overwrite it
            raise Conflict("该条目已被他人修改", current=item.latest.number)
        rev = item.latest
        draft = apply_operation(service.draft_of(rev), op, value)
        if service.content_hash(draft) == rev.content_hash:
            report.unchanged.append(slug)  # nothing to do; never re-submit someone's draft
            return
        saved = service.save_revision(slug, draft, base, user, message, submit=submit)
    except Conflict as exc:
        report.conflicts.append((slug, exc.details.get("current", 0)))
        return
    except (Invalid, NotFound) as exc:
        report.failed.append((slug, exc.message))
        return
    if saved is None:
        report.unchanged.append(slug)
    else:
        report.saved.append((slug, saved.number))
