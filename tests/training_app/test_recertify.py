"""Training follows policy changes (issue 13 item 8): reopened steps, who must retake, certificates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kbsite.training import recertify
from kbsite.training.models import PolicyChange

from .conftest import answers, attempt_row, known_quiz, publish, start

POLICY = "response-time-standards"  # cited by known-quiz's question s1


def _republish(app, slug: str, *, body_suffix: str = "\n\n（修订）", **meta) -> None:
    """Import a new published revision of an existing item, as a library update would."""
    from kbsite import files
    from kbsite.content import service
    from kbsite.content.models import Item
    from kbsite.db import session

    with app.test_request_context():
        item = session().query(Item).filter_by(slug=slug).one()
        rev = item.published
        service.import_items([files.ItemData(
            slug=slug, type=item.type, title=rev.title, category=rev.category, tags=list(rev.tags),
            body=rev.body + body_suffix, meta={**rev.meta, **meta}, source=f"{slug}.md")])


def _changes(app) -> list[PolicyChange]:
    from kbsite.db import session

    with app.app_context():
        return session().query(PolicyChange).order_by(PolicyChange.id).all()


def _policy_title(app) -> str:
    from kbsite.training import catalog

    with app.app_context():
        return catalog.titles([POLICY])[POLICY]


@pytest.fixture
def course(lib):
    """A two-step course: a lesson embedding the seven-day policy, and the known quiz (cites POLICY)."""
    publish(lib, "rc-lesson", "lesson", body="读一读：\n\n[[seven-day-return-policy]]\n", title="退货政策课")
    publish(lib, "rc-course", "course", {"steps": [{"lesson": "rc-lesson"}, {"quiz": "known-quiz"}]},
            title="政策课程")
    return lib


def _complete(app, c) -> None:
    c.post("/training/lessons/rc-lesson/read", data={})
    _pass_quiz(app, c)


def _pass_quiz(app, c) -> None:
    attempt_id = start(c)
    c.post(f"/training/attempts/{attempt_id}/submit", data=answers(known_quiz(), attempt_row(app, attempt_id).seed))


def _serial(page: str) -> str:
    return page.split('id="cert-serial">')[1].split("<")[0]


def test_a_new_published_revision_reopens_the_steps_that_cite_it(course, signed_in):
    c = signed_in("xiaochen", "trainee")
    _complete(course, c)
    cert_page = c.get("/training/certificates/rc-course").get_data(as_text=True)
    serial = _serial(cert_page)
    title = _policy_title(course)
    assert serial.startswith("KB-") and f"《{title}》第 1 版" in cert_page and f"/certificates/{serial}" in cert_page
    anonymous = course.test_client()
    verify = anonymous.get(f"/certificates/{serial}").get_data(as_text=True)
    assert "有效" in verify and "已失效" not in verify and "xiaochen" in verify

    _republish(course, POLICY)
    [change] = _changes(course)
    assert (change.item_slug, change.revision_number, change.cause) == (POLICY, 2, "published")

    page = c.get("/training/courses/rc-course").get_data(as_text=True)
    assert f"政策已更新：{title}" in page and "已通过" not in page
    assert "✔ 已读" in page  # the lesson cites another entry: still done
    path = c.get("/training/").get_data(as_text=True)
    assert 'id="reopened-steps"' in path and f"政策已更新：{title}" in path
    assert c.get("/training/certificates/rc-course").status_code == 409
    trainer = signed_in("coach", "trainer")
    retakes = trainer.get("/training/manage").get_data(as_text=True).split('id="retakes"')[1].split("</section>")[0]
    assert "xiaochen" in retakes and "已知测验" in retakes and f"政策已更新：{title}" in retakes
    one = trainer.get(f"/training/manage/users/{c.user.id}").get_data(as_text=True)
    assert "新人学员" in one and f"测验：已知测验 — 政策已更新：{title}" in one
    old = anonymous.get(f"/certificates/{serial}").get_data(as_text=True)
    assert f"已失效：政策「{title}」已更新" in old and "证书依据第 1 版，现行第 2 版" in old

    _pass_quiz(course, c)
    page = c.get("/training/courses/rc-course").get_data(as_text=True)
    assert "政策已更新" not in page and "已通过" in page
    new_serial = _serial(c.get("/training/certificates/rc-course").get_data(as_text=True))
    assert new_serial != serial
    assert "有效：" in anonymous.get(f"/certificates/{new_serial}").get_data(as_text=True)
    assert "已失效" in anonymous.get(f"/certificates/{serial}").get_data(as_text=True)
    assert "xiaochen" not in trainer.get("/training/manage").get_data(as_text=True).split('id="retakes"')[1] \
        .split("</section>")[0]


def test_a_lesson_reopens_and_is_done_again_when_read_again(course, signed_in):
    c = signed_in("xiaochen", "trainee")
    _complete(course, c)
    _republish(course, "seven-day-return-policy")
    page = c.get("/training/courses/rc-course").get_data(as_text=True)
    assert "政策已更新：" in page and "请重新阅读" in page
    c.post("/training/lessons/rc-lesson/read", data={})
    page = c.get("/training/courses/rc-course").get_data(as_text=True)
    assert "政策已更新" not in page and "✔ 已读" in page


def test_a_scheduled_policy_reopens_steps_when_it_comes_into_force(course, signed_in):
    c = signed_in("xiaochen", "trainee")
    _complete(course, c)
    serial = _serial(c.get("/training/certificates/rc-course").get_data(as_text=True))
    _republish(course, POLICY, effective_from="2031-01-01")
    assert _changes(course) == []  # published, but not in force yet
    assert "政策已更新" not in c.get("/training/courses/rc-course").get_data(as_text=True)
    assert "有效：" in course.test_client().get(f"/certificates/{serial}").get_data(as_text=True)

    course.config["TODAY"] = "2031-01-02"
    page = c.get("/training/courses/rc-course").get_data(as_text=True)
    assert f"政策已更新：{_policy_title(course)}" in page
    [change] = _changes(course)
    assert (change.cause, change.revision_number) == ("in_force", 2)
    assert change.occurred_at == datetime(2031, 1, 1, tzinfo=UTC)
    assert "已失效" in course.test_client().get(f"/certificates/{serial}").get_data(as_text=True)
    c.get("/training/")  # a second look records nothing twice
    assert len(_changes(course)) == 1


def test_uncited_entries_and_first_publications_change_nothing(course, signed_in):
    c = signed_in("xiaochen", "trainee")
    _complete(course, c)
    _republish(course, "bulk-purchase")  # a FAQ no lesson or quiz cites
    publish(course, "new-policy-lesson", "lesson", body="[[brand-new-policy]]", title="新政策课")
    publish(course, "brand-new-policy", "policy",  # cited, but its first publication
            {"summary": "新政策", "effective_from": "2025-01-01"}, body="正文", title="新政策")
    assert _changes(course) == []
    assert "政策已更新" not in c.get("/training/courses/rc-course").get_data(as_text=True)


def test_unknown_certificate_serial_is_a_clear_404(lib):
    resp = lib.test_client().get("/certificates/KB-20260101-XXXXXXXX")
    assert resp.status_code == 404 and "没有这个编号的证书" in resp.get_data(as_text=True)


# --- the rule itself ------------------------------------------------------------------------


def _change(slug: str, at: datetime) -> PolicyChange:
    return PolicyChange(item_slug=slug, revision_id=1, revision_number=2, title=f"{slug}标题", cause="published",
                        occurred_at=at)


T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "first,last,change_at,done_at,reopened",
    [
        (None, None, T0, None, False),                           # never completed
        (T0, T0, T0 - timedelta(days=1), T0, False),             # changed before: stays done at first
        (T0, T0, T0 + timedelta(days=1), None, True),            # changed after: reopened
        (T0, T0 + timedelta(days=3), T0 + timedelta(days=1), T0 + timedelta(days=3), False),  # redone after
    ],
)
def test_completion(first, last, change_at, done_at, reopened):
    changes = {"p": [_change("p", change_at)], "other": [_change("other", T0 + timedelta(days=9))]}
    result = recertify.completion(first, last, {"p"}, changes)
    assert result.done_at == done_at and bool(result.reopened_by) == reopened
    if reopened:
        assert result.reasons == ["政策已更新：p标题"]


def test_an_approved_edit_reaches_training_through_the_publish_hook(course, signed_in, make_user_lib):
    from kbsite.content import service
    from kbsite.db import session

    c = signed_in("xiaochen", "trainee")
    _complete(course, c)
    author, reviewer = make_user_lib("writer", "trainer"), make_user_lib("checker", "trainer")
    with course.test_request_context():
        item = service.get_item(POLICY)
        draft = service.draft_of(item.published)
        draft.body += "\n\n（培训师修订）"
        rev = service.save_revision(POLICY, draft, item.latest.number, session().merge(author), submit=True)
        assert _changes(course) == []  # pending review: nothing published yet
        service.approve(POLICY, rev.number, session().merge(reviewer))
    [change] = _changes(course)
    assert change.revision_number == rev.number
    assert "政策已更新" in c.get("/training/courses/rc-course").get_data(as_text=True)


def test_the_content_layer_does_not_import_training():
    from pathlib import Path

    import kbsite.content.events as events
    import kbsite.content.service as service

    for module in (events, service):
        assert "kbsite.training" not in Path(module.__file__).read_text(encoding="utf-8")
