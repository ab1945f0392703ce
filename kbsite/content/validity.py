"""When an item with a validity window (an announcement) is current: one rule for pages and search.

``valid_from`` and ``valid_until`` are local times in the team's zone, written
``YYYY-MM-DD HH:MM`` or ``YYYY-MM-DD`` (a bare ``valid_until`` date means to the
end of that day). The window is ``[valid_from, valid_until)``; no end means open.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from kbsite import clock

_LOCAL_RE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2}))?")


def parse_local(text: str, *, end: bool = False, zone: tzinfo | None = None) -> datetime:
    """A written local time as a UTC instant; ValueError when it is not one."""
    match = _LOCAL_RE.fullmatch(text.strip())
    if not match:
        raise ValueError(text)
    day = date.fromisoformat(match.group(1))
    if match.group(2) is None:
        at = datetime.combine(day + timedelta(days=1) if end else day, time())
    else:
        at = datetime.combine(day, time(int(match.group(2)), int(match.group(3))))
    return at.replace(tzinfo=zone or clock.zone()).astimezone(UTC)


def window(meta: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    """The (start, end) instants of an item's validity window; None where open or unreadable."""
    start = end = None
    if meta.get("valid_from"):
        try:
            start = parse_local(str(meta["valid_from"]))
        except ValueError:
            start = None
    if meta.get("valid_until"):
        try:
            end = parse_local(str(meta["valid_until"]), end=True)
        except ValueError:
            end = None
    return start, end


def is_current(meta: Mapping[str, Any], now: datetime | None = None) -> bool:
    """True while ``now`` (default: now) lies inside the item's validity window."""
    now = now or clock.utcnow()
    start, end = window(meta)
    return (start is None or start <= now) and (end is None or now < end)


def has_ended(meta: Mapping[str, Any], now: datetime | None = None) -> bool:
    """True once the window has closed (the item stays in history only)."""
    _, end = window(meta)
    return end is not None and (now or clock.utcnow()) >= end
