"""Request JSON that cannot hurt the server: oversized or deeply nested bodies are a 400.

Python's parser raises RecursionError (not ValueError) on deep nesting, which
Flask turns into a 500; and a huge body costs memory and time before any view
can refuse it. The app's JSON provider refuses both as invalid JSON, so
``request.get_json(silent=True)`` returns None and every JSON view answers
with its ordinary 400. :func:`json_object` is how API views read a JSON body.
"""

from __future__ import annotations

from flask import request
from flask.json.provider import DefaultJSONProvider

from kbsite.errors import Invalid

MAX_JSON_BYTES = 1024 * 1024
MAX_DEPTH = 32


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with size and nesting limits on ``loads``."""

    def loads(self, s, **kwargs):
        """Parse ``s``; ValueError when it is too large, too deep or not JSON."""
        if len(s) > MAX_JSON_BYTES:
            raise ValueError(f"JSON body over {MAX_JSON_BYTES} bytes")
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        if depth(value) > MAX_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_DEPTH}")
        return value


def depth(value) -> int:
    """Nesting depth of parsed JSON (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, level + 1)
            stack.extend((child, level + 1) for child in node if isinstance(child, dict | list))
    return deepest


class UnsupportedMedia(Invalid):
    """The body is not JSON."""

    status = 415

    def __init__(self) -> None:
        super().__init__("请求体必须是 JSON，并带上 Content-Type: application/json")


def json_object() -> dict:
    """The request's JSON object; 415 for another media type, 400 for anything but an object."""
    if request.mimetype != "application/json":
        raise UnsupportedMedia()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid("请求体必须是 JSON 对象")
    return data
