"""Phrasing templates as agents use them: the published text, its channel variants, filling it.

Filling goes through ``kbsite.phrasing`` (values inserted literally, never
evaluated). A variant may use fewer placeholders than the template declares:
values for declared-but-unused names are ignored, names the template does not
declare at all are reported as unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kbsite.content import service as content
from kbsite.content.models import Item, Revision
from kbsite.errors import Invalid, NotFound
from kbsite.files import CHANNELS
from kbsite.phrasing import PlaceholderError, find_placeholders, render_preview, render_template

DEFAULT_CHANNEL = CHANNELS[0]
MAX_VALUES = 50
MAX_VALUE_CHARS = 2000


@dataclass
class TemplateText:
    """One template's agent-visible revision, flattened for the page and the API."""

    slug: str
    title: str
    category: str
    text: str
    placeholders: list[str]
    variants: dict[str, str] = field(default_factory=dict)
    revision: int = 0
    item_id: int = 0

    def text_for(self, channel: str | None) -> str:
        """The text of ``channel`` (the body when none is given)."""
        if not channel:
            return self.text
        if channel not in self.variants:
            raise Invalid(f"该模板没有「{channel}」版本", channels=list(self.variants))
        return self.variants[channel]

    def as_json(self) -> dict:
        """The API shape."""
        return {
            "slug": self.slug, "title": self.title, "category": self.category, "text": self.text,
            "placeholders": self.placeholders, "variants": self.variants, "revision": self.revision,
        }


def from_revision(item: Item, rev: Revision) -> TemplateText:
    """Flatten a template revision; ``variants`` always holds 在线 (the body unless overridden)."""
    raw = rev.meta.get("variants") or {}
    variants = {ch: str(raw[ch]) for ch in CHANNELS if raw.get(ch)}
    variants.setdefault(DEFAULT_CHANNEL, rev.body)
    ordered = {ch: variants[ch] for ch in CHANNELS if ch in variants}
    declared = [str(p) for p in rev.meta.get("placeholders") or []]
    names = list(dict.fromkeys([*declared, *find_placeholders("\n".join([rev.body, *ordered.values()]))]))
    return TemplateText(item.slug, rev.title, rev.category, rev.body, names, ordered, rev.number, item.id)


def published_template(slug: str) -> TemplateText:
    """The template agents may use now; drafts and other kinds are not found."""
    item = content.get_item(slug)
    rev = content.agent_revision(item) if item.type == "template" else None
    if rev is None:
        raise NotFound("找不到该话术模板")
    return from_revision(item, rev)


def clean_values(raw: object) -> dict[str, str]:
    """Validate API values: a mapping of names to text (numbers allowed, null means empty)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise Invalid("values 必须是对象，例如 {\"客户称呼\": \"王女士\"}")
    if len(raw) > MAX_VALUES:
        raise Invalid(f"values 最多 {MAX_VALUES} 项")
    out: dict[str, str] = {}
    for name, value in raw.items():
        if value is None:
            value = ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise Invalid(f"「{name}」的值必须是文字")
        if len(str(value)) > MAX_VALUE_CHARS:
            raise Invalid(f"「{name}」的值过长（最多 {MAX_VALUE_CHARS} 字）")
        out[str(name).strip()] = str(value)
    return out


def fill(tpl: TemplateText, values: Mapping[str, str], channel: str | None = None,
         *, partial: bool = False) -> str:
    """The final reply; raises PlaceholderError naming missing and unknown names.

    With ``partial`` empty placeholders stay visible as ``{{名称}}`` (the agent chose to
    copy an unfinished reply), but unknown names are still refused.
    """
    text = tpl.text_for(channel)
    used = find_placeholders(text)
    unknown = [name for name in values if name not in tpl.placeholders and name not in used]
    relevant = {k: v for k, v in values.items() if k in used}
    if partial:
        if unknown:
            raise PlaceholderError(unknown=unknown)
        return render_preview(text, relevant)
    missing: list[str] = []
    try:
        rendered = render_template(text, relevant)
    except PlaceholderError as exc:
        missing, rendered = exc.missing, ""
    if missing or unknown:
        raise PlaceholderError(missing=missing, unknown=unknown)
    return rendered
