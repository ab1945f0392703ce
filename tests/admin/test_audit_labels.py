"""Every action and detail key the code records has a Chinese label; pages never show codes."""

from __future__ import annotations

import ast
from pathlib import Path

import kbsite
from kbsite.admin.auditlog import ACTION_LABELS, DETAIL_LABELS, detail_text, target_text
from kbsite.content.diff import revision_text
from kbsite.content.models import Revision


def _recorded() -> tuple[set[str], set[str]]:
    """(actions, detail keys) of every ``audit.record(...)`` call in the package, via the AST."""
    actions: set[str] = set()
    keys: set[str] = set()
    for path in Path(kbsite.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "record" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit"):
                continue
            action = node.args[2]
            found = [n.value for n in ast.walk(action) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
            assert found, f"{path.name}:{node.lineno}: action is not a literal, so it cannot be checked"
            actions.update(found)
            keys.update(k.arg for k in node.keywords if k.arg)
    return actions, keys


def test_every_recorded_action_and_detail_key_has_a_label():
    actions, keys = _recorded()
    assert {"item.approve", "user.activate", "user.deactivate", "training.assign"} <= actions
    assert actions <= set(ACTION_LABELS), actions - set(ACTION_LABELS)
    assert {"number", "kind", "comment"} <= keys
    assert keys <= set(DETAIL_LABELS), keys - set(DETAIL_LABELS)
    assert all(label and label.isascii() is False for label in {**ACTION_LABELS, **DETAIL_LABELS}.values())


def test_details_and_targets_read_as_chinese():
    assert detail_text({"number": 3, "comment": "好"}) == "版本 第 3 版；审核意见 好"
    assert detail_text({"kind": "outdated", "id": 7}) == "问题类型 已过时；编号 7"
    assert detail_text({"role": "trainer", "generated": True}) == "角色 培训师；自动生成密码 是"
    assert detail_text({"message": "", "owner": None}) == ""
    assert target_text("item:refund") == "条目 refund" and target_text("library") == "内容库"


def test_diffs_label_every_field_in_chinese():
    rev = Revision(title="退货", category="售后", tags=["退货"], body="正文", meta={
        "summary": "七天内可退", "effective_from": "2026-01-01", "placeholders": ["客户称呼", "订单号"],
        "variants": {"电话": "您好"}})
    text = revision_text(rev)
    for label in ("简答：七天内可退", "生效日期：2026-01-01", "占位符：客户称呼、订单号", "渠道版本：电话：您好"):
        assert label in text
    assert "summary" not in text and "effective_from" not in text and "placeholders" not in text


def test_audit_page_and_history_show_labels_not_codes(app, as_role):
    from kbsite.content import service
    from kbsite.content.service import Draft

    admin = as_role("admin", "root")
    trainer = as_role("trainer", "tina")
    with app.app_context():
        service.create_item("gift", "faq", Draft("能包装吗", "售前", [], "可以", {"summary": "可以"}),
                            trainer.user, submit=True)
    assert admin.post("/review/gift/1/reject", data={"comment": "补充运费"}).status_code == 302
    page = admin.get("/admin/audit").get_data(as_text=True)
    body = page.split('<table class="history" id="audit">', 1)[1]
    assert "退回修改" in body and "版本 第 1 版；审核意见 补充运费" in body and "条目「能包装吗」" in body and 'title="标识 gift"' in body
    assert "item.reject" not in body.replace('data-action="item.reject"', "") and "number=" not in body
    history = trainer.get("/items/gift/history").get_data(as_text=True)
    events = history.split("操作记录", 1)[1]
    assert "退回修改 · 版本 第 1 版；审核意见 补充运费" in events and "item." not in events
