"""One simulated browser for ``bench/load.py``: a kept-alive loopback connection, cookies, CSRF, timing.

Every request is timed from send to the last byte read and filed under an action name in
a shared :class:`Tally`. A request that fails before any answer on a connection that was
already used (the server closed it while idle) is sent again once on a fresh connection,
as browsers do; any other failure is an error.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie

TIMEOUT = 30.0
_META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_INPUT_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Action:
    """Latencies and outcomes of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    conflicts: int = 0


class Tally:
    """Shared across threads: per-action figures and the first few error descriptions."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.actions: dict[str, Action] = {}
        self.error_samples: dict[str, int] = {}

    def add(self, action: str, seconds: float, outcome: str, detail: str = "") -> None:
        with self.lock:
            rec = self.actions.setdefault(action, Action())
            rec.latencies.append(seconds)
            if outcome == "error":
                rec.errors += 1
                key = f"{action}: {detail}"
                self.error_samples[key] = self.error_samples.get(key, 0) + 1
            elif outcome == "conflict":
                rec.conflicts += 1


class Refused(Exception):
    """A step could not go on (its request failed and was counted as an error)."""


class Browser:
    """One user's connection and cookies; ``call`` times a request and files its outcome."""

    def __init__(self, base_url: str, tally: Tally):
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.tally = tally
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.conn: http.client.HTTPConnection | None = None
        self.used = False

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn, self.used = None, False

    def _send(self, method: str, path: str, body: bytes | None, headers: dict):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        self.used = True
        for raw in resp.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        if resp.will_close:
            self.close()
        return resp.status, resp.headers, data

    def call(self, action: str, method: str, path: str, *, json_body=None, form=None,
             expect_conflict: bool = False, page: bool = False):
        """Send, time and file one request; return (status, headers, body) or raise :class:`Refused`."""
        headers = {"Accept": "text/html" if page else "application/json"}
        body = None
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif form is not None:
            body = urllib.parse.urlencode(form).encode("utf-8")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if method != "GET" and self.csrf:
            headers["X-CSRFToken"] = self.csrf
        began = time.perf_counter()
        try:
            status, resp_headers, data = self._attempt(method, path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            self.tally.add(action, time.perf_counter() - began, "error", type(exc).__name__)
            self.close()
            raise Refused(action) from exc
        took = time.perf_counter() - began
        location = resp_headers.get("Location", "")
        if status == 409 and expect_conflict:
            self.tally.add(action, took, "conflict")
        elif status >= 400 or (300 <= status < 400 and "/login" in location):
            self.tally.add(action, took, "error", f"HTTP {status}" + (" → login" if location else ""))
            raise Refused(action)
        else:
            self.tally.add(action, took, "ok")
        return status, resp_headers, data

    def _attempt(self, method, path, body, headers):
        reused = self.used
        try:
            return self._send(method, path, body, dict(headers))
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if not reused:
                raise
            self.close()  # the server dropped an idle kept-alive connection: one fresh try
            return self._send(method, path, body, dict(headers))

    def sign_in(self, username: str, password: str) -> None:
        """Like a person at the login form: page, POST with its CSRF token, then the search page."""
        _, _, page = self.call("sign_in", "GET", "/login", page=True)
        token = _INPUT_CSRF.search(page.decode("utf-8"))
        form = {"csrf_token": token.group(1) if token else "", "username": username, "password": password}
        status, headers, _ = self.call("sign_in", "POST", "/login", form=form, page=True)
        if status != 302:
            self.tally.add("sign_in", 0.0, "error", f"sign-in answered {status}")
            raise Refused("sign_in")
        self.load_csrf(self.call("search_page", "GET", "/search", page=True)[2])

    def load_csrf(self, page: bytes) -> None:
        """The token fetch() POSTs send: ``<meta name="csrf-token">`` of the page."""
        match = _META_CSRF.search(page.decode("utf-8"))
        if match:
            self.csrf = match.group(1)


class FormFields(HTMLParser):
    """The fields a browser would submit from ``<form id=...>`` (no buttons; they are added per click)."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, {}
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif not self.inside or not a.get("name"):
            return
        elif tag == "input" and a.get("type", "text") not in ("submit", "button", "checkbox", "radio", "file"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea, self._text = a["name"], []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self.fields[self._textarea] = text[1:] if text.startswith("\n") else text  # HTML drops it
            self._textarea = None


def form_fields(page: bytes, form_id: str) -> dict[str, str]:
    """Parse ``page`` and return the named form's fields as a browser would send them."""
    parser = FormFields(form_id)
    parser.feed(page.decode("utf-8"))
    return parser.fields
