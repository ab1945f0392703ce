"""Finding key points in a reply by meaning, not as bare substrings.

A point is looked for through its phrasings and their variants (synonym groups,
built-in paraphrases, numbers written in Chinese), then through near wordings
(most of a phrasing's characters in order inside one clause). A match does not
count when the clause refuses it ("不能给您换", "这个退不了") or when the clause
was copied from the customer's own messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from kbsite.numerals import read_number
from kbsite.textnorm import fold_chars
from kbsite.training.replygrading import concepts
from kbsite.training.replygrading.paraphrases import GROUPS, chinese_number
from kbsite.training.replygrading.text import Reply, find_all, ngrams, squash

MAX_VARIANTS = 400
COPY_GRAM = 4
COPIED_CLAUSE = 0.6
NEGATORS = ("不", "没", "无法", "没法", "未", "别", "拒绝", "不予", "勿", "无权")
# What may stand between a negator and the key phrase without undoing the negation.
_FILLER = re.compile(r"^(能|可以|可|会|给|您|你|帮|为|再|去|来|要|用|予|让|我|们|做|到|支持|接受|提供|办理|"
                     r"处理|同意|允许|能够|得|了|这边|这个|直接|太|都|也|就|还|有|备注|安排|申请|"
                     r"帮忙|进行|包|负责|再给|一律)*$")
_AFTER = re.compile(r"^.{0,3}?(不了|不成|不到|不行|不可能|不可以|没办法|办不到|做不到|不用了|就不用|也没用|没用|算了|免了)")
# "运费我们也不承担": the statement made, then denied right after.
_DENIED_AFTER = re.compile(r"^(也|就|都|还|是|可|会|们)?(不|没|无法|没法)(?!用|需|必|好意思|客气|担心|着急|急)")
# A modal refusal governs the verb phrase after it, up to a few words: "不能取消退款", "没法按空包给您
# 退款". What stands between must not turn the sentence around ("没法加急，但会优先给您退款").
_MODAL_SCOPE = re.compile(r"(?:不能|不可以|无法|没法|没办法|不支持|不予|不给)([\u4e00-\u9fff]{0,8})$")
_TURN = re.compile(r"但|不过|可以|可|能|会|却|而|先|只|另|改")
# The thing itself declared not needed right after it: "开箱视频也不用再发了", "照片就不需要提供了".
_NOT_NEEDED_AFTER = re.compile(r"^[^，。！？；]{0,2}?(?:也|就|都|便)?(?:不用|不需要|无需|不必)(?:您)?(?:再)?"
                               r"(?:发|提供|给|拍|上传|传|补|寄|录)")
_ENDS_IN_SUBJECT = re.compile(r"(?:我们|我|咱们|本店|店里)$")
_OWN_FAULT = re.compile(r"^(?:也|就|都|还)?(?:没有|没|不)(?:把|做|处理|注意|检查|核实|及时|到位|对|够|周到|跟进|发现|考虑|看)")
_NEGATIVE_PHRASE = re.compile(r"[不没无未别勿非]")
_RANGE = re.compile(r"(?<=\d)[到至~～—–](?=\d)")
_NUMBER = re.compile(r"\d{1,2}")


@dataclass(frozen=True)
class Variant:
    """A wording that shows a point: ``how`` is phrasing | synonym | number."""

    text: str
    how: str


@dataclass
class PointFinding:
    """What was found for one key point: ``level`` is met | weak | missed."""

    name: str
    level: str
    evidence: str | None = None
    how: str | None = None
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (wording, negated|copied)


def normal(text: str) -> str:
    """Folded text with numbers in digits and ranges written one way (五到十个 → 5-10个, 两瓶 → 2瓶)."""
    return canonical(text)[0]


def canonical(text: str) -> tuple[str, list[int], list[int]]:
    """``normal`` text and, per character, the span ``[start, end)`` of the folded text it came from.

    Counted numbers are written in digits whatever the spelling (两/二/2), so a
    phrasing matches however the reply spells them; the offsets map a match back
    onto the reply.
    """
    folded = fold_chars(text)
    out: list[str] = []
    where: list[int] = []
    ends: list[int] = []
    last = 0
    for m in _CN_COUNT.finditer(folded):
        value = read_number(m.group())
        if value is None:
            continue
        out.extend(folded[last:m.start()])
        where.extend(range(last, m.start()))
        ends.extend(range(last + 1, m.start() + 1))
        digits = str(int(value))
        out.extend(digits)
        where.extend([m.start()] * len(digits))
        ends.extend([m.end()] * len(digits))
        last = m.end()
    out.extend(folded[last:])
    where.extend(range(last, len(folded)))
    ends.extend(range(last + 1, len(folded) + 1))
    return _RANGE.sub("-", "".join(out)), where, ends


# A Chinese number that counts something (a unit or measure word follows, or it ends a range).
_CN_COUNT = re.compile(r"[零一二两三四五六七八九十百]+(?=个|小时|钟头|分钟|天|日|周|星期|月|年|元|块|瓶|件|只|双|套|台|张|"
                       r"次|码|号|倍|份|盒|袋|箱|支|[-到至~～—–][零一二两三四五六七八九十百\d])|"
                       r"(?<=[-到至~～—–])[零一二两三四五六七八九十百]+(?=个|小时|钟头|分钟|天|日|周|星期|月|年|元|块)")


@lru_cache(maxsize=8)
def _groups(synonyms: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(normal(w) for w in g) for g in (*GROUPS, *synonyms))


def _swaps(phrase: str, groups: Iterable[Sequence[str]]) -> Iterable[str]:
    for group in groups:
        for member in group:
            if len(member) >= 2 and member in phrase:
                for other in group:
                    if other != member:
                        yield phrase.replace(member, other)


def _numbers(phrase: str) -> Iterable[str]:
    if _NUMBER.search(phrase):
        yield _NUMBER.sub(lambda m: chinese_number(int(m.group())), phrase)


def variants(phrasings: Sequence[str], synonyms: Sequence[Sequence[str]]) -> list[Variant]:
    """Every wording of a point, phrasings first, without duplicates."""
    groups = _groups(tuple(tuple(str(w) for w in g) for g in synonyms))
    seen: dict[str, Variant] = {}
    for raw in phrasings:
        p = normal(raw).strip()
        if p:
            seen.setdefault(p, Variant(p, "phrasing"))
    for base in list(seen):
        for text in (*_swaps(base, groups), *_numbers(base)):
            if text and len(seen) < MAX_VARIANTS:
                seen.setdefault(text, Variant(text, "synonym"))
    return list(seen.values())


class CopyMap:
    """Which characters of the reply also appear, as runs of ``COPY_GRAM``, in the customer's words."""

    def __init__(self, reply: Reply, customer_lines: Sequence[str]) -> None:
        grams = set().union(*(ngrams(squash(line), COPY_GRAM) for line in customer_lines)) if customer_lines else set()
        text = reply.folded
        self.covered = [False] * len(text)
        content = [(i, ch) for i, ch in enumerate(text) if ch.isalnum()]
        chars = "".join(ch for _, ch in content)
        for k in range(len(chars) - COPY_GRAM + 1):
            if chars[k:k + COPY_GRAM] in grams:
                for j in range(k, k + COPY_GRAM):
                    self.covered[content[j][0]] = True
        self.content_positions = [i for i, _ in content]

    def share(self, start: int = 0, end: int | None = None) -> float:
        """Share of content characters in [start, end) that were copied."""
        positions = [i for i in self.content_positions if start <= i < (len(self.covered) if end is None else end)]
        return sum(self.covered[i] for i in positions) / len(positions) if positions else 0.0


