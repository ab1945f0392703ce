"""The quiz form editor's link to the content editor: reading the form, and what the form shows.

Registered with ``content.forms`` when the training blueprint is registered, so the
content layer offers the form for quizzes without importing training.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select

from kbsite.content import forms
from kbsite.content.models import Item, Revision
from kbsite.db import session
from kbsite.files.model import KINDS as KNOWLEDGE_TYPES
from kbsite.training import kinds, quizform


def existing_slugs(slugs: Sequence[str]) -> set[str]:
    """Which of ``slugs`` are items of the library (a citation must point at one)."""
    if not slugs:
        return set()
    return set(session().scalars(select(Item.slug).where(Item.slug.in_(set(slugs)))))


def knowledge_entries() -> list[tuple[str, str]]:
    """(slug, title) of every knowledge entry, for the citation picker."""
    rows = session().execute(
        select(Item.slug, Revision.title).join(Revision, Revision.id == Item.latest_revision_id)
        .where(Item.type.in_(KNOWLEDGE_TYPES)).order_by(Item.slug)
    )
    return [(slug, title) for slug, title in rows]


def read_form(form: Mapping, old_meta: dict) -> tuple[dict, list[str]]:
    """The quiz's structured keys from the editor form, with every problem named by position."""
    return quizform.meta_from_form(form, old_meta, existing_slugs)


def form_context(meta: dict) -> dict | None:
    """Template variables of the quiz form; None when the quiz can only be edited as YAML."""
    if not quizform.form_editable(meta):
        return None
    return {"settings": quizform.settings_values(meta), "questions": list(meta.get("questions") or []),
            "kinds": kinds.REGISTRY, "entries": knowledge_entries()}


QUIZ_EDITOR = forms.StructuredEditor("training/quiz_editor.html", read_form, form_context)
