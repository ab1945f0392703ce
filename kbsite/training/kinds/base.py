"""The question-kind registry: one class per kind owns its parsing, grading, form, display and label.

Modelled on CTFd's challenge types. ``register`` installs a kind with the lower
layers (``quizformat`` parses it, ``grading`` grades it), so a new kind is one
class plus its template ``training/kinds/<name>.html`` and touches no other module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kbsite.training import grading, quizformat
from kbsite.training.kinds.formdata import Fields
from kbsite.training.quizformat import Question


class QuestionKind:
    """Base of every question kind; subclasses set the class attributes and override what differs."""

    name: str = ""
    label: str = ""  # the Chinese name shown to trainees and trainers
    keys: frozenset[str] = frozenset()  # YAML keys of this kind beyond id/kind/prompt/explain/cite/points
    grader: Any = None  # the grading behaviour (grading.QuestionKind)
    prompt_required: bool = True
    answer: str = "one"  # how the trainee's page posts an answer: "one" value, a "list", or a "map" (q-<id>.<key>)
    keeps_empty_answer: bool = False  # an empty answer is still an answer (a blank written reply)

    @property
    def template(self) -> str:
        """The template holding this kind's ``answer`` and ``editor`` macros."""
        return f"training/kinds/{self.name}.html"

    def parse(self, raw: Mapping, where: str, errors: list[str]) -> dict:
        """Question fields of this kind from front matter; errors appended in Chinese."""
        raise NotImplementedError

    def public(self, q: Question, seed: int) -> dict:
        """Extra fields of the browser-safe view (never the answer key)."""
        return {}

    def from_form(self, fields: Fields, at: str, errors: list[str]) -> dict:
        """This kind's YAML keys read from the editor form; ``at`` names the question ("第 3 题")."""
        raise NotImplementedError

    def display(self, q: Question, seed: int) -> dict:
        """The public view of a question of this kind."""
        return quizformat.public_question(q, seed=seed)


REGISTRY: dict[str, QuestionKind] = {}


def register(cls: type[QuestionKind]) -> type[QuestionKind]:
    """Class decorator adding a kind: parsed by quizformat, graded by grading, shown and edited by its template."""
    kind = cls()
    REGISTRY[kind.name] = kind
    public = None if type(kind).public is QuestionKind.public else kind.public
    quizformat.register_kind_parser(kind.name, kind.keys, kind.parse, public)
    grading.KINDS[kind.name] = kind.grader
    return cls


def unregister(name: str) -> None:
    """Remove a kind added by ``register`` (for test-local kinds)."""
    REGISTRY.pop(name, None)
    quizformat.unregister_kind_parser(name)
    grading.KINDS.pop(name, None)


def get(name: str) -> QuestionKind:
    """The kind called ``name``; KeyError when unknown."""
    return REGISTRY[name]


def label(name: str) -> str:
    """The Chinese label of a kind ("题目" for an unknown one, never the English key)."""
    kind = REGISTRY.get(name)
    return kind.label if kind else "题目"


def choices() -> list[tuple[str, str]]:
    """(name, label) of every kind, for the editor's kind picker."""
    return [(k.name, k.label) for k in REGISTRY.values()]
