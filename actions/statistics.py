"""统计分析's pre-aggregate (models/statistics.py): rebuild the class figures.

``refresh_class_figures(session)`` recomputes, in set-based statements (DELETE, one INSERT … SELECT), one row per
class of an APPROVED or CANCELLED filing (培训情况跟踪's classes): its filing's city, occupation, level, period and
status, its trainees 在训 / 流失, and how many of them fall in each R24 attendance-rate bucket — the rate of the one
definition in ``actions.attendance_rates`` (``class_trainee_hours_stmt``, the statement 查看考勤 uses per class).
Derived data, not a business write: not audited; the caller commits (readers see the old or the new figures).
Run nightly after midnight Asia/Shanghai: ``flask --app app statistics refresh``.
"""
from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from actions.attendance_rates import class_trainee_hours_stmt
from models.base import utcnow
from models.enums import FilingStatus, TraineeStatus
from models.filing import Filing, TrainingClass
from models.statistics import ClassFigures, RateBucket, StatisticsRefresh

CLASS_FIGURES = "statistics_class"
#: The filings whose classes are tracked (培训情况跟踪's, queries/attendance.py TRACKED_FILINGS).
TRACKED_FILINGS = (FilingStatus.APPROVED, FilingStatus.CANCELLED)


def rate_bucket(attended, due):
    """The bucket of ``attended / due`` as a SQL CASE, in integer arithmetic (no float rounding at a boundary)."""
    return case(
        (due <= 0, literal(RateBucket.NONE)),
        (attended * 10 < due * 6, literal(RateBucket.BELOW_60)),
        (attended * 10 < due * 8, literal(RateBucket.FROM_60)),
        (attended * 10 < due * 9, literal(RateBucket.FROM_80)),
        (attended < due, literal(RateBucket.FROM_90)),
        else_=literal(RateBucket.FULL),
    )


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def refresh_class_figures(session: Session, day: Optional[date] = None) -> int:
    """Rebuild ``statistics_class`` as of ``day`` (default today); returns the number of rows (classes)."""
    hours = (class_trainee_hours_stmt(day)
             .join(Filing, Filing.id == TrainingClass.filing_id)
             .where(Filing.status.in_(TRACKED_FILINGS))
             .subquery())
    per_trainee = select(hours.c.training_class_id, hours.c.status,
                         rate_bucket(hours.c.attended, hours.c.due).label("bucket")).subquery()
    counts = (select(per_trainee.c.training_class_id,
                     _count_if(per_trainee.c.status == TraineeStatus.ACTIVE).label("active"),
                     _count_if(per_trainee.c.status == TraineeStatus.LOST).label("lost"),
                     *[_count_if(per_trainee.c.bucket == code).label(column)
                       for code, column in RateBucket.COLUMNS.items()])
              .group_by(per_trainee.c.training_class_id)
              .subquery())
    zero = literal(0)
    classes = (select(TrainingClass.id, Filing.city_code, TrainingClass.occupation_code, TrainingClass.skill_level,
                      TrainingClass.start_date, TrainingClass.end_date, TrainingClass.status,
                      func.coalesce(counts.c.active, zero), func.coalesce(counts.c.lost, zero),
                      *[func.coalesce(counts.c[column], zero) for column in RateBucket.COLUMNS.values()])
               .join(Filing, Filing.id == TrainingClass.filing_id)
               .outerjoin(counts, counts.c.training_class_id == TrainingClass.id)  # a class without trainees
               .where(Filing.status.in_(TRACKED_FILINGS)))
    columns = ["training_class_id", "city_code", "occupation_code", "skill_level", "start_date", "end_date",
               "class_status", "active", "lost", *RateBucket.COLUMNS.values()]
    session.execute(delete(ClassFigures))
    session.execute(insert(ClassFigures).from_select(columns, classes))
    rows = session.scalar(select(func.count()).select_from(ClassFigures)) or 0
    stamp = session.get(StatisticsRefresh, CLASS_FIGURES)
    if stamp is None:
        stamp = StatisticsRefresh(name=CLASS_FIGURES)
        session.add(stamp)
    stamp.refreshed_at, stamp.row_count = utcnow(), rows
    session.flush()
    return rows
