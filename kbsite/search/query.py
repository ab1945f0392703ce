"""Turning what an agent typed or pasted into a small, safe Whoosh query.

User text never reaches Whoosh's query parser: it is folded, cut into
concepts (dictionary and synonym phrases first, then jieba words), reduced
to a handful of weighted key terms when long, expanded with synonyms, and
built into Term/And/Or objects field by field.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
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

MAX_QUERY_CHARS = 1000
_SPEAKER = re.compile(r"(?:^|\n)[ \t\u3000]*[\u4e00-\u9fffA-Za-z]{1,6}[ \t]*[:：]", re.MULTILINE)
SHORT_QUERY_CHARS = 24
SHORT_QUERY_CONCEPTS = 4
MAX_KEY_TERMS = 6
FIELD_BOOSTS = {"title": 2.5, "tags": 2.0, "summary": 1.5, "category": 1.0, "body": 1.0}
VARIANT_FIELDS = ("title", "tags", "summary", "body")
SYNONYM_BOOST = 0.8


@dataclass
class Concept:
    """One thing the user asked about, with the words that mean the same."""

    text: str
    weight: float = 1.0
    variants: list[str] = field(default_factory=list)
    corrected_from: str | None = None
    by_char: bool = False  # unknown word: every character must match instead


@dataclass
class QueryPlan:
    """The reduced, expanded form of a query, before it meets the index."""

    folded: str
    concepts: list[Concept]
    short: bool


class SynonymTable:
    """Query-time synonym groups, keyed by folded member."""

    def __init__(self, groups: Iterable[Sequence[str]] = ()):
        self.groups: list[list[str]] = []
        self.member_group: dict[str, int] = {}
        for group in groups:
            members = list(
                dict.fromkeys(w for w in (clean_text(str(m)).strip() for m in group) if w)
            )
            if len(members) < 2:
                continue
            index = len(self.groups)
            self.groups.append(members)
            for member in members:
                self.member_group.setdefault(member, index)

    def variants(self, word: str) -> list[str]:
        """The other members of ``word``'s group (empty when it has none)."""
        index = self.member_group.get(word)
        if index is None:
            return []
        return [m for m in self.groups[index] if m != word]


class PhraseScanner:
    """Longest-match scan for known multi-character phrases (dictionary, synonyms)."""

    def __init__(self, phrases: Iterable[str]):
        self.by_first: dict[str, list[str]] = {}
        for phrase in {p for p in phrases if len(p) >= 2}:
            self.by_first.setdefault(phrase[0], []).append(phrase)
        for options in self.by_first.values():
            options.sort(key=len, reverse=True)

    def extract(self, text: str) -> tuple[list[str], str]:
        """Found phrases in order, and the text with them blanked out."""
        found: list[str] = []
        rest: list[str] = []
        i = 0
        while i < len(text):
            match = next((p for p in self.by_first.get(text[i], ()) if text.startswith(p, i)), None)
            if match:
                found.append(match)
                rest.append(" ")
                i += len(match)
            else:
                rest.append(text[i])
                i += 1
        return found, "".join(rest)


def plan_query(
    raw: str, tk: jieba.Tokenizer, scanner: PhraseScanner, synonyms: SynonymTable
) -> QueryPlan:
    """Fold, segment and reduce a raw query to weighted concepts."""
    raw = strip_speakers(raw[: MAX_QUERY_CHARS * 2])
    folded = " ".join(clean_text(raw)[:MAX_QUERY_CHARS].split())
    phrases, rest = scanner.extract(folded)
    words = query_words(tk, rest)
    short = len(folded) <= SHORT_QUERY_CHARS and len(set(phrases + words)) <= SHORT_QUERY_CONCEPTS
    if short:
        chosen = [(w, 1.0) for w in dict.fromkeys(phrases + words)]
    else:
        chosen = _key_terms(phrases, words)
    concepts = _dedupe_by_group(chosen, synonyms)
    return QueryPlan(folded=folded, concepts=concepts, short=short)


def strip_speakers(text: str) -> str:
    """Drop the speaker labels of a pasted chat transcript (顾客：… 客服：…).

    Labels repeat on every line, so TF-IDF would otherwise pick 顾客/客服 as
    the message's key terms. Only text with two or more labelled lines counts
    as a transcript; a single "9:00" or "注意：" is left alone.
    """
    if len(_SPEAKER.findall(text)) < 2:
        return text
    return _SPEAKER.sub("\n", text)


def _key_terms(phrases: list[str], words: list[str]) -> list[tuple[str, float]]:
    """TF-IDF key terms of a long text; known domain phrases always win a place."""
    idf, median = idf_table()
    candidates = [w for w in words if len(w) >= 2]
    counts = Counter(candidates)
    scored = sorted(
        ((w, n * idf.get(w, median)) for w, n in counts.items()),
        key=lambda item: item[1],
        reverse=True,
    )
    chosen = [(p, 1.0) for p in dict.fromkeys(phrases)][:MAX_KEY_TERMS]
    if scored:
        top = scored[0][1]
        for word, score in scored:
            if len(chosen) >= MAX_KEY_TERMS:
                break
            if all(word != c for c, _ in chosen):
                chosen.append((word, 0.5 + 0.5 * score / top))
    return chosen


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


def combine(clauses: list[wq.Query], *, require_all: bool) -> wq.Query:
    """All clauses required (short queries) or any, scored by how many match."""
    if len(clauses) == 1:
        return clauses[0]
    return wq.And(clauses) if require_all else wq.Or(clauses)
