"""备案审核 queue (R13, R14): the filings in the reviewer's city (the admin: the province, read-only) — pending
(已提交待审核) first, then by submission time, newest first — filtered by 培训项目 / 学徒制培训类型 / 企业名称 /
状态 / 提交日期, 20 per page, each row with its trainee count (one COUNT + one page SELECT); and the filing with
every tab's rows for the read-only detail page and the 备案表."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from models.enterprise import Enterprise
from models.enums import ApprenticeshipType, FilingStatus, Programme
from models.filing import Course, Filing, Trainee, TrainingClass
from models.scope import Actor, scope_condition
from queries.paging import Page, paginate
from queries.search import contains, parse_days, timestamp_on_days

PAGE_SIZE = 20
DATE_FIELDS = {"submitted_from": "submitted_from", "submitted_to": "submitted_to"}


def _bad_date(_label: Any, _raw: str) -> Any:
    return _l("日期格式应为 YYYY-MM-DD")


@dataclass
class QueueFilters:
    """The queue's query conditions as typed (invalid codes dropped; bad dates reported in ``errors``)."""

    programme: str = ""
    apprenticeship_type: str = ""
    enterprise: str = ""
    status: str = ""
    submitted_from: str = ""
    submitted_to: str = ""
    errors: dict = field(default_factory=dict)  # field → message

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> "QueueFilters":
        return cls(
            programme=args.get("programme", "") if args.get("programme") in Programme.codes() else "",
            apprenticeship_type=(args.get("apprenticeship_type", "")
                                 if args.get("apprenticeship_type") in ApprenticeshipType.codes() else ""),
            enterprise=(args.get("enterprise") or "").strip()[:128],
            status=args.get("status", "") if args.get("status") in FilingStatus.codes() else "",
            submitted_from=(args.get("submitted_from") or "").strip()[:10],
            submitted_to=(args.get("submitted_to") or "").strip()[:10],
        )

    def as_args(self) -> dict:
        return {k: v for k, v in (("programme", self.programme), ("apprenticeship_type", self.apprenticeship_type),
                                  ("enterprise", self.enterprise), ("status", self.status),
                                  ("submitted_from", self.submitted_from), ("submitted_to", self.submitted_to))
                if v}

    def conditions(self) -> list:
        """SQL conditions of the filters (a bad date is left out and reported in ``errors``)."""
        out = []
        if self.programme:
            out.append(Filing.programme == self.programme)
        if self.apprenticeship_type:
            out.append(Filing.apprenticeship_type == self.apprenticeship_type)
        if self.status:
            out.append(Filing.status == self.status)
        if self.enterprise:
            out.append(Filing.enterprise_id.in_(select(Enterprise.id).where(contains(Enterprise.name,
                                                                                     self.enterprise))))
        days, errors = parse_days({"submitted_from": self.submitted_from, "submitted_to": self.submitted_to},
                                  DATE_FIELDS, _bad_date)
        self.errors.update(errors)
        out += timestamp_on_days(Filing.submitted_at, days.get("submitted_from"), days.get("submitted_to"))
        return out


def visible_statuses(actor: Actor) -> list[str]:
    """The 状态 choices of the filter: a reviewer never sees drafts (they are the enterprise's own)."""
    return [s for s in FilingStatus.codes() if actor.is_admin or s != FilingStatus.DRAFT]


def queue_page(session: Session, actor: Actor, filters: QueueFilters, page: Any,
               page_size: int = PAGE_SIZE) -> Page:
    """One page of the queue; items are ``{"filing": Filing, "trainees": int}`` (``page`` is user input)."""
    conditions = [scope_condition(Filing, actor), *filters.conditions()]
    trainee_count = (select(func.count(Trainee.id)).where(Trainee.filing_id == Filing.id)
                     .correlate(Filing).scalar_subquery())
    pending_first = case((Filing.status == FilingStatus.SUBMITTED, 0), else_=1)
    stmt = (select(Filing, trainee_count)
            .where(*conditions)
            .order_by(pending_first, Filing.submitted_at.desc().nulls_last(), Filing.id.desc()))
    count = select(func.count()).select_from(Filing).where(*conditions)
    result = paginate(session, stmt, page, page_size, count, rows="rows")
    result.items = [{"filing": f, "trainees": n} for f, n in result.items]
    return result


def filing_detail(session: Session, actor: Actor, filing_id: Any, *, with_trainees: bool = True) -> Optional[Filing]:
    """The filing in the actor's scope with the rows of every tab (classes with their courses and teachers,
    teachers, trainees, materials, institution) — for the read-only detail page and the 备案表; ``None`` when
    missing, out of scope or not an id. ``with_trainees=False``: the trainees are not loaded (the detail page
    pages them, ``queries.children``)."""
    try:
        pk = int(filing_id)
    except (TypeError, ValueError):
        return None
    stmt = (select(Filing).where(scope_condition(Filing, actor), Filing.id == pk)
            .options(selectinload(Filing.classes).selectinload(TrainingClass.courses).selectinload(Course.teacher),
                     selectinload(Filing.teachers), selectinload(Filing.attachments),
                     selectinload(Filing.institution)))
    if with_trainees:
        stmt = stmt.options(selectinload(Filing.trainees))
    return session.scalars(stmt).unique().one_or_none()
