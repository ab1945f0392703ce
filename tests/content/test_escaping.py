"""Payloads in titles, tags, categories and messages come out escaped on every page."""

from __future__ import annotations

from kbsite.content import service
from kbsite.content.service import Draft

PAYLOAD = '<script>alert(1)</script><img src=x onerror=alert(2)>'


def test_metadata_payloads_are_escaped_everywhere(app, make_user):
    from tests_support import login

    user = make_user("admin", "root")
    reviewer = make_user("trainer", "second-pair-of-eyes")  # nobody approves their own change
    with app.app_context():
        service.create_item("xss-probe", "faq",
                            Draft(f"标题{PAYLOAD}", f"售后/{PAYLOAD}", ["<script>alert(3)"], "正文",
                                  {"summary": f"简答{PAYLOAD}"}), user, f"说明{PAYLOAD}")
        service.save_revision("xss-probe", Draft(f"新{PAYLOAD}", "售后", [], "正文2", {"summary": "x"}),
                              1, user, PAYLOAD)
        service.approve("xss-probe", 2, reviewer)
    c = app.test_client()
    login(c, "root")
    for path in ("/", "/browse", "/items/xss-probe", "/items/xss-probe/history",
                 "/items/xss-probe/diff?a=1&b=2", "/items/xss-probe/rev/1", "/items/xss-probe/edit"):
        html = c.get(path).get_data(as_text=True)
        assert "<script>alert" not in html, path
        assert "onerror=alert" not in html.replace("onerror=alert(2)&gt;", ""), path
