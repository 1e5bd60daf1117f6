"""Working days (R19) and the deadline of a class-date change (R15).

A day is a working day by, in this order: the admin's 工作日历 override for that date (``WorkdayOverride``); the
State Council schedule packaged in chinese-calendar (holidays and 调休 working Saturdays, 2004–2026 in the
installed version); for a year with neither, Monday to Friday — and every answer that had to fall back is marked
provisional, so the screen can say 暂按周一至周五计算. A year counts as "entered by the admin" once it has any
override row (the admin imports a whole year's schedule at once, see ``import_holidays``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Iterable, Optional

import chinese_calendar
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from actions import audit
from core.errors import FieldError, Forbidden, ValidationFailed
from core.validators import normalize_text, parse_date
from models.lookups import WorkdayOverride
from models.scope import Actor

#: R15: a class's dates may be changed until the 5th working day before its start.
CHANGE_DEADLINE_WORKDAYS = 5
#: How far back a deadline search may walk (a month of holidays cannot hide 5 working days).
_MAX_WALK_DAYS = 60


def _package_knows(day: date) -> bool:
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


@dataclass
class WorkdayCalendar:
    """The working-day facts for a span of dates, loaded with one query."""

    overrides: dict[date, bool] = field(default_factory=dict)
    override_years: set[int] = field(default_factory=set)

    def is_workday(self, day: date) -> tuple[bool, bool]:
        """``(working day?, provisional?)`` — provisional when neither the admin nor the package knows the year."""
        if day in self.overrides:
            return self.overrides[day], False
        if day.year not in self.override_years and _package_knows(day):
            return chinese_calendar.is_workday(day), False
        if day.year in self.override_years:
            return day.weekday() < 5, False  # a year the admin entered: the days not listed are ordinary
        return day.weekday() < 5, True


def load_calendar(session: Session, first: date, last: date) -> WorkdayCalendar:
    """The overrides between ``first`` and ``last`` and the years the admin has entered (two small queries)."""
    rows = session.execute(select(WorkdayOverride.day, WorkdayOverride.is_workday)
                           .where(WorkdayOverride.day.between(first, last))).all()
    years = {year for year in range(first.year, last.year + 1) if session.scalar(
        select(WorkdayOverride.day).where(WorkdayOverride.day.between(date(year, 1, 1), date(year, 12, 31))).limit(1))}
    return WorkdayCalendar({day: bool(flag) for day, flag in rows}, years)


def nth_workday_before(calendar: WorkdayCalendar, day: date, n: int) -> tuple[date, bool]:
    """The ``n``-th working day counting back from the day before ``day``; provisional if any day walked over
    had to fall back to Monday–Friday."""
    provisional = False
    current = day
    found = 0
    for _ in range(_MAX_WALK_DAYS):
        current -= timedelta(days=1)
        working, guessed = calendar.is_workday(current)
        provisional = provisional or guessed
        if working:
            found += 1
            if found == n:
                return current, provisional
    raise ValueError(f"no {n} working days in the {_MAX_WALK_DAYS} days before {day}")


def change_deadline(session: Session, class_start: date) -> tuple[date, bool]:
    """R15: the last day a class starting on ``class_start`` may have its dates changed, and whether that is
    provisional (暂按周一至周五计算)."""
    calendar = load_calendar(session, class_start - timedelta(days=_MAX_WALK_DAYS), class_start)
    return nth_workday_before(calendar, class_start, CHANGE_DEADLINE_WORKDAYS)


# ---------------------------------------------------------------------------------------------------------
# The admin's yearly holiday schedule (工作日历 → 导入全年安排)
# ---------------------------------------------------------------------------------------------------------

KIND_WORDS = {"放假": False, "休息": False, "假日": False, "调休上班": True, "上班": True, "补班": True,
              "工作日": True}


def import_holidays(session: Session, actor: Actor, rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Replace a year's overrides with the schedule of ``rows`` (``{"row", "date", "kind", "note"}`` each, kind
    放假 or 调休上班), all or nothing; every row's problem named by row and column.

    :raises Forbidden: not the provincial admin.
    :raises ValidationFailed: any row wrong, or the rows span several years.
    """
    if not actor.is_admin:
        raise Forbidden()
    errors: list[FieldError] = []
    cleaned: dict[date, tuple[bool, Optional[str]]] = {}
    for item in rows:
        number = item.get("row")
        raw_day = item.get("date")
        try:
            day = raw_day if isinstance(raw_day, date) else parse_date(raw_day, "date")
        except ValidationFailed as exc:
            errors.append(FieldError("date", exc.errors[0].message, raw_day, row=number, column="日期"))
            continue
        kind = normalize_text(item.get("kind")) or ""
        if kind not in KIND_WORDS:
            errors.append(FieldError("kind", _l("类型应为“放假”或“调休上班”"), kind, row=number, column="类型"))
            continue
        if day in cleaned:
            errors.append(FieldError("date", _l("日期 %(day)s 重复", day=day.isoformat()), raw_day, row=number,
                                     column="日期"))
            continue
        note = normalize_text(item.get("note"))
        cleaned[day] = (KIND_WORDS[kind], note[:128] if note else None)
    years = {day.year for day in cleaned}
    if not errors and not cleaned:
        errors.append(FieldError("file", _l("文件中没有数据行")))
    if len(years) > 1:
        errors.append(FieldError("date", _l("一次只能导入一个年度的安排，文件中含 %(years)s 年",
                                            years="、".join(str(y) for y in sorted(years)))))
    if errors:
        raise ValidationFailed(errors, _l("工作日历文件有 %(n)d 处错误，未导入任何数据", n=len(errors)))
    year = years.pop()
    removed = session.execute(delete(WorkdayOverride).where(
        WorkdayOverride.day.between(date(year, 1, 1), date(year, 12, 31)))).rowcount
    session.add_all(WorkdayOverride(day=day, is_workday=flag, note=note) for day, (flag, note) in cleaned.items())
    session.flush()
    marker = session.get(WorkdayOverride, min(cleaned))
    audit.record(session, actor, "import", marker, diff={"year": year, "days": len(cleaned), "replaced": removed})
    return {"year": year, "days": len(cleaned), "replaced": removed}
