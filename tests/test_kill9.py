"""kill -9 proofs: the real app under gunicorn (one worker, configured by environment like production), its worker
killed with SIGKILL in the middle of a request, and what is left afterwards must be consistent:

- a large trainee import confirmation: the filing has none of the file's rows or all of them (and the import's
  audit event exactly when it has them);
- an export of 导出学员名单: nothing with the export's content is left in the server's temp directory (its TMPDIR,
  a directory of this test), and what the kill left in the export work directory (``instance/tmp/exports``) is
  removed by the start-up cleanup — which keeps files younger than ``STALE_EXPORT_SECONDS`` (another worker may be
  writing them), so the test ages them and starts the app again;
- an approval: the filing is SUBMITTED without a filing number or APPROVED with one and its audit event.

Runs on SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is PostgreSQL (the suite's test database, reset
by tests/conftest.py). The kill is timed to land inside the work (after a calibration run of the same size, and on
PostgreSQL when the worker's transaction is seen writing); the assertions are about consistency, wherever it landed.
"""
from __future__ import annotations

import http.client
import io
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Optional

import openpyxl
import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from tests.conftest import DEMO_PASSWORD, TEST_OVERRIDES

ROOT = Path(__file__).resolve().parent.parent
TEST_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
SUITE_BACKEND = make_url(TEST_URL).get_backend_name() if TEST_URL else "sqlite"
BACKENDS = ["sqlite", *(["postgresql"] if SUITE_BACKEND == "postgresql" else [])]
SECRET = "kill9-secret-key-0123456789abcdef0123456789abcdef"
TRAINEE_HEADERS = ["姓名", "身份证号码", "联系电话", "文化程度", "劳动合同开始日期", "劳动合同结束日期", "入职日期"]
IMPORT_ROWS = 8000
EXPORT_ROWS = 10000
APPROVAL_TRAINEES = 1000
EXPORT_MARKER = "导出哨兵"

pytestmark = pytest.mark.timeout(240)


