"""Group-chat notices: each platform's body, posted after the commit from a queue, retried, never blocking."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kbsite.announcements import notify


class Receiver:
    """A local group-robot endpoint on 127.0.0.1 that fails the first ``fail`` posts with HTTP 500."""

    def __init__(self, fail: int = 0, answer: dict | None = None):
        self.bodies: list[dict] = []
        self.calls = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                outer.calls += 1
                body = self.rfile.read(int(self.headers["Content-Length"]))
                failing = outer.calls <= fail
                if not failing:
                    outer.bodies.append(json.loads(body))
                reply = json.dumps(answer or {"errcode": 0, "errmsg": "ok"}).encode()
                self.send_response(500 if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/robot/send?key=test"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(**kw) -> Receiver:
        made.append(Receiver(**kw))
        return made[-1]

    yield make
    for r in made:
        r.close()


def wait_for(check, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _jobs(app):
    from sqlalchemy import select

    from kbsite.announcements.models import WebhookJob
    from kbsite.db import session

    with app.app_context():
        return [(j.channel, j.state, j.attempts, j.last_error) for j in session().scalars(select(WebhookJob))]


def _announce(app, slug="notice-sale", title="大促规则公告"):
    from tests_support import publish

    publish(app, slug, "announcement", title, "正文", category="通知", summary="大促期间退款审核延长至48小时。",
            valid_from="2026-11-01 08:00", valid_until="2026-11-12", audience=[], priority="重要")


def test_each_platform_gets_its_own_message_format():
    assert notify.payload("wecom", "T", "**T**\n\nx") == {"msgtype": "markdown", "markdown": {"content": "**T**\n\nx"}}
    assert notify.payload("dingtalk", "T", "**T**") == {"msgtype": "markdown",
                                                        "markdown": {"title": "T", "text": "**T**"}}
    assert notify.payload("feishu", "T", "**T**\n\nx") == {"msg_type": "text", "content": {"text": "T\n\nx"}}


def test_publishing_an_announcement_posts_to_every_configured_channel(tmp_path, receivers):
    from tests_support import build_app

    wecom, ding, feishu = receivers(), receivers(), receivers(answer={"code": 0, "msg": "success"})
    app = build_app(tmp_path / "i", WEBHOOK_WECOM=wecom.url, WEBHOOK_DINGTALK=ding.url, WEBHOOK_FEISHU=feishu.url)
    _announce(app)
    assert wait_for(lambda: wecom.bodies and ding.bodies and feishu.bodies)
    content = wecom.bodies[0]["markdown"]["content"]
    assert "【公告·重要】大促规则公告" in content and "48小时" in content and "2026-11-01 08:00" in content
    assert ding.bodies[0]["markdown"]["title"] == "【公告·重要】大促规则公告"
    assert feishu.bodies[0]["msg_type"] == "text" and "**" not in feishu.bodies[0]["content"]["text"]
    assert wait_for(lambda: all(state == "sent" for _, state, _, _ in _jobs(app)))


def test_a_failing_receiver_is_retried_with_backoff_until_it_succeeds(tmp_path, receivers):
    from tests_support import build_app

    flaky = receivers(fail=2)
    app = build_app(tmp_path / "i", WEBHOOK_WECOM=flaky.url, WEBHOOK_RETRY_SECONDS=0.1)
    started = time.monotonic()
    _announce(app)
    assert time.monotonic() - started < 5  # the publish returned without waiting for the robot
    assert wait_for(lambda: len(flaky.bodies) == 1)
    assert flaky.calls == 3
    assert wait_for(lambda: _jobs(app) and _jobs(app)[0][1] == "sent")
    assert _jobs(app)[0][:3] == ("wecom", "sent", 3)
    assert notify.retry_delay(app, 1) == pytest.approx(0.1) and notify.retry_delay(app, 3) == pytest.approx(0.4)


def test_an_unreachable_robot_never_blocks_or_fails_the_publish(tmp_path):
    from tests_support import build_app

    from kbsite.content import service

    app = build_app(tmp_path / "i", WEBHOOK_DINGTALK="http://127.0.0.1:9/robot", WEBHOOK_RETRY_SECONDS=60)
    _announce(app)
    with app.app_context():
        assert service.get_item("notice-sale").published is not None
    assert wait_for(lambda: _jobs(app) and _jobs(app)[0][2] == 1)
    channel, state, attempts, error = _jobs(app)[0]
    assert (channel, state, attempts) == ("dingtalk", "pending", 1) and error


def test_a_platform_error_code_counts_as_a_failure(tmp_path, receivers):
    from tests_support import build_app

    refusing = receivers(answer={"errcode": 93000, "errmsg": "invalid webhook url"})
    app = build_app(tmp_path / "i", WEBHOOK_WECOM=refusing.url, WEBHOOK_RETRY_SECONDS=60)
    _announce(app)
    assert wait_for(lambda: _jobs(app) and _jobs(app)[0][2] == 1)
    assert "93000" in _jobs(app)[0][3] and _jobs(app)[0][1] == "pending"


def test_a_new_policy_version_posts_a_notice_and_other_types_do_not(tmp_path, receivers):
    from tests_support import build_app, publish

    robot = receivers()
    app = build_app(tmp_path / "i", WEBHOOK_WECOM=robot.url)
    publish(app, "return-rule", "faq", "退货问答", "正文", summary="七天")
    publish(app, "return-policy", "policy", "退货政策", "正文", summary="签收后七天可退。", effective_from="2026-12-01")
    assert wait_for(lambda: robot.bodies)
    time.sleep(0.3)
    assert len(robot.bodies) == 1
    content = robot.bodies[0]["markdown"]["content"]
    assert "【政策更新】退货政策（第 1 版）" in content and "自 2026-12-01 起施行" in content


def test_no_channel_configured_queues_nothing(app):
    _announce(app)
    assert _jobs(app) == []


def test_a_bulk_import_sends_one_digest_not_a_flood(tmp_path, receivers):
    from tests_support import build_app

    from kbsite import files
    from kbsite.content import service

    robot = receivers()
    app = build_app(tmp_path / "i", WEBHOOK_WECOM=robot.url)
    items = [files.ItemData(slug=f"policy-{n}", type="policy", title=f"政策{n}", category="售后", body="正文",
                            meta={"summary": "要点", "effective_from": "2026-01-01"}, source=f"policy-{n}.md")
             for n in range(12)]
    with app.app_context():
        service.import_items(items)
    assert wait_for(lambda: robot.bodies)
    time.sleep(0.3)
    assert len(robot.bodies) == 1
    content = robot.bodies[0]["markdown"]["content"]
    assert "12 条公告或政策已发布" in content and "政策0" in content and "等共 12 条" in content
