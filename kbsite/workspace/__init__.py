"""The agent's workspace: live search, templates filled and copied, favourites/recent, reply checker."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("workspace", __name__)

from kbsite.workspace import views  # noqa: E402,F401  (routes attach to bp)
