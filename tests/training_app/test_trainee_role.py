"""New hires as a role (issue 13 item 7): what a trainee may do, and drills as locked course steps."""

from __future__ import annotations

from tests_support import login

from kbsite.auth.permissions import ROLE_LABELS, ROLE_PERMISSIONS, can

from .conftest import publish, quiz_meta, start

# --- the role -------------------------------------------------------------------------------


def test_trainee_permissions_are_training_and_reading_only():
    trainee = ROLE_PERMISSIONS["trainee"]
    assert trainee == {"read", "search", "train"}
    assert trainee < ROLE_PERMISSIONS["agent"]
    for denied in ("copy", "author", "view_drafts", "review", "manage_training", "insights", "admin_users"):
        assert denied not in trainee
    assert ROLE_LABELS["trainee"] == "新人学员"


def test_trainee_reads_and_trains_but_cannot_author(lib, signed_in):
    c = signed_in("xiaochen", "trainee")
    assert can(c.user, "train") and not can(c.user, "author")
    for url in ("/", "/training/", "/items/seven-day-return", "/search?q=退货", "/training/courses/onboarding-week-1",
                "/training/lessons/week1-welcome"):
        resp = c.get(url)
        assert resp.status_code == 200, url
    assert "新人学员" in c.get("/training/").get_data(as_text=True)
    for url in ("/items/new", "/items/seven-day-return/edit", "/review/", "/training/manage", "/insights/",
                "/admin/users", "/items/seven-day-return/history"):
        assert c.get(url).status_code == 403, url
    with lib.app_context():
        from kbsite.auth import service

        token = {"Authorization": f"Bearer {service.create_token('xiaochen')}"}
    assert c.get("/api/templates/greeting-standard", headers=token).status_code == 200
    assert c.post("/api/templates/greeting-standard/copy", json={}, headers=token).status_code == 403
    panel = c.get("/items/greeting-standard").get_data(as_text=True)
    assert '"practice": true' in panel and '"live": false' in panel  # copies locally, never counted
    assert c.post("/items/new", data={"slug": "x1", "type": "faq", "title": "t"}).status_code == 403


def test_admin_creates_a_trainee_labelled_in_chinese(as_role):
    admin = as_role("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert '<option value="trainee">新人学员</option>' in page
    resp = admin.post("/admin/users", data={"username": "newhire", "role": "trainee", "password": "long-enough-pw",
                                            "display_name": "新同事"})
    assert resp.status_code == 302
    page = admin.get("/admin/users").get_data(as_text=True)
    row = page.split('data-username="newhire"')[1].split("</tr>")[0]
    assert '<option value="trainee" selected>新人学员</option>' in row
    assert ">trainee<" not in row
    audit = admin.get("/admin/audit").get_data(as_text=True)
    assert "角色 新人学员" in audit and "trainee" not in audit


def test_cli_creates_a_trainee(app):
    result = app.test_cli_runner().invoke(args=["create-user", "newhire", "--role", "trainee",
                                                "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    assert "已创建用户 newhire（新人学员）" in result.output
    c = app.test_client()
    assert login(c, "newhire", "long-enough-pw").status_code == 302
    assert c.get("/training/").status_code == 200


def test_trainers_see_trainees_in_their_results(lib, signed_in):
    signed_in("xiaochen", "trainee")
    trainer = signed_in("coach", "trainer")
    assert "xiaochen" in trainer.get("/training/manage").get_data(as_text=True)


# --- locked steps -----------------------------------------------------------------------------


def _step(page: str, slug: str) -> str:
    """The <li> of one course step."""
    for li in page.split("<li class=\"step")[1:]:
        if f"/training/quizzes/{slug}" in li or f'data-locked="{slug}"' in li or f'data-start="{slug}"' in li:
            return li.split("</li>")[0]
    raise AssertionError(f"no step {slug}")


def test_cabin_drills_are_locked_until_the_prerequisite_course_is_done(signed_in):
    c = signed_in("xiaochen", "trainee")
    page = c.get("/training/courses/simulation-cabin").get_data(as_text=True)
    step = _step(page, "cabin-round-1")
    assert "完成「新人第一周」后解锁" in step and "限时演练" in step
    assert "/training/quizzes/cabin-round-1" not in step and "进入演练" not in step
    quiz_page = c.get("/training/quizzes/cabin-round-1").get_data(as_text=True)
    assert "完成「新人第一周」后解锁" in quiz_page
    assert 'id="start-quiz"' not in quiz_page and "/training/quizzes/cabin-round-1/start" not in quiz_page
    refused = c.post("/training/quizzes/cabin-round-1/start")
    assert refused.status_code == 403 and "完成「新人第一周」后解锁" in refused.get_data(as_text=True)


def test_a_drill_opens_once_the_earlier_steps_are_done(lib, signed_in):
    publish(lib, "drill-lesson", "lesson", body="先读一读", title="演练须知")
    publish(lib, "timed-quiz", "quiz", quiz_meta(time_limit_seconds=120), title="限时小测")
    publish(lib, "drill-course", "course", {"steps": [{"lesson": "drill-lesson"}, {"drill": "timed-quiz"}]},
            title="演练课程")
    c = signed_in("xiaochen", "trainee")
    step = _step(c.get("/training/courses/drill-course").get_data(as_text=True), "timed-quiz")
    assert "完成「演练须知」后解锁" in step and "限时演练 · 120 秒" in step and "进入演练" not in step
    page = c.get("/training/quizzes/timed-quiz").get_data(as_text=True)
    assert "完成「演练须知」后解锁" in page and 'id="start-quiz"' not in page
    assert c.post("/training/quizzes/timed-quiz/start").status_code == 403

    c.post("/training/lessons/drill-lesson/read", data={"course": "drill-course"})
    step = _step(c.get("/training/courses/drill-course").get_data(as_text=True), "timed-quiz")
    assert "解锁" not in step and 'data-start="timed-quiz"' in step and "进入演练" in step
    assert 'id="start-quiz"' in c.get("/training/quizzes/timed-quiz").get_data(as_text=True)
    assert start(c, "timed-quiz") > 0


def test_trainers_open_locked_steps_to_check_them(lib, signed_in):
    trainer = signed_in("coach", "trainer")
    page = trainer.get("/training/quizzes/cabin-round-1").get_data(as_text=True)
    assert 'id="start-quiz"' in page and "后解锁" not in page
