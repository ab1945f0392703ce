"""Spaced repetition of missed questions: a five-box Leitner system, as pure functions.

Why Leitner and not SM-2: our graders give a pass/fail per question, not the
0–5 recall quality SM-2 needs (P. A. Wozniak, "Optimization of learning",
1990, https://super-memory.com/english/ol/sm2.htm), and a box number ("盒子 3/5")
is something a new hire and a trainer can read at a glance. The system is
Sebastian Leitner's ("So lernt man lernen", Herder, 1972; summary at
https://en.wikipedia.org/wiki/Leitner_system) with doubling intervals:

- box 1–5 are reviewed after 1, 2, 4, 8, 16 days;
- a miss sends the card to box 1, due one day later (a lapse);
- a correct review when due promotes the card one box; passing box 5 masters it;
- a correct answer *before* the card is due changes nothing but the review
  count, so re-taking a quiz five times in a row cannot master a card;
- a miss always demotes, even on a mastered card (it comes back).

All datetimes are timezone-aware and stored in UTC. Given the team's time zone,
a card comes due at the start of its day there (local midnight), not at the
minute of the last answer: an answer at 22:00 makes the card due the next
morning's shift, not the next evening's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta, tzinfo

INTERVAL_DAYS = (1, 2, 4, 8, 16)
TOP_BOX = len(INTERVAL_DAYS)


@dataclass(frozen=True)
class CardState:
    """Where one question stands for one trainee; due_at is None once mastered."""

    box: int
    due_at: datetime | None
    mastered: bool
    reviews: int
    lapses: int


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("schedule needs a timezone-aware datetime")
    return now.astimezone(UTC)


def _due(box: int, now: datetime, zone: tzinfo | None) -> datetime:
    if zone is None:
        return now + timedelta(days=INTERVAL_DAYS[box - 1])
    day = now.astimezone(zone).date() + timedelta(days=INTERVAL_DAYS[box - 1])
    return datetime.combine(day, time(), zone).astimezone(UTC)


def review(state: CardState | None, correct: bool, now: datetime,
           zone: tzinfo | None = None) -> CardState:
    """The card's next state after answering it at ``now`` (None: the card is new).

    With ``zone`` the card is due from local midnight of its due day; without, to the minute.
    """
    now = _utc(now)
    if state is None:
        state = CardState(box=1, due_at=now, mastered=False, reviews=0, lapses=0)
    if not correct:
        return CardState(1, _due(1, now, zone), False, state.reviews + 1, state.lapses + 1)
    if state.mastered or not is_due(state, now):
        return replace(state, reviews=state.reviews + 1)
    if state.box >= TOP_BOX:
        return CardState(TOP_BOX, None, True, state.reviews + 1, state.lapses)
    box = state.box + 1
    return CardState(box, _due(box, now, zone), False, state.reviews + 1, state.lapses)


def is_due(state: CardState, now: datetime) -> bool:
    """Whether the card should be asked again at ``now``."""
    return not state.mastered and state.due_at is not None and state.due_at <= _utc(now)
