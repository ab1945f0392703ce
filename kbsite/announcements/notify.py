"""Group-chat notices (企业微信, 钉钉, 飞书 group robots) for new announcements and policy versions.

Publishing never waits for a chat platform: the publish hook runs after the commit,
queues one :class:`WebhookJob` per configured channel (``KBSITE_WEBHOOK_WECOM``,
``_DINGTALK``, ``_FEISHU``) and wakes a background worker. The worker posts due jobs
and retries a failed post with exponential backoff (``WEBHOOK_RETRY_SECONDS`` × 2ⁿ)
up to ``MAX_ATTEMPTS`` times; the queue is a table, so a restart loses nothing.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select, update

from kbsite import clock
from kbsite.announcements.models import WebhookJob
from kbsite.content.models import Revision
from kbsite.content.validity import window
from kbsite.db import session, write_session

log = logging.getLogger(__name__)

CHANNELS = {"wecom": "WEBHOOK_WECOM", "dingtalk": "WEBHOOK_DINGTALK", "feishu": "WEBHOOK_FEISHU"}
MAX_ATTEMPTS = 8
MAX_SEPARATE = 3  # more notices than this from one publish are sent as one digest
TIMEOUT_SECONDS = 5
_WORKER = "kbsite.webhook_worker"


def payload(channel: str, title: str, text: str) -> dict:
    """The JSON body each platform's group robot expects for a Markdown (飞书: text) message."""
    if channel == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    if channel == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if channel == "feishu":
        return {"msg_type": "text", "content": {"text": text.replace("**", "")}}
    raise ValueError(channel)


def notice(item_type: str, rev: Revision) -> tuple[str, str] | None:
    """(title, Markdown text) of the notice for a just-published revision; None for other types."""
    summary = str(rev.meta.get("summary") or "").strip()
    if item_type == "announcement":
        head = f"【公告·{rev.meta.get('priority') or '普通'}】{rev.title}"
        start, end = window(rev.meta)
        when = f"有效期：{clock.fmt(start)} 起" + (f"，至 {clock.fmt(end)} 止" if end else "") if start else ""
    elif item_type == "policy":
        head = f"【政策更新】{rev.title}（第 {rev.number} 版）"
        when = f"自 {rev.effective_from} 起施行" if rev.effective_from else ""
    else:
        return None
    lines = [f"**{head}**", summary, when]
    return head, "\n\n".join(line for line in lines if line)


def digest(titles: list[str]) -> tuple[str, str]:
    """One notice for many publications at once (an import of several policies)."""
    head = f"【内容更新】{len(titles)} 条公告或政策已发布"
    shown = "\n".join(f"- {t}" for t in titles[:10]) + (f"\n- 等共 {len(titles)} 条" if len(titles) > 10 else "")
    return head, f"**{head}**\n\n{shown}"


def configured(app: Flask) -> dict[str, str]:
    """channel -> webhook URL, for the channels that are set."""
    return {ch: str(app.config.get(key) or "").strip() for ch, key in CHANNELS.items()
            if str(app.config.get(key) or "").strip()}


def on_published(revisions: Sequence[tuple[str, int]]) -> None:
    """Publish hook: queue notices for announcements and policies; never raises into the publish."""
    app = current_app._get_current_object()
    channels = configured(app)
    if not channels:
        return
    try:
        _enqueue(revisions, channels)
    except Exception:
        log.exception("could not queue group-chat notices; the publish itself succeeded")
        return
    wake(app)


def _enqueue(revisions: Sequence[tuple[str, int]], channels: dict[str, str]) -> None:
    revs = session().scalars(select(Revision).where(Revision.id.in_([r for _, r in revisions])))
    messages = [m for m in (notice(rev.item.type, rev) for rev in revs) if m]
    if not messages:
        return
    if len(messages) > MAX_SEPARATE:  # a bulk import: one notice listing them, not a flood
        messages = [digest([title for title, _ in messages])]
    with write_session() as sess:
        for title, text in messages:
            for channel in channels:
                sess.add(WebhookJob(channel=channel, payload=payload(channel, title, text)))


