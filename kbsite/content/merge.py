"""Three-way merge of a stale edit with a colleague's newer revision; every conflict is the trainer's call.

``base`` is the revision the trainer started from, ``theirs`` the colleague's newer
revision, ``mine`` the trainer's edit. Fields (title, category, tags and every
front-matter key) merge as wholes; the body merges line by line (diff3; a line is a
paragraph or list item of our Markdown). A part changed on one side only is taken
automatically and listed; a part both sides changed differently is a conflict with
*no* default: :func:`resolve` refuses until each has a choice, so nothing is lost by
accident. :func:`dropped_lines` tells a reviewer what of the colleague's work a
merge left out. Pure functions: no Flask, no database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import yaml

from kbsite import files
from kbsite.content import diff
from kbsite.content.forms import split_tags
from kbsite.content.service import Draft
from kbsite.content.types import FIELD_LABELS
from kbsite.errors import Invalid

CHOICES = {"mine": "用我的", "theirs": "用同事的", "both": "两者都要（我的在前）", "edit": "手动编辑"}
DERIVED = ("folder", "placeholders")  # follow from other fields; never a choice
SINGLE_VALUED = ("title", "category", "effective_from", "happened_on", "pass_mark", "max_attempts",
                 "time_limit_seconds", "audience")  # "both" would make no sense
LIST_TEXT = ("tags", "policies", "prerequisites", "words")  # edited as comma-separated text


class Unresolved(Invalid):
    """A save with conflicts left without a choice (or an empty hand edit); ``keys`` names them."""

    def __init__(self, message: str, keys: list[str]):
        super().__init__(message, keys=keys)
        self.keys = keys


@dataclass
class Block:
    """A run of body lines: ``equal``, changed by one side (``mine``/``theirs``) or by both (``conflict``)."""

    kind: str
    theirs: list[str]
    mine: list[str]
    at: int = 1  # first line number in the colleague's version (for messages)
    rows: list[diff.Row] = field(default_factory=list)

    def pick(self, choice: str) -> list[str]:
        """The lines this block contributes for a choice (``mine``/``theirs``/``both``)."""
        if self.kind == "equal" or choice == "theirs":
            return self.theirs
        if choice == "mine":
            return self.mine
        return self.mine + self.theirs


@dataclass
class Part:
    """One conflict the trainer must resolve: a field or a body block both sides changed."""

    key: str  # form-safe id: "f-summary" or "b-3"
    label: str
    mine: str
    theirs: str
    both: bool  # whether "both" is offered
    rows: list[diff.Row] = field(default_factory=list)
    values: tuple[object, object] = (None, None)  # a field's own (mine, theirs) values

    @property
    def choices(self) -> dict[str, str]:
        """The choices offered for this conflict, value → label."""
        return {k: v for k, v in CHOICES.items() if self.both or k != "both"}


@dataclass
class Merge:
    """A proposed merge: what was taken automatically, and the conflicts still to resolve."""

    blocks: list[Block]
    values: dict[str, object]  # field name → merged value (conflicting fields hold mine for now)
    conflicts: list[Part]
    auto: list[str]  # readable list of the changes merged automatically


# ---- body ---------------------------------------------------------------------------------

def _matches(a: list[str], b: list[str]) -> dict[int, int]:
    out: dict[int, int] = {}
    for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for k in range(m.size):
            out[m.a + k] = m.b + k
    return out


def _chunk(base: list[str], theirs: list[str], mine: list[str], at: int) -> Block | None:
    if not (base or theirs or mine):
        return None
    if theirs == mine:
        return Block("equal", theirs, mine, at)
    kind = "mine" if theirs == base else "theirs" if mine == base else "conflict"
    return Block(kind, theirs, mine, at, diff.side_by_side("\n".join(mine), "\n".join(theirs)))


def merge_lines(base: list[str], theirs: list[str], mine: list[str]) -> list[Block]:
    """diff3: runs unchanged on both sides separate the changed chunks."""
    mt, mm = _matches(base, theirs), _matches(base, mine)
    blocks: list[Block] = []
    lo = lt = lm = 0
    while True:
        i = 0
        while lo + i < len(base) and mt.get(lo + i) == lt + i and mm.get(lo + i) == lm + i:
            i += 1
        if i:
            blocks.append(Block("equal", base[lo:lo + i], base[lo:lo + i], lt + 1))
            lo, lt, lm = lo + i, lt + i, lm + i
            continue
        j = lo
        while j < len(base) and not (j in mt and j in mm):
            j += 1
        end_t, end_m = (len(theirs), len(mine)) if j == len(base) else (mt[j], mm[j])
        block = _chunk(base[lo:j], theirs[lt:end_t], mine[lm:end_m], lt + 1)
        if block:
            blocks.append(block)
        if j == len(base):
            return _coalesce(blocks)
        lo, lt, lm = j, end_t, end_m


def _coalesce(blocks: list[Block]) -> list[Block]:
    out: list[Block] = []
    for b in blocks:
        if out and b.kind == "equal" and out[-1].kind == "equal":
            out[-1] = Block("equal", out[-1].theirs + b.theirs, out[-1].mine + b.mine, out[-1].at)
        else:
            out.append(b)
    return out


def _excerpt(lines: list[str]) -> str:
    text = " ".join(s.strip() for s in lines if s.strip()) or "（删除）"
    return text if len(text) <= 30 else text[:30] + "…"


# ---- fields -------------------------------------------------------------------------------

def _values(draft: Draft | None) -> dict[str, object]:
    if draft is None:
        return {}
    out: dict[str, object] = {"title": draft.title, "category": draft.category, "tags": list(draft.tags)}
    out.update({k: v for k, v in draft.meta.items() if k not in DERIVED and v not in (None, "", [], {})})
    return out


def label(name: str) -> str:
    """The Chinese label of a field (never the English key)."""
    return FIELD_LABELS.get(name, "其他设置")


def shown(name: str, value: object) -> str:
    """A field value as the trainer reads (and hand-edits) it."""
    if value is None:
        return ""
    if name in LIST_TEXT and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str):
        return value
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=1000).strip()


def _parse_edit(name: str, text: str, example: object) -> object:
    """A hand-edited field value back into the shape the field has."""
    text = text.replace("\r\n", "\n").strip()
    if name in LIST_TEXT:
        return split_tags(text)
    if isinstance(example, (str, type(None))):
        return text
    try:
        return files.load_front_matter(f"v:\n{_indent(text)}")["v"]
    except (files.FileError, TypeError, KeyError) as exc:
        raise Invalid(f"“{label(name)}”的手动编辑不是有效的 YAML，请检查格式") from exc


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.split("\n"))


def _both(mine: object, theirs: object) -> object:
    if isinstance(mine, list) and isinstance(theirs, list):
        return mine + [x for x in theirs if x not in mine]
    return "\n".join(s for s in (str(mine or ""), str(theirs or "")) if s)


def _can_both(name: str, mine: object, theirs: object) -> bool:
    if name in SINGLE_VALUED or mine is None or theirs is None:
        return False
    return (isinstance(mine, str) and isinstance(theirs, str)) or (
        isinstance(mine, list) and isinstance(theirs, list))


def _merge_fields(base: Draft | None, theirs: Draft, mine: Draft) -> tuple[dict, list[Part], list[str]]:
    b, t, m = _values(base), _values(theirs), _values(mine)
    values: dict[str, object] = {}
    parts: list[Part] = []
    auto: list[str] = []
    for name in dict.fromkeys([*m, *t, *b]):
        bv, tv, mv = b.get(name), t.get(name), m.get(name)
        if tv == mv:
            values[name] = mv
        elif mv == bv and base is not None:
            values[name] = tv
            auto.append(f"{label(name)}：采用同事的修改")
        elif tv == bv and base is not None:
            values[name] = mv
            auto.append(f"{label(name)}：保留您的修改")
        else:
            values[name] = mv
            rows = diff.side_by_side(shown(name, mv), shown(name, tv))
            parts.append(Part(f"f-{name}", label(name), shown(name, mv), shown(name, tv),
                              _can_both(name, mv, tv), rows, (mv, tv)))
    return values, parts, auto


# ---- the merge ----------------------------------------------------------------------------

def propose(base: Draft | None, theirs: Draft, mine: Draft) -> Merge:
    """Merge ``mine`` (made from ``base``) with ``theirs``: take one-sided changes, list the conflicts."""
    blocks = merge_lines(base.body.split("\n") if base else [], theirs.body.split("\n"), mine.body.split("\n"))
    values, parts, auto = _merge_fields(base, theirs, mine)
    for i, blk in enumerate(blocks):
        if blk.kind == "theirs":
            auto.append(f"正文第 {blk.at} 行起：采用同事的修改「{_excerpt(blk.theirs)}」")
        elif blk.kind == "mine":
            auto.append(f"正文第 {blk.at} 行起：保留您的修改「{_excerpt(blk.mine)}」")
        elif blk.kind == "conflict":
            parts.append(Part(f"b-{i}", f"正文第 {blk.at} 行起", "\n".join(blk.mine), "\n".join(blk.theirs),
                              True, blk.rows))
    return Merge(blocks, values, parts, auto)


def unresolved(merge: Merge, choices: Mapping[str, str], edits: Mapping[str, str]) -> list[Part]:
    """Conflicts with no valid choice, or a hand edit left empty."""
    out = []
    for part in merge.conflicts:
        choice = choices.get(part.key) or ""
        if choice not in part.choices or (choice == "edit" and not (edits.get(part.key) or "").strip()):
            out.append(part)
    return out


def resolve(merge: Merge, choices: Mapping[str, str], edits: Mapping[str, str], folder: dict | None = None) -> Draft:
    """The merged draft for the trainer's choices; :class:`Unresolved` while any conflict has none."""
    missing = unresolved(merge, choices, edits)
    if missing:
        names = "、".join(p.label for p in missing)
        raise Unresolved(f"还有 {len(missing)} 处冲突没有选择如何合并：{names}。请为每一处选择“用我的”"
                         "“用同事的”“两者都要”或“手动编辑”后再保存。", [p.key for p in missing])
    values = dict(merge.values)
    by_key = {p.key: p for p in merge.conflicts}
    for key, part in by_key.items():
        if key.startswith("f-"):
            name = key[2:]
            values[name] = _field_choice(name, choices[key], edits.get(key, ""), part)
    lines: list[str] = []
    for i, blk in enumerate(merge.blocks):
        key = f"b-{i}"
        if key not in by_key:
            lines += blk.pick("mine" if blk.kind == "mine" else "theirs")
        elif choices[key] == "edit":
            lines += edits[key].replace("\r\n", "\n").strip("\n").split("\n")
        else:
            lines += blk.pick(choices[key])
    return _draft(values, "\n".join(lines), folder)


