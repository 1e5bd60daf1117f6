"""办理结果 (manual §3.2.1.2, §3.2.2.2): the enterprise's filings of one programme, newest first or sorted by a
column (申请编号, 备案编号, 创建时间, 提交时间, 状态 — issue 12), filtered by 备案编号 or 申请编号 / 学徒制培训类型 /
状态 / 提交日期 / 职业（工种）, 10 per page; each page carries its classes and its trainee counts (two more
statements, whatever the page size).

培训人数 is defined once, here (``trainee_counts``): every trainee registered in the filing, lost ones included
and counted apart (其中流失) — the number the filing's 培训人员信息 tab and 单位培训人员查询 list for that filing,
and the one the 备案审核 queue shows (issue 12: 办理结果 used to count only the not-lost ones)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import Session

from models.enums import FilingStatus, TraineeStatus, TYPES_BY_PROGRAMME
from models.filing import Filing, Trainee, TrainingClass
from models.lookups import Occupation
from models.scope import Actor, scoped_select
from queries.paging import Page, paginate
from queries.search import contains, parse_days, timestamp_on_days
from queries.sorting import Sort, SortColumn, code_order

PAGE_SIZE = 10
#: The query-string keys of the search form, in the form's order.
FILTER_KEYS = ("filing_no", "apprenticeship_type", "status", "submitted_from", "submitted_to", "occupation")
DATE_LABELS = {"submitted_from": _l("提交日期起"), "submitted_to": _l("提交日期止")}


@dataclass
class ResultFilters:
    """The search form of 办理结果: ``values`` as typed (stripped; shown back in the form), ``errors`` per bad
    date field (that condition is then left out)."""

    programme: str
    values: dict[str, str]
    days: dict[str, date] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, programme: str, args: Mapping[str, Any]) -> "ResultFilters":
        values = {key: (args.get(key) or "").strip() for key in FILTER_KEYS}
        days, errors = parse_days(values, DATE_LABELS)
        return cls(programme=programme, values=values, days=days, errors=errors)

    def as_args(self) -> dict[str, str]:
        """The non-empty inputs (for pagination links)."""
        return {key: value for key, value in self.values.items() if value}

    def conditions(self) -> list:
        q = self.values
        out = [Filing.programme == self.programme]
        if q["filing_no"]:
            out.append(number_matches(q["filing_no"]))
        if q["apprenticeship_type"] in TYPES_BY_PROGRAMME[self.programme]:
            out.append(Filing.apprenticeship_type == q["apprenticeship_type"])
        if q["status"] in FilingStatus.codes():
            out.append(Filing.status == q["status"])
        out += timestamp_on_days(Filing.submitted_at, self.days.get("submitted_from"), self.days.get("submitted_to"))
        if q["occupation"]:
            out.append(exists(select(TrainingClass.id).where(
                TrainingClass.filing_id == Filing.id, TrainingClass.occupation_code == q["occupation"])))
        return out


def number_matches(text: str) -> Any:
    """备案编号 or 申请编号 containing ``text`` (either number names the filing; typed in any case)."""
    text = text.upper()
    return or_(contains(Filing.filing_no, text), contains(Filing.application_no, text))


#: The sortable columns of the filing lists (办理结果 and 备案审核), by their URL key.
SORT_COLUMNS: dict[str, SortColumn] = {
    "application_no": SortColumn([Filing.application_no]),
    "filing_no": SortColumn([Filing.filing_no]),
    "created_at": SortColumn([Filing.created_at], first="desc"),
    "submitted_at": SortColumn([Filing.submitted_at], first="desc"),
    "status": SortColumn([code_order(Filing.status, FilingStatus.codes())]),
}


@dataclass(frozen=True)
class TraineeCount:
    """培训人数 of a filing: every registered trainee (``total``), of whom ``lost`` are marked 流失."""

    total: int = 0
    lost: int = 0


def trainee_counts(session: Session, filing_ids: list[int]) -> dict[int, TraineeCount]:
    """The 培训人数 of each filing (one grouped statement; filings without trainees are absent)."""
    if not filing_ids:
        return {}
    lost = func.sum(case((Trainee.status == TraineeStatus.LOST, 1), else_=0))
    rows = session.execute(select(Trainee.filing_id, func.count(), lost)
                           .where(Trainee.filing_id.in_(filing_ids)).group_by(Trainee.filing_id))
    return {filing_id: TraineeCount(int(total), int(lost or 0)) for filing_id, total, lost in rows}


@dataclass
class ResultsPage:
    """One page of 办理结果: the filings, their classes (by filing id, in id order) and trainee counts."""

    page: Page
    classes: dict[int, list[TrainingClass]]
    trainees: dict[int, TraineeCount]


def results_page(session: Session, actor: Actor, filters: ResultFilters, page: Any,
                 page_size: int = PAGE_SIZE, sort: Sort = Sort()) -> ResultsPage:
    """The filings in the actor's scope matching ``filters``, in ``sort`` order or newest first (``page`` is user
    input, clamped).

    Four statements whatever the page size: COUNT, the page, its classes, its trainee counts (the last two are
    skipped when the page is empty).
    """
    order = sort.order_by(SORT_COLUMNS, Filing.id) or [Filing.id.desc()]
    stmt = scoped_select(Filing, actor).where(*filters.conditions()).order_by(*order)
    result = paginate(session, stmt, page, page_size)
    ids = [f.id for f in result.items]
    classes: dict[int, list[TrainingClass]] = {i: [] for i in ids}
    if ids:
        for cls in session.scalars(select(TrainingClass).where(TrainingClass.filing_id.in_(ids))
                                   .order_by(TrainingClass.id)).unique():
            classes[cls.filing_id].append(cls)
    return ResultsPage(page=result, classes=classes, trainees=trainee_counts(session, ids))


def active_occupations(session: Session) -> list[tuple[str, str]]:
    """``(code, name)`` of the active occupations, by code (the 职业（工种） filter)."""
    return [tuple(row) for row in session.execute(
        select(Occupation.code, Occupation.name).where(Occupation.active.is_(True)).order_by(Occupation.code))]
