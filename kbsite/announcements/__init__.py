"""Announcements (公告): pinned notices with a validity window, audience, priority and read receipts.

The type is declared in the content-type registry; this package registers its
file validation, its pages (acknowledge, who has read), the pinned list for the
home page and panel, and the group-chat notices sent when it (or a policy) is published.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("announcements", __name__)


def init_app(app: Flask) -> None:
    """Register the blueprint, the publish hook, the pinned-list template global and the notice worker."""
    from kbsite.announcements import editor, notify, views
    from kbsite.content import events, forms

    app.register_blueprint(bp)
    events.on_published(app, notify.on_published)
    forms.register_reader("announcement", editor.read_form)
    app.jinja_env.globals["pinned_announcements"] = views.pinned_for_current_user
    app.jinja_env.globals["announcement_window"] = views.window_of
    if not app.testing:
        notify.resume(app)
