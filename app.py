"""Application factory: Flask + Flask-AppBuilder + Flask-Migrate + Babel + CSRF, wiring the role matrix, the menu
table, the screens and the REST APIs together (DESIGN §1, §6, §7).

``flask --app app run`` serves ``app``; tests call ``create_app(overrides)`` for an app per database.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from flask import Flask, request
from flask_appbuilder import AppBuilder
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

import config
from models.base import db

migrate = Migrate()
csrf = CSRFProtect()

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob: https:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; frame-ancestors 'self'; form-action 'self'; object-src 'none'"
    ),
}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: WAL and a busy timeout so two simultaneous requests never fail with 'database is locked'."""
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def create_app(overrides: Optional[dict[str, Any]] = None) -> Flask:
    """Build the application; ``overrides`` replace config keys (tests: database URL, rate limits)."""
    app = Flask(__name__, template_folder="templates", instance_path=str(config.INSTANCE_DIR))
    app.config.from_object(config.Config)
    if overrides:
        app.config.update(overrides)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        config.INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    for noisy in ("flask_appbuilder", "weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    hops = int(app.config.get("PROXY_TRUSTED_HOPS") or 0)
    if hops:  # behind a reverse proxy: the client's address (login limits, audit IPs) from X-Forwarded-For
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.config["FAB_ROLES"] = _role_matrix()
    db.init_app(app)
    from services.storage import init_app as init_blob_stores  # attachments' bytes: database, directory or S3

    init_blob_stores(app)
    from services.job_files import check_config as check_job_files  # JOB_FILES_STORE: directory or s3

    check_job_files(app)
    migrate.init_app(app, db, directory=str(config.BASE_DIR / "migrations"))
    csrf.init_app(app)
    appbuilder = AppBuilder()
    with app.app_context():
        appbuilder.init_app(app, db.session)
        _register_views(appbuilder)
        appbuilder.post_init()
        _exempt_api_from_csrf(app)
        from services.trainee_export import remove_stale_exports  # plaintext export files a killed worker left
        remove_stale_exports(app)

    from seed.commands import register_commands
    from seed.statistics import register_statistics_commands
    from views.attachment_commands import register_attachment_commands
    from services.job_worker import register_job_commands
    from views.errors import register_error_pages
    from views.health import register_health
    from views.filters import register_template_filters
    from views.menu_cache import init_app as init_menu_cache
    from views.ui.timeline import register_template_globals

    register_commands(app)
    register_statistics_commands(app)
    register_attachment_commands(app)
    register_job_commands(app)
    register_health(app)
    register_template_filters(app)
    register_template_globals(app)
    init_menu_cache(app)
    register_error_pages(app)

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith("/swagger"):
            response.headers.pop("Content-Security-Policy", None)
        return response

    return app


def _exempt_api_from_csrf(app: Flask) -> None:
    """The REST API authenticates with a Bearer JWT (no ambient credentials), so Flask-WTF's form CSRF check
    is lifted there; writes made with a browser session cookie still need the token (views/api_guards.py)."""
    from views.api_guards import api_before_request

    for name, blueprint in app.blueprints.items():
        if getattr(blueprint, "url_prefix", "") and blueprint.url_prefix.startswith("/api/"):
            csrf.exempt(blueprint)

    @app.before_request
    def _api_guards():
        if request.path.startswith("/api/"):
            return api_before_request()
        return None


def _role_matrix() -> dict[str, list[list[str]]]:
    """FAB builtin roles: the resource permissions of models/roles.py plus each role's exact menu names
    (``menu_access``) generated from the menu table."""
    from models.roles import RESOURCE_PERMISSIONS
    from views.menu import menu_permissions

    return {role: [*permissions, *menu_permissions(role)] for role, permissions in RESOURCE_PERMISSIONS.items()}


def _register_views(appbuilder: AppBuilder) -> None:
    """The menu table (DESIGN §6), the REST APIs (DESIGN §10) and the screens reached without a menu."""
    from views import api, menu
    from views.ui import row_actions
    from views.ui.changes import ChangeView
    from views.ui.claim_import import ClaimImportView
    from views.ui.filing import FilingView
    from views.ui.imports import FilingImportView
    from views.ui.registration import RegisterView
    from views.ui.review import FilingPrintView

    menu.register(appbuilder)
    api.register(appbuilder)
    for view in (FilingView, FilingImportView, FilingPrintView, ChangeView):
        appbuilder.add_view_no_menu(view)
    appbuilder.add_view_no_menu(ClaimImportView)
    appbuilder.add_view_no_menu(RegisterView)  # 企业注册 (public; 注册审核 is in the menu table)
    row_actions.register(appbuilder)
    _register_claim_views(appbuilder)


def _register_claim_views(appbuilder: AppBuilder) -> None:
    """企业新型学徒制培训补贴: 补贴申请 / 办理结果 and the claim page (views/menu.py links them)."""
    from views.ui.claim_persons import ClaimPersonsView
    from views.ui.claims import ClaimView

    appbuilder.add_view_no_menu(ClaimView)
    appbuilder.add_view_no_menu(ClaimPersonsView)


app = create_app()
