"""培训情况跟踪 and 查看考勤 read side (manual §3.2.1.5 / §3.2.2.5, R24): SQL aggregates only, no attendance row
is loaded into Python except the drill-down page of one person's check-ins.

Definitions (R24 "attendance rate of a person = attended hours / hours of that person's courses that have ended"):

- a course has **ended** when it is CONFIGURED and its ``end_date`` < today (Asia/Shanghai, ``core.clock.today``);
  unconfigured, cancelled and running courses never count;
- a **trainee's courses** are the courses of the class (trainees belong to the class's filing); a LOST trainee's
  courses are only those that started on or before the ``lost_date`` (the rest is not theirs any more);
- a **teacher's courses** are the courses of the class whose ``teacher_id`` is that teacher;
- **due hours** = the sum of ``hours`` of the person's ended courses;
- **attended hours** = the sum of ``hours`` of the person's ended courses on which the person has at least one
  check-in record; several records of one person on one course (repeats, check-in and check-out pairs) count the
  course once, a check-in on a course that is not the person's counts nothing;
- **rate** = attended / due (``None`` while due is 0); worst first means lowest rate first, ``None`` last;
- per course: **expected** = the trainees due on it, **present** = those of them with a check-in; courses are
  listed once they have started (start_date ≤ today), rate = present / expected;
- the **class rate** (tracking list) = the sum of the trainees' attended hours / the sum of their due hours.

Statements: the tracking list is a COUNT, the page and one aggregate over the page's classes (3, whatever the page
size); each 查看考勤 tab is a COUNT and one aggregate page (the attendance probes are correlated ``EXISTS`` on
``attendance (course_id, trainee_id)`` / ``(course_id, teacher_id)``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Mapping, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from core.clock import today
from models.enums import ClassStatus, CourseStatus, FilingStatus, TraineeStatus
from models.filing import Attendance, Course, Filing, Teacher, Trainee, TrainingClass
from models.lookups import Occupation, SkillLevel
from models.scope import Actor, scope_condition
from actions.attendance_rates import (  # noqa: F401  (R24 definitions shared with the claims' pre-checks)
    _due,
    _ended,
    _teacher_checked_in,
    _trainee_checked_in,
    rate,
    trainee_hours_stmt,
)
from queries.paging import Page, paginate
from queries.search import contains, parse_days

PAGE_SIZE = 10
TAB_PAGE_SIZE = 20
RECORD_PAGE_SIZE = 20
#: Filings whose classes are tracked: in training, or cancelled (R18) — never drafts or filings under review.
TRACKED_FILINGS = (FilingStatus.APPROVED, FilingStatus.CANCELLED)
FILTER_KEYS = ("filing_no", "occupation", "period_from", "period_to", "status")
DATE_LABELS = {"period_from": _l("培训期间起"), "period_to": _l("培训期间止")}


def _worst_first(attended, due):
    """ORDER BY of a summary: lowest rate first, nothing due last."""
    ratio = case((due > 0, attended * literal(1.0) / due), else_=None)
    return ratio.asc().nulls_last()


# ---------------------------------------------------------------------------------------------------------------
# 培训情况跟踪: the list of classes
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class TrackingFilters:
    """The search form: 备案编号, 职业, 培训期间 (classes overlapping it), 状态 (class status)."""

    programme: Optional[str]
    values: dict[str, str]
    days: dict[str, date] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, programme: Optional[str], args: Mapping[str, Any]) -> "TrackingFilters":
        values = {key: (args.get(key) or "").strip()[:64] for key in FILTER_KEYS}
        days, errors = parse_days(values, DATE_LABELS)
        return cls(programme=programme, values=values, days=days, errors=errors)

    def as_args(self) -> dict[str, str]:
        return {key: value for key, value in self.values.items() if value}

    def conditions(self) -> list:
        q = self.values
        out = [Filing.status.in_(TRACKED_FILINGS)]
        if self.programme:
            out.append(Filing.programme == self.programme)
        if q["filing_no"]:
            out.append(contains(Filing.filing_no, q["filing_no"].upper()))
        if q["occupation"]:
            out.append(TrainingClass.occupation_code == q["occupation"])
        if q["status"] in ClassStatus.codes():
            out.append(TrainingClass.status == q["status"])
        if "period_from" in self.days:
            out.append(TrainingClass.end_date >= self.days["period_from"])
        if "period_to" in self.days:
            out.append(TrainingClass.start_date <= self.days["period_to"])
        return out


def _headcount(status: str):
    return (select(func.count()).select_from(Trainee)
            .where(Trainee.filing_id == TrainingClass.filing_id, Trainee.status == status).scalar_subquery())


def _courses(*conditions):
    return (select(func.count()).select_from(Course)
            .where(Course.training_class_id == TrainingClass.id, *conditions).scalar_subquery())


def tracking_page(session: Session, actor: Actor, filters: TrackingFilters, page: Any,
                  page_size: int = PAGE_SIZE) -> Page:
    """The actor's tracked classes (APPROVED / CANCELLED filings) matching ``filters``, newest approval first; each
    item a dict with the class, its filing's number/status/programme, 职业/等级 names, headcount (planned, active,
    lost), courses (configured, all) and the class attendance rate. Three statements whatever the page size."""
    conditions = [scope_condition(Filing, actor), *filters.conditions()]
    stmt = (select(TrainingClass.id, TrainingClass.filing_id, TrainingClass.start_date, TrainingClass.end_date,
                   TrainingClass.planned_headcount, TrainingClass.status, TrainingClass.hours,
                   Filing.filing_no, Filing.programme, Filing.status.label("filing_status"),
                   Occupation.name.label("occupation"), SkillLevel.name.label("level"),
                   _headcount(TraineeStatus.ACTIVE).label("active"), _headcount(TraineeStatus.LOST).label("lost"),
                   _courses(Course.status == CourseStatus.CONFIGURED).label("configured"),
                   _courses().label("courses"))
            .join(Filing, Filing.id == TrainingClass.filing_id)
            .join(Occupation, Occupation.code == TrainingClass.occupation_code)
            .join(SkillLevel, SkillLevel.level == TrainingClass.skill_level)
            .where(*conditions)
            .order_by(Filing.approved_at.desc().nulls_last(), Filing.id.desc(), TrainingClass.id))
    count = (select(func.count()).select_from(TrainingClass).join(Filing, Filing.id == TrainingClass.filing_id)
             .where(*conditions))
    result = paginate(session, stmt, page, page_size, count, rows="mappings")
    rates = class_rates(session, [row["id"] for row in result.items])
    items = []
    for row in result.items:
        attended, due = rates.get(row["id"], (0, 0))
        items.append({**row, "attended_hours": attended, "due_hours": due, "rate": rate(attended, due)})
    result.items = items
    return result


def class_rates(session: Session, class_ids: list[int], day: Optional[date] = None) -> dict[int, tuple[int, int]]:
    """``{class id: (attended hours, due hours)}`` summed over the classes' trainees (one statement)."""
    if not class_ids:
        return {}
    day = day or today()
    attended = func.sum(case((_trainee_checked_in(Trainee), Course.hours), else_=0))
    stmt = (select(Course.training_class_id, attended, func.sum(Course.hours))
            .join(TrainingClass, TrainingClass.id == Course.training_class_id)
            .join(Trainee, and_(Trainee.filing_id == TrainingClass.filing_id, _due(Trainee)))
            .where(Course.training_class_id.in_(class_ids), _ended(day))
            .group_by(Course.training_class_id))
    return {cid: (int(a or 0), int(d or 0)) for cid, a, d in session.execute(stmt)}


