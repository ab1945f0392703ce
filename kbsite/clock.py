"""The team's clock: one time zone (``KBSITE_TIMEZONE``, default Asia/Shanghai) for everything people see.

Times are stored in UTC; this is the one place that turns them into the team's
local time, decides what "today" is (policies come into force at local midnight,
training is due at the end of a local day) and says which zone a time is in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Shanghai"
# How the zone is named on pages and in exports; other zones are shown by their IANA name.
ZONE_LABELS = {"Asia/Shanghai": "北京时间", "Asia/Chongqing": "北京时间", "PRC": "北京时间",
               "Asia/Hong_Kong": "香港时间", "Asia/Taipei": "台北时间", "UTC": "UTC"}


@lru_cache(maxsize=16)
def load_zone(name: str) -> tzinfo:
    """The tzinfo of an IANA name; ValueError with a clear message when it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name == DEFAULT_ZONE:  # no tzdata at all: China has had no DST since 1991
            return timezone(timedelta(hours=8), DEFAULT_ZONE)
        raise ValueError(f"未知的时区：{name}（KBSITE_TIMEZONE 需为 IANA 时区名，如 Asia/Shanghai）") from None


def zone_name() -> str:
    """The configured zone's IANA name."""
    if has_app_context():
        return current_app.config.get("TIMEZONE") or DEFAULT_ZONE
    return DEFAULT_ZONE


def zone() -> tzinfo:
    """The team's time zone."""
    return load_zone(zone_name())


def zone_label() -> str:
    """The zone as people say it: 北京时间, or the IANA name."""
    name = zone_name()
    return ZONE_LABELS.get(name, name)


def utcnow() -> datetime:
    """Now, timezone-aware UTC (what is stored)."""
    return datetime.now(UTC)


def now() -> datetime:
    """Now in the team's zone."""
    return utcnow().astimezone(zone())


def today() -> date:
    """The team's calendar date; the ``TODAY`` config key (ISO date) pins it for tests."""
    pinned = current_app.config.get("TODAY") if has_app_context() else None
    if pinned:
        return pinned if isinstance(pinned, date) else date.fromisoformat(str(pinned))
    return now().date()


def local(at: datetime) -> datetime:
    """A stored (UTC) time in the team's zone; naive values are taken as UTC."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(zone())


def local_date(at: datetime) -> date:
    """The team's calendar date of an instant."""
    return local(at).date()


def day_start(day: date) -> datetime:
    """Local midnight at the start of ``day``, as a UTC instant (for comparisons with stored times)."""
    return datetime.combine(day, time(), zone()).astimezone(UTC)


def fmt(at: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time as local text; '' for None."""
    return local(at).strftime(pattern) if at else ""
