"""Relevance benchmark: kbsite's search engine against three baselines, tuning and held-out sets.

Usage::

    .venv/bin/python bench/relevance.py                  # every set, engine and baselines
    .venv/bin/python bench/relevance.py --misses         # also the engine's misses on TUNING sets
    .venv/bin/python bench/relevance.py --heldout DIR    # held-out sets from DIR (default bench/heldout)

Sets: ``bench/queries.yaml`` is the tuning set. Held-out sets are written by
someone who has not seen the tuning set, the synonyms or the dictionary:
``heldout-*.yaml`` against the starter library, and every other shop's library
``<name>/`` (Markdown entries) that has a ``<name>-queries.yaml`` beside it
(``otherlib/``, ``shop3/`` …), each imported the way a customer imports a
library (``kbsite import``'s code path, with the shipped search vocabulary of
content/search/) into an index of its own and reported as a column of its own.
A set that has been looked at to pick a fix is listed in ``USED_FOR_TUNING``
and is reported as tuning from then on. The misses of a held-out set are never
printed.

Every engine answers every query (top 10). Baselines share one plain Whoosh
schema (title ×3, tags ×2, summary, body; OR of the query's tokens): Whoosh's
default StandardAnalyzer, jieba alone (jieba.analyse.ChineseAnalyzer) and CJK
character bigrams alone — no folding, dictionary or synonyms. Kind
``unanswerable`` (``expect: []``) counts only in the honesty figures.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jieba  # noqa: E402
from whoosh import fields, index, qparser  # noqa: E402
from whoosh import query as wq  # noqa: E402
from whoosh.analysis import StandardAnalyzer, Token, Tokenizer  # noqa: E402

from bench.corpus import ROOT, Query, doc_for, library_docs, load_queries, search_config  # noqa: E402
from kbsite import files  # noqa: E402
from kbsite.search import SearchDoc, SearchEngine  # noqa: E402

jieba.setLogLevel(logging.WARNING)
TOP = 10
HELDOUT = Path(__file__).resolve().parent / "heldout"
# Held-out sets already looked at to choose a fix: they count as tuning data from then on
# (heldout-b and otherlib since 2026-12-03; bench/README.md keeps their last untouched figures).
USED_FOR_TUNING: frozenset[str] = frozenset(
    {"heldout-a", "heldout-b", "otherlib", "heldout-c", "shop3", "heldout-d", "shop4",
     "heldout-e", "shop5", "shop6",
     # seen query by query once, after their fifth-round headline run (bench/README.md); no fix
     # was chosen on them, but the next round needs fresh sets
     "heldout-f", "shop7", "shop8",
     # sixth round: run once as a fifth-round measurement (aggregate only), then opened to
     # study honesty and synonym misses
     "heldout-g", "shop9", "shop10"}
)
UNANSWERABLE = "unanswerable"
SLIP = "slip"


@dataclass
class Answer:
    """What a system returned for one query."""

    slugs: list[str]
    suggestion: str | None = None
    confidence: str | None = None


@dataclass
class QuerySet:
    """One set of queries against one library."""

    name: str
    role: str  # "tuning" or "held-out"
    queries: list[Query]
    library: Path | None = None  # another shop's entries; None: the starter library
    results: dict[str, dict[str, list[tuple[Query, Answer]]]] = field(default_factory=dict)


Ranker = Callable[[str], Answer]


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

    def rank(text: str) -> Answer:
        terms = list(dict.fromkeys(t.text for t in analyzer(text)))
        if not terms:
            return Answer([])
        query = wq.Or([wq.Term(f, t) for f in names for t in terms])
        return Answer([hit["slug"] for hit in searcher.search(query, limit=TOP)])

    rank.parser = qparser  # keep the import meaningful for readers comparing parsers
    return rank


def engine_ranker(docs: list[SearchDoc], directory: Path) -> Ranker:
    """kbsite's engine with the starter library's dictionary and synonyms."""
    words, groups = search_config()
    engine = SearchEngine(directory, words=words, synonyms=groups)
    engine.ensure_index()
    engine.rebuild(docs)

    def rank(text: str) -> Answer:
        res = engine.search(text, limit=TOP)
        return Answer([h.slug for h in res.hits], res.suggestion, res.confidence)

    return rank


def imported_ranker(library: Path, home: Path) -> Ranker:
    """A fresh site that imported ``library`` as ``kbsite import`` does, searched as the app does."""
    from kbsite import create_app
    from kbsite.cli import import_paths
    from kbsite.db import database
    from kbsite.models import load_all
    from kbsite.search.sync import service

    app = create_app({
        "TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_URL": f"sqlite:///{home / 'kbsite.db'}",
        "SEARCH_INDEX_DIR": str(home / "search-index"),
    })
    context = app.app_context()
    context.push()  # kept for the life of the bench process
    load_all()
    database().create_all()
    with contextlib.redirect_stdout(io.StringIO()):
        import_paths([ROOT / "content" / "search", library])
    service().catch_up()

    def rank(text: str) -> Answer:
        res = service().search(text, limit=TOP)
        return Answer([h.slug for h in res.hits], res.suggestion, res.confidence)

    return rank


def library_entries(library: Path) -> list[SearchDoc]:
    """Published knowledge items of another shop's library, for the baselines."""
    items = files.collect([library])
    return [doc_for(i) for i in items if i.type in files.KINDS and i.status == "published"]


