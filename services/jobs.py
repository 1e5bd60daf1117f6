"""Background jobs (DESIGN §9 "no request works more than a few seconds", §10 ``GET /api/v1/job/<id>``): the
registry of job kinds, ``run_job`` — the one function every worker runs — and the two ways a job reaches a worker.

- A **kind** is registered in one line (``register(name, title, run)``; the kinds of this app are registered in
  ``services/job_kinds.py``). ``run(ctx)`` gets a ``JobContext`` (the parameters, the requester as an ``Actor``, the
  database session, ``progress(fraction, message)`` and ``output_path``, where it may write its file) and returns a
  ``JobOutput`` (file name and media type; the file's bytes, or nothing when it wrote ``output_path``; a message and
  a small JSON ``result``). It raises a ``DomainError`` (Chinese message) to fail cleanly.
- ``run_job(public_id)``: claims the job (QUEUED → RUNNING in one UPDATE, so two workers never run the same job),
  re-derives the requester's scope from the user row (the job runs AS the requester, with the screen's query scope),
  runs the kind, commits its writes, stores the file (``services.job_files``) and marks DONE; any failure rolls
  the kind's writes back and marks FAILED with a Chinese message. The same function runs in both modes:
  - ``JOBS_REDIS_URL`` empty (embedded default): a worker thread in the app process (``LocalWorker``);
  - ``JOBS_REDIS_URL`` set: the RQ queue ``JOBS_QUEUE``; ``flask --app app jobs worker`` runs an RQ worker with the
    app context on any host (``services.job_worker``).
- Progress: ``progress(fraction, message)`` writes progress, message and a heartbeat in a transaction of its own
  (visible while the kind's own transaction is open), at most every ``JOB_HEARTBEAT_SECONDS``.
- A crash never leaves a job RUNNING forever: while a job runs, its progress writes and a heartbeat thread
  (every ``JOB_STALE_SECONDS``/4) keep ``heartbeat_at`` fresh; a worker killed mid-job (kill -9, OOM, a lost host)
  stops both, and ``fail_stale`` marks RUNNING jobs whose heartbeat is older than ``JOB_STALE_SECONDS`` FAILED
  ("任务处理中断", the user starts it again; if the worker was only frozen and comes back, its result is discarded). It runs when a job is
  read (``GET /api/v1/job/<id>``, 我的下载), when a job is started and in ``flask --app app jobs cleanup``.
- Retention: a job and its file are kept ``JOB_RETENTION_DAYS``; ``cleanup`` deletes expired ones (and files whose
  row is gone), from the CLI and opportunistically whenever a job is started.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Optional

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.errors import DomainError
from models.audit import AuditEvent
from models.base import db, utcnow
from models.enums import JobStatus
from models.job import Job
from models.scope import Actor
from models.security import AppUser
from services import job_files

log = logging.getLogger(__name__)

#: FAILED messages of the runner itself (the kinds' own refusals carry their message).
CRASHED = _l("处理时出现错误，已记录。请稍后重新发起，如仍有问题请联系管理员")
STALE = _l("任务处理中断（处理进程已停止），请重新发起")
ACCOUNT_GONE = _l("发起任务的账号已停用，任务未执行")
UNKNOWN_KIND = _l("未知的任务类型")
QUEUE_DOWN = _l("任务队列暂时无法访问，请稍后重试")


# ---------------------------------------------------------------------------------------------------------
# The registry of kinds
# ---------------------------------------------------------------------------------------------------------


@dataclass
class JobOutput:
    """What a kind made: a file (``content``, or the file it wrote at ``ctx.output_path`` when ``content`` is None
    and ``file_name`` is set), a message for the user and a small JSON ``result`` (e.g. a count)."""

    file_name: Optional[str] = None
    media_type: Optional[str] = None
    content: Optional[bytes] = None
    message: Any = None
    result: Optional[dict] = None


@dataclass
class JobContext:
    """What a kind's ``run`` gets."""

    job_id: int
    public_id: str
    params: dict
    actor: Actor
    session: Session
    progress: "Progress"
    output_path: Path
    input: Callable[[], Optional[bytes]] = field(default=lambda: None)


@dataclass(frozen=True)
class JobKind:
    name: str
    title: Any  # the list's default title (lazy Chinese text)
    run: Callable[[JobContext], JobOutput]


