"""The team's clock on a UTC host: 23:59 and 00:00 Beijing time fall on different days, weeks and policies."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from tests_support import PASSWORD, build_app

from kbsite import clock
from kbsite.insights.gaps import Week, local_date
from kbsite.training.progress import CourseProgress, StepStatus
from kbsite.training.schedule import review

# 23:59 and 00:00 on the night of Monday 30 Nov → Tuesday 1 Dec 2026, Beijing time (UTC+8).
LAST_MINUTE = datetime(2026, 11, 30, 15, 59, tzinfo=UTC)
MIDNIGHT = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc_host(monkeypatch):
    """Whatever the machine says, the process runs in UTC, as servers usually do."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def at(monkeypatch):
    """Set the wall clock: ``at(MIDNIGHT)``."""

    def set_now(instant: datetime) -> None:
        monkeypatch.setattr(clock, "utcnow", lambda: instant)

    return set_now


def test_today_turns_at_local_midnight_not_utc_midnight(app, at):
    with app.app_context():
        at(LAST_MINUTE)
        assert clock.today() == date(2026, 11, 30) and clock.now().strftime("%H:%M") == "23:59"
        at(MIDNIGHT)
        assert clock.today() == date(2026, 12, 1) and clock.zone_label() == "北京时间"
        assert clock.day_start(date(2026, 12, 1)) == MIDNIGHT


def test_another_zone_can_be_configured(tmp_path, at):
    app = build_app(tmp_path / "utc", TIMEZONE="Europe/Berlin")
    with app.app_context():
        at(MIDNIGHT)
        assert clock.today() == date(2026, 11, 30) and clock.zone_label() == "Europe/Berlin"
        assert clock.fmt(MIDNIGHT) == "2026-11-30 17:00"


def test_an_unknown_zone_stops_start_up_with_a_clear_message(tmp_path):
    with pytest.raises(ValueError, match="未知的时区：Mars/Olympus"):
        build_app(tmp_path / "bad", TIMEZONE="Mars/Olympus")


def test_a_policy_comes_into_force_at_local_midnight(app, make_user, at):
    from kbsite.content import service
    from kbsite.content.service import Draft

    trainer, reviewer = make_user("trainer", "t1"), make_user("trainer", "r1")

    def policy(body: str, eff: str) -> Draft:
        return Draft("七天无理由退货", "售后/退换货", [], body, {"summary": body, "effective_from": eff})

    with app.app_context():
        service.create_item("seven-day", "policy", policy("旧规则", "2024-01-01"), trainer, submit=True)
        service.approve("seven-day", 1, reviewer)
        service.save_revision("seven-day", policy("新规则", "2026-12-01"), 1, trainer, submit=True)
        service.approve("seven-day", 2, reviewer)
        item = service.get_item("seven-day")
        at(LAST_MINUTE)
        assert service.agent_revision(item).body.strip() == "旧规则"
        assert service.starts_later(item, service.get_revision(item, 2)) == "2026-12-01"
        at(MIDNIGHT)  # 08:00 UTC would be the old, wrong moment
        assert service.agent_revision(item).body.strip() == "新规则"
        assert service.starts_later(item, service.get_revision(item, 2)) is None


def test_gap_report_weeks_are_local_iso_weeks():
    sunday_last_minute = datetime(2026, 11, 29, 15, 59, tzinfo=UTC)  # Sun 23:59 Beijing
    monday_midnight = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)  # Mon 00:00 Beijing
    assert Week.of(local_date(sunday_last_minute)) == Week(2026, 48)
    assert Week.of(local_date(monday_midnight)) == Week(2026, 49)
    start, end = Week(2026, 49).bounds()
    assert start == monday_midnight and end == monday_midnight + timedelta(days=7)


def test_training_is_overdue_from_local_midnight_after_its_due_date(app, at):
    course = CourseProgress("onboarding", "新人入职", [StepStatus("lesson", "a", "第一课")], due_date="2026-11-30")
    with app.app_context():
        at(LAST_MINUTE)
        assert not course.overdue
        at(MIDNIGHT)
        assert course.overdue


