"""The reply checker: finds forbidden or risky phrases from the lexicon in an agent's text.

Matching is lexical (no word segmentation). Text and lexicon wordings are both
folded with ``kbsite.textnorm.fold_chars`` (Traditional→Simplified, full-width
→half-width, lower case; length-preserving), and whitespace, punctuation and
invisible format characters are skipped while matching, so ``不归 我管``,
``不归，我管``, ``這個不歸我管`` and ``ＯＫ`` forms are caught. Offsets in an
:class:`Issue` are Python ``str`` indices into the text as sent.

Ordinary sentences that merely contain the same characters are kept out by
per-entry context rules: ``position`` (``anywhere``; ``clause``: the phrase is
a whole clause, e.g. a bare “不行。”; ``clause_end``: nothing but sentence-final
particles may follow before the clause ends), ``unless_preceded_by`` and
``unless_followed_by`` (e.g. 绝对 unless followed by 值).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from kbsite.textnorm import fold_chars

CATEGORIES = (
    "推诿", "冷漠", "指责", "讽刺", "催促", "否定", "绝对化", "模糊", "不耐烦", "泄露隐私", "违规承诺",
)  # fmt: skip
SEVERITIES = ("forbidden", "risky")
POSITIONS = ("anywhere", "clause", "clause_end")
_PARTICLES = frozenset("啊呀吧呢啦哦嘛了的哈嘞喽么哟")
_ENTRY_KEYS = {
    "phrase", "category", "suggestion", "severity", "variants", "note", "position",
    "unless_preceded_by", "unless_followed_by",
}  # fmt: skip


@dataclass(frozen=True)
class LexiconEntry:
    """One lexicon phrase with its other wordings, the approved alternative and match rules."""

    phrase: str
    category: str
    suggestion: str
    severity: str = "forbidden"
    variants: tuple[str, ...] = ()
    note: str = ""
    position: str = "anywhere"
    unless_preceded_by: tuple[str, ...] = ()
    unless_followed_by: tuple[str, ...] = ()

    @property
    def wordings(self) -> tuple[str, ...]:
        return (self.phrase, *self.variants)


@dataclass(frozen=True)
class Issue:
    """A hit: ``text[start:end]`` matched ``phrase`` (the lexicon wording) of ``entry``."""

    start: int
    end: int
    phrase: str
    category: str
    suggestion: str
    severity: str
    entry: LexiconEntry = field(repr=False)


# --- character classes ------------------------------------------------------------


def _is_ignorable(ch: str) -> bool:
    """Characters skipped inside a phrase: whitespace, punctuation, invisible formatting."""
    cat = unicodedata.category(ch)
    return ch.isspace() or cat[0] in "PZ" or cat in ("Cc", "Cf")


def _is_clause_boundary(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] == "P" or ch in "\n\r"


def _is_blank(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) == "Cf"


def _skeleton(folded: str) -> tuple[str, list[int]]:
    """The folded text without ignorable characters, and each kept char's original index."""
    kept = [i for i, ch in enumerate(folded) if not _is_ignorable(ch)]
    return "".join(folded[i] for i in kept), kept


def _key(wording: str) -> str:
    return _skeleton(fold_chars(wording))[0]


# --- lexicon -------------------------------------------------------------------------


def _str_list(raw: Any, what: str, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(v, str) and v.strip() for v in raw):
        raise ValueError(f"{where}：{what} 必须是非空文字的列表")
    return tuple(v.strip() for v in raw)


def _required_str(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}：缺少 {key}，或 {key} 不是文字")
    return value.strip()


def _parse_entry(raw: Any, number: int) -> LexiconEntry:
    where = f"禁用语词库第 {number} 条"
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}：应为 phrase/category/suggestion… 的映射")
    if isinstance(raw.get("phrase"), str):
        where += f"（{raw['phrase']}）"
    stray = sorted(set(map(str, raw)) - _ENTRY_KEYS)
    if stray:
        raise ValueError(f"{where}：不认识的键 {', '.join(stray)}")
    entry = LexiconEntry(
        phrase=_required_str(raw, "phrase", where),
        category=_required_str(raw, "category", where),
        suggestion=_required_str(raw, "suggestion", where),
        severity=_required_str(raw, "severity", where),
        variants=_str_list(raw.get("variants"), "variants", where),
        note=str(raw.get("note") or "").strip(),
        position=str(raw.get("position") or "anywhere").strip(),
        unless_preceded_by=_str_list(raw.get("unless_preceded_by"), "unless_preceded_by", where),
        unless_followed_by=_str_list(raw.get("unless_followed_by"), "unless_followed_by", where),
    )
    _validate_entry(entry, where)
    return entry


