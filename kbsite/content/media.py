"""Serving images of entries and templates with headers that keep them inert.

The exact stored type, ``nosniff``, ``inline`` with a safe file name, a CSP sandbox (an image
opened on its own can run nothing) and a year of private caching: the URL holds the hash,
so a URL's bytes never change.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, request

from kbsite.auth.permissions import require
from kbsite.content import images

bp = Blueprint("media", __name__)


@bp.get("/images/<sha256>/<name>")
@require("read")
def image(sha256: str, name: str):
    """One stored image; ``name`` only names the download."""
    img = images.get(sha256)
    if request.if_none_match.contains(img.sha256):
        return Response(status=304, headers={"ETag": f'"{img.sha256}"'})
    filename = images.safe_name(name, img.mime.split("/")[1].replace("jpeg", "jpg"))
    resp = Response(img.data, mimetype=img.mime)
    resp.headers["Content-Type"] = img.mime  # exact: no charset, no guessing
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Disposition"] = f"inline; filename=\"image.{filename.rsplit('.', 1)[1]}\"; filename*=UTF-8''{quote(filename)}"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    resp.headers["ETag"] = f'"{img.sha256}"'
    return resp


@bp.app_template_global("image_url")
def url_for_image(ref: dict) -> str:
    """The path of an image reference (``{"name", "sha256"}``)."""
    return f"/images/{ref['sha256']}/{quote(ref['name'])}"
