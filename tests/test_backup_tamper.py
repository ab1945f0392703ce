"""Tampered backups: checksums, enum values and foreign keys are verified before anything is written."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from test_backup import _backup_bytes, _busy_day, _restore, _snapshot
from tests_support import build_app

from kbsite.errors import Invalid


@pytest.fixture
def data(library_app):
    _busy_day(library_app)
    return _backup_bytes(library_app)


@pytest.fixture
def target(tmp_path):
    app = build_app(tmp_path / "restored")
    yield app
    app.extensions["kbsite.db"].engine.dispose()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _zip(members: dict[str, bytes], *, reseal: bool) -> bytes:
    """Rebuild the zip; ``reseal`` recomputes the checksums as a careful forger would."""
    if reseal:
        manifest = json.loads(members["manifest.json"])
        manifest["checksums"] = {t: hashlib.sha256(members[f"tables/{t}.jsonl"]).hexdigest()
                                 for t in manifest["checksums"]}
        members["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, body in members.items():
            z.writestr(name, body)
    return out.getvalue()


def _edit_rows(members: dict[str, bytes], table: str, edit) -> None:
    rows = [json.loads(line) for line in members[f"tables/{table}.jsonl"].splitlines()]
    edit(rows)
    members[f"tables/{table}.jsonl"] = b"".join(
        json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)


def _refused(target, data: bytes, message: str) -> None:
    empty = _snapshot(target)
    with pytest.raises(Invalid, match=message):
        _restore(target, data)
    assert _snapshot(target) == empty  # nothing written


def test_the_manifest_carries_a_checksum_per_table_and_the_local_time(data):
    members = _members(data)
    manifest = json.loads(members["manifest.json"])
    assert manifest["version"] == 2 and set(manifest["checksums"]) == set(manifest["tables"])
    for table, digest in manifest["checksums"].items():
        assert hashlib.sha256(members[f"tables/{table}.jsonl"]).hexdigest() == digest
    assert manifest["created_local"].endswith("（北京时间）") and manifest["time_zone"] == "Asia/Shanghai"


def test_a_changed_row_fails_its_checksum(data, target):
    members = _members(data)
    members["tables/revisions.jsonl"] = members["tables/revisions.jsonl"].replace("退".encode(), "换".encode(), 1)
    _refused(target, _zip(members, reseal=False), "revisions 表的校验和与清单不符")


def test_a_manifest_without_checksums_is_refused(data, target):
    members = _members(data)
    manifest = json.loads(members["manifest.json"])
    del manifest["checksums"]
    members["manifest.json"] = json.dumps(manifest).encode()
    _refused(target, _zip(members, reseal=False), "缺少各数据表的校验和")


def test_an_unknown_role_is_refused_even_with_matching_checksums(data, target):
    members = _members(data)
    _edit_rows(members, "users", lambda rows: rows[0].update(role="superuser"))
    _refused(target, _zip(members, reseal=True), "users 表第 1 行的 role 是“superuser”")


def test_an_unknown_revision_state_is_refused(data, target):
    members = _members(data)
    _edit_rows(members, "revisions", lambda rows: rows[-1].update(state="live"))
    _refused(target, _zip(members, reseal=True), "revisions 表第 .* 行的 state")


def test_a_dangling_foreign_key_is_refused(data, target):
    members = _members(data)
    _edit_rows(members, "revisions", lambda rows: rows[0].update(item_id=999_999))
    _refused(target, _zip(members, reseal=True), "revisions 表的 item_id 指向 items 表中不存在的记录（999999")


def test_a_row_the_database_rejects_is_reported_in_plain_words(data, target):
    members = _members(data)
    _edit_rows(members, "users", lambda rows: rows.append({**rows[0], "id": 999}))
    manifest = json.loads(members["manifest.json"])
    manifest["tables"]["users"] += 1
    members["manifest.json"] = json.dumps(manifest).encode()
    _refused(target, _zip(members, reseal=True), "写入数据库时出错，已撤销全部写入")


def test_a_version_1_backup_without_checksums_still_restores(data, target):
    members = _members(data)
    manifest = json.loads(members["manifest.json"])
    manifest["version"] = 1
    del manifest["checksums"]
    members["manifest.json"] = json.dumps(manifest).encode()
    assert _restore(target, _zip(members, reseal=False)).rows["items"] == 198


def test_the_restore_command_says_what_is_wrong_without_a_traceback(data, target, tmp_path):
    members = _members(data)
    members["tables/users.jsonl"] += b" "
    path = tmp_path / "tampered.zip"
    path.write_bytes(_zip(members, reseal=False))
    result = target.test_cli_runner().invoke(args=["restore", str(path)])
    assert result.exit_code == 1
    assert "users 表的校验和与清单不符，未恢复任何数据" in result.output and "Traceback" not in result.output
