"""The seven question kinds of docs/FORMAT.md, each declared once.

Parsing and grading stay the functions of ``quizformat`` and ``grading`` (each
class points at its own); what a class adds is its editor form, its label and
its template. Form readers return the kind's YAML keys spelled as the starter
files spell them (``correct: "true"``, empty keys left out), so a quiz loaded
into the form and saved unchanged is the same front matter.
"""

from __future__ import annotations

from collections.abc import Mapping

from kbsite.training import grading, quizformat
from kbsite.training.kinds.base import QuestionKind, register
from kbsite.training.kinds.formdata import Fields

SPEAKER_LABELS = {"customer": "顾客", "agent": "客服"}
SEVERITY_LABELS = {"forbidden": "禁用语", "risky": "风险用语"}


class _Builtin(QuestionKind):
    """A kind whose parser lives in quizformat and whose grader lives in grading."""

    def __init__(self) -> None:
        self.keys, self._parse = quizformat.kind_parser(self.name)
        self.grader = grading.KINDS[self.name]

    def parse(self, raw, where, errors):
        return self._parse(raw, where, errors)


def _options(fields: Fields, at: str, errors: list[str], *, single: bool) -> dict:
    rows = fields.rows("opt", ("text", "explain", "cite"), ("correct",))
    options = []
    for n, row in enumerate(rows, 1):
        if not row["text"]:
            errors.append(f"{at} 选项 {n}：选项内容不能为空")
        option = {"text": row["text"]} | ({"correct": "true"} if row["correct"] else {})
        options.append(option | {k: row[k] for k in ("explain", "cite") if row[k]})
    if len(options) < 2:
        errors.append(f"{at}：至少要有两个选项")
    correct = sum(o.get("correct") == "true" for o in options)
    if single and correct != 1:
        errors.append(f"{at}：请勾选恰好一个正确选项（现在勾选了 {correct} 个）")
    elif not single and correct == 0:
        errors.append(f"{at}：多选题至少要勾选一个正确选项")
    return {"options": options}


def _chat(fields: Fields, at: str, errors: list[str]) -> dict:
    lines = []
    for n, row in enumerate(fields.rows("chat", ("text",), choices=("from",)), 1):
        if row["from"] not in quizformat.SPEAKERS:
            errors.append(f"{at} 对话第 {n} 条：请选择说话人（顾客或客服）")
        if not row["text"]:
            errors.append(f"{at} 对话第 {n} 条：内容不能为空")
        lines.append({"from": row["from"], "text": row["text"]})
    if not lines:
        errors.append(f"{at}：情景对话至少要有一条")
    return {"chat": lines}


@register
class Single(_Builtin):
    """One correct option."""

    name, label = "single", "单选题"

    def from_form(self, fields, at, errors):
        return _options(fields, at, errors, single=True)


@register
class Multiple(_Builtin):
    """Several correct options, partial credit."""

    name, label = "multiple", "多选题"
    answer = "list"

    def from_form(self, fields, at, errors):
        return _options(fields, at, errors, single=False)


@register
class TrueFalse(_Builtin):
    """A statement judged true or false."""

    name, label = "truefalse", "判断题"

    def from_form(self, fields, at, errors):
        answer = fields.get("answer")
        if answer not in ("true", "false"):
            errors.append(f"{at}：请选择答案（正确或错误）")
            return {}
        return {"answer": answer}


@register
class Ordering(_Builtin):
    """Items written in their correct order."""

    name, label = "ordering", "排序题"
    answer = "list"

    def from_form(self, fields, at, errors):
        items = [row["text"] for row in fields.rows("item", ("text",))]
        if len(items) < 2:
            errors.append(f"{at}：排序题至少要有两项")
        for text in {t for t in items if items.count(t) > 1}:
            errors.append(f"{at}：排序项“{text}”重复")
        return {"items": items}


@register
class Matching(_Builtin):
    """Left-hand texts matched with right-hand ones."""

    name, label = "matching", "配对题"
    answer = "map"

    def from_form(self, fields, at, errors):
        pairs = []
        for n, row in enumerate(fields.rows("pair", ("left", "right")), 1):
            if not (row["left"] and row["right"]):
                errors.append(f"{at} 第 {n} 对：左右两侧都要填写")
            pairs.append({"left": row["left"], "right": row["right"]})
        if len(pairs) < 2:
            errors.append(f"{at}：配对题至少要有两对")
        return {"pairs": pairs}


@register
class ScenarioChoice(_Builtin):
    """A chat, then the best reply picked among options."""

    name, label = "scenario_choice", "情景选择题"
    prompt_required = False

    def from_form(self, fields, at, errors):
        return _chat(fields, at, errors) | _options(fields, at, errors, single=True)


@register
class ScenarioReply(_Builtin):
    """A chat, then a written reply graded by its key points."""

    name, label = "scenario_reply", "情景回复题"
    prompt_required = False
    keeps_empty_answer = True

    def from_form(self, fields, at, errors):
        data = _chat(fields, at, errors) | {"key_points": _key_points(fields, at, errors)}
        data |= _penalties(fields)
        if fields.get("sample_reply"):
            data["sample_reply"] = fields.get("sample_reply")
        return data


    def penalty_state(self, raw: Mapping) -> tuple[list[str], bool]:
        """(counted severities, fail on a hit) of a stored question, for the form's checkboxes."""
        penalties = raw.get("penalties")
        if isinstance(penalties, Mapping):
            severities = penalties.get("severities", ["forbidden"])
            fail = str(penalties.get("fail_on_hit", "")).lower() == "true"
            return (list(severities) if isinstance(severities, list) else []), fail
        return ([] if str(raw.get("forbidden", "")).lower() == "false" else ["forbidden"]), False


def _key_points(fields: Fields, at: str, errors: list[str]) -> list[dict]:
    points = []
    for n, row in enumerate(fields.rows("kp", ("name", "phrasings", "explain")), 1):
        phrasings = [line.strip() for line in row["phrasings"].split("\n") if line.strip()]
        if not row["name"]:
            errors.append(f"{at} 要点 {n}：要点名称不能为空")
        if not phrasings:
            errors.append(f"{at} 要点 {n}：至少写一种说法（每行一种）")
        point = {"name": row["name"], "phrasings": phrasings}
        points.append(point | ({"explain": row["explain"]} if row["explain"] else {}))
    if not points:
        errors.append(f"{at}：至少要有一个要点")
    return points


def _penalties(fields: Fields) -> dict:
    """The default (forbidden words cost a point) is written as nothing, as in the starter files."""
    severities = [s for s in quizformat.SEVERITIES if fields.checked(f"sev-{s}")]
    fail = fields.checked("fail_on_hit")
    if severities == ["forbidden"] and not fail:
        return {}
    if not severities and not fail:
        return {"forbidden": "false"}
    return {"penalties": {"severities": severities} | ({"fail_on_hit": "true"} if fail else {})}
