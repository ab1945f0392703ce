"""``bench/load.py --profile``: py-spy samples of every server worker while the load runs.

py-spy (``pip install py-spy``; not a kbsite dependency) records each worker from outside
(``--nonblocking``: the workers are never paused), as collapsed stacks; the summary adds up
the samples in which each function is on the stack (inclusive) and at the top (self), so
the report says where the server's time goes. A profiled run is slower than a plain one:
its latencies are not the figures to quote.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

_LINE = re.compile(r":\d+\)$")


def start(pids: list[int], seconds: float, folder: Path) -> list[tuple[subprocess.Popen, Path]]:
    """One ``py-spy record`` per worker, raw collapsed output in ``folder``."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    running = []
    for pid in pids:
        out = folder / f"profile-{pid}.txt"
        proc = subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
                                 "--rate", "50", "--nonblocking", "--format", "raw", "--output", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        running.append((proc, out))
    return running


def finish(running: list[tuple[subprocess.Popen, Path]], top: int = 25) -> dict:
    """Wait for the recorders; the busiest functions (share of all samples) inclusive and self."""
    inclusive, own, total = Counter(), Counter(), 0
    for proc, out in running:
        proc.wait(timeout=120)
        if not out.exists():
            continue
        for line in out.read_text(encoding="utf-8", errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = [_LINE.sub(")", f) for f in stack.split(";") if f]
            n = int(count)
            total += n
            for frame in set(frames):
                inclusive[frame] += n
            if frames:
                own[frames[-1]] += n
    share = lambda c: [{"function": f, "share": round(n / total, 3)} for f, n in c.most_common(top)]  # noqa: E731
    ours = Counter({f: n for f, n in inclusive.items() if "(kbsite/" in f})
    return {"samples": total, "inclusive": share(inclusive), "kbsite": share(ours), "self": share(own)}
