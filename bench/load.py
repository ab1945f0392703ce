"""Load test: simulated agents and trainers against ``kbsite serve`` over loopback (issue 14, item 7).

Usage::

    .venv/bin/python bench/load.py --agents 50 --minutes 5 --setup sqlite            # 1 instance
    .venv/bin/python bench/load.py --agents 50 --minutes 5 --setup postgres --instances 2
    .venv/bin/python bench/load.py --agents 0 --trainers 8 --minutes 1                # saves at once

It starts its own site (a fresh instance folder, the starter library imported with
``kbsite import``, one account per simulated user made with ``kbsite create-user``),
signs every user in through the login form, and then, until the time is up:

* each agent, every 0.5–2 s (seeded random), does the next step of its cycle, as the
  workspace page's JS does it: types a real query from ``bench/queries.yaml`` one IME
  commit (1–2 characters, 0.1–0.3 s apart, so the 90 ms debounce lets each through) at a
  time, each prefix a ``GET /api/search``; opens a hit (``POST /api/search/<id>/open``,
  then the template JSON or the entry page); fills and copies a template
  (``GET /api/templates/<slug>`` when not already open, ``POST …/copy``, then the
  shortlists refresh ``GET /api/me/templates``); checks a reply (``POST /api/check``);
* each trainer opens an entry's edit form, edits for 0.5–2 s, and posts the form with its
  base revision as a browser would. A 409 (someone saved first: the merge page) is an
  expected outcome, counted apart from errors.

Errors are every answer other than 2xx/3xx (except those 409s), every redirect to the
login page and every connection failure. Revisions are counted before and after; every
acknowledged save carries a unique marker that must be found in the database afterwards.
Prints a table and writes JSON to ``bench/out/``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import loadprofile  # noqa: E402
from bench.corpus import load_queries  # noqa: E402
from bench.loadclient import Browser, Refused, Tally, form_fields  # noqa: E402
from bench.loadsite import Ledger, Site  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
PH = re.compile(r"\{\{[ \t\u3000]*([^{}\n]+?)[ \t\u3000]*\}\}")  # fill.js's placeholder pattern
VALUES = ["张女士", "SF1234567890", "3-5 个工作日", "12 月 5 日", "99 元", "黑色 M 码", "上海市浦东新区"]
RISKY = ["这个不归我们管，你自己去找快递。", "", "", "亲，肯定没问题的，百分之百不会出错。"]
TARGET_P95_MS, TARGET_SAVE_P95_MS = 200.0, 1000.0
STEADY = ("search", "open_log", "open", "template", "copy", "lists", "check", "edit_form", "save")


class Run:
    """What every simulated user shares: where to go, when to stop, and the tally."""

    def __init__(self, deadline: float, tally: Tally, seed: int, max_requests: int):
        self.deadline, self.tally, self.seed, self.max_requests = deadline, tally, seed, max_requests
        self.saved: list[str] = []  # markers of acknowledged saves
        self.lock = threading.Lock()

    def over(self) -> bool:
        if time.monotonic() >= self.deadline:
            return True
        return sum(len(a.latencies) for a in list(self.tally.actions.values())) >= self.max_requests

    def pause(self, rng: random.Random, low: float = 0.5, high: float = 2.0) -> bool:
        """Think for low–high seconds; False when the run is over."""
        time.sleep(max(0.0, min(rng.uniform(low, high), self.deadline - time.monotonic())))
        return not self.over()


def prefixes(text: str, rng: random.Random) -> list[str]:
    """What the box holds after each IME commit of 1–2 characters (trailing spaces trimmed like run())."""
    out, i = [], 0
    while i < len(text):
        i += rng.choice((1, 1, 1, 2))
        if (p := text[:i].strip()) and (not out or out[-1] != p):
            out.append(p)
    return out


def agent(run: Run, browser: Browser, queries: list[str], templates: list[str], n: int) -> None:
    """One agent's cycle, a step every 0.5–2 s: type a query, open a hit, copy a template, check."""
    rng = random.Random(run.seed * 1000 + n)
    while run.pause(rng):
        try:
            hits, log_id = type_query(run, browser, rng.choice(queries), rng)
            if not run.pause(rng):
                break
            opened = open_hit(browser, hits, log_id, rng)
            if not run.pause(rng):
                break
            reply = copy_template(browser, opened or rng.choice(templates), rng)
            if not run.pause(rng):
                break
            browser.call("check", "POST", "/api/check", json_body={"text": reply + rng.choice(RISKY)})
        except Refused:
            continue  # counted as an error; the agent carries on with a new cycle


