"""An announcement's front matter: validity window, audience and priority (registered with the file layer)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from kbsite.content.validity import parse_local
from kbsite.files.validate import Doc, register_meta

# Audience as written in files and forms: role labels, or 全员 (everyone).
AUDIENCE_ROLES = {"客服": "agent", "新人学员": "trainee", "培训师": "trainer", "管理员": "admin"}
EVERYONE = "全员"
PRIORITIES = ("普通", "重要", "紧急")
_TIME_HINT = "格式 YYYY-MM-DD HH:MM 或 YYYY-MM-DD（团队所在时区）"


def _time(doc: Doc, key: str, required: bool, end: bool = False):
    raw = doc.text(key, required=required, max_chars=20)
    if raw is None:
        return None, None
    try:
        # Any fixed zone orders two local times correctly; the team's zone applies when shown.
        return raw, parse_local(raw, end=end, zone=UTC)
    except ValueError:
        doc.fail(f"{key} 必须是有效时间，{_TIME_HINT}，不能是“{raw}”", key)


def announcement_meta(doc: Doc, body: str, body_line: int) -> dict[str, Any]:
    """Summary, validity window (from < until), audience and priority, checked with clear messages."""
    meta: dict[str, Any] = {"summary": doc.text("summary", required=True, single_line=False)}
    start_text, start = _time(doc, "valid_from", True)
    until_text, until = _time(doc, "valid_until", False, end=True)
    meta["valid_from"] = start_text
    if until_text:
        if until <= start:
            doc.fail(f"valid_until（{until_text}）必须晚于 valid_from（{start_text}）", "valid_until")
        meta["valid_until"] = until_text
    audience = list(dict.fromkeys(doc.text_list("audience", max_chars=10)))
    for i, who in enumerate(audience):
        if who != EVERYONE and who not in AUDIENCE_ROLES:
            doc.fail(f"audience 中的“{who}”未知：可写 {EVERYONE} 或 {'、'.join(AUDIENCE_ROLES)}", "audience", i)
    meta["audience"] = [] if EVERYONE in audience else audience
    priority = doc.text("priority", max_chars=10) or PRIORITIES[0]
    if priority not in PRIORITIES:
        doc.fail(f"priority 只能是 {'、'.join(PRIORITIES)}，不能是“{priority}”", "priority")
    meta["priority"] = priority
    return meta


register_meta("announcement", announcement_meta)
