"""Read side of the enterprise's 补贴申请 screens (manual §3.2.3.1 立即办理, §3.2.3.2 办理结果; R20–R23).

- ``class_choices``: the classes a claim may be made for (R20: classes of the enterprise's APPROVED filings, not
  cancelled), searchable by 备案编号 / 职业（工种）, with each filing's trainees in training;
- ``persons_page``: the persons of a claim, searchable by 姓名 / 身份证号码, optionally limited to given person ids
  (the failing ones of the pre-checks, R21);
- ``picker_page``: the trainees of the claim's filing not in the claim yet (【新增】);
- ``results_page``: 办理结果, the enterprise's claims filtered by 申请阶段 / 状态 / 提交日期.
Each page is a constant number of statements whatever its size (DESIGN §9): COUNT + the page (+ one aggregate).
Pre-check results are not computed here: the screen asks ``actions.subsidies.prechecks.evaluate`` for the page's
persons only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Mapping, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from models.enums import ClaimStage, ClaimStatus, ClassStatus, FilingStatus, TraineeStatus
from models.filing import Filing, Trainee, TrainingClass
from models.lookups import Occupation, SkillLevel
from models.scope import Actor, scope_condition
from models.subsidy import SubsidyClaim, SubsidyClaimPerson
from queries.paging import Page, paginate
from queries.search import contains, parse_days, timestamp_on_days

#: The page sizes a list offers (the first is the default).
PAGE_SIZES = (20, 50, 100)
CLASS_PAGE_SIZE = 10


def page_size(raw: Any) -> int:
    """A page size chosen in the URL: one of ``PAGE_SIZES`` (anything else gives the first)."""
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and int(text) in PAGE_SIZES else PAGE_SIZES[0]


# ---------------------------------------------------------------------------------------------------------
# 立即办理: the classes to claim for (R20)
# ---------------------------------------------------------------------------------------------------------


def class_choices(session: Session, actor: Actor, q: str, page: Any, size: int = CLASS_PAGE_SIZE) -> Page:
    """Classes (NORMAL) of the actor's APPROVED filings, newest filing first, as mappings: ``class_id``,
    ``filing_id``, ``filing_no``, ``programme``, ``apprenticeship_type``, ``occupation_code``,
    ``occupation_name``, ``skill_level``, ``level_name``, ``start_date``, ``end_date``, ``hours``,
    ``class_status``, ``trainees`` (ACTIVE trainees of the filing). ``q`` matches 备案编号 or 职业（工种）."""
    in_training = (select(func.count()).select_from(Trainee)
                   .where(Trainee.filing_id == Filing.id, Trainee.status == TraineeStatus.ACTIVE)
                   .correlate(Filing).scalar_subquery())
    stmt = (select(TrainingClass.id.label("class_id"), Filing.id.label("filing_id"), Filing.filing_no,
                   Filing.programme, Filing.apprenticeship_type, TrainingClass.occupation_code,
                   Occupation.name.label("occupation_name"), TrainingClass.skill_level,
                   SkillLevel.name.label("level_name"), TrainingClass.start_date, TrainingClass.end_date,
                   TrainingClass.hours, TrainingClass.status.label("class_status"), in_training.label("trainees"))
            .select_from(TrainingClass)
            .join(Filing, Filing.id == TrainingClass.filing_id)
            .join(Occupation, Occupation.code == TrainingClass.occupation_code)
            .join(SkillLevel, SkillLevel.level == TrainingClass.skill_level)
            .where(scope_condition(Filing, actor), Filing.status == FilingStatus.APPROVED,
                   TrainingClass.status == ClassStatus.NORMAL))
    text = (q or "").strip()
    if text:
        stmt = stmt.where(or_(contains(Filing.filing_no, text), contains(Occupation.name, text),
                              contains(TrainingClass.occupation_code, text)))
    stmt = stmt.order_by(Filing.id.desc(), TrainingClass.id)
    return paginate(session, stmt, page, size, rows="mappings")


def class_period(start: date, end: date, day: date) -> str:
    """未开班 / 培训中 / 已结业 of a class on ``day`` (what decides 预拨 or 清算, R21)."""
    if day < start:
        return "NOT_STARTED"
    if day > end:
        return "ENDED"
    return "RUNNING"


PERIOD_LABELS = {"NOT_STARTED": _l("未开班"), "RUNNING": _l("培训中"), "ENDED": _l("已结业")}


# ---------------------------------------------------------------------------------------------------------
# 人员信息
# ---------------------------------------------------------------------------------------------------------


def _person_columns():
    return (SubsidyClaimPerson.id.label("person_id"), SubsidyClaimPerson.trainee_id, Trainee.name,
            Trainee.id_number, Trainee.status.label("trainee_status"), SubsidyClaimPerson.certificate_no,
            SubsidyClaimPerson.skill_level, SubsidyClaimPerson.amount, SubsidyClaimPerson.precheck,
            SubsidyClaimPerson.decision, SubsidyClaimPerson.approved_amount, SubsidyClaimPerson.decision_reason)


def _name_or_number(text: str):
    return or_(contains(Trainee.name, text), contains(Trainee.id_number, text.upper()))


def persons_page(session: Session, claim: SubsidyClaim, q: str, page: Any, size: int,
                 only_ids: Optional[Iterable[int]] = None) -> Page:
    """The claim's persons in the order they were added (mappings of ``_person_columns``); ``q`` matches 姓名 or
    身份证号码 (part of it); ``only_ids`` limits the list to those person ids (e.g. the failing ones)."""
    stmt = (select(*_person_columns()).select_from(SubsidyClaimPerson)
            .join(Trainee, Trainee.id == SubsidyClaimPerson.trainee_id)
            .where(SubsidyClaimPerson.subsidy_claim_id == claim.id))
    text = (q or "").strip()
    if text:
        stmt = stmt.where(_name_or_number(text))
    if only_ids is not None:
        stmt = stmt.where(SubsidyClaimPerson.id.in_(list(only_ids) or [0]))
    return paginate(session, stmt.order_by(SubsidyClaimPerson.id), page, size, rows="mappings")


def person_count(session: Session, claim: SubsidyClaim) -> int:
    return session.scalar(select(func.count()).select_from(SubsidyClaimPerson)
                          .where(SubsidyClaimPerson.subsidy_claim_id == claim.id)) or 0


def _not_in_claim(claim: SubsidyClaim):
    return ~exists().where(SubsidyClaimPerson.subsidy_claim_id == claim.id,
                           SubsidyClaimPerson.trainee_id == Trainee.id)


def picker_page(session: Session, claim: SubsidyClaim, q: str, page: Any, size: int) -> Page:
    """【新增】: trainees of the claim's filing not in the claim, in training first, as mappings (``trainee_id``,
    ``name``, ``id_number``, ``gender``, ``status``, ``lost_date``, ``hire_date``)."""
    stmt = (select(Trainee.id.label("trainee_id"), Trainee.name, Trainee.id_number, Trainee.gender, Trainee.status,
                   Trainee.lost_date, Trainee.hire_date)
            .where(Trainee.filing_id == claim.filing_id, _not_in_claim(claim)))
    text = (q or "").strip()
    if text:
        stmt = stmt.where(_name_or_number(text))
    stmt = stmt.order_by((Trainee.status != TraineeStatus.ACTIVE), Trainee.id)
    return paginate(session, stmt, page, size, rows="mappings")


def addable_count(session: Session, claim: SubsidyClaim) -> int:
    """Trainees in training of the claim's filing not in the claim yet (what 【全部添加在训人员】 would add)."""
    return session.scalar(select(func.count()).select_from(Trainee).where(
        Trainee.filing_id == claim.filing_id, Trainee.status == TraineeStatus.ACTIVE, _not_in_claim(claim))) or 0


