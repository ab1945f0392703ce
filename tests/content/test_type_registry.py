"""The content-type registry: a type declared in one place imports, exports, validates, lists and shows."""

from __future__ import annotations

from typing import Any

import pytest

from kbsite import files
from kbsite.content import types
from kbsite.files import validate

MEMO = """---
title: 仓库搬迁备忘
type: memo
category: 通知/仓库
summary: 三号仓本周搬迁，发货顺延一天。
audience_note: 全体客服
---
搬迁期间**发货顺延**一天。
"""


def _memo_meta(doc: validate.Doc, body: str, line: int) -> dict[str, Any]:
    return {"summary": doc.text("summary", required=True), "audience_note": doc.text("audience_note") or ""}


@pytest.fixture
def memo_type():
    """A type of the test's own, declared once and removed afterwards."""
    types.register(types.ContentType("memo", "备忘", "content/memos", head=("summary", "audience_note"),
                                      required=("summary",), review_days=30, has_summary=True,
                                      searchable=True))
    validate.register_meta("memo", _memo_meta)
    yield
    types.unregister("memo")
    validate.META.pop("memo", None)


def test_registry_declares_every_builtin_type_once():
    assert types.keys("kind")[:4] == ("faq", "policy", "template", "case")
    assert set(files.ALL_TYPES) <= set(types.keys())
    assert types.label("policy") == "政策" and types.label("nope") == "其他"
    assert types.get("policy").key_order[:6] == ("title", "type", "category", "tags", "summary", "effective_from")
    assert set(types.summary_types()) >= {"faq", "policy", "case"}


def test_file_layer_imports_no_feature_package():
    import inspect

    for module in (validate, files.parse, files.writer):
        source = inspect.getsource(module)
        assert "kbsite.training" not in source and "kbsite.phrasing" not in source


def test_new_type_validates_and_round_trips(memo_type, tmp_path):
    item = files.parse_item(MEMO.encode(), "warehouse-move.md")
    assert item.type == "memo" and item.meta["audience_note"] == "全体客服"
    with pytest.raises(files.FileError, match="summary"):
        files.parse_item(MEMO.replace("summary: 三号仓本周搬迁，发货顺延一天。\n", "").encode(), "x-memo.md")
    with pytest.raises(files.FileError, match="未知字段"):
        files.parse_item(MEMO.replace("audience_note", "color").encode(), "x-memo.md")
    written = files.write_tree([item], tmp_path)
    assert written == [tmp_path.resolve() / "content/memos/warehouse-move.md"]
    again = files.parse_item(written[0].read_bytes(), "warehouse-move.md")
    assert again.meta == item.meta and again.title == item.title


def test_new_type_is_imported_listed_and_shown(memo_type, app, as_role):
    from kbsite.content import service

    with app.app_context():
        report = service.import_items([files.parse_item(MEMO.encode(), "warehouse-move.md")])
        assert report.created == ["warehouse-move"]
        item = service.get_item("warehouse-move")
        assert item.review_interval_days == 30
        exported = [i for i in service.export_items() if i.slug == "warehouse-move"]
        assert exported[0].meta["summary"].startswith("三号仓")
    agent = as_role("agent")
    home = agent.get("/").get_data(as_text=True)
    assert "备忘" in home
    listed = agent.get("/browse?type=memo").get_data(as_text=True)
    assert "仓库搬迁备忘" in listed
    page = agent.get("/items/warehouse-move").get_data(as_text=True)
    assert "发货顺延" in page and "三号仓本周搬迁" in page


def test_the_policy_in_force_rule_is_written_once():
    import inspect

    from kbsite.content import inforce, listing, service
    from kbsite.search import expected

    assert "effective_from <=" in inspect.getsource(inforce)
    for module in (service, expected, listing):
        assert "effective_from <=" not in inspect.getsource(module), module.__name__


def test_listings_ask_the_database_for_the_rows_they_show(app, as_role):
    """A browse filtered to one type and category is a few queries, whatever the library size."""
    from sqlalchemy import event
    from tests_support import publish

    for n in range(30):
        publish(app, f"faq-{n}", "faq", f"问题{n}", "正文", category="售前" if n % 10 else "售后/退货",
                summary="答")
    agent = as_role("agent")
    seen: list[int] = []
    engine = app.extensions["kbsite.db"].engine
    listener = lambda conn, cursor, statement, params, context, many: seen.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        page = agent.get("/browse?type=faq&category=售后").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert page.count('class="item-row"') == 3 and "问题0" in page and "问题1<" not in page
    assert len(seen) < 15  # a handful of queries, not one per item


def test_foreign_markdown_takes_the_type_of_its_folder_from_the_registry(memo_type):
    from datetime import date

    reader = files.Lenient(today=date(2026, 1, 1))
    for folder in ("memos", "备忘", "MEMO"):  # export folder, label, key (any case)
        item = reader("# 仓库搬迁\n\n三号仓本周搬迁，发货顺延一天。\n".encode(), f"{folder}/move.md",
                      source=f"lib.zip:{folder}/move.md")
        assert item.type == "memo" and item.meta["summary"].startswith("三号仓")
    assert types.kind_of_folder("问答") == "faq" and types.kind_of_folder("话术") == "template"
    assert types.kind_of_folder("search") is None  # config types are never guessed from a folder
