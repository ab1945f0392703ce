"""The public certificate verification page: anyone holding a serial may check it."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from kbsite.auth.permissions import public
from kbsite.extensions import limiter
from kbsite.training import certificates

bp = Blueprint("certificates", __name__)


@bp.get("/certificates/<serial>")
@public
@limiter.limit(lambda: current_app.config["VERIFY_RATE_LIMIT"])
def verify(serial: str):
    """Whether certificate ``serial`` exists and is still current, and which policy change superseded it."""
    found = certificates.verify(serial)
    return render_template("training/verify.html", v=found, cited=certificates.cited_titles(found.certificate))
