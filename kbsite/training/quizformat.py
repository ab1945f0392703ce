"""Quiz and course front matter: validation, typed questions, and the browser-safe view.

Owns the "Training types" / "Questions" contract of docs/FORMAT.md. Front matter
arrives with every scalar as a string (YAML BaseLoader: ``"true"``, ``"80"``);
native ``bool``/``int`` values are accepted too so that data stored as JSON can be
re-read. One parser collects every error, so ``validate_*`` and ``normalize_*``
can never disagree. ``public_question`` is the only view of a question that may
reach the browser before submission.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial

KINDS = ("single", "multiple", "truefalse", "ordering", "matching",
         "scenario_choice", "scenario_reply")
SPEAKERS = ("customer", "agent")
REPLY_MAX_CHARS = 2000
TIME_LIMIT_MAX_SECONDS = 86400
DEFAULT_PASS_MARK = 80
DEFAULT_COOLDOWN_MINUTES = 10
COOLDOWN_MAX_MINUTES = 10080
SEVERITIES = ("forbidden", "risky")
SLUG_RE = re.compile(r"^[a-z0-9-]{2,80}$")
_INT_RE = re.compile(r"^[+-]?\d+$")
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_ID_RE = re.compile(r"^\S{1,64}$")
_COMMON_KEYS = frozenset({"id", "kind", "prompt", "explain", "cite", "points", "score"})


@dataclass(frozen=True)
class Option:
    """One choice of a single/multiple/scenario_choice question."""

    text: str
    correct: bool = False
    explain: str = ""
    cite: str | None = None


@dataclass(frozen=True)
class ChatLine:
    """One message of a scenario; ``speaker`` is the file's ``from`` (customer|agent)."""

    speaker: str
    text: str


@dataclass(frozen=True)
class Pair:
    """One left ↔ right pair of a matching question."""

    left: str
    right: str


@dataclass(frozen=True)
class KeyPoint:
    """A point a scenario reply must make; met when any phrasing appears (folded)."""

    name: str
    phrasings: tuple[str, ...]
    explain: str = ""


@dataclass(frozen=True)
class Penalties:
    """Which lexicon severities cost a written reply points, and whether one hit fails it."""

    severities: tuple[str, ...] = ("forbidden",)
    fail_on_hit: bool = False


@dataclass(frozen=True)
class Question:
    """A typed question; only the fields of its kind are filled."""

    id: str
    kind: str
    prompt: str
    explain: str = ""
    cite: str | None = None
    weight: float = 1.0
    options: tuple[Option, ...] = ()
    answer: bool | None = None
    items: tuple[str, ...] = ()
    pairs: tuple[Pair, ...] = ()
    chat: tuple[ChatLine, ...] = ()
    key_points: tuple[KeyPoint, ...] = ()
    penalties: Penalties = Penalties()
    sample_reply: str = ""

    @property
    def forbidden(self) -> bool:
        """Whether the reply is checked against the lexicon at all."""
        return bool(self.penalties.severities)


@dataclass(frozen=True)
class Quiz:
    """A quiz's grading settings and questions."""

    pass_mark: int
    max_attempts: int
    time_limit_seconds: int | None
    questions: tuple[Question, ...]
    cooldown_minutes: int = 0
    draw: int | None = None
    min_seconds: int | None = None

    def question(self, qid: str) -> Question:
        """Look a question up by id (KeyError when absent)."""
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    def drawn(self, seed: int) -> Quiz:
        """The questions one attempt gets: ``draw`` of the pool, chosen by the attempt's seed, in pool order."""
        if not self.draw or self.draw >= len(self.questions):
            return self
        picked = sorted(random.Random(f"{seed}\x00draw").sample(range(len(self.questions)), self.draw))
        return replace(self, questions=tuple(self.questions[i] for i in picked), draw=None)

    @property
    def fast_seconds(self) -> int:
        """Finishing faster than this is implausible: ``min_seconds``, else 3 s per choice, 20 s per reply."""
        if self.min_seconds is not None:
            return self.min_seconds
        count = self.draw or len(self.questions)
        replies = sum(q.kind == "scenario_reply" for q in self.questions[:count])
        return 3 * (count - replies) + 20 * replies


