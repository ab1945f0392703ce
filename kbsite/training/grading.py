"""Server-side grading: a registry of question kinds, each parsing and grading its answers.

Modelled on CTFd's challenge-type registry: every kind of docs/FORMAT.md is one
small class with ``parse_response`` (reject anything the browser was not offered)
and ``grade`` (score in [0, 1] with feedback that explains why). Adding a kind
means adding a class here and its parser in ``quizformat``; no view changes.

Raw responses are what the browser posts, keyed by the opaque ids of
``quizformat.public_question`` for the attempt's secret seed:

- single, scenario_choice: one option id (``str``)
- multiple: a list of option ids (may be empty)
- truefalse: ``True``/``False`` or ``"true"``/``"false"``
- ordering: a list of every item id, in the trainee's order
- matching: a mapping left id → right id (lefts may be left out, or map to None/"")
- scenario_reply: the reply text (``str``, at most ``REPLY_MAX_CHARS``)

``None`` means "not answered" and scores 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from kbsite.training import replygrading
from kbsite.training.quizformat import (
    REPLY_MAX_CHARS,
    Option,
    Question,
    Quiz,
    choice_ids,
    distinct_rights,
)

# (phrase, category, suggestion[, severity]); three-tuples are of severity "forbidden".
ForbiddenChecker = Callable[[str], Sequence[tuple[str, ...]]]


class InvalidResponse(ValueError):
    """A response the browser could not legitimately have sent (tampered or malformed)."""

    def __init__(self, message: str, question_id: str | None = None) -> None:
        super().__init__(f"题目 {question_id}：{message}" if question_id else message)
        self.question_id = question_id


@dataclass(frozen=True)
class FeedbackItem:
    """One line of feedback: status is correct | wrong | missed | info."""

    status: str
    subject: str
    message: str
    cite: str | None = None
    suggestion: str | None = None


@dataclass(frozen=True)
class Grade:
    """A question's score in [0, 1], whether it was fully right, and why."""

    score: float
    correct: bool
    feedback: tuple[FeedbackItem, ...]
    verdict: str | None = None  # written replies: pass | fail | review
    detail: dict = field(default_factory=dict, compare=False)  # written replies: evidence and flags


@dataclass(frozen=True)
class GradingContext:
    """Per-attempt inputs: the secret seed behind the ids, and the lexicon check."""

    seed: int
    check_forbidden: ForbiddenChecker | None = None
    synonyms: Sequence[Sequence[str]] = ()
    similarity: replygrading.Similarity | None = None
    # slug → the text of the published knowledge entry (summary and body) a question cites
    cited: Callable[[str], str] | None = None


@dataclass(frozen=True)
class AttemptResult:
    """A whole attempt: weighted percent (2 decimals), pass/fail, and each question's grade."""

    score_percent: float
    passed: bool
    per_question: dict[str, Grade]

    @property
    def under_review(self) -> list[str]:
        """Questions whose written reply the grader was unsure of (a trainer decides)."""
        return [qid for qid, g in self.per_question.items() if g.verdict == "review"]


class QuestionKind(Protocol):
    """The behaviour every question kind provides."""

    blank: Any

    def parse_response(self, q: Question, raw: object, seed: int) -> Any: ...

    def grade(self, q: Question, response: Any, context: GradingContext) -> Grade: ...


KINDS: dict[str, QuestionKind] = {}


def register(*names: str) -> Callable[[type], type]:
    """Class decorator adding a kind's behaviour to the registry under the given names."""

    def add(cls: type) -> type:
        for name in names:
            KINDS[name] = cls()
        return cls

    return add


def get_kind(name: str) -> QuestionKind:
    """The behaviour for a kind name; KeyError for an unknown kind."""
    return KINDS[name]


# --- shared pieces ---


def _index(seed: int, q: Question, role: str, count: int) -> dict[str, int]:
    return {cid: i for i, cid in enumerate(choice_ids(seed, q.id, role, count))}


def _lookup(ids: dict[str, int], raw: object, q: Question) -> int:
    if not isinstance(raw, str):
        raise InvalidResponse("选项 id 应为文本", q.id)
    if raw not in ids:
        raise InvalidResponse(f"选项“{raw}”不是本题提供的选项", q.id)
    return ids[raw]


