"""What agents could not find: statistics over the search log, by ISO week; no HTTP here.

Weeks are ISO weeks (Monday to Sunday) of the team's calendar (``KBSITE_TIMEZONE``,
Asia/Shanghai by default; see kbsite/clock.py), because that is the week trainers
plan in: a search at 01:00 on Monday Beijing time belongs to that Monday's week
although it is Sunday in UTC. Queries are grouped by their normalised form (folded with
``kbsite.textnorm.fold``, whitespace collapsed), so ``退款 `` and ``退款``,
``退貨`` and ``退货``, ``ＶＩＰ`` and ``vip`` count as one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kbsite import clock
from kbsite.search import SearchLog
from kbsite.textnorm import fold

# Searches by one user this close together form one session (a rewording, not a new need).
REFORMULATION_WINDOW = timedelta(minutes=2)
# Longer texts are pasted customer messages, not terms for the synonym list.
MAX_TERM_CHARS = 12


def normalise(query: str) -> str:
    """The grouping key of a query: folded (Traditional, width, case) with whitespace collapsed."""
    return " ".join(fold(query).split())


def local_date(at: datetime) -> date:
    """The team's calendar date of a UTC timestamp."""
    return clock.local_date(at)


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week of the local calendar."""

    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> Week:
        """The ISO week containing ``day``."""
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def parse(cls, text: str) -> Week:
        """Read ``2026-W47``; ValueError when malformed."""
        year, _, number = text.strip().upper().partition("-W")
        week = cls(int(year), int(number))
        week.monday()  # validates the week number
        return week

    def monday(self) -> date:
        """The first day of the week."""
        return date.fromisocalendar(self.year, self.number, 1)

    def sunday(self) -> date:
        """The last day of the week."""
        return self.monday() + timedelta(days=6)

    def shift(self, weeks: int) -> Week:
        """The week ``weeks`` later (negative: earlier)."""
        return Week.of(self.monday() + timedelta(weeks=weeks))

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) of the week as UTC instants."""
        return clock.day_start(self.monday()), clock.day_start(self.monday() + timedelta(days=7))

    @property
    def key(self) -> str:
        """``2026-W47``: the form used in URLs."""
        return f"{self.year}-W{self.number:02d}"

    @property
    def label(self) -> str:
        """A trainer-readable label: ``2026年第47周（11月16日—11月22日）``."""
        mon, sun = self.monday(), self.sunday()
        return f"{self.year}年第{self.number}周（{mon.month}月{mon.day}日—{sun.month}月{sun.day}日）"

    @property
    def short_label(self) -> str:
        """The Monday as ``11/16``: compact x-axis labels for charts."""
        mon = self.monday()
        return f"{mon.month}/{mon.day}"


def recent_weeks(count: int, last: Week) -> list[Week]:
    """``count`` consecutive weeks ending with ``last``, oldest first."""
    return [last.shift(-i) for i in range(count - 1, -1, -1)]


def span_bounds(weeks: Sequence[Week]) -> tuple[datetime, datetime]:
    """[start, end) in UTC covering a run of consecutive weeks."""
    return weeks[0].bounds()[0], weeks[-1].bounds()[1]


# ---- raw rows ------------------------------------------------------------

@dataclass(frozen=True)
class LogRow:
    """The columns of one search the statistics need."""

    at: datetime
    user_id: int | None
    query: str
    result_count: int
    opened: bool
    reported: bool = False  # an agent reported "no direct answer" from the search page


def load(sess: Session, since: datetime, until: datetime) -> list[LogRow]:
    """Searches in [since, until), oldest first."""
    rows = sess.execute(
        select(SearchLog.at, SearchLog.user_id, SearchLog.query, SearchLog.result_count,
               SearchLog.opened_slug, SearchLog.gap_reported_at)
        .where(SearchLog.at >= since, SearchLog.at < until)
        .order_by(SearchLog.at, SearchLog.id)
    )
    return [LogRow(at, uid, q, n, slug is not None, gap is not None) for at, uid, q, n, slug, gap in rows]


# ---- query groups --------------------------------------------------------

@dataclass
class QueryStat:
    """One normalised query over a period."""

    key: str
    text: str  # the latest wording as typed, for display and for a new draft's title
    count: int = 0
    zero: int = 0
    opened: int = 0
    reported: int = 0
    last_seen: datetime | None = None
    users: set[int] = field(default_factory=set)

    @property
    def with_results(self) -> int:
        """Searches of this query that found something."""
        return self.count - self.zero


