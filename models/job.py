"""Background jobs (DESIGN §9, §10 "long work as jobs"): one row per export, roster PDF or large import
confirmation a user started. The row is what the user sees in 我的下载 and what ``GET /api/v1/job/<id>`` answers:
status, progress, message and, once DONE, the file (kept under ``JOB_FILES_DIR`` by ``services.job_files``).

``public_id`` (uuid4 hex) is the id users and URLs see, never the integer key; only the requester ever sees a job
(``models.scope``: anyone else gets 404). The job runs as the requester: its scope is re-derived from the user at
run time (``services.jobs.run_job``), so an account deactivated or moved meanwhile exports no more than it now may.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Model, utcnow
from models.enums import JobStatus


def new_public_id() -> str:
    return uuid.uuid4().hex


class Job(Model):
    """A background job of one user: its kind and parameters, state and progress, and the file it made."""

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_requester_created", "requester_id", "created_at"),
        Index("ix_job_status", "status"),
        Index("ix_job_expires_at", "expires_at"),
        {"sqlite_autoincrement": True},  # SQLite never reuses the id of a deleted job (the audit trail names it)
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_public_id)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    #: a short text for the list (e.g. "单位培训人员名单"), set when the job is created
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    requester_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    params: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=JobStatus.QUEUED)
    progress: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    message: Mapped[Optional[str]] = mapped_column(Text)
    #: what the kind answered besides the file (e.g. the count of imported rows, the next page's URL)
    result: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    file_name: Mapped[Optional[str]] = mapped_column(String(255))
    media_type: Mapped[Optional[str]] = mapped_column(String(128))
    size: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    started_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    #: the worker writes it with every progress update: a RUNNING job whose heartbeat stops is stale
    heartbeat_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)

    @property
    def finished(self) -> bool:
        return self.status in JobStatus.FINISHED

    @property
    def has_file(self) -> bool:
        return self.status == JobStatus.DONE and self.file_name is not None
