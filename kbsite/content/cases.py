"""What a case study says, read from its Markdown, and which policies have changed since it happened.

Cases are written as a story: a 背景 section, the conversation as lines labelled
``**顾客**：…`` / ``**客服**：…`` (usually quoted with ``>``; Traditional labels too;
an agent line marked ``（错误示范）`` is a bad example), and the lesson as bullets under
a heading such as 要点, 经验, 启示 or 教训. :func:`parse_case` reads that structure
(pure). :func:`policy_changes` answers "has a policy this case relies on changed since
it happened?" through the one in-force rule in :mod:`kbsite.content.service`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from kbsite.content import service
from kbsite.content.models import Item, Revision
from kbsite.errors import NotFound

CUSTOMER_LABELS = frozenset({"顾客", "顧客", "客户", "客戶", "买家", "買家", "用户", "用戶", "消费者", "消費者"})
AGENT_LABELS = frozenset({"客服", "售后", "售後", "主管", "店铺", "店鋪", "商家"})
LESSON_HEADINGS = ("要点", "要點", "经验", "經驗", "启示", "啟示", "教训", "教訓", "总结", "總結", "复盘", "復盤")
BACKGROUND_HEADINGS = ("背景",)
WRONG_MARKS = ("错误", "錯誤", "反面", "禁止")

_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.、)）])\s+(.+)$")
_SPEAKER = re.compile(
    r"^(?:\*\*)?(?P<who>[^*：:\s（(]{1,6})(?:[（(](?P<note>[^）)]*)[）)])?(?:\*\*)?\s*[：:]\s*(?:\*\*)?\s*(?P<text>.+)$")
_STAGE = re.compile(r"^[（(][^）)]*[）)]$")  # "（发来照片）": an action, not words
_QUOTED = re.compile(r"[「“\"](.+?)[」”\"]")


@dataclass(frozen=True)
class Turn:
    """One line of the case's conversation; ``wrong`` marks an agent's bad example."""

    speaker: str  # customer | agent
    text: str
    wrong: bool = False


@dataclass
class CaseStory:
    """A case's situation, conversation and lesson, as its Markdown tells them."""

    background: str = ""
    turns: list[Turn] = field(default_factory=list)
    lessons: list[str] = field(default_factory=list)
    wrong_examples: list[str] = field(default_factory=list)  # lesson bullets that show what not to say

    @property
    def customer_messages(self) -> list[str]:
        """What the customer said, in order, without stage directions such as （发来照片）."""
        return [t.text for t in self.turns if t.speaker == "customer" and not _STAGE.match(t.text)]

    @property
    def first_good_reply(self) -> str:
        """The agent's first turn that is not a bad example (consecutive lines joined)."""
        lines: list[str] = []
        for t in self.turns:
            if t.speaker == "agent" and not t.wrong:
                lines.append(t.text)
            elif lines:
                break
        return "".join(lines)


def _turn(line: str) -> Turn | None:
    match = _SPEAKER.match(line.lstrip("> ").strip())
    if not match:
        return None
    who, note, text = match["who"], match["note"] or "", match["text"].strip().strip("*").strip()
    if who in CUSTOMER_LABELS:
        return Turn("customer", text)
    if who in AGENT_LABELS:
        return Turn("agent", text, any(m in note for m in WRONG_MARKS))
    return None


def _is_wrong(text: str) -> bool:
    """A lesson line about what not to say: a bad example, or a list of forbidden phrases."""
    return text.startswith(("错误示范", "錯誤示範", "反面示范", "反面示範")) or (
        bool(quoted(text)) and any(w in text for w in ("禁止", "禁忌", "禁用")))


def parse_case(body: str) -> CaseStory:
    """Read background, conversation and lesson from a case's Markdown body."""
    story = CaseStory()
    section = ""
    background: list[str] = []
    loose: list[str] = []  # lesson paragraphs when the section has no bullets
    for raw in body.split("\n"):
        heading = _HEADING.match(raw.strip())
        if heading:
            section = heading.group(1)
            continue
        turn = _turn(raw.strip())
        if turn:
            story.turns.append(turn)
            continue
        if any(h in section for h in LESSON_HEADINGS):
            bullet = _BULLET.match(raw)
            text = (bullet.group(1) if bullet else raw).replace("**", "").strip()
            if text:
                target = story.wrong_examples if _is_wrong(text) else story.lessons if bullet else loose
                target.append(text.rstrip("；;。"))
        elif any(h in section for h in BACKGROUND_HEADINGS) and raw.strip():
            background.append(raw.strip())
    story.lessons = story.lessons or loose
    story.background = "\n".join(background)
    return story


def quoted(text: str, after: tuple[str, ...] = ()) -> list[str]:
    """Phrases quoted in a lesson line (「…」 or “…”); with ``after``, only those right after such words."""
    return [m.group(1).strip() for m in _QUOTED.finditer(text)
            if m.group(1).strip() and (not after or text[:m.start()].rstrip().endswith(after))]


# ---- policies in force when the case happened -----------------------------------------------

@dataclass
class PolicyStatus:
    """A policy a case relies on: the revision in force the day it happened and the one now."""

    item: Item
    then: Revision | None
    now: Revision | None

    @property
    def title(self) -> str:
        """The policy's title as agents read it today."""
        rev = self.now or self.then or self.item.latest
        return rev.title if rev else self.item.slug

    @property
    def changed(self) -> bool:
        """True when the policy in force today is not the one in force when the case happened."""
        return self.now is not None and (self.then is None or self.then.id != self.now.id)


def happened_on(rev: Revision) -> date | None:
    """The case's ``happened_on`` date (None when absent or unreadable)."""
    raw = (rev.meta or {}).get("happened_on")
    try:
        return date.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        return None


def policy_changes(rev: Revision, today: date | None = None) -> list[PolicyStatus]:
    """Each policy the case lists, with the revision in force when it happened and today."""
    when = happened_on(rev)
    if when is None:
        return []
    out = []
    for slug in (rev.meta or {}).get("policies") or []:
        try:
            item = service.get_item(slug)
        except NotFound:
            continue
        if item.type != "policy":
            continue
        out.append(PolicyStatus(item, service.in_force(item, when), service.agent_revision(item, today)))
    return out
