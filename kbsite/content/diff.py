"""Side-by-side diffs at line and character level (Chinese has no spaces to split on)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from difflib import SequenceMatcher

from markupsafe import Markup, escape

from kbsite.content.models import Revision

META_LABELS = {
    "title": "标题", "category": "分类", "tags": "标签", "summary": "简答", "effective_from": "生效日期",
    "placeholders": "占位符", "variants": "渠道版本", "entries": "禁用语词条", "groups": "同义词组",
    "words": "词语", "pass_mark": "及格分", "max_attempts": "最多作答次数", "time_limit_seconds": "限时（秒）",
    "questions": "题目", "audience": "适用对象", "prerequisites": "先修课程", "steps": "课程步骤",
}


@dataclass
class Row:
    """One row of a side-by-side diff; html fields are escaped with <del>/<ins> marks."""

    kind: str  # equal | replace | delete | insert
    left_no: int | None
    left: Markup
    right_no: int | None
    right: Markup


def revision_text(rev: Revision) -> str:
    """A revision as text: metadata lines first, then the body, so metadata changes show too."""
    lines = [f"标题：{rev.title}", f"分类：{rev.category}", f"标签：{', '.join(rev.tags)}"]
    for key in sorted(rev.meta):
        if key == "folder":
            continue
        lines.append(f"{META_LABELS.get(key, '其他字段')}：{_shown(rev.meta[key])}")
    return "\n".join(lines) + "\n\n" + rev.body


def _shown(value: object) -> str:
    """A metadata value as people write it: lists joined with 、, channel texts by channel."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "、".join(value)
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return "；".join(f"{k}：{v}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False)


def _char_diff(a: str, b: str) -> tuple[Markup, Markup]:
    left, right = [], []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(escape(a[i1:i2]))
            right.append(escape(b[j1:j2]))
            continue
        if i2 > i1:
            left.append(Markup("<del>%s</del>") % a[i1:i2])
        if j2 > j1:
            right.append(Markup("<ins>%s</ins>") % b[j1:j2])
    return Markup("").join(left), Markup("").join(right)


def side_by_side(a: str, b: str) -> list[Row]:
    """Rows pairing the lines of ``a`` and ``b``; changed lines are diffed by character."""
    al, bl = a.split("\n"), b.split("\n")
    rows: list[Row] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, al, bl, autojunk=False).get_opcodes():
        if op == "equal":
            rows += [Row("equal", i + 1, escape(al[i]), j + 1, escape(bl[j]))
                     for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
            continue
        n = max(i2 - i1, j2 - j1)
        for k in range(n):
            i, j = i1 + k, j1 + k
            has_l, has_r = i < i2, j < j2
            if has_l and has_r:
                left, right = _char_diff(al[i], bl[j])
                rows.append(Row("replace", i + 1, left, j + 1, right))
            elif has_l:
                rows.append(Row("delete", i + 1, Markup("<del>%s</del>") % al[i], None, Markup("")))
            else:
                rows.append(Row("insert", None, Markup(""), j + 1, Markup("<ins>%s</ins>") % bl[j]))
    return rows


def changed(rows: list[Row]) -> bool:
    """True if any row differs."""
    return any(r.kind != "equal" for r in rows)
