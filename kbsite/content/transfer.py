"""Import and export the whole library from the browser (zip or single .md files)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, current_app, render_template, request
from flask_login import current_user

from kbsite import files
from kbsite.auth.permissions import require
from kbsite.content import image_files, service
from kbsite.errors import DomainError

bp = Blueprint("library", __name__, url_prefix="/library")


@bp.get("/")
@require("view_drafts")
def index():
    """Export button for trainers; the import form for admins."""
    return render_template("content/library.html", report=None, errors=None)


@bp.get("/export.zip")
@require("view_drafts")
def export_zip():
    """Every item as Markdown with YAML front matter, in the repository layout."""
    data = files.write_zip(service.export_items())
    name = f"kbsite-library-{date.today().isoformat()}.zip"
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/import")
@require("import_library")
def import_upload():
    """All-or-nothing import of an uploaded .zip or .md files; errors name file and line."""
    uploads = [f for f in request.files.getlist("files") if f and f.filename]
    if not uploads:
        return render_template("content/library.html", report=None, errors=["请选择要导入的 .zip 或 .md 文件"]), 400
    try:
        items = _parse_uploads(uploads)
        image_files.require_stored(items)
        report = service.import_items(items, current_user)
    except files.ImportFailed as exc:
        return render_template("content/library.html", report=None, errors=[str(e) for e in exc.errors]), 400
    except DomainError as exc:
        return render_template("content/library.html", report=None, errors=[exc.message]), exc.status
    current_app.logger.info("library import by %s: %s", current_user.username, report)
    return render_template("content/library.html", report=report, errors=None)


def _parse_uploads(uploads) -> list[files.ItemData]:
    """A zip is read in memory; .md files are parsed by name (the upload name is never a path)."""
    items: list[files.ItemData] = []
    errors: list[files.FileError] = []
    for upload in uploads:
        name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
        data = upload.stream.read(files.MAX_FILE_BYTES * 50 + 1)
        try:
            if name.lower().endswith(".zip"):
                items += files.read_zip(data, source=name)
            else:
                items.append(files.parse_item(data, name, source=name))
        except files.ImportFailed as exc:
            errors += exc.errors
        except files.FileError as exc:
            errors.append(exc)
    slugs = [i.slug for i in items]
    errors += [files.FileError(s, None, "slug 重复") for s in {s for s in slugs if slugs.count(s) > 1}]
    if errors:
        raise files.ImportFailed(errors)
    return items
