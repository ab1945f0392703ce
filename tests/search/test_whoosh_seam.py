"""The declared seam over Whoosh's internals: fails when the pinned Whoosh changes under it.

Everything kbsite does with Whoosh's private parts is in kbsite/search/whoosh_seam.py.
These tests pin the version, check that every internal it names still exists, and
compare each seam function with Whoosh's public (slow) way of getting the same data.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from kbsite.search import SearchEngine, store, whoosh_seam

from .conftest import CORPUS, WORDS, D

ROOT = Path(__file__).resolve().parents[2]


def test_installed_whoosh_is_the_pinned_one():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = [d for d in deps if d.startswith("whoosh-reloaded")]
    assert pinned == [f"whoosh-reloaded=={whoosh_seam.PINNED_VERSION}"]
    assert whoosh_seam.whoosh_version() == whoosh_seam.PINNED_VERSION


@pytest.mark.parametrize(("owner", "name"), whoosh_seam.INTERNALS)
def test_every_internal_the_seam_uses_exists(owner, name):
    try:
        target = importlib.import_module(owner)
    except ModuleNotFoundError:  # a class: import its module
        module_name, _, cls = owner.rpartition(".")
        target = getattr(importlib.import_module(module_name), cls)
    assert hasattr(target, name), f"{owner}.{name} is gone: update kbsite/search/whoosh_seam.py"


def test_only_the_seam_touches_whoosh_private_parts():
    offenders = []
    for path in (ROOT / "kbsite").rglob("*.py"):
        if path.name == "whoosh_seam.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "SLF001" in text or re.search(r"from whoosh\.(codec|filedb|writing)\b", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.fixture(scope="module")
def segmented(tmp_path_factory):
    """An index of many blocks (300 docs with 退款) over several segments, with a deletion."""
    engine = SearchEngine(tmp_path_factory.mktemp("seam"), words=WORDS)
    docs = [D(slug=f"d{i}", type="faq", category="售后/退款", tags=[f"标签{i % 7}", "退款"],
              title=f"退款问题{i}", body="退款 " * (1 + i % 5) + f"编号{i}") for i in range(300)]
    engine.rebuild(docs)
    engine.upsert(CORPUS[:3])
    engine.delete(["d5@published"])
    return engine


def _leaves(engine):
    return list(engine._current_searcher().reader().leaf_readers())


def test_read_postings_equals_the_public_matcher(segmented):
    for leaf, _offset in _leaves(segmented):
        for fieldname, text in [("body", "退款"), ("title", "退款"), ("tags", "退款")]:
            if (fieldname, text) not in leaf:
                continue
            ids, weights = whoosh_seam.read_postings(leaf, fieldname, text)
            matcher = leaf.postings(fieldname, text)
            matcher = getattr(matcher, "child", matcher)
            expected_ids, expected_weights = [], []
            while matcher.is_active():
                expected_ids.append(matcher.id())
                expected_weights.append(matcher.weight())
                matcher.next()
            assert ids.tolist() == expected_ids and weights.tolist() == expected_weights
    assert len(whoosh_seam.read_postings(_leaves(segmented)[0][0], "body", "退款")[0]) > 128


def test_length_bytes_decode_to_the_public_field_lengths(segmented):
    table = np.array([whoosh_seam.byte_to_length(i) for i in range(256)])
    for leaf, _offset in _leaves(segmented):
        for fieldname in ("title", "body"):
            raw = np.frombuffer(whoosh_seam.length_bytes(leaf, fieldname), dtype=np.uint8)
            expected = [leaf.doc_field_length(d, fieldname, 0) for d in range(leaf.doc_count_all())]
            assert table[raw].tolist() == expected


def test_column_bytes_equal_the_public_column_reader(segmented):
    for leaf, _offset in _leaves(segmented):
        count = leaf.doc_count_all()
        for fieldname in ("type", "category_path", "tags_col"):
            column = leaf.column_reader(fieldname, translate=False)
            assert whoosh_seam.column_bytes(leaf, fieldname, count) == [bytes(column[i]) for i in range(count)]


def test_indexes_are_read_into_memory_not_mapped(segmented):
    gen = store.current_generation(segmented.index_dir)
    cache = whoosh_seam.SegmentBytes()
    ix = whoosh_seam.open_index(gen, cache)
    with ix.searcher() as searcher:
        assert searcher.doc_count() == 300 - 1 + 3
        assert cache.bytes_held() == sum(p.stat().st_size for p in gen.iterdir()
                                         if p.suffix in (".seg", ".toc"))