KINDS: dict[str, JobKind] = {}


def register(name: str, title: Any, run: Callable[[JobContext], JobOutput]) -> None:
    """Add a kind of job (one line per kind, ``services/job_kinds.py``)."""
    KINDS[name] = JobKind(name, title, run)


def kind_title(name: str) -> str:
    kind = KINDS.get(name)
    return str(kind.title) if kind else name


# ---------------------------------------------------------------------------------------------------------
# Progress
# ---------------------------------------------------------------------------------------------------------


class Progress:
    """``progress(fraction, message=None)``: the job's progress (0..1, never going back), message and heartbeat,
    written in a short transaction of its own at most every ``interval`` seconds (``force=True``: now)."""

    def __init__(self, job_id: int, interval: float):
        self.job_id = job_id
        self.interval = interval
        self.fraction = 0.0
        self.message: Optional[str] = None
        self._written_at = 0.0

    def __call__(self, fraction: float, message: Any = None, *, force: bool = False) -> None:
        self.fraction = max(self.fraction, min(1.0, max(0.0, float(fraction))))
        if message is not None:
            self.message = str(message)
        now = time.monotonic()
        if not force and now - self._written_at < self.interval:
            return
        self._written_at = now
        write_progress(self.job_id, self.fraction, self.message)


def write_progress(job_id: int, fraction: float, message: Optional[str]) -> None:
    """One UPDATE of a RUNNING job's progress (and heartbeat) in its own transaction."""
    values: dict[str, Any] = {"progress": fraction, "heartbeat_at": utcnow()}
    if message is not None:
        values["message"] = message
    touch(db.engine, job_id, values)


def touch(engine, job_id: int, values: dict) -> None:
    """UPDATE a RUNNING job in a transaction of its own. On SQLite a kind that holds the database's write lock (an
    import under its row lock) would block it: then this update is skipped, not waited for."""
    stmt = update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING).values(**values)
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            conn.execute(stmt)
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA busy_timeout=50")
        try:
            conn.execute(stmt)
            conn.commit()
        except OperationalError:
            conn.rollback()
            log.debug("job %s: update skipped (database locked by the job itself)", job_id)
        finally:
            conn.exec_driver_sql("PRAGMA busy_timeout=10000")
            conn.commit()


class Heartbeat:
    """While a kind runs, a daemon thread refreshes the job's heartbeat every ``every`` seconds, so a long step
    with no progress to report (a big PDF render) is never taken for a dead worker; a killed process stops it."""

    def __init__(self, engine, job_id: int, every: float):
        self.engine, self.job_id, self.every = engine, job_id, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"job-heartbeat-{job_id}", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                touch(self.engine, self.job_id, {"heartbeat_at": utcnow()})
            except Exception:  # noqa: BLE001 - a missed beat is harmless; the next one may pass
                log.warning("job %s: heartbeat failed", self.job_id, exc_info=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# ---------------------------------------------------------------------------------------------------------
# Running a job (the same in the worker thread and in an RQ worker)
# ---------------------------------------------------------------------------------------------------------


def _claim(session: Session, public_id: str) -> Optional[Job]:
    """QUEUED → RUNNING in one UPDATE (two workers never both win it); the job, or None when not QUEUED."""
    now = utcnow()
    claimed = session.execute(
        update(Job).where(Job.public_id == public_id, Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, progress=0.0)
    ).rowcount
    session.commit()
    if not claimed:
        return None
    return session.scalars(select(Job).where(Job.public_id == public_id)).one_or_none()


def _finish(session: Session, job_id: int, public_id: str, **values: Any) -> bool:
    """Mark a RUNNING job finished; False when the row is gone or no longer RUNNING (deleted, or failed as stale
    meanwhile) — then its file is removed."""
    done = session.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                           .values(finished_at=utcnow(), heartbeat_at=utcnow(), **values)).rowcount
    session.commit()
    if not done:
        job_files.delete(public_id)
    return bool(done)


def run_job(public_id: str) -> Optional[str]:
    """Run one queued job to DONE or FAILED (the entry point of every worker); returns the final status, or None
    when the job was not QUEUED (already taken by another worker, or deleted)."""
    from services import job_kinds  # noqa: F401 - registers the kinds (a worker may not have imported them yet)

    session = db.session
    try:
        job = _claim(session, public_id)
        if job is None:
            return None
        return _run_claimed(session, job)
    finally:
        db.session.remove()


