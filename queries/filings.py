"""办理结果 (manual §3.2.1.2, §3.2.2.2): the enterprise's filings of one programme, newest first, filtered by
备案编号 / 学徒制培训类型 / 状态 / 提交日期 / 职业（工种）, 10 per page; each page carries its classes and the count
of trainees in training per filing (two more statements, whatever the page size)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from models.enums import FilingStatus, TraineeStatus, TYPES_BY_PROGRAMME
from models.filing import Filing, Trainee, TrainingClass
from models.lookups import Occupation
from models.scope import Actor, scoped_select
from queries.paging import Page, paginate
from queries.search import contains, parse_days, timestamp_on_days

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
            out.append(contains(Filing.filing_no, q["filing_no"]))
        if q["apprenticeship_type"] in TYPES_BY_PROGRAMME[self.programme]:
            out.append(Filing.apprenticeship_type == q["apprenticeship_type"])
        if q["status"] in FilingStatus.codes():
            out.append(Filing.status == q["status"])
        out += timestamp_on_days(Filing.submitted_at, self.days.get("submitted_from"), self.days.get("submitted_to"))
        if q["occupation"]:
            out.append(exists(select(TrainingClass.id).where(
                TrainingClass.filing_id == Filing.id, TrainingClass.occupation_code == q["occupation"])))
        return out


@dataclass
class ResultsPage:
    """One page of 办理结果: the filings, their classes (by filing id, in id order) and active trainee counts."""

    page: Page
    classes: dict[int, list[TrainingClass]]
    trainees: dict[int, int]


def results_page(session: Session, actor: Actor, filters: ResultFilters, page: Any,
                 page_size: int = PAGE_SIZE) -> ResultsPage:
    """The filings in the actor's scope matching ``filters``, newest first (``page`` is user input, clamped).

    Four statements whatever the page size: COUNT, the page, its classes, its active trainee counts (the last two
    are skipped when the page is empty).
    """
    stmt = scoped_select(Filing, actor).where(*filters.conditions()).order_by(Filing.id.desc())
    result = paginate(session, stmt, page, page_size)
    ids = [f.id for f in result.items]
    classes: dict[int, list[TrainingClass]] = {i: [] for i in ids}
    trainees: dict[int, int] = {}
    if ids:
        for cls in session.scalars(select(TrainingClass).where(TrainingClass.filing_id.in_(ids))
                                   .order_by(TrainingClass.id)).unique():
            classes[cls.filing_id].append(cls)
        trainees = dict(session.execute(
            select(Trainee.filing_id, func.count()).where(Trainee.filing_id.in_(ids),
                                                          Trainee.status == TraineeStatus.ACTIVE)
            .group_by(Trainee.filing_id)).all())
    return ResultsPage(page=result, classes=classes, trainees=trainees)


def active_occupations(session: Session) -> list[tuple[str, str]]:
    """``(code, name)`` of the active occupations, by code (the 职业（工种） filter)."""
    return [tuple(row) for row in session.execute(
        select(Occupation.code, Occupation.name).where(Occupation.active.is_(True)).order_by(Occupation.code))]