@dataclass(frozen=True)
class Step:
    """One course step: a lesson or a quiz, by slug; a ``drill`` is a timed quiz taken in order."""

    kind: str
    slug: str
    drill: bool = False


@dataclass(frozen=True)
class Course:
    """A course's ordered steps, prerequisite courses and audience."""

    steps: tuple[Step, ...]
    prerequisites: tuple[str, ...]
    audience: str


class QuizFormatError(ValueError):
    """Invalid quiz or course front matter; ``errors`` lists every problem in Chinese."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("；".join(errors))
        self.errors = list(errors)


# --- scalar readers: each appends a Chinese error and returns a safe default ---


def _scalar(value: object, what: str, where: str, errors: list[str]) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors.append(f"{where}：{what} 应为文本")
        return ""
    return str(value).strip()


def _text(raw: Mapping, key: str, where: str, errors: list[str], required: bool = False) -> str:
    text = _scalar(raw.get(key), key, where, errors)
    if required and not text and (raw.get(key) is None or isinstance(raw.get(key), str)):
        errors.append(f"{where}：缺少 {key}" if raw.get(key) is None else f"{where}：{key} 不能为空")
    return text


def _bool(raw: Mapping, key: str, where: str, errors: list[str], default: bool | None) -> bool | None:
    value = raw.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    errors.append(f"{where}：{key} 应为 true 或 false，现为“{value}”")
    return default


def _int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value.strip())
    return None


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and _NUMBER_RE.match(value.strip()):
        return float(value.strip())
    return None


def _cite(raw: Mapping, where: str, errors: list[str]) -> str | None:
    slug = _text(raw, "cite", where, errors)
    if slug and not SLUG_RE.match(slug):
        errors.append(f"{where}：cite “{slug}” 不是有效的条目 slug")
    return slug or None


def _list(raw: Mapping, key: str, where: str, errors: list[str]) -> list:
    value = raw.get(key)
    if not isinstance(value, list):
        errors.append(f"{where}：缺少 {key} 列表" if value in (None, "") else f"{where}：{key} 应为列表")
        return []
    return value


def _unknown_keys(raw: Mapping, allowed: frozenset[str], where: str, errors: list[str]) -> None:
    for key in raw:
        if key not in allowed:
            errors.append(f"{where}：未知字段“{key}”")


def _duplicates(values: list[str]) -> list[str]:
    seen: set[str] = set()
    repeated: list[str] = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated


# --- kind-specific parts ---


def _options(raw: Mapping, where: str, errors: list[str]) -> dict:
    options = []
    for n, item in enumerate(_list(raw, "options", where, errors), 1):
        at = f"{where} 选项 {n}"
        if not isinstance(item, Mapping):
            errors.append(f"{at}：应为 {{text, correct, explain}} 映射")
            continue
        _unknown_keys(item, frozenset({"text", "correct", "explain", "cite"}), at, errors)
        options.append(Option(
            text=_text(item, "text", at, errors, required=True),
            correct=bool(_bool(item, "correct", at, errors, default=False)),
            explain=_text(item, "explain", at, errors),
            cite=_cite(item, at, errors),
        ))
    if len(options) < 2:
        errors.append(f"{where}：至少需要 2 个选项，现有 {len(options)} 个")
    for text in _duplicates([o.text for o in options if o.text]):
        errors.append(f"{where}：选项“{text}”重复")
    return {"options": tuple(options)}


def _choice(raw: Mapping, where: str, errors: list[str], *, single: bool) -> dict:
    data = _options(raw, where, errors)
    count = sum(o.correct for o in data["options"])
    if single and count != 1:
        errors.append(f"{where}：必须恰好有一个正确选项，现有 {count} 个")
    elif not single and count == 0:
        errors.append(f"{where}：多选题至少需要一个正确选项")
    return data


def _truefalse(raw: Mapping, where: str, errors: list[str]) -> dict:
    answer = _bool(raw, "answer", where, errors, default=None)
    if answer is None and raw.get("answer") in (None, ""):
        errors.append(f"{where}：判断题缺少 answer（true 或 false）")
    return {"answer": answer}


def _ordering(raw: Mapping, where: str, errors: list[str]) -> dict:
    items = []
    for n, item in enumerate(_list(raw, "items", where, errors), 1):
        text = _scalar(item, "排序项", f"{where} 第 {n} 项", errors)
        if not text and not isinstance(item, Mapping | list):
            errors.append(f"{where} 第 {n} 项：不能为空")
        items.append(text)
    if len(items) < 2:
        errors.append(f"{where}：排序题至少需要 2 项，现有 {len(items)} 项")
    for text in _duplicates([t for t in items if t]):
        errors.append(f"{where}：排序项“{text}”重复")
    return {"items": tuple(items)}


def _matching(raw: Mapping, where: str, errors: list[str]) -> dict:
    pairs = []
    for n, item in enumerate(_list(raw, "pairs", where, errors), 1):
        at = f"{where} 第 {n} 对"
        if not isinstance(item, Mapping):
            errors.append(f"{at}：应为 {{left, right}} 映射")
            continue
        _unknown_keys(item, frozenset({"left", "right"}), at, errors)
        pairs.append(Pair(_text(item, "left", at, errors, True), _text(item, "right", at, errors, True)))
    if len(pairs) < 2:
        errors.append(f"{where}：配对题至少需要 2 对，现有 {len(pairs)} 对")
    for text in _duplicates([p.left for p in pairs if p.left]):
        errors.append(f"{where}：配对左侧“{text}”重复")
    return {"pairs": tuple(pairs)}


def _chat(raw: Mapping, where: str, errors: list[str]) -> dict:
    lines = []
    for n, item in enumerate(_list(raw, "chat", where, errors), 1):
        at = f"{where} 对话第 {n} 条"
        if not isinstance(item, Mapping):
            errors.append(f"{at}：应为 {{from, text}} 映射")
            continue
        _unknown_keys(item, frozenset({"from", "text"}), at, errors)
        speaker = _text(item, "from", at, errors, required=True)
        if speaker and speaker not in SPEAKERS:
            errors.append(f"{at}：from 应为 customer 或 agent，现为“{speaker}”")
        lines.append(ChatLine(speaker, _text(item, "text", at, errors, required=True)))
    if not lines:
        errors.append(f"{where}：情景题的对话（chat）不能为空")
    return {"chat": tuple(lines)}


def _scenario_choice(raw: Mapping, where: str, errors: list[str]) -> dict:
    return _chat(raw, where, errors) | _choice(raw, where, errors, single=True)


def _key_point(item: object, at: str, errors: list[str]) -> KeyPoint | None:
    if not isinstance(item, Mapping):
        errors.append(f"{at}：应为 {{name, phrasings, explain}} 映射")
        return None
    _unknown_keys(item, frozenset({"name", "phrasings", "explain"}), at, errors)
    name = _text(item, "name", at, errors, required=True)
    label = f"{at}（{name}）" if name else at
    phrasings = [
        _scalar(p, "说法", label, errors) for p in _list(item, "phrasings", label, errors)
    ]
    if not any(phrasings):
        errors.append(f"{label}：要点没有任何说法（phrasings）")
    return KeyPoint(name, tuple(p for p in phrasings if p), _text(item, "explain", at, errors))


def _scenario_reply(raw: Mapping, where: str, errors: list[str]) -> dict:
    points = [
        _key_point(item, f"{where} 要点 {n}", errors)
        for n, item in enumerate(_list(raw, "key_points", where, errors), 1)
    ]
    points = [p for p in points if p is not None]
    if not points:
        errors.append(f"{where}：写回复题至少需要一个要点（key_points）")
    for name in _duplicates([p.name for p in points if p.name]):
        errors.append(f"{where}：要点“{name}”重复")
    return _chat(raw, where, errors) | {
        "key_points": tuple(points),
        "penalties": _penalties(raw, where, errors),
        "sample_reply": _text(raw, "sample_reply", where, errors),
    }


def _penalties(raw: Mapping, where: str, errors: list[str]) -> Penalties:
    """``forbidden: false`` (no lexicon check) or ``penalties: {severities, fail_on_hit}``."""
    forbidden = _bool(raw, "forbidden", where, errors, default=True)
    value = raw.get("penalties")
    if value in (None, ""):
        return Penalties() if forbidden else Penalties(severities=())
    at = f"{where} penalties"
    if "forbidden" in raw:
        errors.append(f"{where}：forbidden 与 penalties 只能写一个")
    if not isinstance(value, Mapping):
        errors.append(f"{at}：应为 {{severities, fail_on_hit}} 映射")
        return Penalties()
    _unknown_keys(value, frozenset({"severities", "fail_on_hit"}), at, errors)
    severities = value.get("severities", list(Penalties().severities))
    if not isinstance(severities, list):
        errors.append(f"{at}：severities 应为列表（forbidden、risky），可为空列表")
        severities = []
    for s in severities:
        if s not in SEVERITIES:
            errors.append(f"{at}：未知的严重程度“{s}”，可用：forbidden、risky")
    for s in _duplicates([s for s in severities if isinstance(s, str)]):
        errors.append(f"{at}：严重程度“{s}”重复")
    fail = bool(_bool(value, "fail_on_hit", at, errors, default=False))
    return Penalties(tuple(s for s in SEVERITIES if s in severities), fail)


_KIND_PARSERS: dict[str, tuple[frozenset[str], Callable[[Mapping, str, list[str]], dict]]] = {
    "single": (frozenset({"options"}), partial(_choice, single=True)),
    "multiple": (frozenset({"options"}), partial(_choice, single=False)),
    "truefalse": (frozenset({"answer"}), _truefalse),
    "ordering": (frozenset({"items"}), _ordering),
    "matching": (frozenset({"pairs"}), _matching),
    "scenario_choice": (frozenset({"chat", "options"}), _scenario_choice),
    "scenario_reply": (frozenset({"chat", "key_points", "forbidden", "penalties", "sample_reply"}),
                       _scenario_reply),
}
# Extra public-view fields of kinds registered from outside (kbsite.training.kinds).
_PUBLIC_EXTRAS: dict[str, Callable[[Question, int], dict]] = {}


def kind_parser(name: str) -> tuple[frozenset[str], Callable[[Mapping, str, list[str]], dict]]:
    """A kind's extra YAML keys and its parser (KeyError for an unknown kind)."""
    return _KIND_PARSERS[name]