# ---------------------------------------------------------------------------------------------------------------
# 查看考勤: the three tabs of one class
# ---------------------------------------------------------------------------------------------------------------


def trainee_summary_stmt(training_class: TrainingClass, day: Optional[date] = None):
    """培训学员考勤: per trainee of the class's filing — id, name, id_number, status, attended, due; worst first."""
    stmt = trainee_hours_stmt(training_class, day)
    return stmt.order_by(_worst_first(stmt.selected_columns.attended, stmt.selected_columns.due), Trainee.name,
                         Trainee.id)


def teacher_summary_stmt(training_class: TrainingClass, day: Optional[date] = None):
    """培训教师考勤: per teacher of the class's (not cancelled) courses — attended and due hours; worst first."""
    day = day or today()
    ended = _ended(day)
    attended = func.sum(case((and_(ended, _teacher_checked_in(Teacher.id)), Course.hours), else_=0))
    due = func.sum(case((ended, Course.hours), else_=0))
    return (select(Teacher.id, Teacher.name, Teacher.id_number, Teacher.kind, attended.label("attended"),
                   due.label("due"))
            .join(Course, Course.teacher_id == Teacher.id)
            .where(Course.training_class_id == training_class.id, Course.status != CourseStatus.CANCELLED)
            .group_by(Teacher.id, Teacher.name, Teacher.id_number, Teacher.kind)
            .order_by(_worst_first(attended, due), Teacher.name, Teacher.id))


def course_summary_stmt(training_class: TrainingClass, day: Optional[date] = None):
    """培训课程考勤: per started course — present / expected trainees, teacher checked in; worst first."""
    day = day or today()
    t = aliased(Trainee)
    expected = (select(func.count()).select_from(t)
                .where(t.filing_id == training_class.filing_id, _due(t)).correlate(Course).scalar_subquery())
    present = (select(func.count()).select_from(t)
               .where(t.filing_id == training_class.filing_id, _due(t), _trainee_checked_in(t))
               .correlate(Course).scalar_subquery())
    teacher_present = case((Course.teacher_id.is_(None), None),
                           else_=case((_teacher_checked_in(Course.teacher_id), 1), else_=0))
    inner = (select(Course.id, Course.name, Course.hours, Course.start_date, Course.end_date, Course.start_time,
                    Course.end_time, Course.teacher_id, Teacher.name.label("teacher"),
                    present.label("present"), expected.label("expected"),
                    teacher_present.label("teacher_present"),
                    (Course.end_date < day).label("ended"))
             .outerjoin(Teacher, Teacher.id == Course.teacher_id)
             .where(Course.training_class_id == training_class.id, Course.status == CourseStatus.CONFIGURED,
                    Course.start_date <= day)
             .subquery())
    return select(inner).order_by(_worst_first(inner.c.present, inner.c.expected), inner.c.start_date, inner.c.id)


