"""One access-log line per request: request id, user, route, status and latency.

The request id comes from ``X-Request-ID`` when the proxy sent a sane one (so a
line here matches the proxy's) and is made up otherwise; it is echoed in the
response. Only the path is logged, never the query string: agents paste
customers' messages into searches. ``KBSITE_LOG_FORMAT=json`` writes each line as
one JSON object, for log collectors.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, request

log = logging.getLogger("kbsite.access")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id() -> str:
    """This request's id (from ``X-Request-ID`` or new)."""
    return g.get("request_id", "")


def _begin() -> None:
    g.request_started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def _user() -> str:
    """The signed-in or token user, without loading one just to log it."""
    user = g.get("api_user") or g.get("_login_user")
    return getattr(user, "username", None) or "-"


def record(response) -> dict:
    """The fields of this request's line."""
    started = g.get("request_started", time.perf_counter())
    return {
        "request_id": request_id(), "user": _user(), "method": request.method,
        "path": request.path, "route": request.endpoint or "-", "status": response.status_code,
        "ms": round((time.perf_counter() - started) * 1000, 1), "remote": request.remote_addr or "-",
    }


def _finish(response):
    if "request_id" not in g:  # a request that failed before before_request ran
        _begin()
    response.headers["X-Request-ID"] = request_id()
    fields = record(response)
    g.access_fields = fields
    log.info("%s", fields["request_id"], extra={"access": fields})
    return response


class TextFormatter(logging.Formatter):
    """``time request_id user method path route status ms``: one line a human can grep."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "access", None)
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        if fields is None:
            return f"{stamp} {record.levelname} {record.name}: {record.getMessage()}"
        return (f"{stamp} {fields['request_id']} {fields['user']} {fields['method']} {fields['path']} "
                f"{fields['route']} {fields['status']} {fields['ms']}ms {fields['remote']}")


class JsonFormatter(logging.Formatter):
    """One JSON object per line; access lines carry their fields at the top level."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
               "level": record.levelname.lower(), "logger": record.name}
        fields = getattr(record, "access", None)
        out.update(fields if fields is not None else {"message": record.getMessage()})
        if record.exc_info and fields is None:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure_logging(fmt: str, stream=None) -> None:
    """Send kbsite's logs (access lines included) to ``stream`` as text or JSON."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger("kbsite")
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


def init_app(app: Flask) -> None:
    """Time every request and log it when it is done."""
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)  # first, even before redirects
    app.after_request(_finish)
