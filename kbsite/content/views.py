"""Pages to browse, read, edit and compare items. Views parse → call a service → render."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from kbsite import files, markdown
from kbsite.audit import AuditEvent
from kbsite.auth.permissions import can, require
from kbsite.content import cases, diff, forms, health, images, listing, merge, service, trust, types
from kbsite.content.models import Item, Revision
from kbsite.db import session
from kbsite.errors import Conflict, Invalid, NotFound
from kbsite.review import feedback
from kbsite.training import progress, reviewqueue
from kbsite.workspace import usage

bp = Blueprint("content", __name__)


def _drafts() -> bool:
    """Trainers list the newest revisions; agents the published ones."""
    return can(current_user, "view_drafts")


@bp.get("/")
@require("read")
def home():
    """Search box first; then counts, recent changes and (for trainers) pending work."""
    sess, drafts = session(), _drafts()
    counts = listing.counts(sess, drafts)
    recent = listing.recent(sess, drafts, service.today())
    pending = listing.pending(sess) if can(current_user, "review") else []
    return render_template("content/home.html", counts=counts, recent=recent, pending=pending,
                           lists=usage.shortlists(current_user), training=_training_box())


def _training_box() -> dict | None:
    """The trainee's next step and review cards due, so home says what to learn today."""
    if not can(current_user, "train"):
        return None
    return {"next": progress.my_path(current_user).next,
            "queue": reviewqueue.queue_summary(current_user.id)}


@bp.get("/browse")
@require("read")
def browse():
    """Items filtered by kind, category prefix and tag, with counts to refine by."""
    kind, category, tag = request.args.get("type"), request.args.get("category", ""), request.args.get("tag")
    shown = [(i, r) for i, r in listing.browse(session(), _drafts(), service.today(), kind, category)
             if not tag or tag in r.tags]
    categories: dict[str, int] = {}
    tags: dict[str, int] = {}
    for _, r in shown:
        categories[r.category] = categories.get(r.category, 0) + 1
        for t in r.tags:
            tags[t] = tags.get(t, 0) + 1
    return render_template("content/browse.html", items=shown, kind=kind, category=category, tag=tag,
                           categories=sorted(categories.items()),
                           tags=sorted(tags.items(), key=lambda kv: -kv[1])[:40])


def _related(item: Item, rev: Revision, limit: int = 6) -> list[tuple[Item, Revision]]:
    return listing.related(session(), item, rev, _drafts(), service.today(), limit)


@bp.get("/items/<slug>")
@require("read")
def view_item(slug: str):
    """Answer first: the pasteable summary, then the detail, then related entries."""
    item = service.get_item(slug)
    on = request.args.get("on")
    as_of = None
    if on and item.type == "policy":
        try:
            as_of = date.fromisoformat(on)
        except ValueError:
            raise Invalid("日期格式应为 YYYY-MM-DD") from None
        rev = service.in_force(item, as_of)
        if rev is None:
            flash(f"{on} 时该政策尚未生效", "info")
            rev = service.agent_revision(item)
    else:
        rev = service.visible_revision(item, current_user)
    if rev is None:
        abort(404)
    published = service.agent_revision(item)
    signals = trust.trust_of(item, published or rev, service.today()) if item.type in files.KINDS else None
    return render_template(_template(item), item=item, rev=rev, published=published, on=on,
                           related=_related(item, rev), health=_health(item), trust=signals,
                           not_yet=service.starts_later(item, rev, as_of),
                           policies=cases.policy_changes(rev) if item.type == "case" else [])


def _template(item: Item) -> str:
    """The page template the item's type declares."""
    ctype = types.get(item.type)
    return ctype.template if ctype else "content/item.html"


def _health(item: Item) -> dict | None:
    """Owner, review date and staleness for trainers; agents only see the verified line."""
    if not can(current_user, "author"):
        return None
    return {"due": health.due_date(item), "stale": health.is_stale(item, service.today()),
            "owners": health.owner_candidates(), "feedback": feedback.open_feedback(item=item)}


@bp.post("/items/<slug>/feedback")
@require("read")
def report_problem(slug: str):
    """An agent tells the entry's owner what is wrong with it."""
    number = request.form.get("revision", "")
    try:
        feedback.submit(current_user, slug, request.form.get("kind", ""), request.form.get("text", ""),
                        int(number) if number.isdigit() else None)
    except Invalid as exc:
        flash(exc.message, "error")
    else:
        flash("谢谢！反馈已转给这条内容的负责人。", "success")
    return redirect(url_for("content.view_item", slug=slug))  # the message shows at the top


@bp.get("/items/<slug>/rev/<int:number>")
@require("view_drafts")
def view_revision(slug: str, number: int):
    """An old revision, read-only."""
    item = service.get_item(slug)
    rev = service.get_revision(item, number)
    return render_template(_template(item), item=item, rev=rev, published=item.published,
                           on=None, related=[], old=True)