def is_negated(reply: Reply, start: int, end: int, phrase: str) -> bool:
    """A negator right before the phrase (only fillers between) or a refusal right after it."""
    if _NEGATIVE_PHRASE.search(phrase):
        return False  # the point itself is a refusal ("无法提供"), so a negator is its meaning
    clause = reply.clause_at(start)
    if clause is None:
        return False
    before = reply.folded[clause.start:start]
    after = reply.folded[end:clause.end]
    for neg in NEGATORS:
        at = before.rfind(neg)
        if at >= 0 and _FILLER.match(before[at + len(neg):]):
            return True
    scope = _MODAL_SCOPE.search(before)
    if scope and not _TURN.search(scope.group(1)):
        return True
    # A phrase ending in its subject ("确实是我们") is completed by what follows, and "是我们没把好关"
    # admits the fault: a negator right after it is its predicate, not a denial of it.
    denied = _DENIED_AFTER.match(after) and not (_ENDS_IN_SUBJECT.search(phrase) and _OWN_FAULT.match(after))
    return bool(_AFTER.match(after) or denied or _NOT_NEEDED_AFTER.match(after))


def _lcs(a: str, b: str) -> int:
    prev = [0] * (len(b) + 1)
    for ch in a:
        cur = [0]
        for j, other in enumerate(b):
            cur.append(prev[j] + 1 if ch == other else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def near(reply: Reply, phrase: str) -> tuple[float, int, int] | None:
    """The best window of one clause holding most of the phrase's characters in order."""
    if len(phrase) < 4:
        return None
    best = None
    width = len(phrase) + 2
    for clause in reply.clauses:
        text = clause.text
        for i in range(max(1, len(text) - width + 1)):
            window = text[i:i + width]
            ratio = _lcs(phrase, window) / len(phrase)
            if best is None or ratio > best[0]:
                best = (ratio, clause.start + i, clause.start + i + len(window))
    return best


def find_point(name: str, wordings: Sequence[Variant], ideas: Sequence[str], reply: Reply, copies: CopyMap,
               near_met: float, near_weak: float) -> PointFinding:
    """Look for one point: wordings, then the point's concepts, then near wordings."""
    finding = PointFinding(name, "missed")
    text, where, ends = canonical(reply.raw)
    found = [(start, start + len(v.text), v.how) for v in wordings for start in find_all(text, v.text)]
    found += [(start, end, "concept") for idea in ideas for start, end in concepts.find(idea, text)]
    spans = [(where[s], ends[e - 1], how) for s, e, how in found if e > s]
    text = reply.folded
    accepted = None
    for start, end, how in spans:
        reason = _rejection(reply, copies, start, end, text[start:end])
        if reason is None:
            accepted = accepted or (start, end, how)
        elif (reply.raw[start:end], reason) not in finding.rejected:
            finding.rejected.append((reply.raw[start:end], reason))
    if accepted is None:
        return _near_finding(finding, wordings, reply, copies, near_met, near_weak)
    start, end, how = accepted
    refused = any(reason == "negated" for _, reason in finding.rejected)
    # The same point both made and refused ("不能加急……优先发货") is for a trainer to judge.
    finding.level = "weak" if refused else "met"
    finding.evidence, finding.how = reply.raw[start:end], how
    return finding


def _rejection(reply: Reply, copies: CopyMap, start: int, end: int, phrase: str) -> str | None:
    if is_negated(reply, start, end, phrase):
        return "negated"
    clause = reply.clause_at(start)
    if clause is not None and copies.share(clause.start, clause.end) >= COPIED_CLAUSE:
        return "copied"
    return None


def _near_finding(finding: PointFinding, wordings: Sequence[Variant], reply: Reply, copies: CopyMap,
                  near_met: float, near_weak: float) -> PointFinding:
    best = None
    for variant in wordings:
        hit = near(reply, variant.text)
        if hit and (best is None or hit[0] > best[0]):
            best = (*hit, variant.text)
    if best is None or best[0] < near_weak:
        return finding
    ratio, start, end, phrase = best
    window = reply.folded[start:end]
    if set(_NEGATIVE_PHRASE.findall(window)) - set(phrase) or _rejection(reply, copies, start, end, phrase):
        return finding
    finding.level = "met" if ratio >= near_met else "weak"
    finding.evidence, finding.how = reply.raw[start:end], "near"
    return finding
