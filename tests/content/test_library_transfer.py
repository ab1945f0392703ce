"""Import and export through the browser: zip in memory, all-or-nothing, hostile archives refused."""

from __future__ import annotations

import io
import zipfile

import pytest

FAQ = "---\ntitle: 运费谁出？\ntype: faq\ncategory: 售后\nsummary: 质量问题我们出。\n---\n正文\n"


def make_zip(members: dict[str, bytes | str], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def upload(client, data: bytes, name: str = "lib.zip"):
    return client.post("/library/import", data={"files": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


@pytest.fixture
def admin(as_role):
    return as_role("admin")


def test_zip_import_then_reimport_is_a_noop(admin):
    data = make_zip({"content/faq/shipping-fee.md": FAQ})
    first = upload(admin, data).get_data(as_text=True)
    assert "新建 1" in first
    assert "未变 1" in upload(admin, data).get_data(as_text=True)
    assert "运费谁出" in admin.get("/items/shipping-fee").get_data(as_text=True)


def test_single_md_upload(admin):
    resp = upload(admin, FAQ.encode(), "shipping-fee.md")
    assert resp.status_code == 200 and "新建 1" in resp.get_data(as_text=True)


@pytest.mark.parametrize("name", ["../../evil.md", "/etc/evil.md", "..\\..\\evil.md", "C:/evil.md"])
def test_traversal_member_names_are_refused_and_nothing_imported(admin, name):
    resp = upload(admin, make_zip({name: FAQ, "content/faq/good-one.md": FAQ.replace("运费", "包邮")}))
    assert resp.status_code == 400 and "未做任何更改" in resp.get_data(as_text=True)
    assert admin.get("/items/good-one").status_code == 404


def test_zip_bomb_and_junk_are_refused(admin):
    bomb = make_zip({"content/faq/bomb.md": "---\n" + "a" * 3_000_000})
    resp = upload(admin, bomb)
    assert resp.status_code == 400 and ("过大" in resp.get_data(as_text=True) or "压缩" in resp.get_data(as_text=True))
    junk = upload(admin, b"not a zip at all", "x.zip")
    assert junk.status_code == 400 and "不是有效的 zip" in junk.get_data(as_text=True)


def test_malformed_member_names_file_and_line(admin):
    resp = upload(admin, make_zip({"content/faq/broken.md": "---\ntitle: [x\n---\n"}))
    assert resp.status_code == 400 and "broken.md:" in resp.get_data(as_text=True)


def test_oversized_upload_is_a_clear_413(app, admin):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    resp = upload(admin, b"x" * 4096)
    assert resp.status_code == 413 and "过大" in resp.get_data(as_text=True)


def test_only_admins_import_and_trainers_export(library_app, make_user):
    from tests_support import login

    clients = {}
    for role in ("trainer", "agent"):
        with library_app.app_context():
            from kbsite.auth import service

            service.create_user(role + "1", role, "correct-horse-battery")
        clients[role] = library_app.test_client()
        login(clients[role], role + "1")
    trainer = clients["trainer"]
    assert upload(trainer, make_zip({"a/x-y.md": FAQ})).status_code == 403
    resp = trainer.get("/library/export.zip")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(resp.data)).namelist()
    assert "content/faq/size-exchange.md" in names and "scripts_lib/forbidden-phrases.md" in names
    assert clients["agent"].get("/library/export.zip").status_code == 403