def _editor(item: Item | None, type_: str, draft: service.Draft, base: int | None, message: str = "",
            status: int = 200, errors: list[str] | None = None):
    editor = forms.EDITORS.get(type_)
    yaml_posted = request.method == "POST" and request.form.get("structured_mode") != forms.FORM_MODE
    use_form = editor is not None and request.args.get("yaml") != "1" and not yaml_posted
    form_context = editor.context(draft.meta) if use_form else None
    args = {"slug": item.slug} if item else {"type": type_}
    endpoint = "content.edit_item" if item else "content.new_item"
    return render_template("content/edit.html", item=item, type=type_, draft=draft, base=base,
                           message=message, structured=forms.structured_text(draft.meta),
                           channels=forms.CHANNELS, editor=editor, form_context=form_context,
                           form_errors=errors or [], form_unavailable=use_form and form_context is None,
                           form_url=url_for(endpoint, **args),
                           yaml_url=url_for(endpoint, yaml=1, **args)), status


def _read_draft(type_: str, old_meta: dict | None = None) -> tuple[service.Draft, list[str]]:
    """The posted draft, and the form editor's problems (the draft is kept so nothing is lost)."""
    try:
        return forms.draft_from_form(type_, request.form, old_meta), []
    except Invalid as exc:
        if "draft" not in exc.details:
            raise
        return exc.details["draft"], exc.details["errors"]


@bp.route("/items/new", methods=["GET", "POST"])
@require("author")
def new_item():
    """Create an item; its first revision is a draft until reviewed."""
    type_ = request.values.get("type", "faq")
    if types.get(type_) is None:
        raise Invalid("未知的条目类型")
    if request.method == "GET":
        return _editor(None, type_, service.Draft(request.args.get("title", ""), ""), None)
    draft, errors = _read_draft(type_)
    if errors:
        return _editor(None, type_, draft, None, request.form.get("message", ""), 400, errors)
    slug = request.form.get("slug", "").strip() or service.free_slug(draft.title)
    try:
        _attach_images(type_, draft, {})
        service.create_item(slug, type_, draft, current_user, request.form.get("message", ""),
                            submit="submit" in request.form)
    except (Invalid, Conflict) as exc:
        flash(exc.message, "error")
        return _editor(None, type_, draft, None, request.form.get("message", ""), status=exc.status)
    flash("已保存为草稿" if "submit" not in request.form else "已提交审核", "success")
    _warn_forbidden(type_, draft)
    return redirect(url_for("content.view_item", slug=slug))


@bp.route("/items/<slug>/edit", methods=["GET", "POST"])
@require("author")
def edit_item(slug: str):
    """Edit from a base revision; a stale base shows both versions instead of overwriting."""
    item = service.get_item(slug)
    latest = item.latest
    if request.method == "GET":
        return _editor(item, item.type, service.draft_of(latest), latest.number)
    draft, errors = _read_draft(item.type, latest.meta)
    base = request.form.get("base", type=int)
    message = request.form.get("message", "")
    if errors:
        return _editor(item, item.type, draft, base, message, 400, errors)
    try:
        _attach_images(item.type, draft, latest.meta)
        rev = service.save_revision(slug, draft, base, current_user, message, submit="submit" in request.form)
    except Conflict as exc:
        return _merge_page(slug, exc.details.get("draft") or draft, base or 0, exc.details["current"], message,
                           submit="submit" in request.form)
    except Invalid as exc:
        flash(exc.message, "error")
        return _editor(item, item.type, draft, base, message, status=400)
    flash("没有改动，未生成新版本" if rev is None else f"已保存第 {rev.number} 版", "success")
    _warn_forbidden(item.type, draft)
    return redirect(url_for("content.view_item", slug=slug))


def _attach_images(type_: str, draft: service.Draft, old_meta: dict) -> None:
    """The images the trainer kept (checkboxes) plus new uploads; a bad file keeps the rest."""
    if "images" not in types.get(type_).keys:
        return
    keep = set(request.form.getlist("keep_image"))
    kept = [r for r in images.refs(old_meta) if r["sha256"] in keep]
    if kept:
        draft.meta["images"] = kept
    added = [images.store(f.read(images.MAX_BYTES + 1), f.filename or "图片", current_user.id)
             for f in request.files.getlist("image") if f and f.filename]
    refs = images.merge_refs(kept, added)
    if refs:
        draft.meta["images"] = refs


def _proposal(slug: str, mine: service.Draft, base: int, theirs_no: int):
    """The colleague's revision and the three-way merge of ``mine`` (made from ``base``) with it."""
    item = service.get_item(slug)
    theirs = service.get_revision(item, theirs_no)
    try:
        base_draft = service.draft_of(service.get_revision(item, base)) if base else None
    except NotFound:
        base_draft = None
    return item, theirs, merge.propose(base_draft, service.draft_of(theirs), mine)


def _merge_page(slug: str, mine: service.Draft, base: int, theirs_no: int, message: str, *,
                submit: bool = False, choices: dict | None = None, edits: dict | None = None,
                missing: list[str] | None = None, status: int = 409):
    """The merge page: automatic merges listed, every conflict offered with no side pre-chosen."""
    item, theirs, proposal = _proposal(slug, mine, base, theirs_no)
    return render_template("content/merge.html", item=item, theirs=theirs, base=base, mine=mine,
                           packed=merge.pack(mine), m=proposal, message=message, submit=submit,
                           choices=choices or {}, edits=edits or {}, missing=set(missing or ())), status


