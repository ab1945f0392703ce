"""Grading a written scenario reply as a trainer would: points by meaning, then what sinks it.

``assess`` is pure (no Flask, no database): the question, the reply, the
lexicon check and the synonym groups go in; a score in [0, 1], a verdict
(pass | fail | review), what was found per key point and the flags come out.
The same function serves real attempts, the authoring preview and the API.

Order of judgement: a privacy leak, keyword salad, no real sentence, a reply
copied from the customer, or a penalised phrase with ``fail_on_hit`` fail
outright with score 0; a reply that addresses nothing in the chat fails; then
the share of key points met (minus one share per penalised phrase) decides,
and evidence that is only near (or a borderline score) sends it to review.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kbsite.training.quizformat import Question
from kbsite.training.replygrading import concepts, points, policy, privacy, quality, semantic
from kbsite.training.replygrading.text import Reply

PASS_AT = 0.75
REVIEW_FROM = 0.5
NEAR_MET = 0.86
NEAR_WEAK = 0.7
COPIED_REPLY = 0.5
VERDICTS = ("pass", "fail", "review")


@dataclass(frozen=True)
class LexiconHit:
    """A lexicon phrase found in the reply."""

    phrase: str
    category: str
    suggestion: str
    severity: str = "forbidden"


LexiconCheck = Callable[[str], Sequence[tuple]]
# (clauses of the reply, anchor texts of a point) → the highest similarity in [-1, 1].
Similarity = Callable[[Sequence[str], Sequence[str]], float]


@dataclass(frozen=True)
class Flag:
    """Something a trainer should know about the reply: a stable code and a Chinese message."""

    code: str
    message: str


@dataclass(frozen=True)
class Assessment:
    """The grader's view of one reply."""

    score: float
    verdict: str
    points: tuple[points.PointFinding, ...]
    flags: tuple[Flag, ...]
    hits: tuple[LexiconHit, ...]

    @property
    def met(self) -> int:
        return sum(p.level == "met" for p in self.points)


def lexicon_hits(check: LexiconCheck | None, reply: str, severities: Sequence[str]) -> list[LexiconHit]:
    """Distinct phrases of the counted severities (3-tuples from older checkers are forbidden)."""
    if check is None or not reply or not severities:
        return []
    seen: dict[str, LexiconHit] = {}
    for raw in check(reply):
        hit = LexiconHit(*raw)
        if hit.severity in severities:
            seen.setdefault(hit.phrase, hit)
    return list(seen.values())


def assess(q: Question, reply: str, check: LexiconCheck | None = None,
           synonyms: Sequence[Sequence[str]] = (), similarity: Similarity | None = None,
           cited: str = "") -> Assessment:
    """Grade one reply to a scenario_reply question.

    ``similarity`` is the optional second signal; ``cited`` the text of the
    knowledge entry the question cites, read with the model reply and the
    explanation as the rule the reply must not contradict.
    """
    text = Reply(reply)
    customer = [line.text for line in q.chat if line.speaker == "customer"]
    copies = points.CopyMap(text, customer)
    wordings = {p.name: points.variants(p.phrasings, synonyms) for p in q.key_points}
    found = tuple(points.find_point(p.name, wordings[p.name], concepts.concepts_of(p.phrasings), text, copies,
                                    NEAR_MET, NEAR_WEAK) for p in q.key_points)
    _one_point_per_swap(found)
    hits = tuple(lexicon_hits(check, reply, q.penalties.severities))
    flags = _flags(q, text, found, hits, copies, [w.text for ws in wordings.values() for w in ws], cited)
    score, verdict = _decide(q, found, hits, flags)
    hard = {f.code for f in flags} & set(HARD)
    if verdict == "fail" and similarity is not None and not hard and _second_signal(q, text, found, similarity,
                                                                                      synonyms):
        score, verdict = _decide(q, found, hits, flags)
    return Assessment(score, verdict, found, tuple(flags), hits)


def _one_point_per_swap(found: Sequence[points.PointFinding]) -> None:
    """A synonym swap that meets two different points is a topic word, not a point made: only "可能做到".

    The search synonym groups are written for queries and join a topic with its
    actions (降价 ↔ 差价 ↔ 价保), so one word of the customer's topic would
    otherwise meet every point about it.
    """
    seen: dict[str, list[points.PointFinding]] = {}
    for f in found:
        if f.level == "met" and f.how == "synonym" and f.evidence:
            seen.setdefault(f.evidence, []).append(f)
    for shared in seen.values():
        if len(shared) > 1:
            for f in shared:
                f.level = "weak"


