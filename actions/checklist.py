"""提交审核 (R11, with R3 and R9 re-checked): the checklist the 提交审核 page and ``GET …/checklist`` show, item by
item, and the guard of the filing table's ``submit`` row. Set-based: no trainee row is loaded, whatever the size.

Issue 12: a trainee under 16 on the class start is refused (《劳动法》第十五条; also at save and at approval), and
soft ``warnings`` — over 60, a class already over, course hours below the class hours, fewer trainees than planned —
are shown to the enterprise (提交审核) and to the reviewer (备案审核 detail) but never refuse anything."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.filings import (
    CHILD_KINDS,
    MIN_WORKING_AGE,
    R9_CONFLICT,
    RECOGNITION_MISSING,
    active_id_numbers,
    age_on,
    conflicting_id_numbers,
    filing_period,
    has_valid_recognition,
    lock_persons,
    requires_recognition,
    rules_for,
    under_age_message,
)
from actions.specs import CHILD_SPECS
from core.clock import add_years, today
from core.errors import FieldError, ValidationFailed
from models.enums import AttachmentKind as AK
from models.enums import ClassStatus, CourseMode, CourseStatus, FilingStatus, TraineeStatus
from models.filing import Course, Filing, Trainee, TrainingClass
from models.scope import Actor, load_scoped



@dataclass
class ChecklistItem:
    code: str
    label: str
    ok: bool
    message: str = ""
    tab: str = "info"

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "ok": self.ok, "message": self.message, "tab": self.tab}


@dataclass
class FilingWarning:
    """A soft warning (issue 12): shown to both sides, refuses nothing. ``rows``: the rows concerned (at most
    ``NAMES_SHOWN``), each ``{"id", "name"}`` (+ ``"age"`` for trainees); None when no row is concerned."""

    code: str
    message: str
    rows: Optional[list[dict]] = None

    def as_dict(self) -> dict:
        out = {"code": self.code, "message": self.message}
        if self.rows is not None:
            out["rows"] = self.rows
        return out


@dataclass
class Checklist:
    items: list[ChecklistItem] = field(default_factory=list)
    missing_attachment_kinds: list[str] = field(default_factory=list)
    warnings: list[FilingWarning] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return all(item.ok for item in self.items)

    def add(self, code: str, label: Any, problems: list, tab: str) -> None:
        self.items.append(ChecklistItem(code, str(label), not problems, "；".join(str(p) for p in problems), tab))

    def as_dict(self) -> dict:
        return {"ready": self.ready, "items": [i.as_dict() for i in self.items],
                "missing_attachment_kinds": self.missing_attachment_kinds,
                "warnings": [w.as_dict() for w in self.warnings]}


def _revalidate(session: Session, filing: Filing, kind: str, row: Any, **kw) -> list[str]:
    """The problems of a stored row under today's rules (the same cleaner as the forms, fed the row's values)."""
    data = {name: getattr(row, name, None) for name in CHILD_SPECS[kind].form_fields()}
    try:
        CHILD_KINDS[kind].clean(session, filing, data, pk=row.id, **kw)
    except ValidationFailed as exc:
        return [str(e.message) for e in exc.errors]
    return []


# ---- issue 12: the under-16 refusal and the soft warnings (set-based: a filing may have 10,000 trainees) ------

NAMES_SHOWN = 20  # a message names at most this many people, then "等 N 人" (classes are few: all named)
OLD_AGE = 60  # 年满60周岁 on the class start: a warning (statutory retirement age), never a refusal
# Warnings concern a filing not yet decided: once approved, a class being over is the normal course of things.
WARNED_STATES = frozenset({FilingStatus.DRAFT, FilingStatus.RETURNED, FilingStatus.SUBMITTED})


def _first_start(filing: Filing) -> Optional[date]:
    """The earliest start of the filing's normal classes: the day the age rules look at."""
    return filing_period(filing)[0]


def _trainees_born(session: Session, filing: Filing, condition: Any) -> tuple[list, int]:
    """The first ``NAMES_SHOWN`` active trainees whose birth date meets ``condition``, and how many do (2 queries)."""
    where = (Trainee.filing_id == filing.id, Trainee.status == TraineeStatus.ACTIVE, condition)
    total = session.scalar(select(func.count()).select_from(Trainee).where(*where)) or 0
    if not total:
        return [], 0
    rows = session.execute(select(Trainee.id, Trainee.name, Trainee.birth_date).where(*where)
                           .order_by(Trainee.id).limit(NAMES_SHOWN)).all()
    return list(rows), total