def _prefixed(prefix: str) -> dict[str, str]:
    return {k[len(prefix):]: v for k, v in request.form.items() if k.startswith(prefix)}


@bp.post("/items/<slug>/merge")
@require("author")
def merge_item(slug: str):
    """Save a merge once every conflict has a choice; otherwise the same form again, as filled in."""
    mine = merge.unpack(request.form.get("mine", ""))
    base, theirs_no = request.form.get("base", 0, type=int), request.form.get("theirs", type=int)
    if theirs_no is None:
        raise Invalid("合并表单缺少同事的版本号，请回到编辑页重新保存")
    message, submit = request.form.get("message", ""), "submit" in request.form
    choices, edits = _prefixed("choice-"), _prefixed("edit-")
    item, theirs, proposal = _proposal(slug, mine, base, theirs_no)
    try:
        merged = forms.derive(item.type, merge.resolve(proposal, choices, edits,
                                                       {k: v for k, v in theirs.meta.items() if k == "folder"}))
        rev = service.save_revision(slug, merged, theirs_no, current_user, message or f"合并第 {theirs_no} 版",
                                    submit=submit, merge_base=base)
    except Conflict as exc:  # a third save landed meanwhile: merge the result with it, nothing lost
        flash("合并期间又有人保存了新版本。您的合并结果已保留，请对照最新版本再合并一次。", "warning")
        return _merge_page(slug, exc.details["draft"], theirs_no, exc.details["current"], message, submit=submit)
    except Invalid as exc:
        flash(exc.message, "error")
        return _merge_page(slug, mine, base, theirs_no, message, submit=submit, choices=choices, edits=edits,
                           missing=exc.details.get("keys"), status=400)
    flash(f"合并结果与同事的第 {theirs_no} 版相同，未生成新版本" if rev is None
          else f"已合并同事的第 {theirs_no} 版，保存为第 {rev.number} 版", "success")
    return redirect(url_for("content.view_item", slug=slug))


def _warn_forbidden(type_: str, draft: service.Draft) -> None:
    """A saved template that uses a forbidden or risky phrase is flagged to the trainer at once."""
    from kbsite.workspace.lexicon import save_warning

    warning = save_warning(type_, draft.body, draft.meta)
    if warning:
        flash(warning, "warning")


@bp.post("/preview")
@require("author")
def preview():
    """Live preview: the same sanitising renderer as saved content."""
    try:
        html = markdown.render_html(request.form.get("body", ""))
    except ValueError as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(html=html)


@bp.get("/items/<slug>/history")
@require("view_drafts")
def history(slug: str):
    """Every revision with its author, message and review state, plus the audit trail."""
    item = service.get_item(slug)
    events = session().scalars(
        select(AuditEvent).where(AuditEvent.target == f"item:{slug}").order_by(AuditEvent.at.desc())
    ).all()
    return render_template("content/history.html", item=item, revisions=service.revisions(item),
                           events=events)


@bp.get("/items/<slug>/diff")
@require("view_drafts")
def compare(slug: str):
    """Side-by-side, character-level diff of revisions ``a`` and ``b``."""
    item = service.get_item(slug)
    b = request.args.get("b", type=int) or item.latest.number
    a = request.args.get("a", type=int) or max(1, b - 1)
    ra, rb = service.get_revision(item, a), service.get_revision(item, b)
    rows = diff.side_by_side(diff.revision_text(ra), diff.revision_text(rb))
    return render_template("content/diff.html", item=item, a=ra, b=rb, rows=rows,
                           numbers=[r.number for r in service.revisions(item)])


@bp.post("/items/<slug>/revert/<int:number>")
@require("author")
def revert(slug: str, number: int):
    """Restore an old revision's content as a new revision."""
    rev = service.revert(slug, number, request.form.get("base", type=int), current_user)
    flash("内容与当前版本相同，无需恢复" if rev is None else f"已恢复为新的第 {rev.number} 版（草稿）", "success")
    return redirect(url_for("content.history", slug=slug))


@bp.post("/items/<slug>/rev/<int:number>/<action>")
@require("author")
def review_action(slug: str, number: int, action: str):
    """Submit a draft for review, or approve / send back a pending revision."""
    comment = request.form.get("comment", "")
    if action == "submit":
        service.submit_for_review(slug, number, current_user)
        flash("已提交审核", "success")
    elif action == "approve":
        service.approve(slug, number, current_user, comment)
        flash(f"第 {number} 版已发布", "success")
    elif action == "reject":
        service.reject(slug, number, current_user, comment)
        flash(f"第 {number} 版已退回", "info")
    else:
        abort(404)
    return redirect(request.form.get("back") if request.form.get("back", "").startswith("/items/")
                    else url_for("content.history", slug=slug))
