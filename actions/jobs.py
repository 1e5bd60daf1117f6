"""Background jobs, the write side: a user starts a job (``create_job``) and deletes one from 我的下载
(``delete_job``); both audited. Running them is ``services.jobs``; the row is ``models.job.Job``.

A job belongs to its requester alone (``models.scope``): anyone else's id is answered like a missing one. Its
audit events carry no enterprise or city, so only the provincial admin reads them (not the requester's colleagues:
the parameters say what someone exported).
"""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from actions import audit
from core.errors import FieldInvalid, Forbidden, NotFound
from models.base import utcnow
from models.enums import JobStatus
from models.job import Job
from models.scope import Actor, scoped_select

#: The parameters of a job are a small JSON object (list filters, an id): anything larger is refused.
MAX_PARAMS_CHARS = 4000


def load_job(session: Session, actor: Actor, public_id: Any) -> Job:
    """The actor's own job by its public id. :raises NotFound: missing, or another user's."""
    if not isinstance(public_id, str) or len(public_id) != 32:
        raise NotFound()
    job = session.scalars(scoped_select(Job, actor).where(Job.public_id == public_id.lower())).first()
    if job is None:
        raise NotFound()
    return job


def create_job(session: Session, actor: Actor, kind: str, title: Any, params: Optional[dict], *,
               retention_days: int) -> Job:
    """A QUEUED job of ``kind`` for ``actor``, kept ``retention_days`` days (我的下载). The caller commits, then
    hands it to a worker (``services.jobs.enqueue``).

    :raises Forbidden: no business role (an account that sees nothing starts nothing).
    :raises FieldInvalid: parameters beyond ``MAX_PARAMS_CHARS`` once written as JSON.
    """
    if actor.user_id is None or actor.role is None:
        raise Forbidden()
    if len(json.dumps(params or {}, ensure_ascii=False, default=str)) > MAX_PARAMS_CHARS:
        raise FieldInvalid("params", _l("导出条件过长"))
    now = utcnow()
    job = Job(kind=kind, title=str(title)[:200], requester_id=actor.user_id, params=params or {},
              status=JobStatus.QUEUED, progress=0.0, created_at=now,
              expires_at=now + timedelta(days=max(1, int(retention_days))))
    session.add(job)
    session.flush()
    audit.record(session, actor, "job_create", job, to_status=JobStatus.QUEUED,
                 diff={"kind": kind, "job": job.public_id, "params": params or {}})
    return job


def fail_job(session: Session, actor: Actor, job: Job, message: Any) -> None:
    """A job that never reached a worker (the queue refused it): FAILED with ``message``."""
    before = job.status
    job.status, job.message, job.finished_at = JobStatus.FAILED, str(message), utcnow()
    audit.record(session, actor, "job_fail", job, from_status=before, to_status=JobStatus.FAILED,
                 reason=str(message))


def delete_job(session: Session, actor: Actor, public_id: Any) -> str:
    """删除 in 我的下载: the actor's job row goes (a running one too: its worker then discards what it made);
    returns the public id, whose files the caller removes after the commit (``services.job_files.delete``).

    :raises NotFound: missing, or another user's.
    """
    job = load_job(session, actor, public_id)
    gone = job.public_id
    audit.record(session, actor, "job_delete", job, from_status=job.status,
                 diff={"kind": job.kind, "job": gone, "title": job.title, "file_name": job.file_name})
    session.delete(job)
    return gone