def evaluate(rank: Ranker, queries: Iterable[Query]) -> dict[str, list[tuple[Query, Answer]]]:
    """Each query's answer, grouped by kind."""
    out: dict[str, list[tuple[Query, Answer]]] = {}
    for q in queries:
        out.setdefault(q.kind, []).append((q, rank(q.text)))
    return out


def first_rank(q: Query, ranked: list[str]) -> int | None:
    """1-based rank of the first acceptable entry in the top 10, or None."""
    return next((i for i, slug in enumerate(ranked[:TOP], 1) if slug in q.expect), None)


def scores(rows: list[tuple[Query, Answer]]) -> tuple[float, float]:
    """(hit@5, MRR@10) of a list of answered queries."""
    if not rows:
        return float("nan"), float("nan")
    ranks = [first_rank(q, a.slugs) for q, a in rows]
    hit5 = sum(1 for r in ranks if r and r <= 5) / len(rows)
    mrr = sum(1 / r for r in ranks if r) / len(rows)
    return hit5, mrr


def answerable(by_kind: dict[str, list]) -> list:
    """Every answered query of the kinds that have a right answer."""
    return [row for kind, rows in by_kind.items() if kind != UNANSWERABLE for row in rows]


def honesty(by_kind: dict[str, list[tuple[Query, Answer]]]) -> dict[str, tuple[int, int]]:
    """The honesty figures as (count, out of)."""
    unanswerable = by_kind.get(UNANSWERABLE, [])
    written = [row for kind, rows in by_kind.items() if kind != SLIP for row in rows]
    first = [(q, a) for q, a in answerable(by_kind) if first_rank(q, a.slugs) == 1]
    return {
        "unanswerable not high": (sum(a.confidence != "high" for _, a in unanswerable), len(unanswerable)),
        "unanswerable with did-you-mean": (sum(a.suggestion is not None for _, a in unanswerable),
                                           len(unanswerable)),
        "correctly written with did-you-mean": (sum(a.suggestion is not None for _, a in written),
                                                len(written)),
        "right answer first and high": (sum(a.confidence == "high" for _, a in first), len(first)),
    }


def _cell(hit5: float, mrr: float) -> str:
    return "– | –" if hit5 != hit5 else f"{hit5:.2f} | {mrr:.2f}"


def _pooled(sets: list[QuerySet]) -> dict[str, list[tuple[Query, Answer]]]:
    """The engine's answers of several sets, merged per kind."""
    pooled: dict[str, list] = {}
    for s in sets:
        for kind, rows in s.results["kbsite engine"].items():
            pooled.setdefault(kind, []).extend(rows)
    return pooled


def side_by_side(sets: list[QuerySet], kinds: list[str]) -> str:
    """Engine hit@5 | MRR@10 per kind: held-out sets (and pooled) first, then tuning sets (and pooled)."""
    columns: list[tuple[str, dict]] = []
    for role, name in (("held-out", "**held-out, all**"), ("tuning", "tuning, all")):
        group = [s for s in sets if s.role == role]  # the held-out columns first: the headline
        columns += [(f"{s.name} ({s.role})", s.results["kbsite engine"]) for s in group]
        if len(group) > 1:
            columns.append((name, _pooled(group)))
    head = "| kind | " + " | ".join(f"{name} n | hit@5 | MRR@10" for name, _ in columns) + " |"
    lines = [head, "|" + "---|" * (1 + 3 * len(columns))]
    for kind in [*kinds, "overall"]:
        cells = []
        for _name, by_kind in columns:
            rows = answerable(by_kind) if kind == "overall" else by_kind.get(kind, [])
            cells.append(f"{len(rows)} | {_cell(*scores(rows))}")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| honesty | " + " | ".join(name for name, _ in columns) + " |")
    lines.append("|" + "---|" * (1 + len(columns)))
    figures = [honesty(by_kind) for _, by_kind in columns]
    for metric in figures[0]:
        cells = [_share(*f[metric]) for f in figures]
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _share(count: int, total: int) -> str:
    return f"{count / total:.0%} ({count}/{total})" if total else "–"


