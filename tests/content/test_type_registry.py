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
