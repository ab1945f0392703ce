"""Three-way merge of a stale edit with the newest revision, for the conflict view.

The trainer's base revision is the common ancestor: a block only one side
changed takes that side's text by default; a block both changed is a conflict
and by default keeps both ("两者都要"), so the proposed merge never loses text.
The trainer can choose per block; ``static/merge.js`` recomposes the body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher

from kbsite.content import diff
from kbsite.content.service import Draft

CHOICES = {"mine": "保留我的", "current": "保留当前", "both": "两者都要"}
# Editor fields merged three-way besides the body: (form name, label).
FIELDS = (("title", "标题"), ("category", "分类"), ("tags", "标签"), ("summary", "简答"),
          ("effective_from", "生效日期"))


@dataclass
class Block:
    """A run of lines: ``equal`` on both sides, or a change by ``current``, ``mine`` or ``conflict``."""

    kind: str
    current: list[str]
    mine: list[str]
    rows: list[diff.Row] = field(default_factory=list)

    @property
    def default(self) -> str:
        """The pre-selected choice: the side that changed, both when both did."""
        return {"current": "current", "mine": "mine"}.get(self.kind, "both")

    def pick(self, choice: str) -> list[str]:
        """The lines this block contributes for a choice."""
        if self.kind == "equal" or choice == "current":
            return self.current
        if choice == "mine":
            return self.mine
        return self.current + self.mine


@dataclass
class FieldChoice:
    """An editor field that both sides changed differently; ``mine`` stays in the form by default."""

    name: str
    label: str
    current: str
    mine: str


def _matches(a: list[str], b: list[str]) -> dict[int, int]:
    out: dict[int, int] = {}
    for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for k in range(m.size):
            out[m.a + k] = m.b + k
    return out


def _chunk(base: list[str], cur: list[str], mine: list[str]) -> Block | None:
    if not (base or cur or mine):
        return None
    if cur == mine:
        return Block("equal", cur, mine)
    kind = "mine" if cur == base else "current" if mine == base else "conflict"
    return Block(kind, cur, mine, diff.side_by_side("\n".join(cur), "\n".join(mine)))


def merge_lines(base: list[str], cur: list[str], mine: list[str]) -> list[Block]:
    """diff3: stable runs (unchanged on both sides) separate the changed chunks."""
    mc, mm = _matches(base, cur), _matches(base, mine)
    blocks: list[Block] = []
    lo = lc = lm = 0
    while True:
        i = 0
        while lo + i < len(base) and mc.get(lo + i) == lc + i and mm.get(lo + i) == lm + i:
            i += 1
        if i:
            blocks.append(Block("equal", base[lo:lo + i], base[lo:lo + i]))
            lo, lc, lm = lo + i, lc + i, lm + i
            continue
        j = lo
        while j < len(base) and not (j in mc and j in mm):
            j += 1
        if j == len(base):
            block = _chunk(base[lo:], cur[lc:], mine[lm:])
            if block:
                blocks.append(block)
            return _coalesce(blocks)
        block = _chunk(base[lo:j], cur[lc:mc[j]], mine[lm:mm[j]])
        if block:
            blocks.append(block)
        lo, lc, lm = j, mc[j], mm[j]


def _coalesce(blocks: list[Block]) -> list[Block]:
    out: list[Block] = []
    for b in blocks:
        if out and b.kind == "equal" and out[-1].kind == "equal":
            out[-1] = Block("equal", out[-1].current + b.current, out[-1].mine + b.mine)
        else:
            out.append(b)
    return out


def compose(blocks: list[Block], choices: dict[int, str] | None = None) -> str:
    """The merged body for per-block choices (defaults where none given)."""
    lines: list[str] = []
    for i, b in enumerate(blocks):
        lines += b.pick((choices or {}).get(i, b.default))
    return "\n".join(lines)


def _field(draft: Draft, name: str) -> str:
    if name == "title":
        return draft.title
    if name == "category":
        return draft.category
    if name == "tags":
        return ", ".join(draft.tags)
    return str(draft.meta.get(name, "") or "")


@dataclass
class MergeProposal:
    """What the conflict view shows: body blocks, conflicting fields and the proposed draft."""

    blocks: list[Block]
    fields: list[FieldChoice]
    draft: Draft

    @property
    def changed_blocks(self) -> int:
        """How many blocks need (or allow) a choice."""
        return sum(1 for b in self.blocks if b.kind != "equal")


def propose(base: Draft | None, current: Draft, mine: Draft) -> MergeProposal:
    """Merge ``mine`` (made from ``base``) with ``current``: fields and body, losing neither."""
    blocks = merge_lines(base.body.split("\n") if base else [], current.body.split("\n"),
                         mine.body.split("\n"))
    merged = Draft(mine.title, mine.category, list(mine.tags), compose(blocks), dict(mine.meta))
    conflicts: list[FieldChoice] = []
    for name, label in FIELDS:
        b = _field(base, name) if base else None
        c, m = _field(current, name), _field(mine, name)
        if c == m:
            continue
        if m == b:  # only the other trainer changed it: take theirs
            _set_field(merged, name, current)
        elif c != b:
            conflicts.append(FieldChoice(name, label, c, m))
    return MergeProposal(blocks, conflicts, merged)


def _set_field(draft: Draft, name: str, source: Draft) -> None:
    if name in ("title", "category"):
        setattr(draft, name, getattr(source, name))
    elif name == "tags":
        draft.tags = list(source.tags)
    elif name in source.meta:
        draft.meta[name] = source.meta[name]
    else:
        draft.meta.pop(name, None)
