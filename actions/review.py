"""City review of filings (审核管理 → 备案审核) and what follows approval for the enterprise (标记为流失).

R13 filing numbers, R14 reviewer scope / opinion / audit, R12 标记为流失, Filing state machine of DESIGN §4.
Concurrency: the filing row is locked (PostgreSQL ``FOR UPDATE``; SQLite serialises writers) and carries an
optimistic ``version``, so of two people deciding at once exactly one wins; the other gets 409.
"""
from __future__ import annotations

from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from actions.checklist import under_age_problem
from actions.filings import active_id_numbers, conflicting_id_numbers, lock_persons
from actions.workflow import run
from core.clock import today
from core.errors import FieldError, NotFound, TransitionNotAllowed, ValidationFailed
from models.base import utcnow
from models.enums import FilingStatus
from models.filing import Filing, FilingNumberCounter, Trainee
from models.scope import Actor, load_scoped, take_write_lock


def next_filing_number(session: Session, city_code: str, year: int) -> str:
    """The next number of the city and year, e.g. ``XT4401-2026-000123`` (R13: unique per city and year).

    The counter row is incremented with one UPDATE (atomic under concurrency); the first number of a
    city-year inserts the row, retrying as an UPDATE if another approval inserted it first.
    """
    for _ in range(3):
        stmt = (update(FilingNumberCounter)
                .where(FilingNumberCounter.city_code == city_code, FilingNumberCounter.year == year)
                .values(last=FilingNumberCounter.last + 1)
                .returning(FilingNumberCounter.last))
        number = session.execute(stmt).scalar()
        if number is None:
            try:
                with session.begin_nested():
                    session.add(FilingNumberCounter(city_code=city_code, year=year, last=1))
                number = 1
            except IntegrityError:
                continue
        return f"XT{city_code}-{year}-{number:06d}"
    raise TransitionNotAllowed()


def lock_for_decision(session: Session, actor: Actor, filing_id: Any) -> Filing:
    """Lock the filing of the reviewer's city that it may see: a draft (also one withdrawn meanwhile) is the
    enterprise's alone and answers like another city's filing (R14).

    :raises NotFound: missing, not a number, a draft, or another city's filing.
    """
    try:
        pk = int(filing_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    take_write_lock(session, Filing, pk)
    stmt = (select(Filing).where(Filing.id == pk, Filing.city_code == actor.city_code,
                                 Filing.status != FilingStatus.DRAFT)
            .with_for_update(of=Filing).execution_options(populate_existing=True))
    filing = session.scalars(stmt).unique().first()
    if filing is None:
        raise NotFound()
    return filing


def _decided_by(actor: Actor, filing: Filing, opinion: Optional[str]) -> None:
    filing.reviewed_at = utcnow()
    filing.reviewed_by_id = actor.user_id
    filing.review_opinion = opinion


def approve_guard(session: Session, actor: Actor, filing: Filing, values: dict) -> None:
    """R9 re-checked at approval, under the person locks: nobody of this filing may meanwhile be active in another
    SUBMITTED/APPROVED filing whose period overlaps (the other filing is not named: another enterprise's); and
    nobody under 16 on the class start (issue 12, 《劳动法》第十五条).

    :raises ValidationFailed: names the filing's trainees concerned.
    """
    lock_persons(session, active_id_numbers(session, filing))
    errors = []
    conflicts = conflicting_id_numbers(session, filing)
    if conflicts:
        names = "、".join(t.name for t in filing.trainees if t.id_number in conflicts)
        errors.append(FieldError("trainees", _l("以下人员已在其他在训的学徒制培训备案中（培训期间重叠），"
                                                "不能审核通过，请退回企业处理：%(names)s", names=names)))
    under_age = under_age_problem(session, filing)  # issue 12: re-checked, a class start may have moved
    if under_age:
        errors.append(FieldError("trainees", _l("%(problem)s；不能审核通过，请退回企业处理", problem=under_age)))
    if errors:  # the reviewer's page shows the message only: every reason in it
        raise ValidationFailed(errors, "；".join(str(e.message) for e in errors))


def approve_effect(session: Session, actor: Actor, filing: Filing, values: dict) -> dict:
    """通过: a new filing number of the city and year (R13); who decided, with the optional opinion (R14)."""
    filing.filing_no = next_filing_number(session, filing.city_code, today().year)
    _decided_by(actor, filing, values.get("opinion"))
    return {"filing_no": filing.filing_no}


def return_effect(session: Session, actor: Actor, filing: Filing, values: dict) -> None:
    """退回: the opinion (required by the table's input) is shown to the enterprise (R14)."""
    _decided_by(actor, filing, values["opinion"])


def approve(session: Session, actor: Actor, filing_id: Any, opinion: Optional[str] = None) -> Filing:
    """通过: SUBMITTED → APPROVED with a new filing number (R13), decided by the filing city's reviewer (R14).

    :raises Forbidden / NotFound / TransitionNotAllowed: see ``actions.workflow.run``.
    """
    return run(session, actor, "filing", "approve", filing_id, {"opinion": opinion})


def return_filing(session: Session, actor: Actor, filing_id: Any, opinion: Any) -> Filing:
    """退回: SUBMITTED → RETURNED; the opinion is required and shown to the enterprise (R14).

    :raises Forbidden / NotFound / TransitionNotAllowed / ValidationFailed: see ``actions.workflow.run``.
    """
    return run(session, actor, "filing", "return", filing_id, {"opinion": opinion})


def lock_filing_of_trainee(session: Session, actor: Actor, trainee: Trainee) -> None:
    """A trainee's transition locks its filing first (a child's change re-checks the parent under the lock)."""
    load_scoped(session, Filing, trainee.filing_id, actor, for_update=True)


def mark_lost_guard(session: Session, actor: Actor, trainee: Trainee, values: dict) -> None:
    """标记为流失 only on an APPROVED filing (R12), with a date inside the filing's span (not in the future).

    :raises TransitionNotAllowed: the filing is not APPROVED.
    """
    if trainee.filing.status != FilingStatus.APPROVED:
        raise TransitionNotAllowed(_l("只有审核通过的备案才能标记流失人员"))


def mark_lost_effect(session: Session, actor: Actor, trainee: Trainee, values: dict) -> dict:
    """The reason and date are kept on the trainee; it stops counting for R9 (released at once)."""
    trainee.lost_reason = values["lost_reason"]
    trainee.lost_date = values["lost_date"]
    return {"trainee": trainee.name, "lost_date": values["lost_date"].isoformat()}


def mark_lost(session: Session, actor: Actor, trainee_id: Any, reason: Any, lost_date: Any = None) -> Trainee:
    """标记为流失: a trainee of an APPROVED filing leaves; reason required; released from R9.

    :raises Forbidden / NotFound / TransitionNotAllowed / ValidationFailed: see ``actions.workflow.run``.
    """
    return run(session, actor, "trainee", "mark_lost", trainee_id, {"lost_reason": reason, "lost_date": lost_date})
