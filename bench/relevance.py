"""Relevance benchmark: kbsite's search engine against three baselines on the real library.

Usage::

    .venv/bin/python bench/relevance.py            # table: hit@5 and MRR@10, overall and per kind
    .venv/bin/python bench/relevance.py --misses   # also list the engine's misses

Every engine indexes the published entries of content/ and scripts_lib/ and
answers every query of bench/queries.yaml (top 10). Baselines share one plain
Whoosh schema (title ×3, tags ×2, summary, body; OR of the query's tokens):
Whoosh's default StandardAnalyzer, jieba alone (jieba.analyse.ChineseAnalyzer)
and CJK character bigrams alone — no folding, dictionary or synonyms.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jieba  # noqa: E402
from whoosh import fields, index, qparser  # noqa: E402
from whoosh import query as wq  # noqa: E402
from whoosh.analysis import StandardAnalyzer, Token, Tokenizer  # noqa: E402

from bench.corpus import Query, library_docs, load_queries, search_config  # noqa: E402
from kbsite.search import SearchDoc, SearchEngine  # noqa: E402

jieba.setLogLevel(logging.WARNING)
TOP = 10
Ranker = Callable[[str], list[str]]


class BigramTokenizer(Tokenizer):
    """CJK character bigrams (single ideographs kept alone) plus Latin/digit words."""

    _RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+")

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="", **kw):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kw)
        pos = start_pos
        for run in self._RUN.findall(value):
            grams = [run.lower()] if run.isascii() else (
                [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
            for gram in grams:
                token.text, token.boost, token.stopped = gram, 1.0, False
                if positions:
                    token.pos = pos
                pos += 1
                yield token


def _chinese_analyzer():
    from jieba.analyse import ChineseAnalyzer

    return ChineseAnalyzer()


BASELINES: dict[str, Callable] = {
    "Whoosh StandardAnalyzer": StandardAnalyzer,
    "jieba alone": _chinese_analyzer,
    "bigrams alone": BigramTokenizer,
}


def baseline_ranker(docs: list[SearchDoc], analyzer, directory: Path) -> Ranker:
    """A plain Whoosh index over ``docs`` with ``analyzer``; OR of the query's tokens."""
    schema = fields.Schema(
        slug=fields.ID(stored=True),
        title=fields.TEXT(analyzer=analyzer, field_boost=3.0),
        tags=fields.TEXT(analyzer=analyzer, field_boost=2.0),
        summary=fields.TEXT(analyzer=analyzer),
        body=fields.TEXT(analyzer=analyzer),
    )
    ix = index.create_in(str(directory), schema)
    with ix.writer() as writer:
        for d in docs:
            writer.add_document(slug=d.slug, title=d.title, tags=" ".join(d.tags),
                                summary=d.summary, body=d.body)
    searcher = ix.searcher()
    names = ("title", "tags", "summary", "body")

    def rank(text: str) -> list[str]:
        terms = list(dict.fromkeys(t.text for t in analyzer(text)))
        if not terms:
            return []
        query = wq.Or([wq.Term(f, t) for f in names for t in terms])
        return [hit["slug"] for hit in searcher.search(query, limit=TOP)]

    rank.parser = qparser  # keep the import meaningful for readers comparing parsers
    return rank


def engine_ranker(docs: list[SearchDoc], directory: Path) -> Ranker:
    """kbsite's engine with the library's dictionary and synonyms."""
    words, groups = search_config()
    engine = SearchEngine(directory, words=words, synonyms=groups)
    engine.ensure_index()
    engine.rebuild(docs)

    def rank(text: str) -> list[str]:
        return [h.slug for h in engine.search(text, limit=TOP).hits]

    return rank


def evaluate(rank: Ranker, queries: Iterable[Query]) -> dict[str, list[tuple[Query, list[str]]]]:
    """Each query's ranked slugs, grouped by kind."""
    out: dict[str, list[tuple[Query, list[str]]]] = {}
    for q in queries:
        out.setdefault(q.kind, []).append((q, rank(q.text)))
    return out


def first_rank(q: Query, ranked: list[str]) -> int | None:
    """1-based rank of the first acceptable entry in the top 10, or None."""
    return next((i for i, slug in enumerate(ranked[:TOP], 1) if slug in q.expect), None)


def scores(rows: list[tuple[Query, list[str]]]) -> tuple[float, float]:
    """(hit@5, MRR@10) of a list of answered queries."""
    ranks = [first_rank(q, r) for q, r in rows]
    hit5 = sum(1 for r in ranks if r and r <= 5) / len(rows)
    mrr = sum(1 / r for r in ranks if r) / len(rows)
    return hit5, mrr


def table(results: dict[str, dict[str, list]], kinds: list[str]) -> str:
    """Markdown table: one row per kind plus overall, two columns per system."""
    systems = list(results)
    head = "| kind | n | " + " | ".join(f"{s} hit@5 | MRR@10" for s in systems) + " |"
    lines = [head, "|" + "---|" * (2 + 2 * len(systems))]
    for kind in [*kinds, "overall"]:
        cells = []
        n = 0
        for system in systems:
            rows = (sum(results[system].values(), []) if kind == "overall"
                    else results[system][kind])
            n = len(rows)
            hit5, mrr = scores(rows)
            cells.append(f"{hit5:.2f} | {mrr:.2f}")
        lines.append(f"| {kind} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run every system over the queries and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="list the engine's misses")
    parser.add_argument("--engine-only", action="store_true", help="skip the baselines")
    args = parser.parse_args(argv)
    docs = library_docs()
    queries = load_queries()
    kinds = list(dict.fromkeys(q.kind for q in queries))
    results: dict[str, dict[str, list]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        results["kbsite engine"] = evaluate(engine_ranker(docs, Path(tmp) / "engine"), queries)
        elapsed = time.perf_counter() - started
        if not args.engine_only:
            for name, make in BASELINES.items():
                directory = Path(tmp) / re.sub(r"\W+", "-", name)
                directory.mkdir()
                results[name] = evaluate(baseline_ranker(docs, make(), directory), queries)
    print(f"{len(queries)} queries over {len(docs)} published entries "
          f"(engine: build + all queries {elapsed:.1f} s)\n")
    print(table(results, kinds))
    if args.misses:
        print("\nEngine misses (not in top 5):")
        for kind, rows in results["kbsite engine"].items():
            for q, ranked in rows:
                r = first_rank(q, ranked)
                if not r or r > 5:
                    print(f"  [{kind}] {q.text[:40]!r} rank={r} got={ranked[:5]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
