"""Gap statistics from a seeded search log: grouping, local ISO weeks, rewording suggestions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kbsite.insights import gaps
from kbsite.insights.gaps import LogRow, Week


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_normalise_folds_script_width_case_and_spaces():
    assert gaps.normalise("  退貨   運費 ") == "退货 运费"
    assert gaps.normalise("ＶＩＰ會員") == gaps.normalise("vip会员") == "vip会员"


def test_weeks_are_iso_weeks_of_the_shanghai_calendar():
    # Sunday 17:30 UTC is already Monday 01:30 in Beijing: it belongs to the next week.
    sunday_evening_utc = utc(2026, 11, 22, 17, 30)
    assert gaps.local_date(sunday_evening_utc) == date(2026, 11, 23)
    assert Week.of(gaps.local_date(sunday_evening_utc)) == Week(2026, 48)
    start, end = Week(2026, 48).bounds()
    assert start == utc(2026, 11, 22, 16, 0) and end - start == timedelta(days=7)
    assert Week.parse("2026-w48").key == "2026-W48"
    assert Week(2026, 48).label == "2026年第48周（11月23日—11月29日）"
    assert Week(2026, 1).shift(-1) == Week(2025, 52)
    assert [w.key for w in gaps.recent_weeks(3, Week(2026, 1))] == ["2025-W51", "2025-W52", "2026-W01"]
    with pytest.raises(ValueError):
        Week.parse("2026-W60")


def test_gap_statistics_from_a_seeded_log(app, make_user, seed_log):
    alice, bob = make_user("agent", "alice"), make_user("agent", "bob")
    seed_log([
        (utc(2026, 11, 16, 2), alice.id, "钱啥时候退回来", 0, None),
        (utc(2026, 11, 17, 2), bob.id, "錢啥時候退回來", 0, None),        # Traditional: same query
        (utc(2026, 11, 18, 2), alice.id, "钱啥时候退回来 ", 0, None),      # trailing space: same query
        (utc(2026, 11, 16, 3), alice.id, "运费险", 4, None),
        (utc(2026, 11, 17, 3), bob.id, "运费险", 4, None),                 # found, never opened
        (utc(2026, 11, 16, 4), alice.id, "退款", 9, "refund-time"),
        (utc(2026, 11, 17, 4), alice.id, "退款", 9, None),
        (utc(2026, 11, 18, 4), bob.id, "退款", 9, "refund-time"),
        (utc(2026, 11, 19, 4), bob.id, "退款", 9, None),
        (utc(2026, 11, 9, 4), bob.id, "上周的查询", 0, None),               # previous week: left out
    ])
    with app.app_context():
        from kbsite.db import session

        rows = gaps.load(session(), *Week(2026, 47).bounds())
    groups = gaps.group_queries(rows)
    assert len(rows) == 9 and set(groups) == {"钱啥时候退回来", "运费险", "退款"}

    [zero] = gaps.zero_result_queries(groups)
    assert (zero.key, zero.zero, len(zero.users)) == ("钱啥时候退回来", 3, 2)
    assert zero.last_seen == utc(2026, 11, 18, 2) and zero.text == "钱啥时候退回来"

    [unopened] = gaps.unopened_queries(groups)
    assert (unopened.key, unopened.with_results, unopened.opened) == ("运费险", 2, 0)

    top = gaps.top_queries(groups)
    assert [(s.key, s.count, s.opened) for s in top] == [
        ("退款", 4, 2), ("钱啥时候退回来", 3, 0), ("运费险", 2, 0)]


def test_weekly_volume_counts_by_local_week():
    rows = [
        LogRow(utc(2026, 11, 15, 15, 59), 1, "a", 0, False),   # Sunday 23:59 Beijing: week 46
        LogRow(utc(2026, 11, 15, 16, 0), 1, "b", 0, False),    # Monday 00:00 Beijing: week 47
        LogRow(utc(2026, 11, 18, 8), 1, "c", 3, True),
        LogRow(utc(2026, 11, 19, 8), 2, "d", 3, False),
        LogRow(utc(2026, 10, 1, 8), 2, "old", 3, False),       # outside the weeks asked for
    ]
    stats = gaps.weekly_volume(rows, [Week(2026, 46), Week(2026, 47), Week(2026, 48)])
    assert [(s.searches, s.zero, s.opened) for s in stats] == [(1, 1, 0), (3, 1, 1), (0, 0, 0)]
    assert stats[1].zero_rate == pytest.approx(100 / 3) and stats[2].zero_rate == 0


def _row(minute: float, user: int, query: str, count: int, opened: bool = False) -> LogRow:
    return LogRow(utc(2026, 11, 18, 8) + timedelta(minutes=minute), user, query, count, opened)


def test_reformulations_pair_zero_results_with_the_next_successful_search():
    rows = [
        _row(0, 1, "钱退哪了", 0), _row(0.5, 1, "退款", 8, opened=True),          # pair, opened
        _row(10, 2, "钱退哪了", 0), _row(11, 2, "退款", 8),                        # pair, not opened
        _row(20, 3, "钱退哪了", 0), _row(26, 3, "退款", 8),                        # too late: no pair
        _row(30, 4, "包裹在哪", 0), _row(30.2, 5, "快递", 5),                      # other user: no pair
        _row(40, 4, "运费险怎么", 0), _row(40.5, 4, "运费险", 3),                  # shortening: skipped
        _row(50, 6, "货到没", 0), _row(50.5, 6, "貨到沒", 0), _row(51, 6, "到货", 2, True),
        _row(60, 7, "顾客说收到的东西和图片上完全不一样怎么处理", 0), _row(61, 7, "色差", 4),  # pasted text
    ]
    found = {(r.source, r.target): (r.count, r.opened) for r in gaps.reformulations(rows)}
    assert found == {("钱退哪了", "退款"): (2, 1), ("货到没", "到货"): (1, 1)}
    first = gaps.reformulations(rows)[0]
    assert (first.source, first.last_seen) == ("钱退哪了", utc(2026, 11, 18, 8, 11))


def test_a_run_of_rewordings_is_counted_once_per_session():
    rows = [_row(0, 1, "退钱", 0), _row(1, 1, "退钱", 0), _row(2, 1, "退款", 5),
            _row(2.5, 1, "退款", 5)]
    [pair] = gaps.reformulations(rows)
    assert (pair.source, pair.target, pair.count) == ("退钱", "退款", 1)