def _trainee_row(row) -> dict:
    return {"trainee_id": row["id"], "name": row["name"], "id_number": row["id_number"], "status": row["status"],
            "attended_hours": int(row["attended"] or 0), "due_hours": int(row["due"] or 0),
            "rate": rate(row["attended"], row["due"])}


def _teacher_row(row) -> dict:
    return {"teacher_id": row["id"], "name": row["name"], "id_number": row["id_number"], "kind": row["kind"],
            "attended_hours": int(row["attended"] or 0), "due_hours": int(row["due"] or 0),
            "rate": rate(row["attended"], row["due"])}


def _course_row(row) -> dict:
    return {"course_id": row["id"], "name": row["name"], "hours": row["hours"], "start_date": row["start_date"],
            "end_date": row["end_date"], "start_time": row["start_time"], "end_time": row["end_time"],
            "teacher_id": row["teacher_id"], "teacher": row["teacher"],
            "teacher_present": None if row["teacher_present"] is None else bool(row["teacher_present"]),
            "ended": bool(row["ended"]), "present": int(row["present"] or 0), "expected": int(row["expected"] or 0),
            "rate": rate(row["present"], row["expected"])}


TABS = {
    "teachers": (teacher_summary_stmt, _teacher_row, lambda c: (
        select(func.count(func.distinct(Course.teacher_id))).where(
            Course.training_class_id == c.id, Course.status != CourseStatus.CANCELLED))),
    "trainees": (trainee_summary_stmt, _trainee_row, lambda c: (
        select(func.count()).select_from(Trainee).where(Trainee.filing_id == c.filing_id))),
    "courses": (course_summary_stmt, _course_row, None),
}


def tab_page(session: Session, training_class: TrainingClass, tab: str, page: Any,
             page_size: int = TAB_PAGE_SIZE, day: Optional[date] = None) -> Page:
    """One page of a 查看考勤 tab (``teachers`` / ``trainees`` / ``courses``): a COUNT and the aggregate page."""
    make, shape, count = TABS[tab]
    day = day or today()
    if count is None:
        count_stmt = select(func.count()).select_from(Course).where(
            Course.training_class_id == training_class.id, Course.status == CourseStatus.CONFIGURED,
            Course.start_date <= day)
    else:
        count_stmt = count(training_class)
    result = paginate(session, make(training_class, day), page, page_size, count_stmt, rows="mappings")
    result.items = [shape(row) for row in result.items]
    return result


def tab_rows(session: Session, training_class: TrainingClass, tab: str, day: Optional[date] = None) -> list[dict]:
    """Every row of a tab, worst first (the API and the xlsx export): one statement."""
    make, shape, _ = TABS[tab]
    return [shape(row) for row in session.execute(make(training_class, day)).mappings()]


def class_summary(session: Session, training_class: TrainingClass, day: Optional[date] = None) -> dict:
    """``GET /api/v1/training_class/<pk>/attendance``: the three tabs, whole (three statements)."""
    trainees = [{k: r[k] for k in ("trainee_id", "name", "attended_hours", "due_hours", "rate")}
                for r in tab_rows(session, training_class, "trainees", day)]
    teachers = [{k: r[k] for k in ("teacher_id", "name", "attended_hours", "due_hours", "rate")}
                for r in tab_rows(session, training_class, "teachers", day)]
    courses = [{k: r[k] for k in ("course_id", "name", "present", "expected", "rate")}
               for r in tab_rows(session, training_class, "courses", day)]
    return {"trainees": trainees, "teachers": teachers, "courses": courses}


# ---------------------------------------------------------------------------------------------------------------
# Drill-down: one person's check-in records on a class
# ---------------------------------------------------------------------------------------------------------------


def records_page(session: Session, training_class: TrainingClass, role: str, person_id: int, page: Any,
                 page_size: int = RECORD_PAGE_SIZE) -> Page:
    """A trainee's or teacher's (``role`` ``trainee`` / ``teacher``) check-ins on the class's courses, newest first:
    course, check-in, check-out, source (and device when the attendance table records one). COUNT + page."""
    person = Attendance.trainee_id if role == "trainee" else Attendance.teacher_id
    device = getattr(Attendance, "device_id", None)
    columns = [Attendance.id, Attendance.check_in, Attendance.check_out, Attendance.source,
               Course.id.label("course_id"), Course.name.label("course"), Course.start_date.label("course_date"),
               (device if device is not None else literal(None)).label("device_id")]
    conditions = [Course.training_class_id == training_class.id, person == person_id]
    stmt = (select(*columns).join(Course, Course.id == Attendance.course_id).where(*conditions)
            .order_by(Attendance.check_in.desc().nulls_last(), Attendance.id.desc()))
    count = select(func.count()).select_from(Attendance).join(Course, Course.id == Attendance.course_id) \
        .where(*conditions)
    return paginate(session, stmt, page, page_size, count, rows="mappings")
