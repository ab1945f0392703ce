"""The editor fields of an announcement: validity window, audience and priority."""

from __future__ import annotations

from collections.abc import Mapping

from kbsite.announcements.fileformat import AUDIENCE_ROLES, PRIORITIES


def read_form(form: Mapping[str, str], meta: dict) -> None:
    """``datetime-local`` inputs become the file format's local ``YYYY-MM-DD HH:MM``."""
    for key in ("valid_from", "valid_until"):
        value = (form.get(key) or "").strip().replace("T", " ")
        if value:
            meta[key] = value
    getlist = getattr(form, "getlist", None)
    chosen = getlist("audience") if getlist else []
    meta["audience"] = [label for label in AUDIENCE_ROLES if label in chosen]
    meta["priority"] = form.get("priority") if form.get("priority") in PRIORITIES else PRIORITIES[0]