def type_query(run: Run, browser: Browser, query: str, rng: random.Random):
    """Search as the agent types: one ``/api/search`` per prefix; the last answer's hits."""
    data: dict = {}
    for prefix in prefixes(query, rng):
        qs = urllib.parse.urlencode({"q": prefix, "limit": "10"})
        data = json.loads(browser.call("search", "GET", f"/api/search?{qs}")[2])
        if run.over():
            break
        time.sleep(rng.uniform(0.1, 0.3))
    return data.get("results", []), data.get("log_id")


def open_hit(browser: Browser, hits: list[dict], log_id, rng: random.Random) -> dict | None:
    """Record the open and show the hit: a published template's JSON, else the entry page."""
    if not hits:
        return None
    rank = min(len(hits), rng.choice((1, 1, 1, 2, 2, 3)))
    hit = hits[rank - 1]
    if log_id:
        browser.call("open_log", "POST", f"/api/search/{log_id}/open", json_body={"slug": hit["slug"], "rank": rank})
    slug = urllib.parse.quote(hit["slug"])
    if hit["type"] == "template" and hit["status"] == "published":
        return json.loads(browser.call("open", "GET", f"/api/templates/{slug}")[2])
    browser.call("open", "GET", f"/items/{slug}", page=True)
    return None


def copy_template(browser: Browser, tpl, rng: random.Random) -> str:
    """Fill every placeholder of one channel's text and copy it (rendered and counted by the server)."""
    if isinstance(tpl, str):  # from the shortlists beside the results
        tpl = json.loads(browser.call("template", "GET", f"/api/templates/{urllib.parse.quote(tpl)}")[2])
    channels = list(tpl.get("variants") or {})
    channel = rng.choice(channels) if channels else None
    text = tpl["variants"][channel] if channel else tpl["text"]
    values = {name: rng.choice(VALUES) for name in dict.fromkeys(PH.findall(text))}
    data = json.loads(browser.call("copy", "POST", f"/api/templates/{urllib.parse.quote(tpl['slug'])}/copy",
                                   json_body={"values": values, "channel": channel, "partial": False})[2])
    browser.call("lists", "GET", "/api/me/templates")
    return data.get("text", "")


def trainer(run: Run, browser: Browser, slugs: list[str], n: int) -> None:
    """Open an entry's edit form, edit, save with the form's base revision; again until the end."""
    rng = random.Random(run.seed * 1000 + 500 + n)
    count = 0
    while not run.over():
        slug = urllib.parse.quote(rng.choice(slugs))
        try:
            page = browser.call("edit_form", "GET", f"/items/{slug}/edit", page=True)[2]
            fields = form_fields(page, "editor")
            if not run.pause(rng):
                break
            count += 1
            marker = f"LOADMARK-{n}-{count}-{uuid.uuid4().hex[:8]}"
            fields["body"] = fields.get("body", "").rstrip("\n") + f"\n\n培训师补充说明（{marker}）\n"
            fields["message"], fields["save"] = f"压测修改 {count}", "1"
            status = browser.call("save", "POST", f"/items/{slug}/edit", form=fields, page=True,
                                  expect_conflict=True)[0]
            if status in (302, 303):
                with run.lock:
                    run.saved.append(marker)
            if not run.pause(rng, 0.2, 1.0):
                break
        except Refused:
            continue


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def summarise(tally: Tally, elapsed: float) -> dict[str, dict]:
    """Per action: count, throughput, p50/p95/p99 (ms), errors, expected conflicts."""
    rows = {}
    for name, rec in sorted(tally.actions.items(), key=lambda kv: _order(kv[0])):
        lat = sorted(rec.latencies)
        rows[name] = {"count": len(lat), "per_s": round(len(lat) / elapsed, 2),
                      "p50_ms": round(percentile(lat, 50) * 1000, 1), "p95_ms": round(percentile(lat, 95) * 1000, 1),
                      "p99_ms": round(percentile(lat, 99) * 1000, 1), "max_ms": round((lat[-1] if lat else 0) * 1000, 1),
                      "errors": rec.errors, "conflicts": rec.conflicts}
    return rows