def _second_signal(q: Question, text: Reply, found, similarity: Similarity, synonyms) -> bool:
    """Mark missed points "weak" where a clause is close in meaning to the point; True if any."""
    model = Reply(q.sample_reply)
    sample = assess(q, q.sample_reply, None, synonyms) if q.sample_reply else None
    clauses = [c.text for c in text.clauses]
    lifted = False
    for n, finding in enumerate(found):
        if finding.level != "missed":
            continue
        evidence = sample.points[n].evidence if sample else None
        anchors = [finding.name] + [c.text for c in model.clauses if evidence and evidence in c.text]
        if similarity(clauses, anchors) >= semantic.CLOSE:
            finding.level, finding.how = "weak", "semantic"
            lifted = True
    return lifted


def _flags(q: Question, text: Reply, found, hits, copies: points.CopyMap, wordings: list[str],
           cited: str = "") -> list[Flag]:
    if not text.content:
        return [Flag("empty", "没有作答")]
    flags = [Flag("privacy", m) for m in privacy.leaks(text, [line.text for line in q.chat])]
    if quality.is_list(text) or quality.keyword_share(text, [w for w in wordings if len(w) >= 2]) >= quality.SALAD_COVER:
        flags.append(Flag("salad", "回复只是罗列关键词，没有成句"))
    elif not quality.has_sentence(text):
        flags.append(Flag("no_sentence", "回复里没有完整的句子"))
    if copies.share() >= COPIED_REPLY:
        flags.append(Flag("copied", "回复大部分照抄了客户的原话"))
    met = sum(p.level == "met" for p in found)
    case = [line.text for line in q.chat] + [q.sample_reply] + wordings
    if met <= 1 and met < len(found) / 2 and quality.topical_overlap(text, case) < 2:
        flags.append(Flag("generic", "套话回复，没有回应客户的具体问题"))
    for p in found:
        for wording, reason in p.rejected[:1]:
            if p.level == "missed":
                label = "被否定或拒绝" if reason == "negated" else "照抄客户原话"
                code = "negated" if reason == "negated" else "copied_point"
                flags.append(Flag(code, f"“{p.name}”：写到了“{wording}”，但{label}，不算做到"))
    for hit in hits:
        label = "禁用语" if hit.severity == "forbidden" else "风险用语"
        flags.append(Flag(hit.severity, f"使用了{hit.category}类{label}“{hit.phrase}”"))
    references = [q.sample_reply, q.explain]
    for number in policy.conflicting_numbers(text.raw, references, [line.text for line in q.chat], q.sample_reply,
                                             [cited]):
        flags.append(Flag("policy_number", f"回复中的“{number}”与参考答案的时限或金额不一致，可能说错了政策"))
    wrong_payer = policy.payer_conflict(text.raw, references)
    if wrong_payer:
        who = "客户" if wrong_payer == "customer" else "店铺"
        flags.append(Flag("policy_payer", f"回复说费用由{who}承担，与参考答案的规定相反，可能说错了政策"))
    if policy.refusals(text.raw) >= 2 and policy.refusals(text.raw) > policy.refusals(q.sample_reply) + 1:
        flags.append(Flag("refusing", "回复多处拒绝或否定客户，比参考回复强硬"))
    return flags


FAILING = ("empty", "privacy", "salad", "no_sentence", "copied")
HARD = (*FAILING, "generic")
# A trainer must see these before such a reply can pass.
DOUBTFUL = ("negated", "forbidden", "risky", "policy_number", "policy_payer", "refusing")


def _decide(q: Question, found, hits, flags: list[Flag]) -> tuple[float, str]:
    codes = {f.code for f in flags}
    if codes & set(FAILING) or (hits and q.penalties.fail_on_hit):
        return 0.0, "fail"
    n = len(found)
    penalty = 0 if q.penalties.fail_on_hit else len(hits)
    met = sum(p.level == "met" for p in found)
    weak = sum(p.level == "weak" for p in found)
    score = max(0.0, (met - penalty) / n)
    hopeful = max(0.0, (met + weak - penalty) / n)
    doubtful = codes & set(DOUBTFUL)
    if "generic" in codes or (doubtful and score < PASS_AT):
        return score, "fail"
    if score >= PASS_AT and not doubtful:
        return score, "pass"
    if hopeful >= PASS_AT or score >= REVIEW_FROM:
        flags.append(Flag("unsure", "评分不确定，需要培训师批改"))
        return score, "review"
    return score, "fail"
