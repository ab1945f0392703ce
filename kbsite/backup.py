"""Whole-site backup and restore: every table, as JSON lines in one zip file.

The Markdown export (``kbsite export``) carries the library's current text; a
backup carries everything else too: revision history, reviews, users and
tokens (hashed), training attempts, the search log and the audit log. Rows are
written table by table inside one read transaction, so the file is a
consistent snapshot, and in a database-neutral form, so a backup taken on
SQLite restores into PostgreSQL (the way to move a growing team onto a server).

Restore only goes into an empty database at the same schema revision, in one
transaction: it either loads every row or changes nothing. The manifest carries
a SHA-256 checksum per table; restore verifies it, every enum-like value and
every foreign key, and says what is wrong in plain words. The search index is
not in the file; it is rebuilt from the restored database afterwards.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import (
    JSON,
    Connection,
    Date,
    DateTime,
    Engine,
    LargeBinary,
    Table,
    func,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError

from kbsite import migrations, search
from kbsite.db import Base
from kbsite.errors import Invalid
from kbsite.models import load_all

FORMAT = "kbsite-backup"
FORMAT_VERSION = 2  # 2: a SHA-256 checksum per table in the manifest
READABLE_VERSIONS = (1, 2)
MANIFEST = "manifest.json"
MAX_MEMBER_BYTES = 2 * 1024**3
_BATCH = 1000

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class BackupReport:
    """What a backup or restore moved: rows per table."""

    schema_revision: str
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def tables() -> list[Table]:
    """Every kbsite table but the search outbox, parents before children.

    The outbox only tells running indexes what changed; a restore writes its own
    "everything changed" entry, so every node rebuilds from the restored rows.
    """
    load_all()
    return [t for t in Base.metadata.sorted_tables if t.name != "search_outbox"]


def schema_revision(conn: Connection) -> str:
    """The Alembic revision the database is at ('' when it was made without migrations)."""
    return migrations.current_revision(conn) or ""


# ---- writing ------------------------------------------------------------------


def write_backup(engine: Engine, dest: IO[bytes] | Path, progress: Progress | None = None) -> BackupReport:
    """Write every row of every table to ``dest`` as one consistent snapshot."""
    rows: dict[str, int] = {}
    checksums: dict[str, str] = {}
    with engine.connect() as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        revision = schema_revision(conn)
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for table in tables():
                digest = hashlib.sha256()
                with archive.open(f"tables/{table.name}.jsonl", "w", force_zip64=True) as member:
                    count = 0
                    for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                        line = _encode_row(table, row._mapping).encode("utf-8") + b"\n"
                        member.write(line)
                        digest.update(line)
                        count += 1
                rows[table.name] = count
                checksums[table.name] = f"sha256:{digest.hexdigest()}"
                if progress:
                    progress(table.name, count)
            manifest = {"format": FORMAT, "version": FORMAT_VERSION, "schema_revision": revision,
                        "created_at": datetime.now(UTC).isoformat(), "tables": rows,
                        "checksums": checksums}
            archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
    return BackupReport(revision, rows)


def _encode_row(table: Table, row) -> str:
    return json.dumps({c.name: _encode(c, row[c.name]) for c in table.columns},
                      ensure_ascii=False, separators=(",", ":"))


def _encode(column, value):
    if value is None or isinstance(column.type, JSON):
        return value
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


# ---- restoring ----------------------------------------------------------------


def restore_backup(engine: Engine, source: IO[bytes] | Path, progress: Progress | None = None) -> BackupReport:
    """Load a backup into an empty database at the same schema revision; all or nothing."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Invalid(f"不是有效的备份文件（zip）：{exc}") from None
    with archive:
        manifest = _manifest(archive)
        known = tables()
        expected = {t.name for t in known}
        if set(manifest["tables"]) != expected:
            raise Invalid("备份中的数据表与当前版本不一致："
                          f"多出 {sorted(set(manifest['tables']) - expected)}，缺少 {sorted(expected - set(manifest['tables']))}")
        rows: dict[str, int] = {}
        with engine.connect() as conn, conn.begin():
            revision = schema_revision(conn)
            if manifest["schema_revision"] != revision:
                raise Invalid(f"备份的数据库版本是 {manifest['schema_revision'] or '（未知）'}，"
                              f"当前数据库是 {revision or '（未初始化）'}；请先把两者升级到同一版本")
            _require_empty(conn, known)
            deferred: list[tuple[Table, dict]] = []
            for table in known:
                rows[table.name] = _load_table(conn, archive, table, manifest, deferred)
                if progress:
                    progress(table.name, rows[table.name])
            for table, row in deferred:  # foreign keys that point forward (items → revisions)
                pk = {c.name: row[c.name] for c in table.primary_key.columns}
                with _plain_integrity_errors(table):
                    conn.execute(table.update().filter_by(**pk).values(row))
            _verify_foreign_keys(conn, known)
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn, known)
            search.record_all_changed(conn)  # every node's index rebuilds from the restored rows
    return BackupReport(manifest["schema_revision"], rows)


