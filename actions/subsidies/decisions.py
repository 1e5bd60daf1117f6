"""补贴审核 (R23): the city reviewer decides per person — the amount approved as claimed or lowered with a reason,
never raised — then approves the claim (approved amount = the sum of the persons' approved amounts; persons not
decided are approved as claimed) or returns it with an opinion (the persons are released, R21).

Every decision locks the claim row first and re-checks it is SUBMITTED, so a decision racing an approval, a
return or the enterprise's 取消申请 waits and then gets 409; two reviewers approving at once: one wins (the runner's
row lock and version column).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from actions import audit
from actions.subsidies.claims import load_claim, release_effect, row_name
from core.cleaning import Cleaner
from core.errors import FieldError, Forbidden, TransitionNotAllowed, ValidationFailed
from models.base import utcnow
from models.enums import ClaimStatus
from models.scope import Actor, load_scoped
from models.subsidy import SubsidyClaim, SubsidyClaimPerson

APPROVED, LOWERED = "APPROVED", "LOWERED"
DECISIONS = {APPROVED: _l("按申请金额核定"), LOWERED: _l("核减")}
MAX_AMOUNT = Decimal("100000000")


def _require_reviewer(actor: Actor) -> None:
    if not actor.is_reviewer:
        raise Forbidden(_l("只有地市审核员可以审核补贴申请"))


def lock_claim_for_decision(session: Session, actor: Actor, pk: Any) -> SubsidyClaim:
    """The transitions' loader for the reviewer: the claim through the scope, locked."""
    _require_reviewer(actor)
    return load_claim(session, actor, pk, for_update=True)


def parse_amount(raw: Any) -> Decimal:
    """A yuan amount typed or sent as text or number: ≥ 0, at most 2 decimals (fen), never a float's noise.

    :raises ValidationFailed: not a number, negative, more than 2 decimals, absurdly large.
    """
    label = _l("核定金额")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValidationFailed([FieldError("approved_amount", _l("请填写%(label)s", label=label))])
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise ValidationFailed([FieldError("approved_amount", _l("%(label)s应为数字", label=label), raw)])
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationFailed([FieldError("approved_amount", _l("%(label)s应为数字，如 2200.00", label=label), raw)]) \
            from None
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
        raise ValidationFailed([FieldError("approved_amount", _l("%(label)s须为不小于 0 的金额", label=label), raw)])
    if value != value.quantize(Decimal("0.01")):
        raise ValidationFailed([FieldError("approved_amount", _l("%(label)s最多保留两位小数（分）", label=label), raw)])
    return value.quantize(Decimal("0.01"))


def decide_person(session: Session, actor: Actor, person_id: Any, data: dict) -> SubsidyClaimPerson:
    """R23 one person's decision: ``approved_amount`` ≤ the claimed amount; a lower amount needs ``reason``.

    :raises Forbidden: not a reviewer. :raises NotFound: out of the city. :raises TransitionNotAllowed: the claim
        is not SUBMITTED (decided or withdrawn meanwhile). :raises ValidationFailed: the amount or reason.
    """
    _require_reviewer(actor)
    person = load_scoped(session, SubsidyClaimPerson, person_id, actor)
    claim = load_claim(session, actor, person.subsidy_claim_id, for_update=True)
    if claim.status != ClaimStatus.SUBMITTED:
        raise TransitionNotAllowed(_l("补贴申请不在待审核状态，不能核定金额，请刷新后重试"))
    person = load_scoped(session, SubsidyClaimPerson, person.id, actor, for_update=True)
    amount = parse_amount((data or {}).get("approved_amount"))
    clean = Cleaner(data or {})
    reason = clean.text("reason", _l("核减原因"), max_len=500)
    clean.finish()
    claimed = person.amount or Decimal("0.00")
    if amount > claimed:
        raise ValidationFailed([FieldError("approved_amount", _l("核定金额不能高于申请金额 %(amount)s 元", amount=claimed),
                                           str(amount))])
    if amount < claimed and not reason:
        raise ValidationFailed([FieldError("reason", _l("核减金额时须填写核减原因"))])
    before = audit.snapshot(person, ("approved_amount", "decision", "decision_reason"))
    person.approved_amount = amount
    person.decision = APPROVED if amount == claimed else LOWERED
    person.decision_reason = reason if amount < claimed else None
    person.decided_at = utcnow()
    session.flush()
    audit.record(session, actor, "decide", person, reason=person.decision_reason,
                 diff=audit.changes(before, audit.snapshot(person, ("approved_amount", "decision", "decision_reason")),
                                    person.trainee.name),
                 enterprise_id=claim.enterprise_id, city_code=claim.city_code, filing_id=claim.filing_id)
    return person


def approve_effect(session: Session, actor: Actor, claim: SubsidyClaim, values: dict) -> dict:
    """R23 approval: persons not decided are approved as claimed; the claim's approved amount is their sum."""
    now = utcnow()
    session.execute(update(SubsidyClaimPerson)
                    .where(SubsidyClaimPerson.subsidy_claim_id == claim.id, SubsidyClaimPerson.decision.is_(None))
                    .values(approved_amount=SubsidyClaimPerson.amount, decision=APPROVED, decided_at=now))
    claim.approved_amount = session.scalar(
        select(func.coalesce(func.sum(SubsidyClaimPerson.approved_amount), 0))
        .where(SubsidyClaimPerson.subsidy_claim_id == claim.id))
    _stamp_review(claim, actor, values)
    lowered = session.scalar(select(func.count()).where(SubsidyClaimPerson.subsidy_claim_id == claim.id,
                                                        SubsidyClaimPerson.decision == LOWERED))
    return {"row": row_name(claim), "requested_amount": str(claim.requested_amount),
            "approved_amount": str(claim.approved_amount), "lowered_persons": lowered}


def return_effect(session: Session, actor: Actor, claim: SubsidyClaim, values: dict) -> dict:
    """退回 with an opinion (required): the persons are released (R21) and may be fixed and resubmitted."""
    _stamp_review(claim, actor, values)
    return release_effect(session, actor, claim, values)


def _stamp_review(claim: SubsidyClaim, actor: Actor, values: dict) -> None:
    claim.reviewed_at = utcnow()
    claim.reviewed_by_id = actor.user_id
    claim.review_opinion = values.get("opinion")
