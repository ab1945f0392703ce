"""Import and export from the browser: the whole library (zip or .md files), template sheets."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, Response, current_app, flash, render_template, request
from flask_login import current_user

from kbsite import clock, files
from kbsite.auth.permissions import can, require
from kbsite.content import image_files, imports, service, staging
from kbsite.errors import DomainError, Invalid
from kbsite.phrasing import sheet

LEGACY_IMPORT_NOTE = re.compile(r"导入 (.+)")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

bp = Blueprint("library", __name__, url_prefix="/library")


@bp.get("/")
@require("view_drafts")
def index():
    """Export button for trainers; the import form for admins."""
    return _library()


def _library(status: int = 200, **context):
    context = {"report": None, "errors": None, "derived": None, "sheet_error": None, **context}
    return render_template("content/library.html", kinds=files.KINDS, **context), status


@bp.get("/export.zip")
@require("view_drafts")
def export_zip():
    """Every item as Markdown with YAML front matter, in the repository layout."""
    items = service.export_items()
    data = files.write_zip(items, image_files.zip_members(items))
    name = f"kbsite-library-{clock.today().isoformat()}.zip"
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/import")
@require("import_library")
def import_upload():
    """All-or-nothing import of an uploaded .zip or .md files; errors name file and line.

    A zip carries its entries' images (``<slug>.images/`` beside each file, as the export
    writes them); they are checked and stored first. Single .md files can only reference
    images the site already has.
    """
    uploads = [f for f in request.files.getlist("files") if f and f.filename]
    if not uploads:
        return _library(400, errors=["请选择要导入的 .zip 或 .md 文件"])
    default_type = request.form.get("default_type") or None
    reader = imports.lenient_reader(default_type if default_type in files.KINDS else None)
    try:
        items, zips = _parse_uploads(uploads, reader)
        for name, data in zips:
            image_files.import_zip(items, data, name)
        image_files.require_stored(items)
        report = service.import_items(items, current_user, owners=current_app.config["CATEGORY_OWNERS"])
    except files.ImportFailed as exc:
        return _library(400, errors=[str(e) for e in exc.errors])
    except DomainError as exc:
        return _library(exc.status, errors=[exc.message])
    current_app.logger.info("library import by %s: %s", current_user.username, report)
    return _library(report=report, derived=reader.derived)


def _parse_uploads(uploads, parse) -> tuple[list[files.ItemData], list[tuple[str, bytes]]]:
    """The items of every upload, and each zip's (name, bytes) for its images.

    A zip is read in memory; .md files are parsed by name (the upload name is never a path).
    """
    items: list[files.ItemData] = []
    zips: list[tuple[str, bytes]] = []
    errors: list[files.FileError] = []
    for upload in uploads:
        name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
        data = upload.stream.read(files.MAX_FILE_BYTES * 50 + 1)
        try:
            if name.lower().endswith(".zip"):
                if any(z == name for z, _ in zips):
                    raise files.FileError(name, None, "同名的压缩包上传了两次")
                items += files.read_zip(data, source=name, parse=parse)
                zips.append((name, data))
            else:
                items.append(parse(data, name, source=name))
        except files.ImportFailed as exc:
            errors += exc.errors
        except files.FileError as exc:
            errors.append(exc)
    slugs = [i.slug for i in items]
    errors += [files.FileError(s, None, "slug 重复") for s in {s for s in slugs if slugs.count(s) > 1}]
    if errors:
        raise files.ImportFailed(errors)
    return items, zips


@bp.app_template_filter("basename")
def basename(source: str) -> str:
    """An import source shown by its file name only, never a server path."""
    return service.file_name(source)


@bp.app_template_filter("revision_note")
def revision_note(message: str) -> str:
    """Revision notes written by older imports named the server path; show the file name only."""
    match = LEGACY_IMPORT_NOTE.fullmatch(message or "")
    return service.import_note(match.group(1)) if match else message


# --- template spreadsheets: upload → preview → confirm -------------------------------------------


def _staging_dir() -> Path:
    return Path(current_app.config["IMPORT_STAGING_DIR"])


def _plan(name: str, data: bytes) -> imports.ImportPlan:
    return imports.plan_sheet(data, name, for_review=not can(current_user, "import_library"))


@bp.post("/sheet/preview")
@require("author")
def sheet_preview():
    """Read the uploaded sheet and show what it would create, change or reject; write nothing."""
    upload = request.files.get("sheet")
    if upload is None or not upload.filename:
        return _library(400, sheet_error="请选择要导入的 .xlsx 或 .csv 表格")
    name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
    data = upload.stream.read(sheet.MAX_XLSX_BYTES + 1)
    try:
        plan = _plan(name, data)
    except Invalid as exc:
        return _library(400, sheet_error=exc.message)
    token = staging.stage(_staging_dir(), current_user.id, name, data) if plan.ok else ""
    return render_template("content/import_preview.html", plan=plan, token=token)


@bp.post("/sheet/confirm")
@require("author")
def sheet_confirm():
    """Apply exactly the previewed sheet, all or nothing; a changed library means a new preview."""
    token = request.form.get("token", "")
    name, data = staging.load(_staging_dir(), token, current_user.id)
    plan = _plan(name, data)
    if plan.digest != request.form.get("digest") or not plan.ok:
        flash("预览之后内容库或文件有变化，请核对新的预览后再确认", "warning")
        return render_template("content/import_preview.html", plan=plan, token=token if plan.ok else ""), 409
    report = imports.apply_plan(plan, current_user, current_app.config["CATEGORY_OWNERS"])
    staging.discard(_staging_dir(), token)
    return render_template("content/import_done.html", plan=plan, report=report)


@bp.get("/templates.xlsx")
@require("view_drafts")
def export_templates_xlsx():
    """Every phrasing template as a spreadsheet for managers (formula-safe cells)."""
    data = sheet.write_xlsx(imports.export_templates())
    name = f"kbsite-templates-{clock.today().isoformat()}.xlsx"
    return Response(data, mimetype=XLSX_MIME,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