def _id_list(ids: dict[str, int], raw: object, q: Question) -> list[int]:
    if isinstance(raw, str | bytes) or not isinstance(raw, Sequence):
        raise InvalidResponse("答案应为 id 列表", q.id)
    picked = [_lookup(ids, item, q) for item in raw]
    if len(set(picked)) != len(picked):
        raise InvalidResponse("答案中有重复的 id", q.id)
    return picked


def _finish(q: Question, score: float, feedback: list[FeedbackItem]) -> Grade:
    score = min(1.0, max(0.0, score))
    if q.explain or q.cite:
        feedback.append(FeedbackItem("info", "解析", q.explain or "参见知识库条目。", q.cite))
    return Grade(score, score >= 1.0, tuple(feedback))


def _option_item(q: Question, option: Option, chosen: bool) -> FeedbackItem:
    if chosen and option.correct:
        status, verdict = "correct", "选对了。"
    elif chosen:
        status, verdict = "wrong", "这一项不正确。"
    elif option.correct:
        status, verdict = "missed", "这一项是正确答案。"
    else:
        status, verdict = "info", "这一项不正确，不选是对的。"
    message = f"{verdict}{option.explain}" if option.explain else verdict
    return FeedbackItem(status, option.text, message, option.cite or q.cite)


# --- the kinds ---


@register("single", "scenario_choice")
class SingleChoice:
    """One correct option; all or nothing."""

    blank = None

    def parse_response(self, q: Question, raw: object, seed: int) -> int:
        """The index of the chosen option."""
        return _lookup(_index(seed, q, "option", len(q.options)), raw, q)

    def grade(self, q: Question, response: int | None, context: GradingContext) -> Grade:
        """Full score when the chosen option is the correct one."""
        feedback = [_option_item(q, o, i == response) for i, o in enumerate(q.options)]
        right = response is not None and q.options[response].correct
        return _finish(q, 1.0 if right else 0.0, feedback)


@register("multiple")
class MultipleChoice:
    """Several correct options; (right picks − wrong picks) / correct count, floored at 0."""

    blank = frozenset()

    def parse_response(self, q: Question, raw: object, seed: int) -> frozenset[int]:
        """The indices of the chosen options; duplicates are rejected."""
        return frozenset(_id_list(_index(seed, q, "option", len(q.options)), raw, q))

    def grade(self, q: Question, response: frozenset[int], context: GradingContext) -> Grade:
        """Partial credit; wrong picks cancel right ones."""
        right = sum(q.options[i].correct for i in response)
        wrong = len(response) - right
        total = sum(o.correct for o in q.options)
        feedback = [_option_item(q, o, i in response) for i, o in enumerate(q.options)]
        return _finish(q, (right - wrong) / total, feedback)


def _parse_bool(raw: object, q: Question) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    raise InvalidResponse("判断题的答案应为 true 或 false", q.id)


@register("truefalse")
class TrueFalse:
    """A statement to judge; all or nothing."""

    blank = None

    def parse_response(self, q: Question, raw: object, seed: int) -> bool:
        """The trainee's judgement."""
        return _parse_bool(raw, q)

    def grade(self, q: Question, response: bool | None, context: GradingContext) -> Grade:
        """Full score when the judgement matches the answer."""
        expected = "正确" if q.answer else "错误"
        if response == q.answer:
            item = FeedbackItem("correct", f"你的判断：{expected}", "判断正确。", q.cite)
        else:
            given = "未作答" if response is None else f"你的判断：{'正确' if response else '错误'}"
            item = FeedbackItem("wrong", given, f"本题应判断为“{expected}”。", q.cite)
        return _finish(q, 1.0 if response == q.answer else 0.0, [item])


