"""Turning what an agent typed or pasted into a small, safe Whoosh query.

User text never reaches Whoosh's query parser: it is folded, cut into
concepts (dictionary and synonym phrases first, then jieba words), reduced
to a handful of weighted key terms when long, expanded with synonyms, and
built into Term/And/Or objects field by field.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import jieba
from whoosh import query as wq

from kbsite.search import pinyin
from kbsite.search.analysis import (
    bigrams,
    clean_text,
    idf_table,
    index_terms,
    is_cjk,
    query_words,
)
from kbsite.search.patterns import implied_phrases

MAX_QUERY_CHARS = 1000
_SPEAKER = re.compile(r"(?:^|\n)[ \t\u3000]*[\u4e00-\u9fffA-Za-z]{1,6}[ \t]*[:：]", re.MULTILINE)
SHORT_QUERY_CHARS = 24
SHORT_QUERY_CONCEPTS = 4
MAX_KEY_TERMS = 6
FIELD_BOOSTS = {"title": 2.5, "tags": 2.0, "summary": 1.5, "category": 1.0, "body": 1.0}
VARIANT_FIELDS = ("title", "tags", "summary", "body")
SYNONYM_BOOST = 0.8
RELATED_FIELDS = ("title", "tags", "summary")  # a related word only in passing (the body) tells nothing
PHRASE_BONUS = 1.5
GENERIC_IDF = 5.6  # jieba IDF below this: 问题 4.0, 东西 4.8, 商品 5.3; 衣服 6.1 and 退款 10.1 stay
# Chat openers and hedges: they say nothing about the topic, in any position.
_FILLER_TEXT = """我想问下 想问下 想问一下 问下 想问 问问 请问一下 咨询 咨询一下 你好 您好 在吗 在不在 亲亲
    老板 掌柜 店家 客服你好 麻烦你 麻烦您 谢谢你 谢谢您 有没有 是不是 能否 行不行 可以吗 怎么回事 咋回事 咋办 咋
    怎么办 怎么弄 怎么搞 帮我 帮忙 帮我看看 看看 查查 查一下 一下子 告诉我 知道 请教 问一问 宝贝 这边 那边
    急急急 急 谢谢 感谢 拜托 点算 点办 点样 请问下 唔该 麻烦问下 咋整 咋弄 咋个办 啷个办 哪能办 怎么整 咋搞 咋个整
    点搞 点算好 怎么处理 如何处理 怎么解决 咋解决"""
FILLER = frozenset(_FILLER_TEXT.split())
MODALS = frozenset("能会要想可该得去来给让被把在再还都也就才又")
PRONOUNS = frozenset("我你他她它咱俺您")
# An amount or a pointer at one thing, not a topic: 两份, 三十块, 一米六五's parts, 好几天, 第二次, 这瓶, 那张.
_NUMERALS = "零〇一二三四五六七八九十百千万亿两半0-9"  # not 几: 几天 asks how long, a topic of its own
_MEASURES = "个件份条双套只支瓶袋盒箱包张台次回遍天年月周日号斤公米块元毛角分码岁层楼位把本颗粒根片罐桶听提打"
_QUANTITY = re.compile(rf"^(?:第|多)?(?:好几|[{_NUMERALS}]+)(?:多|来|余)?个?[{_MEASURES}]?$|^[这那哪每各该此本][{_MEASURES}]$")


Held = Callable[[str], bool]  # whether some entry of the library holds a word


@dataclass
class Concept:
    """One thing the user asked about, with the words that mean the same."""

    text: str
    weight: float = 1.0
    variants: list[str] = field(default_factory=list)
    corrected_from: str | None = None
    by_char: bool = False  # unknown word: every character must match instead
    soft: bool = False  # generic word (问题, 东西, a lone character): ranks, never required
    unknown: bool = False  # no entry of the library holds this word
    absent: list[str] = field(default_factory=list)  # synonyms no entry holds: not searched, still marked
    related: list[str] = field(default_factory=list)  # unknown word: library words sharing a telling character


@dataclass
class QueryPlan:
    """The reduced, expanded form of a query, before it meets the index."""

    folded: str
    concepts: list[Concept]
    short: bool


class SynonymTable:
    """Query-time synonym groups, keyed by folded member.

    A customer word may belong to several concepts (坏了 is transit damage or a
    repair case): it expands to the members of every group that lists it, and
    its first group is the concept it stands for when deduplicating.
    """

    def __init__(self, groups: Iterable[Sequence[str]] = ()):
        self.groups: list[list[str]] = []
        self.member_groups: dict[str, list[int]] = {}
        for group in groups:
            members = list(
                dict.fromkeys(w for w in (clean_text(str(m)).strip() for m in group) if w)
            )
            if len(members) < 2:
                continue
            index = len(self.groups)
            self.groups.append(members)
            for member in members:
                self.member_groups.setdefault(member, []).append(index)
        self.member_group = {m: found[0] for m, found in self.member_groups.items()}

    def variants(self, word: str) -> list[str]:
        """The other members of every group of ``word`` (empty when it has none)."""
        out: dict[str, None] = {}
        for index in self.member_groups.get(word, ()):
            out.update((m, None) for m in self.groups[index] if m != word)
        return list(out)


class PhraseScanner:
    """Longest-match scan for known multi-character phrases (dictionary, synonyms)."""

    def __init__(self, phrases: Iterable[str]):
        self.by_first: dict[str, list[str]] = {}
        for phrase in {p for p in phrases if len(p) >= 2}:
            self.by_first.setdefault(phrase[0], []).append(phrase)
        for options in self.by_first.values():
            options.sort(key=len, reverse=True)

    def every(self, text: str) -> list[str]:
        """Every phrase occurring in ``text``, overlapping ones included, in order."""
        return [
            p for i, ch in enumerate(text) for p in self.by_first.get(ch, ()) if text.startswith(p, i)
        ]

    def extract(self, text: str) -> tuple[list[str], str]:
        """Found phrases in order, and the text with them blanked out.

        The phrases chosen cover as many characters as possible (then: as few
        phrases as possible), so 微信支付宝 reads 微信 / 支付宝, not 微信支付 / 宝.
        """
        n = len(text)
        # best[i] = (covered, -phrases, phrase starting at i or "") for text[i:]
        best: list[tuple[int, int, str]] = [(0, 0, "")] * (n + 1)
        for i in range(n - 1, -1, -1):
            covered, count, _ = best[i + 1]
            choice = (covered, count, "")
            for phrase in self.by_first.get(text[i], ()):
                if text.startswith(phrase, i):
                    after = best[i + len(phrase)]
                    option = (after[0] + len(phrase), after[1] - 1, phrase)
                    # On a tie the phrase starting here wins (left to right), then the longer one.
                    if option[:2] > choice[:2] or (option[:2] == choice[:2] and not choice[2]):
                        choice = option
            best[i] = choice
        found: list[str] = []
        rest: list[str] = []
        i = 0
        while i < n:
            phrase = best[i][2]
            if phrase:
                found.append(phrase)
                rest.append(" ")
                i += len(phrase)
            else:
                rest.append(text[i])
                i += 1
        return found, "".join(rest)


def plan_query(
    raw: str, tk: jieba.Tokenizer, scanner: PhraseScanner, synonyms: SynonymTable,
    held: Held | None = None,
) -> QueryPlan:
    """Fold, segment and reduce a raw query to weighted concepts.

    ``held`` (whether some entry holds a word) keeps a long text's key terms to
    words that can find something in this library.
    """
    raw = strip_speakers(raw[: MAX_QUERY_CHARS * 2])
    folded = " ".join(clean_text(raw)[:MAX_QUERY_CHARS].split())
    phrases, rest = scanner.extract(folded)
    phrases = [p for p in phrases if p not in FILLER]
    words = [w for w in _join_amounts(_drop_modal(query_words(tk, rest))) if w not in FILLER]
    # an implied phrase restates words already counted: it does not make a question long
    short = len(folded) <= SHORT_QUERY_CHARS and len(set(phrases + words)) <= SHORT_QUERY_CONCEPTS
    phrases += [p for p in implied_phrases(folded) if p not in phrases]  # 满199减20 → 满减, 黑色…白色 → 发错
    if short:
        chosen = [(w, 1.0) for w in dict.fromkeys(phrases + words)]
    else:
        # A long text keeps overlapping phrases too (过了七天 in 过了七天无理由).
        extra = [p for p in scanner.every(folded) if p not in FILLER and p not in phrases]
        # Past a typed question's length, a word no entry holds is noise more often than not.
        pasted = len(folded) > SHORT_QUERY_CHARS
        chosen = _key_terms(phrases + extra, words, _held_by_group(held, synonyms) if pasted else None)
        chosen = chosen or [(w, 1.0) for w in dict.fromkeys(words)]
        phrases = phrases + extra
    concepts = _dedupe_by_group(chosen, synonyms)
    known = set(phrases)
    for concept in concepts:
        concept.soft = not (concept.text in known or concept.variants) and is_generic(concept.text)
    if all(c.soft for c in concepts):  # nothing but generic words: require those that name something
        for concept in [c for c in concepts if not _QUANTITY.match(c.text)] or concepts:
            concept.soft = False
    return QueryPlan(folded=folded, concepts=concepts, short=short)


def _join_amounts(words: list[str]) -> list[str]:
    """半个 + 月 → 半个月: jieba leaves the unit of an amount on its own, where it reads as a topic."""
    out: list[str] = []
    for word in words:
        if out and len(word) == 1 and word in _MEASURES and _QUANTITY.match(out[-1]):
            out[-1] += word
        else:
            out.append(word)
    return out


def _drop_modal(words: list[str]) -> list[str]:
    """能修 → 修, 想退 → 退, 我查 → 查: jieba glues a modal verb or a pronoun to the one character
    that follows it, and the pair would then count as a rare word of its own."""
    return [w[1:] if len(w) == 2 and (w[0] in MODALS or (w[0] in PRONOUNS and w[1] != "们")) and is_cjk(w)
            else w for w in words]


def is_generic(word: str) -> bool:
    """A word too common to require: a lone ideograph, a bare number, an amount, or a word used everywhere."""
    if word.isascii():
        return word.isdigit()
    if len(word) == 1 or _QUANTITY.match(word):
        return True
    idf, _median = idf_table()
    return idf.get(word, GENERIC_IDF) < GENERIC_IDF


def strip_speakers(text: str) -> str:
    """Drop the speaker labels of a pasted chat transcript (顾客：… 客服：…).

    Labels repeat on every line, so TF-IDF would otherwise pick 顾客/客服 as
    the message's key terms. Only text with two or more labelled lines counts
    as a transcript; a single "9:00" or "注意：" is left alone.
    """
    if len(_SPEAKER.findall(text)) < 2:
        return text
    return _SPEAKER.sub("\n", text)


def _held_by_group(held: Held | None, synonyms: SynonymTable) -> Held | None:
    """Whether some entry holds a word or one of its synonyms."""
    if held is None:
        return None
    return lambda word: any(held(w) for w in [word, *synonyms.variants(word)])


def _key_terms(
    phrases: list[str], words: list[str], held: Held | None = None
) -> list[tuple[str, float]]:
    """TF-IDF key terms of a long text; the library's own phrases count extra.

    Phrases (dictionary words, synonym members) are scored like any word, times
    ``PHRASE_BONUS``, so a pasted message keeps its domain terms (发票, 尺码)
    while a colloquial member that happens to occur (大小) competes fairly.
    With ``held``, a word no entry holds is not a key term: it can only match by
    its characters (我发 → 我 and 发), and it takes the place of a word that tells.
    """
    idf, median = idf_table()
    counts = Counter([w for w in words if len(w) >= 2 and not is_generic(w)])
    phrase_counts = Counter(phrases)
    scores: dict[str, float] = {}
    for word, n in counts.items():
        scores[word] = n * idf.get(word, median)
    for phrase, n in phrase_counts.items():
        scores[phrase] = (n + counts.get(phrase, 0)) * idf.get(phrase, median) * PHRASE_BONUS
    if held is not None:
        scores = {word: score for word, score in scores.items() if held(word)}
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:MAX_KEY_TERMS]
    if not ranked:
        return []
    top = ranked[0][1]
    return [(word, 0.5 + 0.5 * score / top) for word, score in ranked]


def _dedupe_by_group(chosen: list[tuple[str, float]], synonyms: SynonymTable) -> list[Concept]:
    concepts: list[Concept] = []
    seen_groups: set[int] = set()
    for word, weight in chosen:
        group = synonyms.member_group.get(word)
        if group is not None:
            if group in seen_groups:
                continue
            seen_groups.add(group)
        concepts.append(Concept(word, weight, synonyms.variants(word)))
    return concepts


def term_forms(tk: jieba.Tokenizer, word: str) -> list[list[str]]:
    """Alternative term sets that each find ``word``: the word itself, or all its bigrams."""
    if is_cjk(word):
        return [[word]] if len(word) <= 2 else [[word], bigrams(word)]
    tokens = list(dict.fromkeys(index_terms(tk, word)))
    if not tokens:
        return []
    if word in tokens:
        others = [t for t in tokens if t != word]
        return [[word], others] if others and not word.isascii() else [[word]]
    return [tokens]


def word_query(
    tk: jieba.Tokenizer, word: str, boost: float = 1.0, fields: Sequence[str] = tuple(FIELD_BOOSTS)
) -> wq.Query | None:
    """Query for one word over the weighted text fields."""
    forms = term_forms(tk, word)
    if not forms:
        return None
    per_field: list[wq.Query] = []
    for fieldname in fields:
        field_boost = FIELD_BOOSTS[fieldname]
        alternatives: list[wq.Query] = []
        for terms in forms:
            subs = [wq.Term(fieldname, t) for t in terms]
            alternatives.append(subs[0] if len(subs) == 1 else wq.And(subs))
        if len(word) == 1 and is_cjk(word):
            alternatives.append(wq.Prefix(fieldname, word))
        per_field.append(wq.Or(alternatives, boost=field_boost * boost))
    return wq.Or(per_field)


def concept_query(tk: jieba.Tokenizer, concept: Concept) -> wq.Query | None:
    """Query for a concept: its own word, plus its synonyms slightly lower."""
    if concept.by_char:
        chars = [word_query(tk, ch) for ch in concept.text]
        return wq.And([c for c in chars if c], boost=concept.weight)
    parts = [word_query(tk, concept.text)]
    # Synonyms skip the category field: it costs a fifth of the matching and adds little.
    parts += [word_query(tk, v, SYNONYM_BOOST, VARIANT_FIELDS) for v in concept.variants]
    parts.append(pinyin.query_clause(concept.text))
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    return wq.Or(kept, boost=concept.weight)


def related_query(tk: jieba.Tokenizer, concept: Concept, boost: float) -> wq.Query | None:
    """Query for the library words related to an unknown concept by a character (``related.py``)."""
    parts = [word_query(tk, w, fields=RELATED_FIELDS) for w in concept.related]
    kept = [p for p in parts if p is not None]
    return wq.Or(kept, boost=boost) if kept else None
