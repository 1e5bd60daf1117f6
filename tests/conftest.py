"""Test fixtures: one app per test database (SQLite file, or PostgreSQL when ``TEST_DATABASE_URL`` is set),
schema built by the real migrations, data reset and demo data re-seeded before every test, a client with CSRF
on, login helpers per role, and a live server + Debian Chromium for Playwright tests.

The suite runs in parallel worker processes (pytest-xdist, ``scripts/test.sh``: ``-n auto --dist loadfile``): each
worker has its own database — a SQLite file of its own temp directory, or on PostgreSQL the database
``<TEST_DATABASE_URL's database>_<worker>`` (e.g. ``test_gw0``), created on first use. The worker's URL replaces
``TEST_DATABASE_URL`` in the environment before any test module is imported, so modules that read it (backup, kill -9)
work on their worker's database."""
from __future__ import annotations

import os
import re
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))



def _use_worker_database() -> None:
    """Under pytest-xdist on PostgreSQL: point ``TEST_DATABASE_URL`` at this worker's own database (created if
    missing, from the configured one), so parallel workers never share tables."""
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker:
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    if base.get_backend_name() != "postgresql":
        return
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).scalar():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    os.environ["TEST_DATABASE_URL"] = base.set(database=name).render_as_string(hide_password=False)


_use_worker_database()

ARTIFACTS = ROOT / "test-artifacts"
DEMO_PASSWORD = "Demo@2026"

#: The longest test modules (minutes of the suite, measured with ``--durations``), run first: with pytest-xdist's
#: ``--dist loadfile`` a module is handed to the next free worker in collection order, and the schemathesis fuzz
#: (about 4 minutes) collected late kept one worker busy for minutes after the other had finished.
LONG_MODULES = ("test_api_fuzz.py", "test_accessibility.py", "test_browser_filing.py", "test_browser_review.py",
                "test_authz_matrix.py", "test_browser_claim_journey.py")