@register("ordering")
class Ordering:
    """Items to put in order; share of items in the right position."""

    blank = None

    def parse_response(self, q: Question, raw: object, seed: int) -> tuple[int, ...]:
        """The original indices in the trainee's order; must be a permutation of all items."""
        order = _id_list(_index(seed, q, "item", len(q.items)), raw, q)
        if len(order) != len(q.items):
            raise InvalidResponse(f"排序题需要排列全部 {len(q.items)} 项，收到 {len(order)} 项", q.id)
        return tuple(order)

    def grade(self, q: Question, response: tuple[int, ...] | None, context: GradingContext) -> Grade:
        """One share per item in its correct position."""
        feedback = []
        for pos, expected in enumerate(q.items):
            if response is not None and response[pos] == pos:
                feedback.append(FeedbackItem("correct", expected, f"第 {pos + 1} 位正确。", q.cite))
                continue
            got = "未作答" if response is None else f"你放的是“{q.items[response[pos]]}”"
            status = "missed" if response is None else "wrong"
            message = f"第 {pos + 1} 位应为“{expected}”，{got}。"
            feedback.append(FeedbackItem(status, expected, message, q.cite))
        right = 0 if response is None else sum(i == pos for pos, i in enumerate(response))
        return _finish(q, right / len(q.items), feedback)


@register("matching")
class Matching:
    """Lefts to match with rights; share of lefts matched right."""

    blank: Mapping[int, int] = {}

    def parse_response(self, q: Question, raw: object, seed: int) -> dict[int, int]:
        """Left index → index into distinct_rights; unanswered lefts are left out."""
        if not isinstance(raw, Mapping):
            raise InvalidResponse("配对题的答案应为“左侧 id → 右侧 id”的映射", q.id)
        lefts = _index(seed, q, "left", len(q.pairs))
        rights = _index(seed, q, "right", len(distinct_rights(q)))
        matched = {}
        for left, right in raw.items():
            if left not in lefts:
                raise InvalidResponse(f"左侧“{left}”不是本题提供的项", q.id)
            if right is not None and right != "":
                matched[lefts[left]] = _lookup(rights, right, q)
        return matched

    def grade(self, q: Question, response: Mapping[int, int], context: GradingContext) -> Grade:
        """One share per left matched to its own right-hand text."""
        rights = distinct_rights(q)
        feedback, right = [], 0
        for i, pair in enumerate(q.pairs):
            subject = f"{pair.left} → {pair.right}"
            if i not in response:
                feedback.append(FeedbackItem("missed", subject, "未配对。", q.cite))
            elif rights[response[i]] == pair.right:
                right += 1
                feedback.append(FeedbackItem("correct", subject, "配对正确。", q.cite))
            else:
                message = f"你配的是“{rights[response[i]]}”，应为“{pair.right}”。"
                feedback.append(FeedbackItem("wrong", subject, message, q.cite))
        return _finish(q, right / len(q.pairs), feedback)


@register("scenario_reply")
class ScenarioReply:
    """A written reply, read for meaning by ``replygrading``: score, verdict, evidence per point, flags."""

    blank = ""

    def parse_response(self, q: Question, raw: object, seed: int) -> str:
        """The reply text, stripped; too long or not text is rejected."""
        if not isinstance(raw, str):
            raise InvalidResponse("回复应为文本", q.id)
        if len(raw) > REPLY_MAX_CHARS:
            raise InvalidResponse(f"回复不能超过 {REPLY_MAX_CHARS} 字", q.id)
        return raw.strip()

    def grade(self, q: Question, response: str, context: GradingContext) -> Grade:
        """Assess the reply; feedback names missed points and shows the model reply, never the phrasings."""
        if q.forbidden and context.check_forbidden is None:
            raise RuntimeError("scenario_reply with a lexicon penalty needs context.check_forbidden")
        cited = context.cited(q.cite) if context.cited and q.cite else ""
        result = replygrading.assess(q, response, context.check_forbidden, context.synonyms, context.similarity,
                                     cited)
        feedback = [_point_item(q, point, finding) for point, finding in zip(q.key_points, result.points,
                                                                            strict=True)]
        feedback.extend(_flag_item(q, flag, result.hits) for flag in result.flags if flag.code not in _SHOWN)
        if q.sample_reply:
            feedback.append(FeedbackItem("info", "参考回复", q.sample_reply))
        grade = _finish(q, result.score, feedback)
        return replace(grade, correct=result.verdict == "pass", verdict=result.verdict,
                       detail=reply_detail(result))