def register_kind_parser(name: str, keys: frozenset[str], parse: Callable[[Mapping, str, list[str]], dict],
                         public: Callable[[Question, int], dict] | None = None) -> None:
    """Let a question kind declared elsewhere be parsed (and shown) like the built-in ones."""
    _KIND_PARSERS[name] = (frozenset(keys), parse)
    if public is not None:
        _PUBLIC_EXTRAS[name] = public


def unregister_kind_parser(name: str) -> None:
    """Forget a registered kind (tests register temporary kinds)."""
    _KIND_PARSERS.pop(name, None)
    _PUBLIC_EXTRAS.pop(name, None)


# --- questions and quizzes ---


def _weight(raw: Mapping, where: str, errors: list[str]) -> float:
    if "points" in raw and "score" in raw:
        errors.append(f"{where}：points 与 score 只能写一个")
    value = raw.get("points", raw.get("score"))
    if value is None or value == "":
        return 1.0
    weight = _number(value)
    if weight is None or not 0 < weight <= 1000:
        errors.append(f"{where}：分值（points）应为大于 0 的数字，现为“{value}”")
        return 1.0
    return weight


def _question(raw: object, n: int, errors: list[str]) -> Question | None:
    if not isinstance(raw, Mapping):
        errors.append(f"第 {n} 题：应为映射（id、kind、prompt……）")
        return None
    qid = _text(raw, "id", f"第 {n} 题", errors, required=True)
    if qid and not _ID_RE.match(qid):
        errors.append(f"第 {n} 题：id “{qid}” 不能含空白且不超过 64 个字符")
    where = f"题目 {qid}" if qid else f"第 {n} 题"
    kind = _text(raw, "kind", where, errors, required=True)
    common = {
        # The chat is a scenario's situation, so its prompt may be left out (FORMAT.md's example).
        "prompt": _text(raw, "prompt", where, errors, required=not kind.startswith("scenario_")),
        "explain": _text(raw, "explain", where, errors),
        "cite": _cite(raw, where, errors),
        "weight": _weight(raw, where, errors),
    }
    if kind not in _KIND_PARSERS:
        if kind:
            errors.append(f"{where}：未知题型“{kind}”，可用：{'、'.join(_KIND_PARSERS)}")
        return None
    keys, parse = _KIND_PARSERS[kind]
    _unknown_keys(raw, _COMMON_KEYS | keys, where, errors)
    return Question(id=qid, kind=kind, **common, **parse(raw, where, errors))


