"""Markdown from other systems: what is missing is derived, and every derivation is reported."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from kbsite import files
from kbsite.files.foreign import Lenient, SlugPool, first_paragraph


def reader(**kw) -> Lenient:
    return Lenient(today=date(2026, 12, 3), **kw)


def test_a_file_with_no_front_matter_takes_title_summary_slug_and_date():
    lenient = reader()
    item = lenient("# 退货政策\n\n签收后七天内可申请**无理由**退货，[详见](http://x)。运费买家承担。\n\n## 细则\n正文\n".encode(),
                   "退货政策.md", "/srv/in/policies/退货政策.md")
    assert (item.type, item.title, item.slug) == ("policy", "退货政策", "tui-huo-zheng-ce")
    assert item.meta == {"summary": "签收后七天内可申请无理由退货，详见。运费买家承担。", "effective_from": "2026-12-03"}
    assert item.body.startswith("签收后") and "# 退货政策" not in item.body
    assert lenient.derived["/srv/in/policies/退货政策.md"] == [
        "标题取自第一个标题行：「退货政策」", "类型未写，按文件夹「policies」定为政策", "分类未写，设为「未分类」",
        "简答取自正文第一段：「签收后七天内可申请无理由退货，详见。运费买家承担。」",
        "政策未写生效日期，设为导入当天 2026-12-03", "标识（slug）按标题拼音生成：tui-huo-zheng-ce",
    ]


def test_a_file_with_only_a_title_and_a_default_type():
    lenient = reader(default_type="faq")
    item = lenient("---\ntitle: 发票怎么开？\n---\n下单后在订单页申请电子发票。\n".encode(), "fapiao.md", "fapiao.md")
    assert (item.type, item.slug, item.category) == ("faq", "fapiao", "未分类")
    assert item.meta["summary"] == "下单后在订单页申请电子发票。"
    assert "类型未写，按所选默认类型定为常见问题" in lenient.derived["fapiao.md"]
    assert not any("标识" in n for n in lenient.derived["fapiao.md"])  # an ASCII file name is the slug


def test_no_heading_means_the_file_name_is_the_title_and_an_empty_body_uses_the_title():
    lenient = reader(default_type="case")
    item = lenient(b"", "\u6295\u8bc9\u5904\u7406.md", "投诉处理.md")
    assert (item.title, item.slug, item.meta["summary"]) == ("投诉处理", "tou-su-chu-li", "投诉处理")
    assert "标题取自文件名：「投诉处理」" in lenient.derived["投诉处理.md"]


def test_chinese_file_names_give_unique_pinyin_slugs_and_reimports_keep_theirs():
    lenient = reader(default_type="faq", pool=SlugPool({"fa-huo": ("faq", "发货"), "yun-fei": ("case", "运费")}))
    same = lenient("# 发货\n\n48小时内。\n".encode(), "发货.md", "a/发货.md")
    other = lenient("# 运费\n\n包邮。\n".encode(), "运费.md", "a/运费.md")
    twin = lenient("# 运费\n\n满99包邮。\n".encode(), "运费2.md", "b/运费2.md")
    assert (same.slug, other.slug, twin.slug) == ("fa-huo", "yun-fei-2", "yun-fei-3")


def test_a_file_that_follows_the_format_derives_nothing():
    lenient = reader()
    text = "---\ntitle: 运费\ntype: faq\ncategory: 售后\nsummary: 我们出\n---\n正文\n"
    assert lenient(text.encode(), "yun-fei.md", "yun-fei.md").slug == "yun-fei" and lenient.derived == {}


@pytest.mark.parametrize(("text", "message"), [
    ("正文\n", "无法判断条目类型"),
    ("---\ntitle: x\ntype: faq\nsumary: 拼错\n---\n正文\n", "未知字段“sumary”"),
    ("---\ntitle: [未闭合\n---\n", "YAML 格式错误"),
    ("---\ntitle: x\ntype: policy\neffective_from: 明天\n---\n正文\n", "effective_from 必须是有效日期"),
])
def test_what_cannot_be_derived_is_still_an_error_naming_the_file(text, message):
    with pytest.raises(files.FileError, match=message) as exc:
        reader()(text.encode(), "x.md", "in/x.md")
    assert exc.value.path == "in/x.md"


def test_first_paragraph_skips_headings_code_and_lists_markers_and_trims_at_a_sentence():
    assert first_paragraph("## 标题\n\n```\ncode\n```\n\n- 第一点\n- 第二点\n") == "第一点第二点"
    long = "第一句很长" * 20 + "。" + "第二句" * 30 + "。"
    assert first_paragraph(long) == "第一句很长" * 20 + "。"
    assert first_paragraph("字" * 300).endswith("…") and len(first_paragraph("字" * 300)) == 150


def test_cli_reports_every_derivation_per_file_and_notes_name_the_file_not_the_path(app, tmp_path):
    folder = tmp_path / "导出" / "policies"
    folder.mkdir(parents=True)
    (folder / "退货政策.md").write_text("# 退货政策\n\n七天无理由。\n", encoding="utf-8")
    (tmp_path / "导出" / "杂项.md").write_text("没有标题。\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(tmp_path / "导出"), "--type", "faq"])
    assert result.exit_code == 0, result.output
    assert "退货政策.md：自动补全了 6 项" in result.output and "政策未写生效日期，设为导入当天" in result.output
    assert "杂项.md：自动补全了 5 项" in result.output and "标识（slug）按标题拼音生成：za-xiang" in result.output
    from kbsite.content import service

    with app.app_context():
        rev = service.get_item("tui-huo-zheng-ce").latest
        assert rev.message == "从文件「退货政策.md」导入" and str(tmp_path) not in rev.message
        assert rev.effective_from == service.today().isoformat()


def test_cli_without_a_type_refuses_an_untyped_file_and_imports_nothing(app, tmp_path):
    (tmp_path / "x.md").write_text("# 标题\n\n正文。\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(tmp_path / "x.md")])
    assert result.exit_code == 1 and "无法判断条目类型" in result.output


def test_browser_import_reports_derivations_by_file_name(app, as_role):
    admin = as_role("admin")
    resp = admin.post("/library/import", content_type="multipart/form-data", data={
        "default_type": "faq", "files": [(io.BytesIO("# 发票\n\n订单页申请。\n".encode()), "发票.md")]})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "新建 1" in page and "自动补全的内容" in page
    assert "发票.md" in page and "标识（slug）按标题拼音生成：fa-piao" in page


def test_old_revision_notes_with_server_paths_show_only_the_file_name(app, as_role):
    from kbsite.content.service import Draft, create_item
    from kbsite.content.transfer import revision_note
    from kbsite.db import write_session

    assert revision_note("导入 /srv/kb/content/faq/运费.md") == "从文件「运费.md」导入"
    assert revision_note("改了错别字") == "改了错别字"
    trainer = as_role("trainer")
    with app.app_context():
        rev = create_item("yun-fei", "faq", Draft("运费", "售后", [], "正文", {"summary": "我们出"}), trainer.user)
        with write_session() as sess:
            sess.get(type(rev), rev.id).message = "导入 /home/ops/instance/content/faq/yun-fei.md"
    page = trainer.get("/items/yun-fei/history").get_data(as_text=True)
    assert "从文件「yun-fei.md」导入" in page and "/home/ops" not in page


def test_editor_derives_a_pinyin_slug_when_left_empty(app, as_role):
    trainer = as_role("trainer")
    form = {"title": "七天无理由退货", "category": "售后", "summary": "七天内可退", "body": "正文", "slug": ""}
    assert "留空即可" in trainer.get("/items/new?type=faq").get_data(as_text=True)
    resp = trainer.post("/items/new?type=faq", data={**form, "type": "faq"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/items/qi-tian-wu-li-you-tui-huo")
    again = trainer.post("/items/new?type=faq", data={**form, "type": "faq"})
    assert again.headers["Location"].endswith("/items/qi-tian-wu-li-you-tui-huo-2")


def test_whole_starter_library_still_imports_strictly_without_derivations(tmp_path):
    from kbsite.config import PROJECT_ROOT

    lenient = reader()
    items = files.collect([Path(PROJECT_ROOT) / "content", Path(PROJECT_ROOT) / "scripts_lib"], parse=lenient)
    assert len(items) > 150 and lenient.derived == {}
