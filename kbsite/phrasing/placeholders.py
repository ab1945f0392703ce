"""Placeholders in reply templates: find them, fill them as plain text, preview them.

A placeholder is written ``{{名称}}`` (spaces inside the braces are tolerated).
Values are inserted literally in one pass over the template: they are never
evaluated as Jinja or ``str.format`` and a value that looks like ``{{x}}`` or
``{% … %}`` stays exactly as typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

PLACEHOLDER_RE = re.compile(r"\{\{[ \t\u3000]*([^{}\n]+?)[ \t\u3000]*\}\}")


class PlaceholderError(ValueError):
    """A template cannot be filled: some values are missing or do not belong to it."""

    def __init__(self, missing: Iterable[str] = (), unknown: Iterable[str] = ()) -> None:
        self.missing = list(missing)
        self.unknown = list(unknown)
        parts = []
        if self.missing:
            parts.append("以下占位符还没有填写：" + "、".join(self.missing))
        if self.unknown:
            parts.append("以下填写项不属于这个模板：" + "、".join(self.unknown))
        super().__init__("；".join(parts) or "占位符填写有误")


def find_placeholders(text: str) -> list[str]:
    """Names used in ``text``, unique, in order of first appearance (for the fill form)."""
    return list(dict.fromkeys(m.group(1) for m in PLACEHOLDER_RE.finditer(text)))


def _clean_values(values: Mapping[str, str]) -> dict[str, str]:
    return {
        str(name).strip(): "" if value is None else str(value) for name, value in values.items()
    }


def render_template(
    text: str, values: Mapping[str, str], *, declared: list[str] | None = None
) -> str:
    """Fill every placeholder with its value as plain text; refuse gaps and strays."""
    known = list(dict.fromkeys([*(declared or []), *find_placeholders(text)]))
    cleaned = _clean_values(values)
    missing = [name for name in known if not cleaned.get(name, "").strip()]
    unknown = [name for name in cleaned if name not in known]
    if missing or unknown:
        raise PlaceholderError(missing=missing, unknown=unknown)
    return PLACEHOLDER_RE.sub(lambda m: cleaned[m.group(1)], text)


def render_preview(text: str, values: Mapping[str, str]) -> str:
    """Fill what has a value and leave the rest visible as ``{{名称}}`` for the live preview."""
    cleaned = _clean_values(values)

    def fill(m: re.Match[str]) -> str:
        value = cleaned.get(m.group(1), "")
        return value if value.strip() else "{{" + m.group(1) + "}}"

    return PLACEHOLDER_RE.sub(fill, text)
