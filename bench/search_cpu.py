"""CPU and database statements per ``GET /api/search`` call, in process (Flask test client).

Usage::

    .venv/bin/python bench/search_cpu.py                    # starter library, 200 calls
    .venv/bin/python bench/search_cpu.py --size 2000        # plus 2000 generated entries
    .venv/bin/python bench/search_cpu.py --stale            # "today" a year on: every entry past review
    .venv/bin/python bench/search_cpu.py --profile          # + cProfile share of kbsite.content.trust

The site (SQLite database and search index) is built once per size under
bench/.cache/search-cpu-<size>/ and copied for each run. Calls cycle through the
benchmark queries (bench/queries.yaml) with ``log=0``, so the search log's write
is not part of the figure; process CPU time (not wall time) is reported, since
the machine may be shared.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.browser_perf import PASSWORD, USER, build_site  # noqa: E402  (the browser benchmark's site)
from bench.corpus import load_queries  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache"


def _config(home: Path, today: str | None) -> dict:
    return {
        "TESTING": True, "SECRET_KEY": "bench-secret", "SQLALCHEMY_URL": f"sqlite:///{home / 'kbsite.db'}",
        "SEARCH_INDEX_DIR": str(home / "search-index"), "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False, "TODAY": today,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=0, help="generated entries besides the starter library")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--limit", type=int, default=10, help="results per page")
    ap.add_argument("--stale", action="store_true", help="pin today a year ahead: every entry is past review")
    ap.add_argument("--profile", action="store_true", help="print the cProfile share of kbsite.content.trust")
    args = ap.parse_args(argv)

    cached = CACHE / f"search-cpu-{args.size}"
    if not (cached / "built").exists():
        shutil.rmtree(cached, ignore_errors=True)
        print(f"building the site ({args.size} generated entries) …", file=sys.stderr)
        build_site(cached, args.size)
    work = Path(tempfile.mkdtemp(prefix="search-cpu-"))
    try:
        home = work / "instance"
        shutil.copytree(cached, home, symlinks=True)
        return run(home, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(home: Path, args) -> int:
    from sqlalchemy import event

    from kbsite import create_app

    os.environ["KBSITE_HOME"] = str(home)
    today = (date.today() + timedelta(days=365)).isoformat() if args.stale else None
    app = create_app(_config(home, today))
    statements = [0]
    event.listen(app.extensions["kbsite.db"].engine, "before_cursor_execute",
                 lambda *a, **k: statements.__setitem__(0, statements[0] + 1))
    client = app.test_client()
    resp = client.post("/login", data={"username": USER, "password": PASSWORD})
    assert resp.status_code == 302, resp.status_code
    queries = [q.text for q in load_queries()]
    urls = [f"/api/search?q={quote(q)}&limit={args.limit}&log=0" for q in queries]
    for url in urls[:40]:  # warm: engine open, caches, first catch-up
        assert client.get(url).status_code == 200
    calls = [urls[i % len(urls)] for i in range(args.calls)]
    profiler = cProfile.Profile() if args.profile else None
    statements[0] = 0
    hits = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for url in calls:
        hits += len(client.get(url).get_json()["results"])
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(f"calls {len(calls)}, results/call {hits / len(calls):.1f}, "
          f"CPU/call {cpu / len(calls) * 1000:.2f} ms, wall/call {wall / len(calls) * 1000:.2f} ms, "
          f"SQL statements/call {statements[0] / len(calls):.1f}")
    if profiler:
        stats = pstats.Stats(profiler)
        total = stats.total_tt
        for (path, _line, name), row in sorted(stats.stats.items(), key=lambda kv: -kv[1][3]):
            if "kbsite/content/trust.py" in path or name in ("stale_slugs", "_demoted_matches", "_past_review"):
                print(f"  {name:<20} cumulative {row[3] / total * 100:5.1f} % of profiled time")
    app.extensions["kbsite.db"].engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
