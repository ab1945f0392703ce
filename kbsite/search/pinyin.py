"""Pinyin keys: titles, tags and template names found by full pinyin and by initials.

Agents who type in pinyin search the way they type: ``tk`` for 退款, ``qtwly`` for 七天无理由,
``tuikuan`` for 退款. Each title and tag yields keys that start at a word boundary (jieba's
cut) and run over the following characters: initials of 2–``MAX_INITIALS`` characters, full
toneless pinyin of 2–``MAX_FULL`` characters, and the initials of the whole title with their
prefixes of three letters or more. They go
into the index's ``initials`` field; a query word made of letters matches them exactly, with
a weight well below the text fields so that a direct match of the words typed ranks first.
"""

from __future__ import annotations

from functools import lru_cache

import jieba
from pypinyin import Style, lazy_pinyin
from whoosh import query as wq

from kbsite.search.analysis import CJK_RUN, clean_text

MAX_INITIALS = 12
MAX_FULL = 6
MAX_QUERY = 32
# Below every text field (title 2.5 … body 1.0): pinyin finds, the characters typed rank.
BOOST = 0.35
KEYS_VERSION = "p1"


def _run_keys(tk: jieba.Tokenizer, run: str) -> set[str]:
    letters = [p[:1] for p in lazy_pinyin(run, style=Style.FIRST_LETTER)]
    syllables = lazy_pinyin(run, style=Style.NORMAL, v_to_u=False)
    if len(letters) != len(run) or not all(s.isascii() and s.isalpha() for s in syllables):
        return set()
    keys: set[str] = set()
    start = 0
    for word in tk.cut(run):
        for end in range(start + 2, min(len(run), start + MAX_INITIALS) + 1):
            keys.add("".join(letters[start:end]))
            if end - start <= MAX_FULL:
                keys.add("".join(syllables[start:end]))
        start += len(word)
    return keys


@lru_cache(maxsize=65536)
def _text_keys(tk: jieba.Tokenizer, text: str) -> tuple[str, ...]:
    runs = CJK_RUN.findall(clean_text(text))
    keys: set[str] = set()
    for run in runs:
        keys |= _run_keys(tk, run)
    whole = "".join(p[:1] for p in lazy_pinyin("".join(runs), style=Style.FIRST_LETTER))
    if len(whole) >= 3 and whole.isascii() and whole.isalpha():
        # Prefixes too: an agent types the first few letters, across punctuation.
        keys.update(whole[:n] for n in range(3, min(len(whole), MAX_QUERY) + 1))
    return tuple(sorted(keys))


def index_keys(tk: jieba.Tokenizer, title: str, tags: list[str]) -> list[str]:
    """Every pinyin key of a title (or template name) and its tags."""
    keys: set[str] = set(_text_keys(tk, title))
    for tag in tags:
        keys.update(_text_keys(tk, tag))
    return sorted(keys)


def is_pinyin_word(word: str) -> bool:
    """A query word that may be pinyin: letters only, 2–MAX_QUERY of them."""
    return word.isascii() and word.isalpha() and 2 <= len(word) <= MAX_QUERY


def query_clause(word: str) -> wq.Query | None:
    """The clause a letters-only query word adds: its exact pinyin key, weighted low."""
    return wq.Term("initials", word.lower(), boost=BOOST) if is_pinyin_word(word) else None
