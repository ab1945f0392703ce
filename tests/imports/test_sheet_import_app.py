"""Importing template sheets into the library: preview, confirm, all-or-nothing, CLI and export."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sheet_support import csv_bytes, xlsx
from sqlalchemy import func, select

GOOD = [["问候", "首次问候", "您好【客户称呼】，请问有什么可以帮您？", "问候"],
        ["物流延迟", "快递延误安抚", "亲，订单{订单号}因天气延误，已为您催促。", "物流、延误"]]


def counts(app) -> tuple[int, int]:
    from kbsite.content.models import Item, Revision
    from kbsite.db import session

    with app.app_context():
        return (session().scalar(select(func.count()).select_from(Item)),
                session().scalar(select(func.count()).select_from(Revision)))


def revision(app, slug: str):
    from kbsite.content import service

    with app.app_context():
        item = service.get_item(slug)
        rev = item.latest
        return {"state": rev.state, "body": rev.body, "message": rev.message, "category": rev.category,
                "published": item.published_revision_id is not None}


def preview(client, data: bytes, name: str = "话术.xlsx"):
    return client.post("/library/sheet/preview", data={"sheet": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def confirm_fields(page: str) -> dict:
    return {k: re.search(rf'name="{k}" value="([^"]*)"', page).group(1) for k in ("token", "digest")}


def test_trainer_previews_then_confirms_and_changes_go_to_review(app, as_role):
    trainer = as_role("trainer", "tina")
    resp = preview(trainer, xlsx(GOOD))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "导入预览：话术.xlsx" in page
    assert "新建 <strong>2</strong>" in page and "第 2 行" in page and "第 3 行" in page
    assert "占位符 【客户称呼】 → {{客户称呼}}" in page and "提交审核" in page
    assert counts(app) == (0, 0)  # the preview wrote nothing
    done = trainer.post("/library/sheet/confirm", data=confirm_fields(page))
    assert done.status_code == 200 and "导入完成" in done.get_data(as_text=True)
    rev = revision(app, "shou-ci-wen-hou")
    assert rev["state"] == "pending" and not rev["published"]
    assert rev["body"] == "您好{{客户称呼}}，请问有什么可以帮您？\n"
    assert rev["message"] == "从文件「话术.xlsx（第 2 行）」导入" and rev["category"] == "话术/问候"
    # the staged upload is gone once applied
    assert trainer.post("/library/sheet/confirm", data=confirm_fields(page)).status_code == 404


def test_admin_import_publishes_and_a_second_preview_shows_changed_and_unchanged(app, as_role):
    admin = as_role("admin", "root")
    page = preview(admin, xlsx(GOOD)).get_data(as_text=True)
    admin.post("/library/sheet/confirm", data=confirm_fields(page))
    assert revision(app, "kuai-di-yan-wu-an-fu")["state"] == "published"
    changed = [GOOD[0], ["物流延迟", "快递延误安抚", "亲，已为您催促快递。", ""], ["售后", "新的一条", "好的", ""]]
    page = preview(admin, csv_bytes(changed), "第二版.csv").get_data(as_text=True)
    assert re.search(r"新建 <strong>1</strong>.*修改 <strong>1</strong>.*不变 <strong>1</strong>", page, re.S)
    assert admin.post("/library/sheet/confirm", data=confirm_fields(page)).status_code == 200
    assert counts(app) == (3, 4)


def test_any_rejected_row_means_no_confirm_button_and_nothing_written(app, as_role):
    trainer = as_role("trainer")
    bad = GOOD + [["问候", "合计", "=1+2", ""], ["问候", "首次问候", "重复", ""], ["", "", "只有内容", ""]]
    page = preview(trainer, xlsx(bad)).get_data(as_text=True)
    assert "整个表格都不会导入" in page and "confirm-import" not in page
    assert "第 4 行「话术内容」是公式（=1+2）" in page
    assert "第 5 行的标题「首次问候」与第 2 行重复" in page and "第 6 行缺少必填内容：场景、标题" in page
    assert counts(app) == (0, 0)


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"garbage", "x.xlsx", "不是有效的 .xlsx 文件"), (b"x", "x.txt", "只能导入 .xlsx 或 .csv"),
])
def test_a_broken_file_is_a_clear_error_on_the_library_page(app, as_role, data, name, message):
    resp = preview(as_role("trainer"), data, name)
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_confirm_refuses_a_changed_library_a_forged_digest_and_another_users_upload(app, as_role):
    tina, tom = as_role("trainer", "tina"), as_role("trainer", "tom")
    page = preview(tina, xlsx(GOOD)).get_data(as_text=True)
    fields = confirm_fields(page)
    assert tom.post("/library/sheet/confirm", data=fields).status_code == 404
    assert tina.post("/library/sheet/confirm", data={**fields, "token": "../../etc"}).status_code == 404
    forged = tina.post("/library/sheet/confirm", data={**fields, "digest": "0" * 16})
    assert forged.status_code == 409 and "请核对新的预览" in forged.get_data(as_text=True)
    assert counts(app) == (0, 0)
    assert tina.post("/library/sheet/confirm", data=fields).status_code == 200


def test_agents_cannot_import_and_everyone_with_drafts_can_download_the_sheet(app, as_role):
    agent = as_role("agent")
    assert preview(agent, xlsx(GOOD)).status_code == 403
    admin = as_role("admin")
    page = preview(admin, xlsx(GOOD)).get_data(as_text=True)
    admin.post("/library/sheet/confirm", data=confirm_fields(page))
    assert agent.get("/library/templates.xlsx").status_code == 403
    resp = as_role("trainer").get("/library/templates.xlsx")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(resp.data), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:4] == ("场景", "标题", "话术内容", "标签")
    assert ("物流延迟", "快递延误安抚") in {r[:2] for r in rows[1:]}


def test_library_page_offers_sheet_import_to_trainers_and_the_xlsx_download(app, as_role):
    page = as_role("trainer").get("/library/").get_data(as_text=True)
    assert "从表格导入话术模板" in page and "/library/templates.xlsx" in page and "导入 Markdown" not in page


def test_cli_imports_xlsx_and_csv_all_or_nothing_and_exports_xlsx(app, tmp_path):
    runner = app.test_cli_runner()
    (tmp_path / "bad.xlsx").write_bytes(xlsx(GOOD + [["问候", "x", "=A1", ""]]))
    result = runner.invoke(args=["import", str(tmp_path / "bad.xlsx")])
    assert result.exit_code == 1 and "第 4 行「话术内容」是公式" in result.output
    assert counts(app) == (0, 0)
    (tmp_path / "good.csv").write_bytes(csv_bytes(GOOD, encoding="gbk"))
    result = runner.invoke(args=["import", str(tmp_path / "good.csv")])
    assert result.exit_code == 0, result.output
    assert "good.csv：新建 2，修改 0，不变 0，拒绝 0" in result.output and "{订单号} → {{订单号}}" in result.output
    result = runner.invoke(args=["export", "--xlsx", str(tmp_path / "out.xlsx")])
    assert result.exit_code == 0 and "已导出 2 条话术模板" in result.output
    again = runner.invoke(args=["import", str(tmp_path / "out.xlsx")])
    assert "新建 0，修改 0，不变 2，拒绝 0" in again.output and counts(app) == (2, 2)
