"""补贴申领花名册 (R23 下载花名册 / 导出花名册): the persons of one claim as plain rows, and their totals.

- ``roster_rows`` yields one ``RosterRow`` per person in person-id order: 序号, 姓名, 身份证号码 (complete: the roster is
  an official document for the enterprise and the city reviewer), 性别, 职业（工种）, 培训等级, 培训期间, 证书编号,
  申请金额, 核定金额 (``None`` until the reviewer decided). One SELECT per batch (keyset on the person id, all
  joins in the statement, no per-row query), so a claim of 10,000 persons costs ``10,000 / batch`` statements and
  the caller never holds the whole list.
- ``roster_totals`` is one aggregate statement: persons, Σ 申请金额, Σ 核定金额 (``None`` when nobody is decided).
Amounts are ``Decimal`` yuan rounded to fen, never float (DESIGN §7). Labels are the Chinese ones: the roster is
always printed in Chinese.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterator, NamedTuple, Optional

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models.enums import Gender
from models.filing import Trainee, TrainingClass
from models.lookups import Occupation, SkillLevel
from models.subsidy import SubsidyClaim, SubsidyClaimPerson

FEN = Decimal("0.01")
DEFAULT_BATCH = 1000

#: Column titles of the roster, in the order of ``RosterRow`` (PDF and xlsx share them).
ROSTER_COLUMNS = (
    _l("序号"), _l("姓名"), _l("身份证号码"), _l("性别"), _l("职业（工种）"), _l("培训等级"), _l("培训期间"),
    _l("证书编号"), _l("申请金额"), _l("核定金额"),
)


class RosterRow(NamedTuple):
    """One line of the roster (the first ten fields are the document's columns)."""

    seq: int
    name: str
    id_number: str
    gender: str
    occupation: str
    level: str
    period: str
    certificate_no: str
    amount: Optional[Decimal]
    approved_amount: Optional[Decimal]
    person_id: int


class RosterTotals(NamedTuple):
    count: int
    amount: Decimal  # Σ 申请金额 (0.00 for an empty claim)
    approved: Optional[Decimal]  # Σ 核定金额 of the decided persons; None while nobody is decided
    decided: int  # persons with a 核定金额


def fen(value: Optional[Decimal]) -> Optional[Decimal]:
    """``value`` as Decimal yuan rounded to fen (SQLite hands sums back as binary floats); ``None`` stays."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(FEN, ROUND_HALF_UP)


def period_text(start: Optional[date], end: Optional[date]) -> str:
    """培训期间 ``2027-03-01至2028-02-29`` (blank when the claim has no class)."""
    if not start and not end:
        return ""
    return f"{start.isoformat() if start else ''}至{end.isoformat() if end else ''}"


def occupation_label(code: Optional[str], name: Optional[str]) -> str:
    """职业（工种） as the 备案表 writes it: ``车工（6-18-01-01）``."""
    if not code:
        return ""
    return f"{name}（{code}）" if name else code


def roster_select(claim_id: int, after_id: int, limit: int) -> Select:
    """The persons of ``claim_id`` with an id above ``after_id``, at most ``limit``, with every column joined in.

    培训等级 is the level of the claim's class (its target level); a claim without a class falls back to the level
    recorded on the person.
    """
    person = SubsidyClaimPerson
    return (
        select(person.id, Trainee.name, Trainee.id_number, Trainee.gender, Occupation.code, Occupation.name,
               SkillLevel.name, TrainingClass.start_date, TrainingClass.end_date, person.certificate_no,
               person.amount, person.approved_amount)
        .join(Trainee, Trainee.id == person.trainee_id)
        .join(SubsidyClaim, SubsidyClaim.id == person.subsidy_claim_id)
        .outerjoin(TrainingClass, TrainingClass.id == SubsidyClaim.training_class_id)
        .outerjoin(Occupation, Occupation.code == TrainingClass.occupation_code)
        .outerjoin(SkillLevel, SkillLevel.level == func.coalesce(TrainingClass.skill_level, person.skill_level))
        .where(person.subsidy_claim_id == claim_id, person.id > after_id)
        .order_by(person.id)
        .limit(limit)
    )


def roster_rows(session: Session, claim_id: int, *, batch: int = DEFAULT_BATCH) -> Iterator[RosterRow]:
    """The persons of one claim in person-id order as ``RosterRow`` tuples, fetched ``batch`` at a time."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    with force_locale("zh"):
        genders = {code: str(label) for code, label in Gender.LABELS.items()}
    seq, last_id = 0, 0
    while True:
        rows = session.execute(roster_select(claim_id, last_id, batch)).all()
        for (person_id, name, id_number, gender, occ_code, occ_name, level, start, end, certificate, amount,
             approved) in rows:
            seq += 1
            yield RosterRow(seq, name or "", id_number or "", genders.get(gender, gender or ""),
                            occupation_label(occ_code, occ_name), level or "", period_text(start, end),
                            certificate or "", fen(amount), fen(approved), person_id)
        if len(rows) < batch:
            return
        last_id = rows[-1][0]


def roster_totals(session: Session, claim_id: int) -> RosterTotals:
    """Persons, Σ 申请金额 and Σ 核定金额 of one claim (one aggregate statement)."""
    person = SubsidyClaimPerson
    count, amount, approved, decided = session.execute(
        select(func.count(person.id), func.sum(person.amount), func.sum(person.approved_amount),
               func.count(person.approved_amount))
        .where(person.subsidy_claim_id == claim_id)
    ).one()
    return RosterTotals(int(count or 0), fen(amount) or Decimal("0.00"), fen(approved) if decided else None,
                        int(decided or 0))
