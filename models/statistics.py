"""统计分析 pre-aggregates: figures too costly to aggregate per request at provincial scale (DESIGN §9).

``AttendanceRateBucket``: per training class, how many of its trainees fall in each bucket of the R24 attendance
rate (10M attendance rows cannot be probed per request in 500 ms). Filled set-based by
``actions.statistics.refresh_attendance_buckets`` — ``flask --app app statistics refresh`` run nightly after
midnight (Asia/Shanghai), because a course counts once it has ended, i.e. as of "today". ``StatisticsRefresh`` records
when each pre-aggregate was last refreshed; the dashboard shows that time on the figure's card.

Both tables are derived data (no business row, not audited): rebuilding them from the source tables is always
safe. They are read only joined through the filing scope (``queries.statistics``).
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Model
from models.enums import CodeSet


class AttendanceRateBucket(Model):
    """Trainees of one class whose R24 attendance rate falls in one bucket (as of the last refresh)."""

    __tablename__ = "statistics_attendance_bucket"
    training_class_id: Mapped[int] = mapped_column(ForeignKey("training_class.id", ondelete="CASCADE"),
                                                   primary_key=True)
    bucket: Mapped[str] = mapped_column(String(16), primary_key=True)
    trainees: Mapped[int] = mapped_column(Integer, nullable=False)


class StatisticsRefresh(Model):
    """When a pre-aggregate was last rebuilt, and how many rows it got."""

    __tablename__ = "statistics_refresh"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    row_count: Mapped[int] = mapped_column(Integer, nullable=False)


class RateBucket(CodeSet):
    """Buckets of the R24 attendance rate (attended / due hours) of a trainee in a class; the R21 threshold (80 %
    by default) is a bucket boundary. ``NONE``: no hours due yet (no course of the class has ended)."""

    BELOW_60 = "BELOW_60"
    FROM_60 = "FROM_60"
    FROM_80 = "FROM_80"
    FROM_90 = "FROM_90"
    FULL = "FULL"
    NONE = "NONE"
    LABELS = {
        BELOW_60: _l("60% 以下"),
        FROM_60: _l("60%–80%"),
        FROM_80: _l("80%–90%"),
        FROM_90: _l("90%–100%（不含）"),
        FULL: _l("100%"),
        NONE: _l("暂无应出勤课时"),
    }