def _name_list(names: list[str], total: int) -> str:
    """"张三、李四" — or "张三、李四…等 25 人" when more matched than are named."""
    text = "、".join(names)
    return text if total <= len(names) else str(_l("%(names)s等 %(n)d 人", names=text, n=total))


def _people(rows: list, start: date) -> list[dict]:
    return [{"id": pk, "name": name, "age": age_on(birth, start)} for pk, name, birth in rows]


def _aged(people: list[dict]) -> list[str]:
    return [str(_l("%(name)s（%(age)d周岁）", name=p["name"], age=p["age"])) for p in people]


def under_age_problem(session: Session, filing: Filing) -> Optional[str]:
    """The refusal of the filing's active trainees under 16 on its earliest class start (《劳动法》第十五条), or None.

    Checked at every save of a trainee (``clean_trainee``), here at submission and again at approval: a class
    start may have moved since the trainee was saved.
    """
    start = _first_start(filing)
    if start is None:
        return None
    rows, total = _trainees_born(session, filing, Trainee.birth_date > add_years(start, -MIN_WORKING_AGE))
    if not total:
        return None
    return str(under_age_message(_name_list(_aged(_people(rows, start)), total), start))


def _class_name(cls: TrainingClass) -> str:
    return f"{cls.occupation.name}（{cls.start_date}～{cls.end_date}）"


def filing_warnings(session: Session, filing: Filing, *, active: Optional[int] = None) -> list[FilingWarning]:
    """What is worth a second look before the decision but refuses nothing (issue 12), for a filing not yet
    decided: trainees 年满60周岁 on the class start, classes already over, course hours below the class hours
    (types with courses), fewer active trainees than planned. ``active``: the active trainee count if known."""
    classes = [c for c in filing.classes if c.status == ClassStatus.NORMAL]
    if filing.status not in WARNED_STATES or not classes:
        return []
    warnings: list[FilingWarning] = []
    start = min(c.start_date for c in classes)
    rows, total = _trainees_born(session, filing, Trainee.birth_date <= add_years(start, -OLD_AGE))
    if total:
        people = _people(rows, start)
        warnings.append(FilingWarning("trainee_over_60", str(_l(
            "以下培训人员在培训开始日期（%(start)s）已年满60周岁，请核对是否适合参加学徒制培训：%(names)s",
            start=start.isoformat(), names=_name_list(_aged(people), total))), people))
    ended = [c for c in classes if c.end_date < today()]
    if ended:
        warnings.append(FilingWarning("class_ended", str(_l(
            "以下培训信息的培训结束日期已过：%(classes)s", classes="、".join(_class_name(c) for c in ended))),
            [{"id": c.id, "name": _class_name(c)} for c in ended]))
    if rules_for(filing).has_courses:
        totals = dict(session.execute(
            select(Course.training_class_id, func.coalesce(func.sum(Course.hours), 0))
            .where(Course.training_class_id.in_([c.id for c in classes]), Course.status != CourseStatus.CANCELLED)
            .group_by(Course.training_class_id)).all())
        short = [(c, int(totals.get(c.id, 0))) for c in classes if int(totals.get(c.id, 0)) < c.hours]
        if short:
            warnings.append(FilingWarning("course_hours", "；".join(str(_l(
                "培训信息“%(cls)s”的培训课程课时合计 %(sum)d，少于培训课时 %(hours)d", cls=_class_name(c), sum=hours,
                hours=c.hours)) for c, hours in short), [{"id": c.id, "name": _class_name(c)} for c, _hours in short]))
    if active is None:
        active = session.scalar(select(func.count()).select_from(Trainee).where(
            Trainee.filing_id == filing.id, Trainee.status == TraineeStatus.ACTIVE)) or 0
    planned = sum(c.planned_headcount for c in classes)
    if 0 < active < planned:  # none at all is a checklist problem, not a warning
        warnings.append(FilingWarning("headcount", str(_l(
            "在训培训人员 %(n)d 人，少于计划培训人数 %(p)d 人", n=active, p=planned))))
    return warnings


def review_warnings(session: Session, filing: Filing) -> list[FilingWarning]:
    """The reviewer's panel on the detail page: the warnings, and first the under-16 refusal that 通过 would meet
    (code ``trainee_under_16``) — e.g. a filing submitted before the rule existed."""
    if filing.status not in WARNED_STATES:
        return []
    under_age = under_age_problem(session, filing)
    head = [FilingWarning("trainee_under_16", str(_l("%(problem)s；不能审核通过，请退回企业处理",
                                                     problem=under_age)))] if under_age else []
    return head + filing_warnings(session, filing)


