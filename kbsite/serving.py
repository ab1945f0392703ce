"""``kbsite serve``: the app under gunicorn, several processes of several threads each (Linux).

The command prepares the instance in the master process (schema, first
accounts, index), then lets go of every database connection and index handle
before gunicorn forks. Without ``--preload`` each worker builds its own app
after the fork; with it, the app is built once in the master (``create_app``
opens no connection and no index) and each worker drops the inherited
connection pool and gets a fresh search service right after the fork.
"""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from flask import Flask
from gunicorn.app.base import BaseApplication


def worker_app() -> Flask:
    """A fresh app for one worker process."""
    from kbsite import create_app

    return create_app()


def after_fork(app: Flask) -> None:
    """Make a preloaded app safe in a new process: no inherited connections or index handles."""
    from kbsite.search import sync

    app.extensions["kbsite.db"].engine.dispose(close=False)  # the parent keeps its own sockets
    sync.init_app(app)  # a new search service: it opens the index on first use, in this process
    values = sys.modules.get("prometheus_client.values")
    if values is not None:  # imported before the fork: pick the multiprocess storage now
        values.ValueClass = values.get_value_class()


def release_handles(app: Flask) -> None:
    """Before forking: close the master's connections and drop its search service (index files)."""
    from kbsite.search import sync

    app.extensions["kbsite.db"].engine.dispose()
    sync.init_app(app)
    gc.collect()


def prepare_metrics_dir(home: Path) -> Path:
    """An empty folder for the workers' shared metric files, named to prometheus-client."""
    folder = home / "prometheus"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


class Server(BaseApplication):
    """gunicorn driven from code: options from the command line and KBSITE_* settings."""

    def __init__(self, options: dict, preload: Flask | None = None):
        self.options, self.preloaded = options, preload
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key.startswith("control_socket") and key not in self.cfg.settings:
                continue  # gunicorn before 25.1 has no control socket: nothing to share
            self.cfg.set(key, value)
        if self.preloaded is not None:
            self.cfg.set("post_fork", lambda _server, _worker: after_fork(self.preloaded))
        self.cfg.set("child_exit", _child_exit)

    def load(self) -> Flask:
        return self.preloaded if self.preloaded is not None else worker_app()


def _child_exit(_server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


MAX_SOCKET_PATH = 100  # bytes; a Unix socket path must fit in sun_path (108 on Linux)
_OFF = {"off", "false", "no", "none", "0"}


def control_socket(home: Path, setting: str = "") -> str | None:
    """Where this instance's gunicorn master listens for ``gunicornc`` (None: no control socket).

    gunicorn's default is one path per user (``$XDG_RUNTIME_DIR/gunicorn.ctl`` or
    ``~/.gunicorn/gunicorn.ctl``): a second instance on the host would take it over
    (and ``gunicornc`` would drive the wrong one), and stopping either removes it.
    Each instance gets its own, in its folder, or beside the user's runtime files
    under a name derived from the folder when that path would be too long.
    """
    value = (setting or "").strip()
    if value.lower() in _OFF:
        return None
    if value:
        return value
    path = str(Path(home).resolve() / "gunicorn.ctl")
    if len(path.encode()) <= MAX_SOCKET_PATH:
        return path
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    folder = runtime if runtime and os.path.isdir(runtime) else tempfile.gettempdir()
    digest = hashlib.sha256(str(Path(home).resolve()).encode()).hexdigest()[:16]
    return os.path.join(folder, f"kbsite-{digest}.ctl")


def options(bind: str, workers: int, threads: int, timeout: int, control: str | None = None) -> dict:
    """gunicorn settings; forwarding headers are left to kbsite/proxies.py alone."""
    opts = {
        "bind": bind, "workers": workers, "threads": threads, "timeout": timeout,
        "worker_class": "gthread" if threads > 1 else "sync",
        "graceful_timeout": 30, "keepalive": 5, "proc_name": "kbsite",
        "accesslog": None, "errorlog": "-", "loglevel": "info",
        "secure_scheme_headers": {}, "forwarded_allow_ips": "127.0.0.1",
    }
    if control is None:
        opts["control_socket_disable"] = True
    else:
        opts["control_socket"] = control
    if Path("/dev/shm").is_dir():
        opts["worker_tmp_dir"] = "/dev/shm"  # heartbeat files off the disk
    return opts


def serve(bind: str, workers: int, threads: int, timeout: int, preload: Flask | None = None,
          control: str | None = None) -> None:
    """Run gunicorn in this process until it is told to stop."""
    Server(options(bind, workers, threads, timeout, control), preload).run()
