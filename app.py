"""Application factory: Flask + Flask-AppBuilder + Flask-Migrate + Babel + CSRF, menus and APIs (DESIGN §1, §6).

``flask --app app run`` serves ``app``; tests call ``create_app(overrides)`` for an app per database.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from flask import Flask, request
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l
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

    db.init_app(app)
    migrate.init_app(app, db, directory=str(config.BASE_DIR / "migrations"))
    csrf.init_app(app)
    appbuilder = AppBuilder()
    with app.app_context():
        appbuilder.init_app(app, db.session)
        _register_views(appbuilder)
        appbuilder.post_init()
        _exempt_api_from_csrf(app)

    from seed.commands import register_commands
    from views.errors import register_error_pages
    from views.filters import register_template_filters

    register_commands(app)
    register_template_filters(app)
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


def _register_views(appbuilder: AppBuilder) -> None:
    """Menus of DESIGN §6 (an item appears once its screen works) and the REST APIs of DESIGN §10."""
    from views.security import AppUserDBModelView  # noqa: F401  (registered by the security manager)
    from views import registry as r

    base = "BaseData"
    appbuilder.add_view(r.CityView, "BaseDataCity", label=_l("地市"), icon="fa-map-marker",
                        category=base, category_label=_l("基础数据"), category_icon="fa-database")
    appbuilder.add_view(r.OccupationView, "BaseDataOccupation", label=_l("职业工种"), icon="fa-briefcase",
                        category=base)
    appbuilder.add_view(r.SkillLevelView, "BaseDataSkillLevel", label=_l("技能等级"), icon="fa-signal",
                        category=base)
    appbuilder.add_view(r.TrainingInstitutionView, "BaseDataInstitution", label=_l("培训机构"),
                        icon="fa-university", category=base)
    appbuilder.add_view(r.SubsidyStandardView, "BaseDataSubsidyStandard", label=_l("补贴标准"), icon="fa-yen",
                        category=base)
    appbuilder.add_view(r.WorkdayOverrideView, "BaseDataWorkday", label=_l("工作日历"), icon="fa-calendar",
                        category=base)
    appbuilder.add_view(r.EnterpriseView, "BaseDataEnterprise", label=_l("单位信息"), icon="fa-building",
                        category=base)
    appbuilder.add_view(r.RecognitionView, "RecognitionMaintenance", label=_l("生态链企业认定维护"),
                        icon="fa-link", category="RecognitionMaintenance", category_label=_l("生态链企业认定"),
                        category_icon="fa-link")
    security = appbuilder.menu.find("Security")
    if security is not None:
        security.label = _l("账号管理")
        for child in security.childs:
            if child.name == "List Users":
                child.label = _l("账号列表")
            elif child.name == "List Roles":
                child.label = _l("角色列表")
    from views import api, filing_ui, imports_ui, review

    for module in (filing_ui, api, imports_ui, review):
        module.register(appbuilder)


app = create_app()
