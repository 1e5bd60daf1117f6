"""统计分析's pre-aggregate (models/statistics.py): rebuild the attendance-rate distribution per class.

``refresh_attendance_buckets(session)`` recomputes, in two set-based statements (DELETE, INSERT … SELECT), how many
trainees of each tracked class (filing APPROVED or CANCELLED, as 培训情况跟踪) fall in each R24 rate bucket, with the
one rate definition of ``actions.attendance_rates`` (``class_trainee_hours_stmt``). Derived data, not a business
write: not audited; the caller commits. Run nightly after midnight Asia/Shanghai (``flask --app app statistics
refresh``; a course counts once it has ended, i.e. as of "today").
"""
from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from actions.attendance_rates import class_trainee_hours_stmt
from models.base import utcnow
from models.enums import FilingStatus
from models.filing import Filing, TrainingClass
from models.statistics import AttendanceRateBucket, RateBucket, StatisticsRefresh

ATTENDANCE_BUCKETS = "attendance_rate_distribution"
#: The filings whose classes have attendance (培训情况跟踪's, queries/attendance.py TRACKED_FILINGS).
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


def refresh_attendance_buckets(session: Session, day: Optional[date] = None) -> int:
    """Rebuild ``statistics_attendance_bucket`` as of ``day`` (default today); returns the number of rows."""
    hours = (class_trainee_hours_stmt(day)
             .join(Filing, Filing.id == TrainingClass.filing_id)
             .where(Filing.status.in_(TRACKED_FILINGS))
             .subquery())
    per_trainee = select(hours.c.training_class_id,
                         rate_bucket(hours.c.attended, hours.c.due).label("bucket")).subquery()
    counted = (select(per_trainee.c.training_class_id, per_trainee.c.bucket, func.count())
               .group_by(per_trainee.c.training_class_id, per_trainee.c.bucket))
    session.execute(delete(AttendanceRateBucket))
    session.execute(insert(AttendanceRateBucket).from_select(["training_class_id", "bucket", "trainees"], counted))
    rows = session.scalar(select(func.count()).select_from(AttendanceRateBucket)) or 0
    stamp = session.get(StatisticsRefresh, ATTENDANCE_BUCKETS)
    if stamp is None:
        stamp = StatisticsRefresh(name=ATTENDANCE_BUCKETS)
        session.add(stamp)
    stamp.refreshed_at, stamp.row_count = utcnow(), rows
    session.flush()
    return rows