def _load_table(conn: Connection, archive: zipfile.ZipFile, table: Table, manifest: dict,
                deferred: list[tuple[Table, dict]]) -> int:
    """Insert one table's rows after checking their values; verify count and checksum."""
    late = [c.name for c in table.columns if any(fk.use_alter for fk in c.foreign_keys)]
    digest = hashlib.sha256()
    count = 0
    for batch in _batches(_read_member(archive, table, digest)):
        count += len(batch)
        if late:
            deferred += [(table, r) for r in batch if any(r[n] is not None for n in late)]
            batch = [{**r, **dict.fromkeys(late)} for r in batch]
        with _plain_integrity_errors(table):
            conn.execute(table.insert(), batch)
    if count != manifest["tables"][table.name]:
        raise Invalid(f"备份文件不完整：{table.name} 应有 {manifest['tables'][table.name]} 行，实有 {count} 行")
    expected = manifest.get("checksums", {}).get(table.name)
    if manifest["version"] >= 2 and expected != f"sha256:{digest.hexdigest()}":
        raise Invalid(f"备份文件已损坏或被改动：{table.name} 表的校验和不符，未恢复任何数据")
    return count


def _verify_foreign_keys(conn: Connection, known: list[Table]) -> None:
    """Every reference points at a restored row, whether or not the database enforces it."""
    for table in known:
        for fk in table.foreign_keys:
            parent = fk.column.table.alias()
            target = parent.c[fk.column.name]
            dangling = conn.execute(
                select(func.count()).select_from(table.outerjoin(parent, fk.parent == target))
                .where(fk.parent.is_not(None), target.is_(None))
            ).scalar()
            if dangling:
                raise Invalid(f"备份中 {table.name} 表的数据引用了不存在的记录（{fk.parent.name}，{dangling} 行），"
                              "未恢复任何数据")


@contextlib.contextmanager
def _plain_integrity_errors(table: Table) -> Iterator[None]:
    """A broken foreign key or duplicate key in the file, said in words (the transaction rolls back)."""
    try:
        yield
    except IntegrityError:
        raise Invalid(f"备份中 {table.name} 表的数据引用了不存在的记录或与已有记录重复，"
                      "未恢复任何数据") from None


def _manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise Invalid(f"备份文件缺少 {MANIFEST}：这不是 kbsite 备份") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"{MANIFEST} 不是有效的 JSON：{exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Invalid("这不是 kbsite 备份文件")
    if manifest.get("version") not in READABLE_VERSIONS:
        raise Invalid(f"不支持的备份格式版本：{manifest.get('version')}")
    if manifest["version"] >= 2 and not isinstance(manifest.get("checksums"), dict):
        raise Invalid("备份清单缺少每张表的校验和")
    counts = manifest.get("tables")
    if not isinstance(counts, dict) or not all(type(n) is int and n >= 0 for n in counts.values()):
        raise Invalid("备份清单中的行数无效")
    if not isinstance(manifest.get("schema_revision"), str):
        raise Invalid("备份清单缺少数据库版本")
    return manifest


def _require_empty(conn: Connection, known: list[Table]) -> None:
    filled = [t.name for t in known if conn.execute(select(func.count()).select_from(t)).scalar()]
    if filled:
        raise Invalid("只能恢复到空数据库（先用 kbsite init-db 在新的实例目录或空库中建表）；"
                      f"当前已有数据的表：{', '.join(filled)}")


def _read_member(archive: zipfile.ZipFile, table: Table, digest) -> Iterator[dict]:
    name = f"tables/{table.name}.jsonl"
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise Invalid(f"备份文件缺少 {name}") from None
    if info.file_size > MAX_MEMBER_BYTES:
        raise Invalid(f"{name} 过大：{info.file_size:,} 字节")
    columns = {c.name: c for c in table.columns}
    choices = {n: allowed for (t, n), allowed in _choices().items() if t == table.name}
    with archive.open(info) as member:
        for lineno, line in enumerate(member, 1):
            digest.update(line)
            try:
                raw = json.loads(line.decode("utf-8"))
                if not isinstance(raw, dict) or set(raw) - set(columns):
                    raise ValueError("列与当前数据表不一致")
                for column, allowed in choices.items():
                    if raw.get(column) not in allowed:
                        raise ValueError(f"{column} 的值 {str(raw.get(column))[:40]!r} 不是允许的取值")
                yield {n: _decode(columns[n], raw.get(n)) for n in columns}
            except (ValueError, TypeError) as exc:
                raise Invalid(f"{name} 第 {lineno} 行无效：{exc}") from None


def _choices() -> dict[tuple[str, str], frozenset]:
    """(table, column) → the values the application allows (enums stored as strings)."""
    from kbsite.auth.models import ROLES
    from kbsite.content.models import REVISION_STATES
    from kbsite.files import ALL_TYPES
    from kbsite.review.feedback import KINDS
    from kbsite.training.models import ATTEMPT_STATES

    return {("users", "role"): frozenset(ROLES), ("items", "type"): frozenset(ALL_TYPES),
            ("revisions", "state"): frozenset(REVISION_STATES),
            ("training_attempts", "state"): frozenset(ATTEMPT_STATES),
            ("item_feedback", "kind"): frozenset(KINDS)}


def _decode(column, value):
    if value is None or isinstance(column.type, JSON):
        return value
    kind = column.type
    if isinstance(kind, DateTime) or isinstance(getattr(kind, "impl", None), DateTime):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value)
    return value


def _batches(rows: Iterator[dict]) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _reset_sequences(conn: Connection, known: list[Table]) -> None:
    """Point PostgreSQL's id sequences past the restored ids, so new rows do not collide."""
    for table in known:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and column.type.python_type is int):
                seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                   {"t": table.name, "c": column.name}).scalar()
                if seq:
                    conn.execute(text(f"SELECT setval('{seq}', COALESCE((SELECT MAX({column.name}) "
                                      f"FROM {table.name}), 0) + 1, false)"))
