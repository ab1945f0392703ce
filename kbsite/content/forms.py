"""Turns the editor's form fields into a :class:`Draft` (and back)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import yaml

from kbsite import files
from kbsite.content import types
from kbsite.content.service import Draft
from kbsite.errors import Invalid

CHANNELS = ("电话", "邮件")
# Keys edited as YAML for structured types (quizzes, courses, lexicon, synonyms, dictionary).
STRUCTURED_TYPES = ("quiz", "course", "lexicon", "synonyms", "dictionary")
_TAG_SPLIT = re.compile(r"[,，、;；\s]+")
# Editor fields of types declared outside this module: type -> reads the form into meta.
FormReader = Callable[[Mapping[str, str], dict], None]
READERS: dict[str, FormReader] = {}


def register_reader(type_: str, reader: FormReader) -> None:
    """Let the package that owns a type read its own editor fields (see ContentType.editor)."""
    READERS[type_] = reader


@dataclass(frozen=True)
class StructuredEditor:
    """A form a feature offers for a type's structured keys instead of raw YAML (YAML stays "高级").

    ``read(form, old_meta)`` returns (structured keys, Chinese errors); ``context(meta)``
    gives the template its variables, or None when the meta is beyond the form (YAML only).
    """

    template: str
    read: Callable[[Mapping, dict], tuple[dict, list[str]]]
    context: Callable[[dict], dict | None]


EDITORS: dict[str, StructuredEditor] = {}
FORM_MODE = "form"  # value of the posted ``structured_mode`` when the form editor was used


def register_editor(type_: str, editor: StructuredEditor) -> None:
    """Let a feature (training) edit its type's structured keys with a form."""
    EDITORS[type_] = editor


def split_tags(raw: str) -> list[str]:
    """Tags typed as '退款, 运费 、快递' → unique list in order."""
    seen: dict[str, None] = {}
    for tag in _TAG_SPLIT.split(raw or ""):
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


def draft_from_form(type_: str, form, old_meta: dict | None = None) -> Draft:
    """Read the editor fields for an item of ``type_``."""
    meta: dict = {k: v for k, v in (old_meta or {}).items() if k == "folder"}
    body = form.get("body", "").replace("\r\n", "\n")
    if type_ in types.summary_types() and form.get("summary", "").strip():
        meta["summary"] = form["summary"].strip()
    if type_ == "policy" and form.get("effective_from", "").strip():
        meta["effective_from"] = form["effective_from"].strip()
    if type_ == "case":
        if form.get("happened_on", "").strip():
            meta["happened_on"] = form["happened_on"].strip()
        if split_tags(form.get("policies", "")):
            meta["policies"] = split_tags(form.get("policies", ""))
    if type_ == "template":
        variants = {ch: form.get(f"variant_{ch}", "").replace("\r\n", "\n").strip() for ch in CHANNELS}
        variants = {k: v for k, v in variants.items() if v}
        if variants:
            meta["variants"] = variants
        _declare_placeholders(body, meta)
    errors: list[str] = []
    if type_ in EDITORS and form.get("structured_mode") == FORM_MODE:
        keys, errors = EDITORS[type_].read(form, dict(old_meta or {}))
        meta.update(keys)
    elif type_ in STRUCTURED_TYPES:
        meta.update(_structured(form.get("structured", "")))
    if type_ in READERS:
        READERS[type_](form, meta)
    draft = Draft(form.get("title", "").strip(), form.get("category", "").strip(),
                  split_tags(form.get("tags", "")), body, meta)
    if errors:
        # The view shows the form again from ``draft``: nothing typed is lost.
        raise Invalid("；".join(errors), draft=draft, errors=errors)
    return draft


def _declare_placeholders(body: str, meta: dict) -> None:
    """A template's ``placeholders`` follow from its body and variants, never typed by hand."""
    from kbsite.phrasing.placeholders import find_placeholders

    names = find_placeholders("\n".join([body, *(meta.get("variants") or {}).values()]))
    if names:
        meta["placeholders"] = names
    else:
        meta.pop("placeholders", None)


def derive(type_: str, draft: Draft) -> Draft:
    """Recompute derived keys after a merge (a template's placeholders)."""
    if type_ == "template":
        _declare_placeholders(draft.body, draft.meta)
    return draft


def _structured(text: str) -> dict:
    """Parse the YAML block of structured keys with the importer's safe loader rules."""
    if not text.strip():
        return {}
    try:
        data = files.load_front_matter(text)
    except files.FileError as exc:
        raise Invalid(f"结构化字段（YAML）有误：{exc.message}") from exc
    if not isinstance(data, dict):
        raise Invalid("结构化字段必须是键值对（YAML 映射）")
    return data


def structured_text(meta: dict) -> str:
    """The structured keys of ``meta`` as YAML for the editor."""
    keys = {k: v for k, v in meta.items() if k not in ("summary", "effective_from", "variants",
                                                         "placeholders", "folder", "happened_on", "policies")}
    if not keys:
        return ""
    return yaml.safe_dump(keys, allow_unicode=True, sort_keys=False, width=1000)
