"""统计分析 pre-aggregate: the class-level figures, too costly to aggregate per request at provincial scale
(1M trainees, 10M attendance rows; DESIGN §9, issue 14: every dashboard ≤ 500 ms).

``ClassFigures``: one row per training class of an APPROVED or CANCELLED filing (培训情况跟踪's classes) with what the
class figures group by — the filing's city, occupation, level, period, class status — and the counts: trainees
在训 / 流失 and how many of them fall in each bucket of the R24 attendance rate (``RateBucket``). Filled set-based by
``actions.statistics.refresh_class_figures`` — ``flask --app app statistics refresh``, run nightly after midnight
(Asia/Shanghai): a course counts for the rate once it has ended, i.e. as of "today". The class *state* (未开班 /
培训中 / 已结束) is still computed from the dates at query time. ``StatisticsRefresh`` records when the pre-aggregate
was last rebuilt; the dashboard shows it on each card that reads it. Filings, change requests and subsidy claims are
counted live (cheap aggregates over indexed columns).

Derived data (no business row, not audited): rebuilding it from the source tables is always safe. It is read only
through ``queries.statistics`` with the reviewer's city as a condition.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Model
from models.enums import CodeSet


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
    #: bucket code → its column of ``ClassFigures``
    COLUMNS = {BELOW_60: "rate_below_60", FROM_60: "rate_from_60", FROM_80: "rate_from_80",
               FROM_90: "rate_from_90", FULL: "rate_full", NONE: "rate_none"}


class ClassFigures(Model):
    """The counts of one tracked class as of the last refresh (see the module text)."""

    __tablename__ = "statistics_class"
    training_class_id: Mapped[int] = mapped_column(ForeignKey("training_class.id", ondelete="CASCADE"),
                                                   primary_key=True, autoincrement=False)
    city_code: Mapped[str] = mapped_column(String(6), nullable=False, index=True)  # the filing's city
    occupation_code: Mapped[str] = mapped_column(String(16), nullable=False)
    skill_level: Mapped[int] = mapped_column(Integer, nullable=False)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)
    class_status: Mapped[str] = mapped_column(String(16), nullable=False)
    active: Mapped[int] = mapped_column(Integer, nullable=False)
    lost: Mapped[int] = mapped_column(Integer, nullable=False)
    rate_below_60: Mapped[int] = mapped_column(Integer, nullable=False)
    rate_from_60: Mapped[int] = mapped_column(Integer, nullable=False)
    rate_from_80: Mapped[int] = mapped_column(Integer, nullable=False)
    rate_from_90: Mapped[int] = mapped_column(Integer, nullable=False)
    rate_full: Mapped[int] = mapped_column(Integer, nullable=False)
    rate_none: Mapped[int] = mapped_column(Integer, nullable=False)


class StatisticsRefresh(Model):
    """When a pre-aggregate was last rebuilt, and how many rows it got."""

    __tablename__ = "statistics_refresh"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    row_count: Mapped[int] = mapped_column(Integer, nullable=False)
