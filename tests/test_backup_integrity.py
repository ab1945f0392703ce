"""Restore verifies a checksum per table, every enum-like value and every foreign key,
refusing a tampered backup in plain words and writing nothing."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from test_backup import _backup_bytes, _restore, _snapshot
from tests_support import PASSWORD, build_app

from kbsite.errors import Invalid


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, body in members.items():
            z.writestr(name, body)
    return out.getvalue()


def _tamper(data: bytes, table: str, edit, *, fix_checksum: bool) -> bytes:
    members = _members(data)
    name = f"tables/{table}.jsonl"
    rows = [json.loads(line) for line in members[name].splitlines()]
    edit(rows)
    members[name] = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)
    if fix_checksum:
        manifest = json.loads(members["manifest.json"])
        manifest["checksums"][table] = "sha256:" + hashlib.sha256(members[name]).hexdigest()
        members["manifest.json"] = json.dumps(manifest).encode()
    return _zip(members)


def _set(column, value, row=0):
    def edit(rows):
        rows[row][column] = value
    return edit


@pytest.fixture
def backup_data(library_app):
    with library_app.app_context():
        from kbsite.auth import service

        service.create_user("trainer1", "trainer", PASSWORD)
    return _backup_bytes(library_app)


def test_every_table_has_a_checksum(backup_data):
    manifest = json.loads(_members(backup_data)["manifest.json"])
    assert manifest["version"] == 2
    assert set(manifest["checksums"]) == set(manifest["tables"])
    assert all(v.startswith("sha256:") for v in manifest["checksums"].values())


@pytest.mark.parametrize(("table", "edit", "fix", "message"), [
    ("users", _set("username", "mallory"), False, "users 表的校验和不符"),
    ("users", _set("role", "superuser"), True, "role 的值 'superuser' 不是允许的取值"),
    ("items", _set("type", "virus"), True, "type 的值 'virus' 不是允许的取值"),
    ("revisions", _set("state", "hacked"), True, "state 的值 'hacked' 不是允许的取值"),
    ("revisions", _set("item_id", 999_999), True, "revisions 表的数据引用了不存在的记录"),
    ("items", _set("published_revision_id", 999_999), True, "items 表的数据引用了不存在的记录"),
])
def test_a_tampered_backup_is_refused_in_plain_words_and_writes_nothing(backup_data, tmp_path, table,
                                                                        edit, fix, message):
    data = _tamper(backup_data, table, edit, fix_checksum=fix)
    target = build_app(tmp_path / "restored")
    empty = _snapshot(target)
    with pytest.raises(Invalid, match=message):
        _restore(target, data)
    assert _snapshot(target) == empty
    target.extensions["kbsite.db"].engine.dispose()


def test_a_version_1_backup_without_checksums_still_restores(backup_data, tmp_path):
    members = _members(backup_data)
    manifest = json.loads(members["manifest.json"])
    manifest["version"] = 1
    del manifest["checksums"]
    members["manifest.json"] = json.dumps(manifest).encode()
    target = build_app(tmp_path / "restored")
    assert _restore(target, _zip(members)).rows["items"] == 198
    target.extensions["kbsite.db"].engine.dispose()


def test_the_cli_reports_a_tampered_backup_without_a_traceback(backup_data, tmp_path):
    path = tmp_path / "bad.zip"
    path.write_bytes(_tamper(backup_data, "users", _set("username", "mallory"), fix_checksum=False))
    target = build_app(tmp_path / "restored")
    result = target.test_cli_runner().invoke(args=["restore", str(path)])
    assert result.exit_code == 1 and "校验和不符" in result.output and "Traceback" not in result.output
    target.extensions["kbsite.db"].engine.dispose()
