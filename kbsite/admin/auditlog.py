"""Reading the audit log: filters, scopes by permission, Chinese labels and a safe CSV export.

Admins (permission ``audit``) see every event. Trainers (``view_audit``) see
content and training events, not account or token administration.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from kbsite import clock
from kbsite.audit import AuditEvent
from kbsite.auth.models import User
from kbsite.auth.permissions import ROLE_LABELS
from kbsite.db import session
from kbsite.errors import Invalid
from kbsite.review.feedback import KINDS as FEEDBACK_KINDS

ADMIN_ONLY_PREFIXES = ("user.", "token.", "site.")
ACTION_LABELS = {
    "item.create": "新建条目", "item.save": "保存修改", "item.submit": "提交审核",
    "item.approve": "批准发布", "item.reject": "退回修改", "item.verify": "标记为已核实",
    "item.owner": "更换负责人", "item.feedback": "客服反馈问题", "item.feedback_resolve": "处理客服反馈", "item.interval": "修改复核周期", "library.import": "导入内容",
    "announcement.read": "确认已读公告",
    "user.create": "新建用户", "user.role": "修改角色", "user.activate": "启用账号",
    "user.deactivate": "停用账号", "user.password_reset": "重置密码",
    "user.password_change": "修改自己的密码", "user.demo_password_retired": "更换演示账号的公开密码",
    "site.bootstrap": "创建首批账号",
    "token.create": "创建 API 令牌", "token.revoke": "撤销 API 令牌", "site.backup": "下载全站备份",
    "training.assign": "布置课程", "training.unassign": "取消布置",
    "training.attempt_start": "开始测验", "training.attempt_submit": "提交测验",
    "training.attempt_expired": "测验超时作废", "training.review_submit": "完成错题复习",
    "training.reply_marked": "批改写回复题", "training.attempt_marked": "批改完成、测验出分",
}
# Every key any audit.record(...) call writes; a test scans the code so none is shown raw.
DETAIL_LABELS = {
    "number": "版本", "message": "修改说明", "comment": "审核意见", "created": "新建", "updated": "更新",
    "owner": "负责人", "days": "复核周期（天）", "id": "编号", "kind": "问题类型", "role": "角色",
    "generated": "自动生成密码", "name": "用途", "token": "令牌编号", "rows": "行数", "quiz": "测验",
    "score": "得分", "passed": "通过", "user": "学员", "cohort": "批次", "due": "截止日期",
    "right": "答对", "total": "题数", "question": "题目", "auto": "自动评分", "final": "最终得分",
    "override": "改判", "to_mark": "待批改题数", "accounts": "账号",
}
SLUG_KEYS = ("quiz", "course")  # detail values that are item slugs, shown by title where known
TARGET_PREFIXES = {"item": "条目", "user": "用户", "attempt": "测验记录", "course": "课程", "review": "复习"}
TARGET_NAMES = {"library": "内容库", "site": "全站"}
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
PAGE_SIZE = 100
EXPORT_LIMIT = 100_000


def action_label(action: str) -> str:
    """A Chinese label for an action code (the code itself when unknown)."""
    return ACTION_LABELS.get(action, action)


def _value_text(key: str, value: object, titles: dict[str, str] | None = None) -> str:
    if key in SLUG_KEYS and titles and str(value) in titles:
        return f"《{titles[str(value)]}》"
    if isinstance(value, bool):
        return "是" if value else "否"
    if key == "role":
        return ROLE_LABELS.get(str(value), str(value))
    if key == "kind":
        return FEEDBACK_KINDS.get(str(value), str(value))
    if key == "number":
        return f"第 {value} 版"
    return str(value)


def detail_text(detail: dict | None, titles: dict[str, str] | None = None) -> str:
    """An event's details in Chinese, e.g. ``版本 第 3 版；审核意见 好`` (never ``number=3``).

    ``titles`` (slug → title) turns the quiz or course a detail names into its title.
    """
    parts = [f"{DETAIL_LABELS.get(k, '其他')} {_value_text(k, v, titles)}"
             for k, v in (detail or {}).items() if v not in ("", None)]
    return "；".join(parts)


def named_slugs(rows: list[AuditEvent]) -> list[str]:
    """Item slugs the events name (``item:`` targets, quizzes and courses in details), to look titles up."""
    slugs = {ev.target[5:] for ev in rows if ev.target.startswith("item:")}
    slugs |= {str(v) for ev in rows for k, v in (ev.detail or {}).items() if k in SLUG_KEYS and v}
    return sorted(slugs)


def target_text(target: str) -> str:
    """``item:refund`` → ``条目 refund``; ``library`` → ``内容库``."""
    prefix, _, rest = target.partition(":")
    if rest and prefix in TARGET_PREFIXES:
        return f"{TARGET_PREFIXES[prefix]} {rest}"
    return TARGET_NAMES.get(target, target)


def action_choices(everything: bool) -> list[tuple[str, str]]:
    """(code, label) for the audit page's filter, grouped by area; admin-only ones for admins."""
    return sorted((code, label) for code, label in ACTION_LABELS.items()
                  if everything or not code.startswith(ADMIN_ONLY_PREFIXES))