def build_checklist(session: Session, filing: Filing) -> Checklist:
    """Everything 提交审核 requires, item by item, so the page and the API can list *all* problems at once."""
    rules = rules_for(filing)
    result = Checklist()

    problems = []
    if requires_recognition(filing.programme, filing.apprenticeship_type) and not has_valid_recognition(
        session, filing.enterprise_id, filing.city_code
    ):
        problems.append(RECOGNITION_MISSING)  # R3 is re-checked at submission
    if not filing.contact_name or not filing.contact_phone:
        problems.append(_l("请填写备案联系人和联系电话"))
    result.add("info", _l("备案信息"), problems, "info")

    problems = []
    if filing.institution_id is None and not filing.other_institution_name:
        problems.append(_l("请选择合作培训机构（或填写其他培训机构名称）"))
    result.add("institution", _l("培训机构情况"), problems, "institution")

    problems = []
    classes = [c for c in filing.classes if c.status == ClassStatus.NORMAL]
    if not classes:
        problems.append(_l("请至少填写一条培训信息"))
    if rules.single_class and len(classes) > 1:
        problems.append(_l("学生学徒制一次备案只允许一条培训信息"))
    for c in classes:
        problems += _revalidate(session, filing, "training_class", c, row_count=0)
    result.add("training_class", _l("培训信息"), problems, "classes")

    problems = []
    if not [t for t in filing.teachers if t.active]:
        problems.append(_l("请至少填写一名培训师资"))
    result.add("teacher", _l("培训师资信息"), problems, "teachers")

    problems = []
    # Set-based, no row loaded (R9 and the head count are SQL over the filing's active trainees): every trainee
    # row was cleaned when it was saved (form, API or import) and none of its field rules depends on anything
    # that can change later; one person twice in a filing is refused by a unique constraint.
    active = session.scalar(select(func.count()).select_from(Trainee).where(
        Trainee.filing_id == filing.id, Trainee.status == TraineeStatus.ACTIVE)) or 0
    if not active:
        problems.append(_l("请至少填写一名培训人员"))
    planned = sum(c.planned_headcount for c in classes)
    if classes and active > planned:
        problems.append(_l("培训人员 %(n)d 人，超过计划培训人数 %(p)d 人", n=active, p=planned))
    conflicts = conflicting_id_numbers(session, filing)
    if conflicts:
        names = session.execute(select(Trainee.name, Trainee.id_number).where(
            Trainee.filing_id == filing.id, Trainee.id_number.in_(conflicts)).order_by(Trainee.id)).all()
        problems += [f"{name}：{R9_CONFLICT}" for name, _number in names]
    under_age = under_age_problem(session, filing)
    if under_age:
        problems.append(under_age)
    result.add("trainee", _l("培训人员信息"), problems, "trainees")

    if rules.has_courses:
        problems = []
        courses = [c for cls in classes for c in cls.courses]
        if not courses:
            problems.append(_l("请至少新增一门培训课程"))
        for course in courses:
            if course.mode == CourseMode.OFFLINE and course.teacher_id is None:
                problems.append(_l("课程“%(name)s”为线下培训，须指定授课教师", name=course.name))
        result.add("course", _l("培训课程信息"), problems, "courses")

    present = {a.kind for a in filing.attachments}
    missing = [kind for kind in rules.required_attachments if kind not in present]
    result.missing_attachment_kinds = missing
    result.add("attachment", _l("上传材料"),
               [_l("缺少材料：%(kind)s", kind=AK.label(kind)) for kind in missing], "attachments")
    result.warnings = filing_warnings(session, filing, active=active)
    return result


def checklist(session: Session, actor: Actor, filing_id: Any) -> Checklist:
    """The submit checklist of a filing in scope (shown on the 提交审核 page and at GET …/checklist)."""
    return build_checklist(session, load_scoped(session, Filing, filing_id, actor))


def submit_guard(session: Session, actor: Actor, filing: Filing, values: dict) -> None:
    """提交审核 requires every checklist item (R11; R3 and R9 re-checked).

    :raises ValidationFailed: the checklist has problems (each item listed).
    """
    lock_persons(session, active_id_numbers(session, filing))  # R9 under concurrency: see lock_persons
    result = build_checklist(session, filing)
    if not result.ready:
        errors = [FieldError(item.code, f"{item.label}：{item.message}") for item in result.items if not item.ok]
        raise ValidationFailed(errors, _l("还有 %(n)d 项未完成，不能提交审核", n=len(errors)))