# ---------------------------------------------------------------------------------------------------------
# 办理结果 (manual §3.2.3.2)
# ---------------------------------------------------------------------------------------------------------

FILTER_KEYS = ("stage", "status", "submitted_from", "submitted_to")
DATE_LABELS = {"submitted_from": _l("提交日期起"), "submitted_to": _l("提交日期止")}


@dataclass
class ClaimFilters:
    """The query conditions of 办理结果 as typed; a bad date is reported in ``errors`` (and left out)."""

    values: dict[str, str]
    days: dict[str, date] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> "ClaimFilters":
        values = {key: (args.get(key) or "").strip() for key in FILTER_KEYS}
        days, errors = parse_days(values, DATE_LABELS)
        if not errors and days.get("submitted_from") and days.get("submitted_to") \
                and days["submitted_from"] > days["submitted_to"]:
            errors["submitted_to"] = str(_l("提交日期止不能早于提交日期起"))
        return cls(values=values, days=days, errors=errors)

    def as_args(self) -> dict[str, str]:
        return {key: value for key, value in self.values.items() if value}

    def conditions(self) -> list:
        q = self.values
        out = []
        if q["stage"] in ClaimStage.codes():
            out.append(SubsidyClaim.stage == q["stage"])
        if q["status"] in ClaimStatus.codes():
            out.append(SubsidyClaim.status == q["status"])
        if not self.errors:
            out += timestamp_on_days(SubsidyClaim.submitted_at, self.days.get("submitted_from"),
                                     self.days.get("submitted_to"))
        return out


def results_page(session: Session, actor: Actor, filters: ClaimFilters, page: Any,
                 size: int = PAGE_SIZES[0]) -> Page:
    """The actor's claims matching ``filters``, newest first, as rows ``(claim, filing_no, occupation_name,
    level_name, start_date, end_date, persons)`` — COUNT + one SELECT."""
    persons = (select(func.count()).select_from(SubsidyClaimPerson)
               .where(SubsidyClaimPerson.subsidy_claim_id == SubsidyClaim.id)
               .correlate(SubsidyClaim).scalar_subquery())
    stmt = (select(SubsidyClaim, Filing.filing_no, Occupation.name.label("occupation_name"),
                   SkillLevel.name.label("level_name"), TrainingClass.start_date, TrainingClass.end_date,
                   persons.label("persons"))
            .select_from(SubsidyClaim)
            .join(Filing, Filing.id == SubsidyClaim.filing_id)
            .outerjoin(TrainingClass, TrainingClass.id == SubsidyClaim.training_class_id)
            .outerjoin(Occupation, Occupation.code == TrainingClass.occupation_code)
            .outerjoin(SkillLevel, SkillLevel.level == TrainingClass.skill_level)
            .where(scope_condition(SubsidyClaim, actor), *filters.conditions())
            .order_by(SubsidyClaim.id.desc()))
    count = select(func.count()).select_from(SubsidyClaim).where(scope_condition(SubsidyClaim, actor),
                                                                 *filters.conditions())
    return paginate(session, stmt, page, size, count, rows="rows")