def _run_claimed(session: Session, job: Job) -> str:
    job_id, public_id, kind_name = job.id, job.public_id, job.kind
    interval = float(current_app.config.get("JOB_HEARTBEAT_SECONDS", 0.5))
    user = session.get(AppUser, job.requester_id)
    kind = KINDS.get(kind_name)
    if user is None or not user.active:
        _finish(session, job_id, public_id, status=JobStatus.FAILED, message=str(ACCOUNT_GONE))
        return JobStatus.FAILED
    if kind is None:
        _finish(session, job_id, public_id, status=JobStatus.FAILED, message=str(UNKNOWN_KIND))
        return JobStatus.FAILED
    # The job runs as its requester: the same scope as the screen (models.scope), re-derived now.
    actor = Actor.from_user(user)
    progress = Progress(job_id, interval)
    ctx = JobContext(job_id, public_id, dict(job.params or {}), actor, session, progress,
                     job_files.part_path(public_id), input=lambda: job_files.read_input(public_id))
    beat_every = max(1.0, int(current_app.config.get("JOB_STALE_SECONDS", 600)) / 4)
    try:
        with force_locale("zh"), Heartbeat(db.engine, job_id, beat_every):
            output = kind.run(ctx)
            message = str(output.message) if output.message is not None else None
        session.commit()  # the kind's writes (an import), once it succeeded
        size = None
        if output.content is not None:
            size = job_files.save_bytes(public_id, output.content)
        elif output.file_name:
            size = job_files.commit(public_id)
    except Exception as exc:  # noqa: BLE001 - every failure rolls back and is reported on the job
        session.rollback()
        job_files.delete(public_id)
        with force_locale("zh"):
            if isinstance(exc, DomainError):
                message = str(exc.message)
                result = {"errors": [e.as_dict() for e in exc.errors[:200]], "error_total": len(exc.errors)}
            else:
                log.exception("job %s (%s) failed", public_id, kind_name)
                message, result = str(CRASHED), None
        _finish(session, job_id, public_id, status=JobStatus.FAILED, message=message, result=result)
        return JobStatus.FAILED
    finally:
        try:
            job_files.discard_scratch(public_id)
        except OSError:  # pragma: no cover - a file system hiccup must not hide the job's outcome
            log.warning("job %s: could not remove its input or scratch files", public_id)
    finished = _finish(session, job_id, public_id, status=JobStatus.DONE, progress=1.0, message=message,
                       result=output.result, file_name=output.file_name if size is not None else None,
                       media_type=output.media_type if size is not None else None, size=size)
    return JobStatus.DONE if finished else JobStatus.FAILED


# ---------------------------------------------------------------------------------------------------------
# Stale jobs and retention
# ---------------------------------------------------------------------------------------------------------


def stale_before(app: Optional[Flask] = None):
    app = app or current_app
    return utcnow() - timedelta(seconds=int(app.config.get("JOB_STALE_SECONDS", 600)))


def fail_stale(session: Session, public_id: Optional[str] = None) -> int:
    """Mark RUNNING jobs whose worker stopped writing (no heartbeat for ``JOB_STALE_SECONDS``) FAILED; only the job
    ``public_id`` when given. Returns how many. The caller commits."""
    cutoff = stale_before()
    with force_locale("zh"):  # stored messages are Chinese whatever the reader's language
        message = str(STALE)
    stmt = (update(Job).where(Job.status == JobStatus.RUNNING,
                              func.coalesce(Job.heartbeat_at, Job.started_at, Job.created_at) < cutoff)
            .values(status=JobStatus.FAILED, message=message, finished_at=utcnow()))
    if public_id is not None:
        stmt = stmt.where(Job.public_id == public_id)
    return session.execute(stmt).rowcount or 0


