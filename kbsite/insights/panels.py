"""The dashboard's contents: gathers the statistics and turns them into server-side SVG charts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from markupsafe import Markup
from sqlalchemy.orm import Session

from kbsite import charts
from kbsite.content import health, types
from kbsite.insights import gaps, library

TREND_WEEKS = 8


@dataclass
class Dashboard:
    """Everything the dashboard page shows."""

    week: gaps.Week
    this_week: gaps.WeekStat
    stale_now: int
    pending: library.PendingReviews
    pending_days: int
    top_gaps: list[gaps.QueryStat]
    charts: dict[str, Markup] = field(default_factory=dict)
    copies_tracked: bool = False


def build(sess: Session, today: date, now: datetime) -> Dashboard:
    """Collect the dashboard's figures for the local week containing ``today``."""
    week = gaps.Week.of(today)
    weeks = gaps.recent_weeks(TREND_WEEKS, week)
    rows = gaps.load(sess, *gaps.span_bounds(weeks))
    volume = gaps.weekly_volume(rows, weeks)
    this_week_rows = [r for r in rows if gaps.Week.of(gaps.local_date(r.at)) == week]
    pending = library.pending_reviews(sess)
    board = Dashboard(
        week=week, this_week=volume[-1], stale_now=len(health.stale_entries(today)),
        pending=pending, pending_days=pending.oldest_days(now),
        top_gaps=gaps.zero_result_queries(gaps.group_queries(this_week_rows), limit=5),
    )
    board.charts = _charts(sess, weeks, volume, today, now)
    board.copies_tracked = "copies" in board.charts
    return board


def _charts(sess: Session, weeks: list[gaps.Week], volume: list[gaps.WeekStat], today: date,
            now: datetime) -> dict[str, Markup]:
    labels = [w.short_label for w in weeks]
    stale_days = [min(w.sunday(), today) for w in weeks]
    out = {
        "volume": charts.line_chart(labels, {"搜索次数": [v.searches for v in volume],
                                             "零结果次数": [v.zero for v in volume]},
                                    f"近{len(weeks)}周搜索量（按周一日期）"),
        "zero_rate": charts.line_chart(labels, {"零结果率": [round(v.zero_rate, 1) for v in volume]},
                                       f"近{len(weeks)}周零结果率", unit="%"),
        "kinds": charts.bar_chart([(types.label(k), n) for k, n in library.content_by_kind(sess)],
                                  "内容按类型", unit="条"),
        "categories": charts.bar_chart(library.content_by_category(sess), "内容按一级分类", unit="条"),
        "stale": charts.line_chart(labels, {"过期条目": library.stale_counts(sess, stale_days)},
                                   f"近{len(weeks)}周过期条目数（每周日）"),
        "pending": charts.bar_chart(library.pending_by_age(sess, now), "待审核修改（按等待时长）", unit="个"),
    }
    copied = library.most_copied_templates(sess)
    if copied is not None:
        out["copies"] = charts.bar_chart(copied, "最常复制的话术模板", unit="次")
    return out