def _claim(now: datetime) -> list[int]:
    """Ids of due jobs, marked as being sent so that a second worker skips them."""
    due = list(session().scalars(select(WebhookJob.id).where(
        WebhookJob.state == "pending", WebhookJob.next_at <= now).order_by(WebhookJob.id).limit(50)))
    claimed = []
    with write_session() as sess:
        for job_id in due:
            done = sess.execute(update(WebhookJob).where(WebhookJob.id == job_id, WebhookJob.state == "pending")
                                .values(state="sending"))
            if done.rowcount:
                claimed.append(job_id)
    return claimed


def post(url: str, body: dict) -> None:
    """POST one message; raise with the reason when the platform did not accept it."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as resp:  # noqa: S310 (configured URL)
        raw = resp.read(65536)
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        answer = {}
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0))) if isinstance(answer, dict) else 0
    if code not in (0, None):
        raise RuntimeError(f"platform error {code}: {str(answer.get('errmsg') or answer.get('msg') or '')[:200]}")


def drain(app: Flask, now: datetime | None = None) -> int:
    """Post every due job once (success, or rescheduled with backoff); returns how many were sent."""
    sent = 0
    urls = configured(app)
    for job_id in _claim(now or clock.utcnow()):
        with write_session() as sess:
            job = sess.get(WebhookJob, job_id)
            error = _send(urls.get(job.channel), job.payload)
            job.attempts += 1
            if error is None:
                job.state, job.sent_at, job.last_error = "sent", clock.utcnow(), ""
                sent += 1
            else:
                job.last_error = error[:500]
                job.state = "failed" if job.attempts >= MAX_ATTEMPTS or urls.get(job.channel) is None else "pending"
                job.next_at = clock.utcnow() + timedelta(seconds=retry_delay(app, job.attempts))
                log.warning("group-chat notice %s to %s failed (attempt %s): %s", job.id, job.channel,
                            job.attempts, error)
    return sent


def _send(url: str | None, body: dict) -> str | None:
    if not url:
        return "该渠道的 webhook 地址已不再配置"
    try:
        post(url, body)
    except (urllib.error.URLError, OSError, RuntimeError, ValueError) as exc:
        return str(exc)
    return None


def retry_delay(app: Flask, attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failures: base × 2^(attempts-1), at most an hour."""
    return min(float(app.config.get("WEBHOOK_RETRY_SECONDS", 30)) * 2 ** (attempts - 1), 3600.0)


def next_due() -> datetime | None:
    """When the earliest pending job is due (None: the queue is empty)."""
    return session().scalar(select(WebhookJob.next_at).where(WebhookJob.state == "pending")
                            .order_by(WebhookJob.next_at).limit(1))


def wake(app: Flask) -> None:
    """Start the background worker unless one is already running in this process."""
    state = app.extensions.setdefault(_WORKER, {"lock": threading.Lock(), "thread": None})
    with state["lock"]:
        thread = state["thread"]
        if thread is not None and thread.is_alive():
            state["again"] = True
            return
        state["again"] = False
        state["thread"] = threading.Thread(target=_run, args=(app, state), name="kbsite-webhooks", daemon=True)
        state["thread"].start()


def _run(app: Flask, state: dict) -> None:
    """Drain until nothing is pending; sleep until the next retry is due."""
    stop = threading.Event()
    with app.app_context():
        while True:
            try:
                drain(app)
                due = next_due()
            except Exception:
                log.exception("group-chat notice worker failed; retrying shortly")
                due = clock.utcnow() + timedelta(seconds=5)
            if due is None:
                with state["lock"]:
                    if not state.get("again"):
                        state["thread"] = None
                        return
                    state["again"] = False
                continue
            stop.wait(max(0.0, min(60.0, (due - clock.utcnow()).total_seconds())))


def resume(app: Flask) -> None:
    """At start-up: jobs left pending by a stopped process are sent (a 'sending' one is retried)."""
    with app.app_context():
        try:
            with write_session() as sess:
                sess.execute(update(WebhookJob).where(WebhookJob.state == "sending").values(state="pending"))
            pending = next_due() is not None
        except Exception:  # no table yet (before migrations): nothing to resume
            return
    if pending:
        wake(app)