def pytest_collection_modifyitems(session, config, items):
    """Longest modules first (``LONG_MODULES`` order), the rest as collected; the order is the same on every
    worker, as xdist requires."""
    rank = {name: index for index, name in enumerate(LONG_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def _drop_everything(engine) -> None:
    """A clean database for the run: PostgreSQL schema recreated, SQLite file is new anyway."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))


TEST_OVERRIDES = {
    "TESTING": True,
    "RATELIMIT_ENABLED": False,
    "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "DEMO_PASSWORD": DEMO_PASSWORD,
    "WTF_CSRF_ENABLED": True,
    "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
}


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    from flask_migrate import upgrade
    from sqlalchemy import create_engine

    from app import create_app

    url = _database_url(tmp_path_factory)
    engine = create_engine(url)
    _drop_everything(engine)
    engine.dispose()
    application = create_app({**TEST_OVERRIDES, "SQLALCHEMY_DATABASE_URI": url})
    with application.app_context():
        upgrade()
    yield application


_SNAPSHOT: dict[str, list[dict]] = {}
_SEQUENCE_RESET: list[str] = []


def reset_database(app) -> None:
    """Empty every table and restore the demo seed (roles, reference data, accounts, demo filings).

    The seed runs through ``run_demo_seed`` once per run; its rows are kept in memory and re-inserted with
    plain INSERTs afterwards (DELETE + INSERT is far cheaper than TRUNCATE + the ORM seed on PostgreSQL).
    """
    from flask_appbuilder import Model
    from sqlalchemy import select

    from models.audit import AUDIT_TRIGGERS_DROP_SQL, AUDIT_TRIGGERS_SQL
    from models.base import db
    from seed.commands import run_demo_seed

    tables = Model.metadata.sorted_tables
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            deletes = [f'DELETE FROM "{t.name}"' for t in reversed(tables)]
            if conn.dialect.name == "postgresql":
                # The append-only audit trigger is off for this transaction only (tests empty every table).
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica; " + "; ".join(deletes))
            else:
                for statement in AUDIT_TRIGGERS_DROP_SQL["sqlite"] + deletes + AUDIT_TRIGGERS_SQL["sqlite"]:
                    conn.exec_driver_sql(statement)
            if _SNAPSHOT:
                for table in tables:
                    if _SNAPSHOT[table.name]:
                        conn.execute(table.insert(), _SNAPSHOT[table.name])
                if _SEQUENCE_RESET:
                    conn.exec_driver_sql("SELECT " + ", ".join(_SEQUENCE_RESET))
        if not _SNAPSHOT:
            run_demo_seed()
            with db.engine.connect() as conn:
                for table in tables:
                    _SNAPSHOT[table.name] = [dict(row) for row in conn.execute(select(table)).mappings()]
                if conn.dialect.name == "postgresql":
                    _SEQUENCE_RESET.extend(_sequence_resets(conn, tables))
        db.session.remove()


def _sequence_resets(conn, tables) -> list[str]:
    """``setval`` calls that move each id sequence past the restored seed rows (PostgreSQL)."""
    from sqlalchemy import Integer, Sequence

    calls = []
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer) or column.autoincrement is False:
                continue
            sequence = column.default.name if isinstance(column.default, Sequence) else conn.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}).scalar()
            if sequence:
                top = max((row[column.name] for row in _SNAPSHOT[table.name]), default=None)
                calls.append(f"setval('{sequence}', {top or 1}, {'true' if top else 'false'})")
    return calls


@pytest.fixture(autouse=True)
def fresh_data(request, app):
    """Every test starts from the demo seed (the database is shared within the run)."""
    reset_database(app)
    yield


@pytest.fixture
def db_session(app):
    from models.base import db

    with app.app_context():
        yield db.session
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_RE.search(html) or re.search(r'id="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@contextmanager
def statements_run(app) -> Iterator[list[str]]:
    """The SQL statements run on the app's engine inside the ``with`` block, in order (N+1 and join checks)."""
    from sqlalchemy import event

    from models.base import db

    seen: list[str] = []

    def remember(conn, cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def login(client, username: str, password: str = DEMO_PASSWORD):
    page = client.get("/login/")
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post("/login/", data={"username": username, "password": password, "csrf_token": token})
    return response


@pytest.fixture
def login_as(client):
    def _login(username: str):
        response = login(client, username)
        assert response.status_code == 302, f"login of {username} failed"
        return client

    return _login


def api_token(client, username: str, password: str = DEMO_PASSWORD) -> str:
    response = client.post("/api/v1/security/login",
                           json={"username": username, "password": password, "provider": "db"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


@pytest.fixture
def api(client):
    """``api(username)`` → a small wrapper that sends Bearer requests as that user."""

    class Api:
        def __init__(self, username):
            self.headers = {"Authorization": f"Bearer {api_token(client, username)}"}

        def get(self, url, **kw):
            return client.get(url, headers=self.headers, **kw)

        def post(self, url, **kw):
            return client.post(url, headers=self.headers, **kw)

        def put(self, url, **kw):
            return client.put(url, headers=self.headers, **kw)

        def delete(self, url, **kw):
            return client.delete(url, headers=self.headers, **kw)

    return Api


# ---- browser tests ----------------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def live_server(app):
    """The test app served by werkzeug in a thread on a free loopback port."""
    from werkzeug.serving import make_server

    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # The same patience for assertions as for actions (page.set_default_timeout below): with parallel workers a
    # page may take longer than Playwright's default 5 s on a busy 2-core machine; a real failure still fails.
    expect.set_options(timeout=15_000)

    assert Path(CHROMIUM).exists(), "Debian chromium is missing: run scripts/setup.sh as root"
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A browser test that fails says where its page was: the URL, the page's alerts and title in the report, and a
    screenshot test-artifacts/FAILED-<test>.png (a flake on CI is otherwise a timeout and nothing else)."""
    outcome = yield
    report = outcome.get_result()
    pg = item.funcargs.get("page") if report.when == "call" and report.failed else None
    if pg is None:
        return
    try:
        name = re.sub(r"[^\w.-]+", "_", item.nodeid.split("::", 1)[-1])[:120]
        shot = screenshot(pg, f"FAILED-{name}")
        alerts = " | ".join(t.strip() for t in pg.locator(".alert").all_inner_texts())[:1000]
        report.sections.append(("browser page at the failure",
                                f"url: {pg.url}\ntitle: {pg.title()}\nalerts: {alerts or '(none)'}\nscreenshot: {shot}"))
    except Exception as exc:  # the page may be gone: the failure itself must still be reported
        report.sections.append(("browser page at the failure", f"not available: {exc!r}"))


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}, base_url=live_server)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


def screenshot(pg, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


def scripts_ready(pg) -> None:
    """Wait until the page's scripts have run (static/app.js marks ``<html class="js-ready">``). Clicks wait by
    themselves (static/app.css); typing and file choosing do not, and a page reached by a click may still be
    wiring its date pickers and upload fields."""
    pg.wait_for_selector("html.js-ready", state="attached")


def choose_file(pg, selector: str, path) -> None:
    """Pick a file in an upload input once the page's scripts are bound (the change event that shows the chosen
    name would otherwise be missed)."""
    scripts_ready(pg)
    pg.set_input_files(selector, str(path))


def browser_login(pg, username: str, password: str = DEMO_PASSWORD) -> None:
    pg.goto("/login/")
    pg.fill("#username", username)
    pg.fill("#password", password)
    pg.locator("input[type=submit], button[type=submit]").first.click()
    pg.wait_for_url(re.compile(r".*/$"))


def type_date(pg, selector: str, value: str) -> None:
    """Type a date the way a user does (the Bootstrap datepicker ignores values set without key events)."""
    scripts_ready(pg)  # a date picker set up after the typing would drop what was typed
    field = pg.locator(selector)
    field.fill("")
    field.press_sequentially(value)
    field.press("Escape")
