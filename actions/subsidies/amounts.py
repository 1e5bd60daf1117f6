"""R22 amounts: standard (补贴标准 in force on the class start date) × training years × stage share.

- The standard: the ``SubsidyStandard`` row of the filing's programme and type whose level is the class's target
  level, else the row without a level (any level); in force on the class start date (valid_from ≤ start ≤ valid_to);
  of several, the one that started last (a standard changed mid-year applies to classes starting after the change).
- Training years: the class period (start and end inclusive) in whole years, rounded half up, at least 1, at most 3.
- ADVANCE (预拨): total × the standard's ``advance_ratio`` (40 %; 产教评 30 %). BALANCE (清算): total − the approved
  ADVANCE amount of that person (0 when there is none), never below 0.
All money is ``Decimal`` rounded to fen (ROUND_HALF_UP), never float.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Optional

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from models.enums import ClaimStage, ClaimStatus
from models.filing import Filing, TrainingClass
from models.lookups import SubsidyStandard
from models.subsidy import SubsidyClaim, SubsidyClaimPerson

FEN = Decimal("0.01")
MIN_YEARS, MAX_YEARS = 1, 3


def to_fen(value: Decimal) -> Decimal:
    return Decimal(value).quantize(FEN, ROUND_HALF_UP)


def training_years(start: date, end: date) -> int:
    """R22: the class period in whole years (rounded half up), clamped to 1–3."""
    days = (end - start).days + 1
    years = int((Decimal(days) / Decimal(365)).quantize(Decimal(1), ROUND_HALF_UP))
    return max(MIN_YEARS, min(MAX_YEARS, years))


def standard_for(session: Session, programme: str, apprenticeship_type: str, level: Optional[int],
                 on: date) -> Optional[SubsidyStandard]:
    """The 补贴标准 in force on ``on`` for the programme, type and level (a level's own row before the any-level row;
    of several in force, the latest ``valid_from``)."""
    stmt = (select(SubsidyStandard)
            .where(SubsidyStandard.programme == programme,
                   SubsidyStandard.apprenticeship_type == apprenticeship_type,
                   or_(SubsidyStandard.skill_level == level, SubsidyStandard.skill_level.is_(None)),
                   SubsidyStandard.valid_from <= on,
                   or_(SubsidyStandard.valid_to.is_(None), SubsidyStandard.valid_to >= on))
            .order_by(SubsidyStandard.skill_level.is_(None), SubsidyStandard.valid_from.desc(),
                      SubsidyStandard.id.desc())
            .limit(1))
    return session.scalars(stmt).first()


@dataclass(frozen=True)
class ClassAmount:
    """The figures shared by every person of a claim (one class): what the screen explains next to the amount."""

    standard: Optional[SubsidyStandard]
    years: int
    total: Optional[Decimal]  # standard × years, per person
    share: Optional[Decimal]  # ADVANCE: the ratio; BALANCE: None (the rest)
    per_person: Optional[Decimal]  # ADVANCE amount; BALANCE: total (before the advance is deducted)


def class_amount(session: Session, filing: Filing, training_class: TrainingClass, stage: str) -> ClassAmount:
    """R22 for one class: the standard, the years and the per-person amount before any advance is deducted."""
    years = training_years(training_class.start_date, training_class.end_date)
    standard = standard_for(session, filing.programme, filing.apprenticeship_type, training_class.skill_level,
                            training_class.start_date)
    if standard is None:
        return ClassAmount(None, years, None, None, None)
    total = to_fen(standard.amount_yuan * years)
    if stage == ClaimStage.ADVANCE:
        return ClassAmount(standard, years, total, standard.advance_ratio, to_fen(total * standard.advance_ratio))
    return ClassAmount(standard, years, total, None, total)


def approved_advances(session: Session, trainee_ids: Iterable[int]) -> dict[int, Decimal]:
    """``{trainee id: approved ADVANCE amount}`` from APPROVED ADVANCE claims (one statement)."""
    ids = list(trainee_ids)
    if not ids:
        return {}
    out: dict[int, Decimal] = {}
    for start in range(0, len(ids), 5000):
        stmt = (select(SubsidyClaimPerson.trainee_id, SubsidyClaimPerson.approved_amount)
                .join(SubsidyClaim, SubsidyClaim.id == SubsidyClaimPerson.subsidy_claim_id)
                .where(SubsidyClaim.status == ClaimStatus.APPROVED, SubsidyClaim.stage == ClaimStage.ADVANCE,
                       SubsidyClaimPerson.trainee_id.in_(ids[start:start + 5000])))
        for trainee_id, amount in session.execute(stmt):
            out[trainee_id] = Decimal(amount or 0)
    return out


def person_amount(figures: ClassAmount, stage: str, approved_advance: Optional[Decimal]) -> Optional[Decimal]:
    """R22: the amount claimed for one person (None without a standard)."""
    if figures.per_person is None:
        return None
    if stage == ClaimStage.BALANCE:
        return max(Decimal("0.00"), to_fen(figures.per_person - (approved_advance or Decimal(0))))
    return figures.per_person


__all__ = ["ClassAmount", "approved_advances", "class_amount", "person_amount", "standard_for", "to_fen",
           "training_years"]
