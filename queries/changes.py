"""备案变更 read side: the enterprise's 立即办理 list of APPROVED filings with their classes (备案变更申请), the
city's 变更审核 queue (pending first), and 查看变更内容 (every change request of a filing with its items named).
Pages run a constant number of statements whatever their size (a COUNT, the page, one query per decoration)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.enterprise import Enterprise
from models.enums import ChangeRequestKind, ChangeRequestStatus, FilingStatus
from models.filing import ChangeRequest, Course, Filing, Teacher, TrainingClass
from models.scope import Actor, scope_condition
from queries.sorting import pending_first
from queries.paging import Page, paginate
from queries.search import contains

PAGE_SIZE = 10


def approved_filings_page(session: Session, actor: Actor, programme: str, filing_no: str, page: Any,
                          page_size: int = PAGE_SIZE) -> Page:
    """备案变更申请: the actor's APPROVED filings of ``programme`` (newest approval first) with their classes
    (and courses) loaded for the page, and each filing's open teacher-change request if any."""
    conditions = [scope_condition(Filing, actor), Filing.programme == programme,
                  Filing.status == FilingStatus.APPROVED]
    if filing_no:
        conditions.append(contains(Filing.filing_no, filing_no.upper()))
    stmt = (select(Filing).where(*conditions)
            .options(selectinload(Filing.classes).selectinload(TrainingClass.courses))
            .order_by(Filing.approved_at.desc().nulls_last(), Filing.id.desc()))
    result = paginate(session, stmt, page, page_size, select(func.count()).select_from(Filing).where(*conditions))
    ids = [f.id for f in result.items]
    open_requests = {}
    if ids:
        open_requests = {r.filing_id: r for r in session.scalars(select(ChangeRequest).where(
            ChangeRequest.filing_id.in_(ids), ChangeRequest.kind == ChangeRequestKind.TEACHER,
            ChangeRequest.status.in_((ChangeRequestStatus.DRAFT, ChangeRequestStatus.SUBMITTED,
                                      ChangeRequestStatus.RETURNED))))}
    result.items = [{"filing": f, "open_request": open_requests.get(f.id)} for f in result.items]
    return result


def change_queue_page(session: Session, actor: Actor, status: str, page: Any, page_size: int = 20) -> Page:
    """变更审核: the teacher-change requests of the reviewer's city (the admin: all), submitted ones first."""
    conditions = [scope_condition(ChangeRequest, actor), ChangeRequest.kind == ChangeRequestKind.TEACHER]
    if status in ChangeRequestStatus.codes():
        conditions.append(ChangeRequest.status == status)
    stmt = (select(ChangeRequest, Filing.filing_no, Enterprise.name)
            .join(Filing, Filing.id == ChangeRequest.filing_id).join(Enterprise, Enterprise.id == Filing.enterprise_id)
            .where(*conditions)
            .order_by(pending_first(ChangeRequest.status), ChangeRequest.submitted_at.desc().nulls_last(), ChangeRequest.id.desc()))
    count = select(func.count()).select_from(ChangeRequest).where(*conditions)
    result = paginate(session, stmt, page, page_size, count, rows="rows")
    result.items = [{"request": r, "filing_no": no, "enterprise": name} for r, no, name in result.items]
    return result


def names_of_items(session: Session, requests: list[ChangeRequest], items_of) -> dict[int, list[dict]]:
    """Each request's items (``items_of(session, request)``) with the teachers and courses named (two queries)."""
    items = {r.id: items_of(session, r) for r in requests}
    teacher_ids = {v for rows in items.values() for i in rows for v in (i["before"], i["after"], i["entity_id"])
                   if isinstance(v, int) and not isinstance(v, bool) and (i["entity"] == "teacher"
                                                                         or i["field"] == "teacher_id")}
    course_ids = {i["entity_id"] for rows in items.values() for i in rows if i["entity"] == "course"}
    teachers = dict(session.execute(select(Teacher.id, Teacher.name).where(Teacher.id.in_(teacher_ids)))
                    .all()) if teacher_ids else {}
    courses = dict(session.execute(select(Course.id, Course.name).where(Course.id.in_(course_ids)))
                   .all()) if course_ids else {}
    for rows in items.values():
        for item in rows:
            if item["entity"] == "course":
                item["name"] = courses.get(item["entity_id"], f"#{item['entity_id']}")
                item["before_name"] = teachers.get(item["before"], "—") if item["before"] else "—"
                item["after_name"] = teachers.get(item["after"], "—") if item["after"] else "—"
            elif item["entity"] == "teacher":
                item["name"] = teachers.get(item["entity_id"], f"#{item['entity_id']}")
    return items
