"""Time where the users are (Asia/Shanghai): today's date, and the one conversion between stored and shown time.

Timestamps are stored as naive UTC (``models.base.utcnow``) and shown in Asia/Shanghai (DESIGN §7); every date
rule asks ``today()`` here so tests can freeze time. Ground floor: imports nothing of the project.
"""
from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """The current calendar date in Asia/Shanghai — or, outside production, the date ``APP_TODAY=YYYY-MM-DD`` names
    (demos and acceptance runs of deadline rules, DESIGN §7; production refuses the setting at start-up)."""
    forced = os.environ.get("APP_TODAY")
    if forced and os.environ.get("APP_ENV", "development") != "production":
        return date.fromisoformat(forced)
    return datetime.now(SHANGHAI).date()


def add_years(day: date, years: int) -> date:
    """``day`` plus whole years (29 February falls back to 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def to_local(value: Optional[datetime]) -> Optional[datetime]:
    """A stored naive-UTC timestamp as an aware datetime in Asia/Shanghai (``None`` passes through).

    An aware datetime is converted from its own zone.
    """
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(SHANGHAI)


def format_local(value: Optional[datetime], fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored naive-UTC timestamp formatted in Asia/Shanghai; ``None`` gives ``""``."""
    local = to_local(value)
    return local.strftime(fmt) if local is not None else ""


def local_day_start_utc(day: date) -> datetime:
    """00:00 of ``day`` in Asia/Shanghai as naive UTC (how timestamps are stored): the inclusive lower bound of
    "on or after ``day``"."""
    return datetime.combine(day, time.min, SHANGHAI).astimezone(timezone.utc).replace(tzinfo=None)


def local_day_end_utc(day: date) -> datetime:
    """00:00 of the day after ``day`` in Asia/Shanghai as naive UTC: the exclusive upper bound of "up to and
    including ``day``"."""
    return local_day_start_utc(day + timedelta(days=1))