@dataclass
class AuditFilter:
    """What the audit page was asked to show."""

    actor: str = ""
    action: str = ""  # a prefix, e.g. "item." or "user.role"
    target: str = ""  # a substring, e.g. "seven-day" or "user:alice"
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(cls, args) -> AuditFilter:
        """Parse query arguments; bad dates are a clear error."""
        try:
            since = date.fromisoformat(args["since"]) if args.get("since") else None
            until = date.fromisoformat(args["until"]) if args.get("until") else None
        except ValueError:
            raise Invalid("日期格式应为 YYYY-MM-DD") from None
        return cls(args.get("actor", "").strip(), args.get("action", "").strip(),
                   args.get("target", "").strip(), since, until)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _statement(f: AuditFilter, everything: bool) -> Select:
    stmt = select(AuditEvent).options(selectinload(AuditEvent.actor))
    if not everything:
        for prefix in ADMIN_ONLY_PREFIXES:
            stmt = stmt.where(AuditEvent.action.not_like(prefix + "%"))
    if f.actor:
        stmt = stmt.join(User, AuditEvent.actor_id == User.id).where(
            or_(User.username == f.actor, User.display_name == f.actor))
    if f.action:
        stmt = stmt.where(AuditEvent.action.like(_like_escape(f.action) + "%", escape="\\"))
    if f.target:
        stmt = stmt.where(AuditEvent.target.like("%" + _like_escape(f.target) + "%", escape="\\"))
    if f.since:
        stmt = stmt.where(AuditEvent.at >= clock.day_start(f.since))
    if f.until:
        stmt = stmt.where(AuditEvent.at < clock.day_start(f.until + timedelta(days=1)))
    return stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def events(f: AuditFilter, everything: bool, limit: int = PAGE_SIZE, offset: int = 0) -> list[AuditEvent]:
    """Matching events, newest first."""
    return list(session().scalars(_statement(f, everything).limit(limit).offset(offset)))


def safe_cell(value: object) -> str:
    """A CSV cell that spreadsheets will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_LEADS) else text


def to_csv(rows: list[AuditEvent]) -> str:
    """UTF-8 CSV with a BOM so that Excel shows Chinese; every cell formula-safe."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f"时间（{clock.zone_label()}）", "操作者", "操作", "操作说明", "对象", "详情"])
    for ev in rows:
        writer.writerow([safe_cell(c) for c in (
            clock.fmt(ev.at, "%Y-%m-%d %H:%M:%S"), ev.actor.username if ev.actor else "系统",
            ev.action, action_label(ev.action), ev.target, detail_text(ev.detail),
        )])
    return out.getvalue()


def export(f: AuditFilter, everything: bool) -> str:
    """The filtered log as CSV text."""
    return to_csv(events(f, everything, limit=EXPORT_LIMIT))
