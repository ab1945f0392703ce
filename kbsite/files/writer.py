"""Writing items back as files: stable front matter, safe paths, atomic writes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from kbsite.content import types
from kbsite.files.layout import category_folder, safe_folder
from kbsite.files.model import SLUG_RE, FileError, ItemData
from kbsite.files.reading import normalize_body


class _Flow(list):
    """A list written in flow style ([a, b]) on export."""


class _Block(str):
    """A string written in literal block style (|) on export, as reply texts usually are."""


class _Dumper(yaml.SafeDumper):
    """Safe dumper that knows no implicit types, so plain strings stay unquoted where legal."""

    yaml_implicit_resolvers: dict = {}

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # indent list items under their key, as people write


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    block = "\n" in data or isinstance(data, _Block)
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style="|" if block else None)


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.SequenceNode:
    short = all(isinstance(v, str) and "\n" not in v for v in data) and sum(map(len, data)) <= 60
    flow = isinstance(data, _Flow) or (bool(data) and short)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Block, _represent_str)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(_Flow, _represent_list)


def _front_matter(item: ItemData) -> dict[str, Any]:
    ctype = types.get(item.type)
    order = ctype.key_order if ctype else types.all_keys()
    extra = set(item.meta) - set(order) - {"folder"}
    if extra:
        raise ValueError(f"{item.slug}: unknown meta keys {sorted(extra)}")
    values: dict[str, Any] = {
        "title": item.title, "type": item.type, "category": item.category,
        "tags": _Flow(item.tags) if item.tags else None, "status": item.status, "owner": item.owner,
        "review_interval_days": None if item.review_interval_days is None else str(item.review_interval_days),
        **item.meta,
    }
    for key in ("placeholders", "prerequisites"):
        if isinstance(values.get(key), list):
            values[key] = _Flow(values[key])
    if values.get("variants"):
        values["variants"] = {k: _Block(v) for k, v in values["variants"].items()}
    if values.get("groups"):
        values["groups"] = [_Flow(group) for group in values["groups"]]
    if values.get("entries"):
        values["entries"] = [{k: _Flow(v) if isinstance(v, list) else v for k, v in e.items()}
                             for e in values["entries"]]
    if not values.get("variants"):
        values.pop("variants", None)
    return {key: values[key] for key in order if values.get(key) is not None}


def dump_item(item: ItemData) -> str:
    """Render an item as file text: front matter in a stable key order, then the body."""
    text = yaml.dump(_front_matter(item), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=2**30)
    if "\n---\n" in "\n" + text:
        raise ValueError(f"{item.slug}: front matter would contain a bare --- line")
    body = normalize_body(item.body)
    return f"---\n{text}---\n{body}"


def export_relpath(item: ItemData) -> PurePosixPath:
    """Where an item lives in the repository layout (docs/FORMAT.md), relative to the root."""
    if not SLUG_RE.fullmatch(item.slug):
        raise FileError(item.source or item.slug, None, f"slug“{item.slug}”不合法，不能导出")
    if item.type == "template":
        folder = safe_folder(str(item.meta.get("folder") or "")) or category_folder(item.category)
        return PurePosixPath("scripts_lib", folder, f"{item.slug}.md")
    ctype = types.get(item.type)
    if ctype is None:
        raise FileError(item.source or item.slug, None, f"未知类型“{item.type}”，不能导出")
    return PurePosixPath(ctype.folder, f"{item.slug}.md")


def write_tree(items: Iterable[ItemData], dest: Path) -> list[Path]:
    """Write items under dest, never outside it; each file is replaced atomically."""
    root = Path(dest).resolve()
    planned: dict[Path, str] = {}
    for item in items:
        target = root / export_relpath(item)
        if not target.resolve().is_relative_to(root):
            raise FileError(str(target), None, f"拒绝写到导出目录 {root} 之外")
        if target in planned:
            raise FileError(str(target), None, f"两个条目会导出到同一个文件（slug“{item.slug}”）")
        planned[target] = dump_item(item)
    for target, text in planned.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.parent.resolve().is_relative_to(root):
            raise FileError(str(target), None, f"拒绝写到导出目录 {root} 之外")
        _write_atomic(target, text)
    return list(planned)


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