def _bounded_int(meta: Mapping, key: str, low: int, high: int, default: int | None,
                 errors: list[str]) -> int | None:
    value = meta.get(key)
    if value is None or value == "":
        return default
    number = _int(value)
    if number is None or not low <= number <= high:
        errors.append(f"{key} 应为 {low}–{high} 的整数，现为“{value}”")
        return default
    return number


def _parse_quiz(meta: Mapping, errors: list[str]) -> Quiz:
    pass_mark = _bounded_int(meta, "pass_mark", 0, 100, DEFAULT_PASS_MARK, errors)
    max_attempts = _bounded_int(meta, "max_attempts", 0, 1000, 0, errors)
    limit = _bounded_int(meta, "time_limit_seconds", 1, TIME_LIMIT_MAX_SECONDS, None, errors)
    default_cooldown = 0 if max_attempts else DEFAULT_COOLDOWN_MINUTES
    cooldown = _bounded_int(meta, "cooldown_minutes", 0, COOLDOWN_MAX_MINUTES, default_cooldown, errors)
    min_seconds = _bounded_int(meta, "min_seconds", 0, TIME_LIMIT_MAX_SECONDS, None, errors)
    raws = meta.get("questions")
    if not isinstance(raws, list) or not raws:
        errors.append("questions 应为非空的题目列表")
        raws = raws if isinstance(raws, list) else []
    questions = [q for n, r in enumerate(raws, 1) if (q := _question(r, n, errors)) is not None]
    ids = [r.get("id") for r in raws if isinstance(r, Mapping) and r.get("id")]
    for qid in _duplicates([str(i).strip() for i in ids]):
        errors.append(f"题目 id “{qid}” 重复")
    draw = _bounded_int(meta, "draw", 1, max(1, len(raws)), None, errors)
    return Quiz(pass_mark or 0, max_attempts or 0, limit, tuple(questions), cooldown or 0, draw, min_seconds)


