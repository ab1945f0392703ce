"""Running a query plan, judging how well its best result answers it, and script preference.

The engine plans a query (``query.py``), then this module turns the plan into
matches (generic words rank but are never required), measures how much of the
query the best result covers (which gives ``confidence`` and decides whether a
slip correction is worth a "did you mean"), and puts an entry written in the
agent's script before its twin in the other script.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import jieba
import numpy as np
from whoosh import query as wq

from kbsite.search.analysis import bigrams, fold_key, idf_table, is_cjk
from kbsite.search.query import Concept, QueryPlan, concept_query, related_query, word_query
from kbsite.search.regional import script_of
from kbsite.search.scoring import Evaluator, Matches

SOFT_WEIGHT = 0.3  # a generic word or lone character, next to the words that carry the topic
RELATED_WEIGHT = 0.3  # an unknown word's related library words (related.py), of the word's weight
WEAK_CLAUSE = 0.3  # a concept whose best entry scores less than this share of the strongest's
RAW_SHARE = 0.1  # of a short query's raw score kept beside the proportional one (a tie-break between concepts)
BACKFILL = 10  # fewer full matches than this: partial matches follow them
STRONG_FIELDS = ("title", "tags", "summary")
TWIN_OVERLAP = 0.8  # share of title bigrams two results must share to be one entry in two scripts
SCRIPT_WINDOW = 5  # candidates past the page that may move up into it
# confidence (calibrated on tuning data): the share of the known key words the best result must
# hold, and how many key words no entry knows a short query (or what share a long one) may have
HIGH_KNOWN_COVERAGE = 0.4
MAX_UNKNOWN_SHORT = 1
MAX_UNKNOWN_SHARE_LONG = 0.3
# An unknown CJK fragment jieba's dictionary does not list (拆能, 这券, 碗寄: colloquial glue of a
# verb and a particle or a measure word) is wording, not a topic: it counts this much of a word.
FRAGMENT_SHARE = 0.5
# jieba's IDF is a corpus estimate: two equally specific words differ by this much (会员卡 11.0, 健身房 10.6);
# an unknown word within it of the held one is as telling as the held one
IDF_NOISE = 0.5

Match = Callable[[wq.Query], Matches]


@dataclass
class Judgement:
    """How well the best result answers the plan (its key concepts: not generic, 2+ characters)."""

    held: float  # weight of the key concepts the best result matches
    known: float  # weight of the key concepts some entry of the library holds
    total: float  # weight of every key concept
    strong: int  # key concepts the best result holds in its title, tags or summary
    unknown: int  # key concepts no entry holds (a topic the library may not cover)
    top: float  # the best score
    held_idf: float = 0.0  # general-language IDF of the most informative key concept the best result holds
    unknown_idf: float = 0.0  # the same of the most informative dictionary word no entry holds
    fragments: int = 0  # of the unknown key concepts, CJK fragments that are no dictionary word

    @property
    def coverage(self) -> float:
        """Share of the whole query the best result answers."""
        return self.held / self.total if self.total else 0.0

    @property
    def known_coverage(self) -> float:
        """Share of the words the library knows that the best result holds."""
        return self.held / self.known if self.known else 0.0

    def better_than(self, other: Judgement) -> bool:
        """Clearly better: covers more of the query, or as much with a much higher score."""
        if self.coverage > other.coverage + 0.01:
            return True
        return abs(self.coverage - other.coverage) <= 0.01 and self.top >= 1.3 * other.top

    def confidence(self, short: bool) -> str:
        """``high`` when the best result plainly answers the query, else ``low``.

        Unknown words weigh by kind: a dictionary word no entry holds (相机, 机票, 话费) names
        a thing the library may not cover, while a fragment jieba does not know is colloquial
        wording around a topic the library does hold, so it counts ``FRAGMENT_SHARE``.
        Thresholds chosen leave-one-set-out over every bench set (bench/conf_features.py).
        """
        if not self.strong or self.known_coverage < HIGH_KNOWN_COVERAGE:
            return "low"
        if short and self.unknown_idf and self.unknown_idf >= self.held_idf - IDF_NOISE:
            # The query's most telling word (宽带 in 宽带怎么办理, 健身房 in 健身房会员卡怎么退) is one
            # the library never uses: the best result only shares a part of equal or lesser weight.
            return "low"
        allowed = MAX_UNKNOWN_SHORT if short else MAX_UNKNOWN_SHARE_LONG * self.total
        unknown = self.unknown - (1 - FRAGMENT_SHARE) * self.fragments
        return "high" if unknown <= allowed else "low"


def best_reading(
    plan: QueryPlan, evaluator: Evaluator, tk: jieba.Tokenizer, *, match: Match,
    correct: Callable[[QueryPlan], str | None], relate: Callable[[QueryPlan], None] = lambda p: None,
) -> tuple[QueryPlan, Matches, Judgement, str | None]:
    """The plan as typed, or with its slips corrected (``correct``) when that finds clearly better
    results; a "did you mean" only when the corrected query is also answered with confidence.

    ``relate`` gives the words still unknown after correction their related library words (weak
    evidence: the choice between the two readings is made on the words themselves)."""
    as_typed = copy.deepcopy(plan)
    suggestion = correct(plan)

    def run(p: QueryPlan) -> tuple[Matches, Judgement]:
        found = execute(match, tk, p)
        best = found.best(1)
        return found, judge(evaluator, tk, p, best[0] if best else None)

    if not any(c.corrected_from for c in plan.concepts):
        relate(plan)
        return plan, *run(plan), None
    matches, judgement = run(plan)
    for concept in as_typed.concepts:
        concept.by_char = concept.by_char or (is_cjk(concept.text) and len(concept.text) == 2 and concept.unknown)
    typed_matches, typed_judgement = run(as_typed)
    if judgement.better_than(typed_judgement):
        chosen, found, judged = plan, matches, judgement
        sure = judgement.confidence(plan.short) == "high"
        suggestion = suggestion if sure else None
    else:
        chosen, found, judged, suggestion = as_typed, typed_matches, typed_judgement, None
    relate(chosen)
    if any(c.related for c in chosen.concepts):
        found, judged = run(chosen)
    return chosen, found, judged, suggestion


def execute(match: Match, tk: jieba.Tokenizer, plan: QueryPlan) -> Matches:
    """Matches of a plan: key concepts required (short queries), the others only add score.

    Generic words and words the library never uses are not required. When the
    required words leave fewer than ``BACKFILL`` results, results matching only
    some of the words follow, ranked below every full match. A long text requires
    nothing. Either way entries rank by how much of the query they answer
    (``_proportional``), not by the raw sum of their scores. An unknown word's related
    library words are a clause of their own, never required, worth ``RELATED_WEIGHT``
    of the word: an entry holding one ranks a little above those holding none.
    """
    pairs = [(c, q) for c, q in ((c, concept_query(tk, c)) for c in plan.concepts) if q is not None]
    core = [q for c, q in pairs if _required(c)]
    soft = [q for c, q in pairs if not _required(c)]
    if not core:
        core, soft = [q for _, q in pairs], []
    related = [related_query(tk, c, RELATED_WEIGHT * c.weight) for c in plan.concepts if c.related]
    clauses = core + [wq.Or([q], boost=SOFT_WEIGHT) for q in soft] + [q for q in related if q is not None]
    found = [(clause, match(clause)) for clause in clauses]
    if not plan.short:  # nothing is required of a long text: every concept ranks, in proportion
        return _proportional(found)
    every = _proportional(found, RAW_SHARE)
    full = every.where(np.all([np.isin(every.docs, part.docs) for _, part in found[: len(core)]], axis=0))
    if len(clauses) > 1 and len(full) < BACKFILL:
        return full.then(every)
    return full


def _proportional(found: list[tuple[wq.Query, Matches]], raw_share: float = 0.0) -> Matches:
    """Entries matching any clause, each clause's scores scaled to its concept.

    Raw scores let one concept that an entry repeats everywhere (title, tags, body, every
    synonym: 客服 in the contact-channels entry, 退货 and its five synonyms in the how-to-return
    entry) outweigh several concepts another entry answers. So each clause's best entry scores
    the clause's weight and the others in proportion; a clause that nowhere scores
    ``WEAK_CLAUSE`` of the strongest one's best is scaled as if it had, so that a word found
    only in passing stays worth little. ``raw_share`` of the raw score (relative to the
    strongest clause's best) is kept beside it: of two entries that each hold one concept of a
    short query, the one that matches its word strongly still comes first.
    """
    tops = {id(c): float(m.scores.max()) / (c.boost or 1.0) for c, m in found if len(m)}
    if not tops:
        return Matches.empty()
    strongest = max(tops.values())
    floor = WEAK_CLAUSE * strongest
    acc = np.zeros(max(int(m.docs[-1]) for _, m in found if len(m)) + 1)
    hit = np.zeros(len(acc), dtype=bool)
    for clause, part in found:
        if len(part):
            acc[part.docs] += part.scores / max(tops[id(clause)], floor) + raw_share * part.scores / strongest
            hit[part.docs] = True
    docs = np.flatnonzero(hit).astype(np.int32)
    return Matches(docs, acc[docs])


def _required(concept: Concept) -> bool:
    return not concept.soft and (concept.by_char or not concept.unknown)


def judge(evaluator: Evaluator, tk: jieba.Tokenizer, plan: QueryPlan, best: tuple[float, int] | None) -> Judgement:
    """How much of the plan's key concepts the best result ``(score, docnum)`` holds."""
    if best is None:
        return Judgement(0.0, 0.0, 0.0, 0, 0, 0.0)
    score, doc = best
    key = [c for c in plan.concepts if _is_key(c)] or plan.concepts
    judgement = Judgement(0.0, 0.0, sum(c.weight for c in key), 0, 0, score)
    idf, median = idf_table()
    for concept in key:
        if concept.unknown or concept.by_char:
            judgement.unknown += 1
            if not concept.by_char and is_cjk(concept.text) and concept.text in idf:
                judgement.unknown_idf = max(judgement.unknown_idf, idf[concept.text])
            elif concept.by_char or is_cjk(concept.text):
                judgement.fragments += 1
            continue
        judgement.known += concept.weight
        query = concept_query(tk, concept)
        if query is not None and evaluator.contains(query, doc):
            judgement.held += concept.weight
            judgement.strong += _in_strong_field(evaluator, tk, concept, doc)
            judgement.held_idf = max(judgement.held_idf, idf.get(concept.text, median))
    return judgement


def _is_key(concept: Concept) -> bool:
    return not concept.soft and (len(concept.text) >= 2 or concept.text.isascii())


def _in_strong_field(evaluator: Evaluator, tk, concept: Concept, doc: int) -> bool:
    if concept.by_char:
        return False
    parts = [word_query(tk, w, fields=STRONG_FIELDS) for w in [concept.text, *concept.variants]]
    return any(p is not None and evaluator.contains(p, doc) for p in parts)


def prefer_script(
    ranked: list[tuple[float, int]], script: str | None, title_script: Callable[[int], tuple[str, str | None]]
) -> list[tuple[float, int]]:
    """Of an entry and its twin in the other script, put the one in the query's script first.

    ``title_script(doc)`` gives the folded title and script of a result. Twins are
    results whose folded titles share most of their character bigrams (退款审核通过通知
    and its （繁体） copy); other results keep their order.
    """
    if script is None or len(ranked) < 2:
        return ranked
    out = list(ranked)
    info = {doc: title_script(doc) for _, doc in out}
    for i in range(len(out)):
        doc = out[i][1]
        if info[doc][1] == script:
            continue
        for j in range(i + 1, len(out)):
            other = out[j][1]
            if info[other][1] == script and _twins(info[doc][0], info[other][0]):
                out.insert(i, out.pop(j))
                break
    return out


def title_script(stored: Callable[[int], dict]) -> Callable[[int], tuple[str, str | None]]:
    """``docnum → (folded title, script)`` from stored fields, for ``prefer_script``."""

    def script(docnum: int) -> tuple[str, str | None]:
        fields = stored(docnum)
        title = fields.get("title", "")
        return _folded_title(title), _script(title + fields.get("summary", "") + fields.get("body", "")[:200])

    return script


@lru_cache(maxsize=50_000)
def _folded_title(title: str) -> str:
    return fold_key(title)


@lru_cache(maxsize=20_000)
def _script(text: str) -> str | None:
    return script_of(text)


def _twins(a: str, b: str) -> bool:
    grams_a, grams_b = set(bigrams(a)), set(bigrams(b))
    if not grams_a or not grams_b:
        return a == b
    return len(grams_a & grams_b) / min(len(grams_a), len(grams_b)) >= TWIN_OVERLAP
