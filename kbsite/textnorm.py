"""Text folding shared by search, the reply checker and grading.

Everything that compares Chinese text folds it the same way: Traditional
to Simplified (OpenCC), full-width to half-width (NFKC), and lower case.
``fold_chars`` keeps the length of the text so that offsets found in the
folded text point at the same characters in the original.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """Fold for matching: Traditional→Simplified (phrase aware), NFKC width, lower case."""
    return _T2S.convert(unicodedata.normalize("NFKC", text)).lower()


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    if len(folded) != 1:
        folded = ch
    converted = _T2S.convert(folded).lower()
    return converted if len(converted) == 1 else folded.lower() if len(folded.lower()) == 1 else folded


def fold_chars(text: str) -> str:
    """Fold character by character so that ``len(fold_chars(t)) == len(t)``."""
    return "".join(_fold_char(ch) for ch in text)
