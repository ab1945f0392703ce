"""bench/load.py: a few agents and trainers for a few seconds against a real `kbsite serve` on SQLite."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import percentile, prefixes  # noqa: E402
from bench.loadclient import form_fields  # noqa: E402

ACTIONS = {"sign_in", "search_page", "search", "open_log", "open", "copy", "lists", "check", "edit_form", "save"}


def test_typing_sends_each_committed_prefix_once():
    typed = prefixes("退款 多久到账", random.Random(3))
    assert typed[-1] == "退款 多久到账"
    assert all(b.startswith(a) for a, b in zip(typed, typed[1:], strict=False))
    assert len(typed) == len(set(typed)) and all(p == p.strip() for p in typed)


def test_edit_form_fields_are_what_a_browser_posts():
    page = ('<form id="other"><input name="q" value="x"></form><form method="post" id="editor">'
            '<input type="hidden" name="base" value="3"><input name="title" value="退款 &amp; 运费">'
            '<textarea name="body">\n第一行\n第二行</textarea><button name="save" value="1">保存</button></form>')
    assert form_fields(page.encode(), "editor") == {"base": "3", "title": "退款 & 运费", "body": "第一行\n第二行"}


def test_percentile_is_nearest_rank():
    values = [i / 1000 for i in range(1, 101)]
    assert percentile(values, 50) == 0.05 and percentile(values, 95) == 0.095 and percentile(values, 99) == 0.099
    assert percentile([], 95) == 0.0


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="kbsite serve runs gunicorn on Linux")
def test_short_run_reports_every_action_without_errors_or_lost_revisions(tmp_path):
    out = tmp_path / "load.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--agents", "4", "--trainers", "2", "--minutes", "0.3",
         "--folder", str(tmp_path / "site"), "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    actions = report["actions"]
    assert set(actions) >= ACTIONS, set(actions)
    assert all(actions[name]["count"] > 0 for name in ACTIONS)
    assert {name: r["errors"] for name, r in actions.items() if r["errors"]} == {}
    ledger = report["ledger"]
    assert ledger["saves_acknowledged"] > 0 and ledger["lost_saves"] == 0
    assert ledger["revisions_after"] - ledger["revisions_before"] == ledger["saves_acknowledged"]
    assert ledger["stuck_threads"] == 0
    assert report["server_side"]["api.search"]["count"] >= actions["search"]["count"]
    assert "| search |" in done.stdout and "target — errors: 0" in done.stdout
