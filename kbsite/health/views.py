"""``/healthz``: the process answers. ``/readyz``: it can serve agents correctly right now.

Readiness means the database answers, the search index is present, and the
index has applied every committed change older than ``READY_MAX_LAG_SECONDS``
(default 5). Both are public JSON (no session, no database for ``/healthz``)
so that a load balancer can poll them; neither reveals content.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from kbsite import search
from kbsite.auth.permissions import public
from kbsite.db import database
from kbsite.search.health import DEFAULT_MAX_LAG_SECONDS, readiness

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
@public
def healthz():
    """Alive: the process serves requests (checks nothing else)."""
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz():
    """Ready: database reachable, index present and caught up; 503 otherwise."""
    max_lag = float(current_app.config.get("READY_MAX_LAG_SECONDS", DEFAULT_MAX_LAG_SECONDS))
    database_ok = _database_ok()
    status = _search_status() if database_ok else None
    if status is None:
        status = {"index_present": False, "lag_seconds": None, "behind": 0}
    ready, body = readiness(status, database_ok, max_lag)
    return jsonify(body), 200 if ready else 503


def _search_status() -> dict | None:
    try:
        return search.service().status()
    except Exception:  # the database answered SELECT 1 but the outbox did not
        log.exception("readiness: search status unavailable")
        return None


def _database_ok() -> bool:
    try:
        with database().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        log.exception("readiness: database unreachable")
        return False
