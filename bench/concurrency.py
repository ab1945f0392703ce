"""Throughput of concurrent searches: N threads sharing one SearchEngine.

Usage::

    .venv/bin/python bench/concurrency.py                       # 10k entries, 8 threads, 20 s
    .venv/bin/python bench/concurrency.py --size 10000 --threads 1,8 --seconds 10

Uses the 10k index that ``bench/speed.py --sizes 10000 --peers kbsite`` builds and caches
(``bench/.cache/kbsite-10000-s42``; it builds it when missing). Every thread loops over
the short queries of ``queries.yaml`` (each from its own offset) on the one engine, as the
server's threads do, for a fixed time after a warm-up pass. Reports queries per second and
the p50/p95 latency seen by the threads. With a lock around query evaluation the threads
take turns; without one, numpy and the posting reads release the GIL part of the time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import Generator, load_queries  # noqa: E402
from bench.speed import SEED, make_peer  # noqa: E402


def engine_for(size: int):
    """The cached benchmark engine of ``size`` docs (built now if missing)."""
    peer = make_peer("kbsite", size)
    if not peer.ready(size):
        print(f"building the {size}-entry index …", flush=True)
        peer.build(Generator(SEED).many(size), size)
    return peer.engine


def run(engine, texts: list[str], threads: int, seconds: float) -> dict:
    """Queries per second and latency percentiles (ms) of ``threads`` threads for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    start = threading.Barrier(threads + 1)
    stop = threading.Event()

    def worker(n: int) -> None:
        i = n * 17
        start.wait()
        while not stop.is_set():
            text = texts[i % len(texts)]
            began = time.perf_counter()
            engine.search(text, limit=10)
            latencies[n].append(time.perf_counter() - began)
            i += 1

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - began
    samples = sorted(s for part in latencies for s in part)
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return {"threads": threads, "queries": len(samples), "qps": len(samples) / elapsed,
            "p50_ms": statistics.median(samples) * 1000, "p95_ms": p95 * 1000}


def main(argv: list[str] | None = None) -> int:
    """Print one row per thread count."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--threads", default="1,8", help="comma-separated thread counts")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    engine = engine_for(args.size)
    texts = [q.text for q in load_queries() if q.kind != "pasted"]
    for text in texts:  # warm caches once, as a running server has
        engine.search(text, limit=10)
    print("| threads | queries | queries/s | p50 ms | p95 ms |\n|---|---|---|---|---|")
    for count in (int(n) for n in args.threads.split(",")):
        row = run(engine, texts, count, args.seconds)
        print(f"| {row['threads']} | {row['queries']} | {row['qps']:.1f} | {row['p50_ms']:.1f} "
              f"| {row['p95_ms']:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
