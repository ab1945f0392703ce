"""Character-level fallback: library words sharing a telling character with a word no entry holds.

Customers use words the library never does, and the two often share the character
that carries the meaning: 电灯 and 灯具, 抵用券 and 优惠券, 关口 and 海关, 梆硬 and
偏硬. For such a word the engine also looks, at a low weight, for a few of the
library's own words (terms of the title, tags and summary fields that are real
words) that share one of its *informative* characters: not a function character
(的, 了, 能, 一), not one general Chinese builds a great many words with (子, 头,
性, 家: suffixes and hubs, judged on jieba's dictionary), and not one that many of
this library's own words contain (judged against the size of its vocabulary).
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

import jieba

from kbsite.search.analysis import STOP_WORDS, is_cjk
from kbsite.search.query import MODALS, QueryPlan
from kbsite.search.slips import NUMERALS, SegmentVocabulary

CHAR_SHARE = 0.3  # weight of the fallback beside the word it stands for
MIN_WORD, MAX_WORD = 2, 4  # lengths of an unknown word that gets a fallback
MAX_RELATED = 3  # library words one unknown word may reach
INFORMATIVE_SHARE = 0.01  # a character in more than this share of the library's words tells little…
MIN_INFORMATIVE = 3  # …but in a small library, a character in this many words still tells
GENERAL_SHARE = 0.0045  # in more than this share of the dictionary's words (子 1.4%, 头 0.55%): a suffix or hub
GENERAL_MIN_FREQ = 5  # dictionary words counted for GENERAL_SHARE (slips.KNOWN_FREQ)
FUNCTION_CHARS = frozenset(w for w in STOP_WORDS if len(w) == 1) | MODALS | NUMERALS
IsWord = Callable[[str], bool]


@lru_cache(maxsize=8)
def general_char_shares(tk: jieba.Tokenizer) -> dict[str, float]:
    """Share of the dictionary's words of 2–3 characters that contain each character (built once)."""
    counts: Counter[str] = Counter()
    words = 0
    for word, freq in tk.FREQ.items():
        if freq >= GENERAL_MIN_FREQ and 2 <= len(word) <= 3:
            words += 1
            counts.update(set(word))
    return {ch: n / words for ch, n in counts.items()} if words else {}


class CharNeighbours:
    """The library's real words by character, over one reader generation's vocabularies."""

    def __init__(self, parts: list[SegmentVocabulary], is_word: IsWord, general: dict[str, float]) -> None:
        self.parts = parts
        self.is_word = is_word
        self.general = general  # general_char_shares
        self._by_char: dict[str, tuple[str, ...]] = {}
        self._size: int | None = None
        self._lock = threading.Lock()

    def words_with(self, ch: str) -> tuple[str, ...]:
        """Real library words of 2–3 characters that contain ``ch``."""
        found = self._by_char.get(ch)
        if found is None:
            terms = {t for part in self.parts for t in part.by_char.get(ch, ())}
            found = tuple(sorted(t for t in terms if self._real(t)))
            with self._lock:
                self._by_char[ch] = found
        return found

    def vocabulary_size(self) -> int:
        """How many real words of 2–3 characters the library holds."""
        if self._size is None:
            terms = {t for part in self.parts for words in part.by_char.values() for t in words}
            self._size = sum(1 for t in terms if self._real(t))
        return self._size

    def _real(self, term: str) -> bool:
        """A word of the library's vocabulary, not a bigram that only happens to stand in its text."""
        return term not in STOP_WORDS and self.is_word(term)

    def informative(self, ch: str) -> float:
        """How telling ``ch`` is in this library (log inverse share of its words); 0 when it is not."""
        if ch in FUNCTION_CHARS or not is_cjk(ch) or self.general.get(ch, 0.0) > GENERAL_SHARE:
            return 0.0
        count = len(self.words_with(ch))
        size = self.vocabulary_size()
        if not count or count > max(MIN_INFORMATIVE, INFORMATIVE_SHARE * size):
            return 0.0
        return math.log((size + 1) / count)

    def related(self, word: str, frequency: Callable[[str], int]) -> list[str]:
        """Up to ``MAX_RELATED`` library words sharing ``word``'s informative characters.

        Words sharing more telling characters come first, then those more entries use
        (``frequency``: documents holding the word), so a library's central word wins.
        """
        weights = {ch: w for ch in set(_content_chars(word)) if (w := self.informative(ch))}
        scores: dict[str, float] = {}
        for ch, weight in weights.items():
            for term in self.words_with(ch):
                if term != word:
                    scores[term] = scores.get(term, 0.0) + weight
        ranked = sorted(scores, key=lambda t: (-scores[t], -frequency(t), t))
        return ranked[:MAX_RELATED]


def _content_chars(word: str) -> str:
    """``word`` without the characters of the function words inside it (啥时候 → nothing: 啥, 时候)."""
    for stop in sorted((w for w in STOP_WORDS if 2 <= len(w) <= len(word) and w in word), key=len, reverse=True):
        word = word.replace(stop, " ")
    return word.replace(" ", "")


def relate_plan(plan: QueryPlan, neighbours: CharNeighbours, frequency: Callable[[str], int]) -> None:
    """Give each unknown key word of the plan its related library words (``Concept.related``).

    Also when the library holds none of the query's words: the entries a shared character
    finds are shown, but a plan holding nothing is never judged ``high`` (ranking.Judgement).
    """
    for concept in plan.concepts:
        word = concept.text
        if concept.unknown and not concept.soft and is_cjk(word) and MIN_WORD <= len(word) <= MAX_WORD:
            concept.related = neighbours.related(word, frequency)
