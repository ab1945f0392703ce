"""Optional Prometheus metrics at ``/metrics`` (``KBSITE_METRICS=1``).

Requests are counted by route and status, and timed by route. Under ``kbsite
serve`` with several worker processes the numbers are shared through
prometheus-client's multiprocess mode (files in ``$KBSITE_HOME/prometheus``,
emptied at each start), so one scrape sees the whole server. prometheus-client
is imported only when the first request is counted, never before gunicorn
forks, so each worker picks the multiprocess storage.

Who may read it: with ``KBSITE_METRICS_TOKEN`` set, a request carrying
``Authorization: Bearer <token>``; without it, only a direct connection from
this host (loopback, no forwarding header): a reverse proxy in front never
passes it on.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import threading

from flask import Flask, Response, current_app, g, request

from kbsite.auth.permissions import public
from kbsite.proxies import direct_peer

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
_lock = threading.Lock()
_metrics: dict = {}


def _instruments() -> dict:
    """The process's counters, created on first use (after any fork)."""
    with _lock:
        if not _metrics:
            from prometheus_client import CollectorRegistry, Counter, Histogram

            registry = CollectorRegistry(auto_describe=True)
            _metrics["registry"] = registry
            _metrics["requests"] = Counter("kbsite_http_requests", "HTTP requests answered",
                                           ["method", "route", "status"], registry=registry)
            _metrics["latency"] = Histogram("kbsite_http_request_duration_seconds",
                                            "Time to answer a request", ["route"],
                                            buckets=BUCKETS, registry=registry)
        return _metrics


def _observe(response):
    fields = g.get("access_fields")
    if fields is not None and fields["route"] != "metrics":
        m = _instruments()
        m["requests"].labels(fields["method"], fields["route"], str(fields["status"])).inc()
        m["latency"].labels(fields["route"]).observe(fields["ms"] / 1000)
    return response


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(sent.encode(), str(token).encode())
    try:
        loopback = ipaddress.ip_address(direct_peer(request.environ)).is_loopback
    except ValueError:
        return False
    return loopback and "X-Forwarded-For" not in request.headers


@public
def metrics_view():
    """The Prometheus text format; 403 for anyone not allowed to read it."""
    if not _allowed():
        return Response("forbidden\n", 403, mimetype="text/plain")
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = _instruments()["registry"]
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Count requests and serve /metrics when ``METRICS`` is on."""
    if not app.config.get("METRICS"):
        return
    app.after_request(_observe)  # registered before the access log's hook, so it runs after it
    app.add_url_rule("/metrics", "metrics", metrics_view)