# ---- the database and the server --------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=BACKENDS)
def backend(request, tmp_path_factory):
    """The database of the parameter: the suite's own when it is of that kind (reset before every test by
    conftest's ``fresh_data``), else a SQLite file of this module, migrated and seeded once."""
    if request.param == SUITE_BACKEND:
        app = request.getfixturevalue("app")
        return SimpleNamespace(name=request.param, app=app, url=app.config["SQLALCHEMY_DATABASE_URI"])
    from flask_migrate import upgrade

    from app import create_app
    from models.base import db
    from seed.commands import run_demo_seed

    url = f"sqlite:///{tmp_path_factory.mktemp('kill9') / 'app.db'}"
    app = create_app({**TEST_OVERRIDES, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        run_demo_seed()
        db.session.remove()
    return SimpleNamespace(name=request.param, app=app, url=url)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (from /proc)."""
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(p) for p in listed]
    except FileNotFoundError:
        pass
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


class Server:
    """``gunicorn --no-control-socket -w 1 app:app`` in its own process group, configured by environment."""

    def __init__(self, url: str, workdir: Path):
        self.instance = workdir / "instance"
        self.tmpdir = workdir / "tmp"  # the server's system temp directory (TMPDIR → tempfile.gettempdir())
        self.instance.mkdir()
        self.tmpdir.mkdir()
        self.log = workdir / "gunicorn.log"
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "APP_ENV": "production",
               "DEMO_PASSWORD": DEMO_PASSWORD, "INSTANCE_PATH": str(self.instance), "TMPDIR": str(self.tmpdir),
               "RATELIMIT_ENABLED": "0",
               # the direct export is what a kill interrupts here (the module's earlier tests add ent_gz trainees;
               # above the limit the GET answers 422 and points to the export job)
               "TRAINEE_EXPORT_DIRECT_MAX_ROWS": "1000000"}
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--no-control-socket", "--workers", "1", "--threads", "1",
                 "--bind", f"127.0.0.1:{self.port}", "--timeout", "120", "--graceful-timeout", "2", "app:app"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.tokens: dict[str, str] = {}
        try:
            self.worker = self.wait_for_worker()
        except BaseException:
            self.stop()
            raise

    def wait_for_worker(self, replaced: Optional[int] = None, timeout: float = 60) -> int:
        """Wait until one worker (another than ``replaced``) is up and answering; return its pid."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn exited:\n{self.log.read_text()[-3000:]}"
            workers = [p for p in children(self.process.pid) if p != replaced]
            if len(workers) == 1:
                try:
                    status, _h, _b = self.request("GET", "/login/", timeout=5)
                    if status == 200:
                        return workers[0]
                except OSError:
                    pass
            time.sleep(0.05)
        raise AssertionError(f"no gunicorn worker answered in {timeout} s:\n{self.log.read_text()[-3000:]}")

    def kill_worker(self) -> None:
        """kill -9 the worker, then wait for the master to start a new one (the next app start)."""
        killed = self.worker
        os.kill(killed, signal.SIGKILL)
        self.worker = self.wait_for_worker(replaced=killed)
        self.tokens.clear()

    def request(self, method: str, path: str, body: Optional[bytes] = None, headers: Optional[dict] = None,
                timeout: float = 120, sent: Optional[threading.Event] = None) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            if sent is not None:
                sent.set()  # the whole request is on its way to the worker
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def token(self, username: str) -> str:
        if username not in self.tokens:
            status, _h, body = self.request(
                "POST", "/api/v1/security/login", headers={"Content-Type": "application/json"},
                body=json.dumps({"username": username, "password": DEMO_PASSWORD, "provider": "db"}).encode())
            assert status == 200, body[:500]
            self.tokens[username] = json.loads(body)["access_token"]
        return self.tokens[username]

    def api(self, username: str, method: str, path: str, body: Optional[bytes] = None,
            content_type: Optional[str] = None, sent: Optional[threading.Event] = None) -> tuple[int, dict, bytes]:
        headers = {"Authorization": f"Bearer {self.token(username)}"}
        if content_type:
            headers["Content-Type"] = content_type
        return self.request(method, path, body=body, headers=headers, sent=sent)

    def stop(self) -> None:
        """Stop the process group this test started (master and worker), forcefully if it lingers."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def server(backend, tmp_path_factory):
    running = Server(backend.url, tmp_path_factory.mktemp(f"gunicorn-{backend.name}"))
    yield running
    running.stop()


class InFlight:
    """A request sent from a thread, so that the worker can be killed while it runs: ``call(sent)`` sends it and
    sets ``sent`` once the request is written; ``elapsed`` counts from then."""

    def __init__(self, call: Callable[[threading.Event], tuple[int, dict, bytes]]):
        self.result: Optional[tuple[int, dict, bytes]] = None
        self.error: Optional[BaseException] = None
        self.sent = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self.thread.start()
        assert self.sent.wait(30), "the request could not be sent"
        self.started = time.monotonic()

    def _run(self, call):
        try:
            self.result = call(self.sent)
        except BaseException as exc:  # noqa: BLE001 - the connection dies with the worker
            self.error = exc
            self.sent.set()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def join(self) -> Optional[int]:
        """The HTTP status the client got, or None when the connection died with the worker."""
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()
        if self.result is not None:
            return self.result[0]
        assert isinstance(self.error, (ConnectionError, http.client.HTTPException, OSError)), self.error
        return None


def kill_when(server: Server, flight: InFlight, ready: Callable[[], bool], latest: float) -> Optional[float]:
    """kill -9 the worker as soon as ``ready()`` holds (or at ``latest`` seconds after sending); returns when
    (seconds after sending), or None when the request had already finished (nothing left to interrupt)."""
    while flight.thread.is_alive():
        at = flight.elapsed
        if at >= latest or ready():
            server.kill_worker()
            return round(at, 3)
        time.sleep(0.005)
    return None


# ---- data ------------------------------------------------------------------------------------------------------

_next_day = [0]


def id_numbers(count: int) -> list[str]:
    """Distinct valid ID numbers, 500 per birth day, never the same twice in a run."""
    from core.validators import complete_id_number

    first = _next_day[0]
    _next_day[0] += count // 500 + 1
    return [complete_id_number(f"440106{date(1980, 1, 1) + timedelta(days=first + i // 500):%Y%m%d}"
                               f"{(i % 500) * 2 + 1:03d}") for i in range(count)]


def in_app(backend, work: Callable[[], Any]) -> Any:
    from models.base import db

    with backend.app.app_context():
        try:
            return work()
        finally:
            db.session.remove()


def new_filing(backend, status: str = "DRAFT", trainees: int = 0, name: str = "学员") -> int:
    """A filing of ent_gz (广州): an empty DRAFT, or a complete one in ``status`` with ``trainees`` trainees."""
    from models.base import db, utcnow
    from models.filing import Trainee
    from tests import factories

    def work():
        ent = factories.demo_enterprise("ent_gz")
        if not trainees:
            filing = factories.filing(ent.id, status=status)
        else:
            numbers = id_numbers(trainees)
            filing = factories.complete_filing(ent.id, status=status, id_numbers=numbers[:1])
            if status != "DRAFT":
                filing.submitted_at = utcnow()
            now = utcnow()
            db.session.execute(insert(Trainee), [
                {"filing_id": filing.id, "name": f"{name}{i}", "id_number": n, "gender": "M",
                 "birth_date": date(int(n[6:10]), int(n[10:12]), int(n[12:14])), "phone": "13700137000",
                 "education": "SECONDARY_VOCATIONAL", "contract_start": date(2026, 1, 1),
                 "contract_end": date(2029, 12, 31), "hire_date": date(2026, 1, 1), "status": "ACTIVE",
                 "created_at": now} for i, n in enumerate(numbers[1:], start=1)])
        db.session.commit()
        return filing.id

    return in_app(backend, work)


def trainee_workbook(numbers: list[str]) -> bytes:
    """A 培训人员信息 import file of these people, written by openpyxl."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("培训人员信息")
    sheet.append(TRAINEE_HEADERS)
    for i, number in enumerate(numbers):
        sheet.append([f"导入{i}", number, "13800138000", "高中", date(2026, 1, 1), date(2028, 12, 31),
                      date(2026, 1, 1)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def multipart(content: bytes, file_name: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n").encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# ---- what the database shows ---------------------------------------------------------------------------------------

def import_state(backend, filing_id: int) -> tuple[int, int]:
    """(trainees of the filing, import audit events of the filing)."""
    from models.audit import AuditEvent
    from models.base import db
    from models.filing import Trainee

    def work():
        rows = db.session.scalar(select(func.count()).select_from(Trainee).where(Trainee.filing_id == filing_id))
        events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "import", AuditEvent.filing_id == filing_id))
        return rows, events

    return in_app(backend, work)


@dataclass
class Approval:
    status: str
    filing_no: Optional[str]
    events: list[tuple]
    counter: int


def approval_state(backend, filing_id: int) -> Approval:
    from models.audit import AuditEvent
    from models.base import db
    from models.filing import Filing, FilingNumberCounter

    def work():
        filing = db.session.get(Filing, filing_id)
        events = db.session.execute(select(AuditEvent.from_status, AuditEvent.to_status, AuditEvent.actor_name)
                                    .where(AuditEvent.entity == "filing", AuditEvent.entity_id == filing_id,
                                           AuditEvent.action == "approve")).all()
        counter = db.session.scalar(select(func.coalesce(func.max(FilingNumberCounter.last), 0))
                                    .where(FilingNumberCounter.city_code == filing.city_code))
        return Approval(filing.status, filing.filing_no, [tuple(e) for e in events], counter)

    return in_app(backend, work)


def assert_consistent_approval(state: Approval) -> None:
    if state.status == "SUBMITTED":
        assert state.filing_no is None, f"a filing number was taken without approval: {state}"
        assert state.events == [], f"an approval event without the approval: {state}"
    else:
        assert state.status == "APPROVED", state
        assert state.filing_no and state.filing_no.startswith("XT4401-"), f"approved without a number: {state}"
        assert state.events == [("SUBMITTED", "APPROVED", "gz_reviewer")], f"approved without its event: {state}"
        assert int(state.filing_no[-6:]) <= state.counter


def pg_writing(backend, *statement_prefixes: str) -> Callable[[], bool]:
    """PostgreSQL: True while another session of this database is in a transaction that has written (it has a
    transaction id) and, when prefixes are given, whose current or last statement starts with one of them."""
    from sqlalchemy import create_engine

    engine = create_engine(backend.url, isolation_level="AUTOCOMMIT", pool_size=1)
    conn = engine.connect()
    like = " OR ".join(f"query ILIKE :p{i}" for i in range(len(statement_prefixes))) or "TRUE"
    probe = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                 f"AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL AND ({like})")
    params = {f"p{i}": prefix + "%" for i, prefix in enumerate(statement_prefixes)}

    def ready() -> bool:
        return bool(conn.execute(probe, params).scalar())

    ready.close = lambda: (conn.close(), engine.dispose())  # type: ignore[attr-defined]
    return ready


def write_transaction_open(backend, *statement_prefixes: str) -> Callable[[], bool]:
    """True while the worker is inside a write transaction (PostgreSQL: one that has run a statement with one of
    the prefixes, if given; SQLite: the database's write lock is held)."""
    if backend.name == "postgresql":
        return pg_writing(backend, *statement_prefixes)
    return sqlite_write_locked(backend)


def sqlite_write_locked(backend) -> Callable[[], bool]:
    """SQLite: True while another connection holds the database's write lock (a write transaction is open)."""
    path = make_url(backend.url).database

    def ready() -> bool:
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()

    ready.close = lambda: None  # type: ignore[attr-defined]
    return ready


# ---- the proofs -------------------------------------------------------------------------------------------------------

#: Statements of an import after its trainees are inserted and before it commits (PostgreSQL probe).
STORING = ("INSERT INTO trainee", "INSERT INTO audit_event", "UPDATE filing")


def test_kill9_during_a_large_import_stores_all_rows_or_none(backend, server):
    calibration = new_filing(backend)
    numbers = id_numbers(IMPORT_ROWS)
    body, content_type = multipart(trainee_workbook(numbers), "roster.xlsx")

    def post(filing_id: int, query: str = "", sent: Optional[threading.Event] = None):
        return server.api("ent_gz", "POST", f"/api/v1/filing/{filing_id}/import/trainee{query}", body,
                          content_type, sent=sent)

    server.token("ent_gz")
    status, _h, answer = post(calibration, "?dry_run=1")  # read + every check, nothing stored
    assert status == 200 and json.loads(answer)["count"] == IMPORT_ROWS, answer[:500]
    assert import_state(backend, calibration) == (0, 0)
    writing = write_transaction_open(backend, *STORING)
    try:
        # The real import, watched: when is its write transaction open (PostgreSQL: storing the rows)?
        flight = InFlight(lambda sent: post(calibration, sent=sent))
        seen = []
        while flight.thread.is_alive():
            if writing():
                seen.append(flight.elapsed)
            time.sleep(0.005)
        complete = flight.elapsed
        assert flight.join() == 201, flight.result
        assert import_state(backend, calibration) == (IMPORT_ROWS, 1)
        window = (seen[0], seen[-1]) if seen else (0.0, complete)

        # The same file into other filings, killed inside the write transaction: on PostgreSQL as soon as it is
        # seen storing the rows, on SQLite late in the time the write lock was held (the rows are stored last).
        # A request that finishes first (a faster run) is tried again with an earlier kill.
        outcomes = []
        for late in (0.7, 0.4, 0.1):
            target = new_filing(backend)
            at = window[0] + late * (window[1] - window[0])
            flight = InFlight(lambda sent, pk=target: post(pk, sent=sent))
            ready = writing if backend.name == "postgresql" else lambda: flight.elapsed >= at and writing()
            killed = kill_when(server, flight, ready, latest=window[1] * 2)
            answered = flight.join()
            rows, events = import_state(backend, target)
            outcomes.append((target, killed, answered, rows, events))
            assert (rows, events) in ((0, 0), (IMPORT_ROWS, 1)), f"a part of the import was stored: {rows} rows"
            if answered == 201:
                assert rows == IMPORT_ROWS
            if killed is not None:
                break
    finally:
        writing.close()
    print(f"\n[{backend.name}] import of {IMPORT_ROWS} rows (complete {complete:.2f} s, write transaction seen "
          f"{window[0]:.2f}-{window[1]:.2f} s): (filing, killed at s, client got, rows, import events) {outcomes}")
    assert killed is not None, "every import finished before the kill: make the file larger"
    if rows == 0:  # the system goes on: nothing of the killed import is in the way (no lock, no row)
        status, _h, answer = post(target)
        assert status == 201, answer[:500]
        assert import_state(backend, target) == (IMPORT_ROWS, 1)


def export_dir(server: Server) -> Path:
    """Where the export keeps its work files (services/trainee_export.py ``export_dir``): ``instance/tmp/exports``
    of the server's instance folder (INSTANCE_PATH; EXPORT_TMP_DIR is not set here)."""
    return server.instance / "tmp" / "exports"


def files_in(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


def leftovers(server: Server, since: float) -> list[str]:
    """Files in the server's temp directory, newer than ``since``, that are an .xlsx or hold the export's text."""
    found = []
    marker = EXPORT_MARKER.encode()
    for path in server.tmpdir.rglob("*"):
        if not path.is_file() or path.stat().st_mtime < since:
            continue
        if path.suffix == ".xlsx" or marker in path.read_bytes():
            found.append(f"{path.relative_to(server.tmpdir)} ({path.stat().st_size} bytes)")
    return found


def test_kill9_during_an_export_leaves_nothing_behind(backend, server):
    """The server's TMPDIR is a directory of this test (its tempfile.gettempdir()), so no other process's files
    are counted; the export's text is recognised by a marker in every exported name."""
    from services import trainee_export

    start = time.time() - 1  # file times may be coarser than the clock
    new_filing(backend, trainees=EXPORT_ROWS, name=EXPORT_MARKER)
    path = "/api/v1/trainee/export.xlsx"

    server.token("ent_gz")
    began = time.monotonic()
    status, headers, content = server.api("ent_gz", "GET", path)
    full = time.monotonic() - began
    assert status == 200 and content[:2] == b"PK"
    assert int(headers["X-Row-Count"]) >= EXPORT_ROWS
    assert leftovers(server, start) == [], "a complete export left files in the temp directory"
    assert files_in(export_dir(server)) == [], "a complete export left its work files"

    flight = InFlight(lambda sent: server.api("ent_gz", "GET", path, sent=sent))
    killed = kill_when(server, flight, lambda: False, latest=full * 0.5)
    answered = flight.join()
    assert killed is not None and answered is None, "the export finished before the kill: make it larger"

    # kill_worker waited for the new worker to answer: the app has started again.
    assert leftovers(server, start) == [], "the killed export left its content in the system temp directory"
    left = files_in(export_dir(server))
    marked = [p.name for p in left if EXPORT_MARKER.encode() in p.read_bytes()]
    print(f"\n[{backend.name}] export of {EXPORT_ROWS} rows ({full:.2f} s): killed at {killed} s, client got "
          f"{answered}; left in {export_dir(server).name}/: {[(p.name, p.stat().st_size) for p in left]}, "
          f"with the export's text: {marked}")
    # The start-up cleanup keeps files younger than STALE_EXPORT_SECONDS (another worker may be writing them);
    # once older, the next app start removes every one of them.
    stale_after = getattr(trainee_export, "STALE_EXPORT_SECONDS", 0)
    young = time.time() - stale_after
    assert all(p.stat().st_mtime >= young for p in left), "stale export files survived an app start"
    past = time.time() - stale_after - 60
    for leftover in left:
        os.utime(leftover, (past, past))
    server.kill_worker()  # the next app start (the master starts a new worker, which runs create_app)
    assert files_in(export_dir(server)) == [], "the app start did not remove the killed export's files"
    assert leftovers(server, start) == []


def test_kill9_during_an_approval_is_all_or_nothing(backend, server):
    calibration = new_filing(backend, "SUBMITTED", trainees=APPROVAL_TRAINEES)
    body = json.dumps({"opinion": "材料齐全，同意备案"}).encode()

    def approve(filing_id: int, sent: Optional[threading.Event] = None):
        return server.api("gz_reviewer", "POST", f"/api/v1/filing/{filing_id}/approve", body, "application/json",
                          sent=sent)

    def killed_approval(ready: Callable[[], bool], latest: float) -> tuple[int, Optional[float], Optional[int]]:
        """A new SUBMITTED filing approved, the worker killed when ``ready()``; (filing, killed at, status)."""
        target = new_filing(backend, "SUBMITTED", trainees=APPROVAL_TRAINEES)
        before = approval_state(backend, target)
        server.token("gz_reviewer")
        flight = InFlight(lambda sent: approve(target, sent=sent))
        killed = kill_when(server, flight, lambda: ready(flight.elapsed), latest=latest)
        answered = flight.join()
        after = approval_state(backend, target)
        outcomes.append((killed, answered, after.status, after.filing_no, f"counter {before.counter}→{after.counter}"))
        assert_consistent_approval(after)
        if answered == 200:
            assert after.status == "APPROVED"
        if after.status == "SUBMITTED":
            assert after.counter == before.counter, "the filing-number counter moved without an approval"
        approved.append(target)
        return target, killed, answered

    outcomes: list[tuple] = []
    approved = [calibration]
    writing = write_transaction_open(backend)
    try:
        # A complete approval, watched: when is its write transaction open?
        server.token("gz_reviewer")
        flight = InFlight(lambda sent: approve(calibration, sent=sent))
        seen = []
        while flight.thread.is_alive():
            if writing():
                seen.append(flight.elapsed)
            time.sleep(0.002)
        full = flight.elapsed
        assert flight.join() == 200, flight.result
        done = approval_state(backend, calibration)
        assert done.status == "APPROVED" and done.filing_no
        assert_consistent_approval(done)
        window = (seen[0], seen[-1]) if seen else (0.0, full)

        # Killed right after sending, as soon as the worker is inside its write transaction; then half-way through
        # the transaction (a faster run that finishes first is tried again with an earlier kill).
        killed_approval(lambda elapsed: writing(), latest=full * 2)
        for part in (0.5, 0.25, 0.0):
            at = window[0] + part * (window[1] - window[0])
            _target, killed, _answered = killed_approval(lambda elapsed: elapsed >= at and writing(),
                                                         latest=window[1] * 2)
            if killed is not None:
                break
    finally:
        writing.close()
    print(f"\n[{backend.name}] approval of {APPROVAL_TRAINEES} trainees (complete {full:.2f} s, write transaction "
          f"seen {window[0]:.3f}-{window[1]:.3f} s): (killed at s, client got, status, number, counter) {outcomes}")
    assert killed is not None, "every approval finished before the kill: give the filings more trainees"
    # The system goes on: a killed approval can be done again and takes the next number.
    for target in approved:
        if approval_state(backend, target).status == "SUBMITTED":
            status, _h, answer = approve(target)
            assert status == 200, answer[:500]
        assert_consistent_approval(approval_state(backend, target))
    numbers = sorted(approval_state(backend, f).filing_no for f in approved)
    assert len(set(numbers)) == len(approved)
