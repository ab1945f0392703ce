"""The audit log page: filters, trainer scope, and a CSV export that Excel reads and cannot be tricked by."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from kbsite.admin import auditlog
from kbsite.audit import AuditEvent
from kbsite.content import service
from kbsite.content.service import Draft
from kbsite.db import write_session


def _seed(app, as_role):
    admin = as_role("admin", "root")
    alice = as_role("trainer", "alice")
    evil = as_role("admin", "=cmd|' /C calc'!A0")
    with app.app_context():
        service.create_item("gift", "faq", Draft("能包装吗", "售前", [], "可以", {"summary": "可以"}), alice.user)
        service.create_item("refund", "faq", Draft("退款", "售后", [], "原路退回", {"summary": "原路"}), alice.user)
        with write_session() as sess:  # an old event, for the date filter
            sess.add(AuditEvent(actor_id=alice.user.id, action="item.save", target="item:old",
                                at=datetime(2025, 1, 15, 12, tzinfo=UTC), detail={"message": "旧的修改"}))
    as_role("agent", "bob")
    admin.post("/admin/users/bob/password", data={})
    evil.post("/admin/users", data={"username": "+1", "role": "agent", "password": "correct-horse-battery"})
    return admin, alice


def test_filters_by_actor_action_target_and_dates(app, as_role):
    admin, _ = _seed(app, as_role)
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "新建条目" in page and "重置密码" in page and "条目「能包装吗」" in page
    page = admin.get("/admin/audit?actor=alice&action=item.").get_data(as_text=True)
    assert "条目「能包装吗」" in page and "条目「退款」" in page and 'data-action="user.password_reset"' not in page
    page = admin.get("/admin/audit?target=gift").get_data(as_text=True)
    assert "条目「能包装吗」" in page and "条目「退款」" not in page
    page = admin.get("/admin/audit?since=2025-01-01&until=2025-01-31").get_data(as_text=True)
    assert "条目 old" in page and "条目「能包装吗」" not in page
    page = admin.get("/admin/audit?until=2025-01-14").get_data(as_text=True)
    assert "条目 old" not in page and "没有符合条件的记录" in page
    assert admin.get("/admin/audit?action=%25").get_data(as_text=True).count('data-action="') == 0
    assert admin.get("/admin/audit?since=昨天").status_code == 400


def test_trainers_see_content_events_only_and_agents_nothing(app, as_role):
    _, alice = _seed(app, as_role)
    page = alice.get("/admin/audit").get_data(as_text=True)
    assert "条目「能包装吗」" in page and "重置密码" not in page and "用户 bob" not in page  # no admin-only filter either
    assert "user:" not in alice.get("/admin/audit.csv").get_data(as_text=True)
    agent = as_role("agent", "amy")
    assert agent.get("/admin/audit").status_code == 403
    assert agent.get("/admin/audit.csv").status_code == 403


def test_csv_has_a_bom_chinese_and_neutralised_formulas(app, as_role):
    admin, _ = _seed(app, as_role)
    resp = admin.get("/admin/audit.csv")
    assert resp.mimetype == "text/csv" and "attachment" in resp.headers["Content-Disposition"]
    raw = resp.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["时间（北京时间）", "操作者", "操作", "操作说明", "对象", "详情"]
    assert any(r[3] == "新建条目" and r[4] == "item:gift" for r in rows)
    created = [r for r in rows if r[2] == "user.create" and r[4] == "user:+1"]
    assert created and created[0][1] == "'=cmd|' /C calc'!A0"
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    filtered = admin.get("/admin/audit.csv?target=refund").get_data().decode("utf-8-sig")
    assert "item:refund" in filtered and "item:gift" not in filtered


def test_safe_cell_prefixes_formula_leads():
    assert [auditlog.safe_cell(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "普通", None)] == \
        ["'=1+1", "'+1", "'-2", "'@SUM(A1)", "'\tx", "普通", ""]


def test_every_action_the_code_records_has_a_chinese_label():
    import re
    from pathlib import Path

    import kbsite
    from kbsite.admin.auditlog import ACTION_LABELS

    source = "\n".join(p.read_text("utf-8") for p in Path(kbsite.__file__).parent.rglob("*.py"))
    recorded = set(re.findall(r'audit\.record\(\s*\w+,\s*\w+,\s*"([a-z_]+\.[a-z_.]+)"', source))
    assert len(recorded) >= 20 and recorded <= set(ACTION_LABELS), recorded - set(ACTION_LABELS)


def test_quizzes_and_entries_are_named_by_title_in_the_page(app, as_role):
    from kbsite import audit

    admin = as_role("admin", "root")
    alice = as_role("trainer", "alice")
    with app.app_context():
        service.create_item("gift", "faq", Draft("能包装吗", "售前", [], "可以", {"summary": "可以"}), alice.user)
        with write_session() as sess:
            audit.record(sess, alice.user, "training.attempt_start", "attempt:7", quiz="gift")
            audit.record(sess, alice.user, "training.attempt_start", "attempt:8", quiz="gone-quiz")
    page = admin.get("/admin/audit").get_data(as_text=True)
    body = page.split('id="audit"', 1)[1]
    assert "测验 《能包装吗》" in body and "条目「能包装吗」" in body
    assert "测验 gone-quiz" in body  # an unknown slug is still shown, as it is
    assert "quiz gift" not in body and "测验 gift" not in body