def group_queries(rows: Iterable[LogRow]) -> dict[str, QueryStat]:
    """Group searches by normalised query, with counts and when each was last seen."""
    groups: dict[str, QueryStat] = {}
    for row in rows:
        key = normalise(row.query)
        if not key:
            continue
        stat = groups.setdefault(key, QueryStat(key, row.query))
        stat.count += 1
        stat.zero += row.result_count == 0
        stat.opened += row.opened
        stat.reported += row.reported
        if stat.last_seen is None or row.at >= stat.last_seen:
            stat.last_seen, stat.text = row.at, " ".join(row.query.split())
        if row.user_id is not None:
            stat.users.add(row.user_id)
    return groups


def _ranked(stats: Iterable[QueryStat], by, limit: int) -> list[QueryStat]:
    return sorted(stats, key=lambda s: (-by(s), -s.last_seen.timestamp(), s.key))[:limit]


def reported_queries(groups: dict[str, QueryStat], limit: int = 50) -> list[QueryStat]:
    """Queries agents reported as having no direct answer, most reported first."""
    return _ranked((s for s in groups.values() if s.reported), lambda s: s.reported, limit)


def zero_result_queries(groups: dict[str, QueryStat], limit: int = 50) -> list[QueryStat]:
    """Queries that found nothing, most frequent first (count = searches with no results)."""
    return _ranked((s for s in groups.values() if s.zero), lambda s: s.zero, limit)


def unopened_queries(groups: dict[str, QueryStat], limit: int = 50) -> list[QueryStat]:
    """Queries that found results but whose results nobody opened in the period."""
    return _ranked((s for s in groups.values() if s.with_results and not s.opened),
                   lambda s: s.with_results, limit)


def top_queries(groups: dict[str, QueryStat], limit: int = 20) -> list[QueryStat]:
    """The most frequent queries: what agents need most often."""
    return _ranked(groups.values(), lambda s: s.count, limit)


# ---- weekly volume -------------------------------------------------------

@dataclass
class WeekStat:
    """Search volume of one week."""

    week: Week
    searches: int = 0
    zero: int = 0
    opened: int = 0

    @property
    def zero_rate(self) -> float:
        """Share of searches with no result, in percent."""
        return 100.0 * self.zero / self.searches if self.searches else 0.0


def weekly_volume(rows: Iterable[LogRow], weeks: Sequence[Week]) -> list[WeekStat]:
    """Searches, zero-result searches and opened searches per local ISO week."""
    stats = {w: WeekStat(w) for w in weeks}
    for row in rows:
        stat = stats.get(Week.of(local_date(row.at)))
        if stat is None:
            continue
        stat.searches += 1
        stat.zero += row.result_count == 0
        stat.opened += row.opened
    return [stats[w] for w in weeks]


# ---- reformulations ------------------------------------------------------

@dataclass
class Reformulation:
    """``source`` found nothing; the same user then searched ``target`` and found results."""

    source: str
    target: str
    count: int = 0
    opened: int = 0  # how many of those sessions opened a result of ``target``
    last_seen: datetime | None = None


def is_term(key: str) -> bool:
    """Short, single-token text: a candidate for the synonym list or the dictionary."""
    return 2 <= len(key) <= MAX_TERM_CHARS and " " not in key


def reformulations(rows: Iterable[LogRow], window: timedelta = REFORMULATION_WINDOW,
                   limit: int = 50) -> list[Reformulation]:
    """Synonym candidates "A → B" from sessions where zero-result queries were reworded.

    A session is one user's searches each within ``window`` of the previous one.
    Every zero-result query of a run pairs with the first later query that found
    results. Pairs where one text contains the other are skipped: that is
    type-ahead or shortening, not a different word for the same thing.
    """
    by_user: dict[int, list[LogRow]] = {}
    for row in rows:
        if row.user_id is not None:
            by_user.setdefault(row.user_id, []).append(row)
    found: dict[tuple[str, str], Reformulation] = {}
    for searches in by_user.values():
        searches.sort(key=lambda r: r.at)
        for pair, hit in _session_pairs(searches, window):
            ref = found.setdefault(pair, Reformulation(*pair))
            ref.count += 1
            ref.opened += hit.opened
            if ref.last_seen is None or hit.at > ref.last_seen:
                ref.last_seen = hit.at
    ranked = sorted(found.values(), key=lambda r: (-r.opened, -r.count, -r.last_seen.timestamp()))
    return ranked[:limit]


def _session_pairs(searches: list[LogRow], window: timedelta):
    """Yield ((A, B), B's row) once per run of one user's zero-result queries and its rewording."""
    pending: dict[str, None] = {}
    previous: LogRow | None = None
    for row in searches:
        if previous is not None and row.at - previous.at > window:
            pending = {}
        previous = row
        key = normalise(row.query)
        if row.result_count == 0:
            if is_term(key):
                pending.setdefault(key, None)
            continue
        for source in pending:
            if is_term(key) and source not in key and key not in source:
                yield (source, key), row
        pending = {}
