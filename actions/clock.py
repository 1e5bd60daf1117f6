"""Today's date where the users are (Asia/Shanghai); every date rule asks here so tests can freeze time."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """The current calendar date in Asia/Shanghai."""
    return datetime.now(SHANGHAI).date()


def add_years(day: date, years: int) -> date:
    """``day`` plus whole years (29 February falls back to 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
