"""Imports from where teams keep content today: spreadsheets of templates, foreign Markdown.

Parsing happens first and is complete before anything is written: a plan lists
what each row or file will create, change or leave unchanged, and why a row is
rejected. Applying a plan goes through :func:`service.import_items`, in one
transaction, and only when nothing was rejected.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from kbsite import files
from kbsite.auth.models import User
from kbsite.content import service
from kbsite.content.models import Item, Revision
from kbsite.db import session
from kbsite.errors import Invalid
from kbsite.phrasing import sheet

SHEET_SUFFIXES = (".xlsx", ".csv")
ACTION_LABELS = {"create": "新建", "update": "修改", "unchanged": "不变", "reject": "拒绝"}


@dataclass
class PlanRow:
    """What one row (or file) will do."""

    where: str  # "第 5 行" or a file name
    title: str
    action: str  # create | update | unchanged | reject
    slug: str = ""
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def action_label(self) -> str:
        return ACTION_LABELS[self.action]


@dataclass
class ImportPlan:
    """The preview of an import: rows by action, the items to write, and a digest to confirm."""

    name: str
    rows: list[PlanRow]
    items: list[files.ItemData]
    for_review: bool

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def ok(self) -> bool:
        return not any(r.action == "reject" for r in self.rows)

    @property
    def digest(self) -> str:
        """Changes when the file or the library changes between preview and confirm."""
        payload = [(r.where, r.action, r.slug) for r in self.rows]
        payload.append([service.content_hash(_draft(i)) for i in self.items])
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()[:16]


def existing_titles() -> dict[str, tuple[str, str]]:
    """slug → (type, newest title) of every item, so that re-imports update rather than duplicate."""
    rows = session().execute(
        select(Item.slug, Item.type, Revision.title).join(Revision, Revision.id == Item.latest_revision_id)
    )
    return {slug: (type_, title) for slug, type_, title in rows}


def plan_sheet(data: bytes, name: str, *, for_review: bool) -> ImportPlan:
    """Read a spreadsheet of templates and compare each row with the library."""
    try:
        rows = sheet.parse_sheet(data, name, files.SlugPool(existing_titles()))
    except sheet.SheetError as exc:
        raise Invalid(f"{name}：{exc.message}") from None
    items = [r.item for r in rows if r.item is not None]
    actions = _actions(items, for_review)
    plan_rows = [
        PlanRow(f"第 {r.number} 行", r.title or "（无标题）", "reject", reason=r.error, notes=r.notes)
        if r.item is None else
        PlanRow(f"第 {r.number} 行", r.item.title, *actions[r.item.slug], notes=r.notes)
        for r in rows
    ]
    return ImportPlan(name, plan_rows, items, for_review)


def _actions(items: list[files.ItemData], for_review: bool) -> dict[str, tuple[str, str, str]]:
    """slug → (action, slug, reason) against the library as it is now."""
    existing = {i.slug: i for i in session().scalars(select(Item).where(Item.slug.in_([i.slug for i in items])))}
    out = {}
    for it in items:
        item = existing.get(it.slug)
        if item is None:
            out[it.slug] = ("create", it.slug, "")
        elif item.type != it.type:
            out[it.slug] = ("reject", it.slug, f"标识 {it.slug} 已被另一种类型的条目使用")
        else:
            compare = item.latest if for_review else item.published
            same = compare is not None and compare.content_hash == service.content_hash(_draft(it))
            out[it.slug] = ("unchanged" if same else "update", it.slug, "")
    return out


def apply_plan(plan: ImportPlan, actor: User | None, owners: Mapping[str, str] | None = None) -> service.ImportReport:
    """Write a plan all-or-nothing; a plan with any rejected row writes nothing (``owners``: see import_items)."""
    if not plan.ok:
        raise Invalid(f"有 {plan.count('reject')} 行被拒绝，未导入任何内容：请修改表格后重新上传")
    return service.import_items(plan.items, actor, for_review=plan.for_review, owners=owners)


def _draft(it: files.ItemData) -> service.Draft:
    return service.Draft(it.title, it.category, it.tags, it.body, it.meta)


# --- Markdown from other systems ---------------------------------------------------------------


def lenient_reader(default_type: str | None = None) -> files.Lenient:
    """A parser that derives what foreign Markdown lacks, with the library's slugs reserved."""
    return files.Lenient(today=service.today(), default_type=default_type,
                         pool=files.SlugPool(existing_titles()))


def collect_markdown(paths: Iterable[Path], default_type: str | None = None,
                     progress=None) -> tuple[list[files.ItemData], dict[str, list[str]]]:
    """Parse Markdown files leniently; return the items and, per file, what was derived."""
    reader = lenient_reader(default_type)
    items = files.collect(paths, progress=progress, parse=reader)
    return items, reader.derived


def read_sheet_file(path: Path, *, for_review: bool = False) -> ImportPlan:
    """A spreadsheet on disk (the CLI's path)."""
    return plan_sheet(path.read_bytes(), path.name, for_review=for_review)


def export_templates() -> list[files.ItemData]:
    """Every template for the managers' spreadsheet, by category then title."""
    items = [i for i in service.export_items() if i.type == "template"]
    return sorted(items, key=lambda i: (i.category, i.title))
