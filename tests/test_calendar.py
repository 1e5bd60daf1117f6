"""Working days (R19) and the class-date change deadline (R15) against a table of hand-checked dates.

The deadline is the 5th working day counting back from the day before the class start. Working days come from the
admin's 工作日历 overrides first, then the State Council schedule (chinese-calendar, 2004–2026 installed), then —
for a year with neither — Monday to Friday, reported as provisional (暂按周一至周五计算).
"""
from __future__ import annotations

from datetime import date

import pytest

from actions.calendar import WorkdayCalendar, change_deadline, import_holidays, nth_workday_before
from core.errors import Forbidden, ValidationFailed
from models.base import db
from models.lookups import WorkdayOverride
from tests import factories

CASES = [
    # (class start, expected deadline, provisional, why)
    (date(2026, 3, 9), date(2026, 3, 2), False, "an ordinary week: Fri 6, Thu 5, Wed 4, Tue 3, Mon 2"),
    (date(2026, 2, 24), date(2026, 2, 10), False, "春节 15–23 Feb are holidays; Sat 14 Feb is a 调休 working day"),
    (date(2026, 10, 8), date(2026, 9, 23), False, "国庆 1–7 Oct and 中秋 25–27 Sep are off: 30, 29, 28, 24, 23"),
    (date(2026, 9, 21), date(2026, 9, 15), False, "Sun 20 Sep is a 调休 working day: 20, 18, 17, 16, 15"),
    (date(2027, 3, 10), date(2027, 3, 3), True, "2027 unknown: Mon–Fri, provisional"),
]


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


def test_the_walk_is_right_by_hand():
    """Sat 10 Oct 2026 is a 调休 working day: counting back from Sun 11: 10, 9, 8 (Oct), then 30, 29 Sep."""
    calendar = WorkdayCalendar()
    assert nth_workday_before(calendar, date(2026, 10, 12), 5) == (date(2026, 9, 29), False)


@pytest.mark.parametrize("start,deadline,provisional,why", CASES)
def test_deadline_table(ctx, start, deadline, provisional, why):
    assert change_deadline(db.session, start) == (deadline, provisional), why


def test_override_comes_first_and_makes_the_year_known(ctx):
    """The admin enters 2027: 5 Mar 2027 declared a holiday → the deadline moves one working day back and is no
    longer provisional; a 调休 Saturday entered as a working day counts."""
    db.session.add(WorkdayOverride(day=date(2027, 3, 5), is_workday=False, note="测试放假"))
    db.session.flush()
    assert change_deadline(db.session, date(2027, 3, 10)) == (date(2027, 3, 2), False)
    db.session.add(WorkdayOverride(day=date(2027, 3, 6), is_workday=True, note="调休上班"))
    db.session.flush()
    assert change_deadline(db.session, date(2027, 3, 10)) == (date(2027, 3, 3), False)
    # an override also wins over the packaged schedule of a known year
    db.session.add(WorkdayOverride(day=date(2026, 3, 6), is_workday=False, note="临时放假"))
    db.session.flush()
    assert change_deadline(db.session, date(2026, 3, 9)) == (date(2026, 2, 27), False)


def test_import_of_a_year_replaces_it_all_or_nothing(ctx):
    admin = factories.actor("admin")
    rows = [{"row": 2, "date": "2027-01-01", "kind": "放假", "note": "元旦"},
            {"row": 3, "date": "2027/2/6", "kind": "调休上班", "note": "春节调休"},
            {"row": 4, "date": date(2027, 2, 8), "kind": "放假", "note": "春节"}]
    result = import_holidays(db.session, admin, rows)
    assert result == {"year": 2027, "days": 3, "replaced": 0}
    assert db.session.get(WorkdayOverride, date(2027, 2, 6)).is_workday is True
    bad = [{"row": 2, "date": "2027-02-30", "kind": "放假"}, {"row": 3, "date": "2027-03-01", "kind": "休假日"},
           {"row": 4, "date": "2028-01-01", "kind": "放假"}]
    with pytest.raises(ValidationFailed) as info:
        import_holidays(db.session, admin, bad)
    assert [(e.row, e.column) for e in info.value.errors if e.row] == [(2, "日期"), (3, "类型")]
    assert db.session.get(WorkdayOverride, date(2027, 1, 1)) is not None  # nothing replaced
    again = import_holidays(db.session, admin, rows[:1])
    assert again["replaced"] == 3 and db.session.get(WorkdayOverride, date(2027, 2, 6)) is None
    with pytest.raises(Forbidden):
        import_holidays(db.session, factories.actor("gz_reviewer"), rows)


def test_app_today_outside_production_only(monkeypatch):
    """DESIGN §7: APP_TODAY makes the clock's today that date, for demos and acceptance runs — never in production
    (the setting is refused at start-up there)."""
    import subprocess
    import sys

    from core.clock import today

    monkeypatch.setenv("APP_TODAY", "2027-02-22")
    monkeypatch.setenv("APP_ENV", "development")
    assert today() == date(2027, 2, 22)
    monkeypatch.setenv("APP_ENV", "production")
    assert today() != date(2027, 2, 22)
    result = subprocess.run([sys.executable, "-c", "import config"], capture_output=True, text=True,
                            env={"APP_ENV": "production", "APP_TODAY": "2027-02-22", "PATH": "/usr/bin"},
                            cwd=str(__import__("pathlib").Path(__file__).resolve().parent.parent))
    assert result.returncode != 0 and "APP_TODAY must not be set in production" in result.stderr
