"""Images with entries and templates: validation of hostile files, upload through the editor, safe
serving, revision history, the item API, export/import and backup/restore."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from PIL import Image as PILImage
from tests_support import build_app, login, publish

from kbsite.content import images
from kbsite.errors import Invalid


def picture(fmt: str = "PNG", size=(40, 30), colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buf, fmt)
    return buf.getvalue()


def _png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims huge dimensions (a decompression bomb's first bytes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + b"\x00" * 64)


@pytest.mark.parametrize("fmt,mime", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
def test_the_three_types_pass(fmt, mime):
    ok = images.check(picture(fmt))
    assert ok.mime == mime and (ok.width, ok.height) == (40, 30) and re.fullmatch(r"[0-9a-f]{64}", ok.sha256)


HOSTILE = {
    "svg with script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "svg behind xml prolog": b'<?xml version="1.0"?><svg onload="alert(1)"/>',
    "html": b"<!doctype html><script>alert(document.cookie)</script>",
    "gif": b"GIF89a" + b"\x00" * 50,
    "empty": b"",
    "png magic then garbage": b"\x89PNG\r\n\x1a\n" + b"<script>alert(1)</script>" * 10,
    "truncated png": picture("PNG", (300, 300))[:200],
    "jpeg magic then html": b"\xff\xd8\xff\xe0<html><script>alert(1)</script>",
    "riff but not webp": b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 40,
    "decompression bomb header": _png_header_claiming(60000, 60000),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files_are_refused_in_chinese(name):
    with pytest.raises(Invalid) as exc:
        images.check(HOSTILE[name], "x.png")
    assert re.search(r"[\u4e00-\u9fff]", exc.value.message)


def test_size_and_dimension_caps():
    with pytest.raises(Invalid, match="过大"):
        images.check(b"\x89PNG\r\n\x1a\n" + b"\x00" * images.MAX_BYTES)
    with pytest.raises(Invalid, match="尺寸"):
        images.check(picture("PNG", (images.MAX_SIDE + 1, 2)))


def test_safe_names_keep_the_real_type():
    assert images.safe_name("../../etc/passwd.png", "png") == "passwd.png"
    assert images.safe_name("C:\\x\\尺码表 (新).JPG", "webp") == "尺码表-新.webp"
    assert images.safe_name('"><script>.svg', "png") == "script.png"
    assert images.safe_name("", "jpg") == "image.jpg"


@pytest.fixture
def as_role(library_app):
    """Factory: a client on the starter library signed in as a new user of ``role``."""
    from kbsite.auth import service

    made = []

    def make(role: str):
        name = f"{role}{len(made)}"
        with library_app.app_context():
            service.create_user(name, role, "correct-horse-battery")
        client = library_app.test_client()
        assert login(client, name).status_code == 302
        made.append(name)
        return client

    return make


@pytest.fixture
def entry(library_app):
    publish(library_app, "zz-size-chart", "template", "尺码推荐", "{{客户称呼}}您好，尺码表见图。",
            placeholders=["客户称呼"])
    return "zz-size-chart"


def _edit(client, slug, data, files=()):
    page = client.get(f"/items/{slug}/edit").get_data(as_text=True)
    base = re.search(r'name="base" value="(\d+)"', page).group(1)
    form = {"title": "尺码推荐", "category": "测试/组合回复", "tags": "", "body": "{{客户称呼}}您好，尺码表见图。",
            "base": base, "message": "加图", **data}
    form["image"] = [(io.BytesIO(b), n) for b, n in files]
    return client.post(f"/items/{slug}/edit", data=form, content_type="multipart/form-data")


def test_upload_through_the_editor_then_serve_safely(as_role, entry, library_app):
    trainer = as_role("trainer")
    resp = _edit(trainer, entry, {}, [(picture("PNG"), "尺码表.png"), (picture("JPEG"), "退货地址卡.png")])
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    with library_app.app_context():
        from kbsite.content import service

        rev = service.get_item(entry).latest
        refs = rev.meta["images"]
    assert [r["name"] for r in refs] == ["尺码表.png", "退货地址卡.jpg"]  # named by the real type

    agent = as_role("agent")
    got = agent.get(f"/images/{refs[1]['sha256']}/x.jpg")
    assert got.status_code == 200 and got.data == picture("JPEG")
    assert got.headers["Content-Type"] == "image/jpeg"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"].startswith("inline;")
    assert "sandbox" in got.headers["Content-Security-Policy"]
    assert "default-src 'none'" in got.headers["Content-Security-Policy"]
    assert "immutable" in got.headers["Cache-Control"] and refs[1]["sha256"] in got.headers["ETag"]
    again = agent.get(f"/images/{refs[1]['sha256']}/x.jpg", headers={"If-None-Match": got.headers["ETag"]})
    assert again.status_code == 304
    odd = agent.get(f"/images/{refs[0]['sha256']}/%22%3E%3Cscript%3E.html")
    assert 'filename="image.png"' in odd.headers["Content-Disposition"] and "<" not in odd.headers["Content-Disposition"]
    assert agent.get(f"/api/templates/{entry}").get_json()["images"] == []  # a draft's images stay unseen
    assert agent.get("/images/" + "0" * 64 + "/x.png").status_code == 404
    assert agent.get("/images/not-a-hash/x.png").status_code == 404
    assert library_app.test_client().get(f"/images/{refs[0]['sha256']}/x.png").status_code in (302, 401)


def test_a_hostile_upload_is_refused_and_the_text_kept(as_role, entry):
    trainer = as_role("trainer")
    resp = _edit(trainer, entry, {"body": "我改过的正文{{客户称呼}}"}, [(HOSTILE["svg with script"], "a.png")])
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "不是 PNG、JPEG 或 WebP" in page and "我改过的正文" in page


def test_images_live_in_the_revision_history(as_role, entry, library_app):
    trainer = as_role("trainer")
    _edit(trainer, entry, {}, [(picture("PNG"), "尺码表.png")])
    with library_app.app_context():
        from kbsite.auth.models import User
        from kbsite.content import service
        from kbsite.db import session

        with_image = service.get_item(entry).latest
        number, sha = with_image.number, with_image.meta["images"][0]["sha256"]
    _edit(trainer, entry, {})  # the box unticked: the image is dropped in a new revision
    with library_app.app_context():
        latest = service.get_item(entry).latest
        assert "images" not in latest.meta and latest.number == number + 1
        author = session().get(User, latest.author_id)
        service.revert(entry, number, latest.number, author)
    with library_app.app_context():
        assert service.get_item(entry).latest.meta["images"][0]["sha256"] == sha
    keep = _edit(trainer, entry, {"keep_image": sha})
    assert keep.status_code == 302


def test_item_api_lists_images_with_urls(as_role, library_app):
    with library_app.app_context():
        ref = images.store(picture("WEBP"), "操作截图.webp")
    publish(library_app, "zz-howto", "faq", "如何申请退款", "步骤……", summary="订单页点申请退款。", images=[ref])
    publish(library_app, "zz-card", "template", "退货地址卡", "{{客户称呼}}您好，地址见图。",
            placeholders=["客户称呼"], images=[ref])
    agent = as_role("agent")
    assert [i["name"] for i in agent.get("/api/templates/zz-card").get_json()["images"]] == ["操作截图.webp"]
    data = agent.get("/api/items/zz-howto").get_json()
    assert data["images"] == [{"name": "操作截图.webp", "sha256": ref["sha256"], "type": "image/webp",
                               "width": 40, "height": 30, "bytes": len(picture("WEBP")),
                               "url": f"/images/{ref['sha256']}/%E6%93%8D%E4%BD%9C%E6%88%AA%E5%9B%BE.webp"}]


def test_export_then_import_carries_the_image_files(library_app, tmp_path):
    from kbsite import files
    from kbsite.content import image_files, service

    with library_app.app_context():
        ref = images.store(picture("PNG"), "尺码表.png")
    publish(library_app, "zz-chart", "faq", "尺码表在哪", "正文", summary="见图。", images=[ref])
    out = tmp_path / "export"
    with library_app.app_context():
        items = [i for i in service.export_items() if i.slug == "zz-chart"]
        files.write_tree(items, out)
        assert image_files.export_files(items, out) == 1
    md = out / "content/faq/zz-chart.md"
    assert (out / "content/faq/zz-chart.images/尺码表.png").read_bytes() == picture("PNG")
    assert f"sha256: {ref['sha256']}" in md.read_text()

    fresh = build_app(tmp_path / "fresh")
    with fresh.app_context():
        parsed = files.collect([out])
        assert image_files.import_files(parsed) == 1
        service.import_items(parsed)
        assert images.get(ref["sha256"]).data == picture("PNG")
    (out / "content/faq/zz-chart.images/尺码表.png").write_bytes(picture("PNG", colour=(0, 0, 0)))
    other = build_app(tmp_path / "other")
    with other.app_context(), pytest.raises(Invalid, match="sha256"):
        image_files.import_files(files.collect([out]))
    fresh.extensions["kbsite.db"].engine.dispose()
    other.extensions["kbsite.db"].engine.dispose()


def test_front_matter_refuses_bad_image_entries():
    from kbsite import files

    base = "---\ntitle: t\ntype: faq\ncategory: 售后\nsummary: s\nimages:\n  - name: {name}\n    sha256: {sha}\n---\n正文\n"
    good = "a" * 64
    files.parse_item(base.format(name="尺码表.png", sha=good).encode(), "zz-x.md")
    for name, sha in (("../x.png", good), ("x.svg", good), ("x.png", "abc")):
        with pytest.raises(files.FileError, match="图片"):
            files.parse_item(base.format(name=name, sha=sha).encode(), "zz-x.md")


def test_backup_and_restore_keep_images(library_app, tmp_path):
    from kbsite import backup

    with library_app.app_context():
        from kbsite.db import database

        ref = images.store(picture("JPEG"), "a.jpg")
        buf = io.BytesIO()
        backup.write_backup(database().engine, buf)
    target = build_app(tmp_path / "restored")
    with target.app_context():
        from kbsite.db import database

        report = backup.restore_backup(database().engine, io.BytesIO(buf.getvalue()))
        assert report.rows["images"] == 1
        assert images.get(ref["sha256"]).data == picture("JPEG")
    target.extensions["kbsite.db"].engine.dispose()


def _library_zip(members: dict[str, bytes]) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def _upload(app, data: bytes, name: str = "library.zip"):
    from kbsite.auth import service

    with app.app_context():
        from kbsite.auth.models import User
        from kbsite.db import session

        if session().query(User).filter_by(username="boss").first() is None:
            service.create_user("boss", "admin", "correct-horse-battery")
    client = app.test_client()
    assert login(client, "boss").status_code == 302
    return client.post("/library/import", data={"files": [(io.BytesIO(data), name)]},
                       content_type="multipart/form-data")


def test_browser_export_then_import_carries_the_image_files(as_role, library_app, tmp_path):
    import zipfile

    with library_app.app_context():
        ref = images.store(picture("PNG"), "尺码表.png")
    publish(library_app, "zz-chart", "faq", "尺码表在哪", "正文", summary="见图。", images=[ref])
    exported = as_role("trainer").get("/library/export.zip")
    assert exported.status_code == 200
    with zipfile.ZipFile(io.BytesIO(exported.data)) as archive:
        assert archive.read("content/faq/zz-chart.images/尺码表.png") == picture("PNG")  # as `kbsite export`
        only_chart = {n: archive.read(n) for n in archive.namelist() if "zz-chart" in n}

    fresh = build_app(tmp_path / "fresh")
    resp = _upload(fresh, _library_zip(only_chart))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    with fresh.app_context():
        from kbsite.content import service

        assert images.get(ref["sha256"]).data == picture("PNG")
        assert service.get_item("zz-chart").published.meta["images"] == [ref]
    fresh.extensions["kbsite.db"].engine.dispose()


@pytest.mark.parametrize(("change", "message"), [
    ({"content/faq/zz-chart.images/尺码表.png": picture("PNG", colour=(0, 0, 0))}, "sha256 不符"),
    ({"content/faq/zz-chart.images/尺码表.png": None}, "找不到图片文件"),
    ({"content/faq/zz-chart.images/尺码表.png": b"<svg onload=alert(1)>"}, "不是 PNG、JPEG 或 WebP"),
])
def test_browser_import_refuses_a_zip_with_bad_images_and_writes_nothing(tmp_path, change, message):
    from kbsite import files
    from kbsite.content import image_files

    ref = {"name": "尺码表.png", "sha256": images.check(picture("PNG")).sha256}
    item = files.ItemData(slug="zz-chart", type="faq", title="尺码表在哪", category="售后", body="正文",
                          meta={"summary": "见图。", "images": [ref]}, source="zz-chart.md")
    members = {"content/faq/zz-chart.md": files.dump_item(item).encode(),
               "content/faq/zz-chart.images/尺码表.png": picture("PNG")}
    members.update(change)
    fresh = build_app(tmp_path / "fresh")
    resp = _upload(fresh, _library_zip({k: v for k, v in members.items() if v is not None}))
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    with fresh.app_context():
        from kbsite.content import service
        from kbsite.errors import NotFound

        with pytest.raises(NotFound):
            service.get_item("zz-chart")
        assert image_files._known({ref["sha256"]}) == set()
    fresh.extensions["kbsite.db"].engine.dispose()


def test_single_markdown_upload_needs_images_already_on_the_site(tmp_path):
    from kbsite import files

    ref = {"name": "尺码表.png", "sha256": images.check(picture("PNG")).sha256}
    item = files.ItemData(slug="zz-chart", type="faq", title="尺码表在哪", category="售后", body="正文",
                          meta={"summary": "见图。", "images": [ref]}, source="zz-chart.md")
    fresh = build_app(tmp_path / "fresh")
    resp = _upload(fresh, files.dump_item(item).encode(), "zz-chart.md")
    assert resp.status_code == 400 and "打包成 zip 上传" in resp.get_data(as_text=True)
    with fresh.app_context():
        images.store(picture("PNG"), "尺码表.png")
    assert _upload(fresh, files.dump_item(item).encode(), "zz-chart.md").status_code == 200
    fresh.extensions["kbsite.db"].engine.dispose()
