"""Whole-site backup and restore: every table round-trips, SQLite → SQLite and SQLite → PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from sqlalchemy import select, text
from tests_support import PASSWORD, build_app, login

from kbsite import backup
from kbsite.errors import Invalid


def _busy_day(app) -> None:
    """History, users, tokens, search log, copies and an audit trail beyond the imported library."""
    with app.app_context():
        from kbsite.auth import service as auth
        from kbsite.content import service
        from kbsite.search.log import log_search
        from kbsite.workspace import usage

        trainer = auth.create_user("trainer1", "trainer", PASSWORD, "李老师")
        agent = auth.create_user("agent1", "agent", PASSWORD)
        auth.create_token("agent1", "chat")
        item = service.get_item("exchange-size")
        draft = service.draft_of(item.latest)
        draft.body += "\n（已更新）"
        service.save_revision("exchange-size", draft, item.latest.number, trainer, "补充说明")
        log_search(agent, "衣服小了能换吗", 3)
        usage.record_copy(item.id, agent)


def _snapshot(app) -> dict[str, list[str]]:
    """Every row of every table, in backup form, sorted: equal snapshots mean equal databases."""
    with app.app_context():
        from kbsite.db import database

        with database().engine.connect() as conn:
            return {t.name: sorted(backup._encode_row(t, r._mapping) for r in conn.execute(select(t)))
                    for t in backup.tables()}


def _backup_bytes(app) -> bytes:
    buf = io.BytesIO()
    with app.app_context():
        from kbsite.db import database

        backup.write_backup(database().engine, buf)
    return buf.getvalue()


def _restore(app, data: bytes):
    with app.app_context():
        from kbsite.db import database

        return backup.restore_backup(database().engine, io.BytesIO(data))


@pytest.fixture
def source(library_app):
    _busy_day(library_app)
    return library_app


def test_backup_then_restore_reproduces_every_row_and_the_site_works(source, tmp_path):
    data = _backup_bytes(source)
    target = build_app(tmp_path / "restored")
    report = _restore(target, data)
    assert report.rows["items"] == 198 and report.rows["users"] == 2 and report.total > 400
    assert _snapshot(target) == _snapshot(source)
    client = target.test_client()
    assert login(client, "agent1").status_code == 302
    with target.app_context():
        from kbsite.search.sync import service

        service().catch_up(force=True)
    found = client.get("/api/search?q=衣服小了能换吗").get_json()
    assert "size-exchange" in [r["slug"] for r in found["results"]]
    assert "（已更新）" not in client.get("/items/exchange-size").get_data(as_text=True)  # still a draft
    # new rows get fresh ids after a restore
    with target.app_context():
        from kbsite.auth import service as auth

        assert auth.create_user("agent2", "agent", PASSWORD).id == 3
    target.extensions["kbsite.db"].engine.dispose()


@pytest.mark.postgres
def test_a_sqlite_backup_restores_into_postgresql(source, tmp_path, pg_url):
    target = build_app(tmp_path / "pg", SQLALCHEMY_URL=pg_url)
    _restore(target, _backup_bytes(source))
    assert _snapshot(target) == _snapshot(source)
    with target.app_context():
        from kbsite.auth import service as auth
        from kbsite.content import service

        assert auth.create_user("agent2", "agent", PASSWORD).id == 3  # sequences moved past the ids
        item = service.get_item("exchange-size")
        assert item.published is not None and item.latest.number == item.published.number + 1
    target.extensions["kbsite.db"].engine.dispose()


def test_restore_refuses_a_database_that_already_holds_data(source):
    data = _backup_bytes(source)
    before = _snapshot(source)
    with pytest.raises(Invalid, match="只能恢复到空数据库"):
        _restore(source, data)
    assert _snapshot(source) == before


def _rewrite(data: bytes, change) -> bytes:
    members = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        for name in zin.namelist():
            members[name] = zin.read(name)
    change(members)
    _reseal(members)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for name, body in members.items():
            zout.writestr(name, body)
    return out.getvalue()


def _reseal(members: dict[str, bytes]) -> None:
    """Recompute the checksums: these tests are about content that is wrong yet consistent."""
    try:
        manifest = json.loads(members["manifest.json"])
    except (KeyError, ValueError):
        return
    if isinstance(manifest, dict) and isinstance(manifest.get("checksums"), dict):
        manifest["checksums"] = {n: hashlib.sha256(members.get(f"tables/{n}.jsonl", b"")).hexdigest()
                                 for n in manifest["checksums"]}
        members["manifest.json"] = json.dumps(manifest).encode()


def _manifest_edit(**fields):
    def change(members):
        manifest = json.loads(members["manifest.json"])
        manifest.update(fields)
        members["manifest.json"] = json.dumps(manifest).encode()
    return change


def _drop_last_revision_line(members):
    lines = members["tables/revisions.jsonl"].splitlines(keepends=True)
    members["tables/revisions.jsonl"] = b"".join(lines[:-1])


def _break_a_line(members):
    members["tables/users.jsonl"] = members["tables/users.jsonl"] + b'{"id": 99, "nope": 1}\n'


@pytest.mark.parametrize(("change", "message"), [
    (lambda m: m.pop("manifest.json"), "缺少 manifest.json"),
    (lambda m: m.update({"manifest.json": b"{not json"}), "不是有效的 JSON"),
    (_manifest_edit(format="other"), "不是 kbsite 备份"),
    (_manifest_edit(version=99), "不支持的备份格式版本"),
    (_manifest_edit(schema_revision="0001"), "数据库版本"),
    (lambda m: m.pop("tables/items.jsonl"), "缺少 tables/items.jsonl"),
    (_drop_last_revision_line, "备份文件不完整：revisions"),
    (_break_a_line, "tables/users.jsonl 第 3 行无效"),
])
def test_a_damaged_backup_is_refused_and_changes_nothing(source, tmp_path, change, message):
    data = _rewrite(_backup_bytes(source), change)
    target = build_app(tmp_path / "restored")
    empty = _snapshot(target)
    with pytest.raises(Invalid, match=message):
        _restore(target, data)
    assert _snapshot(target) == empty
    target.extensions["kbsite.db"].engine.dispose()


def test_not_a_zip_is_refused(app):
    with app.app_context(), pytest.raises(Invalid, match="不是有效的备份文件"):
        from kbsite.db import database

        backup.restore_backup(database().engine, io.BytesIO(b"PK\x03\x04 but not really"))


def test_a_migrated_database_records_its_schema_revision(tmp_path, monkeypatch):
    """`kbsite init-db` databases carry the Alembic revision, and a backup names it."""
    from kbsite import create_app

    home = tmp_path / "inst"
    monkeypatch.setenv("KBSITE_HOME", str(home))
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_URL": f"sqlite:///{home / 'kbsite.db'}",
                      "SEARCH_INDEX_DIR": str(home / "search-index")})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    dest = tmp_path / "site.zip"
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 0 and "已备份" in result.output
    manifest = json.loads(zipfile.ZipFile(dest).read("manifest.json"))
    with app.app_context():
        from kbsite.db import database

        with database().engine.connect() as conn:
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert manifest["schema_revision"] == head and head
    assert runner.invoke(args=["backup", str(dest)]).exit_code == 1  # never overwrites
    app.extensions["kbsite.db"].engine.dispose()


def test_cli_backup_and_restore_round_trip(source, tmp_path):
    dest = tmp_path / "site.zip"
    assert source.test_cli_runner().invoke(args=["backup", str(dest)]).exit_code == 0
    target = build_app(tmp_path / "restored")
    result = target.test_cli_runner().invoke(args=["restore", str(dest)])
    assert result.exit_code == 0, result.output
    assert "已恢复" in result.output and "搜索索引已重建：170 条" in result.output
    assert _snapshot(target) == _snapshot(source)
    again = target.test_cli_runner().invoke(args=["restore", str(dest)])
    assert again.exit_code == 1 and "只能恢复到空数据库" in again.output
    target.extensions["kbsite.db"].engine.dispose()


def _signed_in(app, username: str, role: str):
    with app.app_context():
        from kbsite.auth import service as auth

        auth.create_user(username, role, PASSWORD)
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def test_admins_download_a_backup_from_the_site_and_others_cannot(source):
    admin = _signed_in(source, "boss", "admin")
    page = admin.get("/admin/backup").get_data(as_text=True)
    assert "下载备份" in page and "kbsite restore" in page
    resp = admin.post("/admin/backup")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert "attachment; filename=kbsite-backup-" in resp.headers["Content-Disposition"]
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(resp.data)).read("manifest.json"))
    assert manifest["tables"]["items"] == 198 and manifest["tables"]["users"] == 3
    audit = admin.get("/admin/audit?action=site.backup").get_data(as_text=True)
    assert "下载全站备份" in audit
    for role in ("agent", "trainer"):
        other = _signed_in(source, f"other-{role}", role)
        assert other.get("/admin/backup").status_code == 403
        assert other.post("/admin/backup").status_code == 403