def validate_quiz_meta(meta: dict) -> list[str]:
    """List every problem of a quiz's front matter (Chinese, naming the question); [] when valid."""
    errors: list[str] = []
    if not isinstance(meta, Mapping):
        return ["测验的 front matter 应为映射"]
    _parse_quiz(meta, errors)
    return errors


def normalize_quiz(meta: dict) -> Quiz:
    """Convert a quiz's string front matter to typed data; QuizFormatError (a ValueError) if invalid."""
    if not isinstance(meta, Mapping):
        raise QuizFormatError(["测验的 front matter 应为映射"])
    errors: list[str] = []
    quiz = _parse_quiz(meta, errors)
    if errors:
        raise QuizFormatError(errors)
    return quiz


# --- courses ---


def _step(raw: object, n: int, errors: list[str]) -> Step | None:
    at = f"课程第 {n} 步"
    if not isinstance(raw, Mapping) or len(raw) != 1 or next(iter(raw)) not in ("lesson", "quiz", "drill"):
        errors.append(f"{at}：应为 {{lesson: slug}}、{{quiz: slug}} 或 {{drill: slug}}")
        return None
    kind, slug = next(iter(raw.items()))
    if not isinstance(slug, str) or not SLUG_RE.match(slug.strip()):
        errors.append(f"{at}：{kind} “{slug}” 不是有效的 slug")
        return None
    # A drill is a (timed) quiz that opens once every earlier step of the course is done.
    return Step("quiz" if kind == "drill" else kind, slug.strip(), drill=kind == "drill")


