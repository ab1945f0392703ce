"""Trying a written-reply rubric before publishing: grade a reply exactly as an attempt would.

Used by the quiz authoring page, ``POST /api/training/grade-preview`` and
``bench/grading.py``. Nothing is stored; the published lexicon and synonym
groups are the ones real attempts use.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from kbsite.errors import Invalid
from kbsite.training import catalog
from kbsite.training.grading import Grade, InvalidResponse, grade_question
from kbsite.training.quizformat import REPLY_MAX_CHARS, Question, QuizFormatError, normalize_quiz

PREVIEW_SEED = 0  # written replies do not depend on the seed
MAX_SAMPLES = 20


def reply_question(raw: object) -> Question:
    """One scenario_reply question as in docs/FORMAT.md; Invalid (400) with every problem otherwise."""
    if not isinstance(raw, Mapping):
        raise Invalid("question 必须是一道题目（JSON 对象）")
    data = dict(raw)
    data.setdefault("id", "preview")
    if data.get("kind") != "scenario_reply":
        raise Invalid("只能预览写回复题（kind: scenario_reply）")
    try:
        return normalize_quiz({"questions": [data]}).questions[0]
    except QuizFormatError as exc:
        raise Invalid("题目格式有误：" + "；".join(exc.errors)) from exc


def grade(q: Question, reply: object, sess: Session | None = None) -> Grade:
    """The grade a real attempt would give this reply."""
    if not isinstance(reply, str):
        raise Invalid("reply 必须是文字")
    try:
        return grade_question(q, reply, catalog.grading_context(PREVIEW_SEED, sess))
    except InvalidResponse as exc:
        raise Invalid(str(exc)) from exc


def as_json(g: Grade) -> dict:
    """The API's answer: score 0–100, verdict, points met, flags, and the evidence per point."""
    detail = g.detail
    return {
        "score": round(100 * g.score, 1),
        "verdict": g.verdict,
        "points": [{"name": p["name"], "met": p["met"], "evidence": p["evidence"]} for p in detail["points"]],
        "flags": detail["flags"],
    }


def samples(text: str) -> list[str]:
    """Sample replies pasted on the authoring page: one per block, blocks separated by a blank line."""
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n")]
    blocks = [b for b in blocks if b]
    if len(blocks) > MAX_SAMPLES:
        raise Invalid(f"一次最多预览 {MAX_SAMPLES} 条回复")
    for b in blocks:
        if len(b) > REPLY_MAX_CHARS:
            raise Invalid(f"每条回复不能超过 {REPLY_MAX_CHARS} 字")
    return blocks