_SHOWN = frozenset({"negated", "copied_point"})


def reply_detail(result: replygrading.Assessment) -> dict:
    """What trainers (review queue, preview, API) see of an assessment, as JSON."""
    return {
        "verdict": result.verdict, "score": round(100 * result.score, 1),
        "points": [{"name": p.name, "met": p.level == "met", "level": p.level, "evidence": p.evidence,
                    "how": p.how, "rejected": [list(r) for r in p.rejected]} for p in result.points],
        "flags": [{"code": f.code, "message": f.message} for f in result.flags],
    }


def _point_item(q: Question, point, finding) -> FeedbackItem:
    if finding.level == "met":
        return FeedbackItem("correct", point.name, f"已做到（你写了“{finding.evidence}”）。", q.cite)
    if finding.level == "weak":
        said = f"“{finding.evidence}”" if finding.evidence else "意思相近"
        return FeedbackItem("info", point.name, f"可能做到了（{said}），由培训师确认。", q.cite)
    reason = ""
    if finding.rejected:
        wording, why = finding.rejected[0]
        reason = f"你写了“{wording}”，但{'是在拒绝或否定' if why == 'negated' else '照抄了客户原话'}，不算做到。"
    explain = f"{point.explain}" if point.explain else "请对照参考回复看看怎么说。"
    return FeedbackItem("missed", point.name, f"缺少这一点。{reason}{explain}", q.cite)


def _flag_item(q: Question, flag, hits) -> FeedbackItem:
    hit = next((h for h in hits if flag.code == h.severity and f"“{h.phrase}”" in flag.message), None)
    if hit is None:
        return FeedbackItem("info" if flag.code == "unsure" else "wrong", "评分提示", flag.message + "。")
    cost = "本题直接不通过" if q.penalties.fail_on_hit else "扣去一个要点的分"
    message = f"{flag.message}，{cost}。"
    if hit.suggestion:
        message += f"建议改为：{hit.suggestion}"
    return FeedbackItem("wrong", hit.phrase, message, q.cite, hit.suggestion or None)


# --- entry points ---


def parse_response(q: Question, raw: object, *, seed: int) -> Any:
    """Normalize a posted answer; InvalidResponse for anything the page did not offer."""
    return get_kind(q.kind).parse_response(q, raw, seed)


def grade_question(q: Question, raw: object, context: GradingContext) -> Grade:
    """Parse and grade one raw answer; None (not answered) scores 0 with the right answer shown."""
    kind = get_kind(q.kind)
    if raw is None:
        grade = kind.grade(q, kind.blank, context)
        unanswered = FeedbackItem("missed", "未作答", "本题未作答，不得分。", q.cite)
        verdict = "fail" if grade.verdict else None
        return replace(grade, score=0.0, correct=False, feedback=(unanswered, *grade.feedback), verdict=verdict)
    return kind.grade(q, kind.parse_response(q, raw, context.seed), context)


def grade_attempt(quiz: Quiz, responses: Mapping[str, object], context: GradingContext) -> AttemptResult:
    """Grade every question (missing ones score 0) and weigh them into a percent and pass/fail."""
    known = {q.id for q in quiz.questions}
    unknown = sorted(str(qid) for qid in responses if qid not in known)
    if unknown:
        raise InvalidResponse(f"作答中包含本测验没有的题目：{'、'.join(unknown)}")
    per_question = {q.id: grade_question(q, responses.get(q.id), context) for q in quiz.questions}
    percent = weighted_percent(quiz, {qid: g.score for qid, g in per_question.items()})
    return AttemptResult(percent, percent >= quiz.pass_mark, per_question)


def weighted_percent(quiz: Quiz, scores: Mapping[str, float]) -> float:
    """The weighted percent (2 decimals) of per-question scores in [0, 1]."""
    total = math.fsum(q.weight for q in quiz.questions)
    earned = math.fsum(q.weight * scores.get(q.id, 0.0) for q in quiz.questions)
    return round(100 * earned / total, 2) if total else 0.0
