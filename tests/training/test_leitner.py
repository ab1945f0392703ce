"""Leitner-box scheduling of missed questions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kbsite.training.schedule import INTERVAL_DAYS, CardState, is_due, review

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_a_miss_creates_a_card_due_tomorrow():
    card = review(None, False, T0)
    assert card == CardState(box=1, due_at=T0 + DAY, mastered=False, reviews=1, lapses=1)
    assert not is_due(card, T0)
    assert not is_due(card, T0 + DAY - timedelta(seconds=1))
    assert is_due(card, T0 + DAY)


def test_correct_reviews_climb_the_boxes_with_doubling_intervals():
    card, now = review(None, False, T0), T0
    for box in range(2, 6):
        now = card.due_at
        card = review(card, True, now)
        assert card.box == box
        assert card.due_at == now + timedelta(days=INTERVAL_DAYS[box - 1])
        assert not card.mastered
    assert INTERVAL_DAYS == (1, 2, 4, 8, 16)
    assert card.due_at - now == 16 * DAY


def test_passing_box_five_masters_the_card():
    card = CardState(box=5, due_at=T0, mastered=False, reviews=4, lapses=1)
    done = review(card, True, T0)
    assert done == CardState(box=5, due_at=None, mastered=True, reviews=5, lapses=1)
    assert not is_due(done, T0 + 365 * DAY)
    assert review(done, True, T0 + DAY) == CardState(5, None, True, 6, 1)


def test_a_full_run_from_miss_to_mastery_takes_five_due_reviews():
    card = review(None, False, T0)
    while not card.mastered:
        card = review(card, True, card.due_at)
    assert (card.reviews, card.lapses) == (6, 1)


def test_a_miss_sends_any_card_back_to_box_one():
    for box in range(1, 6):
        card = CardState(box=box, due_at=T0, mastered=False, reviews=3, lapses=1)
        back = review(card, False, T0)
        assert back == CardState(1, T0 + DAY, False, 4, 2)


def test_a_miss_on_a_mastered_card_brings_it_back():
    mastered = CardState(5, None, True, 6, 1)
    back = review(mastered, False, T0)
    assert (back.box, back.mastered, back.due_at, back.lapses) == (1, False, T0 + DAY, 2)
    assert is_due(back, T0 + DAY)


def test_a_correct_answer_before_the_card_is_due_does_not_promote():
    card = review(None, False, T0)
    early = review(card, True, T0 + timedelta(hours=2))
    assert (early.box, early.due_at, early.reviews) == (1, T0 + DAY, 2)


def test_a_new_card_answered_correctly_starts_in_box_two():
    card = review(None, True, T0)
    assert card == CardState(2, T0 + 2 * DAY, False, 1, 0)


def test_overdue_cards_are_due_and_promote_from_the_review_time():
    card = CardState(2, T0, False, 2, 1)
    late = T0 + 10 * DAY
    assert is_due(card, late)
    assert review(card, True, late).due_at == late + 4 * DAY


def test_other_timezones_are_stored_as_utc():
    beijing = timezone(timedelta(hours=8))
    now = datetime(2025, 3, 1, 17, 0, tzinfo=beijing)
    card = review(None, False, now)
    assert card.due_at.tzinfo is UTC
    assert card.due_at == datetime(2025, 3, 2, 9, 0, tzinfo=UTC)
    assert is_due(card, datetime(2025, 3, 2, 17, 0, tzinfo=beijing))


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError):
        review(None, False, datetime(2025, 3, 1, 9, 0))
    with pytest.raises(ValueError):
        is_due(CardState(1, T0, False, 1, 1), datetime(2025, 3, 1, 9, 0))