def _order(name: str) -> int:
    return STEADY.index(name) if name in STEADY else -1


def server_side(logs: list[Path], since: str) -> dict[str, dict]:
    """p50/p95 (ms) per route from the servers' JSON access logs, from ``since`` (ISO UTC) on."""
    per: dict[str, list[float]] = {}
    for path in logs:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.startswith("{"):
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if "ms" in rec and rec.get("ts", "") >= since:
                per.setdefault(rec["route"], []).append(rec["ms"])
    return {route: {"count": len(v), "p50_ms": percentile(sorted(v), 50), "p95_ms": percentile(sorted(v), 95),
                    "p99_ms": percentile(sorted(v), 99)} for route, v in sorted(per.items())}


def drive(site: Site, args, tally: Tally) -> dict:
    """Sign everyone in, run the agents and trainers until the deadline, and return the figures."""
    ledger = Ledger(site.db_url)
    templates = ledger.published_slugs("template")
    faqs = random.Random(args.seed).sample(ledger.published_slugs("faq"), 20)
    queries = [q.text for q in load_queries() if q.kind != "pasted"]
    revisions_before, max_id = ledger.revision_count(), ledger.max_revision_id()
    urls = [inst.url for inst in site.instances]
    users = [("agent", n, f"agent{n:03d}") for n in range(args.agents)] + \
            [("trainer", n, f"trainer{n:02d}") for n in range(args.trainers)]
    browsers = {name: Browser(urls[i % len(urls)], tally) for i, (_, _, name) in enumerate(users)}
    for name, b in browsers.items():  # sign-ins first: the window below measures steady work only
        b.sign_in(name, password_of(name))
    started_at = datetime.now(UTC).isoformat(timespec="milliseconds")
    run = Run(time.monotonic() + args.minutes * 60, tally, args.seed, args.max_requests)
    threads = [threading.Thread(target=agent, args=(run, browsers[name], queries, templates, n), daemon=True)
               if role == "agent" else
               threading.Thread(target=trainer, args=(run, browsers[name], faqs, n), daemon=True)
               for role, n, name in users]
    began = time.monotonic()
    spies = loadprofile.start([p for i in site.instances for p in i.worker_pids()], args.profile,
                              site.folder) if args.profile else []
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, run.deadline - time.monotonic()) + 60)
    elapsed = time.monotonic() - began
    for b in browsers.values():
        b.close()
    time.sleep(1.0)
    profile = loadprofile.finish(spies) if spies else None
    saved = set(run.saved)
    kept = ledger.markers_kept(max_id, saved)
    revisions_after = ledger.revision_count()
    ledger.close()
    return {"elapsed_s": round(elapsed, 1), "started_at": started_at, "stuck_threads": sum(t.is_alive() for t in threads),
            "revisions_before": revisions_before, "revisions_after": revisions_after,
            "saves_acknowledged": len(saved), "saves_found": len(kept),
            "lost_saves": len(saved - kept), "unexplained_revisions": revisions_after - revisions_before - len(saved),
            "profile": profile}


def password_of(username: str) -> str:
    return f"load-{username}-pw"


def verdict(report: dict) -> list[str]:
    """The issue's targets, each met or missed, in plain words."""
    rows, lines = report["actions"], []
    errors = sum(r["errors"] for r in rows.values())
    lines.append(f"errors: {errors} ({'met' if errors == 0 else 'MISSED'}: target 0)")
    lost = report["ledger"]["lost_saves"] + max(0, -report["ledger"]["unexplained_revisions"])
    lines.append(f"revisions lost: {lost} ({'met' if lost == 0 else 'MISSED'}: target 0)")
    if report["config"]["agents"]:
        slow = {k: r["p95_ms"] for k, r in rows.items() if k in STEADY and r["p95_ms"] > TARGET_P95_MS}
        lines.append("p95 ≤ 200 ms for every action: " + ("met" if not slow else f"MISSED by {slow}"))
    elif "save" in rows:
        p95 = rows["save"]["p95_ms"]
        lines.append(f"save p95 {p95:.0f} ms ({'met' if p95 <= TARGET_SAVE_P95_MS else 'MISSED'}: target ≤ 1000 ms)")
    return lines


