"""Fixtures for the training pages: the starter library, a trainee, a trainer and a known quiz."""

from __future__ import annotations

import textwrap

import pytest
import yaml
from tests_support import login

from kbsite.training.quizformat import Quiz, choice_ids, distinct_rights, normalize_quiz

# One question of every kind; ``k-`` strings are unique so page greps are meaningful.
KNOWN_QUIZ = """
pass_mark: 80
max_attempts: 0
cooldown_minutes: 0
questions:
  - id: s1
    kind: single
    prompt: 在线客服的首次响应标准是？
    options:
      - {text: 1分钟内, correct: true, explain: k-option-explain-甲}
      - {text: 10分钟内, explain: 太慢了，顾客会流失}
    explain: k-question-explain-乙
    cite: response-time-standards
  - id: m1
    kind: multiple
    prompt: 哪些属于禁用语类别？
    options:
      - {text: 推诿, correct: true}
      - {text: 冷漠, correct: true}
      - {text: 共情}
  - id: t1
    kind: truefalse
    prompt: 七天无理由退货从签收次日起算。
    answer: true
  - id: o1
    kind: ordering
    prompt: 排出投诉处理的前四步。
    items: [倾听, 致歉, 核实, 给方案]
  - id: p1
    kind: matching
    prompt: 投诉等级与响应时间
    pairs:
      - {left: P0, right: 15分钟}
      - {left: P1, right: 1小时}
      - {left: P2, right: 4小时}
  - id: c1
    kind: scenario_choice
    chat:
      - {from: customer, text: 我的退款怎么还没到？}
    options:
      - {text: 您好，我马上帮您查询退款进度。, correct: true}
      - {text: 你自己看订单页面吧。, explain: 冷漠}
  - id: r1
    kind: scenario_reply
    chat:
      - {from: customer, text: 快递到了箱子都压扁了，里面的杯子碎了！}
    key_points:
      - {name: 致歉, phrasings: [抱歉, 对不起], explain: 先安抚情绪。}
      - {name: 要照片, phrasings: [k照片甲, 拍照]}
      - {name: 给方案, phrasings: [补发, 退款]}
    sample_reply: k-sample-reply 非常抱歉，麻烦拍照给我，我们马上为您补发。
"""


def quiz_meta(text: str = KNOWN_QUIZ, **overrides) -> dict:
    """Front matter as the importer stores it (all scalars strings)."""
    meta = yaml.load(textwrap.dedent(text), Loader=yaml.BaseLoader)
    meta.update({k: str(v) for k, v in overrides.items()})
    return meta


def publish(app, slug: str, type_: str, meta: dict | None = None, body: str = "", title: str | None = None):
    """Import (create or update) a published item."""
    from kbsite import files
    from kbsite.content import service

    with app.test_request_context():
        service.import_items([files.ItemData(slug=slug, type=type_, title=title or slug, category="培训/测试",
                                             body=body, meta=meta or {}, source=f"{slug}.md")])


def answers(quiz: Quiz, seed: int, *, right: bool = True) -> dict:
    """Form fields answering every question (all right, or all wrong where possible)."""
    form: dict = {}
    for q in quiz.questions:
        key = f"q-{q.id}"
        if q.kind in ("single", "scenario_choice", "multiple"):
            ids = choice_ids(seed, q.id, "option", len(q.options))
            picked = [ids[i] for i, o in enumerate(q.options) if o.correct == right]
            form[key] = picked if q.kind == "multiple" else picked[0]
        elif q.kind == "truefalse":
            form[key] = str(q.answer if right else not q.answer).lower()
        elif q.kind == "ordering":
            ids = choice_ids(seed, q.id, "item", len(q.items))
            form[key] = ids if right else ids[::-1]
        elif q.kind == "matching":
            lefts = choice_ids(seed, q.id, "left", len(q.pairs))
            rights = distinct_rights(q)
            rids = choice_ids(seed, q.id, "right", len(rights))
            for left, pair in zip(lefts, q.pairs, strict=True):
                target = rights.index(pair.right) if right else (rights.index(pair.right) + 1) % len(rights)
                form[f"{key}.{left}"] = rids[target]
        elif q.kind == "scenario_reply":
            form[key] = q.sample_reply if right else "这不归我们管，你自己看。"
    return form


@pytest.fixture
def lib(library_app, make_user_lib):
    """The starter library with the known quiz published as ``known-quiz``."""
    publish(library_app, "known-quiz", "quiz", quiz_meta(), title="已知测验")
    return library_app


@pytest.fixture
def make_user_lib(library_app):
    from kbsite.auth import service

    def make(username: str, role: str = "agent", cohort: str | None = None):
        with library_app.app_context():
            return service.create_user(username, role, "correct-horse-battery", cohort=cohort)

    return make


@pytest.fixture
def signed_in(lib, make_user_lib):
    """Factory: a client signed in as a new user; ``client.user`` is the user."""

    def make(username: str, role: str = "agent", cohort: str | None = None):
        user = make_user_lib(username, role, cohort)
        c = lib.test_client()
        assert login(c, username).status_code == 302
        c.user = user
        return c

    return make


def start(client, slug: str = "known-quiz") -> int:
    """Start an attempt through the page; returns its id."""
    resp = client.post(f"/training/quizzes/{slug}/start")
    assert resp.status_code == 302, resp.data
    return int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def attempt_row(app, attempt_id: int):
    from kbsite.db import session
    from kbsite.training.models import Attempt

    with app.app_context():
        return session().get(Attempt, attempt_id)


def known_quiz() -> Quiz:
    return normalize_quiz(quiz_meta())
