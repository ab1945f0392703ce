"""Checks a backup before restore writes anything: checksums, row counts, enum values, foreign keys.

Every table's member is read once, its SHA-256 compared with the manifest, its
rows decoded and checked against the values the code allows and against the
rows they refer to. Any problem is reported in plain words and nothing is written.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterator

from sqlalchemy import Table

from kbsite.errors import Invalid

MAX_LISTED = 5


def enum_columns() -> dict[tuple[str, str], frozenset[str]]:
    """Columns holding one of a fixed set of values, and the values the code accepts."""
    from kbsite.auth.models import ROLES
    from kbsite.content.models import REVISION_STATES
    from kbsite.files.model import ALL_TYPES
    from kbsite.review.feedback import KINDS as FEEDBACK_KINDS
    from kbsite.training.models import ATTEMPT_STATES

    return {
        ("users", "role"): frozenset(ROLES),
        ("items", "type"): frozenset(ALL_TYPES),
        ("revisions", "state"): frozenset(REVISION_STATES),
        ("training_attempts", "state"): frozenset(ATTEMPT_STATES),
        ("item_feedback", "kind"): frozenset(FEEDBACK_KINDS),
    }


def member_checksum(archive: zipfile.ZipFile, name: str) -> str:
    """SHA-256 (hex) of a member's uncompressed bytes."""
    digest = hashlib.sha256()
    with archive.open(name) as member:
        for chunk in iter(lambda: member.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _References:
    """The keys each table holds and the keys other rows point at, to compare at the end."""

    def __init__(self, known: list[Table]):
        self.targets = {(fk.column.table.name, fk.column.name)
                        for t in known for fk in t.foreign_keys}
        self.held: dict[tuple[str, str], set] = {key: set() for key in self.targets}
        self.wanted: dict[tuple[str, str, str, str], dict] = {}

    def add(self, table: Table, row: dict) -> None:
        for column in table.columns:
            if (table.name, column.name) in self.targets:
                self.held[(table.name, column.name)].add(row[column.name])
            for fk in column.foreign_keys:
                if row[column.name] is not None:
                    key = (table.name, column.name, fk.column.table.name, fk.column.name)
                    self.wanted.setdefault(key, {}).setdefault(row[column.name], 0)
                    self.wanted[key][row[column.name]] += 1

    def check(self) -> None:
        for (table, column, parent, parent_col), values in self.wanted.items():
            missing = sorted((v for v in values if v not in self.held[(parent, parent_col)]), key=str)
            if missing:
                shown = "、".join(str(v) for v in missing[:MAX_LISTED])
                raise Invalid(f"备份数据前后不一致：{table} 表的 {column} 指向 {parent} 表中不存在的记录"
                              f"（{shown}{' 等' if len(missing) > MAX_LISTED else ''}，共 {len(missing)} 个）")


def verify(archive: zipfile.ZipFile, manifest: dict, known: list[Table],
           read_rows: Callable[[zipfile.ZipFile, Table], Iterator[dict]]) -> None:
    """Raise Invalid, in plain words, at the first problem; return when the backup is sound."""
    checksums = manifest.get("checksums")
    enums = enum_columns()
    refs = _References(known)
    for table in known:
        name = f"tables/{table.name}.jsonl"
        if (checksums is not None and name in archive.namelist()
                and member_checksum(archive, name) != checksums.get(table.name)):
            raise Invalid(f"备份文件已损坏或被改动：{table.name} 表的校验和与清单不符，未恢复任何数据")
        count = 0
        for row in read_rows(archive, table):
            count += 1
            _check_enums(table, row, enums, count)
            refs.add(table, row)
        if count != manifest["tables"][table.name]:
            raise Invalid(f"备份文件不完整：{table.name} 应有 {manifest['tables'][table.name]} 行，实有 {count} 行")
    refs.check()


def _check_enums(table: Table, row: dict, enums: dict, lineno: int) -> None:
    for (tname, column), allowed in enums.items():
        if tname == table.name and row.get(column) not in allowed:
            raise Invalid(f"备份数据无效：{table.name} 表第 {lineno} 行的 {column} 是“{row.get(column)}”，"
                          f"只能是 {'、'.join(sorted(allowed))} 之一")
