"""Reading the quiz editor's posted fields: one question's values and its repeated rows.

Field names are ``<prefix>-<field>`` for a question and ``<prefix>-<group><m>-<field>``
for its rows (options, items, pairs, chat lines, key points). Rows come back in
the order the page posted them, so moving a row in the page moves it in the quiz.
"""

from __future__ import annotations

import re
from collections.abc import Mapping


class Fields:
    """One question's posted values, stripped, with Windows line ends folded."""

    def __init__(self, form: Mapping, prefix: str) -> None:
        self.form = form
        self.prefix = prefix

    def get(self, key: str) -> str:
        """A text field ('' when absent)."""
        return str(self.form.get(f"{self.prefix}-{key}", "")).replace("\r\n", "\n").strip()

    def checked(self, key: str) -> bool:
        """Whether a checkbox was ticked."""
        return f"{self.prefix}-{key}" in self.form

    def rows(self, group: str, texts: tuple[str, ...], flags: tuple[str, ...] = (),
             choices: tuple[str, ...] = ()) -> list[dict]:
        """The group's rows in page order; a row whose text fields are all empty is dropped.

        ``flags`` are checkboxes and ``choices`` selects: always posted, so they never make a row.
        """
        pattern = re.compile(rf"^{re.escape(self.prefix)}-{re.escape(group)}(\d+)-")
        seen: list[str] = []
        for key in self.form:
            match = pattern.match(key)
            if match and match.group(1) not in seen:
                seen.append(match.group(1))
        rows = []
        for m in seen:
            row = {t: self.get(f"{group}{m}-{t}") for t in texts}
            if any(row.values()):
                row |= {c: self.get(f"{group}{m}-{c}") for c in choices}
                rows.append(row | {f: self.checked(f"{group}{m}-{f}") for f in flags})
        return rows