def print_report(report: dict) -> None:
    cfg, led = report["config"], report["ledger"]
    print(f"\nkbsite load: {cfg['setup']}, {cfg['instances']} instance(s) × {cfg['workers']} workers × "
          f"{cfg['threads']} threads; {cfg['agents']} agents, {cfg['trainers']} trainers; "
          f"{led['elapsed_s']} s; {report['total_per_s']} requests/s")
    print("| action | count | per s | p50 ms | p95 ms | p99 ms | max ms | errors | conflicts (409, expected) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in report["actions"].items():
        print(f"| {name} | {r['count']} | {r['per_s']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | "
              f"{r['max_ms']} | {r['errors']} | {r['conflicts']} |")
    print(f"revisions: {led['revisions_before']} before, {led['revisions_after']} after; saves acknowledged "
          f"{led['saves_acknowledged']}, found in the database {led['saves_found']}, lost {led['lost_saves']}")
    print("server side (access log, ms): " + "; ".join(
        f"{route} n={r['count']} p50 {r['p50_ms']:.0f} p95 {r['p95_ms']:.0f} p99 {r['p99_ms']:.0f}"
        for route, r in report["server_side"].items()))
    for key, count in sorted(report["error_samples"].items()):
        print(f"  error {key} × {count}")
    if led.get("profile"):
        print(f"profile ({led['profile']['samples']} samples), share with kbsite's function on the stack:")
        for row in led["profile"]["kbsite"]:
            print(f"  {row['share']:6.1%}  {row['function']}")
        print("self share:")
        for row in led["profile"]["self"][:15]:
            print(f"  {row['share']:6.1%}  {row['function']}")
    for line in verdict(report):
        print("target —", line)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--trainers", type=int, default=2)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--setup", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--instances", type=int, choices=(1, 2), default=None,
                        help="serve processes on one database [1 on sqlite, 2 on postgres]")
    parser.add_argument("--workers", type=int, default=None, help="per instance [2 with 1 instance, 1 with 2]")
    parser.add_argument("--threads", type=int, default=8, help="per worker [8]")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="stop after this many requests")
    parser.add_argument("--folder", type=Path, default=None, help="instance folder [a temp dir under bench/out]")
    parser.add_argument("--profile", type=float, default=0, metavar="SECONDS",
                        help="py-spy every worker for the first SECONDS of the run (slows it down)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder afterwards")
    parser.add_argument("--json", type=Path, default=None, help="where to write the JSON [bench/out/load-….json]")
    args = parser.parse_args(argv)
    args.instances = args.instances or (2 if args.setup == "postgres" else 1)
    args.workers = args.workers or (2 if args.instances == 1 else 1)
    OUT.mkdir(exist_ok=True)
    folder = args.folder or Path(tempfile.mkdtemp(prefix="load-", dir=OUT))
    site = Site(folder, args.setup, args.instances, args.workers, args.threads)
    tally = Tally()
    try:
        users = [(f"agent{n:03d}", "agent") for n in range(args.agents)] + \
                [(f"trainer{n:02d}", "trainer") for n in range(args.trainers)]
        site.prepare([(name, role, password_of(name)) for name, role in users])
        site.start()
        ledger = drive(site, args, tally)
    finally:
        site.stop()
    elapsed = ledger["elapsed_s"]
    actions = summarise(tally, elapsed)
    steady = sum(r["count"] for k, r in actions.items() if k in STEADY)
    report = {"config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
              "actions": actions, "total_per_s": round(steady / elapsed, 1), "ledger": ledger,
              "error_samples": tally.error_samples,
              "server_side": server_side([i.log_path for i in site.instances], ledger["started_at"])}
    report["verdict"] = verdict(report)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.json or OUT / f"load-{args.setup}-{args.agents}a-{args.trainers}t-{stamp}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print_report(report)
    print(f"JSON: {path}")
    if not args.keep and args.folder is None:
        shutil.rmtree(folder, ignore_errors=True)
    return report


if __name__ == "__main__":
    main()
