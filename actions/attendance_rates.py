"""R24 attendance hours as SQL expressions, shared by 查看考勤 (``queries.attendance``) and the subsidy claims'
pre-checks (``actions.subsidies.prechecks``, R21). The definitions (what "ended", "due" and "attended" mean) are in
``queries/attendance.py``'s docstring.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

from sqlalchemy import and_, case, exists, func, or_, select

from core.clock import today
from models.enums import CourseStatus, TraineeStatus
from models.filing import Attendance, Course, Trainee, TrainingClass


def rate(attended: Any, due: Any) -> Optional[float]:
    """``attended / due`` as a fraction 0..1 (4 decimals), ``None`` when nothing is due."""
    if not due:
        return None
    return float((Decimal(int(attended or 0)) / Decimal(int(due))).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def _ended(day: date):
    return and_(Course.status == CourseStatus.CONFIGURED, Course.end_date < day)


def _due(trainee, course=Course):
    """The trainee is expected at the course (R24: a lost trainee only at courses started by the lost date)."""
    return or_(trainee.status != TraineeStatus.LOST,
               and_(trainee.lost_date.is_not(None), course.start_date <= trainee.lost_date))


def _trainee_checked_in(trainee, course=Course):
    # correlate_except: the course may be two levels up (the 培训课程考勤 counts)
    return exists().where(Attendance.course_id == course.id, Attendance.trainee_id == trainee.id) \
        .correlate_except(Attendance)


def _teacher_checked_in(teacher_id, course=Course):
    return exists().where(Attendance.course_id == course.id, Attendance.teacher_id == teacher_id) \
        .correlate_except(Attendance)


def trainee_hours_stmt(training_class: TrainingClass, day: Optional[date] = None):
    """Per trainee of the class's filing: id, name, id_number, status, attended and due hours (unordered)."""
    day = day or today()
    course_due = and_(Course.training_class_id == training_class.id, _ended(day), _due(Trainee))
    attended = func.coalesce(func.sum(case((_trainee_checked_in(Trainee), Course.hours), else_=0)), 0)
    due = func.coalesce(func.sum(Course.hours), 0)
    return (select(Trainee.id, Trainee.name, Trainee.id_number, Trainee.status, attended.label("attended"),
                   due.label("due"))
            .outerjoin(Course, course_due)
            .where(Trainee.filing_id == training_class.filing_id)
            .group_by(Trainee.id, Trainee.name, Trainee.id_number, Trainee.status))


def class_trainee_hours_stmt(day: Optional[date] = None):
    """``trainee_hours_stmt`` for every class at once: per (class, trainee of the class's filing) the
    training_class_id, trainee_id, the trainee's status, attended and due hours (unordered; the caller narrows the
    classes with a WHERE on ``TrainingClass`` / a joined ``Filing``). 统计分析's class figures are built on it."""
    day = day or today()
    course_due = and_(Course.training_class_id == TrainingClass.id, _ended(day), _due(Trainee))
    attended = func.coalesce(func.sum(case((_trainee_checked_in(Trainee), Course.hours), else_=0)), 0)
    due = func.coalesce(func.sum(Course.hours), 0)
    return (select(TrainingClass.id.label("training_class_id"), Trainee.id.label("trainee_id"),
                   Trainee.status.label("status"), attended.label("attended"), due.label("due"))
            .select_from(TrainingClass)
            .join(Trainee, Trainee.filing_id == TrainingClass.filing_id)
            .outerjoin(Course, course_due)
            .group_by(TrainingClass.id, Trainee.id, Trainee.status))
