"""The quiz editor's form ⇄ quiz front matter, so that trainers author quizzes without YAML.

The form posts one block of fields per question (``q<n>-…``, see ``kinds.formdata``)
and the quiz settings (``quiz-<key>``). Each question's kind reads its own fields
(``kinds``); this module orders, numbers and checks the questions as a whole and
names every problem by position ("第 3 题：…"). What the form writes is what the
YAML view would hold, key for key; a question the form did not change in meaning
keeps its stored spelling, so saving an untouched quiz makes no new revision.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from kbsite.training import kinds
from kbsite.training.kinds.formdata import Fields
from kbsite.training.quizformat import QuizFormatError, normalize_quiz, validate_quiz_meta

# Quiz-level settings of docs/FORMAT.md "Attempt rules", with their labels.
SETTINGS = (
    ("pass_mark", "及格分（0–100）"),
    ("max_attempts", "最多作答次数（0 为不限）"),
    ("cooldown_minutes", "两次作答的间隔（分钟）"),
    ("time_limit_seconds", "限时（秒，可留空）"),
    ("draw", "每次抽取题数（可留空）"),
    ("min_seconds", "少于多少秒算过快（可留空）"),
)
_SETTING_KEYS = frozenset(k for k, _ in SETTINGS)
_QUESTION_RE = re.compile(r"^q(\d+)-kind$")
_LIST_KEYS = ("options", "items", "pairs", "chat", "key_points")
_MULTILINE_KEYS = frozenset({"prompt", "explain", "sample_reply"})  # textareas; every other box is one line


def meta_from_form(form: Mapping, old_meta: Mapping | None,
                   cite_exists: Callable[[Sequence[str]], set[str]]) -> tuple[dict, list[str]]:
    """The quiz's structured keys from the posted form, and every problem in Chinese ([] when valid).

    ``cite_exists`` returns which of the given slugs are knowledge entries.
    """
    old_meta = old_meta or {}
    meta = {k: v for k, v in old_meta.items() if k not in _SETTING_KEYS and k not in ("questions", "folder")}
    for key, _ in SETTINGS:
        value = str(form.get(f"quiz-{key}", "")).strip()
        if value:
            meta[key] = value
    errors: list[str] = []
    questions = [_question(form, prefix, n, errors) for n, prefix in enumerate(_ordered(form), 1)]
    _fill_ids(questions)
    _check_ids(questions, errors)
    _check_cites(questions, cite_exists, errors)
    meta["questions"] = _keep_stored(questions, old_meta.get("questions"))
    if not questions:
        errors.append("测验至少要有一道题")
    if not errors:
        errors = _by_position(validate_quiz_meta(meta), meta["questions"])
    return meta, errors


def _ordered(form: Mapping) -> list[str]:
    """Question prefixes by their 顺序 number, then page order; ticked 删除 ones left out."""
    found = [(m.group(1), i) for i, key in enumerate(form) if (m := _QUESTION_RE.match(key))]
    keyed = []
    for n, position in found:
        fields = Fields(form, f"q{n}")
        if fields.checked("delete"):
            continue
        order = fields.get("order")
        keyed.append((int(order) if order.isdigit() else position, position, f"q{n}"))
    return [prefix for *_, prefix in sorted(keyed)]


def _question(form: Mapping, prefix: str, n: int, errors: list[str]) -> dict:
    fields, at = Fields(form, prefix), f"第 {n} 题"
    name = fields.get("kind")
    raw: dict = {"id": fields.get("id"), "kind": name}
    if name not in kinds.REGISTRY:
        errors.append(f"{at}：请选择题型")
        return raw
    kind = kinds.get(name)
    if fields.get("prompt"):
        raw["prompt"] = fields.get("prompt")
    elif kind.prompt_required:
        errors.append(f"{at}：题干不能为空")
    raw |= kind.from_form(fields, at, errors)
    for key in ("explain", "cite", "points"):
        if fields.get(key):
            raw[key] = fields.get(key)
    return raw


def _fill_ids(questions: list[dict]) -> None:
    """A new question left without an id gets the first free ``q<k>``."""
    used = {q["id"] for q in questions if q["id"]}
    k = 1
    for q in questions:
        if not q["id"]:
            while f"q{k}" in used:
                k += 1
            q["id"] = f"q{k}"
            used.add(q["id"])


def _check_ids(questions: list[dict], errors: list[str]) -> None:
    first: dict[str, int] = {}
    for n, q in enumerate(questions, 1):
        if re.search(r"\s", q["id"]) or len(q["id"]) > 64:
            errors.append(f"第 {n} 题：编号不能含空格，且不超过 64 个字符")
        if q["id"] in first:
            errors.append(f"第 {n} 题：编号“{q['id']}”与第 {first[q['id']]} 题重复")
        first.setdefault(q["id"], n)


def _check_cites(questions: list[dict], cite_exists: Callable[[Sequence[str]], set[str]],
                 errors: list[str]) -> None:
    wanted = [(n, slug) for n, q in enumerate(questions, 1) for slug in _cites(q)]
    known = cite_exists(sorted({slug for _, slug in wanted}))
    for n, slug in wanted:
        if slug not in known:
            errors.append(f"第 {n} 题：引用的知识条目“{slug}”不存在，请从列表中选择")


def _cites(q: dict) -> list[str]:
    found = [q["cite"]] if q.get("cite") else []
    return found + [o["cite"] for o in q.get("options", []) if o.get("cite")]


def _keep_stored(questions: list[dict], stored: object) -> list:
    """A question whose meaning is unchanged keeps its stored spelling (key order, "false" flags)."""
    if not isinstance(stored, list):
        return questions
    by_id = {q.get("id"): q for q in stored if isinstance(q, Mapping)}
    return [by_id[q["id"]] if q["id"] in by_id and _same(q, by_id[q["id"]]) else q for q in questions]


def _same(new: dict, old: Mapping) -> bool:
    try:
        return normalize_quiz({"questions": [new]}) == normalize_quiz({"questions": [dict(old)]})
    except QuizFormatError:
        return False


def _by_position(errors: list[str], questions: list) -> list[str]:
    """Quiz-format messages name questions by id; the form names them by position."""
    out = []
    for message in errors:
        for n, q in enumerate(questions, 1):
            message = message.replace(f"题目 {q.get('id')}：", f"第 {n} 题：").replace(
                f"题目 {q.get('id')} ", f"第 {n} 题 ")
        for key, label in SETTINGS:
            if message.startswith(f"{key} "):
                message = label.split("（")[0] + message[len(key) + 1:]
        out.append(message)
    return out


def form_editable(meta: Mapping) -> bool:
    """Whether every question has a shape the form can show without losing anything."""
    questions = meta.get("questions", [])
    if not isinstance(questions, list):
        return False
    return all(
        isinstance(q, Mapping) and q.get("kind") in kinds.REGISTRY
        and all(isinstance(q.get(k, []), list) for k in _LIST_KEYS)
        and not any("\n" in text for key, v in q.items() if key not in _MULTILINE_KEYS for text in _texts(v))
        for q in questions
    )


def _texts(value: object):
    """Every string inside a value (a line break there would be lost in a one-line box)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v)


def settings_values(meta: Mapping) -> list[tuple[str, str, str]]:
    """(key, label, current value) of each quiz setting, for the form."""
    return [(key, label, "" if meta.get(key) is None else str(meta[key])) for key, label in SETTINGS]
