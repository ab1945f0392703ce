"""Per-query features behind the confidence judgement, for studying it off line.

Usage::

    .venv/bin/python bench/conf_features.py /tmp/conf.json

Runs the relevance bench's engine over every set and records, per query, the plan's
concepts, the judgement, the top results (stored fields) and which concept each of them
holds (anywhere, in a strong field), with each concept's document frequency. Nothing of
the product changes: the engine's ``best_reading`` is wrapped to keep what it computed.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import relevance  # noqa: E402
from kbsite.search import engine as engine_module  # noqa: E402
from kbsite.search import ranking  # noqa: E402
from kbsite.search.query import concept_query, word_query  # noqa: E402

TOP_KEPT = 5
_captured: dict[str, dict] = {}
_current: list[str] = [""]


def _record(plan, matches, judgement, evaluator, tk) -> dict:
    """What the judgement saw, plus the top results and where they hold each concept."""
    best = matches.best(TOP_KEPT)
    stored = evaluator.searcher.stored_fields
    concepts = []
    for c in plan.concepts:
        q = concept_query(tk, c)
        strong = [word_query(tk, w, fields=ranking.STRONG_FIELDS) for w in [c.text, *c.variants]]
        title = [word_query(tk, w, fields=("title",)) for w in [c.text, *c.variants]]
        concepts.append({
            "text": c.text, "weight": c.weight, "soft": c.soft, "unknown": c.unknown,
            "by_char": c.by_char, "corrected": c.corrected_from, "variants": list(c.variants),
            "df": int(len(evaluator.matches(q))) if q is not None else 0,
            "held": [bool(q is not None and evaluator.contains(q, d)) for _, d in best],
            "strong": [any(p is not None and evaluator.contains(p, d) for p in strong) for _, d in best],
            "title": [any(p is not None and evaluator.contains(p, d) for p in title) for _, d in best],
        })
    docs = []
    for score, d in best:
        f = stored(d)
        docs.append({"score": float(score), "slug": f.get("slug"), "title": f.get("title", ""),
                     "tags": f.get("tags", ""), "summary": f.get("summary", ""),
                     "body": f.get("body", "")[:3000]})
    return {
        "short": plan.short, "folded": plan.folded, "concepts": concepts, "docs": docs,
        "n_docs": evaluator.doc_count, "judgement": vars(judgement),
    }


def _patch() -> None:
    original_reading = engine_module.best_reading
    original_search = engine_module.SearchEngine._search

    def reading(plan, evaluator, tk, **kw):
        out = original_reading(plan, evaluator, tk, **kw)
        _captured[_current[0]] = _record(out[0], out[1], out[2], evaluator, tk)
        return out

    def search(self, view, phrasing, text, **kw):
        _current[0] = text
        return original_search(self, view, phrasing, text, **kw)

    engine_module.best_reading = reading
    engine_module.SearchEngine._search = search
    original_evaluate = relevance.evaluate

    def evaluate(rank, queries):
        out = original_evaluate(rank, [])
        for q in queries:  # keep each query's record at once: another library may ask the same text
            answer = rank(q.text)
            answer.record = _captured.get(q.text, {})
            out.setdefault(q.kind, []).append((q, answer))
        return out

    relevance.evaluate = evaluate


def main(out: Path) -> None:
    """Run the bench's engine over every tuning set and write one record per query."""
    _patch()
    # tuning sets only: a held-out set's queries are never looked at one by one
    sets = [s for s in relevance.discover(relevance.HELDOUT) if s.role == "tuning"]
    relevance.keep_searchable(sets)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        relevance.run(sets, True, Path(tmp))
    for s in sets:
        for kind, answered in s.results["kbsite engine"].items():
            for q, a in answered:
                rows.append({
                    "set": s.name, "kind": kind, "text": q.text, "expect": list(q.expect),
                    "first": relevance.first_rank(q, a.slugs) == 1, "confidence": a.confidence,
                    "suggestion": a.suggestion, **a.record,
                })
    out.write_text(json.dumps(rows, ensure_ascii=False))
    print(f"{len(rows)} queries written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/conf.json"))
