"""Configuration, read from environment variables with safe defaults.

The embedded default is a SQLite file under ``instance/``; production sets ``DATABASE_URL`` to PostgreSQL.
``SECRET_KEY`` is generated once per instance and kept in ``instance/secret_key`` when not given.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask_appbuilder.security.manager import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _secret_key() -> str:
    """SECRET_KEY from the environment, else a random key created once and stored in the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings for every environment; tests override a few keys through create_app(overrides)."""

    APP_ENV = os.environ.get("APP_ENV", "development")
    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'app.db'}"
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    APP_NAME = "学徒制培训备案与补贴申领系统"
    APP_ICON = ""
    APP_THEME = ""
    FAB_BASE_TEMPLATE = "base_layout.html"
    FAB_INDEX_VIEW = "views.ui.home.HomeView"
    FAB_SECURITY_MANAGER_CLASS = "views.security.AppSecurityManager"
    # The schema comes from migrations (flask db upgrade), permissions from the builtin roles in FAB_ROLES.
    FAB_CREATE_DB = False
    FAB_UPDATE_PERMS = False
    FAB_ADD_SECURITY_API = False
    # Roles are the builtin matrix of models/roles.py, so FAB's permission editors are not shown.
    FAB_ADD_SECURITY_PERMISSION_VIEW = False
    FAB_ADD_SECURITY_VIEW_MENU_VIEW = False
    FAB_ADD_SECURITY_PERMISSION_VIEWS_VIEW = False
    FAB_API_SWAGGER_UI = True
    FAB_API_MAX_PAGE_SIZE = 100

    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = "省级管理员"
    AUTH_ROLE_PUBLIC = "匿名访客"
    AUTH_USER_REGISTRATION = False
    # One login limit per client IP for the form (/login/) and the JWT API (/api/v1/security/login) together
    # (views/security.py). Its counters live in RATELIMIT_STORAGE_URI: set redis://host:6379/0 when gunicorn runs
    # several workers, so they share one count; the embedded default counts in memory (per process).
    AUTH_RATE_LIMITED = True
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per 5 minute")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    RATELIMIT_KEY_PREFIX = "apprenticeship"
    # Redis unreachable: count in memory (per worker) meanwhile instead of failing every login.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Account lockout (actions/accounts.py): this many consecutive failed passwords lock the account for
    # AUTH_LOCKOUT_MINUTES (unless the provincial admin unlocks it earlier).
    AUTH_LOCKOUT_FAILURES = int(os.environ.get("AUTH_LOCKOUT_FAILURES", 5))
    AUTH_LOCKOUT_MINUTES = int(os.environ.get("AUTH_LOCKOUT_MINUTES", 15))

    # FAB_ROLES (the builtin role matrix, DESIGN §2) is set by app.create_app: the resource permissions of
    # models/roles.py plus each role's exact menu names from the menu table (views/menu.py).

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_FOLDER = "translations"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = {
        "zh": {"flag": "cn", "name": "简体中文"},
        "en": {"flag": "gb", "name": "English"},
    }
    DISPLAY_TIMEZONE = "Asia/Shanghai"

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(hours=2)

    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 25 * 1024 * 1024))
    UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
    IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 10_000))
    # Excel imports: the upload size (defaults to UPLOAD_MAX_BYTES) and the unpacked size checked before parsing
    # (a decompression bomb is refused by these numbers, not by trying to open it).
    IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", UPLOAD_MAX_BYTES))
    IMPORT_MAX_UNCOMPRESSED = int(os.environ.get("IMPORT_MAX_UNCOMPRESSED", 100 * 1024 * 1024))
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "Demo@2026")