def cleanup(session: Session) -> dict[str, int]:
    """Delete expired jobs and their files, fail stale ones, remove files whose job row is gone; commits.
    Returns the counts (``expired``, ``stale``, ``orphans``)."""
    stale = fail_stale(session)
    now = utcnow()
    expired = list(session.scalars(select(Job.public_id).where(Job.expires_at < now)))
    if expired:
        session.execute(delete(Job).where(Job.public_id.in_(expired)))
        # The retention policy deletes, not a user: one event names the jobs (each one's job_create is on record).
        session.add(AuditEvent(actor_name="system", action="job_expire", entity=Job.__tablename__,
                               diff={"count": len(expired), "jobs": expired[:1000]}))
    session.commit()
    for public_id in expired:
        job_files.delete(public_id)
    # Files of jobs deleted meanwhile (a crash between the row's deletion and the file's). A file a worker writes
    # right now belongs to a job row that exists, so it is never among them.
    known = set(session.scalars(select(Job.public_id)))
    orphans = job_files.orphans(known)
    for public_id in orphans:
        job_files.delete(public_id)
    return {"expired": len(expired), "stale": stale, "orphans": len(orphans)}


def expired_or_stale_exist(session: Session) -> bool:
    """Anything for ``cleanup`` to do (one cheap query), so the opportunistic cleanup is nearly free."""
    now = utcnow()
    return session.scalar(select(Job.id).where(or_(
        Job.expires_at < now,
        (Job.status == JobStatus.RUNNING)
        & (func.coalesce(Job.heartbeat_at, Job.started_at, Job.created_at) < stale_before()))).limit(1)) is not None


# ---------------------------------------------------------------------------------------------------------
# Reaching a worker
# ---------------------------------------------------------------------------------------------------------


class QueueUnavailable(DomainError):
    """Redis (the RQ queue) did not take the job."""

    status_code = 503

    def __init__(self):
        super().__init__(QUEUE_DOWN)


def redis_connection(url: str):
    from redis import Redis

    return Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)


def rq_queue(app: Flask):
    from rq import Queue

    config = app.config
    return Queue(config["JOBS_QUEUE"], connection=redis_connection(config["JOBS_REDIS_URL"]),
                 default_timeout=int(config.get("JOB_TIMEOUT_SECONDS", 4 * 3600)))


def enqueue(public_id: str, app: Optional[Flask] = None) -> None:
    """Hand a committed QUEUED job to a worker: the RQ queue when ``JOBS_REDIS_URL`` is set, else the app's worker
    thread. :raises QueueUnavailable: Redis refused (the caller marks the job FAILED)."""
    app = app or current_app._get_current_object()
    if app.config.get("JOBS_REDIS_URL"):
        from redis.exceptions import RedisError

        try:
            rq_queue(app).enqueue("services.jobs.run_job", public_id, job_id=f"job-{public_id}",
                                  result_ttl=3600, failure_ttl=7 * 86400,
                                  description=f"run_job({public_id})")
        except RedisError as exc:
            log.error("job %s: the RQ queue refused it (%s)", public_id, exc)
            raise QueueUnavailable() from None
        return
    local_worker(app).submit(public_id)


class LocalWorker:
    """The embedded default: one daemon thread in the app process that runs queued jobs one after the other, each
    in an app context of its own. When it starts it also takes the QUEUED jobs a previous process left."""

    def __init__(self, app: Flask):
        self.app = app
        self.queue: "queue.Queue[str]" = queue.Queue()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def submit(self, public_id: str) -> None:
        self._ensure_started()
        self.queue.put(public_id)

    def _ensure_started(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            with self.app.app_context():
                left = list(db.session.scalars(select(Job.public_id).where(Job.status == JobStatus.QUEUED)
                                               .order_by(Job.id)))
                db.session.remove()
            for public_id in left:
                self.queue.put(public_id)
            self._thread = threading.Thread(target=self._loop, name="job-worker", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            public_id = self.queue.get()
            try:
                with self.app.app_context():
                    run_job(public_id)
            except Exception:  # noqa: BLE001 - the thread keeps serving the next jobs
                log.exception("job %s: the worker thread failed", public_id)
            finally:
                self.queue.task_done()

    def idle(self) -> bool:
        """Nothing queued or running (tests wait for it)."""
        return self.queue.unfinished_tasks == 0


def local_worker(app: Flask) -> LocalWorker:
    worker = app.extensions.get("jobs_local_worker")
    if worker is None:
        worker = app.extensions["jobs_local_worker"] = LocalWorker(app)
    return worker
