"""Speed and scale benchmark: kbsite's engine beside SQLite FTS5 and tantivy.

Usage::

    .venv/bin/python bench/speed.py                      # 1k and 10k entries
    .venv/bin/python bench/speed.py --with-100k          # 1k, 10k and 100k
    .venv/bin/python bench/speed.py --sizes 2000 --peers kbsite --rebuild
    .venv/bin/python bench/speed.py --sizes 10000 --peers kbsite --http   # + GET /api/search

For each size and back-end, a fresh worker process builds the index of the
generated corpus (bench/corpus.py) or reuses the one cached under
bench/.cache/, then a second fresh process opens it and measures: query
latency (all non-pasted queries of bench/queries.yaml as "short", the pasted
messages as "pasted"; one warm-up pass, then ``--repeat`` timed passes),
save-to-searchable (upsert one new doc, then search until it is returned)
and peak RSS. Build figures of a cached index come from its first build.

``--http`` also builds a real site (SQLite database + index: the starter
library plus the same generated entries, bench/browser_perf.py's
``build_site``), serves it with waitress on 127.0.0.1 in its own process, and
times ``GET /api/search?q=…&limit=10`` with a bearer token over one
keep-alive connection, as an API client would.

The engine's answer memo is switched off in the workers (``readers.MEMO_ENTRIES = 0``): the
figures are the cost of computing each answer, not of remembering it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import Generator, load_queries, search_config  # noqa: E402
from bench.peers import Fts5Peer, KbsitePeer, TantivyPeer  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache"
PEERS = ("kbsite", "fts5", "tantivy")
SEED = 42
SAVE_TRIALS = 5


def make_peer(name: str, size: int):
    """The back-end ``name`` over its cache directory for ``size`` docs."""
    directory = CACHE / f"{name}-{size}-s{SEED}"
    if name == "kbsite":
        words, groups = search_config()
        return KbsitePeer(directory, words, groups)
    if name == "fts5":
        return Fts5Peer(directory)
    return TantivyPeer(directory)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def work_build(name: str, size: int, rebuild: bool) -> dict:
    """Build (or reuse) the index; return its build figures."""
    peer = make_peer(name, size)
    record = CACHE / f"{name}-{size}-s{SEED}.build.json"
    if not rebuild and record.exists() and peer.ready(size):
        return {**json.loads(record.read_text()), "cached": True}
    if peer.directory.exists():  # a clean build: no older generation in the size figure
        shutil.rmtree(peer.directory)
        peer = make_peer(name, size)
    generator = Generator(SEED)
    started = time.perf_counter()
    peer.build(generator.many(size), size)
    elapsed = time.perf_counter() - started
    figures = {"build_s": elapsed, "docs_per_s": size / elapsed,
               "index_mb": peer.size_bytes() / 2**20, "build_rss_mb": peak_rss_mb(),
               "built_on": date.today().isoformat()}
    record.write_text(json.dumps(figures))
    return {**figures, "cached": False}


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def work_query(name: str, size: int, repeat: int) -> dict:
    """Latency, save-to-searchable and query-time RSS over an existing index."""
    peer = make_peer(name, size)
    if not peer.ready(size):
        raise SystemExit(f"{name}-{size}: no index; run the build first")
    queries = load_queries()
    groups = {"short": [q.text for q in queries if q.kind != "pasted"],
              "pasted": [q.text for q in queries if q.kind == "pasted"]}
    out: dict = {}
    for group, texts in groups.items():  # first pass: cold caches, fresh process
        samples = []
        for text in texts:
            started = time.perf_counter()
            peer.search(text)
            samples.append(time.perf_counter() - started)
        out[f"{group}_cold_p50"], out[f"{group}_cold_p95"] = percentiles(samples)
    for group, texts in groups.items():
        samples = []
        for _ in range(repeat):
            for text in texts:
                started = time.perf_counter()
                peer.search(text)
                samples.append(time.perf_counter() - started)
        out[f"{group}_p50"], out[f"{group}_p95"] = percentiles(samples)
    template = Generator(SEED).doc(size + 1)
    saves = []
    for trial in range(SAVE_TRIALS):
        token = f"benchprobe{trial}x"
        doc = replace(template, slug=f"probe-{trial}", doc_id=f"probe-{trial}@published",
                      title=f"{token} {template.title}")
        saves.append(peer.save_and_find(doc, token))
    out["save_ms"] = statistics.median(saves) * 1000
    out["save_max_ms"] = max(saves) * 1000
    out["query_rss_mb"] = peak_rss_mb()
    return out


def site_home(size: int) -> Path:
    """Directory of the cached bench site (database + index) for ``size`` generated entries."""
    return CACHE / f"site-{size}-s{SEED}"


def site_config(home: Path) -> dict:
    """App config of the bench site (the same as bench/browser_perf.py uses)."""
    return {"SECRET_KEY": "bench-secret", "SQLALCHEMY_URL": f"sqlite:///{home / 'kbsite.db'}",
            "SEARCH_INDEX_DIR": str(home / "search-index"), "RATELIMIT_ENABLED": False}


def work_serve(size: int, port: int) -> None:
    """Serve the bench site with waitress until killed (the HTTP benchmark's server process)."""
    from waitress import serve

    from kbsite import create_app

    home = site_home(size)
    os.environ["KBSITE_HOME"] = str(home)
    app = create_app(site_config(home))
    with app.app_context():
        from kbsite.search.sync import service

        service().catch_up()
    serve(app, host="127.0.0.1", port=port, threads=8, ident="kbsite-bench", _quiet=True)


def _site_token(size: int) -> tuple[str, float | None]:
    """Build the site once (returns its build seconds when built now) and a fresh API token."""
    from bench.browser_perf import USER, build_site
    from kbsite import create_app
    from kbsite.auth import service as auth

    home = site_home(size)
    built_s = None
    if not (home / "built").exists():
        started = time.perf_counter()
        build_site(home, size)
        built_s = time.perf_counter() - started
    os.environ["KBSITE_HOME"] = str(home)
    app = create_app(site_config(home))
    with app.app_context():
        token = auth.create_token(USER, name="bench")
    app.extensions["kbsite.db"].engine.dispose()
    return token, built_s


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_listening(port: int, server: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"bench server exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("bench server did not start")


def _vm_hwm_mb(pid: int) -> float:
    """Peak RSS of another process (Linux VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def work_http(size: int, repeat: int) -> dict:
    """Latency of GET /api/search through a real waitress server on 127.0.0.1."""
    token, built_s = _site_token(size)
    port = _free_port()
    cmd = [sys.executable, __file__, "--worker", "serve", "kbsite", str(size), "--port", str(port)]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_listening(port, server)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}"}

        def call(text: str) -> float:
            path = "/api/search?" + urllib.parse.urlencode({"q": text, "limit": 10})
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - started
            if response.status != 200 or b'"results"' not in body:
                raise SystemExit(f"GET /api/search answered {response.status}: {body[:200]!r}")
            return elapsed

        queries = load_queries()
        groups = {"short": [q.text for q in queries if q.kind != "pasted"],
                  "pasted": [q.text for q in queries if q.kind == "pasted"]}
        out: dict = {"site_build_s": built_s}
        for group, texts in groups.items():
            out[f"http_{group}_cold_p50"], out[f"http_{group}_cold_p95"] = percentiles(
                [call(t) for t in texts])
        for group, texts in groups.items():
            samples = [call(t) for _ in range(repeat) for t in texts]
            out[f"http_{group}_p50"], out[f"http_{group}_p95"] = percentiles(samples)
        out["http_server_rss_mb"] = _vm_hwm_mb(server.pid)
        conn.close()
        return out
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_worker(*args: str) -> dict:
    """Run this script as a worker process and parse its JSON answer."""
    cmd = [sys.executable, __file__, "--worker", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"worker failed: {' '.join(args)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


COLUMNS = (
    ("build s", "build_s", "{:.1f}"), ("docs/s", "docs_per_s", "{:.0f}"),
    ("index MB", "index_mb", "{:.1f}"), ("build RSS MB", "build_rss_mb", "{:.0f}"),
    ("query RSS MB", "query_rss_mb", "{:.0f}"), ("save→found ms", "save_ms", "{:.0f}"),
    ("short p50 ms", "short_p50", "{:.1f}"), ("short p95 ms", "short_p95", "{:.1f}"),
    ("pasted p50 ms", "pasted_p50", "{:.1f}"), ("pasted p95 ms", "pasted_p95", "{:.1f}"),
    ("short cold p95", "short_cold_p95", "{:.1f}"), ("pasted cold p95", "pasted_cold_p95", "{:.1f}"),
)
HTTP_COLUMNS = (
    ("HTTP short p50 ms", "http_short_p50", "{:.1f}"), ("HTTP short p95 ms", "http_short_p95", "{:.1f}"),
    ("HTTP pasted p50 ms", "http_pasted_p50", "{:.1f}"),
    ("HTTP pasted p95 ms", "http_pasted_p95", "{:.1f}"),
    ("HTTP short cold p95", "http_short_cold_p95", "{:.1f}"),
    ("HTTP pasted cold p95", "http_pasted_cold_p95", "{:.1f}"),
    ("server RSS MB", "http_server_rss_mb", "{:.0f}"),
)
RATIO_KEYS = ("build_s", "index_mb", "save_ms", "short_p50", "short_p95", "pasted_p50", "pasted_p95",
              "short_cold_p95", "pasted_cold_p95")


def render(rows: dict[tuple[int, str], dict]) -> str:
    """Markdown table of every (size, back-end), with kbsite ÷ peer ratio rows."""
    lines = ["| size | engine | " + " | ".join(c[0] for c in COLUMNS) + " |",
             "|---|---|" + "---|" * len(COLUMNS)]
    for (size, name), row in rows.items():
        cells = [fmt.format(row[key]) if key in row else "" for _, key, fmt in COLUMNS]
        label = name + (" (cached build)" if row.get("cached") else "")
        lines.append(f"| {size:,} | {label} | " + " | ".join(cells) + " |")
        mine = rows.get((size, "kbsite"))
        if name != "kbsite" and mine:
            ratio = [f"×{mine[k] / row[k]:.1f}" if k in RATIO_KEYS and row.get(k) else ""
                     for _, k, _f in COLUMNS]
            lines.append(f"| {size:,} | kbsite ÷ {name} | " + " | ".join(ratio) + " |")
    http_rows = [(size, row) for (size, name), row in rows.items() if "http_short_p50" in row]
    if http_rows:
        lines += ["", "| size | " + " | ".join(c[0] for c in HTTP_COLUMNS) + " |",
                  "|---|" + "---|" * len(HTTP_COLUMNS)]
        for size, row in http_rows:
            cells = [fmt.format(row[key]) if key in row else "" for _, key, fmt in HTTP_COLUMNS]
            lines.append(f"| {size:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse options; run workers per size and back-end; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated corpus sizes")
    parser.add_argument("--with-100k", action="store_true", help="add the 100,000-entry corpus")
    parser.add_argument("--peers", default=",".join(PEERS), help="subset of kbsite,fts5,tantivy")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the queries")
    parser.add_argument("--rebuild", action="store_true", help="ignore cached indexes")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--http", action="store_true",
                        help="also time GET /api/search on a real server (kbsite only)")
    parser.add_argument("--worker", nargs=3, metavar=("MODE", "PEER", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        # Every timed pass repeats the same queries: without this the engine's answer memo (which
        # serves agents typing the same prefixes) would time dictionary look-ups, not searches.
        from kbsite.search import readers

        readers.MEMO_ENTRIES = 0
        mode, name, size = args.worker
        if mode == "serve":
            work_serve(int(size), args.port)
            return 0
        workers = {"build": lambda: work_build(name, int(size), args.rebuild),
                   "query": lambda: work_query(name, int(size), args.repeat),
                   "http": lambda: work_http(int(size), args.repeat)}
        print(json.dumps(workers[mode]()))
        return 0
    CACHE.mkdir(exist_ok=True)
    load_start = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.with_100k and 100_000 not in sizes:
        sizes.append(100_000)
    rows: dict[tuple[int, str], dict] = {}
    for size in sizes:
        for name in [p for p in PEERS if p in args.peers.split(",")]:
            extra = ["--rebuild"] if args.rebuild else []
            print(f"… {name} {size:,}: build", file=sys.stderr, flush=True)
            built = run_worker("build", name, str(size), *extra)
            print(f"… {name} {size:,}: queries", file=sys.stderr, flush=True)
            queried = run_worker("query", name, str(size), "--repeat", str(args.repeat))
            rows[(size, name)] = {**built, **queried}
            if args.http and name == "kbsite":
                print(f"… kbsite {size:,}: site and HTTP", file=sys.stderr, flush=True)
                rows[(size, name)].update(run_worker("http", name, str(size), "--repeat",
                                                     str(args.repeat)))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Speed benchmark, {date.today().isoformat()}, {os.cpu_count()} CPUs, load average "
          f"{load_start} at the start and {load} at the end; {args.repeat} warm passes (p50/p95), "
          "cold = first pass in a fresh process; times in ms unless noted\n")
    print(render(rows))
    if args.json:
        args.json.write_text(json.dumps({f"{s}/{n}": r for (s, n), r in rows.items()}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
