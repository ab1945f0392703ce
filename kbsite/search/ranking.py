"""Running a query plan, judging how well its best result answers it, and script preference.

The engine plans a query (``query.py``), then this module turns the plan into
matches (generic words rank but are never required), measures how much of the
query the best result covers (which gives ``confidence`` and decides whether a
slip correction is worth a "did you mean"), and puts an entry written in the
agent's script before its twin in the other script.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jieba
import numpy as np
from whoosh import query as wq

from kbsite.search.query import Concept, QueryPlan, combine, concept_query, word_query
from kbsite.search.scoring import Evaluator, Matches

SOFT_WEIGHT = 0.3  # a generic word or lone character, next to the words that carry the topic
STRONG_FIELDS = ("title", "tags", "summary")
SCRIPT_BONUS = 1.1  # twins in two scripts score alike: 10 % puts the agent's script first
SCRIPT_WINDOW = 5  # candidates past the page that may move up into it
# confidence: share of the query's key concepts the best result must hold
HIGH_COVERAGE_SHORT = 0.99
HIGH_COVERAGE_LONG = 0.5

Match = Callable[[wq.Query], Matches]


@dataclass
class Judgement:
    """How well the best result answers the plan."""

    coverage: float  # weighted share of the key concepts the best result matches
    strong: bool  # the best result holds a key concept in its title, tags or summary
    unknown: bool  # a key concept of a short query is a word the library never uses
    top: float  # the best score

    def better_than(self, other: Judgement) -> bool:
        """Clearly better: covers more of the query, or as much with a much higher score."""
        if self.coverage > other.coverage + 0.01:
            return True
        return abs(self.coverage - other.coverage) <= 0.01 and self.top >= 1.3 * other.top

    def confidence(self, short: bool) -> str:
        """``high`` when the best result plainly answers the query, else ``low``."""
        needed = HIGH_COVERAGE_SHORT if short else HIGH_COVERAGE_LONG
        if self.coverage >= needed and self.strong and not (short and self.unknown):
            return "high"
        return "low"


def execute(match: Match, tk: jieba.Tokenizer, plan: QueryPlan) -> Matches:
    """Matches of a plan: key concepts required (short queries), generic ones only add score."""
    pairs = [(c, q) for c, q in ((c, concept_query(tk, c)) for c in plan.concepts) if q is not None]
    core = [q for c, q in pairs if not c.soft]
    soft = [q for c, q in pairs if c.soft]
    if not core:
        core, soft = soft, []
    matches = match(combine(core, require_all=plan.short))
    if not matches and plan.short and len(pairs) > 1:
        return match(wq.Or([q if not c.soft else wq.Or([q], boost=SOFT_WEIGHT) for c, q in pairs]))
    if soft and len(matches):
        matches = matches.plus(match(wq.Or(soft, boost=SOFT_WEIGHT)))
    return matches


def judge(
    evaluator: Evaluator, tk: jieba.Tokenizer, plan: QueryPlan, best: tuple[float, int] | None,
    known: Callable[[Concept], bool],
) -> Judgement:
    """Coverage of the key concepts by the best result ``(score, docnum)``."""
    if best is None:
        return Judgement(0.0, False, False, 0.0)
    score, doc = best
    within = np.array([doc], dtype=np.int32)
    key = [c for c in plan.concepts if not c.soft] or plan.concepts
    total = sum(c.weight for c in key) or 1.0
    held = strong = 0.0
    unknown = False
    for concept in key:
        query = concept_query(tk, concept)
        if query is not None and len(evaluator.matches_within(query, within)):
            held += concept.weight * (0.5 if concept.by_char else 1.0)
            strong = strong or _in_strong_field(evaluator, tk, concept, within)
        if concept.by_char or (concept.weight >= 0.75 and not known(concept)):
            unknown = True
    return Judgement(held / total, bool(strong), unknown, score)


def _in_strong_field(evaluator: Evaluator, tk, concept: Concept, within: np.ndarray) -> bool:
    if concept.by_char:
        return False
    parts = [word_query(tk, w, fields=STRONG_FIELDS) for w in [concept.text, *concept.variants]]
    kept = [p for p in parts if p is not None]
    return bool(kept) and bool(len(evaluator.matches_within(wq.Or(kept), within)))


def prefer_script(
    ranked: list[tuple[float, int]], script: str | None, script_of_doc: Callable[[int], str | None]
) -> list[tuple[float, int]]:
    """Re-rank so that, of two near-equal results, the one in the query's script comes first."""
    if script is None or len(ranked) < 2:
        return ranked
    scored = [
        (score * SCRIPT_BONUS if script_of_doc(doc) == script else score, doc, score)
        for score, doc in ranked
    ]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [(score, doc) for _adjusted, doc, score in scored]