def baselines_table(sets: list[QuerySet]) -> str:
    """Overall hit@5 | MRR@10 of every system on every set."""
    systems = list(sets[0].results)
    head = "| system | " + " | ".join(f"{s.name} hit@5 | MRR@10" for s in sets) + " |"
    lines = [head, "|" + "---|" * (1 + 2 * len(sets))]
    for system in systems:
        cells = [_cell(*scores(answerable(s.results.get(system, {})))) for s in sets]
        lines.append(f"| {system} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _role(name: str) -> str:
    return "tuning" if name in USED_FOR_TUNING else "held-out"


def discover(heldout: Path) -> list[QuerySet]:
    """The tuning set and every set found under ``heldout``.

    ``heldout-*.yaml`` query the starter library; every folder ``<name>/`` with a
    ``<name>-queries.yaml`` (beside it, or inside it) is another shop's library.
    """
    sets = [QuerySet("queries", "tuning", load_queries())]
    for path in sorted(heldout.glob("heldout-*.yaml")):
        sets.append(QuerySet(path.stem, _role(path.stem), load_queries(path)))
    for library in sorted(p for p in heldout.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for queries in (heldout / f"{library.name}-queries.yaml",
                        library / f"{library.name}-queries.yaml"):
            if queries.is_file():
                sets.append(QuerySet(library.name, _role(library.name), load_queries(queries), library))
                break
    return sets


def keep_searchable(sets: list[QuerySet]) -> dict[str, int]:
    """Grade against what search holds: drop expected slugs outside the searched library.

    A writer who saw the training folder may expect a lesson or a course, which agents'
    search does not hold (it filters FAQ, policies, templates and cases). A query left with
    no searchable answer is dropped, and the count per set is printed.
    """
    dropped: dict[str, int] = {}
    starter = {d.slug for d in library_docs()}
    for s in sets:
        held = starter if s.library is None else {d.slug for d in library_entries(s.library)}
        kept = []
        for q in s.queries:
            expect = [slug for slug in q.expect if slug in held]
            if q.expect and not expect:
                dropped[s.name] = dropped.get(s.name, 0) + 1
                continue
            kept.append(Query(text=q.text, kind=q.kind, expect=expect))
        s.queries = kept
    return dropped


def run(sets: list[QuerySet], engine_only: bool, tmp: Path) -> float:
    """Fill every set's results; return the engine's seconds on the starter library."""
    docs = library_docs()
    started = time.perf_counter()
    starter = engine_ranker(docs, tmp / "engine")
    for s in sets:
        if s.library is None:
            s.results["kbsite engine"] = evaluate(starter, s.queries)
    elapsed = time.perf_counter() - started
    for s in sets:
        if s.library is not None:
            home = tmp / f"site-{s.name}"
            home.mkdir()
            s.results["kbsite engine"] = evaluate(imported_ranker(s.library, home), s.queries)
    if engine_only:
        return elapsed
    for name, make in BASELINES.items():
        for library in {s.library for s in sets}:
            directory = tmp / (re.sub(r"\W+", "-", name) + (library.name if library else ""))
            directory.mkdir()
            corpus = docs if library is None else library_entries(library)
            rank = baseline_ranker(corpus, make(), directory)
            for s in sets:
                if s.library == library:
                    s.results[name] = evaluate(rank, s.queries)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    """Run every system over every set and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="list the engine's misses (tuning sets only)")
    parser.add_argument("--engine-only", action="store_true", help="skip the baselines")
    parser.add_argument("--heldout", type=Path, default=HELDOUT, help="folder of the held-out sets")
    args = parser.parse_args(argv)
    sets = discover(args.heldout)
    dropped = keep_searchable(sets)
    kinds = list(dict.fromkeys(q.kind for s in sets for q in s.queries if q.kind != UNANSWERABLE))
    with tempfile.TemporaryDirectory() as tmp:
        elapsed = run(sets, args.engine_only, Path(tmp))
    print("Sets: " + "; ".join(f"{s.name} = {s.role.upper()} ({len(s.queries)} queries"
                                + (", another shop's library)" if s.library else ", starter library)")
                                for s in sets))
    headline = ("Headline: the held-out columns." if any(s.role == "held-out" for s in sets) else
                "No held-out set left: every figure below is on tuning data (add a fresh set).")
    if dropped:
        print("Dropped, expecting only entries search does not hold (training material): "
              + ", ".join(f"{name} {count}" for name, count in dropped.items()))
    print(f"Engine on the starter library: build + queries {elapsed:.1f} s. {headline}\n")
    print(side_by_side(sets, kinds))
    print()
    print(baselines_table(sets))
    if args.misses:
        for s in sets:
            if s.role != "tuning":
                continue  # never print a held-out set's misses
            print(f"\nEngine misses on tuning set {s.name} (not in top 5; unanswerable: high):")
            for kind, rows in s.results["kbsite engine"].items():
                for q, a in rows:
                    r = first_rank(q, a.slugs)
                    if kind == UNANSWERABLE and a.confidence == "high":
                        print(f"  [{kind}] {q.text[:40]!r} high got={a.slugs[:3]}")
                    elif kind != UNANSWERABLE and (not r or r > 5):
                        print(f"  [{kind}] {q.text[:40]!r} rank={r} got={a.slugs[:5]}")
                    elif r == 1 and a.confidence != "high":
                        print(f"  [{kind}] {q.text[:40]!r} first but {a.confidence}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