def _field_choice(name: str, choice: str, edit: str, part: Part) -> object:
    mine, theirs = part.values
    if choice == "edit":
        return _parse_edit(name, edit, mine if mine is not None else theirs)
    return {"mine": mine, "theirs": theirs}.get(choice) if choice != "both" else _both(mine, theirs)


def _draft(values: dict[str, object], body: str, folder: dict | None) -> Draft:
    meta = {k: v for k, v in values.items() if k not in ("title", "category", "tags") and v not in (None, "", [])}
    meta.update(folder or {})
    tags = values.get("tags") or []
    return Draft(str(values.get("title") or ""), str(values.get("category") or ""),
                 list(tags) if isinstance(tags, list) else split_tags(str(tags)), body, meta)


# ---- carrying "mine" through the merge form ------------------------------------------------

def pack(draft: Draft) -> str:
    """The trainer's own draft as JSON for a hidden form field, so the merge form loses nothing."""
    return json.dumps({"title": draft.title, "category": draft.category, "tags": draft.tags,
                       "body": draft.body, "meta": draft.meta}, ensure_ascii=False)


def unpack(text: str) -> Draft:
    """Read :func:`pack`'s JSON back; anything else is refused in Chinese."""
    try:
        data = json.loads(text)
        draft = Draft(str(data["title"]), str(data["category"]), [str(t) for t in data["tags"]],
                      str(data["body"]), dict(data["meta"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise Invalid("合并表单的数据不完整，请回到编辑页重新保存您的修改") from exc
    return draft


# ---- for reviewers ------------------------------------------------------------------------

def dropped_lines(base_text: str, theirs_text: str, merged_text: str) -> set[int]:
    """Line numbers (1-based) of the colleague's own changes that the merged text no longer has.

    Texts are :func:`diff.revision_text` renderings: field lines (``标签：a, b``) before the
    first blank line, then the body. A colleague's line counts as kept when it is still a line
    of the result or, for a field line, when every item of its value is still in the result.
    """
    base, theirs = base_text.split("\n"), theirs_text.split("\n")
    merged = merged_text.split("\n")
    kept_lines = set(merged)
    header_end = theirs.index("") if "" in theirs else len(theirs)
    out: set[int] = set()
    for op, _i1, _i2, j1, j2 in SequenceMatcher(None, base, theirs, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        for j in range(j1, j2):
            line = theirs[j]
            if not line.strip() or line in kept_lines:
                continue
            if j < header_end and "：" in line:
                items = [v.strip() for v in line.split("：", 1)[1].split(", ") if v.strip()]
                if items and all(v in merged_text for v in items):
                    continue
            out.add(j + 1)
    return out
