"""Correcting one-character slips and homophones against the index vocabulary.

Customers and agents type with pinyin input methods, so most slips are
homophones (运废 → 运费, 退宽 → 退款). The vocabulary is the CJK terms of the
title, tags and summary fields; candidates are found by toneless pinyin
first, then by one differing character, and ranked by document frequency.

A correct word is never rewritten: a string that jieba's general dictionary
holds with at least ``KNOWN_FREQ`` occurrences (空调, 奶粉, 白条) is known even
when the library never uses it. A rarer dictionary entry (优惠卷, 视屏: common
misspellings that made it into the dictionary) is corrected only to a
homophone that general Chinese uses far more. A correction is always a real
word (in the general dictionary or the library's own lexicon), never an index
bigram such as 条可. Pinyin is compared with the pairs many speakers merge
folded (投述 → 投诉: shu/su), true homophones first.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

from kbsite.search.analysis import is_cjk, pinyin_keys, primary_pinyin
from kbsite.search.query import QueryPlan, SynonymTable
from kbsite.search.scoring import per_segment

VOCAB_FIELDS = ("title", "tags", "summary")
MIN_LEN, MAX_LEN = 2, 6
MAX_RELATED_LEN = 3  # longest library word a character-level fallback may reach (related.py)
KNOWN_FREQ = 5  # jieba dictionary count from which a word is taken as correctly written
RARE_RATIO = 10  # a rare dictionary entry yields only to a homophone this many times commoner
NUMERALS = frozenset("一二两三四五六七八九十百千万几多半每")
MAX_HOMOPHONES = 2  # library homophones a correct but unused word also looks for
Frequency = Callable[[str], int]


class SegmentVocabulary:
    """The CJK terms of one immutable segment, indexed by pinyin and by masked spelling."""

    def __init__(self, leaf) -> None:
        self.df: dict[str, int] = defaultdict(int)
        for fieldname in VOCAB_FIELDS:
            if fieldname not in leaf.schema:
                continue
            for raw, info in leaf.iter_field(fieldname):
                term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                if MIN_LEN <= len(term) <= MAX_LEN and is_cjk(term):
                    self.df[term] += info.doc_frequency()
        self.by_pinyin: dict[str, list[str]] = defaultdict(list)  # common reading, merged pairs folded
        self.by_reading: dict[str, list[str]] = defaultdict(list)  # common reading, exact
        self.by_mask: dict[str, list[str]] = defaultdict(list)
        self.by_char: dict[str, list[str]] = defaultdict(list)  # terms of 2–3 characters, by character
        for term in self.df:
            self.by_pinyin[sound_key(term)].append(term)
            self.by_reading[primary_pinyin(term)].append(term)
            for i in range(len(term)):
                self.by_mask[_mask(term, i)].append(term)
            if len(term) <= MAX_RELATED_LEN:
                for ch in set(term):
                    self.by_char[ch].append(term)


class SlipCorrector:
    """Vocabulary of one reader generation: the vocabularies of its segments.

    Segments never change once written, so ``cache`` (segment id → vocabulary,
    owned by the engine) lets a new searcher after a save build only the new
    small segment instead of re-reading the whole index (0.6 s at 10k entries).
    """

    def __init__(self, reader, cache: dict[str, SegmentVocabulary] | None = None) -> None:
        self.parts = per_segment({} if cache is None else cache, reader.leaf_readers(), SegmentVocabulary)

    def frequency(self, term: str) -> int:
        """Documents holding ``term`` in the vocabulary fields, over all segments."""
        return sum(part.df.get(term, 0) for part in self.parts)

    def correct(self, word: str, general: Frequency, lexicon: frozenset[str] = frozenset()) -> str | None:
        """The most frequent known word that sounds like, or differs by one character from, ``word``.

        ``general`` gives a word's count in jieba's dictionary; ``lexicon`` is the
        library's own words (dictionary and synonyms). None when ``word`` is known.
        """
        if not (MIN_LEN <= len(word) <= MAX_LEN and is_cjk(word)) or self.frequency(word):
            return None
        if len(word) == 2 and word[0] in NUMERALS:
            return None  # a count and its measure word (几桶, 两箱, 三罐), not a slip
        own = general(word)
        if own >= KNOWN_FREQ or word in lexicon:
            return None

        def is_word(term: str) -> bool:
            return term in lexicon or general(term) >= max(1, own * RARE_RATIO)

        exact = set(pinyin_keys(word))
        sounds = {t for t in self._sounding_like(word) if is_word(t)}
        if sounds:
            # A true homophone (正频 → 正品) before one that only sounds alike to some (赠品).
            same = {t for t in sounds if primary_pinyin(t) in exact}
            return max(sorted(same or sounds), key=self.frequency)
        if own:
            return None  # a dictionary entry: only a homophone may replace it
        # Two characters with one changed is any pair sharing a character (宝能 → 不能): homophones only.
        near = {
            t
            for part in self.parts
            for i in range(len(word))
            for t in part.by_mask.get(_mask(word, i), ())
            if len(word) >= 3 and is_word(t)
        }
        return max(sorted(near), key=self.frequency) if near else None

    def _sounding_like(self, word: str) -> set[str]:
        """Library words that sound like ``word`` typed with a pinyin input method.

        Read the common way, ``word`` may differ by a pair many speakers merge (投述 → 投诉); read
        by a rarer reading of a character, it must sound exactly alike (还货 → 换货), so that a rare
        reading and a merged pair together never make a homophone (自提 is not 支持).
        """
        merged, exact = sound_key(word), pinyin_keys(word)
        return {
            t
            for part in self.parts
            for found in (part.by_pinyin.get(merged, ()), *(part.by_reading.get(k, ()) for k in exact))
            for t in found
        }

    def homophones(self, word: str, general: Frequency, lexicon: frozenset[str]) -> list[str]:
        """Library words that sound exactly like ``word`` (a correct word the library never uses).

        A slip into another real word (少见 for 少件, 异位 for 异味) cannot be told from a
        correct word, so it is never rewritten; the engine only also looks for these, as a
        weak alternative. At most ``MAX_HOMOPHONES``, real words only.
        """
        if not (MIN_LEN <= len(word) <= MAX_LEN and is_cjk(word)):
            return []
        exact = set(pinyin_keys(word))
        found = {
            t
            for t in self._sounding_like(word)
            if t != word and (t in lexicon or general(t) >= KNOWN_FREQ) and primary_pinyin(t) in exact
        }
        # The library's own terms (dictionary, synonyms) first: 异位 → 异味, not 一位.
        return sorted(sorted(found), key=lambda t: (t in lexicon, self.frequency(t)), reverse=True)[:MAX_HOMOPHONES]


_FUZZY = [(re.compile(r"\b([zcs])h"), r"\1"), (re.compile(r"\bl"), "n"), (re.compile(r"([aei])ng\b"), r"\1n")]


def sound_key(word: str) -> str:
    """The common reading of ``word`` with the pairs many speakers merge folded (sh/s, zh/z, ch/c, l/n, -ng/-n)."""
    key = primary_pinyin(word)
    for pattern, repl in _FUZZY:
        key = pattern.sub(repl, key)
    return key


def _mask(term: str, i: int) -> str:
    return term[:i] + "\x00" + term[i + 1 :]


MAX_SUGGESTED_CHARS = 60  # a longer text is a pasted message: corrected silently, never suggested


def correct_plan(
    plan: QueryPlan, corrector: SlipCorrector, general: Frequency, lexicon: frozenset[str],
    synonyms: SynonymTable,
) -> str | None:
    """Correct the plan's unknown words in place; return the corrected query to suggest, if any."""
    corrected = False
    for concept in plan.concepts:
        if not is_cjk(concept.text) or not concept.unknown:
            continue
        fix = corrector.correct(concept.text, general, lexicon)
        if fix:
            concept.corrected_from, concept.text = concept.text, fix
            concept.variants = synonyms.variants(fix)
            concept.soft = concept.unknown = False
            corrected = True
        elif len(concept.text) == 2 and general(concept.text) < KNOWN_FREQ:
            concept.by_char = True  # two characters jieba left single, e.g. 能退/换吗
        elif general(concept.text) >= KNOWN_FREQ:
            # A real word the library never uses: kept as typed (still unknown, so never required
            # and never "high"), but its exact homophones in the library are looked for too.
            concept.variants = [*concept.variants, *corrector.homophones(concept.text, general, lexicon)]
    if not corrected or len(plan.folded) > MAX_SUGGESTED_CHARS:
        return None
    suggestion = plan.folded
    for concept in plan.concepts:
        if concept.corrected_from:
            suggestion = suggestion.replace(concept.corrected_from, concept.text)
    return suggestion
