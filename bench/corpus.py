"""Corpora for the search benchmarks: the real starter library and generated ones.

The real library is read with kbsite.files.collect and converted the way
kbsite/search/sync.py's ``doc_for`` does (Markdown → plain text, templates
verbatim, published docs only). Generated corpora recombine the library's own
titles, tags, categories and sentences into 300–800-character entries, so the
vocabulary and term statistics stay realistic at any size.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from kbsite import files, markdown
from kbsite.search import SearchDoc

ROOT = Path(__file__).resolve().parents[1]
LIBRARY_PATHS = (ROOT / "content", ROOT / "scripts_lib")
QUERIES = Path(__file__).resolve().parent / "queries.yaml"
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|\n+")
_TITLE_PREFIXES = ("", "", "", "大促期间", "会员", "跨境订单", "门店自提", "直播间", "企业客户", "新客")


@dataclass
class Query:
    """One benchmark query with the entries an agent would accept."""

    text: str
    kind: str
    expect: list[str]


@lru_cache(maxsize=1)
def library_items() -> tuple[files.ItemData, ...]:
    """Every item of the starter library (content/ and scripts_lib/)."""
    return tuple(files.collect(LIBRARY_PATHS))


def doc_for(item: files.ItemData) -> SearchDoc:
    """The indexable form of an item, as kbsite.search.sync.doc_for builds it."""
    body = item.body if item.type == "template" else markdown.to_plain_text(item.body)
    return SearchDoc(
        doc_id=f"{item.slug}@published",
        slug=item.slug,
        type=item.type,
        status="published",
        title=item.title,
        category=item.category,
        tags=list(item.tags),
        summary=str(item.meta.get("summary", "")),
        body=body,
        version=1,
    )


def library_docs() -> list[SearchDoc]:
    """Published knowledge items of the starter library as search docs."""
    return [
        doc_for(i) for i in library_items() if i.type in files.KINDS and i.status == "published"
    ]


def search_config() -> tuple[list[str], list[list[str]]]:
    """The library's published dictionary words and synonym groups."""
    words: list[str] = []
    groups: list[list[str]] = []
    for item in library_items():
        if item.type == "dictionary":
            words += list(item.meta.get("words", []))
        elif item.type == "synonyms":
            groups += [list(g) for g in item.meta.get("groups", [])]
    return words, groups


def load_queries(path: Path = QUERIES) -> list[Query]:
    """The relevance queries, in file order."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Query(text=str(entry["q"]), kind=kind, expect=list(entry.get("expect") or []))
        for kind, entries in data.items()
        for entry in entries
    ]


class Generator:
    """Realistic synthetic entries recombined from the library's own text."""

    def __init__(self, seed: int = 42) -> None:
        docs = library_docs()
        self.seed = seed
        self.docs = docs
        self.tags = sorted({t for d in docs for t in d.tags})
        self.sentences: dict[str, list[str]] = {}
        for doc in docs:
            for part in _SENTENCE_END.split(f"{doc.summary}\n{doc.body}"):
                part = part.strip()
                if len(part) >= 8:
                    self.sentences.setdefault(doc.type, []).append(part)
        self.all_sentences = [s for group in self.sentences.values() for s in group]

    def doc(self, number: int) -> SearchDoc:
        """Generated entry number ``number`` (deterministic for a seed)."""
        rng = random.Random(self.seed * 1_000_003 + number)
        model = rng.choice(self.docs)
        own = self.sentences.get(model.type, self.all_sentences)
        target = rng.randint(300, 800)
        parts: list[str] = []
        size = 0
        while size < target:
            pool = own if rng.random() < 0.7 else self.all_sentences
            sentence = rng.choice(pool)
            parts.append(sentence)
            size += len(sentence)
        body = "".join(parts)[: target + 40]
        tags = sorted(set(rng.sample(model.tags, min(len(model.tags), 3)) + rng.sample(self.tags, 2)))
        return SearchDoc(
            doc_id=f"gen-{number:06d}@published",
            slug=f"gen-{number:06d}",
            type=model.type,
            status="published",
            title=rng.choice(_TITLE_PREFIXES) + model.title,
            category=model.category,
            tags=tags,
            summary=parts[0][:80] if model.type != "template" else "",
            body=body,
            version=1,
        )

    def many(self, count: int) -> Iterator[SearchDoc]:
        """The first ``count`` generated entries."""
        return (self.doc(n) for n in range(count))


def generated_docs(count: int, seed: int = 42) -> Iterator[SearchDoc]:
    """``count`` generated entries of 300–800 characters each."""
    return Generator(seed).many(count)
