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


if os.environ.get("APP_ENV") == "production" and os.environ.get("APP_TODAY"):
    # DESIGN §7: a forced "today" is for demos and acceptance runs only (core.clock.today).
    raise RuntimeError("APP_TODAY must not be set in production (APP_ENV=production)")


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
    # Reverse proxies in front of the app (deployment guide in README): with N > 0 the client address is taken from
    # the N-th last X-Forwarded-For entry (and scheme/host from X-Forwarded-Proto/Host), so login limits and audit
    # IPs see the real client, not the proxy. 0 (the default): no proxy — the headers are ignored (they could be forged).
    PROXY_TRUSTED_HOPS = int(os.environ.get("PROXY_TRUSTED_HOPS", 0))
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per 5 minute")
    # 企业注册 (views/ui/registration.py): the public form, the status look-up and POST /api/v1/registration/ per
    # client IP together, in the same storage; empty: AUTH_RATE_LIMIT.
    REGISTRATION_RATE_LIMIT = os.environ.get("REGISTRATION_RATE_LIMIT", "")
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
    # 单位 import: first accounts one file may open (each costs a slow password hash; actions/account_admin.py)
    IMPORT_MAX_ACCOUNTS = int(os.environ.get("IMPORT_MAX_ACCOUNTS", 20))
    # Excel imports: the upload size (defaults to UPLOAD_MAX_BYTES) and the unpacked size checked before parsing
    # (a decompression bomb is refused by these numbers, not by trying to open it).
    IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", UPLOAD_MAX_BYTES))
    IMPORT_MAX_UNCOMPRESSED = int(os.environ.get("IMPORT_MAX_UNCOMPRESSED", 100 * 1024 * 1024))
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "Demo@2026")
    # R21: the attendance rate a person needs for a subsidy claim (a fraction, 0.8 = 80 %)
    ATTENDANCE_THRESHOLD = float(os.environ.get("ATTENDANCE_THRESHOLD", "0.8"))

    # 培训场地维护 map (Leaflet, vendored under static/vendor/leaflet/; nothing is loaded from a CDN).
    # MAP_TILE_URL: a Leaflet tile URL template ({s} {z} {x} {y}), https only (the Content-Security-Policy allows
    # images from https: and the app itself), e.g. 天地图 "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&
    # REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&
    # TILECOL={x}&tk=<key>" with MAP_TILE_SUBDOMAINS "01234567", or 高德 "https://webrd0{s}.is.autonavi.com/appmaptile?
    # lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}" with "1234". Empty (the default): no map is drawn and the
    # page says so ("未配置地图服务，请直接填写地址和经纬度"); address and coordinates are typed by hand.
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "").strip()
    MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "").strip()
    MAP_TILE_SUBDOMAINS = os.environ.get("MAP_TILE_SUBDOMAINS", "abc").strip() or "abc"
    # The coordinate system of the tiles, hence of the longitude/latitude a click on the map fills in and that are
    # stored: "WGS-84" for 天地图 (WGS-84 / CGCS2000, the same within centimetres) and OpenStreetMap, "GCJ-02" for
    # 高德 AMap (and Tencent maps). Shown on the form; choose the geocoder of the same system.
    MAP_COORDINATE_SYSTEM = os.environ.get("MAP_COORDINATE_SYSTEM", "WGS-84").strip().upper() or "WGS-84"
    # 搜索地址: a geocoder URL with the placeholder {query} (the typed address, URL-encoded), called by the server
    # (GET /venues/geocode, timeout MAP_GEOCODER_TIMEOUT seconds; the browser never calls it directly). Answers of
    # 天地图 geocoder, 高德 v3/geocode/geo, Nominatim and {"results": [{"address", "longitude", "latitude"}]} are
    # understood, e.g. "https://restapi.amap.com/v3/geocode/geo?key=<key>&address={query}". Empty: no address search.
    MAP_GEOCODER_URL = os.environ.get("MAP_GEOCODER_URL", "").strip()
    MAP_GEOCODER_TIMEOUT = float(os.environ.get("MAP_GEOCODER_TIMEOUT", 5))

    # Attachments (issue 15): where the bytes of uploaded files go. "database" (the embedded default): in the
    # attachment row, as before; "directory": files under ATTACHMENT_DIR (a volume every app host mounts); "s3": an
    # S3-compatible object store. Rows keep sha256, size, type and name whatever the storage, and say where their
    # bytes are, so rows of several storages coexist; `flask --app app attachments move --to …` moves existing ones.
    # Every store a row uses must stay configured (e.g. ATTACHMENT_DIR while moving from the directory to S3).
    ATTACHMENT_STORAGE = os.environ.get("ATTACHMENT_STORAGE", "database").strip().lower() or "database"
    ATTACHMENT_DIR = os.environ.get("ATTACHMENT_DIR", "").strip()
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "").strip()  # empty: AWS itself
    S3_BUCKET = os.environ.get("S3_BUCKET", "").strip()
    S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID", "").strip()  # empty: boto3's usual credential chain
    S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY", "").strip()
    S3_REGION = os.environ.get("S3_REGION", "").strip()
    # Background jobs (DESIGN §9, §10; services/jobs.py): exports, roster PDFs, large import confirmations.
    # JOBS_REDIS_URL empty (the embedded default): a worker thread in the app process runs them. Set (e.g.
    # redis://127.0.0.1:6379/1): they go to the RQ queue JOBS_QUEUE and `flask --app app jobs worker` runs them, on
    # any host that reaches the database, Redis and the job files (JOB_FILES_STORE below).
    JOBS_REDIS_URL = os.environ.get("JOBS_REDIS_URL", "").strip()
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "apprenticeship-jobs").strip() or "apprenticeship-jobs"
    JOB_FILES_DIR = os.environ.get("JOB_FILES_DIR", "").strip() or str(INSTANCE_DIR / "job_files")
    # Where finished job files and uploaded job inputs live: "directory" (JOB_FILES_DIR: one host, or a volume all
    # hosts mount) or "s3" (objects jobs/<id> in the S3_* store; JOB_FILES_DIR is then each worker's own scratch).
    JOB_FILES_STORE = os.environ.get("JOB_FILES_STORE", "directory").strip().lower() or "directory"
    # 我的下载 keeps a job and its file this many days, then `flask --app app jobs cleanup` (and the opportunistic
    # cleanup when a job is started) deletes both.
    JOB_RETENTION_DAYS = int(os.environ.get("JOB_RETENTION_DAYS", 7))
    # A RUNNING job whose worker wrote no progress for this many seconds is taken for dead (killed worker, lost
    # host) and marked FAILED; workers write a heartbeat at least every JOB_HEARTBEAT_SECONDS while a job runs.
    JOB_STALE_SECONDS = int(os.environ.get("JOB_STALE_SECONDS", 600))
    JOB_HEARTBEAT_SECONDS = float(os.environ.get("JOB_HEARTBEAT_SECONDS", 0.5))
    # RQ stops a job running longer than this (the province-wide export of 1M trainees takes a few minutes).
    JOB_TIMEOUT_SECONDS = int(os.environ.get("JOB_TIMEOUT_SECONDS", 4 * 3600))
    # Up to these sizes the work is done in the request (a few seconds at most); above them it runs as a job.
    TRAINEE_EXPORT_DIRECT_MAX_ROWS = int(os.environ.get("TRAINEE_EXPORT_DIRECT_MAX_ROWS", 20_000))
    ROSTER_DIRECT_MAX_PERSONS = int(os.environ.get("ROSTER_DIRECT_MAX_PERSONS", 300))
    IMPORT_DIRECT_MAX_ROWS = int(os.environ.get("IMPORT_DIRECT_MAX_ROWS", 1_000))