def test_leitner_cards_come_due_at_the_start_of_a_local_day():
    zone = clock.load_zone("Asia/Shanghai")
    late = review(None, False, LAST_MINUTE, zone)  # missed at 23:59 → due from 00:00 the next day
    assert late.due_at == MIDNIGHT
    early = review(None, False, MIDNIGHT, zone)  # missed at 00:00 → due from 00:00 the day after
    assert early.due_at == MIDNIGHT + timedelta(days=1)


def test_audit_log_days_times_and_export_are_local(app, make_user, at):
    from kbsite import audit
    from kbsite.db import write_session

    admin = make_user("admin", "root")
    with app.app_context():
        for instant, target in ((LAST_MINUTE, "item:before"), (MIDNIGHT, "item:after")):
            at(instant)
            with write_session() as sess:
                audit.record(sess, None, "item.save", target)
                sess.flush()
                for ev in sess.query(audit.AuditEvent).filter_by(target=target):
                    ev.at = instant
    from tests_support import login

    c = app.test_client()
    login(c, admin.username, PASSWORD)
    page = c.get("/admin/audit?since=2026-12-01&until=2026-12-01").get_data(as_text=True)
    assert "条目 after" in page and "条目 before" not in page
    assert "2026-12-01 00:00" in page and "时间（北京时间）" in page
    body = c.get("/admin/audit.csv?until=2026-11-30").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "时间（北京时间）"
    assert [r[0] for r in rows[1:] if r[4] == "item:before"] == ["2026-11-30 23:59:00"]
    assert not [r for r in rows[1:] if r[4] == "item:after"]


def test_pages_show_times_in_the_team_zone(app, make_user, at):
    from tests_support import login

    at(MIDNIGHT)
    make_user("admin", "boss")
    c = app.test_client()
    login(c, "boss")
    with app.app_context():
        from kbsite.auth.models import User
        from kbsite.db import write_session

        with write_session() as sess:
            sess.query(User).filter_by(username="boss").one().created_at = MIDNIGHT
    page = c.get("/admin/users").get_data(as_text=True)
    assert "2026-12-01 00:00" in page and "2026-11-30 16:00" not in page
    assert "页面上的时间均为北京时间" in page


ZONE_WORDS = ("北京时间", "UTC", "Asia/", "GMT")


def test_no_template_or_script_names_a_zone_itself():
    """Pages name the zone through zone_label(): a hard-coded one is wrong for any other team."""
    root = Path(__file__).resolve().parents[1] / "kbsite"
    offenders = [f"{path.relative_to(root)}: {word}"
                 for path in [*root.glob("templates/**/*.html"), *root.glob("static/**/*.js")]
                 for word in ZONE_WORDS if word in path.read_text(encoding="utf-8")]
    assert offenders == []


def test_pages_of_a_team_in_another_zone_name_that_zone(tmp_path):
    app = build_app(tmp_path / "berlin", TIMEZONE="Europe/Berlin")
    with app.app_context():
        from kbsite.auth import service

        service.create_user("boss", "admin", PASSWORD)
    from tests_support import login

    c = app.test_client()
    login(c, "boss")
    for url in ("/admin/audit", "/insights/", "/insights/gaps"):
        page = c.get(url).get_data(as_text=True)
        assert "Europe/Berlin" in page, url
        assert not [w for w in ZONE_WORDS if w in page], url
    app.extensions["kbsite.db"].engine.dispose()


def test_a_certificate_finished_just_after_local_midnight_is_verified_with_the_local_date(app, make_user):
    from kbsite.db import write_session
    from kbsite.training.models import Certificate

    holder = make_user("agent", "xiaochen")
    with app.app_context(), write_session() as sess:
        sess.add(Certificate(serial="KB-MIDNIGHT1", user_id=holder.id, course_slug="c", course_title="新人第一周",
                             score=90.0, completed_at=MIDNIGHT, versions={}))
    page = app.test_client().get("/certificates/KB-MIDNIGHT1").get_data(as_text=True)
    assert "2026年12月01日" in page and "2026年11月30日" not in page


def test_templates_format_times_through_the_team_clock():
    """``.strftime`` on a stored (UTC) time in a template skips the zone: use localtime/localdate."""
    root = Path(__file__).resolve().parents[1] / "kbsite" / "templates"
    assert [str(p.relative_to(root)) for p in root.glob("**/*.html") if ".strftime(" in p.read_text("utf-8")] == []
