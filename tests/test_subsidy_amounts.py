"""R22 amounts, as a table: the 补贴标准 in force on the class start date (its level's row before the any-level row;
a standard changed mid-year applies to classes starting after the change) × training years (rounded, 1–3) ×
stage share (ADVANCE: the standard's ratio — 40 %, 产教评 30 %; BALANCE: the rest after the approved advance);
Decimal yuan rounded to fen."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from actions.subsidies import amounts
from models.base import db
from models.lookups import SubsidyStandard


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


def figures(programme, kind, level, start, end, stage):
    filing = SimpleNamespace(programme=programme, apprenticeship_type=kind)
    cls = SimpleNamespace(skill_level=level, start_date=start, end_date=end)
    return amounts.class_amount(db.session, filing, cls, stage)


@pytest.mark.parametrize("start,end,years", [
    (date(2026, 3, 1), date(2026, 8, 31), 1),    # half a year (184 days): at least 1
    (date(2026, 3, 1), date(2027, 2, 28), 1),    # 365 days
    (date(2026, 3, 1), date(2027, 8, 29), 1),    # 547 days = 1.499 years → 1
    (date(2026, 3, 1), date(2027, 8, 31), 2),    # 549 days = 1.504 years → 2 (half up)
    (date(2026, 3, 1), date(2028, 2, 29), 2),
    (date(2026, 3, 1), date(2029, 2, 28), 3),
    (date(2026, 3, 1), date(2031, 2, 28), 3),    # at most 3
])
def test_training_years(start, end, years):
    assert amounts.training_years(start, end) == years


START, ONE_YEAR = date(2026, 3, 1), date(2027, 2, 28)


@pytest.mark.parametrize("programme,kind,level,stage,amount", [
    ("ENTERPRISE", "NEW_APPRENTICE", 4, "ADVANCE", "2200.00"),   # 5500 × 40 %
    ("ENTERPRISE", "NEW_APPRENTICE", 3, "ADVANCE", "2800.00"),   # 7000 × 40 %
    ("ENTERPRISE", "NEW_APPRENTICE", 2, "ADVANCE", "3400.00"),   # 8500 × 40 %
    ("ENTERPRISE", "NEW_APPRENTICE", 4, "BALANCE", "5500.00"),   # the whole, no advance approved
    ("ENTERPRISE", "STUDENT", 5, "ADVANCE", "2000.00"),          # 5000 (any level) × 40 %
    ("ECOSYSTEM", "STUDENT", 5, "ADVANCE", "1500.00"),           # 产教评: 5000 × 30 %
    ("ECOSYSTEM", "TECH_TRAINEE", 3, "ADVANCE", "1500.00"),
    ("ECOSYSTEM", "TECH_TRAINEE", 3, "BALANCE", "5000.00"),
])
def test_amount_table(ctx, programme, kind, level, stage, amount):
    f = figures(programme, kind, level, START, ONE_YEAR, stage)
    assert amounts.person_amount(f, stage, None) == Decimal(amount)


def test_years_multiply(ctx):
    two = figures("ENTERPRISE", "NEW_APPRENTICE", 3, START, date(2028, 2, 29), "ADVANCE")
    assert (two.years, two.total, two.per_person) == (2, Decimal("14000.00"), Decimal("5600.00"))
    four = figures("ENTERPRISE", "NEW_APPRENTICE", 3, START, date(2030, 2, 28), "BALANCE")
    assert (four.years, four.total) == (3, Decimal("21000.00"))  # capped at 3 years


def test_balance_deducts_the_approved_advance_never_below_zero(ctx):
    f = figures("ENTERPRISE", "NEW_APPRENTICE", 4, START, ONE_YEAR, "BALANCE")
    assert amounts.person_amount(f, "BALANCE", Decimal("2200.00")) == Decimal("3300.00")
    assert amounts.person_amount(f, "BALANCE", Decimal("1999.99")) == Decimal("3500.01")  # a lowered advance
    assert amounts.person_amount(f, "BALANCE", Decimal("9000")) == Decimal("0.00")


def test_standard_changed_mid_year(ctx):
    """From 2026-07-01 四级 pays 6000: a class starting 06-30 keeps 5500, one starting 07-01 gets 6000."""
    old = db.session.query(SubsidyStandard).filter_by(programme="ENTERPRISE", apprenticeship_type="NEW_APPRENTICE",
                                                      skill_level=4).one()
    old.valid_to = date(2026, 6, 30)
    db.session.add(SubsidyStandard(programme="ENTERPRISE", apprenticeship_type="NEW_APPRENTICE", skill_level=4,
                                   amount_yuan=Decimal("6000"), advance_ratio=Decimal("0.40"),
                                   valid_from=date(2026, 7, 1)))
    db.session.flush()
    before = figures("ENTERPRISE", "NEW_APPRENTICE", 4, date(2026, 6, 30), date(2027, 6, 29), "ADVANCE")
    after = figures("ENTERPRISE", "NEW_APPRENTICE", 4, date(2026, 7, 1), date(2027, 6, 30), "ADVANCE")
    assert before.per_person == Decimal("2200.00") and after.per_person == Decimal("2400.00")


def test_level_row_before_any_level_row_and_fen_rounding(ctx):
    db.session.add_all([
        SubsidyStandard(programme="ENTERPRISE", apprenticeship_type="STUDENT", skill_level=3,
                        amount_yuan=Decimal("5555.55"), advance_ratio=Decimal("0.30"), valid_from=date(2024, 1, 1)),
    ])
    db.session.flush()
    level3 = figures("ENTERPRISE", "STUDENT", 3, START, ONE_YEAR, "ADVANCE")
    assert level3.per_person == Decimal("1666.67")  # 5555.55 × 0.3 = 1666.665 → fen, half up
    assert isinstance(level3.per_person, Decimal)
    level4 = figures("ENTERPRISE", "STUDENT", 4, START, ONE_YEAR, "ADVANCE")
    assert level4.per_person == Decimal("2000.00")  # no 四级 row: the any-level 5000


def test_no_standard_in_force(ctx):
    f = figures("ENTERPRISE", "NEW_APPRENTICE", 4, date(2023, 6, 1), date(2024, 5, 31), "ADVANCE")
    assert f.standard is None and amounts.person_amount(f, "ADVANCE", None) is None
