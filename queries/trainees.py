"""单位培训人员查询 (manual §3.2.1.3, §3.2.2.3): the trainees of the user's filings (both programmes), searchable
by name, ID number, filing number (备案编号 or 申请编号, issue 12), programme, type, filing status, trainee status
and class dates; a bad date is reported under its field (``date_errors``) with the typed text kept.

A page is three statements whatever the page size (issue 15): a COUNT that stops at 10,000 ("10,000+"), the page
of trainees with their filings, and the class period and first occupation of the page's filings. ``trainee_select``
— the same columns with the class summary of every filing joined once — is the row source of the streamed
导出学员名单 (``services.trainee_export``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from core.validators import normalize_id_number, normalize_text
from models.enums import ApprenticeshipType, ClassStatus, FilingStatus, Programme, TraineeStatus
from models.filing import Filing, Trainee, TrainingClass
from models.lookups import Occupation, SkillLevel
from models.scope import Actor, scope_condition
from queries.filings import number_matches
from queries.paging import COUNT_CAP, Page, capped_count_of, paginate
from queries.search import name_matches, parse_days, starts_with

PAGE_SIZE = 20
DATE_LABELS = {"date_from": _l("培训期间起"), "date_to": _l("培训期间止")}


def _bad_date(label: Any, raw: str) -> Any:
    return _l("%(label)s“%(value)s”不是有效日期，应为 YYYY-MM-DD，已忽略", label=label, value=raw)


def in_training():
    """在训: an ACTIVE trainee of an APPROVED filing that still has a class not cancelled (the one definition used
    by the home counters, this query's status filter and its status column)."""
    return and_(Trainee.status == TraineeStatus.ACTIVE, Filing.status == FilingStatus.APPROVED,
                exists(select(TrainingClass.id).where(TrainingClass.filing_id == Filing.id,
                                                      TrainingClass.status == ClassStatus.NORMAL)))


@dataclass
class TraineeFilters:
    """The search form of 单位培训人员查询 (query-string values, validated)."""

    name: Optional[str] = None
    id_number: Optional[str] = None
    filing_no: Optional[str] = None
    programme: Optional[str] = None
    apprenticeship_type: Optional[str] = None
    filing_status: Optional[str] = None
    status: Optional[str] = None
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    errors: list[str] = field(default_factory=list)
    #: Issue 12: per bad date field, its message (shown under the field) and the text as typed (kept in the form).
    date_errors: dict[str, str] = field(default_factory=dict)
    date_inputs: dict[str, str] = field(default_factory=dict)

    FIELDS = ("name", "id_number", "filing_no", "programme", "apprenticeship_type", "filing_status", "status",
              "date_from", "date_to")

    @classmethod
    def from_args(cls, args: Any) -> "TraineeFilters":
        out = cls()
        out.name = normalize_text(args.get("name"))
        number = normalize_id_number(args.get("id_number"))
        out.id_number = number or None
        out.filing_no = normalize_text(args.get("filing_no"))
        for key, codeset in (("programme", Programme), ("apprenticeship_type", ApprenticeshipType),
                             ("filing_status", FilingStatus), ("status", TraineeStatus)):
            value = normalize_text(args.get(key))
            setattr(out, key, value if value in codeset.codes() else None)
        typed = {key: normalize_text(args.get(key)) for key in DATE_LABELS}
        days, errors = parse_days(typed, DATE_LABELS, _bad_date)
        out.date_from, out.date_to = days.get("date_from"), days.get("date_to")
        out.errors.extend(errors.values())
        out.date_errors = errors
        out.date_inputs = {key: value for key, value in typed.items() if value}
        return out

    def date_input(self, key: str) -> str:
        """What the date field shows: the date understood (YYYY-MM-DD), or the bad text as typed."""
        value = getattr(self, key)
        return value.isoformat() if value else self.date_inputs.get(key, "")

    def as_args(self) -> dict[str, str]:
        """The non-empty filters as query-string values (pagination and export links)."""
        out = {}
        for key in self.FIELDS:
            value = getattr(self, key)
            if value not in (None, ""):
                out[key] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    def conditions(self) -> list:
        conds = []
        if self.name:
            conds.append(name_matches(Trainee.name, self.name))  # issue 15: a prefix, or 3+ characters anywhere
        if self.id_number:
            if len(self.id_number) == 18:
                conds.append(Trainee.id_number == self.id_number)
            else:
                conds.append(starts_with(Trainee.id_number, self.id_number))  # issue 15: the number's beginning
        if self.filing_no:
            conds.append(number_matches(self.filing_no))
        if self.programme:
            conds.append(Filing.programme == self.programme)
        if self.apprenticeship_type:
            conds.append(Filing.apprenticeship_type == self.apprenticeship_type)
        if self.filing_status:
            conds.append(Filing.status == self.filing_status)
        if self.status == TraineeStatus.ACTIVE:
            conds.append(in_training())  # 在训 (not merely "not lost": a draft's trainees are not in training yet)
        elif self.status:
            conds.append(Trainee.status == self.status)
        if self.date_from or self.date_to:
            # Class dates: the filing has a normal class whose period meets [date_from, date_to].
            period = [TrainingClass.filing_id == Filing.id, TrainingClass.status == ClassStatus.NORMAL]
            if self.date_to:
                period.append(TrainingClass.start_date <= self.date_to)
            if self.date_from:
                period.append(TrainingClass.end_date >= self.date_from)
            conds.append(exists(select(TrainingClass.id).where(and_(*period))))
        return conds


COLUMNS = (
    Trainee.id, Trainee.name, Trainee.id_number, Trainee.gender, Trainee.birth_date, Trainee.phone,
    Trainee.education, Trainee.contract_start, Trainee.contract_end, Trainee.hire_date, Trainee.status,
    Trainee.lost_reason, Trainee.lost_date, Filing.id.label("filing_id"), Filing.filing_no, Filing.programme,
    Filing.apprenticeship_type, Filing.status.label("filing_status"),
    case((in_training(), True), else_=False).label("in_training"),
)


#: The page's columns: COLUMNS but 在训 (``trainee_page`` derives it from the page's class summaries).
PAGE_COLUMNS = tuple(c for c in COLUMNS if getattr(c, "name", None) != "in_training")


def trainee_select(actor: Actor, filters: TraineeFilters):
    """SELECT of the trainees in the actor's scope matching ``filters``, newest filing first."""
    visible = scope_condition(Filing, actor)
    classes = (
        select(TrainingClass.filing_id.label("filing_id"), func.min(TrainingClass.id).label("first_class_id"),
               func.min(TrainingClass.start_date).label("class_start"),
               func.max(TrainingClass.end_date).label("class_end"), func.count().label("class_count"))
        .where(TrainingClass.status == ClassStatus.NORMAL,
               TrainingClass.filing_id.in_(select(Filing.id).where(visible)))
        .group_by(TrainingClass.filing_id)
        .subquery("filing_classes")
    )
    first = aliased(TrainingClass, name="first_class")
    return (
        select(*COLUMNS, classes.c.class_start, classes.c.class_end, classes.c.class_count,
               first.occupation_code, Occupation.name.label("occupation_name"),
               SkillLevel.name.label("skill_level_name"))
        .select_from(Trainee)
        .join(Filing, Filing.id == Trainee.filing_id)
        .outerjoin(classes, classes.c.filing_id == Filing.id)
        .outerjoin(first, first.id == classes.c.first_class_id)
        .outerjoin(Occupation, Occupation.code == first.occupation_code)
        .outerjoin(SkillLevel, SkillLevel.level == first.skill_level)
        .where(visible, *filters.conditions())
        .order_by(Filing.id.desc(), Trainee.id)
    )


def count_select(actor: Actor, filters: TraineeFilters):
    """COUNT of the trainees ``trainee_select`` gives (without its class sub-query)."""
    return (select(func.count()).select_from(Trainee).join(Filing, Filing.id == Trainee.filing_id)
            .where(scope_condition(Filing, actor), *filters.conditions()))


def count_trainees(session: Session, actor: Actor, filters: TraineeFilters) -> int:
    return session.scalar(count_select(actor, filters)) or 0


def class_summaries(session: Session, filing_ids: list[int]) -> dict[int, dict]:
    """Per filing of ``filing_ids``: its normal classes' period and count, and the first class's occupation and
    level — the columns ``trainee_select`` joins from its grouped sub-query, for one page's filings only."""
    summary = (
        select(TrainingClass.filing_id.label("filing_id"), func.min(TrainingClass.id).label("first_class_id"),
               func.min(TrainingClass.start_date).label("class_start"),
               func.max(TrainingClass.end_date).label("class_end"), func.count().label("class_count"))
        .where(TrainingClass.status == ClassStatus.NORMAL, TrainingClass.filing_id.in_(filing_ids))
        .group_by(TrainingClass.filing_id)
        .subquery("filing_classes")
    )
    first = aliased(TrainingClass, name="first_class")
    rows = session.execute(
        select(summary.c.filing_id, summary.c.class_start, summary.c.class_end, summary.c.class_count,
               first.occupation_code, Occupation.name.label("occupation_name"),
               SkillLevel.name.label("skill_level_name"))
        .select_from(summary)
        .join(first, first.id == summary.c.first_class_id)
        .outerjoin(Occupation, Occupation.code == first.occupation_code)
        .outerjoin(SkillLevel, SkillLevel.level == first.skill_level)).mappings()
    return {row["filing_id"]: dict(row) for row in rows}


#: The class columns of a trainee row whose filing has no normal class.
NO_CLASS = {"class_start": None, "class_end": None, "class_count": None, "occupation_code": None,
            "occupation_name": None, "skill_level_name": None}


def trainee_page(session: Session, actor: Actor, filters: TraineeFilters, page: Any,
                 page_size: int = PAGE_SIZE) -> Page:
    """One page of trainees (rows as dicts of ``trainee_select``'s columns plus 申请编号); ``page`` is user input.

    Issue 15 (1M trainees): the page is chosen first — trainees and their filings only, in the list's order — and
    then decorated with the class summaries of its ≤ 20 filings (one grouped statement), instead of grouping every
    visible class for each page; the count stops at ``COUNT_CAP`` ("10,000+"). Three statements whatever the size.
    """
    conditions = [scope_condition(Filing, actor), *filters.conditions()]
    # The 申请编号 names a filing not yet approved (issue 12); added here only (the export keeps its columns).
    stmt = (select(*PAGE_COLUMNS, Filing.application_no).select_from(Trainee)
            .join(Filing, Filing.id == Trainee.filing_id).where(*conditions)
            .order_by(Filing.id.desc(), Trainee.id))
    counted = select(Trainee.id).join(Filing, Filing.id == Trainee.filing_id).where(*conditions)
    found = paginate(session, stmt, page, page_size, capped_count_of(counted, COUNT_CAP), rows="mappings",
                     count_cap=COUNT_CAP)
    classes = class_summaries(session, sorted({row["filing_id"] for row in found.items}))
    found.items = [{**row, **classes.get(row["filing_id"], NO_CLASS),
                    "in_training": _in_training(row, row["filing_id"] in classes)} for row in found.items]
    return found


def _in_training(row: Any, has_normal_class: bool) -> bool:
    """``in_training()`` for a row of the page: ACTIVE, APPROVED filing, a class not cancelled (the summary lists
    normal classes only). Evaluated here because in the page statement PostgreSQL hashed that EXISTS over every
    class of the province (issue 15); tests compare it with the SQL definition."""
    return row["status"] == TraineeStatus.ACTIVE and row["filing_status"] == FilingStatus.APPROVED and has_normal_class


def occupation_text(code: Optional[str], name: Optional[str], count: Optional[int]) -> str:
    """The 职业（工种） cell: the first class's occupation, "等N个工种" when the filing has several classes."""
    if not code:
        return ""
    text = f"{code} {name or ''}".strip()
    if count and count > 1:
        text += f" 等{count}个工种"
    return text
