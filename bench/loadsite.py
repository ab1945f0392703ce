"""The site ``bench/load.py`` drives: a fresh instance (or two) served by ``kbsite serve`` on loopback.

Set-up goes through the operator's own commands: ``kbsite import`` of the starter library
(which creates the schema) and ``kbsite create-user`` for every simulated account, run
in one helper process (``python bench/loadsite.py prepare``) so that 50 accounts do not
pay 50 interpreter start-ups. With PostgreSQL a throw-away database is created on the
local server and dropped at the end; each instance has its own folder, hence its own
search index, and follows the search outbox like any other node.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARTER = [ROOT / "content", ROOT / "scripts_lib"]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kbsite_bin() -> str:
    """The ``kbsite`` script of the interpreter running the bench."""
    return str(Path(sys.executable).with_name("kbsite"))


@dataclass
class Instance:
    """One ``kbsite serve`` process (gunicorn master and workers) on its own port and folder."""

    home: Path
    env: dict
    workers: int
    threads: int
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        out = (self.home.parent / f"serve-{self.home.name}.log").open("w")
        self.proc = subprocess.Popen(
            [kbsite_bin(), "serve", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--threads", str(self.threads)],
            env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)

    def wait_ready(self, timeout: float = 180) -> None:
        """Until ``/readyz`` answers 200 (schema, index caught up); fail if the process died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"kbsite serve exited ({self.proc.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=3) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"kbsite serve not ready within {timeout:.0f} s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the master this instance started)."""
        if self.proc is None:
            return []
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    @property
    def log_path(self) -> Path:
        return self.home.parent / f"serve-{self.home.name}.log"

    def stop(self) -> None:
        """SIGTERM to the gunicorn master (graceful), SIGKILL to the group if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(40)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


class Site:
    """A fresh instance set (one or two serve processes on one database) for one bench run."""

    def __init__(self, folder: Path, setup: str, instances: int, workers: int, threads: int):
        self.folder, self.setup = folder, setup
        self.pg_name = f"kbsite_load_{uuid.uuid4().hex[:8]}" if setup == "postgres" else None
        if setup == "postgres":
            self.db_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.pg_name}"
        else:
            self.db_url = f"sqlite:///{folder / 'node1' / 'kbsite.db'}"
        base = {k: v for k, v in os.environ.items() if not k.startswith("KBSITE_")}
        shared = {"KBSITE_SQLALCHEMY_URL": self.db_url, "KBSITE_SECRET_KEY": uuid.uuid4().hex * 2,
                  "KBSITE_LOG_FORMAT": "json"}
        self.instances = [
            # each instance's gunicorn master has its own control socket (kbsite/serving.py)
            Instance(folder / f"node{n}", base | shared | {"KBSITE_HOME": str(folder / f"node{n}")},
                     workers, threads)
            for n in range(1, instances + 1)]

    def prepare(self, users: list[tuple[str, str, str]]) -> None:
        """Database, starter library and accounts, through ``kbsite import`` and ``create-user``."""
        if self.pg_name:
            _pg_admin(f'CREATE DATABASE "{self.pg_name}"')
        first = self.instances[0]
        first.home.mkdir(parents=True, exist_ok=True)
        spec = self.folder / "users.json"
        spec.write_text(json.dumps(users), encoding="utf-8")
        done = subprocess.run([sys.executable, str(Path(__file__)), "prepare", str(spec)], env=first.env,
                              cwd=ROOT, capture_output=True, text=True, timeout=600)
        (self.folder / "prepare.log").write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode != 0:
            raise RuntimeError(f"preparing the instance failed; see {self.folder / 'prepare.log'}")

    def start(self) -> None:
        """Start every instance, then wait until each says it is ready."""
        for inst in self.instances:
            inst.start()
        for inst in self.instances:
            inst.wait_ready()

    def stop(self) -> None:
        for inst in self.instances:
            inst.stop()
        if self.pg_name:
            _pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


def _pg_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(statement)


class Ledger:
    """Read-only looks at the database: what to drive (slugs) and what was kept (revisions)."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine

        self.engine = create_engine(url)

    def _rows(self, sql: str, **params) -> list:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def published_slugs(self, type_: str) -> list[str]:
        rows = self._rows("SELECT slug FROM items WHERE type = :t AND published_revision_id IS NOT NULL "
                          "ORDER BY slug", t=type_)
        return [r[0] for r in rows]

    def revision_count(self) -> int:
        return self._rows("SELECT count(*) FROM revisions")[0][0]

    def max_revision_id(self) -> int:
        return self._rows("SELECT coalesce(max(id), 0) FROM revisions")[0][0]

    def markers_kept(self, after_id: int, markers: set[str]) -> set[str]:
        """Which save markers appear in a revision body written after ``after_id``."""
        bodies = [r[0] for r in self._rows("SELECT body FROM revisions WHERE id > :i", i=after_id)]
        return {m for m in markers if any(m in b for b in bodies)}

    def close(self) -> None:
        self.engine.dispose()


def _prepare(spec: Path) -> int:
    """In the helper process: ``kbsite import`` the starter library, ``kbsite create-user`` each account."""
    sys.path.insert(0, str(ROOT))
    from kbsite.cli import main

    main(["import", *map(str, STARTER)], standalone_mode=False)
    for name, role, password in json.loads(spec.read_text(encoding="utf-8")):
        main(["create-user", name, "--role", role, "--password", password], standalone_mode=False)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] != ["prepare"] or len(sys.argv) != 3:
        sys.exit("usage: loadsite.py prepare USERS.json")
    sys.exit(_prepare(Path(sys.argv[2])))
