"""备案审核 queue (R13, R14): the filings in the reviewer's city (the admin: the province, read-only) — pending
(已提交待审核) first, then by submission time, newest first, or sorted by a column (申请编号, 备案编号, 创建时间,
提交时间, 状态; issue 12) — filtered by 备案编号 or 申请编号 / 培训项目 / 学徒制培训类型 / 企业名称 / 状态 /
提交日期 and, for the admin only, 地市 (a reviewer stays in its city whatever the URL says), 20 per page, each row
with its 培训人数 (``queries.filings.trainee_counts``; one COUNT + one page SELECT + one count SELECT); and the
filing with every tab's rows for the read-only detail page and the 备案表."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.enterprise import Enterprise
from models.enums import ApprenticeshipType, FilingStatus, Programme
from models.filing import Course, Filing, TrainingClass
from models.lookups import City
from models.scope import Actor, scope_condition
from queries.filings import SORT_COLUMNS, TraineeCount, number_matches, trainee_counts
from queries.paging import Page, paginate
from queries.search import contains, parse_days, timestamp_on_days
from queries.sorting import Sort, pending_first

PAGE_SIZE = 20
DATE_FIELDS = {"submitted_from": "submitted_from", "submitted_to": "submitted_to"}


def _bad_date(_label: Any, _raw: str) -> Any:
    return _l("日期格式应为 YYYY-MM-DD")


@dataclass
class QueueFilters:
    """The queue's query conditions as typed (invalid codes dropped; bad dates reported in ``errors``)."""

    programme: str = ""
    apprenticeship_type: str = ""
    number: str = ""  # 备案编号 or 申请编号, any part
    city: str = ""  # 地市: the admin's filter only (``from_args`` drops it for anybody else)
    enterprise: str = ""
    status: str = ""
    submitted_from: str = ""
    submitted_to: str = ""
    errors: dict = field(default_factory=dict)  # field → message

    @classmethod
    def from_args(cls, args: Mapping[str, Any], actor: Optional[Actor] = None) -> "QueueFilters":
        """The filters typed in the URL; 地市 only when ``actor`` is the admin (a reviewer is fixed to its city)."""
        city = (args.get("city") or "").strip()[:6]
        return cls(
            number=(args.get("number") or "").strip()[:32],
            city=city if actor is not None and actor.is_admin and city.isdigit() else "",
            programme=args.get("programme", "") if args.get("programme") in Programme.codes() else "",
            apprenticeship_type=(args.get("apprenticeship_type", "")
                                 if args.get("apprenticeship_type") in ApprenticeshipType.codes() else ""),
            enterprise=(args.get("enterprise") or "").strip()[:128],
            status=args.get("status", "") if args.get("status") in FilingStatus.codes() else "",
            submitted_from=(args.get("submitted_from") or "").strip()[:10],
            submitted_to=(args.get("submitted_to") or "").strip()[:10],
        )

    def as_args(self) -> dict:
        return {k: v for k, v in (("number", self.number), ("city", self.city),
                                  ("programme", self.programme), ("apprenticeship_type", self.apprenticeship_type),
                                  ("enterprise", self.enterprise), ("status", self.status),
                                  ("submitted_from", self.submitted_from), ("submitted_to", self.submitted_to))
                if v}

    def conditions(self) -> list:
        """SQL conditions of the filters (a bad date is left out and reported in ``errors``)."""
        out = []
        if self.number:
            out.append(number_matches(self.number))
        if self.city:
            out.append(Filing.city_code == self.city)
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


def city_choices(session: Session) -> list[tuple[str, str]]:
    """``(code, name)`` of the cities, in their order (the admin's 地市 filter)."""
    return [tuple(row) for row in session.execute(select(City.code, City.name).order_by(City.sort_order, City.code))]


def queue_page(session: Session, actor: Actor, filters: QueueFilters, page: Any,
               page_size: int = PAGE_SIZE, sort: Sort = Sort()) -> Page:
    """One page of the queue in ``sort`` order (default: pending first); items are ``{"filing": Filing,
    "trainees": TraineeCount}`` (``page`` is user input). The 地市 filter counts for the admin only: the scope
    keeps a reviewer in its city in any case, and its 地市 argument is not even looked at."""
    if filters.city and not actor.is_admin:
        filters.city = ""  # a reviewer cannot even narrow to another city (it would only find nothing)
    conditions = [scope_condition(Filing, actor), *filters.conditions()]
    order = sort.order_by(SORT_COLUMNS, Filing.id) or [
        pending_first(Filing.status), Filing.submitted_at.desc().nulls_last(), Filing.id.desc()]
    stmt = select(Filing).where(*conditions).order_by(*order)
    count = select(func.count()).select_from(Filing).where(*conditions)
    result = paginate(session, stmt, page, page_size, count)
    counts = trainee_counts(session, [f.id for f in result.items])
    result.items = [{"filing": f, "trainees": counts.get(f.id, TraineeCount())} for f in result.items]
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