def _parse_course(meta: Mapping, errors: list[str], slug: str | None) -> Course:
    raws = meta.get("steps")
    if not isinstance(raws, list) or not raws:
        errors.append("steps 应为非空的步骤列表")
        raws = raws if isinstance(raws, list) else []
    steps = [s for n, r in enumerate(raws, 1) if (s := _step(r, n, errors)) is not None]
    for step in _duplicates([f"{s.kind}: {s.slug}" for s in steps]):
        errors.append(f"课程步骤“{step}”重复")
    prereqs = meta.get("prerequisites")
    if prereqs in (None, ""):
        prereqs = []
    if not isinstance(prereqs, list):
        errors.append("prerequisites 应为课程 slug 列表")
        prereqs = []
    for p in prereqs:
        if not isinstance(p, str) or not SLUG_RE.match(p.strip()):
            errors.append(f"先修课程“{p}”不是有效的 slug")
        elif slug is not None and p.strip() == slug:
            errors.append("课程不能把自己列为先修课程")
    clean = [p.strip() for p in prereqs if isinstance(p, str)]
    for p in _duplicates(clean):
        errors.append(f"先修课程“{p}”重复")
    audience = _text(meta, "audience", "课程", errors)
    return Course(tuple(steps), tuple(clean), audience)


def validate_course_meta(meta: dict, slug: str | None = None) -> list[str]:
    """List every problem of a course's front matter (Chinese); [] when valid."""
    if not isinstance(meta, Mapping):
        return ["课程的 front matter 应为映射"]
    errors: list[str] = []
    _parse_course(meta, errors, slug)
    return errors


def normalize_course(meta: dict, slug: str | None = None) -> Course:
    """Convert a course's front matter to typed data; QuizFormatError if invalid."""
    errors = validate_course_meta(meta, slug)
    if errors:
        raise QuizFormatError(errors)
    return _parse_course(meta, errors, slug)


# --- the browser-safe view ---


def choice_ids(seed: int, qid: str, role: str, count: int) -> list[str]:
    """Opaque ids for a question's choices: keyed by the secret seed, so they say nothing."""
    key = str(seed).encode()[:64]
    return [
        hashlib.blake2b(f"{qid}\x00{role}\x00{i}".encode(), key=key, digest_size=6).hexdigest()
        for i in range(count)
    ]


def distinct_rights(q: Question) -> list[str]:
    """The right-hand texts a matching question offers, each once (two lefts may share one)."""
    return list(dict.fromkeys(p.right for p in q.pairs))


def _shuffled(seed: int, qid: str, role: str, count: int) -> list[int]:
    order = list(range(count))
    random.Random(f"{seed}\x00{qid}\x00{role}").shuffle(order)
    return order


def _choices(seed: int, q: Question, role: str, texts: list[str], derange: bool = False) -> list[dict]:
    ids = choice_ids(seed, q.id, role, len(texts))
    order = _shuffled(seed, q.id, role, len(texts))
    if derange and len(order) >= 2 and order == sorted(order):
        order = order[1:] + order[:1]
    return [{"id": ids[i], "text": texts[i]} for i in order]


def public_question(q: Question, *, seed: int) -> dict:
    """What the browser may see before submission: no answers, explanations or key points."""
    view: dict = {"id": q.id, "kind": q.kind, "prompt": q.prompt, "points": q.weight}
    if q.chat:
        view["chat"] = [{"from": line.speaker, "text": line.text} for line in q.chat]
    if q.options:
        view["options"] = _choices(seed, q, "option", [o.text for o in q.options])
    if q.kind == "ordering":
        view["items"] = _choices(seed, q, "item", list(q.items), derange=True)
    if q.kind == "matching":
        view["lefts"] = [
            {"id": i, "text": p.left}
            for i, p in zip(choice_ids(seed, q.id, "left", len(q.pairs)), q.pairs, strict=True)
        ]
        view["rights"] = _choices(seed, q, "right", distinct_rights(q))
    if q.kind == "scenario_reply":
        view["max_chars"] = REPLY_MAX_CHARS
    if q.kind in _PUBLIC_EXTRAS:
        view.update(_PUBLIC_EXTRAS[q.kind](q, seed))
    return view
