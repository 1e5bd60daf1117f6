"""City review of filings (审核管理 → 备案审核) and what follows approval for the enterprise (标记为流失).

R13 filing numbers, R14 reviewer scope / opinion / audit, R12 标记为流失, Filing state machine of DESIGN §4.
Concurrency: the filing row is locked (PostgreSQL ``FOR UPDATE``; SQLite serialises writers) and carries an
optimistic ``version``, so of two people deciding at once exactly one wins; the other gets 409.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from actions import audit
from core.cleaning import Cleaner
from core.clock import today
from core.errors import Forbidden, NotFound, TransitionNotAllowed
from actions.transitions import FILING_TRANSITIONS, check
from models.base import utcnow
from models.enums import FilingStatus, TraineeStatus
from models.filing import Filing, FilingNumberCounter, Trainee
from models.scope import Actor, load_scoped


def _require_reviewer(actor: Actor) -> None:
    if not actor.is_reviewer:
        raise Forbidden(_l("只有地市审核员可以审核备案"))


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


def _load_for_decision(session: Session, actor: Actor, filing_id: Any, action: str) -> tuple[Filing, str]:
    """Lock the filing of the reviewer's city, whatever its state, so that a filing withdrawn meanwhile
    answers 409 (状态已变化) rather than 404; another city's filing stays NotFound (R14)."""
    _require_reviewer(actor)
    try:
        pk = int(filing_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    stmt = (select(Filing).where(Filing.id == pk, Filing.city_code == actor.city_code)
            .with_for_update(of=Filing))
    filing = session.scalars(stmt).unique().first()
    if filing is None:
        raise NotFound()
    return filing, check(FILING_TRANSITIONS, filing.status, action)


def approve(session: Session, actor: Actor, filing_id: Any, opinion: Optional[str] = None) -> Filing:
    """通过: SUBMITTED → APPROVED with a new filing number (R13), decided by the filing city's reviewer (R14).

    :raises Forbidden: not a reviewer.
    :raises NotFound: another city's filing (or missing).
    :raises TransitionNotAllowed: not SUBMITTED (already decided, withdrawn …).
    """
    filing, target = _load_for_decision(session, actor, filing_id, "approve")
    before = filing.status
    filing.status = target
    filing.filing_no = next_filing_number(session, filing.city_code, today().year)
    filing.approved_at = filing.reviewed_at = utcnow()
    filing.reviewed_by_id = actor.user_id
    filing.review_opinion = (opinion or "").strip() or None
    session.flush()  # the version check happens here: a concurrent decision makes this fail (StaleDataError)
    audit.record(session, actor, "approve", filing, from_status=before, to_status=target,
                 reason=filing.review_opinion, diff={"filing_no": filing.filing_no})
    return filing


def return_filing(session: Session, actor: Actor, filing_id: Any, opinion: Any) -> Filing:
    """退回: SUBMITTED → RETURNED; the opinion is required and shown to the enterprise (R14).

    :raises Forbidden: not a reviewer.
    :raises NotFound: another city's filing (or missing).
    :raises TransitionNotAllowed: not SUBMITTED.
    :raises ValidationFailed: no opinion.
    """
    clean = Cleaner({"opinion": opinion})
    text = clean.text("opinion", _l("审核意见"), required=True, max_len=1000)
    filing, target = _load_for_decision(session, actor, filing_id, "return")
    clean.finish()
    before = filing.status
    filing.status = target
    filing.reviewed_at = utcnow()
    filing.reviewed_by_id = actor.user_id
    filing.review_opinion = text
    session.flush()
    audit.record(session, actor, "return", filing, from_status=before, to_status=target, reason=text)
    return filing


def mark_lost(session: Session, actor: Actor, trainee_id: Any, reason: Any, lost_date: Any = None) -> Trainee:
    """标记为流失: a trainee of an APPROVED filing leaves; reason required; released from R9.

    :raises Forbidden: not an enterprise user.
    :raises NotFound: not the actor's trainee.
    :raises TransitionNotAllowed: the filing is not APPROVED, or the trainee is already lost.
    :raises ValidationFailed: no reason, bad date, or a date outside the filing's span / in the future.
    """
    if not actor.is_enterprise:
        raise Forbidden(_l("只有企业用户可以标记流失人员"))
    trainee = load_scoped(session, Trainee, trainee_id, actor)
    filing = trainee.filing
    if filing.status != FilingStatus.APPROVED:
        raise TransitionNotAllowed(_l("只有审核通过的备案才能标记流失人员"))
    if trainee.status == TraineeStatus.LOST:
        raise TransitionNotAllowed(_l("该人员已标记为流失"))
    clean = Cleaner({"lost_reason": reason, "lost_date": lost_date if lost_date not in (None, "") else today()})
    text = clean.text("lost_reason", _l("流失原因"), required=True, max_len=500)
    day: Optional[date] = clean.day("lost_date", _l("流失日期"), required=True)
    if day and day > today():
        clean.error("lost_date", _l("流失日期不能晚于今天"), day)
    clean.finish()
    trainee.status = TraineeStatus.LOST
    trainee.lost_reason = text
    trainee.lost_date = day
    audit.record(session, actor, "mark_lost", trainee, from_status=TraineeStatus.ACTIVE, to_status=TraineeStatus.LOST,
                 reason=text, diff={"trainee": trainee.name, "lost_date": day.isoformat()})
    return trainee
