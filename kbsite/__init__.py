"""kbsite: the knowledge base and phrasing-script site for e-commerce customer service."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from kbsite import clock, config, db, frame, proxies


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config → database → extensions → blueprints → CLI and error handlers."""
    home = config.instance_path()
    app = Flask(__name__, instance_path=str(home), instance_relative_config=True)
    app.config.from_mapping(config.defaults(home))
    app.config.from_prefixed_env("KBSITE")
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    clock.load_zone(app.config["TIMEZONE"])  # an unknown zone stops start-up with a clear message
    app.config["CATEGORY_OWNERS"] = _category_owners(app.config.get("CATEGORY_OWNERS"))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))

    frame.init_app(app)
    db.init_app(app)
    proxies.init_app(app)
    register_extensions(app)
    register_blueprints(app)
    register_search(app)
    register_hooks(app)

    from kbsite import web

    web.init_app(app)
    register_observability(app)
    return app


def _category_owners(raw: object) -> dict[str, str]:
    """The default owners of imported entries per category, validated once: a bad value stops start-up."""
    from kbsite.content import health
    from kbsite.errors import Invalid

    try:
        return health.category_owners(raw)
    except Invalid as exc:
        raise ValueError(exc.message) from None


def _instance_secret(home: Path) -> str:
    """A per-instance random secret, created once (never a default in code)."""
    path = home / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def register_extensions(app: Flask) -> None:
    """Bind login, CSRF and rate limiting."""
    from kbsite.auth.access import load_user
    from kbsite.extensions import csrf, limiter, login_manager

    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    csrf.init_app(app)
    limiter.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Import blueprints inside the factory: no import-time app, no cycles."""
    from kbsite import api, auth
    from kbsite.admin import views as admin_views
    from kbsite.content import media, transfer
    from kbsite.content import views as content_views
    from kbsite.health import views as health_views
    from kbsite.insights import views as insights_views
    from kbsite.review import views as review_views
    from kbsite.training import verification
    from kbsite.training import views as training_views
    from kbsite.workspace import bp as workspace_bp

    app.register_blueprint(auth.bp)
    app.register_blueprint(content_views.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(transfer.bp)
    app.register_blueprint(insights_views.bp)
    app.register_blueprint(training_views.bp)
    app.register_blueprint(verification.bp)
    app.register_blueprint(workspace_bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.register_blueprint(review_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(health_views.bp)


def register_hooks(app: Flask) -> None:
    """Features that react to content being published (the content layer imports none of them)."""
    from kbsite import announcements
    from kbsite.training import recertify

    recertify.init_app(app)
    announcements.init_app(app)


def register_observability(app: Flask) -> None:
    """Metrics, then the access log: Flask runs after-request hooks last-registered first."""
    from kbsite import accesslog, metrics

    metrics.init_app(app)
    accesslog.init_app(app)


def register_search(app: Flask) -> None:
    """Attach the search index, kept in step with the database (see search/sync.py)."""
    from kbsite import search

    search.init_app(app)