def _validate_entry(entry: LexiconEntry, where: str) -> None:
    if entry.category not in CATEGORIES:
        raise ValueError(f"{where}：类别「{entry.category}」不在 {'、'.join(CATEGORIES)} 之中")
    if entry.severity not in SEVERITIES:
        raise ValueError(f"{where}：severity 只能是 forbidden 或 risky，不能是「{entry.severity}」")
    if entry.position not in POSITIONS:
        raise ValueError(f"{where}：position 只能是 {' / '.join(POSITIONS)}")
    for wording in entry.wordings:
        if not _key(wording):
            raise ValueError(f"{where}：「{wording}」只有标点或空白，无法匹配")


def parse_lexicon(meta: Mapping[str, Any]) -> list[LexiconEntry]:
    """Validate the lexicon front matter and build entries; errors name the bad entry."""
    if not isinstance(meta, Mapping) or not isinstance(meta.get("entries"), list):
        raise ValueError("禁用语词库缺少 entries 列表")
    entries = [_parse_entry(raw, n) for n, raw in enumerate(meta["entries"], 1)]
    seen: dict[str, int] = {}
    for n, entry in enumerate(entries, 1):
        for wording in entry.wordings:
            key = _key(wording)
            if key in seen and seen[key] != n:
                raise ValueError(
                    f"禁用语词库第 {n} 条（{entry.phrase}）：「{wording}」与第 {seen[key]} 条重复"
                )
            seen[key] = n
    return entries


def load_lexicon_file(path: str | Path) -> list[LexiconEntry]:
    """Read ``scripts_lib/forbidden-phrases.md`` (YAML front matter) for tests and the CLI."""
    text = Path(path).read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    if not text.startswith("---\n"):
        raise ValueError(f"{path}：文件开头缺少 --- 前置元数据")
    end = text.find("\n---\n", 4)
    if end < 0:
        raise ValueError(f"{path}：前置元数据没有用 --- 结束")
    return parse_lexicon(yaml.safe_load(text[4:end]) or {})


# --- matching -------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _compile(lexicon: tuple[LexiconEntry, ...]) -> tuple[tuple[str, str, LexiconEntry], ...]:
    keys = []
    for entry in lexicon:
        for wording in entry.wordings:
            keys.append((_key(wording), wording, entry))
    return tuple(keys)


def _context_before(folded: str, start: int) -> str:
    i = start
    while i > 0 and _is_blank(folded[i - 1]):
        i -= 1
    return folded[max(0, i - 12) : i]


def _context_after(folded: str, end: int) -> str:
    i = end
    while i < len(folded) and _is_blank(folded[i]):
        i += 1
    return folded[i : i + 12]


def _clause_starts_at(folded: str, start: int) -> bool:
    before = _context_before(folded, start)
    return not before or _is_clause_boundary(before[-1])


def _clause_ends_at(folded: str, end: int) -> bool:
    i = end
    while i < len(folded) and (folded[i] in _PARTICLES or _is_blank(folded[i])):
        i += 1
    return i == len(folded) or _is_clause_boundary(folded[i])


def _context_allows(entry: LexiconEntry, folded: str, start: int, end: int) -> bool:
    before = _context_before(folded, start)
    if any(before.endswith(fold_chars(w)) for w in entry.unless_preceded_by):
        return False
    after = _context_after(folded, end)
    if any(after.startswith(fold_chars(w)) for w in entry.unless_followed_by):
        return False
    if entry.position == "clause" and not _clause_starts_at(folded, start):
        return False
    return entry.position == "anywhere" or _clause_ends_at(folded, end)


def _candidates(text: str, lexicon: tuple[LexiconEntry, ...]) -> list[Issue]:
    folded = fold_chars(text)
    skeleton, kept = _skeleton(folded)
    found = []
    for key, wording, entry in _compile(lexicon):
        pos = skeleton.find(key)
        while pos >= 0:
            start, end = kept[pos], kept[pos + len(key) - 1] + 1
            if _context_allows(entry, folded, start, end):
                found.append(
                    Issue(
                        start, end, wording, entry.category, entry.suggestion, entry.severity, entry
                    )
                )
            pos = skeleton.find(key, pos + 1)
    return found


def check_text(text: str, lexicon: Sequence[LexiconEntry]) -> list[Issue]:
    """Every lexicon phrase in ``text``, longest match wins on overlap, in text order."""
    ranked = sorted(
        _candidates(text, tuple(lexicon)),
        key=lambda i: (-(i.end - i.start), SEVERITIES.index(i.severity), i.start),
    )
    chosen: list[Issue] = []
    for issue in ranked:
        if all(issue.end <= c.start or issue.start >= c.end for c in chosen):
            chosen.append(issue)
    return sorted(chosen, key=lambda i: i.start)
