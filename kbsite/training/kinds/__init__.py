"""Question kinds: the registry (``base``) and the seven built-in kinds (``builtin``)."""

from __future__ import annotations

from kbsite.training.kinds import builtin as builtin
from kbsite.training.kinds.base import (
    REGISTRY,
    QuestionKind,
    choices,
    get,
    label,
    register,
    unregister,
)

__all__ = ["REGISTRY", "QuestionKind", "builtin", "choices", "get", "label", "register", "unregister"]
