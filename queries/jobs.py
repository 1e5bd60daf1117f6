"""我的下载: the current user's background jobs, newest first, one page at a time (one SELECT + one COUNT)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models.job import Job
from models.scope import Actor, scoped_select
from queries.paging import Page, paginate

PAGE_SIZE = 20


def job_page(session: Session, actor: Actor, page: Any, page_size: int = PAGE_SIZE) -> Page:
    """One page of the actor's own jobs (``page`` is user input)."""
    stmt = scoped_select(Job, actor).order_by(Job.created_at.desc(), Job.id.desc())
    return paginate(session, stmt, page, page_size)
