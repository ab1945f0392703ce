"""Pinyin benchmark: are the starter library's titles found by their initials (and full pinyin)?

Usage::

    .venv/bin/python bench/pinyin_initials.py            # the figures
    .venv/bin/python bench/pinyin_initials.py --misses   # also list titles not in the top 5

Every published FAQ, policy, case and template title is searched by the initials of its
Chinese characters (七天无理由退货 → qtwlyth), by the initials of its first word or two as an
agent would type them (at most 6 letters), and by its full toneless pinyin when short. A hit
is the entry in the top 5. Target: at least 90 % by initials.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pypinyin import Style, lazy_pinyin  # noqa: E402

from bench.corpus import library_docs, search_config  # noqa: E402
from kbsite.search import SearchEngine  # noqa: E402
from kbsite.search.analysis import CJK_RUN, clean_text  # noqa: E402

TOP = 5
TARGET = 0.90


def initials(title: str) -> str:
    """Initials of a title's Chinese characters, in order."""
    return "".join(p[:1] for p in lazy_pinyin("".join(CJK_RUN.findall(clean_text(title))), style=Style.FIRST_LETTER))


def main() -> int:
    """Build the index, run the three query kinds, print the share found in the top 5."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    docs = library_docs()
    words, groups = search_config()
    with tempfile.TemporaryDirectory() as tmp:
        engine = SearchEngine(Path(tmp), words=words, synonyms=groups)
        engine.ensure_index()
        engine.rebuild(docs)
        kinds = {"whole-title initials": lambda t: initials(t),
                 "first letters (≤ 6)": lambda t: initials(t)[:6],
                 "full pinyin (titles ≤ 6 chars)": lambda t: "".join(lazy_pinyin(t)) if len(t) <= 6 else ""}
        ok = True
        for label, make in kinds.items():
            found, asked, misses, times = 0, 0, [], []
            for doc in docs:
                query = make(doc.title)
                if len(query) < 2 or not query.isascii() or not query.isalpha():
                    continue
                asked += 1
                start = time.perf_counter()
                top = [h.slug for h in engine.search(query, limit=TOP).hits]
                times.append(time.perf_counter() - start)
                if doc.slug in top:
                    found += 1
                else:
                    misses.append(f"  {query:>14}  {doc.title}")
            share = found / asked if asked else 0.0
            times.sort()
            p95 = times[int(0.95 * (len(times) - 1))] * 1000 if times else 0.0
            print(f"{label:32} {found:4}/{asked:<4} = {share:6.1%} in the top {TOP}  (p95 {p95:.1f} ms)")
            if args.misses:
                print("\n".join(misses))
            if label == "whole-title initials":
                ok = share >= TARGET
        engine.close()
    print(f"target: ≥ {TARGET:.0%} by whole-title initials → {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
